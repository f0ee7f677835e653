"""The exam report: one row per session with its episodes, verdict and credibility score; CSV and PDF.

Both files are written in the active language, i.e. the language of the user who asks for them.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.utils.translation import gettext as _

from server.spreadsheet import csv_text

from . import kinds
from .models import Episode, Exam, ExamSession
from .review import credibility

PDF_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core: has Cyrillic


def evidence_path(episode: Episode) -> Path | None:
    """The evidence file, only if it really lies under MEDIA_ROOT/evidence."""
    if not episode.evidence:
        return None
    root = (Path(settings.MEDIA_ROOT) / "evidence").resolve()
    path = (Path(settings.MEDIA_ROOT) / episode.evidence).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


EVIDENCE_CONTENT_TYPES = {".jpg": "image/jpeg", ".wav": "audio/wav"}  # snapshots; speech clips (proctor.audio)


def evidence_content_type(path: Path) -> str:
    return EVIDENCE_CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def rows(exam: Exam) -> list[dict]:
    result = []
    sessions = ExamSession.objects.filter(exam=exam).select_related("student").order_by("student__last_name")
    for session in sessions:
        score = credibility(session)
        episodes = list(session.episodes.all())
        result.append(
            {
                "session": session,
                "student": session.student.full_name or session.student.username,
                "episodes": episodes,
                "confirmed": sum(1 for e in episodes if e.review == Episode.Review.CONFIRMED),
                "pending": sum(1 for e in episodes if e.review == Episode.Review.PENDING),
                "score": score,
            }
        )
    return result


def as_csv(exam: Exam) -> str:
    """The report as a CSV file for Russian Excel (server/spreadsheet.py)."""
    lines = []
    header = [
        _("ученик"),
        _("состояние"),
        _("личность"),
        _("эпизод"),
        _("начало"),
        _("конец"),
        _("проверка"),
        _("комментарий"),
        _("балл"),
        _("решение"),
    ]
    for row in rows(exam):
        session = row["session"]
        common = [row["student"], session.get_state_display(), session.get_identity_display()]
        tail = [row["score"].score, session.get_verdict_display() if session.verdict else ""]
        if not row["episodes"]:
            lines.append([*common, "", "", "", "", "", *tail])
        for episode in row["episodes"]:
            lines.append(
                [
                    *common,
                    kinds.label(episode.kind),
                    episode.started_at,
                    episode.ended_at,
                    episode.get_review_display(),
                    episode.comment,
                    *tail,
                ]
            )
    return csv_text(header, lines)


def as_pdf(exam: Exam) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "Helvetica"
    if PDF_FONT.is_file():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(PDF_FONT)))
        font = "DejaVuSans"
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=_("Отчёт: %(exam)s") % {"exam": exam.title})
    table = [[_("Ученик"), _("Состояние"), _("Личность"), _("Эпизоды (подтв./всего)"), _("Балл доверия"), _("Решение")]]
    for row in rows(exam):
        session = row["session"]
        table.append(
            [
                row["student"],
                session.get_state_display(),
                session.get_identity_display(),
                f"{row['confirmed']}/{len(row['episodes'])}",
                str(row["score"].score),
                session.get_verdict_display() if session.verdict else "—",
            ]
        )
    grid = Table(table, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ]
        )
    )
    story = [
        Paragraph(  # Paragraph reads XML-like markup: names are escaped, so "<" and "&" print as typed
            _("Отчёт по экзамену «%(exam)s», группа %(group)s")
            % {"exam": xml_escape(exam.title), "group": xml_escape(str(exam.group))},
            styles["Title"],
        ),
        Paragraph(_("Балл доверия = 100 − сумма весов подтверждённых нарушений."), styles["Normal"]),
        Spacer(1, 12),
        grid,
    ]
    document.build(story)
    return buffer.getvalue()
