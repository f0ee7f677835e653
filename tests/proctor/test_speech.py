"""The voice detector and listener on real audio: espeak-ng sentences mixed into generated backgrounds.

The scenes are the tuning part of bench/audio_corpus.py (bench/speech_accuracy.py also reports the held-out
voices). Synthetic speech is easier than a real voice; these tests pin behaviour, the bench measures accuracy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.audio_corpus import BACKGROUNDS, RATE, SHORT_UTTERANCE, TUNING_UTTERANCES, Utterance, require_espeak, scene
from proctor.audio import vad
from proctor.audio.listener import ClipBuffer, listen
from proctor.audio.vad import VoiceDetector
from proctor.policy import DEFAULT_POLICY

CHUNK = 320  # 20 ms, as WebRTC delivers audio
ONSET_TOLERANCE_S = 0.3
END_TOLERANCE_S = 1.0  # under music the detector stays on up to ~0.9 s after the voice stops


@pytest.fixture(scope="module", autouse=True)
def espeak() -> None:
    require_espeak()


def as_stream(samples: np.ndarray) -> list[tuple[float, np.ndarray]]:
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    return [(start / RATE, pcm[start : start + CHUNK]) for start in range(0, len(pcm), CHUNK)]


VOICE_RU, WHISPER_RU, VOICE_EN, _WHISPER_EN = TUNING_UTTERANCES


@pytest.mark.parametrize(
    ("background", "utterance"),
    [("silence", VOICE_RU), ("keyboard", VOICE_EN), ("fan", VOICE_RU), ("music", VOICE_EN), ("silence", WHISPER_RU)],
)
def test_a_spoken_sentence_is_one_speech_episode_from_its_onset(background: str, utterance: Utterance) -> None:
    sound = scene("test", background, ((4.0, utterance),), seconds=14.0)
    heard = listen(as_stream(sound.samples), DEFAULT_POLICY)
    [(start, end)] = sound.speech
    assert [(e.kind, e.start, e.end) for e in heard.episodes] == [
        ("speech", pytest.approx(start, abs=ONSET_TOLERANCE_S), pytest.approx(end, abs=END_TOLERANCE_S))
    ]
    [clip] = heard.clips.values()
    assert clip[:4] == b"RIFF"
    clip_seconds = (len(clip) - 44) / 2 / RATE
    # From a second before the onset to the decision, 3-5 s later.
    assert 3.0 + 1.0 <= clip_seconds <= DEFAULT_POLICY.speech_window_s + 1.0


@pytest.mark.parametrize("background", list(BACKGROUNDS))
def test_noise_and_silence_give_no_episode(background: str) -> None:
    sound = scene("test", background, seconds=30.0, seed=7)
    assert listen(as_stream(sound.samples), DEFAULT_POLICY).episodes == []


def test_a_short_remark_is_below_the_policy() -> None:
    sound = scene("test", "keyboard", ((3.0, SHORT_UTTERANCE), (9.0, SHORT_UTTERANCE)), seconds=14.0)
    assert listen(as_stream(sound.samples), DEFAULT_POLICY).episodes == []


def test_a_quiet_room_never_runs_silero_and_speech_starts_it_until_the_room_is_quiet_again() -> None:
    detector = VoiceDetector()
    quiet = (scene("test", "silence", seconds=5.0).samples * 32767).astype(np.int16)
    assert not any(detector.feed(quiet))
    assert (detector.counts.gated, detector.counts.starts, detector.listening) == (0, 0, False)
    spoken = (scene("test", "silence", ((0.5, VOICE_RU),), seconds=9.0).samples * 32767).astype(np.int16)
    assert any(detector.feed(spoken))
    detector.feed(quiet)  # quiet again: Silero stops following the stream
    assert not detector.listening
    assert detector.counts.starts >= 1
    assert 0 < detector.counts.gated < detector.counts.windows


def test_streams_heard_together_decide_as_each_heard_alone() -> None:
    """The batched path (one Silero call per step for all streams) gives every stream the decisions it gets alone,
    whatever the other streams are doing: speech starting at other times, silence, noise, chunks of other sizes."""
    sounds = [
        scene("a", "silence", ((0.5, VOICE_RU),), seconds=6.0),
        scene("b", "fan", ((2.0, VOICE_EN),), seconds=6.0),
        scene("c", "silence", seconds=6.0),
        scene("d", "music", ((1.0, WHISPER_RU),), seconds=6.0),
    ]
    pcms = [(sound.samples * 32767).astype(np.int16) for sound in sounds]
    alone = [VoiceDetector().feed(pcm) for pcm in pcms]
    detectors = [VoiceDetector() for _ in pcms]
    together: list[list[bool]] = [[] for _ in pcms]
    steps = [3000, 5000, 7000, 9000]  # each stream's own chunk size
    for call in range(max(len(pcm) // step + 1 for pcm, step in zip(pcms, steps, strict=True))):
        chunks = [pcm[call * step : (call + 1) * step] for pcm, step in zip(pcms, steps, strict=True)]
        heard = vad.decide_together(list(zip(detectors, chunks, strict=True)))
        for decisions, new in zip(together, heard, strict=True):
            decisions += new
    assert together == alone
    assert sum(any(decisions) for decisions in alone) == 3  # three streams speak, the silent one does not


def test_a_chunk_split_anywhere_gives_the_same_decisions() -> None:
    pcm = (scene("test", "fan", ((1.0, VOICE_EN),), seconds=7.0).samples * 32767).astype(np.int16)
    whole = VoiceDetector().feed(pcm)
    pieces = VoiceDetector()
    split = [decision for start in range(0, len(pcm), 777) for decision in pieces.feed(pcm[start : start + 777])]
    assert split == whole


def test_the_clip_buffer_keeps_only_the_last_seconds() -> None:
    buffer = ClipBuffer(keep_s=2.0)
    for second in range(6):
        buffer.add(float(second), np.full(RATE, second, dtype=np.int16))
    # The newest chunk (5-6 s) and the 2 s before it (3-5 s), in whole chunks: 2-3 s ends at the limit.
    assert len(buffer.clip(0.0, 6.0)) == 4 * RATE
    assert set(buffer.clip(4.5, 5.5).tolist()) == {4, 5}


def test_onnxruntime_is_loaded_by_the_first_stream_that_listens_not_by_importing_the_analyst() -> None:
    """daphne and the media process import the analyst's module but never listen: they do without ~20 MB."""
    script = (
        "import sys, numpy as np\n"
        "import proctor.live.analyst\n"
        "from proctor.audio.vad import VoiceDetector\n"
        "before = 'onnxruntime' in sys.modules\n"
        "loud = (np.random.default_rng(0).standard_normal(16000) * 3000).astype(np.int16)\n"
        "VoiceDetector().feed(loud)\n"
        "print(before, 'onnxruntime' in sys.modules)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["False", "True"]
