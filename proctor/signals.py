"""Signals other apps listen to, so proctor never imports them (the LMS grade passback hears reviews here)."""

from django.dispatch import Signal

# Sent once the verdict of an exam session is committed; keyword ``session_id``.
session_reviewed = Signal()
