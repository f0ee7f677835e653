"""A long lesson recording streams through a real daphne: whole and from a range, the body arrives in full while
the server's peak memory grows by a small part of the file (nothing reads the file whole before sending)."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from tests.support.client import Session, logged_in

from .recording_setups import ready_recording

pytestmark = pytest.mark.slow

FILE_BYTES = 300 * 1024 * 1024  # a long lesson's size; a sparse file, so it costs no disk
READ_BYTES = 1024 * 1024  # what the client reads at a time, then drops


def peak_memory(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def fetch_and_drop(client: Session, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
    """GET ``path`` reading the body a piece at a time and dropping it: status, headers, bytes received."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": client.cookie_header, **headers})
        response = conn.getresponse()
        received = 0
        while chunk := response.read(READ_BYTES):
            received += len(chunk)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, received
    finally:
        conn.close()


def test_a_long_recording_is_streamed_whole_and_by_range_without_being_read_into_memory(live_env, daphne_factory):
    folder = live_env.call(ready_recording, group="9А", teacher="teacher", size=FILE_BYTES)
    server = daphne_factory()
    student = logged_in(server.url, "student")
    url = f"/lessons/recordings/{folder}/lesson.webm"
    assert fetch_and_drop(student, url, {"Range": "bytes=0-99"})[::2] == (206, 100)  # the view's code is loaded
    before = peak_memory(server.process.pid)

    status, headers, received = fetch_and_drop(student, url, {})
    assert (status, headers["content-length"], received) == (200, str(FILE_BYTES), FILE_BYTES)
    assert (headers["accept-ranges"], headers["content-type"]) == ("bytes", "video/webm")
    status, headers, received = fetch_and_drop(student, url, {"Range": "bytes=0-"})
    assert (status, headers["content-range"], received) == (206, f"bytes 0-{FILE_BYTES - 1}/{FILE_BYTES}", FILE_BYTES)

    grown = peak_memory(server.process.pid) - before
    print(f"daphne's peak memory grew by {grown / 2**20:.1f} MB serving a {FILE_BYTES / 2**20:.0f} MB file twice")
    assert grown < FILE_BYTES / 3
