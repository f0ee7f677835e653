"""Each socket's protocol page lists exactly the message types its consumer accepts.

Outside clients are written from docs/*-protocol.md: a type added to a consumer's schemas but not to its
page (or documented but gone from the code) fails here. The client → server table is the first table
after the page's "## Client → server" heading; its first column names the types.
"""

from __future__ import annotations

import re

import pytest

from server.routing import websocket_urlpatterns
from tests.support.paths import REPO_ROOT

PAGES = {
    "ChatConsumer": "chat-protocol.md",
    "ExamSessionConsumer": "exam-protocol.md",
    "DashboardConsumer": "dashboard-protocol.md",
    "LessonConsumer": "lesson-protocol.md",
    "NotificationConsumer": "notifications-protocol.md",
}
CONSUMERS = {
    pattern.callback.consumer_class.__name__: pattern.callback.consumer_class for pattern in websocket_urlpatterns
}


def documented_types(page: str) -> list[str]:
    """The backticked names in the first column of the page's client → server table, in order."""
    lines = (REPO_ROOT / "docs" / page).read_text(encoding="utf-8").splitlines()
    start = lines.index("## Client → server")
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            table.append(line)
        elif table or line.startswith("#"):
            break
    rows = table[2:]  # after the header and its |---| line
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_every_socket_has_a_protocol_page() -> None:
    assert sorted(CONSUMERS) == sorted(PAGES)


@pytest.mark.parametrize(("consumer", "page"), sorted(PAGES.items()))
def test_the_page_lists_exactly_the_consumers_message_types(consumer: str, page: str) -> None:
    types = documented_types(page)
    assert len(types) == len(set(types)), f"{page} lists a type twice: {types}"
    assert sorted(types) == sorted(CONSUMERS[consumer].schemas), page
