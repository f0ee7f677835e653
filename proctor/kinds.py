"""The violation kinds: one registry that the policy, the episode engine, browser events, review and reports read.

Every fact about a kind lives in its :class:`KindSpec` in :data:`REGISTRY`, and every other module asks the
registry at the moment it needs the fact (nothing copies it at import time): ``Policy`` defaults, the
engine's kinds by family, ``proctor.live.browser_events.BROWSER_EVENTS`` (the exam socket), review weights
and labels, reports and the dashboard's labels. So adding a kind is its entry here, its English label in
``locale/en`` and its row in docs/proctoring-engine.md, plus whatever notices it (recipe "Add a violation
kind" there; ``tests/proctor/test_kinds.py`` names what is missing). A kind the registry does not know is an
error (:class:`UnknownKind`), never a default weight or a raw name shown to a teacher.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    """An episode kind as stored (``Episode.kind``) and sent (``{"kind": ...}`` on the sockets and the CLI)."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    IDENTITY_MISMATCH = "identity_mismatch"
    LOOKING_AWAY = "looking_away"
    CAMERA_LOST = "camera_lost"
    TAB_HIDDEN = "tab_hidden"
    FOCUS_LOST = "focus_lost"
    FULLSCREEN_EXIT = "fullscreen_exit"
    DEVTOOLS = "devtools"
    COPY_PASTE = "copy_paste"
    SPEECH = "speech"
    SCREEN_SHARE_STOPPED = "screen_share_stopped"
    SECOND_MONITOR = "second_monitor"


class Family(StrEnum):
    """Where the engine learns of the condition, which decides how it is fed (see proctor.episodes)."""

    VISION = "vision"  # read from each analysed webcam frame (EpisodeEngine.observe)
    CONNECTION = "connection"  # no frame arrives at all (EpisodeEngine.tick)
    BROWSER = "browser"  # the exam page reports it (EpisodeEngine.set_state / mark)
    AUDIO = "audio"  # heard in the microphone's stream (EpisodeEngine.hear, from proctor.audio)


@dataclass(frozen=True)
class BrowserEvent:
    """An event name the exam page sends (``{"type": "browser_event", "event": name}``)."""

    name: str
    active: bool | None  # True: the state begins, False: it ends, None: a single event (an episode of no length)


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    family: Family
    min_duration_s: float  # how long the condition must hold, at "normal" sensitivity (Policy default)
    weight: int  # credibility points a confirmed episode costs (proctor.review)
    label: Promise  # Russian, lazy: shown in the language of whoever reads the page, report or dashboard
    events: tuple[BrowserEvent, ...] = ()  # browser kinds only

    @property
    def instant(self) -> bool:
        """A single browser event (``mark``) rather than an on/off state (``set_state``)."""
        return bool(self.events) and all(event.active is None for event in self.events)


class UnknownKind(LookupError):
    """A kind the registry does not list."""


REGISTRY: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(Kind.NO_FACE, Family.VISION, min_duration_s=3.0, weight=10, label=_("нет лица в кадре")),
        KindSpec(Kind.MULTIPLE_FACES, Family.VISION, min_duration_s=2.0, weight=25, label=_("в кадре несколько лиц")),
        # Counted in consecutive failed identity checks instead of seconds (Policy.identity_failures).
        KindSpec(
            Kind.IDENTITY_MISMATCH, Family.VISION, min_duration_s=0.0, weight=40, label=_("в кадре другой человек")
        ),
        KindSpec(Kind.LOOKING_AWAY, Family.VISION, min_duration_s=5.0, weight=5, label=_("взгляд в сторону")),
        KindSpec(Kind.CAMERA_LOST, Family.CONNECTION, min_duration_s=3.0, weight=10, label=_("камера потеряна")),
        KindSpec(
            Kind.TAB_HIDDEN,
            Family.BROWSER,
            min_duration_s=2.0,
            weight=10,
            label=_("вкладка скрыта"),
            events=(BrowserEvent("tab_hidden", True), BrowserEvent("tab_visible", False)),
        ),
        KindSpec(
            Kind.FOCUS_LOST,
            Family.BROWSER,
            min_duration_s=3.0,
            weight=5,
            label=_("окно не в фокусе"),
            events=(BrowserEvent("window_blur", True), BrowserEvent("window_focus", False)),
        ),
        KindSpec(
            Kind.FULLSCREEN_EXIT,
            Family.BROWSER,
            min_duration_s=2.0,
            weight=5,
            label=_("выход из полноэкранного режима"),
            events=(BrowserEvent("fullscreen_exit", True), BrowserEvent("fullscreen_enter", False)),
        ),
        KindSpec(
            Kind.DEVTOOLS,
            Family.BROWSER,
            min_duration_s=0.0,
            weight=15,
            label=_("инструменты разработчика"),
            events=(BrowserEvent("devtools_open", True), BrowserEvent("devtools_closed", False)),
        ),
        KindSpec(
            Kind.COPY_PASTE,
            Family.BROWSER,
            min_duration_s=0.0,
            weight=10,
            label=_("копирование / вставка"),
            events=(BrowserEvent("copy", None), BrowserEvent("paste", None)),
        ),
        # Seconds of speech within Policy.speech_window_s (5 s), not unbroken: words and sentences have pauses.
        KindSpec(Kind.SPEECH, Family.AUDIO, min_duration_s=3.0, weight=15, label=_("слышна речь")),
        # Open while the whole screen is not shared: refused, stopped, or never asked for after a reload.
        KindSpec(
            Kind.SCREEN_SHARE_STOPPED,
            Family.BROWSER,
            min_duration_s=3.0,
            weight=20,
            label=_("экран не показан"),
            events=(BrowserEvent("screen_share_stopped", True), BrowserEvent("screen_share_started", False)),
        ),
        # Only where the browser has the Window Management API (screen.isExtended); elsewhere it is never reported.
        KindSpec(
            Kind.SECOND_MONITOR,
            Family.BROWSER,
            min_duration_s=0.0,
            weight=15,
            label=_("подключён второй монитор"),
            events=(BrowserEvent("second_monitor", True), BrowserEvent("single_monitor", False)),
        ),
    )
}
"""Every kind by its name, in the order reports and docs list them."""


def spec(kind: str) -> KindSpec:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise UnknownKind(f"unknown episode kind {kind!r} (proctor.kinds.REGISTRY)") from None


@cache  # REGISTRY is fixed at import; the speech engine asks ~31 times per audio-second per student
def of_family(family: Family) -> tuple[str, ...]:
    return tuple(kind for kind, entry in REGISTRY.items() if entry.family == family)


def state_kinds() -> tuple[str, ...]:
    """Browser kinds that begin and end (fed with ``EpisodeEngine.set_state``)."""
    return tuple(k for k, entry in REGISTRY.items() if entry.family == Family.BROWSER and not entry.instant)


def instant_kinds() -> tuple[str, ...]:
    """Browser kinds that are single events (fed with ``EpisodeEngine.mark``)."""
    return tuple(k for k, entry in REGISTRY.items() if entry.family == Family.BROWSER and entry.instant)


def label(kind: str) -> str:
    """The kind's label in the active language."""
    return str(spec(kind).label)


def labels() -> dict[str, str]:
    """Every kind's label in the active language, for the pages' JavaScript (a ``json_script`` config)."""
    return {kind: str(entry.label) for kind, entry in REGISTRY.items()}


def weight(kind: str) -> int:
    return spec(kind).weight
