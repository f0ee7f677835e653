"""Read-only pages of the school structure, filtered by the visibility rules."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from server.accounts.http import AuthenticatedHttpRequest

from . import access


@login_required
def group_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    groups = access.visible_groups(request.user).prefetch_related("curators", "teachers")
    return render(request, "school/group_list.html", {"groups": groups})


@login_required
def group_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(access.visible_groups(request.user), pk=pk)
    students = access.visible_students(request.user).filter(study_groups=group)
    return render(request, "school/group_detail.html", {"group": group, "students": students})


@login_required
def student_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    student = get_object_or_404(access.visible_students(request.user), pk=pk)
    context = {
        "student": student,
        "groups": access.visible_groups(request.user).filter(students=student),
        "parents": access.visible_parents(request.user).filter(child_links__child=student),
    }
    return render(request, "school/student_detail.html", context)


@login_required
def parent_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    parent = get_object_or_404(access.visible_parents(request.user), pk=pk)
    children = access.visible_students(request.user).filter(parent_links__parent=parent)
    return render(request, "school/parent_detail.html", {"parent": parent, "children": children})
