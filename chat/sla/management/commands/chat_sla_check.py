"""Notify curators of parents' questions due soon or overdue (cron, e.g. every 15 minutes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from chat.sla.notify import notify_due


class Command(BaseCommand):
    help = "Notify curators about parents' questions that are due soon or overdue (each question once per state)."

    def handle(self, *args: object, **options: object) -> None:
        sent = notify_due(timezone.now())
        self.stdout.write(f"due soon: {sent.due_soon} notified; overdue: {sent.overdue} notified")
