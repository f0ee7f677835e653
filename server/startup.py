"""What a production start refuses: a per-process secret key, and demo logins with their known passwords.

A start is *production* when ``DEBUG`` is off and ``ALLOWED_HOSTS`` names a host other than this
machine's loopback names — the site is served to others. There:

* ``SECRET_KEY`` must come from the environment. The fallback (a key generated into ``VAR_DIR``)
  is right for one machine trying things out, wrong for containers: each would make its own key,
  and sessions signed by one daphne would be refused by the next.
* No active account may still have a demo password (``<login>-demo``, printed by ``make run`` and in
  README.md). The demo is for trying the platform; on a real site it is a set of open doors.

daphne runs no Django system checks, so :mod:`server.asgi` calls :func:`refuse_unsafe_production_start`
while it loads the application; the same problems are a system check too (``manage.py check``,
``migrate``), so the compose ``migrate`` service reports them before any daphne starts.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_production() -> bool:
    return not settings.DEBUG and any(host not in LOCAL_HOSTS for host in settings.ALLOWED_HOSTS)


def demo_logins_with_demo_passwords() -> list[str]:
    """Active demo accounts whose password is still the published one (empty before migrations)."""
    from server.accounts.models import User
    from server.school.demo import DEMO_USERS

    passwords = {demo.username: demo.password for demo in DEMO_USERS}
    try:
        users = list(User.objects.filter(username__in=passwords, is_active=True))
    except DatabaseError:  # no tables yet: nothing to refuse
        return []
    return sorted(user.username for user in users if user.check_password(passwords[user.username]))


def production_problems() -> list[str]:
    if not is_production():
        return []
    problems = []
    if not settings.SECRET_KEY_FROM_ENVIRONMENT:
        problems.append(
            "SECRET_KEY is not set: set it in the environment (the same value for every process), "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    demo = demo_logins_with_demo_passwords()
    if demo:
        problems.append(
            f"demo logins with their published passwords are active: {', '.join(demo)}; "
            "run `python manage.py disable_demo_logins` (or give them new passwords in /admin/)"
        )
    return problems


def refuse_unsafe_production_start() -> None:
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured("refusing a production start: " + "; ".join(problems))


@checks.register(checks.Tags.security)
def check_production_start(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="classroom.E001") for problem in production_problems()]
