"""A real Janus for lesson tests, started exactly as `make run` starts it (rtc.janus)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, replace
from pathlib import Path

from rtc.janus.config import JanusConfig, new_config
from rtc.janus.process import JanusProcess

from .servers import free_port


@dataclass
class JanusServer:
    config: JanusConfig
    folder: Path
    running: JanusProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        """extra_env for daphne_factory: points the settings at this Janus."""
        return self.config.as_env()

    @classmethod
    def start(cls, folder: Path) -> JanusServer:
        # Inside the private network namespace ICE may only use the veth (Janus cannot use lo).
        enforce = "v0" if os.environ.get("CLASSROOM_PRIVATE_NETWORK") else ""
        config = new_config(free_port(), ice_enforce_list=enforce, rtp_port_range="30000-39999")
        server = cls(config, folder)
        server.running = JanusProcess.start(config, folder)
        return server

    def sibling(self, folder: Path) -> JanusServer:
        """Another instance with the same secrets (as a scaled layout's instances share them), its own port."""
        config = replace(self.config, http_port=free_port(), rtp_port_range="40000-49999")
        return type(self)(config, folder, JanusProcess.start(config, folder))

    def kill(self) -> None:
        """kill -9: no goodbye to anybody (sessions' long-polls break, the health check's pings go unanswered)."""
        if self.running is not None:
            self.running.process.kill()
            self.running.process.wait()
            self.running = None

    def freeze(self, frozen: bool = True) -> None:
        """SIGSTOP / SIGCONT: a hung Janus or a vanished host — connections stay open, nothing answers."""
        if self.running is not None:
            self.running.process.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    def restart(self, event_backend: str | None = None) -> None:
        """Stop and start again on the same port and secrets: every session and room is gone.

        ``event_backend``: from now on POST WebRTC events to this URL (a daphne started after Janus).
        """
        self.stop()
        if event_backend is not None:
            self.config = replace(self.config, event_backend=event_backend)
        self.running = JanusProcess.start(self.config, self.folder)

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def log(self) -> str:
        return self.running.log_tail() if self.running else ""
