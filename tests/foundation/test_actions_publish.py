"""A write publishes its own event: only the actions modules send the events of writes (issue 12, section 3).

Consumers, views, workers and signal handlers call ``proctor.actions``, ``chat.actions`` and ``lessons.actions``;
a module that sends one of these events itself could change state without it (as the exam page's time-out
once did). Read from the source, so a new hand-made broadcast fails here before it reaches review.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

PRODUCT_PACKAGES = ("chat", "lessons", "proctor", "rtc", "server", "web")


def _annotations(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside type annotations (a typed frame's ``Literal["session.updated"]`` sends nothing)."""
    roots = [
        node.annotation for node in ast.walk(tree) if isinstance(node, ast.AnnAssign | ast.arg) and node.annotation
    ]
    roots += [node.returns for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    return {id(inner) for root in roots if root is not None for inner in ast.walk(root)}


def _calls_and_strings(path: Path) -> tuple[set[str], set[str]]:
    """The names of the functions a module calls and its string constants (outside type annotations)."""
    calls, strings = set(), set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    annotations = _annotations(tree)
    for node in ast.walk(tree):
        if id(node) in annotations:
            continue
        if isinstance(node, ast.Call):
            func = node.func
            calls.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
    return calls, strings


def _modules() -> dict[str, tuple[set[str], set[str]]]:
    root = Path(settings.BASE_DIR)
    return {
        path.relative_to(root).as_posix(): _calls_and_strings(path)
        for package in PRODUCT_PACKAGES
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def test_only_the_actions_send_the_events_of_writes():
    modules = _modules()

    def calling(*names: str) -> set[str]:
        return {module for module, (calls, _) in modules.items() if calls & set(names)}

    def saying(*texts: str) -> set[str]:
        return {module for module, (_, strings) in modules.items() if strings & set(texts)}

    # Exam sessions and episodes: the dashboard's session and episode events, the student socket's controls.
    assert saying("session.updated", "episode.opened", "episode.closed") == {"proctor/actions.py"}
    senders = {"proctor/actions.py", "proctor/live/broadcast.py", "proctor/live/thumbnails.py"}  # thumbnails: no write
    assert calling("to_dashboard") == senders
    assert calling("episode") == {"proctor/actions.py"}
    # Chat: stored messages and their changes go out through the hub only from the actions, on commit.
    assert calling("publish_committed") == {"chat/actions.py"}
    assert calling("publish_message", "publish_update", "publish_encoded_event") == {"chat/hub.py"}
    # Lessons: everything the class hears about the run.
    assert {module for module in calling("group_send") if module.startswith("lessons/")} == {"lessons/actions.py"}
