"""An event leaves once the write that caused it has committed (Zulip's ``send_event_on_commit``).

Every domain's actions module (``proctor.actions``, ``chat.actions``, ``lessons.actions``) writes inside a
transaction and hands its event to :func:`publish_on_commit`. The guarantees:

* no event for a write that rolled back: the send is a ``transaction.on_commit`` callback, so an action
  called inside a larger transaction publishes when that one commits, and nothing if it rolls back;
* outside any transaction (autocommit) the write is already durable and the event leaves at once;
* a failed send is logged, never raised: the write has committed, the caller's work is done.

Actions are synchronous (Django's ORM), called from views and commands or from consumers through
``database_sync_to_async``; the sends are coroutines (channel layer, chat hub). Where the send runs:

* in a thread that works for an event loop — a consumer's ``database_sync_to_async`` call, or a view under
  daphne (Django runs sync views the same way) — it is scheduled on that loop and the database thread
  goes on at once: it is shared by every socket of the process and must not wait for Redis or a fan-out.
  The send is queued before the thread returns, so it starts before the awaiting consumer resumes: a chat
  message reaches the sockets before its ``ack`` goes to the sender, as when the consumer published itself;
* in plain synchronous code without a loop (management commands, the test client), or in a database thread
  whose loop has stopped (daphne shutting down), it runs to completion in a loop of its own before the action
  returns, so a command's events have left before the process exits.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import SyncToAsync
from django.db import transaction

from .aio import spawn

log = logging.getLogger(__name__)

Send = Callable[[], Awaitable[None]]


def publish_on_commit(send: Send) -> None:
    """Run ``send()`` after the current transaction commits (at once in autocommit)."""
    transaction.on_commit(lambda: _start(send))


def on_commit_in_loop(in_loop: Callable[[], None], without_loop: Callable[[], None]) -> None:
    """After the current transaction commits: ``in_loop()`` on the event loop this thread works for, or
    ``without_loop()`` at once in this thread when there is none (a command, the test client).

    For work an event loop can batch (chat's unread counters): a loop outlives the action, a command does not.
    """

    def start() -> None:
        loop = serving_loop()
        if loop is None:
            without_loop()
        else:
            # In a context of its own: the database thread's (asgiref's "inside the database thread" marks) would
            # make any database_sync_to_async that in_loop starts refuse to run ("would deadlock").
            loop.call_soon_threadsafe(in_loop, context=contextvars.Context())

    transaction.on_commit(start)


def _start(send: Send) -> None:
    loop = serving_loop()
    if loop is None:
        asyncio.run(_logged(send))
    else:
        loop.call_soon_threadsafe(lambda: spawn(_logged(send)))


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this thread runs, or the one it works for as a ``sync_to_async`` thread, if it still runs.

    asgiref records the latter in ``SyncToAsync.threadlocal``. Without a running loop the send gets a loop of
    its own in this thread (``asyncio.run``), not asgiref's ``async_to_sync``: that one hands the send to the
    recorded loop even when it has stopped, and a database thread still finishing an action while daphne shuts
    down (an exam socket's pause) would wait for it forever and keep the process from exiting.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


async def _logged(send: Send) -> None:
    try:
        await send()
    except Exception:
        log.exception("an event of a committed write could not be published")
