"""HTTP views of proctored exams: the student's exam page, the proctor's dashboard, review and reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from server import csp
from server.accounts import audit
from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import Role, User

from . import actions, enrollment, exam_access, kinds, reports, retention, review
from .exam_forms import ExamForm
from .live.exam_chat import exam_chat_id
from .models import Episode, Exam, ExamSession

MAX_COMMENT_CHARS = 2000
PLAYER_RATES = (1, 2, 4)  # the review player's speeds


@login_required
def exam_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    sitting = []
    for exam in exam_access.student_exams(user).order_by("opens_at"):
        session = ExamSession.objects.filter(exam=exam, student=user).first()
        if session is not None:  # an interrupted session whose time ran out says so, not "until" a past time
            session = actions.expire_if_due(session)
        sitting.append({"exam": exam, "session": session, "open": exam.is_open()})
    supervised = (
        exam_access.staff_exams(user)
        .select_related("group")
        .annotate(sitting=Count("sessions", filter=~Q(sessions__state=ExamSession.State.ENDED)))
    )
    context = {"sitting": sitting, "supervised": supervised, "may_set": may_set_exams(user)}
    return render(request, "proctor/exam_list.html", context)


def may_set_exams(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.TEACHER, Role.CURATOR)


@login_required
def create_exam(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Teachers (for their groups), curators and administrators set exams."""
    if not may_set_exams(request.user):
        raise Http404
    form = ExamForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        exam = form.save()
        audit.record("proctor.exam_created", actor=request.user, request=request, exam=exam.pk)
        return redirect("proctor:exam_list")
    return render(request, "proctor/exam_form.html", {"form": form})


@login_required
def take_exam(request: AuthenticatedHttpRequest, exam_id: int) -> HttpResponse:
    exam = get_object_or_404(exam_access.student_exams(request.user), pk=exam_id)
    session = ExamSession.objects.filter(exam=exam, student=request.user).first()
    if session is None:
        if not exam.is_open():
            return render(request, "proctor/exam_closed.html", {"exam": exam}, status=403)
        session = actions.open_session(exam, request.user)
    session = actions.expire_if_due(session)
    if session.is_over:
        return render(request, "proctor/exam_closed.html", {"exam": exam, "session": session}, status=200)
    policy = exam.vision_policy()
    context = {
        "exam": exam,
        "session": session,
        "config": {
            "session": session.pk,
            "socket": f"/ws/rtc/sessions/{session.pk}/",
            "consent_url": reverse("proctor:consent"),
            "has_consent": enrollment.has_consent(request.user),
            "needs_parent": not enrollment.may_consent_for(request.user, request.user),
            "has_reference": enrollment.reference_embedding(request.user) is not None,
            "microphone": policy.enabled(kinds.Kind.SPEECH),  # the offer carries it (media.sdp)
            "screen": policy.enabled(kinds.Kind.SCREEN_SHARE_STOPPED),  # the offer's second video (media.sdp)
            "second_monitor": policy.enabled(kinds.Kind.SECOND_MONITOR),
        },
        "chat_room": exam_chat_id(session.pk),
        "resumable_until": session.time_up_at if session.state == ExamSession.State.PAUSED else None,
    }
    response = render(request, "proctor/take_exam.html", context)
    if exam.lms_url:  # the address itself arrives over the exam socket; the policy names only its origin
        csp.allow(response, "frame-src", exam.lms_url)
    return response


@login_required
def dashboard(request: AuthenticatedHttpRequest, exam_id: int) -> HttpResponse:
    exam = get_object_or_404(Exam, pk=exam_id)
    if not exam_access.can_supervise(request.user, exam):
        raise Http404
    config = {
        "socket": f"/ws/proctor/exams/{exam.pk}/",
        "session_url": reverse("proctor:session_detail", args=[0]),
        "reference_url": reverse("proctor:session_reference", args=[0]),
        "confirm_reference_url": reverse("proctor:confirm_reference", args=[0]),
        "chat_url": reverse("chat:page"),
        "ice_servers": settings.RTC_ICE_SERVERS,
        "labels": kinds.labels(),
        "time_zone": settings.TIME_ZONE,  # the feed's times are the school's, as on the review page and reports
    }
    return render(request, "proctor/dashboard.html", {"exam": exam, "config": config})


def _visible_session(request: AuthenticatedHttpRequest, session_id: int) -> ExamSession:
    session = get_object_or_404(ExamSession.objects.select_related("exam", "student"), pk=session_id)
    if not exam_access.can_view_session(request.user, session):
        raise Http404
    return session


