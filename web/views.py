from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import Role
from server.school import access


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "role_labels": [Role(r).label for r in sorted(user.roles)],
        "groups": access.visible_groups(user)[:20],
        "children": access.children_of(user) if user.has_role(Role.PARENT) else [],
        "notifications": user.notifications.filter(read_at__isnull=True)[:10],
    }
    return render(request, "web/home.html", context)
