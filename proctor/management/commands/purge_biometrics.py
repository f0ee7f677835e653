"""``manage.py purge_biometrics``: delete reference photos that may no longer be kept (run daily)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from proctor.enrollment import purge


class Command(BaseCommand):
    help = (
        "Удалить эталонные фото и векторы лиц учеников, отозвавших согласие, "
        "и всё, что хранится дольше BIOMETRIC_RETENTION_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        report = purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb}: {report.withdrawn} reference photo(s) without consent, "
            f"{report.expired} older than {settings.BIOMETRIC_RETENTION_DAYS} days"
        )
