"""Per-exam proctoring policy: which violations count, after how long, and what analysis costs.

A :class:`Policy` is immutable and JSON-serialisable: exams keep ``policy.to_dict()`` in a
JSONField and rebuild it with ``Policy.from_dict(data)``; a partial dict (only the
values an exam changes) is filled in from the defaults, unknown keys and bad values
raise :class:`PolicyError`. The kinds and their default minimum durations come from
:mod:`proctor.kinds`; defaults and their reasons are tabled in docs/proctoring-engine.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import kinds

# Sensitivity scales every minimum duration: "high" flags sooner, "low" later.
SENSITIVITY_FACTORS = {"low": 1.5, "normal": 1.0, "high": 0.6}


class PolicyError(ValueError):
    """A policy dict that cannot be used (message names the offending key)."""


@dataclass(frozen=True)
class KindRule:
    enabled: bool = True
    min_duration_s: float = 0.0


def _default_rules() -> dict[str, KindRule]:
    """Every registered kind enabled, with its minimum duration from proctor.kinds."""
    return {kind: KindRule(True, spec.min_duration_s) for kind, spec in kinds.REGISTRY.items()}


@dataclass(frozen=True)
class Policy:
    sensitivity: str = "normal"
    rules: Mapping[str, KindRule] = field(default_factory=_default_rules)
    # Cost control (see proctor.vision.analyzer).
    analysis_fps: float = 2.0  # analysed frames per second per student
    min_face_px: int = 45  # smallest face that must be found: box width in a 320-px-wide (analysis grade) frame
    identity_interval_s: float = 30.0  # periodic identity re-check while one face stays in view (swaps: see analyzer)
    identity_retry_s: float = 1.0  # a failed check is re-checked this soon; also the minimum gap between checks
    appearance_change: float = 0.75  # colour-histogram overlap below which the face is re-checked at once
    landmarker_interval_s: float = 20.0  # pitch/gaze probe with the FaceLandmarker while the head yaw looks frontal
    # Decisions.
    identity_threshold: float = 0.41  # cosine similarity; no false accept on the verification photos (docs/accuracy.md)
    identity_failures: int = 2  # consecutive failed checks before identity_mismatch opens
    identity_attempts: int = 3  # identity checks a student may ask for in one session; then only a proctor admits
    yaw_limit_deg: float = 30.0
    pitch_limit_deg: float = 25.0
    gaze_limit: float = 0.15  # iris offset from the eye centre (fraction of eye width) counted as eyes off screen
    bridge_s: float = 0.6  # a condition interrupted for at most this long is one episode, not two
    speech_window_s: float = 5.0  # speech's minimum duration counts within this window (3 s of speech within 5 s)

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITY_FACTORS:
            raise PolicyError(f"sensitivity must be one of {', '.join(SENSITIVITY_FACTORS)}, not {self.sensitivity!r}")
        unknown = set(self.rules) - set(kinds.REGISTRY)
        if unknown:
            raise PolicyError(f"unknown episode kind(s) in rules: {', '.join(sorted(unknown))}")
        missing = set(kinds.REGISTRY) - set(self.rules)
        if missing:
            object.__setattr__(self, "rules", {**_default_rules(), **self.rules})
        for name, low, high in _NUMERIC_RANGES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise PolicyError(f"{name} must be a number, not {value!r}")
            if not low <= value <= high:
                raise PolicyError(f"{name} must be between {low} and {high}, not {value}")
        for kind, rule in self.rules.items():
            if not isinstance(rule.enabled, bool):
                raise PolicyError(f"rules.{kind}.enabled must be true or false")
            seconds = rule.min_duration_s
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
                raise PolicyError(f"rules.{kind}.min_duration_s must be between 0 and 3600 seconds")

    def enabled(self, kind: str) -> bool:
        return self.rules[kind].enabled

    def min_duration(self, kind: str) -> float:
        """Seconds the condition must hold, with the sensitivity factor applied."""
        return self.rules[kind].min_duration_s * SENSITIVITY_FACTORS[self.sensitivity]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rules"}
        data["rules"] = {
            kind: {"enabled": rule.enabled, "min_duration_s": rule.min_duration_s} for kind, rule in self.rules.items()
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        """A policy from (possibly partial) JSON data; missing values take the defaults."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise PolicyError("a policy must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise PolicyError(f"unknown policy key(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if k != "rules"}
        rules = _default_rules()
        raw_rules = data.get("rules") or {}
        if not isinstance(raw_rules, Mapping):
            raise PolicyError("rules must be an object keyed by episode kind")
        for kind, raw in raw_rules.items():
            if kind not in rules:
                raise PolicyError(f"unknown episode kind in rules: {kind}")
            if not isinstance(raw, Mapping) or set(raw) - {"enabled", "min_duration_s"}:
                raise PolicyError(f"rules.{kind} must be an object with enabled and/or min_duration_s")
            rules[kind] = replace(rules[kind], **raw)
        for name in ("identity_failures", "identity_attempts"):
            if name in values and not isinstance(values[name], int):
                raise PolicyError(f"{name} must be a whole number")
        return cls(rules=rules, **values)


# (field, lowest, highest) checked on construction.
_NUMERIC_RANGES = (
    ("analysis_fps", 0.2, 30.0),
    ("min_face_px", 10, 2000),
    ("identity_interval_s", 1.0, 3600.0),
    ("identity_retry_s", 0.1, 60.0),
    ("appearance_change", 0.0, 1.0),
    ("landmarker_interval_s", 0.0, 3600.0),
    ("identity_threshold", -1.0, 1.0),
    ("identity_failures", 1, 20),
    ("identity_attempts", 1, 20),
    ("yaw_limit_deg", 1.0, 90.0),
    ("pitch_limit_deg", 1.0, 90.0),
    ("gaze_limit", 0.01, 0.5),
    ("bridge_s", 0.0, 10.0),
    ("speech_window_s", 1.0, 60.0),
)

DEFAULT_POLICY = Policy()
