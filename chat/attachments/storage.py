"""Files on disk under ``MEDIA_ROOT/chat/``: random names, images checked by Pillow, thumbnails.

JPEG photos lose their metadata (EXIF with GPS position, camera and owner, XMP, IPTC, comments)
before anyone can download them; only the orientation is kept, rewritten as a minimal EXIF block.
Names are 256-bit random tokens in two-level fan-out directories, so nothing about the room,
the uploader or the original name can be guessed from them; files are served only by
:mod:`chat.attachments.views`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

from .sniffing import FileType, Refused

MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
ROOT = "chat"
ORIENTATION = 0x0112
JPEG_SOS, JPEG_APP1, JPEG_APP13, JPEG_COM = 0xDA, 0xE1, 0xED, 0xFE
METADATA_SEGMENTS = {JPEG_APP1, JPEG_APP13, JPEG_COM}  # EXIF/XMP, IPTC, comments


def media_path(stored_as: str) -> Path:
    path = (Path(settings.MEDIA_ROOT) / stored_as).resolve()
    if Path(settings.MEDIA_ROOT).resolve() not in path.parents:
        raise ValueError("outside MEDIA_ROOT")
    return path


def new_name(extension: str) -> str:
    token = secrets.token_hex(32)
    return f"{ROOT}/{token[:2]}/{token[2:4]}/{token}.{extension}"


def write(chunks: Iterable[bytes], extension: str) -> str:
    """Write the upload to a fresh random path; returns the path relative to MEDIA_ROOT."""
    stored_as = new_name(extension)
    path = media_path(stored_as)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        for chunk in chunks:
            out.write(chunk)
    return stored_as


def remove(*stored: str) -> None:
    for name in stored:
        if name:
            media_path(name).unlink(missing_ok=True)


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    thumbnail: str


def check_image(stored_as: str, file_type: FileType, box: int) -> ImageInfo:
    """Verify the image with Pillow and write an EXIF-upright JPEG thumbnail; raise Refused if broken."""
    path = media_path(stored_as)
    try:
        with Image.open(path) as probe:
            if probe.format is None or probe.format.lower() not in file_type.mime:
                raise Refused(f"the image content is {probe.format}, not {file_type.mime}")
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused(f"images are limited to {MAX_PIXELS // 1_000_000} megapixels")
            probe.verify()
        with Image.open(path) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            width, height = upright.size
            upright.thumbnail((box, box))
            thumb = _flatten(upright)
    except (OSError, SyntaxError, Image.DecompressionBombError, ValueError) as error:
        raise Refused(f"the image is damaged or too large: {error}") from error
    thumbnail = new_name("jpg")
    thumb_path = media_path(thumbnail)
    thumb_path.parent.mkdir(parents=True, exist_ok=True)
    thumb.save(thumb_path, "JPEG", quality=80)
    return ImageInfo(width, height, thumbnail)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (thumbnails are JPEG)."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def scrub_jpeg(stored_as: str) -> int:
    """Drop the JPEG's metadata segments without re-encoding it; keep the orientation. Returns the new size."""
    path = media_path(stored_as)
    data = path.read_bytes()
    with Image.open(path) as image:
        orientation = image.getexif().get(ORIENTATION)
    kept = bytearray(data[:2])  # SOI
    if orientation and orientation != 1:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        kept += bytes([0xFF, JPEG_APP1]) + (len(payload) + 2).to_bytes(2, "big") + payload
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == JPEG_SOS:
            break
        end = position + 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker not in METADATA_SEGMENTS:
            kept += data[position:end]
        position = end
    kept += data[position:]
    path.write_bytes(bytes(kept))
    return len(kept)
