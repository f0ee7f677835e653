from importlib import import_module

from django.core.management.base import BaseCommand, CommandParser

from server.school import demo

# Each feature adds its demo data after the school exists; each seeder is idempotent.
FEATURE_SEEDERS = ("lessons.demo", "proctor.demo", "chat.demo")


class Command(BaseCommand):
    help = "Create the demo school (groups, users of every role, parent links) and each feature's demo data once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")
        parser.add_argument("--school-only", action="store_true", help="only the school (tests add the rest)")

    def handle(
        self,
        *args: object,
        verbosity: int = 1,
        quiet_logins: bool = False,
        school_only: bool = False,
        **options: object,
    ) -> None:
        say = self.stdout.write if verbosity > 0 else lambda message: None
        if demo.demo_exists():
            say("Demo school already present.")
        else:
            demo.seed()
            say(self.style.SUCCESS("Demo school created."))
        for module in () if school_only else FEATURE_SEEDERS:
            say(f"{module}: {import_module(module).seed()}")
        if not quiet_logins:
            self.stdout.write("Demo logins (login / password):")
            for user in demo.DEMO_USERS:
                roles = ", ".join(user.roles)
                self.stdout.write(f"  {user.username:<10} {user.password:<16} {roles} {user.group}")
