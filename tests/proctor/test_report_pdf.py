"""The PDF report prints exam and group names as typed, markup characters included."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta

from django.utils import timezone

from proctor import reports
from proctor.models import Exam, ExamSession
from server.school.models import StudyGroup


def drawn_text(pdf: bytes) -> str:
    """The strings drawn on the pages (content streams inflated), run together without spaces."""
    streams = re.findall(rb"stream\r?\n(.*?)~>\s*endstream", pdf, re.S)  # reportlab: ASCII85, then Flate
    content = b"".join(zlib.decompress(base64.a85decode(s)) for s in streams).decode("latin-1")
    return "".join(re.findall(r"\(((?:[^()\\]|\\.)*)\) Tj", content)).replace(" ", "")


def test_an_exam_title_with_markup_characters_renders_as_typed(school, monkeypatch, tmp_path):
    monkeypatch.setattr(reports, "PDF_FONT", tmp_path / "none.ttf")  # Helvetica: its text is readable in the PDF
    now = timezone.now()
    group = StudyGroup.objects.create(name="R&D <7>")
    exam = Exam.objects.create(
        title="Final <b>test</b> &amp; <x>", group=group, opens_at=now, closes_at=now + timedelta(hours=1)
    )
    ExamSession.objects.create(exam=exam, student=school["student"])
    text = drawn_text(reports.as_pdf(exam))
    assert "Final<b>test</b>&amp;<x>" in text
    assert "R&D<7>" in text
