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

Call inside ``transaction.atomic()``: the caller binds attachments and the save signals' receivers write in the
same transaction.
"""

from __future__ import annotations

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
    message = Message(room=room, author=author, client_id=client_id, text=text, reply_to=reply, mentions=mentioned)
    message.created_at = timezone.now()
    saved = {"sender": Message, "instance": message, "raw": False, "using": connection.alias, "update_fields": None}
    one_statement = connection.vendor == "postgresql"
    if not one_statement:
        message.seq = _next_seq(room)
    signals.pre_save.send(**saved)  # on PostgreSQL without its seq yet: the statement that stores it allocates it
    values = [field.get_db_prep_save(getattr(message, field.attname), connection) for field in _FIELDS]
    with connection.cursor() as cursor:
        if one_statement:
            del values[_SEQ_AT]
            cursor.execute(STORE_IN_ONE, [room.pk, *values, membership.pk if membership else None])
            message.pk, message.seq = cursor.fetchone()
        else:
            cursor.execute(INSERT, values)
            message.pk = cursor.fetchone()[0]
            if membership is not None:
                cursor.execute(READ_OWN, [message.seq, membership.pk, message.seq])
    message._state.adding, message._state.db = False, connection.alias
    signals.post_save.send(created=True, **saved)
    return message


def _next_seq(room: Room) -> int:
    """Allocate the room's next seq in one statement (the row stays locked until the transaction ends)."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_SEQ, [room.pk])
        return cursor.fetchone()[0]
