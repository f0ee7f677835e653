"""The violation engine: timestamped observations and browser signals in, debounced episodes out.

Pure and deterministic: no clocks, no I/O, no models; the same inputs always give the same
episodes. One :class:`EpisodeEngine` per exam session; every call carries a timestamp in
seconds that must never go backwards (:class:`TimestampError` otherwise).

How a condition becomes an episode (per kind, thresholds from :class:`proctor.policy.Policy`):

* A condition *starts* at the first observation that shows it (``no_face``: 0 faces,
  ``multiple_faces``: 2 or more, ``looking_away``: the single face's yaw/pitch/gaze past the
  limits, ``identity_mismatch``: the last identity check of the present face failed).
* It becomes an episode once it has held for the kind's minimum duration (``identity_mismatch``:
  once ``identity_failures`` checks in a row failed). The episode's ``start`` is when the
  condition began, not when the debounce elapsed; ``EpisodeEvent.at`` says when it was decided.
  Held = from the first bad observation to the current one, or to the first good one after
  it (both sampled the same way, so a 3.0 s absence sampled at any rate measures 3.0 s).
* Hysteresis: a clear stretch of at most ``bridge_s``, and shorter than the bad stretch before
  it, does not end the condition, so a single good frame does not split an episode and a single
  bad frame never opens one; a condition that flaps at every frame is not sustained. An episode
  ends at the first clear observation of a clear stretch that is not bridged.
* ``camera_lost``: no frame at all for the minimum duration (call :meth:`tick` while frames
  are missing); from the last frame to the next. Vision conditions stop at the last frame. An engine
  made with ``camera_lost=True`` starts inside a gap already recorded (a media worker died and another
  took the session over) and continues that episode instead of opening a second one. It ends at the first
  frame of a run that lasts camera_lost's minimum duration without a :meth:`tick`: a new peer's first
  frames come in fits (here one frame, then 5-8 s of nothing while Chromium's encoder settled), and one
  frame must not split the gap in two.
* Browser kinds: :meth:`set_state` for on/off signals (``tab_hidden``, ``focus_lost``,
  ``fullscreen_exit``, ``devtools``, same debounce and bridging), :meth:`mark` for single
  events (``copy_paste``: an episode with start == end).
* Audio kinds (``speech``): :meth:`hear` with each stretch of audio and whether a voice detector called it
  speech (:mod:`proctor.audio`); an episode needs the minimum duration *within* ``speech_window_s``, not
  unbroken (:class:`_Sustained` says why and how it ends).
* :meth:`finish` closes whatever is open at the session end.

Which kinds there are, and how each is fed (its family), comes from :mod:`proctor.kinds`; only the
vision readings in :meth:`EpisodeEngine.observe` are written here, one per vision kind.

Evidence: each episode carries ``evidence_ref``, the ``frame_ref`` of the observation where
the condition began (the last analysed frame for camera/browser kinds). The caller keeps
the frames listed by :meth:`retained_refs` and encodes the snapshot when an episode opens.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from . import kinds
from .kinds import Family, Kind
from .observations import Observation
from .policy import DEFAULT_POLICY, Policy

EPSILON = 1e-6  # timestamps are floats: 6.0 - 3.0 must count as 3 s


class TimestampError(ValueError):
    """A timestamp that is not a finite number or goes backwards."""


class SessionFinished(RuntimeError):
    """The session was already finished; nothing more can be fed to it."""


@dataclass(frozen=True)
class Episode:
    kind: str
    start: float
    end: float | None  # None while still open
    peak: float | None  # faces (multiple_faces), lowest similarity (identity_mismatch), largest angle in degrees
    # (looking_away), longest frame gap in s (camera_lost), caller's value (browser kinds); None for no_face
    evidence_ref: Hashable | None

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class EpisodeEvent:
    action: str  # "opened" or "closed"
    episode: Episode
    at: float  # the time at which the engine decided (>= episode.start)
    evidence: Any = None  # the evidence frame, when the caller attaches it (SessionAnalyzer does)


class _Condition:
    """Debounce and hysteresis for one kind of condition."""

    def __init__(self, kind: str, min_duration: float, bridge_s: float, lower_is_worse: bool = False) -> None:
        self.kind = kind
        self.min_duration = min_duration
        self.bridge_s = bridge_s
        self.lower_is_worse = lower_is_worse
        self._reset()

    def _reset(self) -> None:
        self.start: float | None = None
        self.ref: Hashable | None = None
        self.peak: float | None = None
        self.stretch_start: float | None = None  # start of the current uninterrupted bad stretch
        self.gap_start: float | None = None
        self.active = False
        self.ready = True

    @property
    def pending(self) -> bool:
        return self.start is not None and not self.active

    def update(self, t: float, bad: bool, value: float | None, ref: Hashable | None, ready: bool = True) -> list:
        events = []
        if self.start is not None and self.gap_start is not None:
            interrupted = not self._bridges(t) if bad else t - self.gap_start > self.bridge_s + EPSILON
            if interrupted:
                events += self._end(self.gap_start, t)  # the clear stretch was a real interruption
        if bad:
            if self.start is None:
                self.start, self.ref, self.peak = t, ref, value
            else:
                self.peak = self._worse(self.peak, value)
            if self.gap_start is not None or self.stretch_start is None:
                self.stretch_start = t
            self.gap_start = None
            self.ready = ready
            if not self.active and ready and t - self.start >= self.min_duration - EPSILON:
                events.append(self._open(t))
        elif self.start is not None and self.gap_start is None:
            self.gap_start = t
            if not self.active and self.ready and t - self.start >= self.min_duration - EPSILON:
                events.append(self._open(t))
        return events

    def _bridges(self, t: float) -> bool:
        """Whether the clear stretch that ends at ``t`` is a blip inside the condition.

        It must be at most ``bridge_s`` long and shorter than the bad stretch before it, so that
        a condition flapping on and off at every frame is not mistaken for a sustained one.
        """
        assert self.gap_start is not None, "asked only inside a clear stretch"
        assert self.stretch_start is not None, "a clear stretch follows a bad one"
        gap = t - self.gap_start
        return gap <= self.bridge_s + EPSILON and gap < self.gap_start - self.stretch_start - EPSILON

    def finish(self, end: float, at: float) -> list:
        """Close at ``end`` (or where the current clear stretch began), opening first if it qualifies."""
        if self.start is None:
            return []
        end = self.gap_start if self.gap_start is not None else end
        events = []
        if not self.active and self.ready and end - self.start >= self.min_duration - EPSILON:
            events.append(self._open(at))
        return events + self._end(end, at)

    def _open(self, at: float) -> EpisodeEvent:
        assert self.start is not None, "opened only while the condition holds"
        self.active = True
        return EpisodeEvent("opened", Episode(self.kind, self.start, None, self.peak, self.ref), at)

    def _end(self, end: float, at: float) -> list:
        events = []
        if self.active:
            assert self.start is not None, "an active condition has its start"
            events.append(EpisodeEvent("closed", Episode(self.kind, self.start, end, self.peak, self.ref), at))
        self._reset()
        return events

    def _worse(self, old: float | None, new: float | None) -> float | None:
        if old is None or new is None:
            return new if old is None else old
        return min(old, new) if self.lower_is_worse else max(old, new)


@dataclass
class _Span:
    start: float
    end: float
    ref: Hashable | None


class _Sustained:
    """A condition that counts when it fills enough of a sliding window: "3 s of speech within 5 s".

    Speech is never continuous: words have gaps of a tenth of a second, sentences of half a second or more, and
    a voice detector misses some syllables (whispers especially). A debounce that needs the condition unbroken
    (:class:`_Condition`, for faces and browser states) would never see a dictated answer, and
    a bridge long enough to hold it together would also join a cough to a sneeze. So ``speech`` is judged by
    how much of the last ``window_s`` seconds was speech:

    * Input: consecutive stretches of audio, each speech or not (``update(t, on, ref)``: from the previous ``t``
      to this one). A stretch longer than ``max_step_s`` is a gap in the audio (the microphone stopped): only
      its last ``max_step_s`` are counted as heard, as silence.
    * Opens when the speech within ``[t - window_s, t]`` adds up to ``min_s``. The episode starts where that
      speech began (the first speech stretch in the window, whole), and its evidence ref is that stretch's.
    * Ends at the end of the last speech, decided once the silence after it has lasted ``window_s - min_s``
      (at least ``min_pause_s``): the longest pause that could still sit inside a window that holds ``min_s``
      of speech, so one conversation with pauses is one episode. Peak: the seconds of speech in the episode.
    * Speech counted into an episode is used up: a new episode needs ``min_s`` of new speech.

    Pure and deterministic like the rest of the engine (times must not go backwards; the engine checks).
    """

    def __init__(
        self, kind: str, min_s: float, window_s: float, max_step_s: float = 1.0, min_pause_s: float = 0.5
    ) -> None:
        self.kind = kind
        self.min_s = min_s
        self.window_s = max(window_s, min_s)
        self.max_step_s = max_step_s
        self.pause_s = max(self.window_s - min_s, min_pause_s)
        self._last_t: float | None = None
        self._spans: deque[_Span] = deque()  # speech within the window (or the open episode's), merged, in order
        self._open: Episode | None = None
        self._heard = 0.0  # seconds of speech in the open episode
        self._last_speech_end: float | None = None

    def update(self, t: float, on: bool, ref: Hashable | None) -> list[EpisodeEvent]:
        start = t if self._last_t is None else max(self._last_t, t - self.max_step_s)
        self._last_t = t
        events = []
        if self._pause_over(start):  # a gap in the audio longer than the pause: the episode ended before it
            events.append(self._close(t))
        if on and t > start + EPSILON:
            self._add(start, t, ref)
        while self._spans and self._spans[0].end <= t - self.window_s + EPSILON and self._open is None:
            self._spans.popleft()
        if self._open is not None:
            if not on and self._pause_over(t):
                events.append(self._close(t))
        elif self._held(t) >= self.min_s - EPSILON and self._spans:
            first = self._spans[0]
            self._heard = sum(span.end - span.start for span in self._spans)
            self._open = Episode(self.kind, first.start, None, None, first.ref)
            events.append(EpisodeEvent("opened", self._open, t))
        return events

    def finish(self, t: float) -> list[EpisodeEvent]:
        """The audio ended at ``t``: close an open episode at the end of its last speech."""
        return [self._close(t)] if self._open is not None else []

    def _pause_over(self, t: float) -> bool:
        """Whether an open episode's silence has lasted the pause by ``t``."""
        if self._open is None:
            return False
        assert self._last_speech_end is not None, "an open episode has heard speech"
        return t - self._last_speech_end >= self.pause_s - EPSILON

    def _add(self, start: float, end: float, ref: Hashable | None) -> None:
        if self._spans and start <= self._spans[-1].end + EPSILON:
            self._spans[-1].end = end
        else:
            self._spans.append(_Span(start, end, ref))
        if self._open is not None:
            self._heard += end - start
        self._last_speech_end = end

    def _held(self, t: float) -> float:
        since = t - self.window_s
        return sum(max(0.0, span.end - max(span.start, since)) for span in self._spans)

    def _close(self, at: float) -> EpisodeEvent:
        """Close the open episode at the end of its last speech (decided at ``at``)."""
        assert self._open is not None, "closed only while open"
        assert self._last_speech_end is not None, "an open episode has heard speech"
        episode = Episode(
            self.kind, self._open.start, self._last_speech_end, round(self._heard, 3), self._open.evidence_ref
        )
        self._open, self._heard = None, 0.0
        self._spans.clear()
        return EpisodeEvent("closed", episode, at)


