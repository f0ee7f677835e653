"""Who may read, write and open which chat — over the socket and over HTTP, on a real daphne."""

from __future__ import annotations

import json

import pytest

from tests.chat.helpers import ChatSocket, room_ids
from tests.support import setups
from tests.support.client import logged_in


@pytest.fixture(scope="module")
def rooms(live_env) -> dict[str, int]:
    return room_ids(live_env)


@pytest.fixture(scope="module")
def user_ids(live_env) -> dict[str, int]:
    return live_env.call(setups.user_ids)


# (user, room, may read) — the school's two groups: 9А (parent's child "student") and 10Б (parent2's child).
READ_MATRIX = [
    ("parent", "parents:9А", True),
    ("parent", "parents:10Б", False),  # another child's parents' chat
    ("parent", "group:9А", False),  # the students' own chat
    ("parent2", "parents:9А", False),
    ("student", "group:9А", True),
    ("student", "parents:9А", False),  # a student does not read the parents' chat
    ("student3", "group:9А", False),  # not a member
    ("teacher", "parents:9А", True),
    ("curator2", "group:9А", False),
    ("director", "group:10Б", True),  # the director reads everything
    ("admin", "parents:10Б", True),
]


@pytest.mark.parametrize(("username", "room", "allowed"), READ_MATRIX)
async def test_read_matrix_over_socket_and_http(daphne_server, rooms, username, room, allowed):
    socket = await ChatSocket.open(daphne_server.url, username)
    subscribed, _ = await socket.subscribe(rooms[room])
    status, body = socket.session.get(f"/chat/rooms/{rooms[room]}/messages")
    listed = await socket.request({"type": "rooms"}, "rooms")
    await socket.close()
    if allowed:
        assert subscribed["type"] == "subscribed"
        assert subscribed["room"] == rooms[room]
        assert status == 200
        assert "messages" in json.loads(body)
        assert rooms[room] in [r["id"] for r in listed["rooms"]]
    else:
        assert subscribed["type"] == "error"
        assert subscribed["error"] == "forbidden"
        assert status == 404  # over HTTP a room one may not read looks like no room at all
        assert json.loads(body)["error"] == "not_found"
        assert rooms[room] not in [r["id"] for r in listed["rooms"]]


async def test_director_reads_but_cannot_write(daphne_server, rooms):
    director = await ChatSocket.open(daphne_server.url, "director")
    subscribed, _ = await director.subscribe(rooms["group:9А"])
    assert subscribed["can_write"] is False
    assert subscribed["can_moderate"] is False
    refused = await director.say(rooms["group:9А"], "Добрый день")
    assert refused["type"] == "error"
    assert refused["error"] == "read_only"
    refused = await director.request({"type": "typing", "room": rooms["group:9А"]}, "typing")
    assert refused["error"] == "read_only"
    await director.close()


async def test_anonymous_gets_no_history(daphne_server, rooms):
    from tests.support.client import Session

    status, _ = Session(daphne_server.url).get(f"/chat/rooms/{rooms['group:9А']}/messages")
    assert status == 302  # to the login page
    status, body = logged_in(daphne_server.url, "student").get(f"/chat/rooms/{rooms['group:9А']}/messages?before=x")
    assert status == 400
    assert json.loads(body)["error"] == "bad_param"


# (who, with whom, allowed) — direct chats follow the school rules.
DIRECT_MATRIX = [
    ("parent", "curator", True),  # curator of the child's group
    ("parent", "teacher", True),
    ("parent", "curator2", False),  # not the child's group
    ("parent", "student3", False),  # another parent's child
    ("parent", "parent2", False),
    ("parent", "student", True),  # own child
    ("student", "parent2", False),  # another student's parent
    ("student", "student2", True),  # classmates
    ("curator2", "parent", False),
    ("director", "teacher", False),  # the director writes nothing
    ("admin", "parent2", True),
]


@pytest.mark.parametrize(("username", "other", "allowed"), DIRECT_MATRIX)
async def test_direct_chat_matrix(daphne_server, user_ids, username, other, allowed):
    socket = await ChatSocket.open(daphne_server.url, username)
    reply = await socket.request({"type": "open_direct", "user": user_ids[other]}, "room")
    if allowed:
        assert reply["type"] == "room"
        assert reply["room"]["kind"] == "direct"
        subscribed, _ = await socket.subscribe(reply["room"]["id"])
        assert subscribed["type"] == "subscribed"
        assert subscribed["can_write"] is True
    else:
        assert reply["type"] == "error"
        assert reply["error"] == "forbidden"
    await socket.close()
