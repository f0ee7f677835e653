"""A consistent archive of the school: the database and every file under MEDIA_ROOT, and its restore.

The archive is one tar file (mode 600: it holds personal and biometric data, docs/operations.md "Backup and
restore") with

* ``manifest.json``: the format and its version, when it was made, the database vendor, the migrations applied
  and the SHA-256 and size of every other member;
* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the server writes) or
  ``database.pgdump`` (``pg_dump -Fc``, one transaction's snapshot);
* ``media/<path>``: chat attachments and thumbnails, evidence snapshots, reference photos.

The database is copied first, then the files: a file written meanwhile has no row yet (``purge_orphan_files``
finds it), a file deleted meanwhile is left out and its row then points to nothing, exactly as after the same
deletion on the running server.

A restore checks everything before it changes anything: the format and version, the database vendor (a
PostgreSQL dump is not restored into SQLite), that the code knows every migration the archive's database has,
and every member's checksum. It restores into an empty database unless told to replace the current one.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "classroom-live-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK_BYTES = 1 << 20


class BackupError(Exception):
    """The archive cannot be made or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class Summary:
    path: Path
    vendor: str
    files: int
    bytes: int


# -- making an archive -------------------------------------------------------------------------------------------
def create(output: Path) -> Summary:
    """Write the archive to ``output`` (mode 600, replaced atomically when complete)."""
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"backing up a {vendor} database is not supported (SQLite and PostgreSQL are)")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backup-", dir=output.parent) as work:
        database = Path(work) / DATABASE_MEMBERS[vendor]
        _dump_database(vendor, database)
        media = sorted(_media_files())
        partial = Path(work) / "archive.tar"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        files = {DATABASE_MEMBERS[vendor]: _describe(database)}
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            archive.add(database, DATABASE_MEMBERS[vendor])
            for relative in media:
                member = f"{MEDIA}/{relative}"
                try:
                    files[member] = _add_file(archive, Path(settings.MEDIA_ROOT) / relative, member)
                except FileNotFoundError:  # deleted since it was listed: as on the server now
                    continue
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": {"vendor": vendor, "member": DATABASE_MEMBERS[vendor]},
                "migrations": _applied_migrations(),
                "files": files,
            }
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        os.replace(partial, output)
    os.chmod(output, 0o600)
    media_files = [info for name, info in files.items() if name.startswith(f"{MEDIA}/")]
    return Summary(output, vendor, len(media_files), output.stat().st_size)


def default_output() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"classroom-{stamp}.tar"


def _dump_database(vendor: str, target: Path) -> None:
    if vendor == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run_postgres_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target))


