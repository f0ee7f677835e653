"""Chromium pages in the lesson room, each logged in as a demo user in its own context."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from tests.support.client import logged_in
from tests.support.waiting import wait_for

# getDisplayMedia in headless Chromium: with the fake media device flags it returns a fake "screen"
# (1280x720 @30 fps); the flag below picks the whole screen without a picker.
SCREEN_ARGS = ["--auto-select-desktop-capture-source=Entire screen", "--autoplay-policy=no-user-gesture-required"]


def tone_wav(path: Path, seconds: float = 2.0, rate: int = 48_000) -> Path:
    """A loud 440 Hz tone for Chromium's fake microphone (its default beep is too short to count as speech)."""
    frames = b"".join(
        struct.pack("<h", int(12_000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


def upscaled_y4m(source: Path, target: Path, factor: int = 2) -> Path:
    """The clip at ``factor`` times its size (nearest neighbour): big enough for Chromium to send simulcast."""
    import numpy as np

    data = source.read_bytes()
    header, _, body = data.partition(b"\n")
    fields = {f[:1]: f[1:] for f in header.split()}
    width, height = int(fields[b"W"]), int(fields[b"H"])
    size = width * height * 3 // 2
    out = [
        header.replace(b"W%d" % width, b"W%d" % (width * factor)).replace(b"H%d" % height, b"H%d" % (height * factor))
    ]
    for chunk in body.split(b"FRAME\n")[1:]:
        frame = np.frombuffer(chunk[:size], dtype=np.uint8)
        y = frame[: width * height].reshape(height, width)
        u = frame[width * height : width * height * 5 // 4].reshape(height // 2, width // 2)
        v = frame[width * height * 5 // 4 :].reshape(height // 2, width // 2)
        planes = [p.repeat(factor, axis=0).repeat(factor, axis=1).tobytes() for p in (y, u, v)]
        out.append(b"FRAME\n" + b"".join(planes))
    target.write_bytes(out[0] + b"\n" + b"".join(out[1:]))
    return target


def speaking_args(tmp_path: Path) -> list[str]:
    return [f"--use-file-for-fake-audio-capture={tone_wav(tmp_path / 'tone.wav')}"]


async def open_room(browser, base_url: str, username: str, lesson_id: int):
    session = logged_in(base_url, username)
    context = await browser.new_context()
    await context.add_cookies([{"name": k, "value": v, "url": base_url} for k, v in session.cookies.items()])
    page = await context.new_page()
    await page.goto(f"{base_url}/lessons/{lesson_id}/")
    return page


async def wait_joined(page, timeout: float = 20.0) -> dict:
    await wait_for(lambda: page.evaluate("!!(window.lesson && window.lesson.joined)"), timeout, what="joined")
    return await page.evaluate("window.lesson.me")


async def inbound(page) -> list[dict]:
    return await page.evaluate("window.lesson.inboundStats()")


def pick(rows: list[dict], **match) -> dict | None:
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


async def counter(page, field: str, **match) -> int:
    row = pick(await inbound(page), **match)
    return row[field] if row else 0
