"""``manage.py backup`` and ``manage.py restore`` (server/backup.py): a restored server serves the same chat
history, evidence (bytes equal) and attendance as the one backed up; a mismatched or corrupt archive is refused
with a clear error and changes nothing. On SQLite and on PostgreSQL (the second runs in `make test`'s PostgreSQL
pass)."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest

from tests.support import backup_setups
from tests.support.client import logged_in
from tests.support.postgres import PostgresServer
from tests.support.servers import DaphneServer, LiveEnvironment


def served(live: LiveEnvironment, ids: dict) -> dict[str, bytes]:
    """What a daphne on the environment serves of the backed-up school, to its users."""
    server = DaphneServer.start(live)
    try:
        pages = {
            "chat history": ("teacher", f"/chat/rooms/{ids['room']}/messages"),
            "evidence": ("proctor", f"/proctor/evidence/{ids['evidence']}/"),
            "attendance": ("teacher", f"/lessons/runs/{ids['run']}/attendance.csv"),
            "reference photo": ("proctor", f"/proctor/sessions/{ids['session']}/reference.jpg"),
        }
        answers = {}
        for what, (username, path) in pages.items():
            status, body = logged_in(server.url, username).get(path)
            assert status == 200, (what, status, body[:300])
            answers[what] = body
        return answers
    finally:
        server.stop()


def media_tree(live: LiveEnvironment) -> dict[str, bytes]:
    root = live.var_dir / "media"
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def refusal(live: LiveEnvironment, *args: str) -> str:
    with pytest.raises(RuntimeError) as refused:
        live.manage("restore", *args)
    return str(refused.value)


def corrupted_copy(archive: Path, folder: Path) -> Path:
    """The archive with one byte of the evidence snapshot changed (the manifest left as it was)."""
    copy = folder / "corrupt.tar"
    with tarfile.open(archive) as source, tarfile.open(copy, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "media/evidence/backup-test.jpg":
                data = bytes([data[0] ^ 1]) + data[1:]
            target.addfile(member, io.BytesIO(data))
    return copy


def back_up_and_restore(
    tmp_path: Path, source_url: str | None, restored_url: str | None
) -> tuple[LiveEnvironment, Path]:
    source = LiveEnvironment.create(tmp_path / "source", source_url)
    ids = source.call(backup_setups.school_to_back_up)
    before = served(source, ids)
    archive = tmp_path / "backups" / "school.tar"
    source.manage("backup", "--output", str(archive))
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal and biometric data
    (tmp_path / "restored").mkdir()
    restored = LiveEnvironment(tmp_path / "restored", restored_url)
    restored.manage("restore", str(archive))
    assert served(restored, ids) == before
    assert before["evidence"] == backup_setups.EVIDENCE_BYTES
    assert before["reference photo"] == backup_setups.PHOTO_BYTES
    assert [m["text"] for m in json.loads(before["chat history"])["messages"]][-3:] == [
        "Здравствуйте!",
        "Домашнее задание — §12",
        "Спасибо 🙂",
    ]
    assert media_tree(restored) == media_tree(source)
    return restored, archive


def test_a_restored_sqlite_server_serves_the_same_history_evidence_and_attendance(tmp_path: Path) -> None:
    restored, archive = back_up_and_restore(tmp_path, None, None)
    assert "the database is not empty" in refusal(restored, str(archive))
    assert "checksum mismatch" in refusal(restored, str(corrupted_copy(archive, tmp_path)), "--replace")
    not_a_backup = tmp_path / "notes.tar"
    with tarfile.open(not_a_backup, "w"):
        pass
    assert "not a Classroom Live backup" in refusal(restored, str(not_a_backup), "--replace")


@pytest.mark.postgres
def test_a_restored_postgres_server_serves_the_same_history_evidence_and_attendance(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    restored, archive = back_up_and_restore(
        tmp_path, postgres_server.create_database("backed_up"), postgres_server.create_database("restored")
    )
    assert "the database is not empty" in refusal(restored, str(archive))
    (tmp_path / "sqlite").mkdir()
    on_sqlite = LiveEnvironment(tmp_path / "sqlite")
    assert "holds a postgresql database and this server uses sqlite" in refusal(on_sqlite, str(archive))
