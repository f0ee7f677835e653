"""The registry of violation kinds is complete, and a kind added to it alone reaches every part that uses kinds.

``problems(kind)`` lists what the recipe "Add a violation kind" (docs/proctoring-engine.md) still lacks for
a kind; every registered kind must have none, and a kind that has only its registry entry lacks exactly the
steps the recipe names after it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from proctor import kinds
from proctor.episodes import EpisodeEngine
from proctor.kinds import BrowserEvent, Family, Kind, KindSpec, UnknownKind
from proctor.live.browser_events import BROWSER_EVENTS
from proctor.models import Episode, Exam, ExamSession
from proctor.observations import Observation
from proctor.policy import DEFAULT_POLICY, KindRule, Policy
from proctor.review import Credibility, ScoreLine, credibility
from server.accounts.models import User
from server.school.models import StudyGroup

BASE = Path(settings.BASE_DIR)
KIND_TABLE = BASE / "docs" / "proctoring-engine.md"
EXAM_PAGE_SCRIPTS = BASE / "web" / "static" / "js"
CYRILLIC = re.compile("[А-Яа-яЁё]")
FRAME_STEP_S = 0.5


# -------------------------------------------------------------- driving the engine, as the live pipeline does


def browser_signal(engine: EpisodeEngine, event: str, t: float) -> None:
    """What the exam socket and proctor.live.analyst do with a browser event."""
    kind, active = BROWSER_EVENTS[event]
    if active is None:
        engine.mark(kind, t)
    else:
        engine.set_state(kind, t, active)


def hold_frames(engine: EpisodeEngine, seconds: float, **bad: float) -> float:
    """Good frames, then frames showing the condition for ``seconds``, then good frames again; the last time."""
    t = 0.0
    for fields, until in (({"faces": 1}, 2.0), (bad, 2.0 + seconds), ({"faces": 1}, 2.0 + seconds + 2.0)):
        while t < until:
            engine.observe(Observation(**{"t": t, "faces": 1, **fields}))
            t += FRAME_STEP_S
    return t - FRAME_STEP_S


def lose_camera(engine: EpisodeEngine, seconds: float) -> float:
    engine.observe(Observation(0.0, 1))
    engine.tick(seconds)
    engine.observe(Observation(seconds + FRAME_STEP_S, 1))
    return seconds + FRAME_STEP_S


def hear_speech(engine: EpisodeEngine, seconds: float) -> float:
    """Quiet, speech for ``seconds``, quiet again, in the voice detector's 32-ms windows; the last time."""
    t, step = 0.0, 0.032
    for speaking, until in ((False, 2.0), (True, 2.0 + seconds), (False, 2.0 + seconds + 3.0)):
        while t < until:
            t += step
            engine.hear(t, Kind.SPEECH, speaking)
    return t


# How the engine is shown each kind that it reads from the camera or the microphone (a browser kind needs none:
# its events suffice).
CAMERA_SCENARIOS: dict[str, Callable[[EpisodeEngine, float], float]] = {
    Kind.NO_FACE: lambda engine, s: hold_frames(engine, s, faces=0),
    Kind.MULTIPLE_FACES: lambda engine, s: hold_frames(engine, s, faces=2),
    Kind.IDENTITY_MISMATCH: lambda engine, s: hold_frames(engine, s, faces=1, identity=0.0),
    Kind.LOOKING_AWAY: lambda engine, s: hold_frames(engine, s, faces=1, yaw=60.0),
    Kind.CAMERA_LOST: lose_camera,
    Kind.SPEECH: hear_speech,
}


def emitted_kinds(spec: KindSpec) -> set[str] | None:
    """Kinds of the episodes the engine finds when the condition holds well past its minimum; None: no scenario."""
    engine = EpisodeEngine(Policy())
    seconds = spec.min_duration_s + 2.0
    if spec.family == Family.BROWSER:
        end = 1.0 + len(spec.events) * seconds
        for index, event in enumerate(spec.events):
            browser_signal(engine, event.name, 1.0 + index * seconds)
    elif spec.kind in CAMERA_SCENARIOS:
        end = CAMERA_SCENARIOS[spec.kind](engine, seconds)
    else:
        return None
    engine.finish(end)
    return {episode.kind for episode in engine.episodes}


# -------------------------------------------------------------------------- what a kind may lack


def events_cell(spec: KindSpec) -> str:
    def names(events: list[BrowserEvent]) -> str:
        return ", ".join(f"`{event.name}`" for event in events)

    if not spec.events:
        return "—"
    if spec.instant:
        return f"single {names(list(spec.events))}"
    opening = [event for event in spec.events if event.active]
    closing = [event for event in spec.events if event.active is False]
    return f"opens {names(opening)}, closes {names(closing)}"


