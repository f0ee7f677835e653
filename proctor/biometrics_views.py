"""HTTP views of biometric consent and reference photos.

Who may do what (docs/security.md, "Biometric consent and reference photos"):
- consent: an adult student for themselves; a linked parent for their child (a student under 18 or
  of unknown age); staff record signed paper forms in the admin. Withdrawal by the same people deletes
  the reference photo and embedding at once.
- a reference photo over HTTP: staff only (``proctor.add_referencephoto``); a student takes theirs from
  the live camera over the exam socket (``reference.capture``), never by uploading a file.
- the proctors of an exam see a session's reference photo beside the live face and confirm a student-taken one.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import User
from server.query_values import strict_int
from server.school.access import children_of
from server.ws import ProtocolError

from . import actions, enrollment, exam_access, reference_gate
from .models import ExamSession
from .vision.frames import InputError

MAX_PHOTO_BYTES = 2 * 1024 * 1024


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _consent_subject(request: AuthenticatedHttpRequest) -> User:
    """The student a consent request is about: the user themselves, or (``student`` field) a linked child."""
    student_id = request.POST.get("student")
    if not student_id:
        return request.user
    return get_object_or_404(children_of(request.user), pk=strict_int(student_id) or -1)


@login_required
def consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the user's (and their children's) consent, with give/withdraw buttons. POST: give consent."""
    if request.method == "POST":
        student = _consent_subject(request)
        if not enrollment.may_consent_for(request.user, student):
            error = _("Вам нет 18 лет (или школа не указала дату рождения): согласие даёт родитель в своём кабинете.")
            if _wants_json(request):
                return JsonResponse({"ok": False, "needs_parent": True, "error": error}, status=403)
            raise Http404
        if not enrollment.has_consent(student):
            enrollment.record_consent(student, given_by=request.user, request=request)
        return JsonResponse({"ok": True}) if _wants_json(request) else redirect("proctor:consent")
    people = [request.user, *children_of(request.user)]
    rows = [
        {
            "student": person,
            "own": person.pk == request.user.pk,
            "has_consent": enrollment.has_consent(person),
            "may_give": enrollment.may_consent_for(request.user, person),
            "has_reference": enrollment.current_reference(person) is not None,
        }
        for person in people
    ]
    return render(request, "proctor/consent.html", {"rows": rows})


@login_required
@require_POST
def withdraw_consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The student (or a linked parent) withdraws consent: reference photo and embedding are deleted now, and an
    exam session still going ends (its socket closes, the media worker drops the stream and its embedding)."""
    student = _consent_subject(request)
    with transaction.atomic():  # proctoring stops with the consent: the live analysis drops its copy too
        actions.end_unfinished_sessions(student, ExamSession.EndReason.NO_CONSENT)
        enrollment.withdraw_consent(student, actor=request.user, request=request)
    return JsonResponse({"ok": True}) if _wants_json(request) else redirect("proctor:consent")


def _staff_upload_target(user: User, student_id: str) -> User | None:
    pk = strict_int(student_id)
    if not user.has_perm("proctor.add_referencephoto") or pk is None:
        return None
    return User.objects.filter(pk=pk).first()


@require_POST
async def reference(request: HttpRequest) -> JsonResponse:
    """Staff upload the school's reference photo of ``?student=<id>`` (JPEG/PNG/WebP body).

    Async on purpose: the quality gate runs on its own threads (:mod:`proctor.reference_gate`, rate
    limited per user), never on the thread all of this process's database calls share.
    """
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse({"ok": False, "error": _("войдите в систему")}, status=401)
    student = await database_sync_to_async(_staff_upload_target)(user, request.GET.get("student", ""))
    if student is None:
        return JsonResponse({"ok": False, "error": _("эталонное фото загружает только сотрудник школы")}, status=403)
    if len(request.body) > MAX_PHOTO_BYTES:
        return JsonResponse({"ok": False, "error": _("фото больше 2 МБ")}, status=400)
    if not await database_sync_to_async(enrollment.has_consent)(student):
        return JsonResponse({"ok": False, "error": _("у ученика нет согласия на обработку биометрии")}, status=403)
    try:
        verdict = await reference_gate.assess_photo(user.pk, request.body)
    except ProtocolError as error:
        return JsonResponse({"ok": False, "error": error.detail}, status=429)
    except InputError:
        return JsonResponse({"ok": False, "error": _("файл не является изображением")}, status=400)
    try:
        result = await database_sync_to_async(enrollment.store_school_photo)(student, verdict, user, request)
    except enrollment.ConsentRequired:
        return JsonResponse({"ok": False, "error": _("у ученика нет согласия на обработку биометрии")}, status=403)
    if result.photo is None:
        return JsonResponse({"ok": False, "error": " ".join(i.message() for i in verdict.issues)}, status=400)
    return JsonResponse({"ok": True})


def _supervised_session(request: AuthenticatedHttpRequest, session_id: int) -> ExamSession:
    session = get_object_or_404(ExamSession.objects.select_related("exam", "student"), pk=session_id)
    if not exam_access.can_supervise(request.user, session.exam):
        raise Http404
    return session


@login_required
def session_reference(request: AuthenticatedHttpRequest, session_id: int) -> FileResponse:
    """The student's reference photo, for the proctors of the session's exam (beside the live face)."""
    photo = enrollment.current_reference(_supervised_session(request, session_id).student)
    if photo is None or not photo.image:
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def confirm_reference(request: AuthenticatedHttpRequest, session_id: int) -> JsonResponse:
    session = _supervised_session(request, session_id)
    summary = actions.confirm_reference(session.pk, request.user, request)
    return JsonResponse({"ok": True, "reference_to_confirm": summary["reference_to_confirm"]})
