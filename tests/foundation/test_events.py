"""server.events.publish_on_commit: the send runs after the commit, never for a rollback, without holding up the
database thread of an event loop, and to completion in plain synchronous code."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

import pytest
from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.db import transaction

from server.events import publish_on_commit

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_database_thread_does_not_wait_for_the_send():
    """The send may only finish after the action has returned: were the thread waiting for it, this would hang."""
    action_returned, sent = asyncio.Event(), asyncio.Event()

    async def send() -> None:
        await action_returned.wait()
        sent.set()

    await asyncio.wait_for(database_sync_to_async(publish_on_commit)(send), 10)
    action_returned.set()
    await asyncio.wait_for(sent.wait(), 10)


async def test_the_send_starts_before_the_awaiting_caller_resumes():
    """What a chat sender relies on: its message frame is written before its ``ack``."""
    order: list[str] = []

    async def send() -> None:
        order.append("sent")

    await database_sync_to_async(publish_on_commit)(send)
    order.append("caller resumed")
    assert order == ["sent", "caller resumed"]


async def test_a_rolled_back_write_sends_nothing_and_a_committed_one_sends_once_it_commits():
    sent: list[str] = []

    def write(name: str, fail: bool) -> None:
        async def send() -> None:
            sent.append(name)

        with transaction.atomic():
            publish_on_commit(send)
            assert sent == []  # not before the commit
            if fail:
                raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(write)("rolled back", True)
    await database_sync_to_async(write)("committed", False)
    await asyncio.sleep(0)
    assert sent == ["committed"]


def test_plain_synchronous_code_returns_once_the_send_is_done():
    sent: list[str] = []

    async def send() -> None:
        await asyncio.sleep(0.01)
        sent.append("done")

    publish_on_commit(send)
    assert sent == ["done"]


def test_a_database_thread_whose_loop_has_stopped_sends_in_a_loop_of_its_own():
    """Daphne shutting down: an exam socket's pause commits in a thread whose loop no longer runs."""
    sent: list[str] = []
    stopped = asyncio.new_event_loop()

    async def send() -> None:
        sent.append("done")

    def database_thread() -> None:
        SyncToAsync.threadlocal.main_event_loop = stopped  # as asgiref leaves it in its worker threads
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        publish_on_commit(send)

    thread = threading.Thread(target=database_thread, daemon=True)
    thread.start()
    thread.join(10)
    stopped.close()
    assert not thread.is_alive(), "the database thread waits for a loop that has stopped"
    assert sent == ["done"]


def test_a_failed_send_is_logged_not_raised(caplog):
    async def send() -> None:
        raise ConnectionError("redis is away")

    with caplog.at_level(logging.ERROR, logger="server.events"):
        publish_on_commit(send)
    assert "could not be published" in caplog.text
