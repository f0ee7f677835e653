from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import Role

from . import home as now_items

NOTIFICATIONS_SHOWN = 10


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What to do now, for each of the user's roles (web.home), then the notifications and everything else."""
    user = request.user
    now = timezone.now()
    context = {
        "role_labels": [Role(r).label for r in sorted(user.roles)],
        "sections": now_items.sections_for(user, now),
        "children": now_items.children_of(user, now) if user.has_role(Role.PARENT) else [],
        "notifications": user.notifications.filter(read_at__isnull=True)[:NOTIFICATIONS_SHOWN],
    }
    return render(request, "web/home.html", context)
