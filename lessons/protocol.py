"""The lesson socket protocol (docs/lesson-protocol.md): what a lesson page may send and what it receives.

The kit in :mod:`server.ws` checks every message against these schemas before
:class:`lessons.consumers.LessonConsumer` handles it; every type but ``join`` needs a joined socket and
the ``TEACHER_ONLY`` ones the teacher's role.
"""

from __future__ import annotations

import builtins
from typing import Literal, TypedDict

from server.ws import Bool, Choice, Int, OneOf, Schema, Sdp

MAX_SDP_BYTES = 60_000  # a teacher's camera offer with three simulcast layers fits with room to spare
SOURCES = ("camera", "screen")

FEED = Int(min=1)  # a feed id as Janus knows it
SDP = Sdp(max_bytes=MAX_SDP_BYTES)
SOURCE = Choice(choices=SOURCES)
TARGET = OneOf(options=(Int(min=1), Choice(choices=("all",))))  # a participant's user id or every student
ON = Bool(required=False, default=True)

TEACHER_ONLY = frozenset({"mute", "camera_off", "allow", "lock", "record", "remove", "end"})
SCHEMAS: dict[str, Schema] = {
    "join": {},
    "publish": {"source": SOURCE, "sdp": SDP},
    "unpublish": {"source": SOURCE},
    "subscribe": {"feed": FEED},
    "answer": {"feed": FEED, "sdp": SDP},
    "unsubscribe": {"feed": FEED},
    "substream": {"feed": FEED, "substream": Int(min=0, max=2)},
    "hand": {"up": Bool()},
    "ping": {},
    "mute": {"user": TARGET, "on": ON},
    "camera_off": {"user": TARGET, "on": ON},
    "allow": {"camera": Bool(required=False), "microphone": Bool(required=False)},
    "lock": {"locked": Bool()},
    "record": {"on": Bool()},
    "remove": {"user": Int(min=1)},
    "end": {},
}


class Participant(TypedDict):
    user: int
    name: str
    role: str
    hand: bool
    talking: bool
    muted: bool
    camera_off: bool


class LessonState(TypedDict):
    locked: bool
    camera_allowed: bool
    microphone_allowed: bool
    recording: bool  # Janus records the lesson now: every page says so


class Blocked(TypedDict):
    """Whether the server keeps this person's audio / video muted in Janus."""

    audio: bool
    video: bool


class FeedInfo(TypedDict):
    """Who sends a feed: our JSON in the Janus display name."""

    user: int
    name: str
    source: str  # camera or screen
    role: str


class Feed(FeedInfo):
    id: int


class Me(TypedDict):
    user: int
    name: str
    role: str


class LessonInfo(TypedDict):
    id: int
    run: int
    title: str
    ends_at: str
    chat_room: int | None


class Joined(TypedDict):
    type: Literal["joined"]
    me: Me
    lesson: LessonInfo
    state: LessonState
    participants: list[Participant]
    feeds: list[Feed]
    ice_servers: list[dict[str, object]]  # RTCIceServer dictionaries (lessons/turn.py)
    blocked: Blocked


class Published(TypedDict):
    type: Literal["published"]
    source: str
    sdp: str  # Janus's answer
    feed: int


class Offer(TypedDict):
    type: Literal["offer"]
    feed: int
    sdp: str


class Started(TypedDict):
    type: Literal["started"]
    feed: int


class Participants(TypedDict):
    type: Literal["participants"]
    list: builtins.list[Participant]  # the field's name on the wire


class Talking(TypedDict):
    type: Literal["talking"]
    user: int
    on: bool


class StateFrame(TypedDict):
    type: Literal["state"]
    state: LessonState


class Moderated(TypedDict):
    type: Literal["moderated"]
    blocked: Blocked


class FeedAdded(TypedDict):
    type: Literal["feed.added"]
    feed: Feed


class FeedRemoved(TypedDict):
    type: Literal["feed.removed"]
    feed: int


class Notice(TypedDict):
    """``removed``, ``ended`` and ``media.lost``: a text for the person, in the page's language."""

    type: Literal["removed", "ended", "media.lost"]
    detail: str


# Channel-layer events: lessons.actions sends them to the run's group, every lesson socket of the run
# handles them (``lesson.participants`` -> ``LessonConsumer.lesson_participants``) and tells its page.


class ParticipantsEvent(TypedDict):
    type: Literal["lesson.participants"]
    list: builtins.list[Participant]


class TalkingEvent(TypedDict):
    type: Literal["lesson.talking"]
    user: int
    on: bool


class StateEvent(TypedDict):
    type: Literal["lesson.state"]
    state: LessonState


class ModerationEvent(TypedDict):
    type: Literal["lesson.moderation"]
    blocked: dict[str, Blocked]  # by user id as a string (the channel layer's msgpack keeps string keys)


class RemoveEvent(TypedDict):
    type: Literal["lesson.remove"]
    user: int


class EndEvent(TypedDict):
    type: Literal["lesson.end"]


class MediaMovedEvent(TypedDict):
    """The run's room now lives on ``instance``: a socket whose Janus session is elsewhere joins again."""

    type: Literal["lesson.media_moved"]
    instance: str


LessonEvent = ParticipantsEvent | TalkingEvent | StateEvent | ModerationEvent | RemoveEvent | EndEvent | MediaMovedEvent
