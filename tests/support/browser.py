"""Debian Chromium driven by Playwright, with a fake webcam playing a .y4m file; logging a page in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .client import demo_password

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

BASE_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def launch_args(fake_video: Path | None = None) -> list[str]:
    args = list(BASE_ARGS)
    if fake_video is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_video}")
    return args


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make setup-test` (apt package chromium)")
    return CHROMIUM


async def login(page: Page, base_url: str, username: str) -> None:
    """Log ``page`` in as a demo user through the login form and wait for the home page.

    The fields are found by id, so this works whichever UI language the page is in.
    """
    await page.goto(base_url + "/accounts/login/")
    await page.fill("#id_username", username)
    await page.fill("#id_password", demo_password(username))
    await page.click("button[type=submit]")
    await page.wait_for_url(base_url + "/")
