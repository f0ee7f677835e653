"""Declarative schemas of client → server messages, checked before any handler runs.

A schema maps each field name of a message type to a :class:`Field`, which checks one JSON value and
returns it. Every problem raises :class:`~server.ws.errors.ProtocolError` naming the field
(``send.room: expected an integer``), so the client learns what to fix and the socket stays open: a value
of the wrong type, out of range, too long or not one of the allowed words is ``bad_field`` (or the field's
own code, e.g. ``bad_sdp``), a required field that is absent or ``null`` is ``missing_field``, a field the
schema does not name is ``unknown_field``. Lists and objects are checked element by element, so nothing
unchecked reaches a handler (an out-of-range id deep in a list would otherwise fail in the database and
drop the socket).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from .errors import ProtocolError

MAX_ID = 2**53  # JavaScript's safe integers: the largest a browser sends exactly
MAX_REF_CHARS = 64
COMMON = frozenset({"type", "ref", "v"})  # allowed on every message; the consumer handles them


@dataclass(frozen=True, kw_only=True)
class Field:
    """One field of a message: ``required`` (absent or ``null`` is refused) or optional (then ``default``)."""

    required: bool = True
    default: Any = None
    error: str = "bad_field"  # the error code of a bad value

    def check(self, where: str, value: Any) -> Any:
        """Return the value (a handler's argument) or raise ProtocolError naming ``where``."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the field accepts, for error details."""
        raise NotImplementedError

    def refuse(self, where: str, problem: str) -> NoReturn:
        raise ProtocolError(self.error, f"{where}: {problem}")


Schema = Mapping[str, Field]


@dataclass(frozen=True, kw_only=True)
class Int(Field):
    """A JSON integer (not a string, not a float, not a boolean) between ``min`` and ``max``."""

    min: int = 0
    max: int = MAX_ID

    def check(self, where: str, value: Any) -> int:
        if type(value) is not int:
            self.refuse(where, "expected an integer")
        if not self.min <= value <= self.max:
            self.refuse(where, f"must be between {self.min} and {self.max}")
        return value

    def describe(self) -> str:
        return f"an integer between {self.min} and {self.max}"


@dataclass(frozen=True, kw_only=True)
class Str(Field):
    """A string of ``min``..``max`` characters; with ``strip``, counted and returned without outer spaces."""

    min: int = 0
    max: int
    strip: bool = False

    def check(self, where: str, value: Any) -> str:
        if not isinstance(value, str):
            self.refuse(where, "expected a string")
        if self.strip:
            value = value.strip()
        if not self.min <= len(value) <= self.max:
            self.refuse(where, f"length must be between {self.min} and {self.max}")
        return value

    def describe(self) -> str:
        return f"a string of {self.min} to {self.max} characters"


@dataclass(frozen=True, kw_only=True)
class Bool(Field):
    """``true`` or ``false`` (not 0/1, not a string)."""

    def check(self, where: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.refuse(where, "expected true or false")
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """One of a fixed set of words (``choices``: any collection of strings, e.g. a registry's keys)."""

    choices: Collection[str]

    def check(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            self.refuse(where, f"expected {self.describe()}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(sorted(self.choices))


@dataclass(frozen=True, kw_only=True)
class Sdp(Field):
    """A complete WebRTC session description (``v=0`` …) of at most ``max_bytes``, carrying every ``media``
    kind listed (e.g. ``("video",)``: an ``m=video`` section). Refused as ``bad_sdp``."""

    max_bytes: int
    media: tuple[str, ...] = ()
    error: str = "bad_sdp"

    def check(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.startswith("v=0") or len(value.encode()) > self.max_bytes:
            self.refuse(where, f"expected {self.describe()}")
        for kind in self.media:
            if f"m={kind}" not in value:
                self.refuse(where, f"the description must carry {kind} (m={kind})")
        return value

    def describe(self) -> str:
        return f"a complete SDP (v=0...) of at most {self.max_bytes} bytes"


@dataclass(frozen=True, kw_only=True)
class ListOf(Field):
    """A list of ``min``..``max`` items, each checked by ``item`` (errors name the index: ``rooms[3].room``)."""

    item: Field
    min: int = 0
    max: int

    def check(self, where: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.refuse(where, "expected a list")
        if not self.min <= len(value) <= self.max:
            self.refuse(where, f"must have between {self.min} and {self.max} items")
        return [self.item.check(f"{where}[{index}]", entry) for index, entry in enumerate(value)]

    def describe(self) -> str:
        return f"a list of {self.min} to {self.max} items, each {self.item.describe()}"


@dataclass(frozen=True, kw_only=True)
class Object(Field):
    """A JSON object with the ``fields`` of its own schema (and no others); the handler gets a dict of them."""

    fields: Schema

    def check(self, where: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.refuse(where, "expected an object")
        return check_fields(where, value, self.fields)

    def describe(self) -> str:
        return "an object with " + ", ".join(self.fields)


@dataclass(frozen=True, kw_only=True)
class OneOf(Field):
    """A value any one of ``options`` accepts (the first that does decides), e.g. a user id or ``"all"``."""

    options: tuple[Field, ...]

    def check(self, where: str, value: Any) -> Any:
        for option in self.options:
            try:
                return option.check(where, value)
            except ProtocolError:
                continue
        self.refuse(where, f"expected {self.describe()}")

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)


def check_fields(
    where: str, content: Mapping[str, Any], schema: Schema, allowed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The schema's fields of ``content`` (absent optional ones as their default), or ProtocolError."""
    unknown = content.keys() - schema.keys() - allowed
    if unknown:
        raise ProtocolError("unknown_field", f"{where}: unknown field {min(unknown)!r}")
    values: dict[str, Any] = {}
    for name, field in schema.items():
        value = content.get(name)
        if value is None:
            if field.required:
                raise ProtocolError("missing_field", f"{where}.{name}: required")
            values[name] = field.default
        else:
            values[name] = field.check(f"{where}.{name}", value)
    return values


def read_message(content: Mapping[str, Any], schemas: Mapping[str, Schema], version: int) -> dict[str, Any]:
    """The fields of a client message (a JSON object with a string ``type``) after its schema's checks.

    ``ref`` (a string of at most 64 characters, or an integer) and ``v`` (the protocol version, which must
    be ``version`` if given) may come with every message.
    """
    message_type = content["type"]
    schema = schemas.get(message_type)
    if schema is None:
        raise ProtocolError("unknown_type", f"unknown message type {message_type!r}")
    if content.get("v", version) != version:
        raise ProtocolError("unsupported_version", f"this server speaks protocol version {version}")
    ref = content.get("ref")
    if ref is not None and type(ref) is not int and not (isinstance(ref, str) and len(ref) <= MAX_REF_CHARS):
        raise ProtocolError("bad_field", f"ref: a string of at most {MAX_REF_CHARS} characters or an integer")
    return check_fields(message_type, content, schema, COMMON)
