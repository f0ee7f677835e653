"""``manage.py restore ARCHIVE [--replace]``: an archive made by ``manage.py backup``, checked, then restored."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from server import backup
from server.accounts import audit


class Command(BaseCommand):
    help = (
        "Restore a backup archive into this server's database and MEDIA_ROOT. Everything is checked first "
        "(format version, database vendor, migrations, every file's checksum); a refused archive changes nothing. "
        "The database must be empty unless --replace is given. Stop the servers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--replace", action="store_true", help="overwrite a database that already has data")

    def handle(self, *args: object, archive: Path, replace: bool = False, **options: object) -> None:
        try:
            summary = backup.restore(archive, replace=replace)
        except backup.BackupError as error:
            raise CommandError(f"restore refused: {error}") from None
        call_command("migrate", "--noinput", verbosity=0)  # an archive from older code: bring it up to date
        audit.record("backup.restored", path=str(archive), files=summary.files)
        self.stdout.write(f"restored: {archive} ({summary.vendor} database, {summary.files} file(s))")