@login_required
def session_detail(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = _visible_session(request, session_id)
    own = session.student_id == request.user.pk
    if own and not session.reviewed:
        return render(request, "proctor/session_pending.html", {"session": session})
    context = {
        "session": session,
        "own": own,
        "can_review": not own and exam_access.can_review(request.user, session.exam),
        "items": review.review_items(session.episodes.select_related("reviewer")),
        "credibility": review.credibility(session),
        "verdicts": [c for c in ExamSession.Verdict.choices if c[0]],
        "max_comment_chars": MAX_COMMENT_CHARS,
        "time_zone": settings.TIME_ZONE,  # the player's clock is the school's, as the timeline's times
        "rates": PLAYER_RATES,
    }
    return render(request, "proctor/session_detail.html", context)


def _reviewable_episode(request: AuthenticatedHttpRequest, episode_id: int) -> Episode:
    episode = get_object_or_404(Episode.objects.select_related("session__exam", "session__student"), pk=episode_id)
    if not exam_access.can_review(request.user, episode.session.exam):
        raise Http404
    return episode


def _comment(request: AuthenticatedHttpRequest) -> str:
    text = request.POST.get("comment", "").strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise PermissionDenied(f"comment: at most {MAX_COMMENT_CHARS} characters")
    return text


@login_required
@require_POST
def review_episode(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = _reviewable_episode(request, episode_id)
    try:
        item = review.decide(episode, request.POST.get("decision", ""), request.user, _comment(request))
    except ValueError as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=400)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True, "review": item.review, "episodes": [e.pk for e in item.episodes]})
    return redirect("proctor:session_detail", episode.session_id)


@login_required
@require_POST
def set_verdict(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = _visible_session(request, session_id)
    if not exam_access.can_review(request.user, session.exam):
        raise Http404
    try:
        review.set_verdict(session, request.POST.get("verdict", ""), request.user)
    except ValueError as error:
        return JsonResponse({"ok": False, "error": str(error)}, status=400)
    messages.success(request, _("Решение сохранено: %(verdict)s.") % {"verdict": session.get_verdict_display()})
    return redirect("proctor:session_detail", session.pk)


@login_required
@require_POST
def student_comment(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """The student answers a flag on their own reviewed session."""
    episode = get_object_or_404(Episode.objects.select_related("session"), pk=episode_id)
    if episode.session.student_id != request.user.pk or not episode.session.reviewed:
        raise Http404
    episode.student_comment = _comment(request)
    episode.save(update_fields=["student_comment"])
    return redirect("proctor:session_detail", episode.session_id)


@login_required
def evidence(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    """An episode's evidence (a JPEG snapshot, a WAV clip for speech): found only by its random token, and only for
    those who may see the episode."""
    episode = Episode.objects.select_related("session").filter(evidence_token=token).exclude(evidence="").first()
    if episode is None or not exam_access.can_view_episode(request.user, episode):
        raise Http404
    path = reports.evidence_path(episode)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type=reports.evidence_content_type(path))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_data(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The signed-in user's own proctoring data, as a JSON download."""
    response = JsonResponse(retention.student_export(request.user), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-proctoring-data.json"'
    audit.record("proctor.data_export", actor=request.user, request=request)
    return response


def _reportable_exam(request: AuthenticatedHttpRequest, exam_id: int) -> Exam:
    exam = get_object_or_404(exam_access.staff_exams(request.user), pk=exam_id)
    if request.user.has_role(Role.STUDENT) and not request.user.has_role(Role.ADMIN):
        raise Http404
    return exam


@login_required
def report(request: AuthenticatedHttpRequest, exam_id: int) -> HttpResponse:
    exam = _reportable_exam(request, exam_id)
    rows = reports.rows(exam)
    return render(request, "proctor/report.html", {"exam": exam, "rows": rows, "now": timezone.now()})


@login_required
def report_csv(request: AuthenticatedHttpRequest, exam_id: int) -> HttpResponse:
    exam = _reportable_exam(request, exam_id)
    response = HttpResponse(reports.as_csv(exam), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="exam-{exam.pk}-report.csv"'
    return response


@login_required
def report_pdf(request: AuthenticatedHttpRequest, exam_id: int) -> HttpResponse:
    exam = _reportable_exam(request, exam_id)
    response = HttpResponse(reports.as_pdf(exam), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exam-{exam.pk}-report.pdf"'
    return response
