"""What a student's camera offer may carry: exactly the media sections the exam analyses, nothing more.

aiortc answers every media section of an offer: each audio or video section becomes a receiver with its own
decoder thread, and the decoded frames of a track nobody reads pile up in aiortc's unbounded track queue
(:mod:`rtc.bounds` caps what it can, but a decoder still costs CPU per section). So the exam socket refuses,
before the offer reaches the media worker, an offer whose ``m=`` lines are not exactly the exam's: one camera
(``m=video``). The exam policy (:mod:`proctor.policy`) never asks for the microphone, so audio is refused
too, and so is any other kind (``application``: a data channel, ``text``, ``message``).
"""

from __future__ import annotations

from collections import Counter

EXAM_MEDIA: dict[str, int] = {"video": 1}  # media kind -> sections an exam offer carries


def media_sections(sdp: str) -> list[str]:
    """The media kind of each ``m=`` line of a session description, in order (``m=video 9 UDP/...`` → ``video``)."""
    return [line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")]


def offer_problem(sdp: str, expected: dict[str, int] = EXAM_MEDIA) -> str | None:
    """Why the offer's media sections are not exactly ``expected`` (an English detail for the error frame), or None."""
    sections = Counter(media_sections(sdp))
    if sections == Counter(expected):
        return None
    wanted = ", ".join(f"{count} m={kind}" for kind, count in expected.items())
    found = ", ".join(f"{count} m={kind}" for kind, count in sorted(sections.items())) or "none"
    return f"the offer must carry exactly {wanted} (the camera) and nothing else; it carries {found}"
