"""Chromium pages in the lesson room, each logged in as a demo user in its own context."""

from __future__ import annotations

import asyncio
import time

from tests.support.client import logged_in

# getDisplayMedia in headless Chromium: with the fake media device flags it returns a fake "screen"
# (1280x720 @30 fps); the flag below picks the whole screen without a picker.
SCREEN_ARGS = ["--auto-select-desktop-capture-source=Entire screen", "--autoplay-policy=no-user-gesture-required"]


async def open_room(browser, base_url: str, username: str, lesson_id: int):
    session = logged_in(base_url, username)
    context = await browser.new_context()
    await context.add_cookies([{"name": k, "value": v, "url": base_url} for k, v in session.cookies.items()])
    page = await context.new_page()
    await page.goto(f"{base_url}/lessons/{lesson_id}/")
    return page


async def wait_joined(page, timeout: float = 20.0) -> dict:
    await page.wait_for_function("window.lesson && window.lesson.joined", timeout=timeout * 1000)
    return await page.evaluate("window.lesson.me")


async def inbound(page) -> list[dict]:
    return await page.evaluate("window.lesson.inboundStats()")


def pick(rows: list[dict], **match) -> dict | None:
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


async def wait_for(check, timeout: float = 20.0, interval: float = 0.25, what: str = "condition"):
    """Poll an async ``check`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


async def counter(page, field: str, **match) -> int:
    row = pick(await inbound(page), **match)
    return row[field] if row else 0
