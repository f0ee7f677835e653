"""The result of checking one message, with the reason shown to its sender in both locales."""

from __future__ import annotations

from dataclasses import dataclass

OBSCENE = "obscene"
INSULT = "insult"
TOO_LONG = "too_long"

CATEGORIES = (OBSCENE, INSULT, TOO_LONG)

_REASONS_RU = {
    OBSCENE: "Сообщение не отправлено: нецензурная лексика",
    INSULT: "Сообщение не отправлено: оскорбление или грубое выражение",
    TOO_LONG: "Сообщение не отправлено: оно слишком длинное для проверки",
}
_REASONS_EN = {
    OBSCENE: "Message not sent: obscene language",
    INSULT: "Message not sent: insult or rude language",
    TOO_LONG: "Message not sent: it is too long to be checked",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """``ok`` is False when the message must not be delivered.

    ``reason`` (Russian) and ``reason_en`` (English) are ready to show the sender; ``category`` is one of
    ``CATEGORIES``; ``matched`` is the normalised word that decided it (for moderators and logs, never
    shown to other members).
    """

    ok: bool
    reason: str
    category: str | None
    matched: str | None
    reason_en: str = ""

    def reason_for(self, language: str) -> str:
        """The reason in the sender's language: English for ``en``/``en-gb``…, Russian otherwise."""
        return self.reason_en if language.lower().startswith("en") else self.reason

    def summary(self) -> str:
        """The stable one-word-and-detail form the CLI prints: ``ok`` or ``<category>: <matched>``."""
        return "ok" if self.ok else f"{self.category}: {self.matched}"


ALLOWED = Verdict(ok=True, reason="", category=None, matched=None, reason_en="")


def blocked(category: str, matched: str) -> Verdict:
    return Verdict(
        ok=False,
        reason=_REASONS_RU[category],
        category=category,
        matched=matched,
        reason_en=_REASONS_EN[category],
    )
