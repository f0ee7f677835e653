"""The socket protocol kit (server.ws): fields, schemas, the rate limit and the consumer base class.

Fields are checked by direct calls; the base class through channels' WebsocketCommunicator with a small
consumer declared here, as a product socket declares its own.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.db import InterfaceError, OperationalError

from chat.protocol import SCHEMAS as CHAT_SCHEMAS
from server.ws import (
    PONG,
    Bool,
    Choice,
    Int,
    JsonProtocolConsumer,
    ListOf,
    Object,
    OneOf,
    Pong,
    ProtocolError,
    RateLimit,
    Sdp,
    Str,
    rate,
)
from server.ws.fields import MAX_ID, read_message


def refusal(field: Any, value: Any) -> tuple[str, str]:
    with pytest.raises(ProtocolError) as refused:
        field.check("kind.name", value)
    return refused.value.code, refused.value.detail


# --- fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["5", 5.0, True, None, [5]])
def test_int_refuses_everything_but_a_json_integer(value: Any) -> None:
    assert refusal(Int(), value) == ("bad_field", "kind.name: expected an integer")


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 2**63, 10**30])
def test_out_of_range_integers_are_refused_not_passed_on(value: Any) -> None:
    assert refusal(Int(min=1), value) == ("bad_field", f"kind.name: must be between 1 and {MAX_ID}")


def test_int_accepts_its_bounds() -> None:
    field = Int(min=1, max=100)
    assert (field.check("x", 1), field.check("x", 100)) == (1, 100)


def test_str_counts_characters_and_strips_when_asked() -> None:
    assert Str(max=3).check("x", "абв") == "абв"
    assert refusal(Str(max=3), "абвг") == ("bad_field", "kind.name: length must be between 0 and 3")
    assert Str(min=1, max=10, strip=True).check("x", "  hi ") == "hi"
    assert refusal(Str(min=1, max=10, strip=True), "   ") == ("bad_field", "kind.name: length must be between 1 and 10")
    assert refusal(Str(max=3), 3) == ("bad_field", "kind.name: expected a string")


@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_bool_accepts_only_true_and_false(value: Any) -> None:
    assert refusal(Bool(), value) == ("bad_field", "kind.name: expected true or false")


def test_bool_passes_false_through() -> None:
    assert Bool().check("x", False) is False


def test_choice_names_the_words_it_accepts() -> None:
    field = Choice(choices={"copy": 1, "paste": 2}, error="bad_event")
    assert field.check("x", "paste") == "paste"
    assert refusal(field, "cut") == ("bad_event", "kind.name: expected one of copy, paste")
    assert refusal(field, 7)[0] == "bad_event"


def test_sdp_must_be_a_complete_description_within_its_size_in_bytes() -> None:
    field = Sdp(max_bytes=20, media=("video",))
    assert field.check("x", "v=0\r\nm=video 9\r\n") == "v=0\r\nm=video 9\r\n"
    expected = "kind.name: expected a complete SDP (v=0...) of at most 20 bytes"
    assert refusal(field, "hello") == ("bad_sdp", expected)
    assert refusal(field, None) == ("bad_sdp", expected)
    assert refusal(field, "v=0" + "я" * 9) == ("bad_sdp", expected)  # 12 characters, 21 bytes
    assert refusal(field, "v=0\r\nm=audio 9\r\n") == (
        "bad_sdp",
        "kind.name: the description must carry video (m=video)",
    )


def test_lists_and_objects_are_checked_element_by_element() -> None:
    field = ListOf(item=Object(fields={"room": Int(min=1), "after": Int(required=False)}), max=3)
    assert field.check("s.rooms", [{"room": 4}, {"room": 5, "after": 2}]) == [
        {"room": 4, "after": None},
        {"room": 5, "after": 2},
    ]
    cases: list[tuple[Any, dict[str, Any]]] = [
        ({}, ("bad_field", "s.rooms: expected a list")),
        ([5], ("bad_field", "s.rooms[0]: expected an object")),
        ([{"room": 1}, {}], ("missing_field", "s.rooms[1].room: required")),
        ([{"room": 1, "ref": "x"}], ("unknown_field", "s.rooms[0]: unknown field 'ref'")),
        ([{"room": 2**60}], ("bad_field", f"s.rooms[0].room: must be between 1 and {MAX_ID}")),
        ([{"room": 1}] * 4, ("bad_field", "s.rooms: must have between 0 and 3 items")),
    ]
    for value, expected in cases:
        with pytest.raises(ProtocolError) as refused:
            field.check("s.rooms", value)
        assert (refused.value.code, refused.value.detail) == expected


def test_one_of_takes_the_first_option_that_accepts() -> None:
    field = OneOf(options=(Int(min=1), Choice(choices=("all",))))
    assert (field.check("x", 7), field.check("x", "all")) == (7, "all")
    assert refusal(field, "some") == (
        "bad_field",
        f"kind.name: expected an integer between 1 and {MAX_ID} or one of all",
    )


@pytest.mark.parametrize(
    ("attachments", "detail"),
    [
        ([{}], "send.attachments[0]: expected an integer"),
        (["12"], "send.attachments[0]: expected an integer"),
        ([3, 2**62], f"send.attachments[1]: must be between 1 and {MAX_ID}"),
    ],
)
def test_chat_attachment_ids_are_checked_one_by_one(attachments: list[Any], detail: str) -> None:
    message = {"type": "send", "room": 1, "client_id": "c", "text": "hi", "attachments": attachments}
    with pytest.raises(ProtocolError) as refused:
        read_message(message, CHAT_SCHEMAS, 1)
    assert (refused.value.code, refused.value.detail) == ("bad_field", detail)


# --- the rate limit ------------------------------------------------------------------------------


def test_rate_limit_allows_a_burst_then_refills_at_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(rate.time, "monotonic", lambda: now[0])
    limit = RateLimit("browser events", 3, 6)  # bursts of 3, then one every 2 s
    for _ in range(3):
        limit.take("session-1")
    with pytest.raises(ProtocolError) as refused:
        limit.take("session-1")
    assert (refused.value.code, refused.value.detail) == ("rate_limited", "too many browser events; retry in 2.0 s")
    limit.take("session-2")  # every key has its own bucket
    now[0] += 2.0
    limit.take("session-1")
    with pytest.raises(ProtocolError):
        limit.take("session-1")


# --- the consumer base class ----------------------------------------------------------------------


class Classroom(JsonProtocolConsumer):
    """A socket as a product declares one: schemas, and one ``on_<type>`` handler per type."""

    schemas = {
        "ping": {},
        "hand.raise": {"up": Bool(), "note": Str(required=False, default="", max=20)},
        "seat": {"row": Int(min=1, max=9)},
        "quiet": {},
    }

    async def on_ping(self) -> Pong:
        return PONG

    async def on_hand_raise(self, up: bool, note: str) -> dict[str, Any]:
        return {"type": "hand", "up": up, "note": note}

    async def on_seat(self, row: int) -> None:
        await self.send_json({"type": "seated", "row": row})

    async def on_quiet(self) -> None:
        raise ProtocolError("too_loud", "nobody is quiet", level=3)


@pytest.fixture
async def classroom(db):  # channels closes stale database connections when a socket disconnects
    socket = WebsocketCommunicator(Classroom.as_asgi(), "/ws/classroom/")
    socket.scope["user"] = SimpleNamespace(is_authenticated=True, pk=1)
    connected, _ = await socket.connect()
    assert connected
    yield socket
    await socket.disconnect()


async def exchange(socket: WebsocketCommunicator, frame: Any) -> dict[str, Any]:
    await socket.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))
    return await socket.receive_json_from(timeout=5)


async def test_a_message_type_is_handled_by_its_on_type_method_with_the_fields(classroom) -> None:
    assert await exchange(classroom, {"type": "hand.raise", "up": True}) == {"type": "hand", "up": True, "note": ""}
    assert await exchange(classroom, {"type": "hand.raise", "up": False, "note": "вопрос", "ref": 7}) == {
        "type": "hand",
        "up": False,
        "note": "вопрос",
        "ref": 7,
    }
    assert await exchange(classroom, {"type": "ping", "ref": "p-1"}) == {"type": "pong", "ref": "p-1"}
    assert await exchange(classroom, {"type": "ping"}) == {"type": "pong"}  # the shared PONG was not changed
    assert await exchange(classroom, {"type": "seat", "row": 3}) == {"type": "seated", "row": 3}


async def test_every_bad_message_gets_an_error_frame_and_the_socket_stays_open(classroom) -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        ("{not json", {"error": "bad_json"}),
        ("[1]", {"error": "bad_message"}),
        ("x" * 20_000, {"error": "too_large"}),
        ({"type": "teleport", "ref": "t"}, {"error": "unknown_type", "ref": "t"}),
        ({"type": "on_ping"}, {"error": "unknown_type"}),
        ({"type": "ping", "v": 2}, {"error": "unsupported_version"}),
        ({"type": "ping", "ref": ["x"]}, {"error": "bad_field"}),
        ({"type": "ping", "extra": 1}, {"error": "unknown_field"}),
        ({"type": "hand.raise"}, {"error": "missing_field"}),
        ({"type": "hand.raise", "up": "yes", "ref": 4}, {"error": "bad_field", "ref": 4}),
        ({"type": "seat", "row": 2**64}, {"error": "bad_field"}),
        ({"type": "seat", "row": 0}, {"error": "bad_field"}),
        ({"type": "quiet", "ref": 1}, {"error": "too_loud", "ref": 1, "level": 3}),
    ]
    for frame, expected in cases:
        error = await exchange(classroom, frame)
        assert error["type"] == "error"
        assert error["detail"]
        assert {key: error[key] for key in expected} == expected, (frame, error)
        assert set(error) == {"type", "detail", *expected}, error
    await classroom.send_to(bytes_data=b"\x00")
    assert (await classroom.receive_json_from(timeout=5))["error"] == "bad_frame"
    assert await exchange(classroom, {"type": "ping"}) == {"type": "pong"}


class UnreachableClassroom(Classroom):
    """Its database is out of reach (restarting, failing over): a handler that needs it raises as Django does."""

    schemas = {**Classroom.schemas, "save": {}, "load": {}}

    async def on_save(self) -> None:
        raise OperationalError('connection to server at "db" failed: Connection refused')

    async def on_load(self) -> None:
        raise InterfaceError("connection already closed")


async def test_a_database_out_of_reach_answers_unavailable_and_the_socket_stays_open(db) -> None:
    socket = WebsocketCommunicator(UnreachableClassroom.as_asgi(), "/ws/classroom/")
    socket.scope["user"] = SimpleNamespace(is_authenticated=True, pk=1)
    assert (await socket.connect())[0]
    for kind in ("save", "load"):
        error = await exchange(socket, {"type": kind, "ref": kind})
        assert (error["type"], error["error"], error["ref"]) == ("error", "unavailable", kind), error
    assert await exchange(socket, {"type": "ping"}) == {"type": "pong"}  # not closed with 1011
    await socket.disconnect()


class LimitedClassroom(Classroom):
    frame_limit = RateLimit("classroom frames", 2, 600)


async def test_a_frame_limit_counts_every_frame_of_the_user_and_refuses_with_the_ref(db) -> None:
    socket = WebsocketCommunicator(LimitedClassroom.as_asgi(), "/ws/classroom/")
    socket.scope["user"] = SimpleNamespace(is_authenticated=True, pk=41)
    assert (await socket.connect())[0]
    assert (await exchange(socket, "{not json"))["error"] == "bad_json"  # malformed frames count too
    assert await exchange(socket, {"type": "ping"}) == {"type": "pong"}
    refused = await exchange(socket, {"type": "ping", "ref": "late"})
    assert (refused["error"], refused["ref"]) == ("rate_limited", "late")
    assert (await exchange(socket, "[1]"))["error"] == "rate_limited"  # nothing to echo: no ref
    await socket.disconnect()


async def test_an_anonymous_socket_is_closed_with_4401() -> None:
    socket = WebsocketCommunicator(Classroom.as_asgi(), "/ws/classroom/")
    socket.scope["user"] = SimpleNamespace(is_authenticated=False)
    connected, _ = await socket.connect()
    assert connected
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    assert type(closed["code"]) is int  # autobahn refuses an IntEnum member


def test_a_message_type_without_its_handler_fails_when_the_consumer_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Forgetful has no on_hand_raise\(\) for message type 'hand.raise'"):

        class Forgetful(JsonProtocolConsumer):
            schemas = {"hand.raise": {"up": Bool()}}


def test_a_handler_whose_parameters_differ_from_the_schema_fails_when_the_consumer_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Drifted.on_seat takes \['row', 'column'\]"):

        class Drifted(JsonProtocolConsumer):
            schemas = {"seat": {"row": Int()}}

            async def on_seat(self, row: int, column: int) -> None: ...
