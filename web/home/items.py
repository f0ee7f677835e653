"""What the home page shows: sections of "now" items, each with where to act."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise

from lessons.schedule import Occurrence, Status

Text = str | Promise


@dataclass(frozen=True)
class Item:
    """One thing to do or know now: a title, a line of detail, and a link (with a button label when it is an
    action such as «Войти» or «Начать экзамен»). A lesson carries its occurrence and status instead."""

    title: Text
    detail: Text = ""
    url: str = ""
    action: Text = ""
    urgent: bool = False
    occurrence: Occurrence | None = None
    status: Status | None = None
    start: bool = False  # the teacher's lesson: «Начать урок»


@dataclass(frozen=True)
class Figure:
    """A number at a glance (the director's home)."""

    label: Text
    value: int
    url: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class Section:
    key: str  # a stable name, for the page's ids and the tests
    heading: Text
    items: list[Item] = field(default_factory=list)
    empty: Text = ""  # shown when there are no items (omitted sections have no empty text)
    more_url: str = ""
    more_label: Text = ""
    figures: list[Figure] = field(default_factory=list)
