"""Start Janus beside daphne for `make run` (embedded layout) and stop it when daphne stops.

A deployment that runs its own Janus instances sets ``JANUS_URLS`` (and the secrets); then nothing
is started here. Otherwise Janus gets a config under ``VAR_DIR/janus`` with secrets generated once
(``secrets.json``, mode 600), its HTTP API on a free loopback port, and these optional variables:
``JANUS_ICE_ENFORCE_LIST``, ``JANUS_NAT_1_1_MAPPING``, ``JANUS_STUN_SERVER``, ``JANUS_RTP_PORT_RANGE``.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from .config import load_or_create
from .process import JanusProcess

log = logging.getLogger(__name__)


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def options_from_env() -> dict[str, str]:
    names = {
        "ice_enforce_list": "JANUS_ICE_ENFORCE_LIST",
        "nat_1_1_mapping": "JANUS_NAT_1_1_MAPPING",
        "stun_server": "JANUS_STUN_SERVER",
        "rtp_port_range": "JANUS_RTP_PORT_RANGE",
    }
    return {field: os.environ[var] for field, var in names.items() if os.environ.get(var)}  # API stays on loopback


def start_embedded(var_dir: Path, event_backend: str = "") -> JanusProcess | None:
    """Start Janus and export JANUS_* for the settings, unless JANUS_URLS points elsewhere already.

    ``event_backend``: the URL of our event receiver (``/lessons/janus/events/`` on this daphne).
    """
    if os.environ.get("JANUS_URLS"):
        return None
    config = load_or_create(var_dir / "janus", free_loopback_port(), event_backend=event_backend, **options_from_env())
    janus = JanusProcess.start(config, var_dir / "janus")
    os.environ.update(config.as_env())
    print(f"Janus (lessons SFU) pid {janus.process.pid}, API {config.api_url}, log {janus.log_path}")
    return janus
