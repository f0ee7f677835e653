"""``python -m chat.moderation``: one message per stdin line → one verdict per stdout line.

Output: ``ok`` or ``blocked<TAB><category>: <normalised word>`` (``too_long: <n> chars`` for lines over the
limit). Input is read as bytes: invalid UTF-8 is replaced, ``\\r\\n`` is accepted, an over-long line is
answered without being held in memory.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

from chat.moderation import MAX_TEXT_CHARS, check
from chat.moderation.verdict import TOO_LONG, blocked

_MAX_LINE_BYTES = 4 * MAX_TEXT_CHARS + 2  # room for any MAX_TEXT_CHARS characters plus "\r\n"


def _verdict_line(raw: bytes) -> str:
    verdict = check(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
    return "ok" if verdict.ok else f"blocked\t{verdict.summary()}"


def _skip_rest_of_line(stream: BinaryIO, seen: int) -> int:
    """Consume an over-long line in bounded chunks; return its length in bytes."""
    while True:
        chunk = stream.readline(_MAX_LINE_BYTES)
        seen += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return seen


def run(stdin: BinaryIO, stdout: BinaryIO) -> None:
    while True:
        line = stdin.readline(_MAX_LINE_BYTES)
        if not line:
            return
        if len(line) == _MAX_LINE_BYTES and not line.endswith(b"\n"):
            size = _skip_rest_of_line(stdin, len(line))
            answer = f"blocked\t{blocked(TOO_LONG, f'{size} bytes').summary()}"
        else:
            answer = _verdict_line(line)
        stdout.write(answer.encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    try:
        run(sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(1)
