"""``manage.py purge_orphan_files [--delete]``: files under MEDIA_ROOT that no database row points to."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from server.accounts import audit
from server.media_files import orphans, owners


class Command(BaseCommand):
    help = (
        "List uploads, evidence snapshots and reference photos that have no database row (a dry run); "
        "with --delete, delete them. Files younger than an hour are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="delete the files found (default: only list them)")

    def handle(self, *args: object, delete: bool = False, **options: object) -> None:
        found = orphans()
        for path in found:
            self.stdout.write(str(path.relative_to(settings.MEDIA_ROOT)))
            if delete:
                path.unlink(missing_ok=True)
        folders = ", ".join(owner.folder for owner in owners())
        verb = "deleted" if delete else "would delete (run with --delete)"
        self.stdout.write(f"{verb}: {len(found)} file(s) without a row in {folders}")
        if delete and found:
            audit.record("media.orphans_purged", count=len(found))
