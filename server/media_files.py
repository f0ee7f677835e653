"""Which files under MEDIA_ROOT belong to a database row, and which are left over.

Every feature that stores files registers its folder and a function naming the files its rows
point to (``register`` in its ``AppConfig.ready``), so the foundation can find files with no row —
left by a crash between writing a file and saving its row, or by rows deleted in bulk SQL — without
knowing the features. ``manage.py purge_orphan_files`` reports them, and deletes them with ``--delete``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# A file younger than this may be one whose row is being written right now (an upload between storing
# and saving, an evidence snapshot before its episode row): never an orphan yet.
ORPHAN_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class StoredFiles:
    folder: str  # relative to MEDIA_ROOT
    referenced: Callable[[], Iterable[str]]  # paths relative to MEDIA_ROOT that a row points to


_OWNERS: dict[str, StoredFiles] = {}


def register(folder: str, referenced: Callable[[], Iterable[str]]) -> None:
    _OWNERS[folder] = StoredFiles(folder, referenced)


def owners() -> list[StoredFiles]:
    return sorted(_OWNERS.values(), key=lambda owner: owner.folder)


def orphans(now: float | None = None) -> list[Path]:
    """Files in the registered folders that no row points to, older than ``ORPHAN_GRACE_SECONDS``."""
    root = Path(settings.MEDIA_ROOT)
    cutoff = (now or time.time()) - ORPHAN_GRACE_SECONDS
    found = []
    for owner in owners():
        referenced = {str(root / name) for name in owner.referenced() if name}
        for path in sorted((root / owner.folder).rglob("*")):
            if path.is_file() and str(path) not in referenced and path.stat().st_mtime < cutoff:
                found.append(path)
    return found
