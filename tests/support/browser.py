"""Debian Chromium driven by Playwright, with a fake webcam playing a .y4m file."""

from __future__ import annotations

import os
from pathlib import Path

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
