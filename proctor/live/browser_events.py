"""Browser signals the exam page sends, mapped onto the episode engine's kinds."""

from __future__ import annotations

# client event -> (episode kind, True: the state starts / False: it ends / None: a single event)
BROWSER_EVENTS: dict[str, tuple[str, bool | None]] = {
    "tab_hidden": ("tab_hidden", True),
    "tab_visible": ("tab_hidden", False),
    "window_blur": ("focus_lost", True),
    "window_focus": ("focus_lost", False),
    "fullscreen_exit": ("fullscreen_exit", True),
    "fullscreen_enter": ("fullscreen_exit", False),
    "devtools_open": ("devtools", True),
    "devtools_closed": ("devtools", False),
    "copy": ("copy_paste", None),
    "paste": ("copy_paste", None),
}
