"""What each role can reach: one list drives the menu and the home page cards.

Apps add their entries here; an entry is shown when the user holds any of its
roles. ``url`` is a URL name resolved at render time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from server.accounts.models import Role, User

EVERYONE = tuple(Role.values)


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    description: str | Promise
    url: str
    roles: tuple[str, ...]


ENTRIES: list[Entry] = [
    Entry(
        _("Мои группы"),
        _("Классы и группы, ученики, кураторы и учителя"),
        "school:group_list",
        (Role.ADMIN, Role.DIRECTOR, Role.CURATOR, Role.TEACHER, Role.STUDENT, Role.PARENT),
    ),
    Entry(
        _("Выдать логины"),
        _("Импорт списка учеников и родителей из CSV, лист логинов для печати"),
        "import_users",
        (Role.ADMIN, Role.CURATOR),
    ),
    Entry(
        _("Администрирование"),
        _("Пользователи, роли, группы, журнал безопасности"),
        "admin:index",
        (Role.ADMIN, Role.DIRECTOR),
    ),
    Entry(
        _("Онлайн-уроки"),
        _("Расписание уроков и консультаций, вход на урок, посещаемость"),
        "lessons:schedule",
        (Role.ADMIN, Role.DIRECTOR, Role.CURATOR, Role.TEACHER, Role.STUDENT, Role.PARENT),
    ),
    Entry(
        _("Экзамены"),
        _("Экзамены с прокторингом: сдать, наблюдать, проверить"),
        "proctor:exam_list",
        (Role.ADMIN, Role.DIRECTOR, Role.CURATOR, Role.TEACHER, Role.PROCTOR, Role.STUDENT),
    ),
    Entry(_("Чаты"), _("Чаты групп и родителей, личные сообщения, файлы и фото"), "chat:page", EVERYONE),
    Entry(
        _("Согласие на биометрию"),
        _("Согласие на проверку личности по фото на экзаменах: дать или отозвать (за ребёнка — родитель)"),
        "proctor:consent",
        (Role.STUDENT, Role.PARENT),
    ),
    Entry(
        _("Ответы родителям"),
        _("Вопросы родителей кураторам: что скоро нужно ответить, что просрочено, отчёт"),
        "chat:answers",
        (Role.ADMIN, Role.CURATOR),
    ),
    Entry(_("Сменить пароль"), _("Пароль для входа"), "password_change", EVERYONE),
]


def entries_for(user: User) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for entry in ENTRIES:
        if not user.has_role(*entry.roles):
            continue
        items.append({"label": entry.label, "description": entry.description, "href": reverse(entry.url)})
    return items
