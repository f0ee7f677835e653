"""Why a launch was refused, in words a student or teacher can act on (the technical reason goes to the log).

The library raises one exception type with English text; :func:`from_library` sorts its messages into the
few cases a person can tell apart. Pages show the reason in Russian (English with the English locale) and
the HTTP status says who is at fault: 400 a broken request, 403 a refused one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Refusal(Exception):
    code: str
    status: int
    message: Promise | str


STATE = Refusal(
    "state", 400, _("Сеанс входа из LMS не найден или устарел. Откройте ссылку в курсе ещё раз (в новом окне).")
)
SIGNATURE = Refusal("signature", 403, _("Подпись запуска не прошла проверку: запуск пришёл не от вашей LMS."))
EXPIRED = Refusal("expired", 403, _("Срок действия запуска истёк. Откройте ссылку в курсе ещё раз."))
REPLAYED = Refusal("replayed", 403, _("Этот запуск уже был использован. Откройте ссылку в курсе ещё раз."))
UNKNOWN_PLATFORM = Refusal(
    "platform", 403, _("Эта LMS не зарегистрирована в школе (или запуск адресован другому инструменту).")
)
UNKNOWN_DEPLOYMENT = Refusal("deployment", 403, _("Это подключение инструмента в LMS не зарегистрировано в школе."))
MALFORMED = Refusal("malformed", 400, _("Запуск из LMS повреждён или неполон."))
NO_ROLE = Refusal("role", 403, _("Ваша роль в курсе LMS не даёт доступа к этой ссылке."))
NOT_TEACHER = Refusal("deep_linking", 403, _("Добавлять экзамены и уроки в курс могут только преподаватели курса."))
UNKNOWN_PLACEMENT = Refusal(
    "placement",
    404,
    _("Ссылка не найдена: она создана в другом курсе или удалена. Попросите преподавателя добавить её заново."),
)
DEACTIVATED = Refusal("inactive", 403, _("Ваша учётная запись в школе отключена. Обратитесь к администратору школы."))
NO_CONTEXT = Refusal("context", 400, _("Запуск не из курса: у ссылки в LMS нет курса."))

# Fragments of pylti1p3 2.0.0's messages (and ours in lti.tool) → the refusal they mean; first match wins.
_LIBRARY_MESSAGES = (
    ("State not found", STATE),
    ("Missing state", STATE),
    ("Missing lti1p3-session-id cookie", STATE),
    ("cookie", STATE),
    ("Invalid Nonce", REPLAYED),
    ("Signature has expired", EXPIRED),
    ("Registration not found", UNKNOWN_PLATFORM),
    ("Client id not registered", UNKNOWN_PLATFORM),
    ("aud does not name", UNKNOWN_PLATFORM),
    ("azp does not name", UNKNOWN_PLATFORM),
    ("Could not find registration", UNKNOWN_PLATFORM),
    ("Unable to find deployment", UNKNOWN_DEPLOYMENT),
    ("is missing the", MALFORMED),
    ("Can't decode id_token", SIGNATURE),
    ("Unable to find public key", SIGNATURE),
    ("JWT KID not found", SIGNATURE),
    ("JWT ALG not found", SIGNATURE),
)


def from_library(message: str) -> Refusal:
    for fragment, refusal in _LIBRARY_MESSAGES:
        if fragment in message:
            return refusal
    return MALFORMED
