"""Assignment and Grade Services: a reviewed session's result goes to the LMS gradebook.

Heard through :data:`proctor.signals.session_reviewed` (proctor knows nothing of LMSs). The score, out of
:data:`SCORE_MAXIMUM`, is what the proctoring says about the attempt, not the quiz's own mark: 0 for an
annulled result; otherwise 100, or the credibility score when the placement asks for it. The comment names
the verdict (and the credibility). A session of an exam not placed from an LMS, of a student who never
launched from that LMS, or of a link without a gradebook column sends nothing. What was sent, or why it
failed, is kept in :class:`lti.models.GradeSent`; a new verdict sends again (the LMS keeps the latest score).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import requests
from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade

from proctor.models import ExamSession
from proctor.review import credibility
from proctor.signals import session_reviewed

from .models import GradeSent, Placement, PlatformAccount
from .tool import service_connector

log = logging.getLogger(__name__)

SCORE_MAXIMUM = 100
SCORE_SCOPE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@receiver(session_reviewed)
def send_after_review(sender: type, session_id: int, **kwargs: Any) -> None:
    send(session_id)


def send(session_id: int) -> GradeSent | None:
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    placement = Placement.objects.select_related("course__platform").filter(exam=session.exam_id).first()
    if placement is None or not placement.lineitem_url or not session.verdict:
        return None
    platform = placement.course.platform
    account = PlatformAccount.objects.filter(platform=platform, user=session.student).first()
    if account is None:
        return None
    score, comment = _result(session, placement)
    record, _ = GradeSent.objects.update_or_create(
        session=session, defaults={"score": score, "comment": comment, "sent_at": None, "error": ""}
    )
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(SCORE_MAXIMUM)
        .set_user_id(account.sub)
        .set_comment(comment)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(timezone.now().isoformat())
    )
    service = AssignmentsGradesService(
        service_connector(platform), {"scope": [SCORE_SCOPE], "lineitem": placement.lineitem_url}
    )
    try:
        service.put_grade(grade)
    except (LtiException, requests.RequestException, ValueError, KeyError) as error:  # KeyError: no access_token
        log.warning("grade of session %s not accepted by %s: %s", session.pk, platform, error)
        record.error = str(error)[:2000]
        record.save(update_fields=["error"])
        return record
    record.sent_at = timezone.now()
    record.save(update_fields=["sent_at"])
    return record


def _result(session: ExamSession, placement: Placement) -> tuple[int, str]:
    """The score and the gradebook comment, in the school's language whoever reviewed."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [gettext("Прокторинг: %(verdict)s.") % {"verdict": session.get_verdict_display()}]
        if session.verdict == ExamSession.Verdict.ANNULLED:
            return 0, " ".join(parts)
        if not placement.send_credibility:
            return SCORE_MAXIMUM, " ".join(parts)
        score = credibility(session).score
        parts.append(gettext("Достоверность: %(score)s из 100.") % {"score": score})
        return score, " ".join(parts)
