"""The one CSV writer of the platform: files that open as columns in Russian Excel, safely.

Russian Excel splits a CSV on ``;`` (the list separator of the Russian locale; ``,`` is the decimal
comma), reads UTF-8 only after a byte-order mark, and takes a cell starting with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return that hides one) as a formula — a student named ``=HYPERLINK(…)``
would run in the curator's spreadsheet. So every export goes through :func:`csv_text`:

* ``;``-separated, UTF-8 with BOM, CRLF line ends;
* times in the school's time zone (``settings.TIME_ZONE``), ``YYYY-MM-DD HH:MM:SS`` — never raw UTC;
* numbers with a decimal comma; text cells that could start a formula get a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def cell(value: object) -> str:
    """One value as the text of a cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("say yes/no in words: a bool has no meaning in a spreadsheet")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, ZoneInfo(settings.TIME_ZONE))
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value).replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The whole file, BOM first."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([cell(value) for value in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return BOM + out.getvalue()


def csv_response(filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A download of :func:`csv_text`."""
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
