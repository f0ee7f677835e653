"""``manage.py disable_demo_logins``: close the demo accounts whose password is still the published one."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from server.accounts import audit
from server.accounts.models import User
from server.startup import demo_logins_with_demo_passwords


class Command(BaseCommand):
    requires_system_checks = []  # it clears check classroom.E001, so that check must not stop it
    help = (
        "Deactivate every demo login (admin, student, …) that still has its published <login>-demo password, "
        "so a production start is allowed. Their history stays; an administrator can reactivate one with a new "
        "password in /admin/."
    )

    def handle(self, *args: object, **options: object) -> None:
        logins = demo_logins_with_demo_passwords()
        for user in User.objects.filter(username__in=logins):
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
            audit.record("accounts.demo_login_disabled", subject=user)
        self.stdout.write(f"disabled {len(logins)} demo login(s): {', '.join(logins) or '—'}")
