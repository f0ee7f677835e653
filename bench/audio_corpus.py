"""Labelled test audio for the speech detector, made at run time: nothing recorded, nothing downloaded.

Speech is synthesised by espeak-ng (Debian package ``espeak-ng``, GPL-3; its output is not covered by the
licence): Russian and English sentences written for this project, in normal voices and in espeak's
``whisper`` variants. Everything else is generated here with numpy from a fixed seed: white, pink and fan
noise, keyboard clicks, music (chords and a melody of harmonic tones). A :class:`Scene` mixes one
background with speech placed at known times, so every sample's label (speech or not) is known.

Synthetic voices are easier than real ones (clean onsets, no breath, no room): figures measured on them
are an upper bound, and nothing in proctor.audio is tuned to them. The corpus is split into a *tuning*
part (the voices and sentences a developer may look at) and a *held-out* part (other espeak voice variants
and sentences), reported separately by bench/speech_accuracy.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

RATE = 16000
ESPEAK = "espeak-ng"


class EspeakMissing(RuntimeError):
    """espeak-ng is not installed (``apt-get install espeak-ng``, scripts/setup.sh --test)."""


@dataclass(frozen=True)
class Utterance:
    voice: str  # espeak-ng voice, e.g. "ru", "ru+whisper", "en+f3"
    text: str
    speed: int = 160  # words per minute (espeak's default 175 is brisk)


# Sentences a student might dictate or be told; each lasts 3-6 s at these speeds.
TUNING_UTTERANCES = (
    Utterance("ru", "Ответ на второй вопрос: икс равен пяти, а игрек равен семи, проверь ещё раз."),
    Utterance("ru+whisper", "Пиши быстрее, в третьем задании ответ двенадцать, а в четвёртом сорок два."),
    Utterance("en", "The answer to question two is x equals five and y equals seven, check it again."),
    Utterance("en+whisper", "Write faster, the third answer is twelve and the fourth one is forty two."),
)
HELD_OUT_UTTERANCES = (
    Utterance("ru+m3", "Посмотри в учебнике на странице сорок, там есть формула для площади круга.", 150),
    Utterance("ru+f4", "Подожди, я сейчас найду тетрадь и продиктую тебе решение по порядку.", 170),
    Utterance("ru+whisperf", "Тише, учитель смотрит, напиши, что корень уравнения равен минус трём.", 150),
    Utterance("en+m7", "Open the textbook on page forty, the formula for the area of a circle is there.", 150),
    Utterance("en+f2", "Hold on, let me find my notebook and I will read the solution to you step by step.", 170),
)
SHORT_UTTERANCE = Utterance("ru", "Да, хорошо.")  # one short remark: below the policy's 3 s of speech


def require_espeak() -> str:
    path = shutil.which(ESPEAK)
    if path is None:
        raise EspeakMissing("espeak-ng is not installed: apt-get install espeak-ng")
    return path


@cache
def speak(utterance: Utterance) -> np.ndarray:
    """The utterance as float32 samples at 16 kHz, trimmed of espeak's leading and trailing silence."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "speech.wav"
        command = [require_espeak(), "-v", utterance.voice, "-s", str(utterance.speed), "-w", str(path)]
        subprocess.run([*command, utterance.text], check=True, capture_output=True)
        samples, rate = read_wav(path)
    return trim(resample(samples, rate, RATE))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2, "16-bit PCM"
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return data.reshape(-1, wav.getnchannels()).mean(axis=1), wav.getframerate()


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples.astype(np.float32)
    times = np.arange(round(len(samples) * target / rate)) / target
    return np.interp(times, np.arange(len(samples)) / rate, samples).astype(np.float32)


def trim(samples: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-12))


def at_level(samples: np.ndarray, db: float) -> np.ndarray:
    """Scaled so that its RMS is ``db`` dB below full scale."""
    return (samples * 10 ** ((db - rms_db(samples)) / 20)).astype(np.float32)


# ------------------------------------------------------------------------------------------- backgrounds


