"""Run one function inside a live environment: ``python -m tests.support.live_call <module>:<function> '<kwargs>'``.

``LiveEnvironment.call`` starts this with the environment's variables, so the function reads and writes the very
database the live daphne serves. Django is set up first; the function gets the JSON keyword arguments and its
return value comes back as JSON on the line starting with ``RESULT``.
"""

from __future__ import annotations

import importlib
import json
import sys

import django

RESULT = "LIVE-CALL-RESULT "


def main(target: str, arguments: str) -> None:
    django.setup()
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    print(RESULT + json.dumps(function(**json.loads(arguments))))


if __name__ == "__main__":
    main(*sys.argv[1:])
