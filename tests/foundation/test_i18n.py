"""The English locale is complete, and the language is chosen only by the user's cookie.

Russian is the source language; ``locale/en/LC_MESSAGES/django.po`` (Python and templates)
and ``djangojs.po`` (JavaScript) must translate every extracted string (regenerate with
``manage.py makemessages -l en`` and ``-d djangojs -l en``, compile with
``manage.py compilemessages``, which set-up runs).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from server.accounts.models import User

EN_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
EN_MO = EN_MESSAGES / "django.mo"
MINIMUM_MESSAGES = {"django.po": 100, "djangojs.po": 40}  # fewer means a truncated catalogue
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[diouxXeEfFgGcrs]|\{\w*\}")


@dataclass
class Entry:
    """One message of a PO file; ``msgstr`` holds one string per plural form."""

    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def _unquote(literal: str, where: int) -> str:
    if not (literal.startswith('"') and literal.endswith('"')):
        raise ValueError(f"line {where}: expected a quoted string, got {literal!r}")
    return ast.literal_eval(literal)


def parse_po(text: str) -> list[Entry]:
    """Entries of a PO file (obsolete ``#~`` entries skipped), header included as the entry with msgid ""."""
    entries: list[Entry] = []
    current: Entry | None = None
    pending_flags: set[str] = set()
    target: tuple[str, int | None] | None = None  # field the next continuation line appends to
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {number}: continuation line outside an entry")
            name, index = target
            value = _unquote(line, number)
            if index is None:
                setattr(current, name, (getattr(current, name) or "") + value)
            else:
                current.msgstr[index] += value
        elif keyword in ("msgctxt", "msgid") and (keyword == "msgctxt" or current is None or current.msgstr):
            current = Entry(line=number, flags=pending_flags)
            pending_flags = set()
            entries.append(current)
            setattr(current, keyword, _unquote(rest, number))
            target = (keyword, None)
        elif keyword in ("msgid", "msgid_plural") and current is not None:
            setattr(current, keyword, _unquote(rest, number))
            target = (keyword, None)
        elif (keyword == "msgstr" or keyword.startswith("msgstr[")) and current is not None:
            current.msgstr.append(_unquote(rest, number))
            target = ("msgstr", len(current.msgstr) - 1)
        else:
            raise ValueError(f"line {number}: unexpected line {raw!r}")
    return entries


@pytest.fixture(scope="module", params=sorted(MINIMUM_MESSAGES))
def catalogue(request: pytest.FixtureRequest) -> Path:
    path = EN_MESSAGES / request.param
    assert path.is_file(), f"{path} is missing: run manage.py makemessages -l en (-d djangojs for JavaScript)"
    return path


@pytest.fixture(scope="module")
def entries(catalogue: Path) -> list[Entry]:
    return parse_po(catalogue.read_text(encoding="utf-8"))


def test_parser_reads_plurals_contexts_and_continuations() -> None:
    sample = (
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, python-format\nmsgctxt "урок"\nmsgid "Войти"\nmsgstr "Join"\n\n'
        'msgid "%(n)d ученик"\nmsgid_plural "%(n)d учеников"\nmsgstr[0] "%(n)d student"\nmsgstr[1] ""\n\n'
        'msgid ""\n"Длинная "\n"строка"\nmsgstr ""\n"Long "\n"line"\n\n'
        '#~ msgid "Старое"\n#~ msgstr "Old"\n'
    )
    header, context, plural, wrapped = parse_po(sample)
    assert (header.msgid, header.msgstr, header.flags) == ("", ["Language: en\n"], {"fuzzy"})
    assert (context.msgctxt, context.msgid, context.msgstr) == ("урок", "Войти", ["Join"])
    assert context.flags == {"python-format"}
    assert (plural.msgid_plural, plural.msgstr) == ("%(n)d учеников", ["%(n)d student", ""])
    assert (wrapped.msgid, wrapped.msgstr) == ("Длинная строка", ["Long line"])


def test_catalog_has_messages_and_an_english_header(catalogue: Path, entries: list[Entry]) -> None:
    header = [entry for entry in entries if entry.msgid == "" and entry.msgctxt is None]
    assert len(header) == 1, "the PO file needs exactly one header entry"
    metadata = header[0].msgstr[0]
    assert "Language: en\n" in metadata
    assert "charset=UTF-8" in metadata
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in metadata
    assert len(entries) > MINIMUM_MESSAGES[catalogue.name], f"{catalogue.name} looks truncated: run makemessages"


def test_every_message_is_translated(entries: list[Entry]) -> None:
    missing = [entry.label for entry in entries if entry.msgid and (not entry.msgstr or not all(entry.msgstr))]
    assert not missing, "untranslated messages in locale/en (fill in msgstr):\n" + "\n".join(missing)


def test_plural_messages_have_both_english_forms(entries: list[Entry]) -> None:
    wrong = [entry.label for entry in entries if entry.msgid_plural is not None and len(entry.msgstr) != 2]
    assert not wrong, "English plurals need msgstr[0] and msgstr[1]:\n" + "\n".join(wrong)


def test_no_fuzzy_messages(entries: list[Entry]) -> None:
    fuzzy = [entry.label for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy entries in locale/en (check the translation, then drop the flag):\n" + "\n".join(fuzzy)


def test_translations_keep_the_placeholders(entries: list[Entry]) -> None:
    wrong = []
    for entry in entries:
        if not entry.msgid:
            continue
        sources = [entry.msgid, entry.msgid_plural or entry.msgid]
        for index, translated in enumerate(entry.msgstr):
            expected = sorted(PLACEHOLDER.findall(sources[min(index, 1)]))
            if sorted(PLACEHOLDER.findall(translated)) != expected:
                wrong.append(f"{entry.label} -> {translated!r}")
    assert not wrong, "placeholders differ between Russian and English:\n" + "\n".join(wrong)


def _client(language: str | None = None, accept_language: str | None = None) -> Client:
    client = Client(headers={"Accept-Language": accept_language} if accept_language else None)
    if language is not None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _require_compiled_catalog() -> None:
    assert EN_MO.is_file(), f"{EN_MO} is missing: run manage.py compilemessages (make setup does)"


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie() -> None:
    _require_compiled_catalog()
    response = _client("en").get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Sign in to Classroom Live" in html
    assert "Forgot your password?" in html
    assert "Вход в Classroom Live" not in html
    assert not re.search("[А-Яа-яЁё]", html.replace("Русский", "")), "Russian text left on the English login page"


@pytest.mark.django_db
def test_login_page_is_russian_without_the_cookie_whatever_the_browser_asks() -> None:
    response = _client(accept_language="en-US,en;q=0.9").get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru"
    assert '<html lang="ru">' in html
    assert "Вход в Classroom Live" in html
    assert "Sign in to Classroom Live" not in html


@pytest.mark.django_db
def test_unsupported_language_cookie_falls_back_to_russian() -> None:
    html = _client("de").get(reverse("login")).content.decode()
    assert "Вход в Classroom Live" in html


def test_home_greeting_keeps_the_name_placeholder() -> None:
    _require_compiled_catalog()
    greeting = "Здравствуйте, %(name)s!"
    with translation.override("en"):
        assert translation.gettext(greeting) % {"name": "Иван"} == "Hello, Иван!"
    with translation.override("ru"):
        assert translation.gettext(greeting) % {"name": "Иван"} == "Здравствуйте, Иван!"


def test_home_page_greets_the_demo_student_in_english(school: dict[str, User]) -> None:
    _require_compiled_catalog()
    client = _client("en")
    client.force_login(school["student"])
    html = client.get(reverse("home")).content.decode()
    assert "Hello, Иван!" in html
    assert "Здравствуйте" not in html
