"""What the filter looks for: roots, words that need a target, exceptions, context words.

Every pattern here is a regular expression over a *normalised token* (see ``normalise``): lower case,
``ё`` → ``е``, ``ъ`` → ``ь``, look-alike letters resolved to one script, and every run of a repeated letter
collapsed to one letter. So patterns are written without doubled letters («конченый», "ashole"), except
the few marked ``squeezed=True``, which see the token with runs of three or more cut to two (needed where
a double letter is the whole difference: "faggot" vs the bassoon "fagot").

``^``/``$`` anchor a pattern to the start/end of the token; unanchored patterns are searched anywhere in
it (for roots that no innocent word contains, e.g. «пизд», "fuck").

``stems`` are what a naive substring blacklist would list for the same root; ``bench/moderation.py`` uses
them as its baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.moderation.verdict import INSULT, OBSCENE


@dataclass(frozen=True, slots=True)
class Root:
    """A word family that is blocked wherever it appears (tier 1)."""

    name: str
    category: str
    pattern: str
    stems: tuple[str, ...]
    squeezed: bool = False
    transliterated: bool = True  # also match the Russian readings of Latin words ("suka" → «сука»)


@dataclass(frozen=True, slots=True)
class TargetedWord:
    """A word that is an insult only when aimed at someone (tier 2): «тупой угол» is geometry,
    «ты тупой» is not. ``adjective`` words that are followed by an ordinary noun describe that noun."""

    name: str
    pattern: str
    stems: tuple[str, ...]
    adjective: bool = False
    squeezed: bool = False


# --- Russian -------------------------------------------------------------------------------------------------

_EB_PREFIXES = "за|на|по|до|вы|у|при|про|пере|недо|долбо|от|оть|обь|обоь|разь|рась|подь|изь|сь|вь|взь"

RU_ROOTS: tuple[Root, ...] = (
    # The four roots of Russian мат and their families.
    Root("хуй", OBSCENE, r"ху[йяеи]|^хую|хую(?=.)|^хули$", ("хуй", "хуе", "хуя")),  # not «тихую», «плохую»
    Root("пизд", OBSCENE, r"п[ие]зд|п[ие]зж|^п[ие]сд(?:а|ы|е|у|ец)|^пздц?$|^пздец$", ("пизд",)),
    # «еб» starts the word or follows a verbal prefix: «ебать», «заебал», «отъебись», «долбоёб»;
    # inside a word it is innocent: «небо», «хлебать», «ребята», «тебе», «учебник», «колебаться».
    Root("еб", OBSCENE, rf"^(?:{_EB_PREFIXES})?еб|^й[ео]б[ан]", ("еб",)),  # «йобаный», "yebat"
    # «бля» opens the word; after a consonant inside a word it is innocent: «рубля», «употреблять».
    Root("бля", OBSCENE, r"бляд|^бля(?:ть?)?$|^бла(?:ть|дь)$|^блэт$", ("бля",)),
    Root("манда", OBSCENE, r"^манд(?:а|ы|е|у|ой|ою|ищ[аеиу]|авош\w*)$", ("манд",)),
    Root("мудак", OBSCENE, r"муд(?:ак|ач|ил|озвон)", ("муд",)),
    Root("залупа", OBSCENE, r"залуп", ("залуп",)),
    Root("факинг", OBSCENE, r"^(?:факинг\w*|факю)$", ("фак",)),
    Root("отсоси", OBSCENE, r"^отсос(?:и|ите)$", ("отсос",)),  # not «отсосать жидкость»
    # Coarse words and slurs: not мат, still not for a school chat.
    Root("хер", INSULT, r"^(?:на|по|за)?хер(?:а|ом|ня|ни|ню|ней|ов\w*)?$", ("хер",), transliterated=False),  # "her"
    Root("пидор", INSULT, r"^п[ие]д[ао]р|^пидр|педера[сз]", ("пидор", "пидар")),  # not «скипидар», «эпидермис»
    Root("педик", INSULT, r"^(?:педик|гомик)(?:и|а|у|ом|ов|ам|ами|ах)?$", ("педик", "гомик"), transliterated=False),
    Root("гондон", INSULT, r"^г[оа]нд[оа]н", ("гондон", "гандон")),  # not «угандийский»
    Root("шлюха", INSULT, r"^(?:шлюх|шалав|курв|потаскух|шмар[аыеуо])", ("шлюх", "шалав", "курв", "шмар")),
    Root("дрочить", INSULT, r"^(?:за|по|на|от|вы|с|у|пере|при|до|об)?дроч", ("дроч",)),  # not «гидроочистка»
    Root("говно", INSULT, r"^(?:на|за|об|по|у|от|из)?говн|^дерьм", ("говн", "дерьм")),  # not «Олеговна», «саговник»
    Root("жопа", INSULT, r"жоп", ("жоп",)),
    Root(
        "срать",
        INSULT,
        r"^(?:за|на|об|обо|вы|по|у|от|про|ра[сз])?(?:сра(?:ть|л|ла|ли|ло|н\w*|к\w*|ч\w*)|срут|срет|сру)$",
        ("сра",),
        transliterated=False,  # "spy", "spake"
    ),
    Root("хлебало", INSULT, r"^хлебал(?:о|ом|ьник\w*)$", ("хлебал",)),
    # Insults that have no innocent reading.
    Root("дебил", INSULT, r"дебил(?!ит)", ("дебил",)),  # "debilitate"
    Root("идиот", INSULT, r"идиот", ("идиот",)),
    Root(
        "кретин",
        INSULT,
        r"^кретин(?!изм)|имбецил|дегенерат(?:ы|а|у|ом|ов|ам|ами|ах|к[аиеу]|кой)?$",  # not «дегенерация»
        ("кретин", "имбецил", "дегенерат"),
    ),
    Root("придурок", INSULT, r"^придур", ("придур",)),
    Root(
        "урод",
        INSULT,
        r"^урод(?:ы|а|у|ом|е|ов|ам|ами|ах|ин[аеуы]|иной|ец|ц[аыу]|цем|лив\w*|ск\w*)?$",
        ("урод",),
    ),
    Root("ублюдок", INSULT, r"ублюд", ("ублюд",)),
    Root("мразь", INSULT, r"^мраз(?:ь|и|ью|ей|ям|ями|ях|от\w*)$", ("мраз",)),
    Root("чмо", INSULT, r"^(?:чмо|чмошн\w*|чмыр\w*|конч)$", ("чмо", "конч")),
    Root("лошара", INSULT, r"^(?:лошар\w*|лохушк\w*|лохопед\w*)$", ("лошар", "лохушк")),
    Root(
        "сука",
        INSULT,
        r"^сук(?:а|и|е|у|ой|ою|ам|ами|ах|ин[аоуы]?|ины[йм]|ином)$|^суч(?:к[аиеу]|кой|ар\w*|ий|ьего|ьему|онок|онк\w*)$"
        r"|^сцу(?:к|ч)",  # «сцуко»
        ("сук", "суч", "сцук"),
    ),
    Root(
        "сволочь",
        INSULT,
        r"^сволоч|паскуд|^падл(?:а|ы|е|у|ой|ина)$",
        ("сволоч", "паскуд", "падл"),
        transliterated=False,  # "paddle"
    ),
    Root("тупица", INSULT, r"^(?:тупиц|тупорыл|тупоголов)\w*$", ("тупиц", "тупорыл")),
    Root("козлина", INSULT, r"^козлин(?:а|ы|е|у|ой)$", ("козлин",)),
    Root(
        "заткнись",
        INSULT,
        r"^(?:заткни(?:сь|тесь)|отвал(?:и|ите)|сдохни(?:те)?|убейся|убейтесь)$",
        ("заткни", "отвали", "сдохни", "убейся"),
    ),
    Root(
        "хач",
        INSULT,
        r"^хач(?:и|ик\w*|ей|ам|ами|ах)?$|^жид(?:ы|а|у|ом|ов|ам|ами|ах|овк\w*|яр\w*)?$",
        ("хач", "жид"),
        transliterated=False,
    ),
)

RU_TARGETED: tuple[TargetedWord, ...] = (
    TargetedWord("тупой", r"туп(?:ой|ая|ое|ые|ого|ому|ым|ыми|ых|ую)", ("туп",), adjective=True),
    TargetedWord("глупый", r"глуп(?:ый|ая|ое|ые|ого|ому|ым|ыми|ых|ую)", ("глуп",), adjective=True),
    TargetedWord("жирный", r"жирн(?:ый|ая|ые|ого|ому|ым|ыми|ых|ую)", ("жирн",), adjective=True),
    TargetedWord("конченый", r"кончен(?:ый|ая|ое|ые|ого|ому|ым|ых|ую)", ("кончен",), adjective=True),
    TargetedWord(
        "дурак",
        r"дурак(?:и|а|у|ом|ов|ам|ами|ах)?|дур(?:а|ы|е|у|ой|еха|ында)|дурач(?:ок|ка|ку|ком|ки|ье|ина)",
        ("дура",),
    ),
    TargetedWord("козел", r"коз(?:ел|лы|ла|лу|лом|лов)", ("козел", "козл")),
    TargetedWord("осел", r"осел|ослы|осла|ослу|ослом|ослов|ослиц\w*", ("осел", "осл")),
    TargetedWord("свинья", r"свин(?:ья|ьи|ье|ью|ьей|ота|тус)", ("свин",)),
    TargetedWord("корова", r"коров(?:а|ы|е|у|ой)", ("коров",)),
    TargetedWord("овца", r"ов(?:ца|цы|це|цу|цой)", ("овц",)),
    TargetedWord("баран", r"баран(?:ы|а|у|ом|ов|ина)?", ("баран",)),
    TargetedWord("гад", r"гад(?:ы|ина|ины|ину|иной|еныш)?", ("гад",)),
    TargetedWord("тварь", r"твар(?:ь|и|ью|ей)", ("твар",)),
    TargetedWord("скотина", r"скотин(?:а|ы|е|у|ой)", ("скотин",)),
    TargetedWord("дрянь", r"дрян(?:ь|и|ью)", ("дрян",)),
    TargetedWord("даун", r"даун(?:ы|а|у|ом|ов|ица)?", ("даун",)),
    TargetedWord("лох", r"лох(?:и|а|у|ом|ов|ам|ами)?", ("лох",)),
    TargetedWord("гнида", r"гнид(?:а|ы|е|у|ой)", ("гнид",)),
    TargetedWord("олень", r"олен(?:ь|и|я|ю|ем|ей)", ("олен",)),
    TargetedWord("лузер", r"лузер\w*", ("лузер",)),
    TargetedWord("петух", r"петух(?:и|а|у|ом|ов)?", ("петух",)),
    TargetedWord("проститутка", r"проститутк\w*", ("проститутк",)),
    TargetedWord("чурка", r"чурк(?:а|и|е|у|ой)|чурбан\w*", ("чурк", "чурбан")),
    TargetedWord("обезьяна", r"обезьян(?:а|ы|е|у|ой)", ("обезьян",)),
    TargetedWord("псих", r"псих(?:и|а|у|ом|ов|опат\w*)?", ("псих",)),
    TargetedWord("жалкий", r"(?:жалк|мерзк)(?:ий|ая|ое|ие|ого|ому|им|ими|их|ую)", ("жалк", "мерзк"), adjective=True),
    TargetedWord("ничтожество", r"ничтожеств(?:о|а|у|ом)", ("ничтожеств",)),
    TargetedWord("пасть", r"пасть|пасти|пастью|рожа|рожу|морду", ("пасть", "рож", "морд")),
)

# Whole tokens that contain a root's letters but are innocent (matched against the whole normalised token).
RU_SAFE_WORDS: tuple[str, ...] = (
    r"\w*страху\w*|\w*психу\w*",  # страховать, психовать: «застрахуй», «страхуешь», «психую»
    r"\w*скипидар\w*",
    r"ебург\w*",  # Екатеринбург, colloquial
    r"ебонит\w*",
    r"бляш?к\w*|блях\w*",  # бляха (badge, buckle), бляшка; «бляха-муха» is a euphemism, not мат
)

# --- English -------------------------------------------------------------------------------------------------

EN_ROOTS: tuple[Root, ...] = (
    Root("fuck", OBSCENE, r"(?:f|ph)[uv]c?k|fck|fcuk|fuq|^fuc(?:in\w*)?$", ("fuck",)),
    Root("shit", OBSCENE, r"shit|^sht$", ("shit",)),
    Root("cunt", OBSCENE, r"cunt", ("cunt",)),
    Root("cocksucker", OBSCENE, r"cocksuck", ("cock",)),
    Root("wtf", OBSCENE, r"^(?:wtf|gtfo)$", ("wtf", "gtfo")),
    Root("bitch", INSULT, r"bi[ao]?tch", ("bitch",)),
    Root(
        "asshole",
        INSULT,
        r"ashole|arsehole|^(?:dumb|jack|smart|fat|lard)as(?:es)?$|^as(?:wipe|hat)s?$",
        ("ass",),
    ),
    Root("bastard", INSULT, r"bastard", ("bastard",)),
    Root("dickhead", INSULT, r"dickhead|dikhead", ("dick",)),
    Root("whore", INSULT, r"whore|slut|^twats?$|(?<!s)wank|bolock", ("whore", "slut", "twat", "wank", "bollock")),
    Root("idiot", INSULT, r"^(?:idiot|moron)(?:s|ic)?$", ("idiot", "moron")),
    Root("imbecile", INSULT, r"^(?:imbecile?|cretin|retard|retarded)s?$", ("imbecil", "cretin", "retard")),
    Root("douchebag", INSULT, r"^(?:douche|douchebag|scumbag|dirtbag)s?$", ("douche", "scumbag")),
    Root("stfu", INSULT, r"^(?:stfu|kys|tosers?)$", ("stfu", "kys", "tosser")),  # kys: "kill yourself"
    Root("faggot", INSULT, r"^(?:fag|fags|faggot|faggots)$", ("fag",), squeezed=True),
    Root("nigger", INSULT, r"^nigg(?:er|a|az|ers|as)$", ("nigg",), squeezed=True),
)

EN_TARGETED: tuple[TargetedWord, ...] = (
    TargetedWord("stupid", r"stupid|stopid|stupd", ("stupid",), adjective=True),
    TargetedWord("dumb", r"dumb", ("dumb",), adjective=True),
    TargetedWord("ugly", r"ugly|ugli|pathetic|worthles|disgusting", ("ugly", "pathetic", "worthless"), adjective=True),
    TargetedWord("fool", r"fols?|dumy|dumies|losers?|jerks?", ("fool", "dummy", "loser", "jerk")),
    TargetedWord("pig", r"pigs?|cows?", ("pig", "cow")),
    TargetedWord("dick", r"dicks?|cocks?|pusy|pusies|pricks?", ("dick", "cock", "pussy", "prick")),
    TargetedWord("ass", r"ass|asses", ("ass",), squeezed=True),
    TargetedWord(
        "freak", r"freaks?|weirdos?|psychos?|mupets?|clowns?|twits?|prats?|pilocks?|numpty", ("freak", "muppet", "twit")
    ),
)

EN_SAFE_WORDS: tuple[str, ...] = (
    r"\w*scunthorp\w*",
    r"shi?take\w*|\w*matsushit\w*|shitzu\w*",
    r"fuku\w*",  # Fukushima, Fukuoka, Fukuyama
    r"slutsk\w*",
    r"wankel\w*",
)

# Latin words that a Russian transliteration would turn into мат: English, names, places.
LATIN_NOT_TRANSLIT: tuple[str, ...] = (
    r"eb(?:s|ing|ed|ay\w*|ok\w*|on\w*|ol\w*|en\w*|er\w*|ul\w*|it\w*|ro\w*)?",  # ebb(s), ebay, ebook, Eben, Ebro
    r"hue[sdy]?|\w+ahue|huert\w*|huyg\w*|hu[iy]ton\w*",  # hue, Huey, Donahue, Huerta, Huygens
    r"\w*gown\w*|faking|mandy|\w+xy(?:ing|ed)",  # gown, "taxying" (x y read as х у)
)

# --- Masks («х*й», "f**k") -----------------------------------------------------------------------------------

# A word with letters hidden behind * # or dots is compared with these whole forms (space-separated); a mask
# stands for one letter more or fewer than it has characters. Masking is itself a sign of intent, so
# «х*й» is treated as the word it hides.
RU_MASKED_FORMS = """
    хуй хуя хуи хуе хую хуем хуйня хуйню хуйни хуево хуевый хуета нахуй нахуя похуй охуеть охуел охуела
    охуено охуенно хуило пизда пизды пизде пизду пиздец пиздеж пиздит пиздят пиздюк пиздато спиздил
    распиздяй бля блядь блять бляди блядина блядский блядство ебать ебал ебала ебали ебало ебаный ебанный
    ебанутый ебанат ебет ебу ебут ебись еблан ебло ебля заебал заебала заебали заебись наебал наебали
    отьебись уебок уебан уебище выебываться долбоеб мудак мудила сука суки суку сучка сучара пидор пидар
    пидорас гандон гондон залупа манда шлюха ублюдок мразь говно жопа жопу жопе жопой дебил идиот урод
