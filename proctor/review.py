"""Review of a finished session: decisions on episodes, the verdict and the credibility score.

The credibility score starts at 100 and loses a fixed weight per *confirmed* episode
(pending and dismissed episodes never count); the breakdown is shown with the score.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from server.accounts import audit
from server.accounts.models import User

from .models import Episode, ExamSession

WEIGHTS = {
    "identity_mismatch": 40,
    "multiple_faces": 25,
    "devtools": 15,
    "no_face": 10,
    "camera_lost": 10,
    "tab_hidden": 10,
    "copy_paste": 10,
    "looking_away": 5,
    "focus_lost": 5,
    "fullscreen_exit": 5,
}
DEFAULT_WEIGHT = 10
KIND_LABELS = {  # lazy: shown in the language of whoever reads the page, report or dashboard
    "identity_mismatch": _("в кадре другой человек"),
    "multiple_faces": _("в кадре несколько лиц"),
    "no_face": _("нет лица в кадре"),
    "looking_away": _("взгляд в сторону"),
    "camera_lost": _("камера потеряна"),
    "tab_hidden": _("вкладка скрыта"),
    "focus_lost": _("окно не в фокусе"),
    "fullscreen_exit": _("выход из полноэкранного режима"),
    "copy_paste": _("копирование / вставка"),
    "devtools": _("инструменты разработчика"),
}


def kind_label(kind: str) -> str:
    """The episode kind's label in the active language (the kind itself if it has none)."""
    return str(KIND_LABELS.get(kind, kind))


@dataclass(frozen=True)
class ScoreLine:
    kind: str
    label: str
    count: int
    weight: int

    @property
    def penalty(self) -> int:
        return self.count * self.weight


@dataclass(frozen=True)
class Credibility:
    score: int
    lines: list[ScoreLine]


def credibility(session: ExamSession) -> Credibility:
    counts: dict[str, int] = {}
    for kind in session.episodes.filter(review=Episode.Review.CONFIRMED).values_list("kind", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    lines = [ScoreLine(k, kind_label(k), n, WEIGHTS.get(k, DEFAULT_WEIGHT)) for k, n in sorted(counts.items())]
    return Credibility(max(0, 100 - sum(line.penalty for line in lines)), lines)


def decide(episode: Episode, decision: str, reviewer: User, comment: str = "") -> Episode:
    if decision not in (Episode.Review.CONFIRMED, Episode.Review.DISMISSED):
        raise ValueError("decision: confirmed or dismissed")
    episode.review = decision
    episode.reviewer = reviewer
    episode.reviewed_at = timezone.now()
    episode.comment = comment
    episode.save(update_fields=["review", "reviewer", "reviewed_at", "comment"])
    audit.record(
        "proctor.episode_reviewed",
        actor=reviewer,
        subject=episode.session.student,
        episode=episode.pk,
        decision=decision,
        comment=comment,
    )
    return episode


@transaction.atomic
def set_verdict(session: ExamSession, verdict: str, reviewer: User) -> ExamSession:
    if verdict not in ExamSession.Verdict.values or not verdict:
        raise ValueError("verdict: clean, warning or annulled")
    session.verdict = verdict
    session.verdict_by = reviewer
    session.verdict_at = timezone.now()
    session.save(update_fields=["verdict", "verdict_by", "verdict_at"])
    audit.record("proctor.verdict", actor=reviewer, subject=session.student, session=session.pk, verdict=verdict)
    return session