class EpisodeEngine:
    """Episodes of one exam session (see the module docstring for the rules)."""

    def __init__(self, policy: Policy = DEFAULT_POLICY, start: float | None = None, camera_lost: bool = False) -> None:
        """``start``: the session start; when given, no frame at all for the debounce is camera_lost.

        ``camera_lost``: the camera has been lost since ``start`` and that episode is already open (recorded by
        whoever saw the gap begin); the engine continues it until the stream is back (see the module docstring).
        """
        self.policy = policy
        self._now = -math.inf
        self._finished = False
        if start is not None:
            self._advance(start)
        bridge = policy.bridge_s
        self._vision = {
            kind: _Condition(kind, policy.min_duration(kind), bridge, lower_is_worse=kind == Kind.IDENTITY_MISMATCH)
            for kind in kinds.of_family(Family.VISION)
            if policy.enabled(kind)
        }
        state_kinds = kinds.state_kinds()
        self._states = {
            kind: _Condition(kind, policy.min_duration(kind), bridge) for kind in state_kinds if policy.enabled(kind)
        }
        self._state_on = dict.fromkeys(state_kinds, False)
        self._audio = {
            kind: _Sustained(kind, policy.min_duration(kind), policy.speech_window_s, min_pause_s=bridge)
            for kind in kinds.of_family(Family.AUDIO)
            if policy.enabled(kind)
        }
        self._instant_kinds = kinds.instant_kinds()
        self._last_frame_t = start
        self._last_frame_ref: Hashable | None = None
        self._camera_lost: Episode | None = None
        self._failed_checks = 0
        self._open: dict[str, Episode] = {}
        self._closed: list[Episode] = []
        self._continued = False  # the open camera_lost is a recorded gap this engine continues
        self._back_at: float | None = None  # ... and the first frame of the run that may end it
        if camera_lost and start is not None and policy.enabled(Kind.CAMERA_LOST):
            self._camera_lost = self._open[Kind.CAMERA_LOST] = Episode(Kind.CAMERA_LOST, start, None, None, None)
            self._continued = True

    # ----------------------------------------------------------------- inputs

    def observe(self, observation: Observation) -> list[EpisodeEvent]:
        """An analysed frame."""
        t = observation.t
        self._advance(t)
        events = self._frame_arrived(t, observation.frame_ref)
        single = observation.faces == 1
        if not single:
            self._failed_checks = 0  # a new face to check will appear
        elif observation.identity is not None:
            failed = observation.identity < self.policy.identity_threshold
            self._failed_checks = self._failed_checks + 1 if failed else 0
        readings: dict[str, tuple[bool, float | None]] = {  # one per vision kind (tests/proctor/test_kinds.py)
            Kind.NO_FACE: (observation.faces == 0, None),
            Kind.MULTIPLE_FACES: (observation.faces >= 2, float(observation.faces)),
            Kind.IDENTITY_MISMATCH: (single and self._failed_checks > 0, observation.identity),
            Kind.LOOKING_AWAY: self._looking_away(observation),
        }
        for kind, condition in self._vision.items():
            bad, value = readings[kind]
            ready = kind != Kind.IDENTITY_MISMATCH or self._failed_checks >= self.policy.identity_failures
            events += condition.update(t, bad, value, observation.frame_ref, ready)
        events += self._update_states(t)
        return self._record(events)

    def frame(self, t: float) -> list[EpisodeEvent]:
        """A frame arrived but was not analysed (keeps camera_lost honest between analysed frames)."""
        self._advance(t)
        return self._record(self._frame_arrived(t, None) + self._update_states(t))

    def tick(self, t: float) -> list[EpisodeEvent]:
        """Time passes without a frame: opens camera_lost, advances browser states."""
        self._advance(t)
        self._back_at = None  # a continued gap goes on: the frames stopped again
        events = []
        min_duration = self.policy.min_duration(Kind.CAMERA_LOST)
        if (
            self.policy.enabled(Kind.CAMERA_LOST)
            and self._camera_lost is None
            and self._last_frame_t is not None
            and t - self._last_frame_t >= min_duration - EPSILON
        ):
            self._camera_lost = Episode(Kind.CAMERA_LOST, self._last_frame_t, None, None, self._last_frame_ref)
            events.append(EpisodeEvent("opened", self._camera_lost, t))
            events += self._interrupt_vision(self._last_frame_t, t)
        return self._record(events + self._update_states(t))

    def set_state(self, kind: str, t: float, active: bool) -> list[EpisodeEvent]:
        """A browser on/off signal, e.g. ``set_state("tab_hidden", t, True)`` ... ``False``."""
        if kind not in self._state_on:
            raise ValueError(f"{kind!r} is not an on/off kind ({', '.join(self._state_on)})")
        self._advance(t)
        self._state_on[kind] = bool(active)
        return self._record(self._update_states(t))

    def mark(self, kind: str, t: float, value: float | None = None) -> list[EpisodeEvent]:
        """A single browser event, e.g. ``mark("copy_paste", t)``: an episode from t to t."""
        if kind not in self._instant_kinds:
            raise ValueError(f"{kind!r} is not a single-event kind ({', '.join(self._instant_kinds)})")
        self._advance(t)
        events = self._update_states(t)
        if self.policy.enabled(kind):
            episode = Episode(kind, t, t, value, self._last_frame_ref)
            events += [EpisodeEvent("opened", episode, t), EpisodeEvent("closed", episode, t)]
        return self._record(events)

    def hear(self, t: float, kind: str, on: bool, ref: Hashable | None = None) -> list[EpisodeEvent]:
        """Audio from the previous :meth:`hear` to ``t``, and whether it was ``kind`` (e.g. ``speech``)."""
        if kind not in kinds.of_family(Family.AUDIO):
            raise ValueError(f"{kind!r} is not an audio kind ({', '.join(kinds.of_family(Family.AUDIO))})")
        self._advance(t)
        condition = self._audio.get(kind)
        return self._record(condition.update(t, on, ref) if condition is not None else [])

    def finish(self, t: float) -> list[EpisodeEvent]:
        """The session ended at ``t``: close every open episode, decide every pending one."""
        self._advance(t)
        events = self._frame_arrived(t, None, closing=True)
        for condition in (*self._vision.values(), *self._states.values()):
            events += condition.finish(t, t)
        for sustained in self._audio.values():
            events += sustained.finish(t)
        self._finished = True
        return self._record(events)

    # ---------------------------------------------------------------- outputs

    @property
    def episodes(self) -> list[Episode]:
        """Closed episodes, by start time."""
        return sorted(self._closed, key=lambda e: (e.start, e.kind))

    @property
    def now(self) -> float:
        """The newest time fed to the engine (-inf before the first)."""
        return self._now

    @property
    def open_episodes(self) -> list[Episode]:
        return sorted(self._open.values(), key=lambda e: (e.start, e.kind))

    def retained_refs(self) -> set[Hashable]:
        """Frame refs that may still become evidence: keep these frames, drop the others."""
        refs = {c.ref for c in (*self._vision.values(), *self._states.values()) if c.pending}
        refs.add(self._last_frame_ref)
        refs.discard(None)
        return refs

    # -------------------------------------------------------------- internals

    def _advance(self, t: float) -> None:
        if self._finished:
            raise SessionFinished("the session is finished; start a new engine")
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise TimestampError(f"timestamp must be a finite number of seconds, not {t!r}")
        if t < self._now:
            raise TimestampError(f"timestamp {t:.3f} s is earlier than the previous one ({self._now:.3f} s)")
        self._now = t

    def _frame_arrived(self, t: float, ref: Hashable | None, closing: bool = False) -> list[EpisodeEvent]:
        """Close (or record a whole) camera_lost; ``closing``: called by finish, no frame arrived."""
        events = []
        if self._camera_lost is not None and self._continued and not closing:
            self._back_at = t if self._back_at is None else self._back_at
            if t - self._back_at >= self.policy.min_duration(Kind.CAMERA_LOST) - EPSILON:
                events.append(self._close_camera_lost(self._back_at, t))
        elif self._camera_lost is not None:
            events.append(self._close_camera_lost(t if self._back_at is None else self._back_at, t))
        elif (
            self.policy.enabled(Kind.CAMERA_LOST)
            and self._last_frame_t is not None
            and t - self._last_frame_t >= self.policy.min_duration(Kind.CAMERA_LOST) - EPSILON
        ):
            self._camera_lost = Episode(Kind.CAMERA_LOST, self._last_frame_t, None, None, self._last_frame_ref)
            events.append(EpisodeEvent("opened", self._camera_lost, t))
            events += self._interrupt_vision(self._last_frame_t, t)
            events.append(self._close_camera_lost(t, t))
        if not closing:
            self._last_frame_t = t
            if ref is not None:
                self._last_frame_ref = ref
        return events

    def _close_camera_lost(self, end: float, at: float) -> EpisodeEvent:
        lost = self._camera_lost
        assert lost is not None, "closed only while camera_lost is open"
        self._camera_lost, self._continued, self._back_at = None, False, None
        return EpisodeEvent("closed", Episode(lost.kind, lost.start, end, end - lost.start, lost.evidence_ref), at)

    def _interrupt_vision(self, last_frame: float, at: float) -> list[EpisodeEvent]:
        """Without frames nothing is known about the face: vision conditions stop at the last frame."""
        self._failed_checks = 0
        events = []
        for condition in self._vision.values():
            events += condition.finish(last_frame, at)
        return events

    def _update_states(self, t: float) -> list[EpisodeEvent]:
        events = []
        for kind, condition in self._states.items():
            events += condition.update(t, self._state_on[kind], None, self._last_frame_ref)
        return events

    def _looking_away(self, observation: Observation) -> tuple[bool, float | None]:
        if observation.faces != 1:
            return False, None
        policy = self.policy
        yaw, pitch, gaze = observation.yaw, observation.pitch, observation.gaze
        away = (
            (yaw is not None and abs(yaw) > policy.yaw_limit_deg)
            or (pitch is not None and abs(pitch) > policy.pitch_limit_deg)
            or (gaze is not None and abs(gaze) > policy.gaze_limit)
        )
        angles = [abs(a) for a in (yaw, pitch) if a is not None]
        return away, (max(angles) if angles else None)

    def _record(self, events: list[EpisodeEvent]) -> list[EpisodeEvent]:
        for event in events:
            if event.action == "opened":
                self._open[event.episode.kind] = event.episode
            else:
                self._open.pop(event.episode.kind, None)
                self._closed.append(event.episode)
        return events
