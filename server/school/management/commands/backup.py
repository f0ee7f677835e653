"""``manage.py backup [--output PATH]``: the database and every file under MEDIA_ROOT in one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from server import backup
from server.accounts import audit


class Command(BaseCommand):
    help = (
        "Write a consistent archive of the database (SQLite online backup, or pg_dump -Fc) and of the uploads, "
        "evidence snapshots and reference photos under MEDIA_ROOT, with a manifest of checksums. The archive "
        "holds personal and biometric data: it is written with mode 600 (docs/operations.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, help="the archive's path (default VAR_DIR/backups/classroom-<time>.tar)"
        )

    def handle(self, *args: object, output: Path | None = None, **options: object) -> None:
        try:
            summary = backup.create(output or backup.default_output())
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        audit.record("backup.created", path=str(summary.path), files=summary.files)
        self.stdout.write(
            f"backup: {summary.path} ({summary.vendor} database, {summary.files} file(s), {summary.bytes} bytes)"
        )
