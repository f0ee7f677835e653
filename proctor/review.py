"""Review of a finished session: decisions on episodes, the verdict and the credibility score.

The credibility score starts at 100 and loses its kind's weight (proctor.kinds) per *confirmed*
episode (pending and dismissed episodes never count); the breakdown is shown with the score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


# Episodes of one kind that start within this many seconds of the previous one's end are one review item:
# a looping second face gives several 2–3 s episodes in a minute, which is one thing to judge, not four.
GROUP_GAP = timedelta(seconds=60)


@dataclass(frozen=True)
class ReviewItem:
    """One decision on the timeline: an episode, or repeated episodes of one kind close together."""

    episodes: list[Episode]

    @property
    def first(self) -> Episode:
        return self.episodes[0]

    @property
    def kind(self) -> str:
        return self.first.kind

    @property
    def ended_at(self) -> datetime | None:
        return self.episodes[-1].ended_at

    @property
    def review(self) -> str:
        """The item's state: its episodes' common state, pending while any occurrence is undecided."""
        states = {episode.review for episode in self.episodes}
        return states.pop() if len(states) == 1 else Episode.Review.PENDING

    @property
    def review_label(self) -> str:
        return str(Episode.Review(self.review).label)


def review_items(episodes: Iterable[Episode]) -> list[ReviewItem]:
    """``episodes`` (any order) as review items in order of their first start."""
    items: list[ReviewItem] = []
    open_item: dict[str, ReviewItem] = {}  # the latest item of each kind
    for episode in sorted(episodes, key=lambda e: (e.started_at, e.pk or 0)):
        previous = open_item.get(episode.kind)
        last_end = previous and (previous.episodes[-1].ended_at or previous.episodes[-1].started_at)
        if previous and last_end and episode.started_at - last_end <= GROUP_GAP:
            previous.episodes.append(episode)
            continue
        open_item[episode.kind] = item = ReviewItem([episode])
        items.append(item)
    return items


def credibility(session: ExamSession) -> Credibility:
    """Each confirmed review item costs its kind's weight once (a looping second face is one violation)."""
    counts: dict[str, int] = {}
    for item in review_items(session.episodes.all()):
        if item.review == Episode.Review.CONFIRMED:
            counts[item.kind] = counts.get(item.kind, 0) + 1
    lines = [ScoreLine(k, kinds.label(k), n, kinds.weight(k)) for k, n in sorted(counts.items())]
    return Credibility(max(0, 100 - sum(line.penalty for line in lines)), lines)


def item_of(episode: Episode) -> ReviewItem:
    """The review item ``episode`` belongs to among its session's episodes."""
    for item in review_items(episode.session.episodes.all()):
        if any(member.pk == episode.pk for member in item.episodes):
            return item
    raise Episode.DoesNotExist(episode.pk)


@transaction.atomic
def decide(episode: Episode, decision: str, reviewer: User, comment: str = "") -> ReviewItem:
    """The decision on ``episode``'s whole review item: each occurrence gets it, and each is audited."""
    if decision not in (Episode.Review.CONFIRMED, Episode.Review.DISMISSED):
        raise ValueError("decision: confirmed or dismissed")
    item = item_of(episode)
    now = timezone.now()
    for member in item.episodes:
        member.review, member.reviewer, member.reviewed_at, member.comment = decision, reviewer, now, comment
        member.save(update_fields=["review", "reviewer", "reviewed_at", "comment"])
        audit.record(
            "proctor.episode_reviewed",
            actor=reviewer,
            subject=episode.session.student,
            episode=member.pk,
            decision=decision,
            comment=comment,
        )
    return item


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
