"""Run Janus as a child process with a generated config, and stop it cleanly.

Used by ``python -m server.run`` (``make run``), by the test fixtures and by the benchmark,
so the three start Janus the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .config import JanusConfig, write_config

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to SIGTERM Janus if the process that started it dies (even by SIGKILL)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def janus_binary() -> str:
    binary = shutil.which("janus")
    if binary is None:
        raise RuntimeError("janus is not installed: run `make setup` (Debian package janus)")
    return binary


@dataclass
class JanusProcess:
    config: JanusConfig
    folder: Path
    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(cls, config: JanusConfig, folder: Path, timeout: float = 15.0) -> JanusProcess:
        main_config = write_config(config, folder)
        log_path = folder / "janus.log"
        log = log_path.open("a")
        process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments we generated
            [janus_binary(), "-C", str(main_config), "-F", str(folder), "-o"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        running = cls(config, folder, process, log_path)
        running.wait_ready(timeout)
        return running

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.config.http_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"janus did not listen on {self.config.http_port} within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
