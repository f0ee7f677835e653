"""One report table, four ways out: the page, CSV for Russian Excel, XLSX and PDF.

A report builds a :class:`Table` once (title, period, header, rows, which rows to highlight); the view
renders it as HTML or hands it to :func:`download`, so the files always say what the page says.
Highlighted rows (the inactive) are filled in XLSX and PDF; CSV has no colour, so tables that highlight
carry the reason in a column of their own.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.http import HttpResponse
from django.utils import timezone

from server.spreadsheet import csv_response

PDF_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core: has Cyrillic
HIGHLIGHT = "FFF2CC"  # pale yellow: visible in print and to colour-blind readers next to the text column
FORMATS = ("csv", "xlsx", "pdf")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    title: str
    period: str
    header: list[str]
    rows: list[list[object]]
    highlighted: set[int] = field(default_factory=set)  # indexes into rows
    filename: str = "report"

    def is_highlighted(self, index: int) -> bool:
        return index in self.highlighted


def download(table: Table, kind: str) -> HttpResponse:
    if kind == "csv":
        return csv_response(f"{table.filename}.csv", table.header, table.rows)
    if kind == "xlsx":
        return _file(as_xlsx(table), XLSX_TYPE, f"{table.filename}.xlsx")
    if kind == "pdf":
        return _file(as_pdf(table), "application/pdf", f"{table.filename}.pdf")
    raise ValueError(kind)


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _local(value: object) -> object:
    """Excel has no time zones: datetimes go in as the school's wall-clock time."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def as_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = table.filename[:31]
    sheet.append([table.title])
    sheet.append([table.period])
    sheet.append(table.header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    fill = PatternFill("solid", start_color=HIGHLIGHT, end_color=HIGHLIGHT)
    for index, row in enumerate(table.rows):
        sheet.append([_cell_value(v) for v in row])
        if table.is_highlighted(index):
            for cell in sheet[sheet.max_row]:
                cell.fill = fill
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell_value(value: object) -> object:
    value = _local(value)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value  # a name is never a formula (see server/spreadsheet.py)
    return value


def _pdf_text(value: object) -> str:
    value = _local(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def as_pdf(table: Table) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as Grid

    font = "Helvetica"
    if PDF_FONT.is_file():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(PDF_FONT)))
        font = "DejaVuSans"
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    cell_style = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=table.title, subject=table.period)
    data = [[Paragraph(xml_escape(h), cell_style) for h in table.header]]
    data += [[Paragraph(xml_escape(_pdf_text(v)), cell_style) for v in row] for row in table.rows]
    grid = Grid(data, repeatRows=1)
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    commands += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor(f"#{HIGHLIGHT}")) for i in table.highlighted]
    grid.setStyle(TableStyle(commands))
    story = [
        Paragraph(xml_escape(table.title), styles["Title"]),  # Paragraph reads markup: names are escaped
        Paragraph(xml_escape(table.period), styles["Normal"]),
        Spacer(1, 12),
        grid,
    ]
    document.build(story)
    return buffer.getvalue()
