"""``speech`` episodes from the engine: the policy's "3 s of speech within 5 s" (pure logic, no audio)."""

from __future__ import annotations

import pytest

from proctor.episodes import EpisodeEngine, EpisodeEvent, TimestampError
from proctor.policy import Policy

STEP = 0.05  # 20 decisions a second (the voice detector makes ~31: 32-ms windows)


def hear(engine: EpisodeEngine, pattern: str, step: float = STEP, start: float = 0.0) -> list[EpisodeEvent]:
    """One window per character: ``#`` speech, ``.`` not; the window's index is its evidence ref."""
    events = []
    for index, mark in enumerate(pattern):
        events += engine.hear(start + (index + 1) * step, "speech", mark == "#", ref=index)
    return events


def seconds(duration: float, mark: str, step: float = STEP) -> str:
    return mark * round(duration / step)


def spans(engine: EpisodeEngine) -> list[tuple[str, float, float, float | None]]:
    return [(e.kind, round(e.start, 2), round(e.end or 0, 2), e.peak) for e in engine.episodes]


def test_three_seconds_of_speech_open_an_episode_at_its_onset_three_seconds_later() -> None:
    engine = EpisodeEngine()
    events = hear(engine, seconds(2, ".") + seconds(4, "#") + seconds(4, "."))
    engine.finish(10.0)
    opened = [event for event in events if event.action == "opened"]
    assert [(round(e.episode.start, 2), round(e.at, 2), e.episode.evidence_ref) for e in opened] == [(2.0, 5.0, 40)]
    assert spans(engine) == [("speech", 2.0, 6.0, 4.0)]


def test_speech_with_the_pauses_of_dictation_is_one_episode() -> None:
    phrase = seconds(0.7, "#") + seconds(0.2, ".")  # words and the gaps between them
    sentence = phrase * 4 + seconds(1.0, ".")  # 2.8 s of speech, then a breath
    engine = EpisodeEngine()
    hear(engine, seconds(1, ".") + sentence * 4 + seconds(5, "."))
    engine.finish(30.0)
    assert [(kind, start) for kind, start, _end, _peak in spans(engine)] == [("speech", 1.0)]
    (episode,) = engine.episodes
    assert episode.end == pytest.approx(1 + 4 * 4.6 - 1.0 - 0.2)  # the end of the last word
    assert episode.peak == pytest.approx(4 * 2.8)


def test_short_remarks_with_long_silences_never_flag() -> None:
    remark = seconds(1.5, "#") + seconds(4, ".")  # "yes, fine", then quiet: 1.5 s in any 5 s
    engine = EpisodeEngine()
    hear(engine, remark * 6)
    engine.finish(40.0)
    assert engine.episodes == []


def test_two_and_a_half_seconds_do_not_flag_and_three_do() -> None:
    for speech, expected in ((2.5, 0), (3.0, 1)):
        engine = EpisodeEngine()
        hear(engine, seconds(1, ".") + seconds(speech, "#") + seconds(3, "."))
        engine.finish(20.0)
        assert len(engine.episodes) == expected


def test_speech_after_a_pause_longer_than_the_window_allows_is_a_new_episode() -> None:
    engine = EpisodeEngine()
    hear(engine, seconds(1, ".") + seconds(4, "#") + seconds(2.5, ".") + seconds(4, "#") + seconds(3, "."))
    engine.finish(20.0)
    assert spans(engine) == [("speech", 1.0, 5.0, 4.0), ("speech", 7.5, 11.5, 4.0)]


def test_an_audio_gap_is_not_speech() -> None:
    engine = EpisodeEngine()
    engine.hear(1.0, "speech", True)
    engine.hear(2.0, "speech", True)  # 1 s of speech
    engine.hear(60.0, "speech", True)  # a minute later: only the last second is counted
    engine.hear(60.5, "speech", True)
    engine.finish(61.0)
    assert engine.episodes == []


def test_an_open_episode_ends_before_a_gap_in_the_audio() -> None:
    engine = EpisodeEngine()
    hear(engine, seconds(1, ".") + seconds(4, "#"))  # open, speech until 5 s
    events = hear(engine, seconds(1, "#"), start=65.0)  # the microphone is back a minute later, speaking
    assert [(e.action, e.episode.start, round(e.episode.end or 0, 2), round(e.at, 2)) for e in events] == [
        ("closed", 1.0, 5.0, 65.05)
    ]
    engine.finish(70.0)
    assert spans(engine) == [("speech", 1.0, 5.0, 4.0)]  # the second after the gap is not enough for another


def test_sensitivity_and_the_window_come_from_the_policy() -> None:
    pattern = seconds(1, ".") + seconds(2, "#") + seconds(4, ".")
    for policy, expected in (
        (Policy(), 0),
        (Policy.from_dict({"sensitivity": "high"}), 1),  # 1.8 s within 5 s
        (Policy.from_dict({"rules": {"speech": {"min_duration_s": 2.0}}}), 1),
        (Policy.from_dict({"rules": {"speech": {"enabled": False}}, "sensitivity": "high"}), 0),
    ):
        engine = EpisodeEngine(policy)
        hear(engine, pattern)
        engine.finish(10.0)
        assert len(engine.episodes) == expected, policy
    sparse = (seconds(0.5, "#") + seconds(0.5, ".")) * 8  # half of every second: 2.5 s in 5 s
    for window, expected in ((5.0, 0), (6.0, 1)):
        engine = EpisodeEngine(Policy.from_dict({"speech_window_s": window}))
        hear(engine, sparse)
        engine.finish(10.0)
        assert len(engine.episodes) == expected, window


def test_an_open_episode_closes_at_finish_at_its_last_speech() -> None:
    engine = EpisodeEngine()
    hear(engine, seconds(5, "#") + seconds(0.5, "."))
    events = engine.finish(5.5)
    assert [(e.action, round(e.episode.end or 0, 2)) for e in events] == [("closed", 5.0)]


def test_speech_is_independent_of_the_camera_and_time_must_not_go_back() -> None:
    engine = EpisodeEngine(start=0.0)
    hear(engine, seconds(4, "#"))
    assert [e.kind for e in engine.open_episodes] == ["speech"]
    with pytest.raises(TimestampError):
        engine.hear(1.0, "speech", True)
    with pytest.raises(ValueError, match="not an audio kind"):
        engine.hear(5.0, "no_face", True)
