"""The first password change right after logging in with a school-issued one-time password.

The student has just typed the one-time password from their slip; asking for it again on the very next
page only makes them dig out the slip twice. So the login stamps its session, and for a short window
that session may set a new password without the old one. Outside the window, in another session, or for
a user whose password is their own, the usual form asks for the current password: a stolen session cookie
later on cannot change the password without knowing it.
"""

from __future__ import annotations

import time

from django.http import HttpRequest

from .models import User

SESSION_KEY = "accounts.one_time_login_at"
WINDOW_SECONDS = 10 * 60


def remember(request: HttpRequest, user: User) -> None:
    """Called by the login form: stamp the session if the password just typed was the school's one-time one."""
    if user.must_change_password:
        request.session[SESSION_KEY] = time.time()


def may_skip_old_password(request: HttpRequest, user: User) -> bool:
    """True only in the session that logged in with the one-time password, within the window."""
    stamped = request.session.get(SESSION_KEY)
    if not user.must_change_password or not isinstance(stamped, float):
        return False
    return 0 <= time.time() - stamped <= WINDOW_SECONDS


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
