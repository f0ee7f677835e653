"""Deciding a message: tier-1 roots anywhere, tier-2 words only when aimed at someone, masks.

Everything is compiled once at import. Word analysis is cached per distinct word (chat vocabulary repeats
a lot), so the cost per message is mostly tokenising it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from chat.moderation import lexicon
from chat.moderation.normalise import collapse, fold, has_cyrillic, has_latin, prepare, readings, squeeze, word_core
from chat.moderation.verdict import ALLOWED, INSULT, OBSCENE, TOO_LONG, Verdict, blocked
from chat.moderation.words import Views, Word, split

MAX_TEXT_CHARS = 20_000
"""Longer texts are not delivered at all (category ``too_long``): nothing unchecked reaches a room."""

_MAX_MASKED_CHARS = 40
_MAX_MASK_RUNS = 4
# Words analysed lately, per cache (two). Chat texts carry many words seen once (numbers, times, names), so a full
# cache is the steady state of a long-running daphne: 65,536 entries per cache held 21 MB of its 110 MB heap and
# filled at the soak's ~0.35 MB a minute (docs/reliability.md, "Soak"); 4,096 hold ~1.3 MB and still keep the
# common words of a conversation.
_CACHED_WORDS = 1 << 12
_FILLERS_BEFORE = 3

YOU, THEY, PERSON, FILLER, TAIL, EMPHATIC, SELF = "you", "they", "person", "filler", "tail", "emphatic", "self"


@dataclass(frozen=True, slots=True)
class Finding:
    category: str
    matched: str


@dataclass(frozen=True, slots=True)
class Targeted:
    matched: str
    adjective: bool


@dataclass(frozen=True, slots=True)
class WordInfo:
    finding: Finding | None = None
    targeted: Targeted | None = None
    role: str | None = None


_NOTHING = WordInfo()


def _alternation(patterns: list[str], *, whole: bool) -> re.Pattern[str] | None:
    if not patterns:
        return None
    groups = "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(patterns))
    return re.compile(f"(?:{groups})$" if whole else groups)


def _alternative(match: re.Match[str]) -> int:
    """Which pattern of an :func:`_alternation` matched: each is the named group ``p<index>``."""
    assert match.lastgroup is not None  # every alternative is a named group
    return int(match.lastgroup[1:])


class _Language:
    """The compiled lexicon of one language."""

    def __init__(
        self,
        roots: tuple[lexicon.Root, ...],
        targeted: tuple[lexicon.TargetedWord, ...],
        safe_words: tuple[str, ...],
        roles: dict[str, str],
    ) -> None:
        # Keyed by (squeezed reading?, reading of a Latin word?).
        self.roots = {
            (squeezed, latin): [r for r in roots if r.squeezed == squeezed and (r.transliterated or not latin)]
            for squeezed in (False, True)
            for latin in (False, True)
        }
        self.root_res = {key: _alternation([r.pattern for r in v], whole=False) for key, v in self.roots.items()}
        self.targeted = {False: [t for t in targeted if not t.squeezed], True: [t for t in targeted if t.squeezed]}
        self.targeted_res = {k: _alternation([t.pattern for t in v], whole=True) for k, v in self.targeted.items()}
        self.safe_re = re.compile(f"(?:{'|'.join(safe_words)})$")
        self.roles = roles

    def finding(self, collapsed: str, squeezed: str, *, from_latin: bool) -> Finding | None:
        best: Finding | None = None
        for is_squeezed, text in ((False, collapsed), (True, squeezed)):
            pattern = self.root_res[is_squeezed, from_latin]
            match = pattern.search(text) if pattern is not None else None
            if match:
                root = self.roots[is_squeezed, from_latin][_alternative(match)]
                if root.category == OBSCENE:
                    return Finding(OBSCENE, collapsed)
                best = best or Finding(root.category, collapsed)
        return best

    def targeted_word(self, collapsed: str, squeezed: str) -> Targeted | None:
        for is_squeezed, text in ((False, collapsed), (True, squeezed)):
            pattern = self.targeted_res[is_squeezed]
            match = pattern.match(text) if pattern is not None else None
            if match:
                word = self.targeted[is_squeezed][_alternative(match)]
                return Targeted(collapsed, word.adjective)
        return None


def _roles(**groups: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for role, words in groups.items():
        for word in words.split():
            roles.setdefault(collapse(fold(word)), role)
    return roles


_RU = _Language(
    lexicon.RU_ROOTS,
    lexicon.RU_TARGETED,
    lexicon.RU_SAFE_WORDS,
    _roles(
        you=lexicon.RU_YOU,
        they=lexicon.RU_THEY,
        person=lexicon.RU_PERSON,
        filler=lexicon.RU_FILLER,
        tail=lexicon.RU_TAIL,
        emphatic=lexicon.RU_EMPHATIC,
        self=lexicon.RU_SELF,
    ),
)
_EN = _Language(
    lexicon.EN_ROOTS,
    lexicon.EN_TARGETED,
    lexicon.EN_SAFE_WORDS,
    _roles(
        you=lexicon.EN_YOU,
        they=lexicon.EN_THEY,
        person=lexicon.EN_PERSON,
        filler=lexicon.EN_FILLER,
        tail=lexicon.EN_TAIL,
    ),
)
_LATIN_NOT_TRANSLIT_RE = re.compile(f"(?:{'|'.join(lexicon.LATIN_NOT_TRANSLIT)})$")
_MASKED_FORMS = {
    _RU: "\n".join(collapse(form) for form in lexicon.RU_MASKED_FORMS.split()),
    _EN: "\n".join(collapse(form) for form in lexicon.EN_MASKED_FORMS.split()),
}
_MASK_SPLIT_RE = re.compile(r"([*#]+|\.{1,3})")
_SHORT_WORDS = frozenset(collapse(fold(word)) for word in lexicon.SHORT_WORDS.split())
_TITLE_RE = re.compile(r"[«\"“„]([^«»\"“”„\n]{1,60})[»\"”“]")


@lru_cache(maxsize=_CACHED_WORDS)
def analyse(word: str) -> WordInfo:
    """What one folded word is: a tier-1 finding, a tier-2 word, a context role, or nothing."""
    core = word_core(word)
    if core is None:
        return _NOTHING
    russian, english = readings(core)
    latin_word = bool(english) and not has_cyrillic(core)
    if latin_word:
        known = collapse(english[0])
        if _LATIN_NOT_TRANSLIT_RE.match(known) or _EN.safe_re.match(known):
            russian = ()  # a known Latin word: its Russian reading is no evidence («ebay» is not «еба…»)
    finding: Finding | None = None
    targeted: Targeted | None = None
    role: str | None = None
    for language, texts in ((_EN, english), (_RU, russian)):
        for text in texts:
            collapsed = collapse(text)
            if language.safe_re.match(collapsed):
                continue
            squeezed = text if collapsed == text else squeeze(text)
            found = language.finding(collapsed, squeezed, from_latin=latin_word and language is _RU)
            if found is not None and (finding is None or (found.category == OBSCENE != finding.category)):
                finding = found
            targeted = targeted or language.targeted_word(collapsed, squeezed)
            if role is None:
                role = language.roles.get(collapsed)
                if role is not None and latin_word and language is _RU and role != YOU:
                    role = None  # a transliterated word counts as «ты»/«вы», never as «он», «и», …
    if finding is None and targeted is None and role is None:
        return _NOTHING
    return WordInfo(finding, targeted, role)


@lru_cache(maxsize=_CACHED_WORDS)
def _masked_finding(token: str) -> Finding | None:
    parts = _MASK_SPLIT_RE.split(token)
    literals = parts[0::2]
    masks = parts[1::2]
    if len(token) > _MAX_MASKED_CHARS or len(masks) > _MAX_MASK_RUNS or sum(map(len, literals)) < 2:
        return None
    russian_parts = [readings(p)[0][0] for p in literals]
    latin = has_latin(token)
    candidates = [(_RU, russian_parts)]
    if latin:
        candidates.append((_EN, [(readings(p)[1] or (p,))[0] for p in literals]))
    for language, pieces in candidates:
        pattern = "".join(
            re.escape(collapse(piece)) + (f".{{1,{len(masks[i]) + 1}}}" if i < len(masks) else "")
            for i, piece in enumerate(pieces)
        )
        match = re.search(f"^{pattern}$", _MASKED_FORMS[language], re.MULTILINE)
        if match:
            info = analyse(match.group())
            if info.finding is not None:
                return info.finding
            if info.targeted is not None:
                return Finding(INSULT, info.targeted.matched)  # "d*ck": hiding letters shows it is meant
    return None


def clear_caches() -> None:
    """Forget every analysed word (benchmarks measure passes that start cold)."""
    analyse.cache_clear()
    _masked_finding.cache_clear()


def _title_spans(prepared: str) -> list[tuple[int, int]]:
    """Quoted titles such as «Идиот» (Dostoevsky): a capitalised quote of at most four words."""
    spans = []
    for match in _TITLE_RE.finditer(prepared):
        inner = match.group(1).strip()
        if inner[:1].isupper() and len(inner.split()) <= 4:
            spans.append(match.span(1))
    return spans


def _aimed(words: list[Word], infos: list[WordInfo], index: int) -> bool:
    """Is the tier-2 word at ``index`` aimed at someone (see docs/moderation.md, "Targeted words")?"""
    start = index
    while start > 0 and not words[start].boundary_before:
        start -= 1
    end = index + 1
    while end < len(words) and not words[end].boundary_before:
        end += 1
    info = infos[index]
    assert info.targeted is not None  # asked for tier-2 (targeted) words only
    before = infos[start:index]
    after = infos[index + 1 : end]

    def insulting(other: WordInfo) -> bool:
        return other.targeted is not None or (other.finding is not None and other.finding.category == INSULT)

    following = after[0] if after else None
    if following is not None and (insulting(following) or following.role == PERSON):
        return True  # «тупая корова», "stupid teacher"
    if info.targeted.adjective and following is not None and following.role is None:
        return False  # «тупой угол», "stupid question": it describes a thing
    if before and insulting(before[-1]):
        return True
    position = len(before) - 1
    skipped = 0
    while position >= 0 and before[position].role == FILLER and skipped < _FILLERS_BEFORE:
        position -= 1
        skipped += 1
    if position >= 0 and before[position].role in (YOU, THEY, PERSON):
        return True  # «ты же тупой», "you're so dumb", «училка тупая»
    if position >= 0 and before[position].role == EMPHATIC and (position == 0 or before[position - 1].role != SELF):
        return True  # «сам дурак», but not «я сама дура»
    position = 1 if after and after[0].role == FILLER else 0
    if position < len(after) and after[position].role == YOU:
        return True  # «дура ты», «тупой же ты»
    alone = all(other.role in (FILLER, TAIL) for other in (*before, *after))
    if alone and any(other.role == YOU for other in infos):
        return True  # a vocative: «эй ты, баран», «ты, дура, опять…»
    return all(other is info or other.role in (FILLER, YOU, THEY, TAIL) for other in infos)  # «Дурак!»


def _targeted_finding(words: list[Word]) -> Finding | None:
    infos = [analyse(word.text) for word in words]
    for index, info in enumerate(infos):
        if info.targeted is not None and _aimed(words, infos, index):
            return Finding(INSULT, info.targeted.matched)
    return None


def _decide(views: Views, titles: list[tuple[int, int]]) -> Finding | None:
    insult: Finding | None = None
    for word in (*views.plain, *views.joined):
        finding = analyse(word.text).finding
        if finding is None:
            continue
        if finding.category == OBSCENE:
            return finding
        if not any(start <= word.start and word.end <= end for start, end in titles):
            insult = insult or finding
    for token in views.masked:
        finding = _masked_finding(token)
        if finding is not None and finding.category == OBSCENE:
            return finding
        insult = insult or finding
    if insult is not None:
        return insult
    for sequence in (views.plain, views.merged):
        if sequence:
            finding = _targeted_finding(sequence)
            if finding is not None:
                return finding
    return None


def check(text: str) -> Verdict:
    """Decide whether ``text`` may be delivered. Pure, thread-safe, never raises for any ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"check() takes str, not {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        return blocked(TOO_LONG, f"{len(text)} chars")
    prepared = prepare(text)
    folded = fold(prepared)
    titles = _title_spans(prepared) if len(folded) == len(prepared) else []
    finding = _decide(split(folded, _SHORT_WORDS), titles)
    return ALLOWED if finding is None else blocked(finding.category, finding.matched)
