"""A recorded file's audio as the voice detector wants it: 16-kHz mono 16-bit PCM (a live microphone's Opus
packets become the same in the hearing thread: :class:`rtc.opus.OpusDecoder`).

A file's audio comes with times in seconds from the start of the file, on the same clock as
:class:`proctor.vision.frames.VideoReader`'s frames; the evidence clip is written as WAV (plays in every
browser, ~32 KB per second at this rate).
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import av.error
import numpy as np

from rtc.opus import MonoResampler

from ..vision.frames import InputError
from .vad import SAMPLE_RATE


def has_audio(path: Path) -> bool:
    """Whether the file has an audio track PyAV can open (False for a file it cannot open at all)."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError):
        return False


def read_audio(path: Path) -> Iterator[tuple[float, np.ndarray]]:
    """The file's first audio track as (start time in seconds, 16-kHz mono int16 samples) chunks, each at its
    frame's time: the gaps of a microphone in DTX (a recorded exam, :mod:`rtc.opus`) stay gaps, which the
    listener hears as silence."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise InputError(f"{path}: cannot open ({error})") from None
    with container:
        if not container.streams.audio:
            raise InputError(f"{path}: no audio track")
        stream = container.streams.audio[0]
        resampler = MonoResampler(SAMPLE_RATE)
        origin = (container.start_time or 0) / av.time_base  # the file's start, where its first video frame is
        end = 0.0  # where the last chunk ended: the time of a frame without one
        try:
            for frame in container.decode(stream):
                samples = resampler.convert(frame)
                if len(samples):
                    at = max(0.0, frame.time - origin) if frame.time is not None else end
                    yield at, samples
                    end = at + len(samples) / SAMPLE_RATE
        except av.error.FFmpegError as error:
            raise InputError(f"{path}: cannot decode its audio ({error})") from None


def wav_bytes(samples: np.ndarray) -> bytes:
    """16-kHz mono int16 samples as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()
