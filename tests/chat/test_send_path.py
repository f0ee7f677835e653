"""The send path (chat.actions.post_message) after it was cut to one read and one write (three on SQLite): what the
cut must not change — idempotency by client id (also when the resend itself would now be refused), seqs without
gaps, the rights of members, administrators and the director, a mute or removal after the socket read the rights —
and the statements a new message costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import actions
from chat.models import Membership, Message, Room
from chat.rooms import room_for_lesson
from chat.store import load_room
from server.accounts.models import Role, User, UserRole
from server.ws import ProtocolError

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def person(username: str, role: str) -> User:
    user = User.objects.create(username=username, last_name=username.title())
    UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def room(db) -> Room:
    teacher, student = person("teacher-s", Role.TEACHER), person("student-s", Role.STUDENT)
    return room_for_lesson("L-send", "Физика", [student], [teacher])


def member(room: Room, role: str = Membership.Role.MEMBER) -> User:
    return Membership.objects.select_related("user").get(room=room, role=role).user


def test_a_new_message_costs_one_read_and_one_write(room):
    student = member(room)
    actions.post_message(student, room.pk, "c-0", "Добрый день")  # the user's roles are read once per socket
    with CaptureQueriesContext(connection) as statements:
        message, duplicate = actions.post_message(student, room.pk, "c-1", "Сдам в пятницу")
    sql = [q["sql"].split()[0].upper() for q in statements.captured_queries]
    # the room's seq, the message and the sender's read position: one statement on PostgreSQL (a CTE), three on SQLite
    writes = ["WITH"] if connection.vendor == "postgresql" else ["UPDATE", "INSERT", "UPDATE"]
    assert [verb for verb in sql if verb not in TRANSACTION_CONTROL] == ["SELECT", *writes]
    assert (message.seq, duplicate) == (2, False)
    assert Membership.objects.get(room=room, user=student).last_read_seq == 2  # one's own message is read
    stored = Message.objects.get(pk=message.pk)
    assert (stored.text, stored.client_id, stored.author_id, stored.created_at) == (
        "Сдам в пятницу",
        "c-1",
        student.pk,
        message.created_at,
    )


def test_a_resend_gets_the_stored_message_even_when_it_would_now_be_refused(room):
    student = member(room)
    first, _ = actions.post_message(student, room.pk, "c-1", "Привет")
    again, duplicate = actions.post_message(student, room.pk, "c-1", "Привет")
    assert (again.pk, duplicate) == (first.pk, True)
    # The same client id with a text the filter refuses: the stored message, not an error.
    refused_text, duplicate = actions.post_message(student, room.pk, "c-1", "ты дебил")
    assert (refused_text.pk, refused_text.text, duplicate) == (first.pk, "Привет", True)
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(student, room.pk, "c-2", "ты дебил")
    assert refused.value.code == "blocked"
    following, _ = actions.post_message(student, room.pk, "c-3", "Что задали?")
    assert following.seq == 2  # the resends and the refusal used no seq
    assert Room.objects.get(pk=room.pk).last_seq == 2


def test_administrators_write_without_membership_and_the_director_reads_only(room):
    admin, director = person("admin-s", Role.ADMIN), person("director-s", Role.DIRECTOR)
    message, _ = actions.post_message(admin, room.pk, "a-1", "Объявление")
    assert message.seq == 1
    assert not Membership.objects.filter(room=room, user=admin).exists()
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(director, room.pk, "d-1", "Здравствуйте")
    assert refused.value.code == "read_only"
    outsider = person("student-x", Role.STUDENT)
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(outsider, room.pk, "x-1", "Можно к вам?")
    assert refused.value.code == "forbidden"
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(outsider, 10**9, "x-2", "Есть тут кто?")
    assert refused.value.code == "not_found"


def test_a_send_with_the_rights_the_socket_read_stores_in_one_statement(room):
    student = member(room)
    known = load_room(student, room.pk)
    actions.post_message(student, room.pk, "c-0", "Добрый день", known=known)
    with CaptureQueriesContext(connection) as statements:
        message, duplicate = actions.post_message(student, room.pk, "c-1", "Сдам в пятницу", known=known)
    sql = [q["sql"].split()[0].upper() for q in statements.captured_queries]
    # PostgreSQL: the rights are checked by the storing statement; SQLite reads them first, as without them
    expected = ["WITH"] if connection.vendor == "postgresql" else ["SELECT", "UPDATE", "INSERT", "UPDATE"]
    assert [verb for verb in sql if verb not in TRANSACTION_CONTROL] == expected
    assert (message.seq, duplicate) == (2, False)
    assert Membership.objects.get(room=room, user=student).last_read_seq == 2


def test_a_mute_or_a_removal_since_the_socket_read_the_rights_is_not_bypassed(room):
    student, teacher = member(room), member(room, Membership.Role.MODERATOR)
    known = load_room(student, room.pk)
    actions.mute_member(teacher, room.pk, student.pk, 10)
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(student, room.pk, "c-1", "Можно выйти?", known=known)
    assert refused.value.code == "muted"
    actions.mute_member(teacher, room.pk, student.pk, 0)
    Membership.objects.filter(room=room, user=student).delete()
    with pytest.raises(ProtocolError) as refused:
        actions.post_message(student, room.pk, "c-2", "Можно выйти?", known=known)
    assert refused.value.code == "forbidden"
    assert (Room.objects.get(pk=room.pk).last_seq, Message.objects.filter(room=room).count()) == (0, 0)
    teacher_known = load_room(teacher, room.pk)
    message, _ = actions.post_message(
        teacher, room.pk, "t-1", "Тишина", known=teacher_known
    )  # a moderator: never muted
    admin = person("admin-k", Role.ADMIN)
    message_by_admin, _ = actions.post_message(admin, room.pk, "a-1", "Объявление", known=load_room(admin, room.pk))
    assert (message.seq, message_by_admin.seq) == (1, 2)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_resend_gets_the_stored_message_and_a_refusal_spends_no_seq(room):
    """Where one statement stores a message it runs without a transaction of its own (autocommit): a refused
    INSERT must leave the connection usable and the seq unspent, as inside one."""
    student = member(room)
    known = load_room(student, room.pk)
    first, _ = actions.post_message(student, room.pk, "c-1", "Привет", known=known)
    again, duplicate = actions.post_message(student, room.pk, "c-1", "Привет", known=known)
    following, _ = actions.post_message(student, room.pk, "c-2", "Что задали?", known=known)
    assert (again.pk, duplicate, following.seq) == (first.pk, True, 2)
    assert Room.objects.get(pk=room.pk).last_seq == 2
