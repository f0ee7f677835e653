from django.core.management.base import BaseCommand

from server.school import demo


class Command(BaseCommand):
    help = "Create the demo school (groups, users of every role, parent links) once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="run even if the demo school exists")
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, force: bool = False, quiet_logins: bool = False, **options) -> None:
        if demo.demo_exists() and not force:
            self.stdout.write("Demo data already present.")
        else:
            demo.seed()
            self.stdout.write(self.style.SUCCESS("Demo school created."))
        if not quiet_logins:
            self.stdout.write("Demo logins (login / password):")
            for user in demo.DEMO_USERS:
                roles = ", ".join(user.roles)
                self.stdout.write(f"  {user.username:<10} {user.password:<16} {roles} {user.group}")
