"""JavaScript text comes from the translation catalogue (``/jsi18n/``, locale/*/LC_MESSAGES/djangojs.po).

No script under web/static/js carries Russian literals: pages load the catalogue first and the
scripts call ``gettext`` / ``interpolate``; the catalogue follows the language cookie like every page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

JS_ROOT = Path(settings.BASE_DIR) / "web" / "static" / "js"
CYRILLIC = re.compile("[\u0400-\u04ff]")
# A Russian literal is fine only as the message of a catalogue call: gettext("…"), ngettext("…", "…", n),
# pgettext("context", "…").
TRANSLATED = re.compile(r"\b(?:n|p|np)?gettext\(\s*(?:(?:\"[^\"]*\"|'[^']*')\s*,\s*)?$")
CATALOGUE_START = "const newcatalog = "
EN_JS_MO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "djangojs.mo"


Literal = tuple[int, str, str]  # (line, the literal's own text, code before it in the same statement)


def string_literals(source: str) -> list[Literal]:
    """The string literals of a script, those inside template literals' ``${…}`` included; comments skipped.

    A template literal's own text leaves its ``${…}`` parts out. A small scanner, enough for our
    scripts: regular expression literals are not recognised (ours contain no quotes or backquotes).
    """
    found: list[Literal] = []
    _scan_code(source, 0, found)
    return found


def _scan_code(source: str, index: int, found: list[Literal], inside_template: bool = False) -> int:
    """Scan code from ``index`` to the end, or to the ``}`` closing a ``${`` when ``inside_template``."""
    code_start, depth = index, 0
    while index < len(source):
        char = source[index]
        if source.startswith("//", index):
            line_end = source.find("\n", index)
            index = len(source) if line_end < 0 else line_end
        elif source.startswith("/*", index):
            index = source.index("*/", index) + 2
        elif char in "\"'`":
            line = source.count("\n", 0, index) + 1
            end, text = _scan_string(source, index, found)
            found.append((line, text, source[code_start:index]))
            index = end
        else:
            if char == "}" and inside_template and depth == 0:
                return index + 1
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char in ";{}":
                code_start = index + 1
            index += 1
    return index


def _scan_string(source: str, index: int, found: list[Literal]) -> tuple[int, str]:
    """Skip the literal opening at ``index``; returns where it ends and its own text (quotes included)."""
    quote, text, index = source[index], source[index], index + 1
    while source[index] != quote:
        if source[index] == "\\":
            text, index = text + source[index : index + 2], index + 2
        elif quote == "`" and source.startswith("${", index):
            index = _scan_code(source, index + 2, found, inside_template=True)
        else:
            text, index = text + source[index], index + 1
    return index + 1, text + quote


def test_the_scanner_tells_wrapped_literals_from_bare_ones() -> None:
    source = (
        'a("x\\"y"); // "в комментарии"\n/* «тоже» */ b = gettext(\'Да\') + `шаблон`;\n'
        'c = `${gettext("Ок")} ${f({ k: "нет" })}!`;'
    )
    literals = string_literals(source)
    assert [(line, literal) for line, literal, _ in literals] == [
        (1, '"x\\"y"'),
        (2, "'Да'"),
        (2, "`шаблон`"),
        (3, '"Ок"'),
        (3, '"нет"'),
        (3, "` !`"),
    ]
    assert [bool(TRANSLATED.search(before)) for _, _, before in literals] == [False, True, False, True, False, False]


def test_no_javascript_file_has_cyrillic_literals() -> None:
    scripts = sorted(JS_ROOT.rglob("*.js"))
    assert scripts, f"no scripts found under {JS_ROOT}"
    bare = [
        f"{path.relative_to(settings.BASE_DIR)}:{line}: {literal}"
        for path in scripts
        for line, literal, before in string_literals(path.read_text(encoding="utf-8"))
        if CYRILLIC.search(literal) and not TRANSLATED.search(before)
    ]
    assert not bare, "Russian text in JavaScript outside gettext() (add it to djangojs.po):\n" + "\n".join(bare)


def _catalogue(language: str | None) -> tuple[str, dict]:
    """The catalogue script for a request with this language cookie, and the translations it holds."""
    client = Client()
    if language is not None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("javascript-catalog"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=3600" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]  # browsers keep one copy per language
    script = response.content.decode()
    start = script.find(CATALOGUE_START)
    messages = json.JSONDecoder().raw_decode(script, start + len(CATALOGUE_START))[0] if start >= 0 else {}
    return script, messages


@pytest.mark.django_db
def test_catalogue_is_english_for_the_english_cookie() -> None:
    assert EN_JS_MO.is_file(), f"{EN_JS_MO} is missing: run manage.py compilemessages (make setup does)"
    script, messages = _catalogue("en")
    assert messages["Смотреть"] == "Watch"
    assert messages["Вы на уроке «%(title)s»"] == "You are in the lesson “%(title)s”"
    assert "django.gettext = function" in script
    assert "django.interpolate = function" in script


@pytest.mark.django_db
@pytest.mark.parametrize("language", [None, "ru", "de"])
def test_catalogue_is_the_russian_source_otherwise(language: str | None) -> None:
    _catalogue("en")  # cached on the server by language: never served to others
    script, messages = _catalogue(language)
    assert "Смотреть" not in messages, "Russian needs no catalogue entry: gettext returns the msgid"
    assert "django.gettext = function" in script
