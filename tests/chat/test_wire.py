"""chat.wire: frames built once are valid WebSocket frames; direct writes never overtake queued bytes."""

from __future__ import annotations

import pytest
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from chat.wire import MAX_QUEUED_BYTES, DirectWriter, Frame


def parse(data: bytes) -> WsFrame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = WsFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_frame_bytes_are_a_valid_unmasked_text_frame(size):
    text = ("я" * size)[:size]
    frame = parse(Frame(text).wire)
    assert frame.opcode is Opcode.TEXT
    assert frame.fin
    assert frame.data.decode() == text


class FakeSocket:
    def __init__(self, accept: int | None = None) -> None:
        self.accept = accept  # bytes the kernel takes per send (None: all)
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> int:
        taken = len(data) if self.accept is None else min(self.accept, len(data))
        if taken == 0:
            raise BlockingIOError
        self.sent.append(data[:taken])
        return taken


class FakeTransport:
    def __init__(self, socket: FakeSocket) -> None:
        self.socket = socket
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataBuffer: list[bytes] = []
        self._tempDataLen = 0
        self.connected = True
        self.disconnecting = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self._tempDataBuffer.append(data)
        self._tempDataLen += len(data)

    def abortConnection(self) -> None:
        self.aborted = True


class FakeProtocol:
    STATE_OPEN = 1

    def __init__(self, transport: FakeTransport) -> None:
        self.state = self.STATE_OPEN
        self.transport = transport


def writer(accept: int | None = None) -> tuple[DirectWriter, FakeTransport]:
    transport = FakeTransport(FakeSocket(accept))
    return DirectWriter(FakeProtocol(transport)), transport


def test_writes_straight_to_the_socket_when_nothing_is_queued():
    direct, transport = writer()
    frame = Frame('{"type":"message"}')
    assert direct.write(frame)
    assert transport.socket.sent == [frame.wire]
    assert transport._tempDataBuffer == []


def test_queued_bytes_are_never_overtaken_and_a_partial_send_queues_the_rest():
    direct, transport = writer(accept=4)
    first, second = Frame("first"), Frame("second")
    direct.write(first)
    assert transport.socket.sent == [first.wire[:4]]
    assert transport._tempDataBuffer == [first.wire[4:]]
    direct.write(second)  # something is queued: goes behind it
    assert transport.socket.sent == [first.wire[:4]]
    assert transport._tempDataBuffer == [first.wire[4:], second.wire]


def test_a_reader_that_stopped_reading_is_dropped_not_buffered_forever():
    direct, transport = writer(accept=0)
    big = Frame("x" * 100_000)
    while not transport.aborted:
        direct.write(big)
    assert transport._tempDataLen <= MAX_QUEUED_BYTES + len(big.wire)


def test_closed_socket_is_not_written():
    direct, transport = writer()
    direct.protocol.state = 3
    assert direct.write(Frame("late")) is False
    assert transport.socket.sent == []


def test_unknown_send_callables_fall_back_to_asgi():
    async def send(message):
        return None

    assert DirectWriter.behind(send) is None
