"""The episode engine on hand-made observation sequences (pure logic, no models)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from proctor.episodes import EpisodeEngine, SessionFinished, TimestampError
from proctor.observations import Observation
from proctor.policy import DEFAULT_POLICY, KindRule, Policy, PolicyError


def feed(faces: list[int], step: float, engine: EpisodeEngine | None = None, **fields) -> EpisodeEngine:
    """Observations with the given face counts every ``step`` seconds from t=0, then finish."""
    engine = engine or EpisodeEngine()
    for index, count in enumerate(faces):
        engine.observe(Observation(index * step, count, frame_ref=index, **fields))
    engine.finish(len(faces) * step)
    return engine


def spans(engine: EpisodeEngine) -> list[tuple[str, float, float]]:
    return [(e.kind, round(e.start, 3), round(e.end, 3)) for e in engine.episodes]


# ------------------------------------------------------------------ debounce


@pytest.mark.parametrize("step", [0.2, 0.5, 1 / 3])
def test_absence_of_exactly_the_threshold_flags_and_just_below_does_not(step: float) -> None:
    absent = round(3.0 / step)
    flagged = feed([1] * 6 + [0] * absent + [1] * 6, step)
    assert spans(flagged) == [("no_face", round(6 * step, 3), round((6 + absent) * step, 3))]
    shorter = feed([1] * 6 + [0] * (absent - 1) + [1] * 6, step)
    assert spans(shorter) == []


def test_onset_is_when_the_condition_began_and_the_decision_comes_after_the_debounce() -> None:
    engine = EpisodeEngine()
    opened = []
    for index in range(40):
        t = index * 0.25
        opened += [
            e for e in engine.observe(Observation(t, 0 if t >= 2.0 else 1, frame_ref=index)) if e.action == "opened"
        ]
    assert len(opened) == 1
    assert opened[0].episode.start == 2.0
    assert opened[0].at == 5.0  # 3 s later, when the debounce elapsed
    assert opened[0].episode.evidence_ref == 8  # the frame where the face disappeared


def test_single_bad_frame_never_flags() -> None:
    faces = [1] * 20
    faces[7] = 0
    faces[12] = 3
    assert spans(feed(faces, 0.5)) == []


def test_flapping_detection_is_not_a_sustained_absence() -> None:
    """A face found on every other frame is present: no no_face episode however long it lasts."""
    assert spans(feed([0, 1] * 50, 0.2)) == []
    assert spans(feed([0, 1, 1] * 30, 0.2)) == []
    # Mostly missing (2 frames in 3) is sustained: the blips are shorter than the bad stretches.
    assert spans(feed([0, 0, 1] * 30, 0.2)) == [("no_face", 0.0, 17.8)]


def test_a_brief_false_detection_does_not_split_an_absence() -> None:
    faces = [1] * 5 + [0] * 9 + [1] + [0] * 9 + [1] + [0] * 9 + [1] * 5  # 0.2 s blips inside 6 s absent
    assert spans(feed(faces, 0.2)) == [("no_face", 1.0, 6.8)]


def test_a_real_return_ends_the_episode_at_the_first_clear_frame() -> None:
    faces = [0] * 20 + [1] * 10 + [0] * 20
    assert spans(feed(faces, 0.2)) == [("no_face", 0.0, 4.0), ("no_face", 6.0, 10.0)]


def test_multiple_faces_uses_its_own_threshold_and_peak() -> None:
    engine = feed([1] * 5 + [2] * 4 + [3] * 2 + [1] * 5, 0.5)
    [episode] = engine.episodes
    assert (episode.kind, episode.start, episode.end, episode.peak) == ("multiple_faces", 2.5, 5.5, 3.0)
    assert spans(feed([1] * 5 + [2] * 3 + [1] * 5, 0.5)) == []  # 1.5 s < 2 s


# ------------------------------------------------------------------ identity


def test_identity_mismatch_needs_consecutive_failed_checks_and_starts_at_the_first() -> None:
    engine = EpisodeEngine()
    checks = {0.0: 0.8, 3.0: 0.1, 4.0: 0.05, 5.0: 0.12}
    for index in range(13):
        t = index * 0.5
        engine.observe(Observation(t, 1, identity=checks.get(t), frame_ref=index))
    engine.finish(6.5)
    [episode] = engine.episodes
    assert (episode.kind, episode.start, episode.end, episode.evidence_ref) == ("identity_mismatch", 3.0, 6.5, 6)
    assert episode.peak == pytest.approx(0.05)


def test_one_failed_check_followed_by_a_match_is_not_an_episode() -> None:
    engine = EpisodeEngine()
    for index, score in enumerate([0.9, None, 0.2, None, 0.85, None, 0.2, None, 0.9]):
        engine.observe(Observation(index * 1.0, 1, identity=score))
    engine.finish(9.0)
    assert engine.episodes == []


def test_the_face_leaving_resets_the_failed_checks() -> None:
    engine = EpisodeEngine()
    for t, faces, score in [(0, 1, 0.1), (1, 0, None), (2, 1, 0.1), (3, 1, 0.9)]:
        engine.observe(Observation(float(t), faces, identity=score))
    engine.finish(4.0)
    assert [e.kind for e in engine.episodes] == []


# ------------------------------------------------------------ looking away


def test_looking_away_after_five_seconds_of_yaw_past_the_limit() -> None:
    engine = EpisodeEngine()
    for index in range(30):
        t = index * 0.5
        engine.observe(Observation(t, 1, yaw=45.0 if 2.0 <= t < 8.0 else 5.0))
    engine.finish(15.0)
    [episode] = engine.episodes
    assert (episode.kind, episode.start, episode.end, episode.peak) == ("looking_away", 2.0, 8.0, 45.0)


@pytest.mark.parametrize(
    ("pitch", "gaze", "flagged"), [(40.0, None, True), (None, 0.3, True), (10.0, 0.05, False), (None, None, False)]
)
def test_pitch_and_gaze_count_as_looking_away(pitch: float | None, gaze: float | None, flagged: bool) -> None:
    engine = EpisodeEngine()
    for index in range(14):
        engine.observe(Observation(index * 0.5, 1, yaw=2.0, pitch=pitch, gaze=gaze))
    engine.finish(7.0)
    assert [e.kind for e in engine.episodes] == (["looking_away"] if flagged else [])


# ------------------------------------------------- overlapping and external


def test_kinds_overlap_independently() -> None:
    engine = EpisodeEngine()
    checks = {9.0: 0.1, 10.0: 0.1}
    for index in range(64):
        t = index * 0.25
        if t == 1.0:
            engine.set_state("tab_hidden", t, True)
        if t == 6.0:
            engine.set_state("tab_hidden", t, False)
        faces = 0 if 2.0 <= t < 8.0 else 1
        engine.observe(Observation(t, faces, identity=checks.get(t), yaw=50.0 if 8.0 <= t < 14.0 else 0.0))
    engine.finish(16.0)
    assert spans(engine) == [
        ("tab_hidden", 1.0, 6.0),
        ("no_face", 2.0, 8.0),
        ("looking_away", 8.0, 14.0),
        ("identity_mismatch", 9.0, 16.0),
    ]


def test_browser_states_are_debounced_and_single_events_are_instant() -> None:
    engine = EpisodeEngine()
    engine.set_state("tab_hidden", 1.0, True)
    engine.set_state("tab_hidden", 2.5, False)  # 1.5 s < 2 s: ignored
    engine.set_state("fullscreen_exit", 3.0, True)
    engine.mark("copy_paste", 4.0)
    engine.tick(5.5)
    assert [e.kind for e in engine.open_episodes] == ["fullscreen_exit"]
    engine.set_state("fullscreen_exit", 6.0, True)
    engine.set_state("fullscreen_exit", 7.0, False)
    engine.finish(20.0)
    assert spans(engine) == [("fullscreen_exit", 3.0, 7.0), ("copy_paste", 4.0, 4.0)]
    with pytest.raises(ValueError, match="on/off"):
        engine.__class__().set_state("copy_paste", 1.0, True)
    with pytest.raises(ValueError, match="single-event"):
        engine.__class__().mark("tab_hidden", 1.0)


# ------------------------------------------------------------- camera lost


def test_camera_lost_opens_on_tick_and_stops_vision_conditions() -> None:
    engine = EpisodeEngine()
    for index in range(9):
        engine.observe(Observation(index * 0.5, 0 if index >= 1 else 1, frame_ref=index))  # no face from 0.5
    assert [e.kind for e in engine.open_episodes] == ["no_face"]
    assert engine.tick(6.9) == []
    events = engine.tick(7.0)  # last frame at 4.0: 3 s without frames
    assert [(e.action, e.episode.kind, e.episode.start, e.episode.end) for e in events] == [
        ("opened", "camera_lost", 4.0, None),
        ("closed", "no_face", 0.5, 4.0),
    ]
    assert events[0].episode.evidence_ref == 8  # the last frame seen
    engine.observe(Observation(9.0, 1))
    engine.finish(10.0)
    assert spans(engine) == [("no_face", 0.5, 4.0), ("camera_lost", 4.0, 9.0)]


def test_a_late_frame_records_the_whole_camera_loss() -> None:
    engine = EpisodeEngine()
    engine.observe(Observation(0.0, 1))
    engine.frame(1.0)
    engine.frame(5.5)
    engine.finish(6.0)
    [episode] = engine.episodes
    assert (episode.kind, episode.start, episode.end, episode.peak) == ("camera_lost", 1.0, 5.5, 4.5)


def test_with_a_session_start_no_frames_at_all_is_camera_lost() -> None:
    engine = EpisodeEngine(start=100.0)
    engine.finish(110.0)
    assert spans(engine) == [("camera_lost", 100.0, 110.0)]


# --------------------------------------------------------------- session end


def test_session_end_closes_open_episodes_and_decides_pending_ones() -> None:
    engine = EpisodeEngine()
    for index in range(8):
        engine.observe(Observation(index * 0.5, 0))  # no face from 0.0, opened at 3.0
    engine.set_state("tab_hidden", 3.5, True)  # pending, 0.5 s at the end: dropped
    assert [e.kind for e in engine.open_episodes] == ["no_face"]
    events = engine.finish(4.0)
    assert [(e.action, e.episode.kind, e.episode.end) for e in events] == [("closed", "no_face", 4.0)]
    assert engine.open_episodes == []
    with pytest.raises(SessionFinished):
        engine.observe(Observation(5.0, 1))


def test_a_condition_long_enough_at_the_end_still_becomes_an_episode() -> None:
    engine = EpisodeEngine()
    engine.observe(Observation(0.0, 1))
    engine.observe(Observation(1.0, 2))
    engine.finish(3.5)
    assert spans(engine) == [("multiple_faces", 1.0, 3.5)]


# ---------------------------------------------------------------- timestamps


def test_timestamps_must_not_go_backwards() -> None:
    engine = EpisodeEngine()
    engine.observe(Observation(5.0, 1))
    engine.observe(Observation(5.0, 1))  # equal is fine
    with pytest.raises(TimestampError, match="earlier than the previous"):
        engine.observe(Observation(4.9, 1))
    with pytest.raises(TimestampError):
        engine.tick(1.0)
    with pytest.raises(TimestampError, match="finite"):
        engine.set_state("tab_hidden", math.nan, True)
    with pytest.raises(TimestampError, match="finite"):
        engine.observe(Observation(math.inf, 1))


def test_the_engine_is_deterministic() -> None:
    faces = [1, 0, 0, 2, 2, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1] * 3
    assert spans(feed(faces, 0.5)) == spans(feed(faces, 0.5))


def test_retained_refs_name_the_frames_that_may_become_evidence() -> None:
    engine = EpisodeEngine()
    engine.observe(Observation(0.0, 1, frame_ref="a"))
    engine.observe(Observation(0.5, 0, frame_ref="b"))  # no_face pending since b
    engine.observe(Observation(1.0, 0, frame_ref="c"))
    assert engine.retained_refs() == {"b", "c"}  # onset frame + last frame (camera/browser evidence)


# ------------------------------------------------------------------- policy


def test_policy_round_trips_through_json_and_fills_in_defaults() -> None:
    import json

    custom = Policy.from_dict({"sensitivity": "high", "rules": {"looking_away": {"enabled": False}}})
    assert Policy.from_dict(json.loads(json.dumps(custom.to_dict()))) == custom
    assert custom.min_duration("no_face") == pytest.approx(3.0 * 0.6)
    assert not custom.enabled("looking_away")
    assert custom.identity_threshold == DEFAULT_POLICY.identity_threshold
    assert Policy.from_dict({}) == DEFAULT_POLICY == Policy.from_dict(None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nonsense": 1}, "unknown policy key"),
        ({"sensitivity": "paranoid"}, "sensitivity"),
        ({"analysis_fps": 0}, "analysis_fps"),
        ({"analysis_fps": "fast"}, "analysis_fps"),
        ({"rules": {"no_face": {"min_duration_s": -1}}}, "rules.no_face"),
        ({"rules": {"teleport": {}}}, "unknown episode kind"),
        ({"identity_failures": 1.5}, "whole number"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_policies_are_refused_with_the_key_named(data: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_dict(data)


def test_disabled_kinds_and_sensitivity_change_what_is_flagged() -> None:
    faces = [1] * 4 + [0] * 5 + [1] * 4  # 2.5 s absent
    assert spans(feed(faces, 0.5)) == []
    high = EpisodeEngine(Policy(sensitivity="high"))  # 3 s * 0.6 = 1.8 s
    assert spans(feed(faces, 0.5, engine=high)) == [("no_face", 2.0, 4.5)]
    off = EpisodeEngine(Policy(sensitivity="high", rules={**DEFAULT_POLICY.rules, "no_face": KindRule(False, 3.0)}))
    assert spans(feed(faces, 0.5, engine=off)) == []
    assert replace(DEFAULT_POLICY, bridge_s=0.0).bridge_s == 0.0
