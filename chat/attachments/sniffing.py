"""Decide what a file is from its first bytes — never from the client's content type or file name.

Only the formats below are accepted; everything else (executables, scripts, HTML, unknown
binaries) is refused. The file name's extension matters only to tell apart formats that share
a container (ZIP-based office documents, OLE documents, plain text).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

HEAD_BYTES = 64


@dataclass(frozen=True)
class FileType:
    kind: str  # image, audio, video, file
    mime: str
    extension: str


class Refused(ValueError):
    """The content is not of an accepted type."""


JPEG = FileType("image", "image/jpeg", "jpg")
PNG = FileType("image", "image/png", "png")
GIF = FileType("image", "image/gif", "gif")
WEBP = FileType("image", "image/webp", "webp")
MP3 = FileType("audio", "audio/mpeg", "mp3")
OGG = FileType("audio", "audio/ogg", "ogg")
WAV = FileType("audio", "audio/wav", "wav")
M4A = FileType("audio", "audio/mp4", "m4a")
MP4 = FileType("video", "video/mp4", "mp4")
QUICKTIME = FileType("video", "video/quicktime", "mov")
WEBM = FileType("video", "video/webm", "webm")  # also what browsers record voice notes in
PDF = FileType("file", "application/pdf", "pdf")
RTF = FileType("file", "application/rtf", "rtf")
TEXT = FileType("file", "text/plain; charset=utf-8", "txt")

ZIP_DOCUMENTS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "zip": "application/zip",
}
OLE_DOCUMENTS = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}
TEXT_EXTENSIONS = {"txt", "csv", "md"}
AUDIO_BRANDS = {b"M4A ", b"M4B "}
QUICKTIME_BRANDS = {b"qt  "}


EXTENSION_ALIASES = {
    "jpg": {"jpg", "jpeg", "jpe", "jfif"},
    "ogg": {"ogg", "oga", "opus"},
    "mp4": {"mp4", "m4v"},
    "webm": {"webm", "weba"},
    "txt": TEXT_EXTENSIONS,
}


def download_name(name: str, file_type: FileType) -> str:
    """The name files are downloaded under: its extension always matches the content (``x.html`` → ``x.html.pdf``)."""
    if extension_of(name) in EXTENSION_ALIASES.get(file_type.extension, {file_type.extension}):
        return name
    return f"{name[: 195 - len(file_type.extension)]}.{file_type.extension}"


def extension_of(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def _mp3_frame(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def sniff(head: bytes, name: str) -> FileType:
    """The accepted type of a file starting with ``head`` (at least :data:`HEAD_BYTES` if the file has them)."""
    ext = extension_of(name)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"ID3") or _mp3_frame(head):
        return MP3
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in AUDIO_BRANDS:
            return M4A
        return QUICKTIME if brand in QUICKTIME_BRANDS else MP4
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(b"PK\x03\x04") and ext in ZIP_DOCUMENTS:
        return FileType("file", ZIP_DOCUMENTS[ext], ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext in OLE_DOCUMENTS:
        return FileType("file", OLE_DOCUMENTS[ext], ext)
    if ext in TEXT_EXTENSIONS and _looks_like_text(head):
        return TEXT
    raise Refused("this type of file is not accepted (photos, audio, video, PDF, office documents and text only)")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head or head.lstrip().lower().startswith((b"<", b"#!")):
        return False  # binaries, HTML/XML/SVG and scripts are not "text" here
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a multi-byte character cut at the end of the head
    return True


def check_text_body(chunks: Iterable[bytes]) -> None:
    """Plain text must be UTF-8 without NUL bytes all the way through."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            if b"\x00" in chunk:
                raise Refused("a text file must not contain binary data")
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise Refused("a text file must be UTF-8") from error
