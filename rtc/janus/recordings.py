"""Janus's own recordings (``.mjr`` files) and their conversion with Debian's ``janus-pp-rec`` (janus-tools).

A VideoRoom that records writes one ``.mjr`` file per stream of each publisher (the RTP packets as they came,
nothing decoded) into the room's ``rec_dir``. Each file starts with ``MJR00002``, a 2-byte length and a JSON
header: ``t`` the kind (``a`` audio, ``v`` video, ``d`` data), ``c`` the codec, ``s`` when the file was created
and ``u`` when its first packet was written (microseconds of the Unix clock). ``u`` is what puts the streams
of one lesson on one timeline: ``janus-pp-rec`` starts every converted file at its first packet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MJR_MAGIC = b"MJR00002"
MAX_HEADER_BYTES = 65_535
PP_REC_TIMEOUT_SECONDS = 3600  # a 45-minute stream converts in seconds; an hour means it hangs
# What janus-pp-rec writes for the codecs our rooms use (rtc.janus.rooms: VP8 video, Opus audio).
TARGET_EXTENSION = {"vp8": "webm", "opus": "opus"}


class ConversionFailed(Exception):
    """janus-pp-rec is missing, failed, or wrote nothing."""


@dataclass(frozen=True)
class MjrStream:
    """One recorded stream: its file, kind (``audio`` / ``video``), codec and first packet (µs, Unix clock)."""

    path: Path
    kind: str
    codec: str
    first_packet_us: int


def read_header(path: Path) -> MjrStream | None:
    """The stream a ``.mjr`` file holds, or None if it has no packets (Janus writes the header with the first)."""
    with path.open("rb") as file:
        if file.read(len(MJR_MAGIC)) != MJR_MAGIC:
            return None
        size_bytes = file.read(2)
        if len(size_bytes) < 2:
            return None
        size = int.from_bytes(size_bytes, "big")
        raw = file.read(min(size, MAX_HEADER_BYTES))
    try:
        header = json.loads(raw)
    except ValueError:
        return None
    kind = {"a": "audio", "v": "video"}.get(header.get("t"))
    if kind is None or not isinstance(header.get("u"), int):
        return None
    return MjrStream(path, kind, str(header.get("c", "")), header["u"])


def pp_rec_binary() -> str:
    binary = shutil.which("janus-pp-rec")
    if binary is None:
        raise ConversionFailed("janus-pp-rec is not installed: run `make setup` (Debian package janus-tools)")
    return binary


def convert(stream: MjrStream, folder: Path) -> Path:
    """``janus-pp-rec`` the stream into ``folder`` (VP8 → WebM, Opus → Ogg Opus); the written file."""
    extension = TARGET_EXTENSION.get(stream.codec)
    if extension is None:
        raise ConversionFailed(f"{stream.path.name}: codec {stream.codec!r} is not converted")
    target = folder / f"{stream.path.stem}.{extension}"
    try:
        result = subprocess.run(  # noqa: S603 - fixed binary, paths we made
            [pp_rec_binary(), "--disable-colors", str(stream.path), str(target)],
            capture_output=True,
            text=True,
            timeout=PP_REC_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ConversionFailed(f"janus-pp-rec {stream.path.name}: no result in {error.timeout} s") from error
    if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        tail = (result.stderr or result.stdout)[-500:]
        raise ConversionFailed(f"janus-pp-rec {stream.path.name} exited {result.returncode}: {tail}")
    return target
