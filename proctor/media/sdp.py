"""What a student's camera offer may carry: exactly the media sections the exam analyses, nothing more.

aiortc answers every media section of an offer: each audio or video section becomes a receiver with its own
decoder thread, and the decoded frames of a track nobody reads pile up in aiortc's unbounded track queue
(:mod:`rtc.bounds` caps what it can, but a decoder still costs CPU per section). So the exam socket refuses,
before the offer reaches the media worker, an offer whose ``m=`` lines are not exactly the exam's: one camera
(``m=video``), unless the exam policy switches ``speech`` off at most one microphone (``m=audio``, listened
to by :mod:`proctor.audio`), and unless it switches ``screen_share_stopped`` off at most one shared screen (a
second ``m=video``: :class:`rtc.peer.StudentPeer` takes the first video section for the camera, the second for
the screen). Any other kind (``application``: a data channel, ``text``, ``message``) is refused.
"""

from __future__ import annotations

from collections import Counter

CAMERA_SECTIONS = 1  # m=video sections an exam offer carries: exactly one
MICROPHONE_SECTIONS = 1  # m=audio sections it may carry when the exam listens; none when it does not
SCREEN_SECTIONS = 1  # further m=video sections it may carry when the exam watches the screen; none when it does not


def media_sections(sdp: str) -> list[str]:
    """The media kind of each ``m=`` line of a session description, in order (``m=video 9 UDP/...`` → ``video``)."""
    return [line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")]


def offer_problem(sdp: str, microphone: bool = False, screen: bool = False) -> str | None:
    """Why the offer's media sections are not the exam's (an English detail for the error frame), or None.

    ``microphone``: the exam policy listens for ``speech``, so one ``m=audio`` may come with the camera. It may
    also be missing: a client that leaves it out hears nothing, like one that sends silence, which no server can
    tell from a quiet room; the exam page always sends it (web/static/js/exam.js).
    ``screen``: the exam policy watches the shared screen, so a second ``m=video`` may follow the camera's (the
    exam page always offers it, sending nothing on it while the screen is not shared).
    """
    sections = Counter(media_sections(sdp))
    audio = MICROPHONE_SECTIONS if microphone else 0
    screens = SCREEN_SECTIONS if screen else 0
    videos_ok = CAMERA_SECTIONS <= sections["video"] <= CAMERA_SECTIONS + screens
    if videos_ok and sections["audio"] <= audio and set(sections) <= {"video", "audio"}:
        return None
    wanted = f"{CAMERA_SECTIONS} m=video (the camera)"
    if screens:
        wanted += f", at most {screens} more m=video (the screen)"
    if audio:
        wanted += f" and at most {audio} m=audio (the microphone)"
    found = ", ".join(f"{count} m={kind}" for kind, count in sorted(sections.items())) or "none"
    return f"the offer must carry exactly {wanted} and nothing else; it carries {found}"
