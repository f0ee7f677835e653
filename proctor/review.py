"""Review of a finished session: decisions on episodes, the verdict and the credibility score.

The credibility score starts at 100 and loses its kind's weight (proctor.kinds) per *confirmed*
episode (pending and dismissed episodes never count); the breakdown is shown with the score.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from server.accounts import audit
from server.accounts.models import User

from . import kinds
from .models import Episode, ExamSession
from .signals import session_reviewed


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
    lines = [ScoreLine(k, kinds.label(k), n, kinds.weight(k)) for k, n in sorted(counts.items())]
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
    session_id = session.pk
    transaction.on_commit(lambda: session_reviewed.send(sender=ExamSession, session_id=session_id))
    return session
