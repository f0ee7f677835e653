from django.core.management.base import BaseCommand

from lessons import demo


class Command(BaseCommand):
    help = "Create the demo timetable of online lessons once (after seed_demo)."

    def handle(self, *args, **options) -> None:
        created = demo.seed()
        self.stdout.write(f"Demo lessons: {created} created." if created else "Demo lessons already present.")
