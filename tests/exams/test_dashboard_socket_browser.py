"""The pages' shared socket (web/static/js/socket.js) against a real daphne that goes away: the proctor's
dashboard reconnects by itself and resumes, and stops retrying once the server answers "forbidden" (4403);
the chat page stops on "not logged in" (4401) and says so."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import setups
from tests.support.browser import login
from tests.support.servers import DaphneServer

pytestmark = pytest.mark.browser

# Every WebSocket the page opens, with the code it closed with (an init script: it runs before the page's).
RECORD_SOCKETS = """
window.socketLog = [];
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    const entry = { url: String(args[0]), closed: null };
    window.socketLog.push(entry);
    this.addEventListener("close", (event) => { entry.closed = event.code; });
  }
};
"""
# socket.js: RETRY_MAX_DELAY_MS * (1 + RETRY_JITTER), the longest a scheduled retry can wait, and a margin.
LONGEST_RETRY_SECONDS = 10 * 1.3 + 2
DASHBOARD = "/ws/proctor/exams/"


async def socket_log(page, path: str) -> list[dict]:
    """The sockets the page opened to ``path`` (the header's notifications socket reconnects on its own)."""
    return [entry for entry in await page.evaluate("window.socketLog") if path in entry["url"]]


async def test_dashboard_reconnects_after_server_restart_and_stops_on_forbidden(live_env, make_exam, browser):
    exam_id = make_exam(None)
    server = DaphneServer.start(live_env)
    try:
        context = await browser.new_context()
        await context.add_init_script(RECORD_SOCKETS)
        page = await context.new_page()
        await login(page, server.url, "proctor")
        await page.goto(f"{server.url}/proctor/exams/{exam_id}/dashboard/")
        await page.locator("body[data-connection=ok]").wait_for()

        # The server goes away and comes back on the same address: the page reconnects and gets a new snapshot.
        server.stop()
        await page.locator("body[data-connection=lost]").wait_for()
        server = DaphneServer.start(live_env, port=server.port)
        await page.locator("body[data-connection=ok]").wait_for(timeout=30_000)
        assert (await socket_log(page, DASHBOARD))[-1]["closed"] is None

        # Taken off the exam while the server is down: the reconnect is refused with 4403 and never retried.
        live_env.call(setups.unassign_proctors, exam=exam_id)
        server.stop()
        await page.locator("body[data-connection=lost]").wait_for()
        server = DaphneServer.start(live_env, port=server.port)
        await page.locator("body[data-connection=closed]").wait_for(timeout=30_000)
        opened = len(await socket_log(page, DASHBOARD))
        await asyncio.sleep(LONGEST_RETRY_SECONDS)
        log = await socket_log(page, DASHBOARD)
        assert len(log) == opened
        assert log[-1]["closed"] == 4403
    finally:
        server.stop()


async def test_chat_stops_and_says_so_when_logged_out(daphne_server, browser):
    context = await browser.new_context()
    await context.add_init_script(RECORD_SOCKETS)
    page = await context.new_page()
    await login(page, daphne_server.url, "curator")
    await page.goto(f"{daphne_server.url}/chat/")
    await page.locator("#connection-status[data-state=online]").wait_for()

    await context.clear_cookies()  # the session is gone (logged out elsewhere, or expired)
    await page.evaluate("window.chatApp.conn.drop()")
    status = page.locator("#connection-status[data-state=stopped]")
    await status.wait_for()
    assert "войдите снова" in await status.inner_text()
    assert [entry["closed"] for entry in await socket_log(page, "/ws/chat/")][-1] == 4401