def _media_files() -> Iterator[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix()


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _add_file(archive: tarfile.TarFile, path: Path, member: str) -> dict[str, Any]:
    """Add the file as it is while it is read once (checksum and bytes from the same read)."""
    with path.open("rb") as handle:
        data = handle.read()
    _add_bytes(archive, member, data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _add_bytes(archive: tarfile.TarFile, member: str, data: bytes) -> None:
    info = tarfile.TarInfo(member)
    info.size, info.mode, info.mtime = len(data), 0o600, int(dt.datetime.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


# -- restoring ----------------------------------------------------------------------------------------------------
def restore(archive_path: Path, replace: bool = False) -> Summary:
    """Check the archive, then restore its database and files; BackupError (nothing changed) if it is refused."""
    if not archive_path.is_file():
        raise BackupError(f"{archive_path}: no such file")
    try:
        with tarfile.open(archive_path, mode="r:") as archive:
            manifest = _read_manifest(archive)
            vendor = manifest["database"]["vendor"]
            _check_compatible(manifest, replace)
            with tempfile.TemporaryDirectory(prefix="restore-", dir=settings.VAR_DIR) as work:
                extracted = _extract_checked(archive, manifest, Path(work))
                _restore_database(vendor, extracted / manifest["database"]["member"])
                count = _restore_media(extracted / MEDIA)
    except (tarfile.TarError, EOFError, OSError, KeyError, TypeError) as error:  # KeyError, TypeError: a bad manifest
        raise BackupError(f"{archive_path}: not a readable backup archive ({error})") from error
    return Summary(archive_path, vendor, count, archive_path.stat().st_size)


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = archive.extractfile(MANIFEST)
    except KeyError:
        handle = None
    if handle is None:
        raise BackupError(f"not a Classroom Live backup: the archive has no {MANIFEST}")
    try:
        manifest = json.loads(handle.read())
    except ValueError as error:
        raise BackupError(f"{MANIFEST} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a Classroom Live backup: {MANIFEST} has no format {FORMAT!r}")
    if manifest.get("version") != VERSION:
        raise BackupError(f"backup format version {manifest.get('version')!r}: this code reads version {VERSION}")
    return manifest


def _check_compatible(manifest: dict[str, Any], replace: bool) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the archive holds a {vendor} database and this server uses {connection.vendor}: restore it into a "
            f"{vendor} database (DATABASE_URL), or move the data with dumpdata/loaddata"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(
        f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names if (app, name) not in known
    )
    if unknown:
        raise BackupError(f"the archive comes from newer code (migrations unknown here: {', '.join(unknown[:5])})")
    if not replace and _has_tables():
        raise BackupError("the database is not empty: restore into a fresh database, or pass --replace to overwrite it")


def _has_tables() -> bool:
    return bool(connection.introspection.table_names())


def _extract_checked(archive: tarfile.TarFile, manifest: dict[str, Any], work: Path) -> Path:
    """Every member the manifest lists, checked against its checksum, under ``work``; nothing else."""
    listed: dict[str, dict[str, Any]] = manifest["files"]
    members = {member.name: member for member in archive.getmembers() if member.name != MANIFEST}
    if missing := sorted(listed.keys() - members.keys()):
        raise BackupError(f"the archive is incomplete: {missing[0]} (and {len(missing) - 1} more) missing")
    if extra := sorted(members.keys() - listed.keys()):
        raise BackupError(f"the archive holds files its manifest does not list: {extra[0]}")
    for name, member in members.items():
        target = _safe_target(work, name)
        if not member.isfile():
            raise BackupError(f"{name}: not a regular file")
        source = archive.extractfile(member)
        assert source is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        if _copy_hashing(source, target) != listed[name]["sha256"]:
            raise BackupError(f"{name}: checksum mismatch, the archive is corrupt")
    return work


def _safe_target(work: Path, name: str) -> Path:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"{name}: a path outside the archive's folder")
    return work.joinpath(*path.parts)


def _copy_hashing(source: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _restore_database(vendor: str, dump: Path) -> None:
    if vendor == "sqlite":
        target = Path(settings.DATABASES["default"]["NAME"])
        connections.close_all()
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(dump, target)
    else:
        connections.close_all()
        _run_postgres_tool(
            "pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction",
            "--exit-on-error", str(dump), database_flag="--dbname",
        )  # fmt: skip


def _restore_media(extracted: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    count = 0
    if not extracted.is_dir():
        return 0
    for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
        target = root / path.relative_to(extracted)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    return count


# -- PostgreSQL's client programs -----------------------------------------------------------------------------------
def _run_postgres_tool(tool: str, *args: str, database_flag: str = "--dbname") -> None:
    """Run pg_dump/pg_restore on this server's database (Debian's postgresql-client)."""
    database = settings.DATABASES["default"]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    command = [_postgres_tool(tool), *args]
    for flag, value in (
        ("--host", database.get("HOST")),
        ("--port", database.get("PORT")),
        ("--username", database.get("USER")),
    ):
        if value:
            command += [flag, str(value)]
    command += [database_flag, str(database["NAME"])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (our settings)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-2000:]}")


def _postgres_tool(tool: str) -> str:
    """The newest installed version's binary (it must not be older than the server), else the one on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return found[-1]
    on_path = shutil.which(tool)
    if on_path is None:
        raise BackupError(f"{tool} is not installed: install Debian's postgresql-client")
    return on_path
