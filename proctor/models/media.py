"""The media workers' registry: each running worker's row, kept fresh by its heartbeats (proctor.media.registry)."""

from __future__ import annotations

from django.db import models


class MediaWorker(models.Model):
    """One running media-worker process (one row per start: a restarted worker is a new row and channel).

    The database is the registry because it is the one store both layouts have (SQLite embedded, PostgreSQL
    scaled) and the sessions' placement lives next to it (``ExamSession.media_worker``). ``beats`` counts
    heartbeats: a watcher judges liveness by seeing it change on its own clock, so a database outage or
    hosts' clocks never make a live worker look dead (see :class:`proctor.media.registry.Liveness`).
    """

    name = models.CharField(max_length=100)  # the operator's name for it (``--name``, default the host name)
    host = models.CharField(max_length=255)  # where it runs (host name), for operators
    pid = models.PositiveIntegerField()
    layer = models.CharField(max_length=255)  # the channel layer it listens on (proctor.media.link.layer_name)
    capacity = models.PositiveIntegerField()  # students it is sized for (RTC_MEDIA_CAPACITY)
    students = models.PositiveIntegerField(default=0)  # sessions it holds, as of its last heartbeat
    cpu = models.FloatField(default=0.0)  # its host's busy CPU share over the last heartbeat period, 0..1
    beats = models.PositiveBigIntegerField(default=0)
    stopped = models.BooleanField(default=False)  # it stopped by itself (SIGTERM): dead at once, not after a wait
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} ({self.host} pid {self.pid})"
