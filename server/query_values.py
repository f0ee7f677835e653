"""Values read from text a client controls (query strings, form fields): an integer, a date, or None."""

from __future__ import annotations

import datetime as dt
import re

MAX_ID = 2**53  # JavaScript's safe integers, as on the sockets (server.ws.fields.MAX_ID)
_ASCII_DIGITS = re.compile(r"[0-9]{1,16}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_YEAR, LAST_YEAR = 1900, 9000  # a school's dates; far enough from date.min/max that a period around fits


def strict_int(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer ``raw`` spells in ASCII digits if it lies in ``low..high``, else None.

    Not ``str.isdigit()``: it accepts '²' and other Unicode digits that ``int()`` refuses (or reads as another
    number), and ``int()`` refuses more than 4,300 digits; both reached views as HTTP 500s (found by
    tests/fuzz). Sixteen digits are enough for every id up to ``MAX_ID`` and keep the database from overflowing.
    """
    if raw is None or not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def query_date(raw: str | None) -> dt.date | None:
    """The date ``YYYY-MM-DD`` names, if it exists and its year is between FIRST_YEAR and LAST_YEAR, else None.

    ``parse_date('2024-02-30')`` raises instead of returning None, and a period around ``9999-12-31`` overflows
    ``date``: both were HTTP 500s on report pages (found by tests/fuzz).
    """
    if raw is None or not _ISO_DATE.fullmatch(raw):
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None
