"""The base every JSON WebSocket consumer builds on.

It enforces the rules all our sockets share: only authenticated users, text frames of bounded size,
JSON objects with a string ``type`` that the consumer's ``schemas`` name, with exactly the fields of
that type's schema (:mod:`server.ws.fields`); anything else is answered with an ``error`` frame and the
socket stays open. A valid message ``{"type": "x.y", ...}`` is handled by the consumer's ``on_x_y``
method, called with the checked fields as keyword arguments — Channels' own "the handler's name is the
message type" rule, so there is no dispatch table to keep in sync (and a missing handler, or one whose
parameters differ from the schema, fails when the class is defined). The handler returns its direct
reply (the base echoes the message's ``ref`` in it) or ``None``; a ``ProtocolError`` it raises becomes
the error frame, and so does a database out of reach (code ``unavailable``: send again; chat's idempotent
send keeps a resend exactly-once) instead of a socket closed with 1011. A connection speaks the language of
the page that opened it (the language selector's cookie).

Rights follow the user (:mod:`server.ws.rights`): a user who must change their password is refused like an
anonymous one, and when the user's rights change every open socket of theirs checks its session again and
closes, or hands the fresh user to its consumer's :meth:`~JsonProtocolConsumer.rights_changed` to narrow what
it serves.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Mapping
from enum import IntEnum
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import InterfaceError, OperationalError
from django.utils import translation

from server.language import chosen_language

from .errors import CloseCode, ProtocolError
from .fields import MAX_REF_CHARS, Schema, read_message
from .frames import ErrorFrame
from .rate import RateLimit
from .rights import RightsWatch, check_session, get_watch

log = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"  # error code: a store the server needs is unreachable for now; the same frame may be resent

Reply = Mapping[str, object]


def is_valid_unicode(content: Any) -> bool:
    """Whether every string of a decoded frame can be stored and sent back.

    A frame's text is valid UTF-8, but a JSON escape such as ``"\\ud800"`` decodes to a lone surrogate, which
    no database, log line or frame can encode: a chat ``ref`` holding one closed the socket with 1011 when its
    echo was sent (found by tests/fuzz). Only frames with a ``\\u`` escape are walked.
    """
    try:
        json.dumps(content, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def handler_name(message_type: str) -> str:
    """``{"type": "identity.check"}`` goes to ``on_identity_check``."""
    return "on_" + message_type.replace(".", "_")


class JsonProtocolConsumer(AsyncJsonWebsocketConsumer):
    max_frame_bytes = 16_384
    schemas: ClassVar[Mapping[str, Schema]] = {}  # client → server message type → its fields
    protocol_version: ClassVar[int] = 1  # a message's optional ``v`` must be this
    _handlers: ClassVar[dict[str, str]] = {}
    # Every frame of one user on this kind of socket, malformed ones too, counted across all daphne processes
    # (RateLimit.take_shared: Redis when configured), so a client spreading its frames over several processes
    # is limited once. None: the consumer limits what it must itself (chat, per message kind).
    frame_limit: ClassVar[RateLimit | None] = None
    rights_watch: RightsWatch | None = None
    rights_user_id: int | None = None
    rights_checking = False  # a check runs; another request while it does is folded into one more run
    rights_again = False
    revoked = False  # closed because of a rights change: frames still in flight are ignored

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check once, when the consumer is defined, that each message type has its handler, taking its fields."""
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for message_type, schema in cls.schemas.items():
            name = handler_name(message_type)
            handler = getattr(cls, name, None)
            if handler is None:
                raise TypeError(f"{cls.__name__} has no {name}() for message type {message_type!r}")
            parameters = list(inspect.signature(handler).parameters)[1:]
            if sorted(parameters) != sorted(schema):
                raise TypeError(
                    f"{cls.__name__}.{name} takes {parameters}, the schema of {message_type!r} has {list(schema)}"
                )
            cls._handlers[message_type] = name

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        # For the whole connection, tasks it starts and database calls included (they copy the context).
        with translation.override(chosen_language(scope.get("cookies", {}))):
            await super().__call__(scope, receive, send)

    async def dispatch(self, message: dict) -> None:
        """Like AsyncConsumer.dispatch without its per-message thread hop (``aclose_old_connections``).

        Our consumers reach the database only through ``database_sync_to_async``, which closes stale
        connections itself; the hop would cost every frame a trip through the thread pool (chat's send
        path, see chat/hub.py).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or getattr(user, "must_change_password", False):
            # Accept first so the client learns why (a close before accept is a bare HTTP 403). A user who must
            # change the school-issued password gets no socket, as they get no page but the change form.
            await self.accept()
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        await self.watch_rights(user.pk)
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict) -> None:
        try:
            await super().websocket_disconnect(message)
        finally:
            if self.rights_watch is not None and self.rights_user_id is not None:
                await self.rights_watch.discard(self, self.rights_user_id)

    # -- rights that follow the user (server.ws.rights) ------------------------------------------
    async def watch_rights(self, user_id: int) -> None:
        """Hear the user's rights changes from now on (registered before ``connect`` runs: none is missed)."""
        self.rights_user_id = user_id
        try:
            self.rights_watch = await get_watch()
            if self.rights_watch is not None:
                await self.rights_watch.add(self, user_id)
        except Exception:  # the socket still works; it only misses revocations until it reconnects
            log.exception("cannot watch the rights of user %s", user_id)

    async def recheck_rights(self) -> None:
        """Check the session again; close, or give the consumer the fresh user (its ``rights_changed``)."""
        if self.rights_checking:
            self.rights_again = True
            return
        self.rights_checking = True
        try:  # runs in the rights watch's task, outside __call__: speak the connection's language here too
            translation.activate(chosen_language(self.scope.get("cookies", {})))
            self.rights_again = True
            while self.rights_again and not self.revoked:
                self.rights_again = False
                session = self.scope.get("session")
                verdict = await database_sync_to_async(check_session)(
                    getattr(session, "session_key", None), self.rights_user_id
                )
                if verdict.close_code is not None:
                    await self.revoke(verdict.close_code)
                else:
                    self.scope["user"] = verdict.user
                    await self.rights_changed(verdict.user)
        except Exception:
            log.exception("checking the rights of a socket of user %s failed", self.rights_user_id)
        finally:
            self.rights_checking = False

    async def rights_changed(self, user: Any) -> None:
        """The user's rights changed and the session is still valid: narrow what this socket serves, or
        :meth:`revoke` it. ``user`` is fresh from the database (roles too); the default keeps the socket."""

    async def revoke(self, code: int) -> None:
        """Close for a rights change; frames the client sends meanwhile are not handled."""
        self.revoked = True
        await self.close(code=code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.revoked:
            return
        if self.frame_limit is not None:
            try:
                await self.frame_limit.take_shared(self.scope["user"].pk)
            except ProtocolError as error:
                await self.send_error(error.code, error.detail, self.ref_of(text_data))
                return
        if text_data is None:
            await self.send_error("bad_frame", "binary frames are not accepted")
            return
        if len(text_data.encode()) > self.max_frame_bytes:
            await self.send_error("too_large", f"frame exceeds {self.max_frame_bytes} bytes")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser's recursion limit
            await self.send_error("bad_json", "frame is not valid JSON (or nested too deeply)")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_message", "a message is a JSON object with a string 'type'")
            return
        if "\\u" in text_data and not is_valid_unicode(content):
            await self.send_error("bad_json", "frame carries a lone surrogate (\\ud800-\\udfff): not valid Unicode")
            return
        try:
            await self.receive_json(content)
        except ProtocolError as error:
            await self.send_error(error.code, error.detail, content.get("ref"), error.extra)
        except (OperationalError, InterfaceError) as error:
            # The database is out of reach (restarting, failing over): the message was not handled. Tell the client to
            # retry instead of closing the socket with 1011; a chat resend with the same client_id stays exactly-once.
            log.warning("%s: database unavailable while handling %r: %s", type(self).__name__, content["type"], error)
            await self.send_error(UNAVAILABLE, "the database is unavailable; retry shortly", content.get("ref"))

    def ref_of(self, text_data: str | None) -> Any:
        """The ``ref`` of a frame refused before it was read (rate limited), to echo in the error if it has one."""
        if text_data is None or len(text_data) > self.max_frame_bytes:
            return None
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            return None
        return content.get("ref") if isinstance(content, dict) else None

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        """Check the message against its schema, handle it and send the handler's reply with the ``ref``."""
        fields = read_message(content, self.schemas, self.protocol_version)
        reply = await self.handle_message(content["type"], fields)
        if reply is not None:
            await self.send_json({**reply, "ref": content["ref"]} if "ref" in content else reply)

    async def handle_message(self, message_type: str, fields: dict[str, Any]) -> Reply | None:
        """Call the message's handler; a consumer overrides this for the checks all of its messages need."""
        return await getattr(self, self._handlers[message_type])(**fields)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        # autobahn (under daphne) refuses a close code whose type is not exactly int, so no IntEnum members.
        await super().close(code=int(code) if isinstance(code, IntEnum) else code, reason=reason)

    async def send_error(self, code: str, detail: str, ref: Any = None, extra: Mapping[str, Any] | None = None) -> None:
        frame: ErrorFrame = {"type": "error", "error": code, "detail": detail}
        if type(ref) is int or (isinstance(ref, str) and len(ref) <= MAX_REF_CHARS and is_valid_unicode(ref)):
            frame["ref"] = ref
        await self.send_json({**frame, **extra} if extra else frame)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"))
