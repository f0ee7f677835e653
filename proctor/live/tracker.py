"""Debounced episodes from per-frame observations and browser events (pure logic, no I/O).

A condition (``no_face``, ``multiple_faces``, ``other_person``) opens an episode once it
has held for ``open_after`` seconds and closes once it has been absent for
``close_after`` seconds. Browser events open and close episodes directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import SAME_PERSON_COSINE, Observation

VISION_KINDS = ("no_face", "multiple_faces", "other_person")
# Browser events: (episode kind, True = opens / False = closes / None = instant)
BROWSER_EVENTS: dict[str, tuple[str, bool | None]] = {
    "tab_hidden": ("tab_hidden", True),
    "tab_visible": ("tab_hidden", False),
    "window_blur": ("window_blur", True),
    "window_focus": ("window_blur", False),
    "fullscreen_exit": ("fullscreen_exit", True),
    "fullscreen_enter": ("fullscreen_exit", False),
    "copy": ("copy_paste", None),
    "paste": ("copy_paste", None),
    "devtools_open": ("devtools", None),
}


@dataclass(frozen=True)
class Transition:
    kind: str
    opened: bool  # True: the episode starts at ``at``; False: it ends at ``at``
    at: float
    peak: float = 1.0


def conditions(observation: Observation, threshold: float = SAME_PERSON_COSINE) -> set[str]:
    found: set[str] = set()
    if observation.faces == 0:
        found.add("no_face")
    elif observation.faces > 1:
        found.add("multiple_faces")
    elif observation.match is not None and observation.match < threshold:
        found.add("other_person")
    return found


@dataclass
class _Condition:
    since: float | None = None  # first time seen in the current run
    last_seen: float = 0.0
    open: bool = False
    peak: float = 0.0


@dataclass
class EpisodeTracker:
    open_after: float = 1.0
    close_after: float = 1.5
    states: dict[str, _Condition] = field(default_factory=dict)

    def observe(self, observation: Observation, at: float) -> list[Transition]:
        present = conditions(observation)
        transitions: list[Transition] = []
        identity_unknown = observation.faces == 1 and observation.match is None
        for kind in VISION_KINDS:
            state = self.states.setdefault(kind, _Condition())
            if kind == "other_person" and identity_unknown:
                continue  # not compared on this frame: neither evidence for nor against
            if kind in present:
                state.since = at if state.since is None else state.since
                state.last_seen = at
                state.peak = max(state.peak, float(observation.faces) if kind == "multiple_faces" else 1.0)
                if not state.open and at - state.since >= self.open_after:
                    state.open = True
                    transitions.append(Transition(kind, True, at, state.peak))
            elif state.since is not None and at - state.last_seen >= self.close_after:
                if state.open:
                    transitions.append(Transition(kind, False, state.last_seen, state.peak))
                self.states[kind] = _Condition()
        return transitions

    def close_all(self, at: float) -> list[Transition]:
        closing = [Transition(kind, False, at, s.peak) for kind, s in self.states.items() if s.open]
        self.states.clear()
        return closing


def browser_transition(event: str, at: float) -> Transition | None:
    """The transition a browser event causes (instant events open; the caller closes them at once)."""
    if event not in BROWSER_EVENTS:
        return None
    kind, opens = BROWSER_EVENTS[event]
    return Transition(kind, opens is not False, at)
