"""`manage.py chat_sync_rooms`: (re)build every study group's group and parents' chats.

Signals keep the rooms in sync from then on; this is for groups that existed before the chat app
was installed, or after a bulk import that bypassed signals.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chat.rooms import sync_group_rooms
from server.school.models import StudyGroup


class Command(BaseCommand):
    help = "Create or update the group and parents' chats of every study group."

    def handle(self, *args: object, **options: object) -> None:
        groups = list(StudyGroup.objects.all())
        for group in groups:
            sync_group_rooms(group)
        self.stdout.write(f"{len(groups)} groups: chats in sync.")
