"""Canonical text and the readings of one token.

``prepare`` folds Unicode tricks away (compatibility forms such as fullwidth or mathematical letters,
invisible characters, accents). ``fold`` lower-cases and maps letters that only pretend to be another
script (Greek, Ukrainian/Serbian Cyrillic that looks Latin) onto plain Latin or Russian letters.

``readings`` turns one token into the strings the lexicon is matched against:

* a token written in Cyrillic (digits such as 3/6/0 read as з/б/о) is read as Russian;
* a token with Latin letters is read as English (digits and $ @ ! + read as letters) and, unless it is a
  known Latin word, also as Russian: by look-alike letters ("cyka" → «сука», "xyi" → «хуи»; b read both as
  в and as ь) and by transliteration ("pizdec" → «пиздец», "xuy" → «хуй», "blyat" → «блят»);
* a token mixing scripts ("xуй", "fuсk") gets all of these, with its Cyrillic letters kept for the Russian
  readings and mapped to Latin look-alikes for the English one.

``collapse`` and ``squeeze`` remove stretching («бляяяя», "fuuuck") before matching.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_HAS_MARKS_RE = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")
_MARKS_EXCEPT_BREVE_RE = re.compile("[\u0300-\u0305\u0307-\u036f]")  # the breve stays: и + breve is й

_FOLD = str.maketrans(
    {
        "ё": "е",
        "ъ": "ь",
        "є": "е",
        "ў": "у",
        "ґ": "г",
        "ß": "ss",
        "ı": "i",
        "ɑ": "a",
        # Cyrillic letters that exist only to look Latin in Russian text.
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ѕ": "s",
        "һ": "h",
        "ԁ": "d",
        "ӏ": "l",
        "ԛ": "q",
        "ԝ": "w",
        # Greek look-alikes.
        "α": "a",
        "β": "b",
        "γ": "y",
        "ε": "e",
        "η": "h",
        "ι": "i",
        "κ": "k",
        "μ": "m",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "σ": "o",
        "ς": "c",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ω": "w",
    }
)

# Latin letter → the Cyrillic letter it imitates; letters without a twin fall back to transliteration.
_LOOKALIKE_TO_CYRILLIC = str.maketrans(
    "abcehkmoptxyunrdfgijlqsvwz",
    "авсенкмортхуипрдфгийлксввз",
)
_LOOKALIKE_B_AS_SOFT_SIGN = str.maketrans({"b": "ь"})
# Cyrillic letter → the Latin letter it imitates (for "fuсk" typed with a Cyrillic с).
_LOOKALIKE_TO_LATIN = str.maketrans("авекмнорстухшипгцбь", "abekmhopctyxwunrubb")

# Digits and symbols inside a word.
_SYMBOLS_AS_CYRILLIC = str.maketrans("013468@$!+", "оизчбвасит")
_SYMBOLS_AS_LATIN = str.maketrans("01345678@$!9+", "oieasbtbasigt")

_TRANSLIT_DIGRAPHS = {
    "shch": "щ",
    "sch": "щ",
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "ya": "я",
    "ja": "я",
    "ia": "я",
    "yu": "ю",
    "ju": "ю",
    "iu": "ю",
    "yo": "йо",
    "jo": "йо",
    "ye": "йе",
    "je": "йе",
}
_TRANSLIT_DIGRAPH_RE = re.compile("|".join(sorted(_TRANSLIT_DIGRAPHS, key=len, reverse=True)))
_TRANSLIT_Y_AFTER_VOWEL_RE = re.compile(r"(?<=[aeiouаеиоуыэюя])y")
_TRANSLIT_SINGLE = str.maketrans("abcdefghijklmnopqrstuvwxz", "абцдефгхийклмнопкрстуввхз")

_CYRILLIC_RE = re.compile("[а-я]")
_LATIN_RE = re.compile("[a-z]")
_NOT_LETTER_RE = re.compile("[^a-zа-я]")
_REPEAT_RE = re.compile(r"(.)\1+")
_LONG_REPEAT_RE = re.compile(r"(.)\1\1+")


def prepare(text: str) -> str:
    """Compatibility-normalised text without invisible characters or accents; case is kept."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    if _HAS_MARKS_RE.search(text):
        decomposed = _MARKS_EXCEPT_BREVE_RE.sub("", unicodedata.normalize("NFD", text))
        text = unicodedata.normalize("NFC", decomposed)
    return text


def fold(prepared: str) -> str:
    """Lower case with look-alike letters of other scripts folded onto Latin/Russian ones."""
    return prepared.lower().translate(_FOLD)


def collapse(reading: str) -> str:
    """Every run of one letter becomes one letter: «бляяя» → «бля», "asshole" → "ashole"."""
    return _REPEAT_RE.sub(r"\1", reading)


def squeeze(reading: str) -> str:
    """Runs of three or more become two, keeping real double letters: "faaaggot" → "faaggot"."""
    return _LONG_REPEAT_RE.sub(r"\1\1", reading)


def _transliterate(latin: str) -> str:
    text = _TRANSLIT_DIGRAPH_RE.sub(lambda m: _TRANSLIT_DIGRAPHS[m.group()], latin)
    return _TRANSLIT_Y_AFTER_VOWEL_RE.sub("й", text).replace("y", "ы").translate(_TRANSLIT_SINGLE)


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC_RE.search(text) is not None


def has_latin(text: str) -> bool:
    return _LATIN_RE.search(text) is not None


def word_core(token: str) -> str | None:
    """The token without edge punctuation, or None when it is not a word (a number, one letter with digits).

    Digits and symbols count as letters only inside a word with at least two real letters («6лядь», "sh1t").
    """
    core = token.strip("!+").rstrip("@$")
    if core.isalpha():
        return core
    letters = len(_NOT_LETTER_RE.sub("", core))
    return core if letters >= 2 else None


def readings(core: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Russian readings, English readings) of a word core; the look-alike reading comes first."""
    cyrillic = has_cyrillic(core)
    if not has_latin(core):
        return (core.translate(_SYMBOLS_AS_CYRILLIC),), ()
    english = (core.translate(_LOOKALIKE_TO_LATIN) if cyrillic else core).translate(_SYMBOLS_AS_LATIN)
    symbols_read = core.translate(_SYMBOLS_AS_CYRILLIC)
    lookalike = symbols_read.translate(_LOOKALIKE_TO_CYRILLIC)
    russian = (
        lookalike,
        symbols_read.translate(_LOOKALIKE_B_AS_SOFT_SIGN).translate(_LOOKALIKE_TO_CYRILLIC),
        _transliterate(symbols_read),
    )
    return tuple(dict.fromkeys(russian)), (english,)
