"""Issue 14: repeated short episodes of one kind close together are one review item — one decision for
all occurrences (each audited), one line on the timeline, one violation in the credibility score."""

from __future__ import annotations

import re
from datetime import timedelta

from proctor import actions, review
from proctor.models import Episode
from proctor.models.exams import evidence_token
from server.accounts.models import AuditEvent


def _looping_second_face(world) -> list[Episode]:
    """Four 2–3 s multiple_faces episodes in 40 s after the world's one, and a no_face in between."""
    session, first = world["session"], world["episode"]
    start = first.ended_at
    made = [first]
    for offset in (10, 20, 30, 40):
        at = start + timedelta(seconds=offset)
        made.append(
            Episode.objects.create(
                session=session, kind="multiple_faces", started_at=at, ended_at=at + timedelta(seconds=2)
            )
        )
    Episode.objects.create(
        session=session,
        kind="no_face",
        started_at=start + timedelta(seconds=15),
        ended_at=start + timedelta(seconds=19),
    )
    return made


def test_repeated_episodes_are_one_item_and_a_later_one_is_not(world):
    looping = _looping_second_face(world)
    far = looping[-1].ended_at + review.GROUP_GAP + timedelta(seconds=1)
    later = Episode.objects.create(session=world["session"], kind="multiple_faces", started_at=far, ended_at=far)
    items = review.review_items(world["session"].episodes.all())
    assert [(item.kind, [e.pk for e in item.episodes]) for item in items] == [
        ("multiple_faces", [e.pk for e in looping]),
        ("no_face", [items[1].first.pk]),
        ("multiple_faces", [later.pk]),
    ]


def test_one_decision_decides_every_occurrence_and_counts_once(world, client_for):
    looping = _looping_second_face(world)
    proctor = client_for(world["users"]["proctor"])
    page = proctor.get(f"/proctor/sessions/{world['session'].pk}/").content.decode()
    assert len(re.findall(r'data-kind="multiple_faces"', page)) == 1
    assert 'data-occurrences="5"' in page
    response = proctor.post(
        f"/proctor/episodes/{looping[2].pk}/review/", {"decision": "confirmed"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True, "review": "confirmed", "episodes": [e.pk for e in looping]}
    assert set(Episode.objects.filter(kind="multiple_faces").values_list("review", flat=True)) == {"confirmed"}
    assert Episode.objects.get(kind="no_face").review == Episode.Review.PENDING
    assert AuditEvent.objects.filter(kind="proctor.episode_reviewed").count() == len(looping)
    score = review.credibility(world["session"])
    assert [(line.kind, line.count) for line in score.lines] == [("multiple_faces", 1)]


def test_an_occurrence_after_the_decision_reopens_the_item_until_it_is_decided_again(world, client_for):
    """A live session can add to an item already decided: the new occurrence is undecided, so the item shows
    pending again and counts only once it is confirmed; the new decision covers every occurrence."""
    session = world["session"]
    session.state = "running"
    session.save(update_fields=["state"])
    looping = _looping_second_face(world)
    proctor = client_for(world["users"]["proctor"])
    decide = f"/proctor/episodes/{looping[0].pk}/review/"
    proctor.post(decide, {"decision": "confirmed"}, HTTP_ACCEPT="application/json")
    at = looping[-1].ended_at + timedelta(seconds=20)
    actions.open_episode(session.pk, "multiple_faces", at, None, evidence_token(), "", at.timestamp())
    actions.close_episode(session.pk, "multiple_faces", at + timedelta(seconds=3), None, at.timestamp() + 3)

    (item,) = [i for i in review.review_items(session.episodes.all()) if i.kind == "multiple_faces"]
    assert len(item.episodes) == len(looping) + 1
    assert item.review == Episode.Review.PENDING
    assert review.credibility(session).lines == []
    page = proctor.get(f"/proctor/sessions/{session.pk}/").content.decode()
    assert 'data-kind="multiple_faces" data-review="pending"' in page

    answer = proctor.post(decide, {"decision": "dismissed"}, HTTP_ACCEPT="application/json").json()
    assert answer["episodes"] == [e.pk for e in item.episodes]
    assert set(Episode.objects.filter(kind="multiple_faces").values_list("review", flat=True)) == {"dismissed"}