def kind_table() -> dict[str, list[str]]:
    """Rows of the kind table in docs/proctoring-engine.md by kind: cells without the kind."""
    section = KIND_TABLE.read_text(encoding="utf-8").split("### Violation kinds\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            kind, *cells = (cell.strip() for cell in line.strip().strip("|").split("|"))
            rows[kind.strip("`")] = cells
    return rows


def labels(spec: KindSpec) -> tuple[str, str]:
    with translation.override("ru"):
        russian = str(spec.label)
    with translation.override("en"):
        english = str(spec.label)
    return russian, english


def spec_problems(spec: KindSpec) -> list[str]:
    found = []
    if not isinstance(spec.family, Family):
        found.append(f"family {spec.family!r} is not a Family")
    if isinstance(spec.weight, bool) or not isinstance(spec.weight, int) or spec.weight <= 0:
        found.append(f"weight {spec.weight!r} is not a positive whole number")
    if not (math.isfinite(spec.min_duration_s) and 0 <= spec.min_duration_s <= 3600):
        found.append(f"minimum duration {spec.min_duration_s!r} is not 0..3600 s")
    actives = {event.active for event in spec.events}
    if spec.family == Family.BROWSER and actives not in ({None}, {True, False}):
        found.append("a browser kind needs single events, or events that open it and events that close it")
    if spec.family != Family.BROWSER and spec.events:
        found.append("only browser kinds have browser events")
    return found


def problems(kind: str) -> list[str]:
    """What the recipe "Add a violation kind" still lacks for ``kind``, one line per missing piece."""
    spec = kinds.spec(kind)
    found = spec_problems(spec)
    russian, english = labels(spec)
    if not CYRILLIC.search(russian):
        found.append(f"the label {russian!r} is not Russian")
    if english == russian or CYRILLIC.search(english):
        found.append("no English label in locale/en/LC_MESSAGES/django.po")
    if Policy().rules.get(kind) != KindRule(True, spec.min_duration_s) or Policy.from_dict(
        {"rules": {kind: {"enabled": False}}}
    ).enabled(kind):
        found.append("the policy does not know it")
    emitted = emitted_kinds(spec)
    if emitted is None:
        found.append("no scenario in CAMERA_SCENARIOS shows the engine finding it")
    elif emitted != {kind}:
        found.append(f"the engine found {sorted(emitted)} instead")
    row = kind_table().get(kind)
    if row is None:
        found.append("no row in the kind table of docs/proctoring-engine.md")
    else:
        family, events, duration, weight, label_ru, label_en, _why = row
        expected = [
            str(spec.family),
            events_cell(spec),
            f"{spec.min_duration_s:g} s",
            str(spec.weight),
            russian,
            english,
        ]
        written = [family, events, duration[: len(expected[2])], weight, label_ru, label_en]
        if written != expected:
            found.append(f"its row in docs/proctoring-engine.md says {written}, the registry {expected}")
    scripts = "\n".join(path.read_text(encoding="utf-8") for path in EXAM_PAGE_SCRIPTS.rglob("*.js"))
    # Events that begin an episode must come from the page; closing ones need not (the page sends
    # devtools_open once per exam and never devtools_closed).
    beginning = [event.name for event in spec.events if event.active is not False]
    unsent = [name for name in beginning if not re.search(rf"[\"']{name}[\"']", scripts)]
    if unsent:
        found.append(f"the exam page never sends {', '.join(unsent)}")
    return found


# ------------------------------------------------------------------------------------ completeness


def test_the_registry_lists_every_kind_once_under_its_own_name() -> None:
    assert list(kinds.REGISTRY) == list(Kind)
    assert [spec.kind for spec in kinds.REGISTRY.values()] == list(Kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_is_complete(kind: Kind) -> None:
    assert problems(kind) == []


def test_every_browser_event_maps_to_one_kind() -> None:
    names = [event.name for spec in kinds.REGISTRY.values() for event in spec.events]
    assert len(names) == len(set(names)), "an event name belongs to two kinds"
    assert sorted(BROWSER_EVENTS) == sorted(names)
    assert {kind for kind, _active in BROWSER_EVENTS.values()} == set(kinds.of_family(Family.BROWSER))


def test_the_kind_table_lists_exactly_the_registry() -> None:
    assert list(kind_table()) == list(Kind)


def test_the_engine_feeds_each_family_its_way() -> None:
    assert kinds.of_family(Family.VISION) == ("no_face", "multiple_faces", "identity_mismatch", "looking_away")
    assert kinds.of_family(Family.CONNECTION) == ("camera_lost",)
    assert kinds.state_kinds() == (
        "tab_hidden",
        "focus_lost",
        "fullscreen_exit",
        "devtools",
        "screen_share_stopped",
        "second_monitor",
    )
    assert kinds.instant_kinds() == ("copy_paste",)
    assert kinds.of_family(Family.AUDIO) == ("speech",)


# ------------------------------------------------------------------------------------ unknown kinds


@pytest.fixture
def session(school: dict[str, User]) -> ExamSession:
    now = timezone.now()
    exam = Exam.objects.create(
        title="Алгебра", group=StudyGroup.objects.get(name="9А"), opens_at=now, closes_at=now + timedelta(hours=1)
    )
    exam.proctors.add(school["proctor"])
    return ExamSession.objects.create(exam=exam, student=school["student"])


def confirmed(session: ExamSession, kind: str) -> Episode:
    return Episode.objects.create(
        session=session, kind=kind, started_at=timezone.now(), review=Episode.Review.CONFIRMED
    )


def test_an_unknown_kind_is_an_error_not_a_default_weight_or_a_raw_name(session: ExamSession) -> None:
    for lookup in (kinds.spec, kinds.label, kinds.weight):
        with pytest.raises(UnknownKind, match="'printing'"):
            lookup("printing")
    episode = confirmed(session, "printing")
    with pytest.raises(UnknownKind):
        episode.label  # noqa: B018 (the property raises)
    with pytest.raises(UnknownKind):
        credibility(session)


# ------------------------------------------------------------------- the recipe "Add a violation kind"


class NewKind(StrEnum):
    PRINTING = "printing"


@pytest.fixture
def printing(monkeypatch: pytest.MonkeyPatch) -> KindSpec:
    """Step 1 of the recipe and nothing else: the kind's entry in proctor.kinds.REGISTRY."""
    spec = KindSpec(
        NewKind.PRINTING,  # type: ignore[arg-type]  # a member of Kind in a real change
        Family.BROWSER,
        min_duration_s=1.0,
        weight=20,
        label=gettext_lazy("печать страницы"),
        events=(BrowserEvent("print_start", True), BrowserEvent("print_end", False)),
    )
    monkeypatch.setitem(kinds.REGISTRY, spec.kind, spec)
    return spec


def test_a_kind_added_to_the_registry_reaches_policy_engine_socket_and_review(
    printing: KindSpec, session: ExamSession, school: dict[str, User]
) -> None:
    # The steps left are the ones the recipe names after the registry.
    assert problems("printing") == [
        "no English label in locale/en/LC_MESSAGES/django.po",
        "no row in the kind table of docs/proctoring-engine.md",
        "the exam page never sends print_start",
    ]
    # Policy: enabled with its default, also in a policy stored before the kind existed.
    stored = Policy.from_dict(DEFAULT_POLICY.to_dict())
    assert (stored.enabled("printing"), stored.min_duration("printing")) == (True, 1.0)
    assert Policy.from_dict({"sensitivity": "low"}).min_duration("printing") == 1.5
    # The exam socket's browser events and the engine.
    assert (BROWSER_EVENTS["print_start"], BROWSER_EVENTS["print_end"]) == (("printing", True), ("printing", False))
    engine = EpisodeEngine(stored)
    for event, t in (("print_start", 10.0), ("print_end", 10.5), ("print_start", 20.0), ("print_end", 22.0)):
        browser_signal(engine, event, t)
    engine.finish(30.0)
    assert [(e.kind, e.start, e.end) for e in engine.episodes] == [("printing", 20.0, 22.0)]
    # Review: its weight and label.
    confirmed(session, "printing")
    assert credibility(session) == Credibility(80, [ScoreLine("printing", "печать страницы", 1, 20)])
    # The dashboard's JavaScript and the report get its label from the server.
    client = Client()
    client.force_login(school["proctor"])
    page = client.get(reverse("proctor:dashboard", args=[session.exam_id])).content.decode()
    config = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>', page)
    assert config is not None
    assert json.loads(config.group(1))["labels"]["printing"] == "печать страницы"
    report = client.get(reverse("proctor:report_csv", args=[session.exam_id])).content.decode()
    assert list(csv.reader(io.StringIO(report.removeprefix("\ufeff")), delimiter=";"))[1][3] == "печать страницы"
