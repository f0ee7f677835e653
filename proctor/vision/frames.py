"""Turning files and bytes into BGR frames: still images (photos) and recorded videos.

Every failure is an :class:`InputError` with a one-line message naming the input, so
callers (the CLI, enrollment, admin forms) can show it as is.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # larger is refused before decoding (decompression bombs)
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "MPO"})  # MPO: multi-picture JPEG from phones
ALPHA_BACKGROUND = (255, 255, 255)  # transparent parts of a PNG become white, like on a page


class InputError(ValueError):
    """A file or buffer that is not a usable image or video (message is one line)."""


def load_image(source: Path | str | bytes, max_side: int | None = None) -> np.ndarray:
    """Decode a photo into an 8-bit BGR array, the way a person looking at it would see it.

    EXIF orientation is applied (phone photos), transparency is flattened onto white,
    grayscale/palette/CMYK/16-bit images become 3-channel, and with ``max_side`` the
    image is shrunk (never enlarged) so its longer side is at most that many pixels.
    """
    name = "image" if isinstance(source, bytes) else str(source)
    data = source if isinstance(source, bytes) else _read_bytes(Path(source))
    if not data:
        raise InputError(f"{name}: empty file")
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"{name}: file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # refused below, not just warned about
            opened = Image.open(io.BytesIO(data))
        with opened:
            if opened.format not in IMAGE_FORMATS:
                raise InputError(f"{name}: unsupported image format {opened.format}")
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise InputError(f"{name}: image is too large ({opened.width}x{opened.height} pixels)")
            image = ImageOps.exif_transpose(opened)
            image.load()
    except UnidentifiedImageError:
        raise InputError(f"{name}: not an image (or an unsupported format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{name}: image is too large (more than {MAX_IMAGE_PIXELS} pixels)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{name}: cannot decode image ({exc})") from None
    rgb = _to_rgb(image)
    if max_side and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise InputError(f"{path}: file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an image") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency flattened onto :data:`ALPHA_BACKGROUND`."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grayscale -> 8-bit
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of a BGR frame (no metadata is written)."""
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InputError("cannot encode JPEG")
    return buffer.tobytes()


class VideoReader:
    """Frames of a video file with timestamps in seconds from its start (frame index / fps).

    ``grab()`` decodes the next frame without converting it (cheap: used for frames the
    analyser skips); ``retrieve()`` converts the last grabbed frame to BGR.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        opened = self._capture.isOpened()
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) if opened else 0.0
        self.frame_count = max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0) if opened else 0
        # A still image opens as a one-frame "video": refuse it too.
        if not opened or self.fps <= 0 or self.frame_count == 1:
            self.close()
            raise InputError(f"{self.path}: not a readable video")
        if not self._capture.grab():
            self.close()
            raise InputError(f"{self.path}: video has no decodable frames")
        self._index = 0
        self._first_pending = True  # the probe above already grabbed frame 0

    @property
    def t(self) -> float:
        """Timestamp of the last grabbed frame."""
        return self._index / self.fps

    @property
    def duration(self) -> float:
        """End of the last frame read so far (or of the whole video when known)."""
        return max(self.frame_count, self._index + 1) / self.fps

    def grab(self) -> bool:
        if self._first_pending:
            self._first_pending = False
            return True
        if not self._capture.grab():
            return False
        self._index += 1
        return True

    def retrieve(self) -> np.ndarray:
        ok, frame = self._capture.retrieve()
        if not ok or frame is None:
            raise InputError(f"{self.path}: cannot decode frame {self._index}")
        return frame

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        """Every frame, decoded and converted (for callers that need them all)."""
        while self.grab():
            yield self.t, self.retrieve()

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
