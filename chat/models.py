"""Chat rooms, who is in them, and what was said (with the audit trail of changes).

A room's messages carry a per-room sequence number ``seq`` (1, 2, 3 … with no
gaps: it is allocated in the same transaction that stores the message), so a
client that knows its last ``seq`` can ask for exactly what it missed. Edits
and deletions bump the room's ``last_change`` counter and stamp the message's
``change_seq``, so a reconnecting client can also catch up on changes to
messages it already has.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class Room(models.Model):
    class Kind(models.TextChoices):
        GROUP = "group", _("Чат группы")
        PARENTS = "parents", _("Родительский чат")
        DIRECT = "direct", _("Личный чат")
        LESSON = "lesson", _("Чат урока")
        EXAM = "exam", _("Чат экзамена")

    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("ключ"), max_length=100, help_text=_("Уникален внутри вида: id группы, пары и т. п."))
    title = models.CharField(_("название"), max_length=200)
    group = models.ForeignKey(
        "school.StudyGroup",
        verbose_name=_("группа"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a group's chats with history outlive it (chat.signals drops empty ones)
        related_name="chat_rooms",
    )
    last_seq = models.PositiveBigIntegerField(_("последний номер сообщения"), default=0)
    last_change = models.PositiveBigIntegerField(_("последний номер изменения"), default=0)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="chat_rooms")

    class Meta:
        verbose_name = _("чат")
        verbose_name_plural = _("чаты")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_room_kind_key")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title as people see it, in the active language.

        A room is shared by people who read it in different languages, so ``title`` stores only
        names (a group, a lesson, people), never words of one language; what the kind adds around
        the name is added here, when shown.
        """
        if self.kind == self.Kind.PARENTS:
            return pgettext("chat room title", "%(group)s: родители") % {"group": self.title}
        return self.title


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("участник")
        MODERATOR = "moderator", _("модератор")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships")
    role = models.CharField(_("роль в чате"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    last_read_seq = models.PositiveBigIntegerField(_("прочитано до"), default=0)
    muted_until = models.DateTimeField(_("без права писать до"), null=True, blank=True)
    joined_at = models.DateTimeField(_("добавлен"), auto_now_add=True)

    class Meta:
        verbose_name = _("участник чата")
        verbose_name_plural = _("участники чатов")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="unique_room_member")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.room}"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField(_("номер в чате"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="chat_messages"
    )
    client_id = models.CharField(_("id сообщения у клиента"), max_length=64)
    text = models.TextField(_("текст"))
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", verbose_name=_("ответ на")
    )
    mentions = models.JSONField(_("упомянутые (id)"), default=list, blank=True)
    created_at = models.DateTimeField(_("отправлено"), auto_now_add=True)
    edited_at = models.DateTimeField(_("изменено"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("удалено"), null=True, blank=True)
    change_seq = models.PositiveBigIntegerField(_("номер изменения"), default=0)

    class Meta:
        verbose_name = _("сообщение")
        verbose_name_plural = _("сообщения")
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="unique_message_seq"),
            models.UniqueConstraint(fields=["room", "author", "client_id"], name="unique_message_client_id"),
        ]
        indexes = [models.Index(fields=["room", "change_seq"], name="chat_message_change")]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class MessageRevision(models.Model):
    """The text a message had before an edit or a deletion (visible to moderators)."""

    class Action(models.TextChoices):
        EDIT = "edit", _("изменено")
        DELETE = "delete", _("удалено")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(_("действие"), max_length=10, choices=Action.choices)
    old_text = models.TextField(_("прежний текст"))
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("когда"), auto_now_add=True)

    class Meta:
        verbose_name = _("правка сообщения")
        verbose_name_plural = _("правки сообщений")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message} {self.action}"


class Report(models.Model):
    """A member's complaint about a message, for the room's moderators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("причина"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("рассмотрена"), null=True, blank=True)

    class Meta:
        verbose_name = _("жалоба")
        verbose_name_plural = _("жалобы")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="unique_report_per_reporter")]

    def __str__(self) -> str:
        return f"{self.message}: {self.reason[:50]}"