"""
EN_MASKED_FORMS = """
    fuck fucking fucker fucked fuckin fucks motherfucker shit shitty bullshit bitch bitches cunt asshole
    bastard dick dickhead cock cocksucker whore slut twat wanker wtf stfu idiot moron shithead dipshit
"""

# Real one- and two-letter words. Any other fragment that short is glued to the next word, so that
# «ху ёво», «пи здец», "fu ck" are read whole (see words.py).
SHORT_WORDS = """
а б в и к о с у я во да до же за из ко ли мы на не ни но ну об он от по со то ты уж их ей ой ах эх ох ух эй ок
го хз ща мб кг км см мм гг пн вт ср чт пт сб вс им ею ее её
a i am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we ya yo pm tv pc uk eu
"""

# --- Context for targeted words ------------------------------------------------------------------------------

# Addressee (pronouns, and imperatives such as «заткни пасть») and third-person subjects: «ты тупой», «он козёл».
RU_YOU = """
ты вы тебя тебе тобой тобою вас вам вами твой твоя твое твои твоего твоей твоему твоих твоим ваш ваша ваше ваши
вашего вашей вашему ваших вашим заткни закрой завали
"""
# «сам дурак» is aimed at the reader, «я сама дура» is not.
RU_EMPHATIC = "сам сама сами"
RU_SELF = "я мы"
RU_THEY = "он она они"  # not «эта/этот»: «эта корова даёт молоко»
RU_PERSON = """
учитель учителя учительница училка препод преподаватель преподша куратор кураторша классная классуха директор
директриса завуч математичка физичка химичка русичка историчка англичанка физрук сын дочь дочка ребенок мальчик
девочка пацан девчонка одноклассник одноклассница одноклассники брат сестра мама мать папа отец человек мужик
тетка дядька родитель чел парень девушка
"""
# Words allowed between the subject and the insult: «ты же просто полный …», «вы такие …».
RU_FILLER = """
же ж и такой такая такое такие просто совсем вообще ваще реально очень полный полная полное полные настоящий
настоящая абсолютно еще тоже ну ведь прям прямо как какой какая какие что ли да был была были будешь оказался
оказалась редкостный редкостная самый самая натуральный натуральная конкретный
"""
# Words that may follow an adjective without making it describe a noun: «ты тупой или как?».
RU_TAIL = "или нет блин капец походу наверное штоли чтоли ахах хах лол все всё оба обе"

EN_YOU = "you u ya ye your ur yours youre yourself thou yall don dont stop quit"  # imperatives too
EN_THEY = "he she they hes shes theyre"  # not "this": "this is stupid" is about a thing
EN_PERSON = """
teacher teachers boy girl kid kids son daughter guy guys man woman mom mum dad student classmate classmates people
person brother sister bro dude mate
"""
EN_FILLER = """
are r re is s so such a an the really total totally complete completely just big little very absolute absolutely
utter utterly be being been was were what how too and freaking bloody pretty kinda literally acting t
"""
EN_TAIL = "lol lmao haha rofl xd or though tho af ok right huh"
