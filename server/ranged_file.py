"""A file answered with HTTP range requests (RFC 9110 §14), so a browser's <video> can seek in it.

Django serves no ranges itself. One range per request (what players send); several ranges, or a range that is
not ``bytes=``, get the whole file (200), which RFC 9110 allows; a range past the end gets 416.

Both answers stream the file in :data:`CHUNK_BYTES` chunks from an async iterator (:class:`FileChunks`), each
chunk read in a worker thread: under ASGI Django would read a sync iterator (``FileResponse`` too) whole into
memory, in the request's thread, before sending its first byte.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import BinaryIO

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

CHUNK_BYTES = 256 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(Exception):
    """The range starts past the end of the file (HTTP 416)."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single range; None to answer the whole file; :class:`Unsatisfiable` past the end."""
    match = RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # not a valid range: ignored
    if start >= size:
        raise Unsatisfiable
    return start, end


class FileChunks:
    """``length`` bytes of a file from ``start``, as an async iterator of chunks of at most :data:`CHUNK_BYTES`,
    each read in a worker thread (never on the event loop).

    The file is closed at the end of the range or by :meth:`close`, which the response calls when it is closed
    (Django registers an iterator's ``close``); when the client goes away mid-file, Django drops the response
    without closing it, and the file closes with the dropped iterator.
    """

    def __init__(self, path: Path, start: int, length: int) -> None:
        self._file: BinaryIO = path.open("rb")
        self._file.seek(start)
        self._left = length

    def __aiter__(self) -> FileChunks:
        return self

    async def __anext__(self) -> bytes:
        chunk = await asyncio.to_thread(self._file.read, min(CHUNK_BYTES, self._left)) if self._left > 0 else b""
        if not chunk:
            self.close()
            raise StopAsyncIteration
        self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._file.close()


def _streamed(path: Path, start: int, length: int, status: int, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(FileChunks(path, start, length), status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    return response


def ranged_file_response(request: HttpRequest, path: Path, content_type: str) -> HttpResponseBase:
    size = path.stat().st_size
    response: HttpResponseBase
    try:
        wanted = requested_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = _streamed(path, 0, size, 200, content_type)
    else:
        start, end = wanted
        response = _streamed(path, start, end - start + 1, 206, content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response
