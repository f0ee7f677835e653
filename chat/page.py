"""The chat page: the browser app (web/static/js/chat/) talks to /ws/chat/ and the HTTP endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .attachments.conf import LIMITS as ATTACHMENT_LIMITS
from .conf import LIMITS
from .models import Room
from .sla import queries as answers


def strings() -> dict:
    """The texts the script shows, in the request's language."""
    return {
        "online": _("В сети"),
        "connecting": _("Подключение…"),
        "reconnecting": _("Переподключение…"),
        "offline": _("Нет связи — переподключаемся…"),
        "kinds": {kind: str(label) for kind, label in Room.Kind.choices},
        "no_messages": _("Сообщений пока нет"),
        "unread": _("непрочитанных"),
        "someone": _("Удалённый пользователь"),
        "deleted": _("Сообщение удалено"),
        "edited": _("изменено"),
        "reply": _("Ответить"),
        "edit": _("Изменить"),
        "delete": _("Удалить"),
        "report": _("Пожаловаться"),
        "mute": _("Запретить писать"),
        "read": _("Прочитано"),
        "delivered": _("Доставлено"),
        "read_by": _("Прочитали"),
        "who_read": _("Кто прочитал"),
        "nobody_read": _("Пока никто не прочитал."),
        "new_message_from": _("Новое сообщение от"),
        "loading_older": _("Загрузка более ранних сообщений…"),
        "history_start": _("Начало переписки"),
        "members": _("Участники"),
        "online_now": _("в сети"),
        "moderator": _("модератор"),
        "is_typing": _("печатает…"),
        "are_typing": _("печатают…"),
        "send": _("Отправить"),
        "save": _("Сохранить"),
        "cancel": _("Отмена"),
        "sending": _("Отправляется…"),
        "not_sent": _("Не отправлено"),
        "blocked": _("Сообщение не отправлено"),
        "retry": _("Повторить"),
        "discard": _("Убрать"),
        "replying_to": _("Ответ на сообщение"),
        "editing": _("Изменение сообщения"),
        "confirm_delete": _("Удалить сообщение?"),
        "report_prompt": _("Что не так с этим сообщением? (необязательно)"),
        "reported": _("Жалоба отправлена модераторам."),
        "mute_prompt": _("На сколько минут запретить писать (0 — снять запрет):"),
        "muted": _("Запрещено писать:"),
        "unmuted": _("Снова может писать:"),
        "muted_until": _("не может писать до"),
        "you_are_muted": _("Модератор запретил вам писать в этом чате до"),
        "you_are_unmuted": _("Вы снова можете писать в этом чате."),
        "write_privately": _("Написать лично"),
        "reports": _("Жалобы"),
        "no_reports": _("Жалоб нет."),
        "too_long": _("Слишком длинное сообщение, максимум символов:"),
        "wait_uploads": _("Дождитесь окончания загрузки файлов."),
        "too_many_files": _("Слишком много файлов, максимум:"),
        "file_too_large": _("файл слишком большой"),
        "uploading": _("загрузка…"),
        "uploaded": _("готово"),
        "remove": _("Убрать"),
        "bytes": _("Б"),
        "kb": _("КБ"),
        "mb": _("МБ"),
        "errors": {
            "rate_limited": _("Слишком часто — подождите немного."),
            "muted": _("Модератор запретил вам писать в этом чате."),
            "read_only": _("В этом чате можно только читать."),
            "too_large": _("Файл слишком большой."),
            "unsupported_type": _(
                "Такой тип файла нельзя отправить: только фото, аудио, видео, PDF, документы и текст."
            ),
            "too_late": _("Время на изменение сообщения истекло."),
            "forbidden": _("Недостаточно прав."),
            "offline": _("Нет связи с сервером."),
            "disconnected": _("Связь прервалась."),
            "timeout": _("Сервер не ответил вовремя."),
            "network": _("Ошибка сети."),
            "bad_attachment": _("Вложение уже отправлено или недоступно."),
        },
    }


@require_GET
@login_required
def page(request: HttpRequest) -> HttpResponse:
    config = {
        "user": request.user.pk,
        "user_name": str(request.user),
        "csrf_token": get_token(request),
        "max_text_chars": LIMITS.max_text_chars,
        "max_bytes": ATTACHMENT_LIMITS.max_bytes,
        "per_message": ATTACHMENT_LIMITS.per_message,
    }
    show_answers = answers.may_use(request.user)
    overdue = answers.overdue(request.user, timezone.now()).count() if show_answers else 0
    context = {"config": config, "strings": strings(), "show_answers": show_answers, "overdue": overdue}
    return render(request, "chat/chat.html", context)