def silence(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A quiet room through a laptop microphone: a noise floor at -70 dBFS, not digital zero."""
    return at_level(rng.standard_normal(int(seconds * RATE)), -70)


def white_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return at_level(rng.standard_normal(int(seconds * RATE)), -35)


def pink_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """1/f noise, shaped in the frequency domain."""
    n = int(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    return at_level(np.fft.irfft(spectrum, n), -35)


def fan_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A desk fan or laptop cooler: low-passed (brown) noise plus a blade tone and its harmonics."""
    n = int(seconds * RATE)
    brown = np.cumsum(rng.standard_normal(n))
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")  # remove the drift, keep the rumble
    t = np.arange(n) / RATE
    blade = sum(np.sin(2 * np.pi * 95 * k * t + k) / k for k in (1, 2, 3)) * (1 + 0.2 * np.sin(2 * np.pi * 0.7 * t))
    return at_level(at_level(brown, -40) + at_level(blade, -46), -38)


def keyboard(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Typing: key presses (a sharp noise burst ringing at the key's resonance) and releases, 3-8 per second."""
    n = int(seconds * RATE)
    out = np.zeros(n)
    t = rng.uniform(0, 0.2)
    while t < seconds:
        for offset, loudness in ((0.0, 1.0), (rng.uniform(0.06, 0.12), 0.5)):  # press, release
            length = int(0.012 * RATE)
            start = int((t + offset) * RATE)
            if start + length >= n:
                break
            k = np.arange(length) / RATE
            ring = np.sin(2 * np.pi * rng.uniform(1500, 4000) * k) * 0.5 + rng.standard_normal(length)
            out[start : start + length] += loudness * ring * np.exp(-k / 0.002)
        t += rng.uniform(0.12, 0.35)
    return (out / (np.abs(out).max() + 1e-9) * 0.3).astype(np.float32)  # clicks peak at -10 dBFS


NOTES = {"C": 261.63, "D": 293.66, "E": 329.63, "F": 349.23, "G": 392.0, "A": 440.0, "B": 493.88}


def _tone(freq: float, seconds: float, vibrato: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * freq * t + vibrato * np.sin(2 * np.pi * 5.5 * t)
    harmonics = sum(np.sin(k * phase) / k**1.5 for k in range(1, 8))
    envelope = np.minimum(1, t / 0.02) * np.exp(-t / (seconds * 0.8))
    return harmonics * envelope


def music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Background music: a chord progression under a melody (harmonic tones with vibrato)."""
    n = int(seconds * RATE)
    out = np.zeros(n)
    chords = (("C", "E", "G"), ("A", "C", "E"), ("F", "A", "C"), ("G", "B", "D"))
    beat = 0.5
    for index in range(int(seconds / beat)):
        start = int(index * beat * RATE)
        if index % 4 == 0:
            chord = chords[(index // 4) % len(chords)]
            tones = sum(_tone(NOTES[name] / 2, beat * 4) for name in chord)
            end = min(n, start + len(tones))
            out[start:end] += 0.4 * tones[: end - start]
        note = _tone(NOTES[str(rng.choice(list(NOTES)))] * 2, beat, vibrato=0.8)
        end = min(n, start + len(note))
        out[start:end] += note[: end - start]
    return at_level(out, -28)


BACKGROUNDS: dict[str, Callable[[float, np.random.Generator], np.ndarray]] = {
    "silence": silence,
    "keyboard": keyboard,
    "fan": fan_noise,
    "white noise": white_noise,
    "pink noise": pink_noise,
    "music": music,
}


# ---------------------------------------------------------------------------------------------- scenes


@dataclass
class Scene:
    """A labelled recording: a background with utterances at known times."""

    name: str
    samples: np.ndarray  # float32, 16 kHz mono
    speech: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each utterance, seconds

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE

    def labels(self, step: float) -> np.ndarray:
        """Whether each ``step``-long window of the scene is speech (its middle inside an utterance)."""
        middles = (np.arange(int(self.seconds / step)) + 0.5) * step
        return np.array([any(a <= m < b for a, b in self.speech) for m in middles])


def scene(
    name: str,
    background: str,
    utterances: tuple[tuple[float, Utterance], ...] = (),
    seconds: float = 16.0,
    speech_db: float = -24.0,
    whisper_db: float = -32.0,
    seed: int = 0,
) -> Scene:
    """``background`` for ``seconds``, with each utterance starting at its time (normal voices at
    ``speech_db`` RMS, whispers at ``whisper_db``: a whisper is quieter than a voice)."""
    rng = np.random.default_rng(seed)
    samples = BACKGROUNDS[background](seconds, rng).astype(np.float32)
    speech = []
    for start, utterance in utterances:
        voice = speak(utterance)
        voice = at_level(voice, whisper_db if "whisper" in utterance.voice else speech_db)
        first = int(start * RATE)
        last = min(len(samples), first + len(voice))
        samples[first:last] += voice[: last - first]
        speech.append((start, last / RATE))
    return Scene(name, np.clip(samples, -1, 1), speech)


def mux_audio(video: Path, samples: np.ndarray, destination: Path) -> Path:
    """``video``'s picture (its packets copied, not re-encoded) with ``samples`` as an Opus track, in Matroska:
    a recording as a browser would make it (Opus at 48 kHz)."""
    import av

    with av.open(str(video)) as source, av.open(str(destination), "w") as out:
        picture = source.streams.video[0]
        copied = out.add_stream_from_template(picture)
        voice = out.add_stream("libopus", rate=48000, layout="mono")
        for packet in source.demux(picture):
            if packet.dts is not None:
                packet.stream = copied
                out.mux(packet)
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, 0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for part in resampler.resample(frame) + resampler.resample(None):
            out.mux(voice.encode(part))
        out.mux(voice.encode(None))
    return destination
