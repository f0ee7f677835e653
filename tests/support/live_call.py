"""Run functions inside a live environment, each in a fresh process of it.

``LiveEnvironment.call`` sends ``<module>:<function>`` and JSON keyword arguments to a server of the environment
(``python -m tests.support.live_call``, started with the environment's variables), so the function reads and writes
the very database the live daphne serves. The server sets Django up once and forks a child per call: the child
starts from the state right after set-up (no connection, cache or module state left by an earlier call), as a new
``python`` would, without paying Python's and Django's start-up each time. The child's return value comes back as
JSON on its output's line starting with ``RESULT``; its output and exit status go back to the caller.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import traceback

import django

RESULT = "LIVE-CALL-RESULT "


def run(target: str, arguments: str) -> None:
    """Call ``<module>:<function>`` with the JSON keyword arguments; print its JSON result after ``RESULT``."""
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    print(RESULT + json.dumps(function(**json.loads(arguments))))


def in_child(target: str, arguments: str, stdout: int, stderr: int) -> None:
    """The forked child: ``run`` with its standard output and error going to those files; never returns."""
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    code = 0
    try:
        run(target, arguments)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        from django.db import connections

        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def fork_call(request: dict[str, str]) -> dict[str, object]:
    """Run one request in a forked child: its exit status and what it printed."""
    sys.stdout.flush()  # else the child would print what is buffered here once more
    sys.stderr.flush()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        pid = os.fork()
        if pid == 0:
            in_child(request["target"], request["arguments"], stdout.fileno(), stderr.fileno())
        _, status = os.waitpid(pid, 0)
        printed = {}
        for name, file in (("stdout", stdout), ("stderr", stderr)):
            file.seek(0)
            printed[name] = file.read().decode(errors="replace")
        return {"returncode": os.waitstatus_to_exitcode(status), **printed}


def serve() -> None:
    """Answer each JSON request line of standard input with a JSON line, until the input ends.

    The replies have the standard output to themselves: whatever else writes to it goes to standard error.
    """
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    django.setup()
    for line in sys.stdin:
        print(json.dumps(fork_call(json.loads(line))), file=replies, flush=True)


if __name__ == "__main__":
    serve()
