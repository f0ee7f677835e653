"""Storing a new message: the room's next seq, the message row and the sender's read position.

Written by hand rather than through the ORM: compiling ``Message.objects.create`` and two updates cost more CPU
than the database's work (docs/benchmarks.md, "Chat send path on PostgreSQL"). Every field still goes through
its own database preparation, and the save signals are sent as ``save()`` sends them (chat.sla's answer clock
listens to ``post_save``).

* PostgreSQL: one statement (data-modifying CTEs): the room's ``last_seq`` is bumped, the message inserted with
  it and the sender's read position moved to it. The room row stays locked until the transaction ends, so seqs
  stay gap-free and in commit order; a refused INSERT (the same client id) fails the whole statement, so no seq
  is spent.
* SQLite (development, the embedded layout): the same three steps as three statements (no CTE may write there).

A socket that already knows the room and the sender's rights (its subscription, kept up to date by rights changes)
does not read them again: on PostgreSQL the statement itself allocates the seq only if the sender may still write
(an administrator, or a member who is a moderator or not muted now) and stores nothing otherwise
(:func:`store_checked`), so a mute or a removal since the socket looked is never bypassed.

Call inside ``transaction.atomic()``: the caller binds attachments and the save signals' receivers write in the
same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import signals
from django.utils import timezone

from server.accounts.models import User

from .models import Membership, Message, Room

_ROOM, _MESSAGE, _MEMBERSHIP = Room._meta.db_table, Message._meta.db_table, Membership._meta.db_table
_FIELDS = [field for field in Message._meta.concrete_fields if not field.primary_key]
_COLUMNS = ", ".join(f'"{field.column}"' for field in _FIELDS)
_SEQ_AT = [field.attname for field in _FIELDS].index("seq")

NEXT_SEQ = f"UPDATE {_ROOM} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq"  # noqa: S608 - model names
INSERT = f"INSERT INTO {_MESSAGE} ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(_FIELDS))}) RETURNING id"  # noqa: S608
READ_OWN = f"UPDATE {_MEMBERSHIP} SET last_read_seq = %s WHERE id = %s AND last_read_seq < %s"  # noqa: S608

_PLACES = ["%s"] * len(_FIELDS)
_PLACES[_SEQ_AT] = "(SELECT last_seq FROM seq)"
STORE_IN_ONE = (
    f"WITH seq AS ({NEXT_SEQ}), "  # noqa: S608 - names from the models
    f"message AS (INSERT INTO {_MESSAGE} ({_COLUMNS}) VALUES ({', '.join(_PLACES)}) RETURNING id, seq), "
    f"own_read AS (UPDATE {_MEMBERSHIP} m SET last_read_seq = message.seq FROM message "
    f"WHERE m.id = %s AND m.last_read_seq < message.seq) "
    "SELECT id, seq FROM message"
)


_GUARDED_SEQ = (
    f"{NEXT_SEQ[: -len(' RETURNING last_seq')]} AND (%s OR EXISTS (SELECT 1 FROM {_MEMBERSHIP} w "  # noqa: S608
    "WHERE w.room_id = %s AND w.user_id = %s AND (w.role = %s OR w.muted_until IS NULL OR w.muted_until <= now()))) "
    "RETURNING last_seq"
)
_SELECTED = list(_PLACES)
_SELECTED[_SEQ_AT] = "seq.last_seq"
STORE_CHECKED = (
    f"WITH seq AS ({_GUARDED_SEQ}), "  # noqa: S608 - names from the models
    f"message AS (INSERT INTO {_MESSAGE} ({_COLUMNS}) SELECT {', '.join(_SELECTED)} FROM seq RETURNING id, seq), "
    f"own_read AS (UPDATE {_MEMBERSHIP} m SET last_read_seq = message.seq FROM message "
    f"WHERE m.id = %s AND m.last_read_seq < message.seq) "
    "SELECT id, seq FROM message"
)


def store_message(
    room: Room,
    author: User,
    membership: Membership | None,
    client_id: str,
    text: str,
    reply: Message | None,
    mentioned: list[int],
) -> Message:
    """Store the message with the room's next seq and move ``membership``'s read position to it (None: the author
    is no member, an administrator). Raises IntegrityError when the author already used ``client_id`` here."""
    new = _NewMessage(room, author, client_id, text, reply, mentioned)
    if connection.vendor != "postgresql":
        new.message.seq = _next_seq(room)
        new.prepare()
        with connection.cursor() as cursor:
            cursor.execute(INSERT, new.values)
            new.message.pk = cursor.fetchone()[0]
            if membership is not None:
                cursor.execute(READ_OWN, [new.message.seq, membership.pk, new.message.seq])
        return new.saved()
    new.prepare()
    del new.values[_SEQ_AT]
    with connection.cursor() as cursor:
        cursor.execute(STORE_IN_ONE, [room.pk, *new.values, membership.pk if membership else None])
        new.message.pk, new.message.seq = cursor.fetchone()
    return new.saved()


def checks_rights_itself() -> bool:
    """Whether :func:`store_checked` can be used: PostgreSQL (SQLite: read the rights, then store)."""
    return connection.vendor == "postgresql"


def store_checked(
    room: Room,
    author: User,
    membership: Membership | None,
    admin: bool,
    client_id: str,
    text: str,
    reply: Message | None,
    mentioned: list[int],
) -> Message | None:
    """:func:`store_message` for a sender whose rights were read earlier (``admin``: they are an administrator;
    ``membership``: theirs in the room, or None), checked again by the storing statement itself. None when they may
    no longer write here: nothing was stored. Only where :func:`checks_rights_itself`."""
    new = _NewMessage(room, author, client_id, text, reply, mentioned)
    new.prepare()
    del new.values[_SEQ_AT]
    guard: list[Any] = [room.pk, admin, room.pk, author.pk, Membership.Role.MODERATOR.value]
    with connection.cursor() as cursor:
        cursor.execute(STORE_CHECKED, [*guard, *new.values, membership.pk if membership else None])
        row = cursor.fetchone()
    if row is None:
        return None
    new.message.pk, new.message.seq = row
    return new.saved()


class _NewMessage:
    """A message being stored by hand, with the save signals ``save()`` would send around the INSERT."""

    def __init__(
        self, room: Room, author: User, client_id: str, text: str, reply: Message | None, mentioned: list[int]
    ) -> None:
        self.message = Message(
            room=room, author=author, client_id=client_id, text=text, reply_to=reply, mentions=mentioned
        )
        self.message.created_at = timezone.now()
        self.signal = {"sender": Message, "instance": self.message, "raw": False, "using": connection.alias}
        self.values: list[Any] = []

    def prepare(self) -> None:
        """Send ``pre_save`` (on PostgreSQL without the seq: the storing statement allocates it) and prepare every
        field's value for the database, in the order of ``_FIELDS``."""
        signals.pre_save.send(update_fields=None, **self.signal)
        self.values = [field.get_db_prep_save(getattr(self.message, field.attname), connection) for field in _FIELDS]

    def saved(self) -> Message:
        """The message once its row exists (pk and seq set): marked as loaded, ``post_save`` sent."""
        self.message._state.adding, self.message._state.db = False, connection.alias
        signals.post_save.send(created=True, update_fields=None, **self.signal)
        return self.message


def _next_seq(room: Room) -> int:
    """Allocate the room's next seq in one statement (the row stays locked until the transaction ends)."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_SEQ, [room.pk])
        return cursor.fetchone()[0]
