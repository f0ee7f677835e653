"""The protocol kit of every WebSocket: the consumer base class, message schemas, rate limits, close codes.

A socket is a :class:`JsonProtocolConsumer` subclass that declares its client → server messages in
``schemas`` (type → fields, built from the fields here) and handles each type ``x.y`` in ``on_x_y``; see
:mod:`server.ws.consumer`. Its protocol page in docs/ lists the same types (tests/foundation checks it).
"""

from .consumer import JsonProtocolConsumer, Reply
from .errors import CloseCode, ProtocolError
from .fields import Bool, Choice, Field, Int, ListOf, Object, OneOf, Schema, Sdp, Str
from .frames import PONG, ErrorFrame, Pong
from .rate import RateLimit

__all__ = [
    "PONG",
    "Bool",
    "Choice",
    "CloseCode",
    "ErrorFrame",
    "Field",
    "Int",
    "JsonProtocolConsumer",
    "ListOf",
    "Object",
    "OneOf",
    "Pong",
    "ProtocolError",
    "RateLimit",
    "Reply",
    "Schema",
    "Sdp",
    "Str",
]
