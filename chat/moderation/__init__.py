"""Polite-language filter for chat messages (Russian and English).

    from chat.moderation import check
    verdict = check(text)
    if not verdict.ok:
        refuse(verdict.reason_for(user_language))   # «Сообщение не отправлено: нецензурная лексика»

Pure Python, no Django; everything is compiled at import. ``python -m chat.moderation`` checks messages
from stdin, one per line. Design (details and decisions in docs/moderation.md):

1. **Normalise** (``normalise``): NFKC, invisible characters and accents removed, lower case, ``ё`` → ``е``,
   ``ъ`` → ``ь``, Greek and Latin-looking Cyrillic letters folded.
2. **Split into words several ways** (``words``): plain words; words rebuilt across separators inside a
   word («х.у.й», «б-л-я») and across spaced single letters («х у й»); masked words («х*й», "f**k").
3. **Read each word** in Cyrillic and Latin: look-alike letters ("cyka", «xуй»), digits/symbols («6лядь»,
   "sh1t", "a$$hole"), transliteration ("pizdec", "nahui", "xuy"); then collapse repeated letters
   («бляяяя», "fuuuck").
4. **Match** the readings against the lexicon (``lexicon``):

   * tier 1 – roots that are blocked wherever they occur, written as morphology-aware patterns anchored
     where an innocent word could contain the letters («еб» only at the start or after a verbal prefix,
     so «небо», «хлебать», «ребята» pass; «бля» only at the start, so «рубля», «употреблять» pass;
     «манда» only as a whole word, so «команда», «мандарин» pass), plus an exception lexicon of whole
     words («застрахуй», «скипидар», "Scunthorpe", "shiitake");
   * tier 2 – words that insult only when aimed at someone («тупой», «дура», «козёл», "stupid", "dumb"):
     blocked when a subject («ты», «вы», «он», «училка», "you") precedes them with only fillers between,
     «ты» follows them, another insult is next to them, or they are the whole message; an adjective that
     describes an ordinary noun («тупой угол», "stupid question") is not aimed at anyone;
   * masked words are compared with a list of whole obscene forms: hiding letters shows intent.

A verdict names the category (``obscene``, ``insult``, ``too_long``) and the normalised word that decided it.
"""

from chat.moderation.matcher import MAX_TEXT_CHARS, check
from chat.moderation.verdict import CATEGORIES, INSULT, OBSCENE, TOO_LONG, Verdict

__all__ = ["CATEGORIES", "INSULT", "MAX_TEXT_CHARS", "OBSCENE", "TOO_LONG", "Verdict", "check"]
