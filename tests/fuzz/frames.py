"""Hypothesis strategies for socket frames, built from each socket's own schemas (server.ws.fields).

Two families:

* :func:`well_typed` — messages every field of which its schema accepts, filled with hostile values: strings of
  any Unicode (control characters, RTL marks, emoji, NULs), the longest allowed, the extreme integers. They reach
  the handlers, so these find the handler bugs.
* :func:`malformed` — everything the schema check must refuse with an error frame: wrong types, missing and
  unknown fields, lone surrogates (``"\\ud800"``), deep nesting, huge strings, non-JSON text, binary frames.

A frame is ``str`` (a text frame) or ``bytes`` (a binary frame).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from server.ws import Bool, Choice, Field, Int, ListOf, Object, OneOf, Schema, Sdp, Str
from server.ws.fields import COMMON, MAX_REF_CHARS

Frame = str | bytes

# Any code point, surrogates included: json.dumps writes a lone one as a \udXXX escape, as a hostile client can.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
VALID_CHARACTER = st.characters(codec="utf-8")
HOSTILE_STRINGS = st.sampled_from(
    ["", " ", "\x00", "\u202e", "\ufeff", "𝕏" * 10, "<script>alert(1)</script>", "'; DROP TABLE chat;--", "%s%n", "../"]
)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHARACTER, max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def accepted(field: Field) -> st.SearchStrategy[Any]:
    """Values ``field`` accepts, leaning to the hostile ones."""
    if isinstance(field, Int):
        # Small ones name real rooms, users and sessions of the demo school; the extremes test the bounds.
        return st.integers(field.min, min(field.max, field.min + 30)) | st.sampled_from([field.min, field.max])
    if isinstance(field, Str):
        text = st.text(VALID_CHARACTER, min_size=max(field.min, 1), max_size=field.max)
        edges = st.builds(lambda c: c * field.max, st.sampled_from(["я", "x", "\u0301"])) if field.max else st.just("")
        return (text | edges | HOSTILE_STRINGS).filter(lambda v: _fits(field, v))
    if isinstance(field, Bool):
        return st.booleans()
    if isinstance(field, Choice):
        return st.sampled_from(sorted(field.choices))
    if isinstance(field, Sdp):
        sections = "".join(f"m={kind} 9 UDP/TLS/RTP/SAVPF 96\r\n" for kind in field.media)
        junk = st.text(VALID_CHARACTER, max_size=200)
        return st.builds(lambda tail: "v=0\r\n" + sections + tail, junk).filter(lambda v: _fits(field, v))
    if isinstance(field, ListOf):
        return st.lists(accepted(field.item), min_size=field.min, max_size=min(field.max, 5))
    if isinstance(field, Object):
        return st.fixed_dictionaries(
            {name: accepted(sub) for name, sub in field.fields.items() if sub.required},
            optional={name: accepted(sub) for name, sub in field.fields.items() if not sub.required},
        )
    if isinstance(field, OneOf):
        return st.one_of([accepted(option) for option in field.options])
    raise TypeError(f"no strategy for {field!r}")


def _fits(field: Field, value: Any) -> bool:
    try:
        field.check("fuzz", value)
    except Exception:
        return False
    return True


def well_typed(
    schemas: Mapping[str, Schema], leave_out: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict[str, Any]]:
    """A message of any type of the socket (but ``leave_out``) whose fields all pass their schema."""
    return st.one_of(
        [
            st.fixed_dictionaries(
                {"type": st.just(message_type), **{name: accepted(f) for name, f in schema.items() if f.required}},
                optional={name: accepted(f) for name, f in schema.items() if not f.required},
            )
            for message_type, schema in sorted(schemas.items())
            if message_type not in leave_out
        ]
    )


def _broken(schemas: Mapping[str, Schema], draw: st.DrawFn) -> dict[str, Any]:
    """A message with one thing wrong: a field of the wrong type, missing, unknown, a bad ref/v or type."""
    message: dict[str, Any] = draw(well_typed(schemas))
    schema = schemas[message["type"]]
    damage = draw(st.sampled_from(["value", "missing", "unknown", "ref", "version", "type"]))
    names = sorted(schema)
    if damage == "value" and names:
        name = draw(st.sampled_from(names))
        message[name] = draw(json_values.filter(lambda v: v is not None and not _fits(schema[name], v)))
    elif damage == "missing" and any(schema[n].required for n in names):
        del message[draw(st.sampled_from([n for n in names if schema[n].required]))]
    elif damage == "ref":
        message["ref"] = draw((st.text(ANY_CHARACTER, min_size=65, max_size=100) | json_values).filter(_bad_ref))
    elif damage == "version":
        message["v"] = draw(json_values.filter(lambda v: v is not None and v != 1))
    elif damage == "type":
        message["type"] = draw(st.text(ANY_CHARACTER, max_size=30).filter(lambda t: t not in schemas))
    else:
        unknown = st.text(ANY_CHARACTER, min_size=1, max_size=10).filter(lambda k: k not in schema and k not in COMMON)
        message[draw(unknown)] = draw(json_values.filter(lambda v: v is not None))
    return message


@st.composite
def malformed(draw: st.DrawFn, schemas: Mapping[str, Schema]) -> Frame:
    """A frame the socket must answer with an error frame (and stay open)."""
    kind = draw(st.sampled_from(["broken", "surrogate", "nested", "huge", "text", "json", "binary"]))
    if kind == "broken":
        return json.dumps(_broken(schemas, draw))
    if kind == "surrogate":  # a lone surrogate in a string the message echoes or stores
        message = draw(well_typed(schemas))
        key = draw(
            st.sampled_from(sorted({"ref", *(k for k, v in message.items() if isinstance(v, str) and k != "type")}))
        )
        message[key] = draw(st.text(VALID_CHARACTER, max_size=5)) + chr(draw(st.integers(0xD800, 0xDFFF)))
        return json.dumps(message)
    if kind == "nested":
        depth = draw(st.integers(500, 5000))
        return '{"type":"x","ref":' + "[" * depth + "]" * depth + "}"
    if kind == "huge":
        return json.dumps(
            {"type": draw(st.sampled_from(sorted(schemas))), "text": "я" * draw(st.integers(9000, 70000))}
        )
    if kind == "text":
        return draw(st.text(VALID_CHARACTER, max_size=200).filter(lambda t: not _is_message(t)))
    if kind == "json":  # valid JSON that is not a message: not an object, or no string type
        return json.dumps(
            draw(json_values.filter(lambda v: not (isinstance(v, dict) and isinstance(v.get("type"), str))))
        )
    return draw(st.binary(max_size=300))


def _bad_ref(ref: Any) -> bool:
    """Not a ref a message may carry (absent, an integer, or a string of at most 64 characters)."""
    return not (ref is None or type(ref) is int or (isinstance(ref, str) and len(ref) <= MAX_REF_CHARS))


def _is_message(text: str) -> bool:
    try:
        content = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(content, dict) and isinstance(content.get("type"), str)
