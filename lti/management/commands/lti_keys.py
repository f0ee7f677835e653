"""``manage.py lti_keys [list|rotate|retire [--] KID]``: our LTI signing keys (see lti/keys.py on rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti import keys
from lti.models import ToolKey


class Command(BaseCommand):
    help = "List, rotate or retire the LTI tool's signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "rotate", "retire"])
        parser.add_argument(
            "kid", nargs="?", help="the key to retire; a kid that starts with '-' goes after '--': retire -- -Ab3…"
        )

    def handle(self, *args: Any, action: str, kid: str | None, **options: Any) -> None:
        if action == "rotate":
            self.stdout.write(f"new signing key {keys.create_key().kid}")
        elif action == "retire":
            if not kid:
                raise CommandError("retire needs the key's kid")
            try:
                keys.retire(kid)
            except ToolKey.DoesNotExist:
                raise CommandError(f"no active key {kid}") from None
            except keys.CannotRetire:
                raise CommandError("the last active key cannot be retired: rotate first") from None
            self.stdout.write(f"retired {kid}")
        keys.signing_key()
        for key in ToolKey.objects.all():
            state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "published"
            self.stdout.write(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M}  {state}")
