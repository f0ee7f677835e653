"""Polite-language filter: innocent words, every disguise, targeted insults, the CLI, the labelled set."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from bench.moderation import load_labelled, naive_blacklist, score
from chat.moderation import INSULT, MAX_TEXT_CHARS, OBSCENE, TOO_LONG, Verdict, check, lexicon
from chat.moderation.matcher import analyse, clear_caches
from chat.moderation.normalise import collapse, fold

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"


def blocked_as(text: str) -> str | None:
    verdict = check(text)
    return None if verdict.ok else verdict.category


# --- innocent words ------------------------------------------------------------------------------------------

INNOCENT = [
    # from the issue and the brief
    "Нельзя употреблять телефоны на уроке",
    "Сдаём по 200 рублей",
    "Не надо оскорблять одноклассников",
    "Я долго колебался с выбором",
    "Наша команда победила",
    "Страховка оформлена",
    "Психология общения",
    "Скипидар храним под замком",
    "Шинель шили из сукна",
    "Насекомое на фото — богомол",
    "Ребята, завтра субботник",
    "У дедушки на ремне бляха",
    "Бляха-муха, забыл сменку",
    "Купили мандарины",
    "Депутат получил мандат",
    "Малыш не любит хлебать суп",
    "Смотрели на небо в телескоп",
    "Хулиганов вызвали к завучу",
    "Our class visited Scunthorpe",
    "Who was the assassin of Caesar?",
    "The class starts at nine",
    "Shitake mushrooms for the cooking class",
    "A cocktail of chemicals is dangerous",
    "Data analysis is due on Friday",
    "The school therapist is here on Mondays",
    "Grape juice at the party",
    # found by the dictionary audit (docs/moderation.md)
    "Поставили плохую оценку",
    "Выиграли всухую",
    "Включите тихую музыку",
    "Анна Олеговна заболела",
    "Эпидермис — наружный слой кожи",
    "Секретин — гормон",
    "Гидроочистка воды",
    "Застрахуйте ребёнка",
    "Я психую перед экзаменом",
    "Her homework is on the desk",
    "The nightgown for the play",
    "She raised an eyebrow",
    "Uganda's capital is Kampala",
    "The spider built a web",
    "Wednesday's lesson is cancelled",
    "Ebay has the book cheaper",
    "Едем в Ебург на соревнования",
    # context, quotes, maths
    "Тупой угол больше 90 градусов",
    "Ты нарисовал тупой угол вместо острого",
    "Я сама дура, перепутала дни",
    "Ты не дурак, просто устал",
    "Эта корова даёт много молока",
    "Мы читаем роман «Идиот» Достоевского",
    "Sorry for the stupid question",
    "You are not stupid",
    "Moby Dick is on the reading list",
    "Найдите x, y и z",
    "x + y = z",
    "",
    "   ",
    "😊👍",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_messages_pass(text: str) -> None:
    verdict = check(text)
    assert verdict.ok, (text, verdict)


# --- abusive messages, by disguise ---------------------------------------------------------------------------

ABUSIVE = [
    # plain
    ("Иди нахуй", OBSCENE),
    ("Бля, опять контрольная", OBSCENE),
    ("Это пиздец", OBSCENE),
    ("Заебали уже", OBSCENE),
    ("Отъебись", OBSCENE),
    ("Долбоёб", OBSCENE),
    ("хуйня какая-то", OBSCENE),
    ("Ну ты и мудак", OBSCENE),
    ("Ты дебил?", INSULT),
    ("Сука, опять двойка", INSULT),
    ("Урод, верни пенал", INSULT),
    ("Закрой хлебало", INSULT),
    ("What the fuck", OBSCENE),
    ("This is bullshit", OBSCENE),
    ("You're such a moron", INSULT),
    ("He is an asshole", INSULT),
    ("Stop being a bitch", INSULT),
    # targeted words aimed at someone
    ("Ты тупой", INSULT),
    ("Вы такие тупые", INSULT),
    ("Сам дурак!", INSULT),
    ("Дура ты", INSULT),
    ("Тупая корова", INSULT),
    ("Эй ты, баран", INSULT),
    ("Училка тупая", INSULT),
    ("You are so stupid", INSULT),
    ("Stupid cow", INSULT),
    ("Stupid!", INSULT),
    # Latin look-alikes, digits, symbols, mixed scripts
    ("xуй", OBSCENE),
    ("cyka", INSULT),
    ("пиздеc", OBSCENE),
    ("6лядь", OBSCENE),
    ("пи3дец", OBSCENE),
    ("eбaнaт", OBSCENE),
    ("ты ид1от", INSULT),
    ("sh1t", OBSCENE),
    ("a$$hole", INSULT),
    ("fuсk", OBSCENE),  # Cyrillic с
    # invisible characters, accents, fullwidth, Greek
    ("х\u200bу\u200bй", OBSCENE),
    ("бля\u0301дь", OBSCENE),
    ("ｆｕｃｋ", OBSCENE),
    ("fυck", OBSCENE),
    # separators
    ("х.у.й", OBSCENE),
    ("х у й", OBSCENE),
    ("б-л-я", OBSCENE),
    ("е_б_а_т_ь", OBSCENE),
    ("ху ёво", OBSCENE),
    ("f u c k", OBSCENE),
    ("s.h.i.t", OBSCENE),
    # repeated letters
    ("бляяяяя", OBSCENE),
    ("хууууй", OBSCENE),
    ("сууукааа", INSULT),
    ("fuuuuck", OBSCENE),
    ("assssshole", INSULT),
    # transliteration
    ("blyat", OBSCENE),
    ("pizdec", OBSCENE),
    ("suka", INSULT),
    ("nahui", OBSCENE),
    ("xuy", OBSCENE),
    ("zaebali", OBSCENE),
    ("ty tupoy", INSULT),
    # masks
    ("х*й", OBSCENE),
    ("п***ц", OBSCENE),
    ("б**дь", OBSCENE),
    ("бл*", OBSCENE),
    ("f*ck", OBSCENE),
    ("Motherf***er", OBSCENE),
    # several at once
    ("х.y.й", OBSCENE),
    ("6 л я т ь", OBSCENE),
    ("nahuuuy", OBSCENE),
    ("$h!iiit", OBSCENE),
]


@pytest.mark.parametrize(("text", "category"), ABUSIVE)
def test_abusive_messages_are_blocked_with_their_category(text: str, category: str) -> None:
    assert blocked_as(text) == category, (text, check(text))


def test_obscene_wins_over_insult_in_one_message() -> None:
    assert blocked_as("Ты дебил, иди нахуй") == OBSCENE


def test_the_title_exemption_covers_insults_only() -> None:
    assert check("Кто прочитал «Идиот»?").ok
    assert blocked_as("Кто прочитал «Идиот»? А ты идиот") == INSULT
    assert blocked_as("Песня «Бля»") == OBSCENE


# --- the verdict ---------------------------------------------------------------------------------------------


def test_verdict_carries_reasons_in_both_locales() -> None:
    verdict = check("иди нахуй")
    assert verdict == Verdict(
        ok=False,
        reason="Сообщение не отправлено: нецензурная лексика",
        category=OBSCENE,
        matched="нахуй",
        reason_en="Message not sent: obscene language",
    )
    assert verdict.reason_for("en-gb") == verdict.reason_en
    assert verdict.reason_for("ru") == verdict.reason
    assert check("ты дебил").reason == "Сообщение не отправлено: оскорбление или грубое выражение"
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.ok = True  # type: ignore[misc]


def test_allowed_verdict_is_empty() -> None:
    verdict = check("Добрый день!")
    assert (verdict.ok, verdict.reason, verdict.reason_en, verdict.category, verdict.matched) == (
        True,
        "",
        "",
        None,
        None,
    )


def test_too_long_text_is_refused_unchecked_and_the_limit_itself_is_checked() -> None:
    assert blocked_as("а" * (MAX_TEXT_CHARS + 1)) == TOO_LONG
    assert check("а" * MAX_TEXT_CHARS).ok
    assert blocked_as(("Ребята, сдаём проект. " * MAX_TEXT_CHARS)[: MAX_TEXT_CHARS - 5] + " хуй") == OBSCENE


@pytest.mark.parametrize("text", [("х " * MAX_TEXT_CHARS)[:MAX_TEXT_CHARS], ("х*" * MAX_TEXT_CHARS)[:MAX_TEXT_CHARS]])
def test_adversarial_text_at_the_limit_is_decided(text: str) -> None:
    assert isinstance(check(text), Verdict)


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        check(b"bytes")  # type: ignore[arg-type]


# --- the lexicon itself --------------------------------------------------------------------------------------


def test_lexicon_patterns_are_written_for_collapsed_words() -> None:
    """Words are matched with repeats collapsed, so a doubled letter in a pattern could never match."""
    entries = (*lexicon.RU_ROOTS, *lexicon.EN_ROOTS, *lexicon.RU_TARGETED, *lexicon.EN_TARGETED)
    doubled = [e.name for e in entries if not e.squeezed and re.search(r"([a-zа-яё])\1", e.pattern)]
    assert doubled == []


@pytest.mark.parametrize("forms", [lexicon.RU_MASKED_FORMS, lexicon.EN_MASKED_FORMS])
def test_every_masked_form_is_in_the_lexicon(forms: str) -> None:
    """A mask resolves to one of these forms; a form the lexicon does not know would make it a no-op."""
    infos = {form: analyse(collapse(fold(form))) for form in forms.split()}
    assert [form for form, info in infos.items() if info.finding is None and info.targeted is None] == []


def test_a_masked_targeted_word_is_an_insult() -> None:
    assert check("What a dick").category == INSULT
    assert check("Moby Dick").ok
    assert blocked_as("d*ck") == INSULT


def test_a_stream_of_new_words_keeps_the_filter_caches_small() -> None:
    """Chat texts bring words never seen again (counters, times): a long-running daphne checks hundreds of
    thousands of them, and what the caches keep must level off at a small size (the soak saw it grow 21 MB)."""
    clear_caches()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(20_000):
            check(f"проверка c{n % 300} {n} {1_765_000_000 + n / 10:.3f}")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        clear_caches()
    assert held < 3_000_000


def test_importing_the_filter_does_not_import_django() -> None:
    code = "import sys, chat.moderation; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


# --- the CLI, through a real process -------------------------------------------------------------------------


def run_cli(stdin: bytes) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "chat.moderation"], cwd=REPO, input=stdin, capture_output=True, timeout=60, check=True
    )
    return result.stdout.decode("utf-8").splitlines()


def test_cli_prints_one_stable_line_per_message() -> None:
    lines = [
        "Добрый день!",
        "",
        "иди нахуй",
        "ты дебил",
        "f*ck this",
        "Нельзя употреблять телефоны",
    ]
    assert run_cli("\n".join(lines).encode() + b"\n") == [
        "ok",
        "ok",
        "blocked\tobscene: нахуй",
        "blocked\tinsult: дебил",
        "blocked\tobscene: fck",  # the word as written, separators removed
        "ok",
    ]


def test_cli_survives_invalid_utf8_crlf_and_a_missing_last_newline() -> None:
    stdin = b"\xff\xfe broken \xc3\r\nbad \xe2\x82 then \xd1\x85\xd1\x83\xd0\xb9\r\nlast line"
    assert run_cli(stdin) == ["ok", "blocked\tobscene: хуй", "ok"]


def test_cli_answers_an_over_long_line_and_goes_on() -> None:
    long_line = b"a" * (4 * MAX_TEXT_CHARS * 3)
    assert run_cli(b"hello\n" + long_line + b"\nfuck\n") == [
        "ok",
        f"blocked\ttoo_long: {len(long_line) + 1} bytes",
        "blocked\tobscene: fuck",
    ]


# --- the labelled set and the targets ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled():
    return load_labelled()


def test_labelled_set_is_big_enough_and_covers_both_languages_and_labels(labelled) -> None:
    assert len(labelled) >= 300
    for lang in ("ru", "en"):
        for label in ("ok", "blocked"):
            assert sum(r.lang == lang and r.label == label for r in labelled) >= 40, (lang, label)
    assert {r.split for r in labelled} == {"dev", "heldout", "stress"}


@pytest.mark.parametrize("split", [None, "heldout"])
def test_filter_reaches_its_targets_on_the_labelled_set(labelled, split: str | None) -> None:
    rows = [r for r in labelled if split in (None, r.split)]
    scores = score(rows, lambda text: not check(text).ok)
    assert scores.recall >= 0.95
    assert scores.fpr <= 0.01


def test_every_disguise_kind_is_caught(labelled) -> None:
    kinds = {r.kind for r in labelled if r.blocked}
    assert {"homoglyph", "separator", "repeat", "translit", "mask", "unicode", "mixed", "directed"} <= kinds
    for kind in kinds:
        scores = score([r for r in labelled if r.blocked and r.kind == kind], lambda text: not check(text).ok)
        assert scores.recall >= 0.9, kind


def test_the_naive_baseline_is_what_the_normalisation_beats(labelled) -> None:
    naive = score(labelled, naive_blacklist())
    ours = score(labelled, lambda text: not check(text).ok)
    assert naive.fpr > 0.2
    assert naive.recall < 0.8
    assert ours.recall > naive.recall
    assert ours.fpr < naive.fpr


def test_load_labelled_names_a_malformed_line(tmp_path) -> None:
    bad = tmp_path / "set.tsv"
    bad.write_text("# split: dev\n# kind: plain\nblocked\tru\tok row\nmaybe\tru\ttext\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"set\.tsv:4"):
        load_labelled(bad)


def test_the_requirement_documents_pass_line_by_line() -> None:
    """Real Russian prose (../shared/seeds): official documents must never be flagged."""
    assert SEEDS.is_dir(), f"missing {SEEDS}: the shared seed documents sit beside the repository"
    lines = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 300
    assert [line for line in lines if not check(line).ok] == []
