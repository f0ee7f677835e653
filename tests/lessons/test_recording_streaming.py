"""A long lesson recording streams through a real daphne: whole and from a range, the body arrives in full while
the server's peak memory grows by a small part of the file (nothing reads the file whole before sending), and a
client that stops reading keeps the rest of the file on disk (daphne reads ahead only what the socket takes); one
that goes away mid-file leaves it closed."""

from __future__ import annotations

import http.client
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.client import Session, logged_in
from tests.support.servers import DaphneServer
from tests.support.waiting import wait_for

from .recording_setups import ready_recording

pytestmark = pytest.mark.slow

FILE_BYTES = 300 * 1024 * 1024  # a long lesson's size; a sparse file, so it costs no disk
READ_BYTES = 1024 * 1024  # what the client reads at a time, then drops


@dataclass
class Served:
    server: DaphneServer
    client: Session
    url: str
    file: Path

    def peak_memory(self) -> int:
        """daphne's peak resident memory so far (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.server.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM for daphne")

    def read_position(self) -> int | None:
        """Where daphne is in the file (its descriptor's offset), None while daphne has it closed."""
        fds = Path(f"/proc/{self.server.process.pid}/fd")
        for fd in fds.iterdir():
            if os.path.realpath(fd) == str(self.file):
                return int((Path(f"/proc/{self.server.process.pid}/fdinfo") / fd.name).read_text().split()[1])
        return None

    def request(self, headers: dict[str, str]) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection(self.client.host, self.client.port, timeout=60)
        conn.request("GET", self.url, headers={"Cookie": self.client.cookie_header, **headers})
        return conn, conn.getresponse()


@pytest.fixture
def served(live_env, daphne_factory) -> Served:
    folder = live_env.call(ready_recording, group="9А", teacher="teacher", size=FILE_BYTES)
    server = daphne_factory()
    file = (live_env.var_dir / "media" / "lesson-recordings" / folder / "lesson.webm").resolve()
    served = Served(server, logged_in(server.url, "student"), f"/lessons/recordings/{folder}/lesson.webm", file)
    assert fetch_and_drop(served, {"Range": "bytes=0-99"})[::2] == (206, 100)  # the view's code is loaded
    return served


def drop(response: http.client.HTTPResponse) -> int:
    """Read the rest of the body a piece at a time, dropping it; the bytes read."""
    received = 0
    while chunk := response.read(READ_BYTES):
        received += len(chunk)
    return received


def fetch_and_drop(served: Served, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
    """GET the file reading the body as it comes and dropping it: status, headers, bytes received."""
    conn, response = served.request(headers)
    try:
        return response.status, {k.lower(): v for k, v in response.getheaders()}, drop(response)
    finally:
        conn.close()


def settled_position(served: Served) -> int:
    """daphne's position in the file of a response under way once it has stopped moving (three looks in a row
    agree), or the file's size once daphne has read it all (and closed it)."""
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        position = served.read_position()
        seen = [*seen[-2:], FILE_BYTES if position is None else position]
        if seen[-1] == FILE_BYTES or (len(seen) == 3 and len(set(seen)) == 1):
            return seen[-1]
        time.sleep(0.3)
    raise AssertionError(f"daphne's position in the file never settled: {seen}")


def test_a_long_recording_is_streamed_whole_and_by_range_without_being_read_into_memory(served):
    before = served.peak_memory()
    status, headers, received = fetch_and_drop(served, {})
    assert (status, headers["content-length"], received) == (200, str(FILE_BYTES), FILE_BYTES)
    assert (headers["accept-ranges"], headers["content-type"]) == ("bytes", "video/webm")
    status, headers, received = fetch_and_drop(served, {"Range": "bytes=0-"})
    assert (status, headers["content-range"], received) == (206, f"bytes 0-{FILE_BYTES - 1}/{FILE_BYTES}", FILE_BYTES)

    grown = served.peak_memory() - before
    print(f"daphne's peak memory grew by {grown / 2**20:.1f} MB serving a {FILE_BYTES / 2**20:.0f} MB file twice")
    assert grown < FILE_BYTES / 3


def test_a_client_that_stops_reading_keeps_the_rest_of_the_file_on_disk(served):
    before = served.peak_memory()
    conn, response = served.request({"Range": "bytes=0-"})
    try:
        assert (response.status, len(response.read(READ_BYTES))) == (206, READ_BYTES)  # then the client pauses
        position = settled_position(served)
        grown = served.peak_memory() - before
        print(f"paused client: daphne read {position / 2**20:.1f} MB of the file, grew by {grown / 2**20:.1f} MB")
        assert position < FILE_BYTES / 3
        assert grown < FILE_BYTES / 3
        assert READ_BYTES + drop(response) == FILE_BYTES  # the client reads on: the rest arrives
    finally:
        conn.close()


async def test_a_client_that_goes_away_mid_file_leaves_it_closed(served):
    conn, response = served.request({"Range": "bytes=0-"})
    assert (response.status, len(response.read(READ_BYTES))) == (206, READ_BYTES)
    assert served.read_position() is not None  # the response is under way, paced to the client
    conn.close()
    await wait_for(lambda: served.read_position() is None, timeout=30, what="daphne to close the file")
    assert fetch_and_drop(served, {"Range": "bytes=0-99"})[::2] == (206, 100)
