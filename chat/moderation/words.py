"""The words of a message, seen several ways so that separators, spacing and masks cannot hide one.

* ``plain`` – runs of letters/digits (``!`` only inside a word: "sh!t"); everything else separates.
* ``joined`` – words rebuilt by removing separators: inside a word without spaces («х.у.й», «б-л-я»,
  «е_б_а_т_ь»), between three or more single letters («х у й», "f u c k"), and after a one- or two-letter
  fragment that is not a real word («ху ёво», «пи здец»).
* ``merged`` – the plain sequence with joined words in place of their pieces (for context rules).
* ``masked`` – words with letters hidden by ``*``, ``#`` or dots («х*й», «б**дь», "f*ck"), or ending in
  ``*``/``#`` («бл*»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Possessive quantifiers and the look-behind keep every search linear, whatever the input.
_CHUNK = r"[a-zа-я0-9@$]++(?:[!+]++[a-zа-я0-9@$]++)*+"
_CHUNK_RE = re.compile(_CHUNK)
_GLUED_RE = re.compile(rf"(?<![a-zа-я0-9@$]){_CHUNK}(?:[.\-_'’‘`´~^+=:,/\\|*#]++{_CHUNK})++")
_MASKED_RE = re.compile(
    rf"(?<![a-zа-я0-9@$]){_CHUNK}(?:(?:(?:[*#]++|\.{{1,3}}+){_CHUNK})++(?:[*#]++)?|[*#]++)(?![a-zа-я0-9@$])"
)
_SPACED_GAP_RE = re.compile(r"[\s.\-_·]{1,3}")
_FRAGMENT_GAP_RE = re.compile(r"[\s\-_·]{1,3}")
_BOUNDARY_RE = re.compile(r"[.,!?;:…()\[\]{}\n]")
_MIN_SPACED_LETTERS = 3
_LETTER_LIKE_SYMBOLS = frozenset("013468@$")  # «6 л я т ь»


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: int
    end: int
    boundary_before: bool = False  # a clause boundary (.,!? …) separates it from the previous word


@dataclass(frozen=True, slots=True)
class Views:
    plain: list[Word]
    joined: list[Word]
    merged: list[Word] | None
    masked: list[str]


def _with_boundaries(text: str, words: list[Word]) -> list[Word]:
    result: list[Word] = []
    previous_end = 0
    for word in words:
        boundary = bool(result) and bool(_BOUNDARY_RE.search(text, previous_end, word.start))
        result.append(Word(word.text, word.start, word.end, boundary))
        previous_end = word.end
    return result


def _join_spaced_letters(text: str, units: list[Word]) -> tuple[list[Word], list[Word]]:
    """Replace runs of ≥3 single letters separated by spaces/dots/dashes with one word."""
    result: list[Word] = []
    joined: list[Word] = []
    run: list[Word] = []

    def flush() -> None:
        if len(run) >= _MIN_SPACED_LETTERS:
            word = Word("".join(w.text for w in run), run[0].start, run[-1].end)
            result.append(word)
            joined.append(word)
        else:
            result.extend(run)
        run.clear()

    for unit in units:
        single = len(unit.text) == 1 and (unit.text.isalpha() or unit.text in _LETTER_LIKE_SYMBOLS)
        if single and run and _SPACED_GAP_RE.fullmatch(text, run[-1].end, unit.start):
            run.append(unit)
            continue
        flush()
        if single:
            run.append(unit)
        else:
            result.append(unit)
    flush()
    return result, joined


def _join_fragments(text: str, units: list[Word], short_words: frozenset[str]) -> tuple[list[Word], list[Word]]:
    """Glue a one- or two-letter fragment that is not a real word to the next word: «ху ёво», "fu ck"."""
    result: list[Word] = []
    joined: list[Word] = []
    index = 0
    while index < len(units):
        unit = units[index]
        following = units[index + 1] if index + 1 < len(units) else None
        if (
            following is not None
            and len(unit.text) <= 2
            and unit.text.isalpha()
            and unit.text not in short_words
            and following.text not in short_words
            and _FRAGMENT_GAP_RE.fullmatch(text, unit.end, following.start)
        ):
            word = Word(unit.text + following.text, unit.start, following.end)
            result.append(word)
            joined.append(word)
            index += 2
        else:
            result.append(unit)
            index += 1
    return result, joined


def split(text: str, short_words: frozenset[str] = frozenset()) -> Views:
    """All views of a folded (lower-case) message; ``short_words`` are real words of one or two letters."""
    plain = _with_boundaries(text, [Word(m.group(), m.start(), m.end()) for m in _CHUNK_RE.finditer(text)])
    glued = [Word("".join(_CHUNK_RE.findall(m.group())), m.start(), m.end()) for m in _GLUED_RE.finditer(text)]
    units = plain
    if glued:
        spans = [(w.start, w.end) for w in glued]
        inside = iter(spans)
        current = next(inside, None)
        units = []
        for word in plain:
            while current is not None and word.start >= current[1]:
                current = next(inside, None)
            if current is None or not current[0] <= word.start < current[1]:
                units.append(word)
        units = sorted(units + glued, key=lambda w: w.start)
    units, spaced = _join_spaced_letters(text, units)
    units, fragments = _join_fragments(text, units, short_words)
    joined = glued + spaced + fragments
    merged = _with_boundaries(text, units) if joined else None
    masked = [m.group() for m in _MASKED_RE.finditer(text)] if ("*" in text or "#" in text or "." in text) else []
    return Views(plain=plain, joined=joined, merged=merged, masked=masked)
