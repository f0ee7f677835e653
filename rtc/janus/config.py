"""Generate a Janus configuration folder with fresh secrets (never committed: it lives under VAR_DIR).

``JanusConfig`` is what our server needs to talk to one Janus instance (API URL, secrets);
``write_config`` turns it into the ``*.jcfg`` files Janus reads with ``janus -C DIR/janus.jcfg -F DIR``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

LIB_DIR = Path(os.environ.get("JANUS_LIB_DIR", "/usr/lib/x86_64-linux-gnu/janus"))
KEEP_PLUGINS = {"libjanus_videoroom.so"}
KEEP_TRANSPORTS = {"libjanus_http.so"}


@dataclass(frozen=True)
class JanusConfig:
    """Everything needed to start one Janus and to call its API."""

    http_port: int
    api_secret: str
    admin_secret: str
    admin_key: str
    rtp_port_range: str = "20000-40000"
    ice_enforce_list: str = ""  # interfaces/addresses ICE may use ("v0" in the test namespace)
    nat_1_1_mapping: str = ""  # public address when Janus runs behind 1:1 NAT
    stun_server: str = ""  # host:port; lets Janus learn its public address itself
    event_backend: str = ""  # URL our server receives Janus's WebRTC events on (Basic auth: janus / api_secret)
    debug_level: int = 3
    api_ip: str = "127.0.0.1"  # only a deployment's private network address, never a public one
    event_loops: int = field(default_factory=lambda: os.cpu_count() or 2)  # shared media threads, not 1 per handle

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/janus"

    def as_env(self) -> dict[str, str]:
        """The environment variables that point daphne's settings at this instance."""
        return {"JANUS_URLS": self.api_url, "JANUS_API_SECRET": self.api_secret, "JANUS_ADMIN_KEY": self.admin_key}


def new_config(http_port: int, **options: object) -> JanusConfig:
    return JanusConfig(
        http_port=http_port,
        api_secret=secrets.token_urlsafe(24),
        admin_secret=secrets.token_urlsafe(24),
        admin_key=secrets.token_urlsafe(24),
        **options,  # type: ignore[arg-type]
    )


def load_or_create(folder: Path, http_port: int, **options: object) -> JanusConfig:
    """Secrets persist in ``folder/secrets.json`` (mode 600); other options come from the caller."""
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / "secrets.json"
    if stored.exists():
        saved = json.loads(stored.read_text())
        return JanusConfig(
            http_port=http_port,
            api_secret=saved["api_secret"],
            admin_secret=saved["admin_secret"],
            admin_key=saved["admin_key"],
            **options,  # type: ignore[arg-type]
        )
    config = new_config(http_port, **options)
    stored.touch(mode=0o600)
    secret_fields = ("api_secret", "admin_secret", "admin_key")
    stored.write_text(json.dumps({k: v for k, v in asdict(config).items() if k in secret_fields}))
    return config


def _quote(value: str) -> str:
    return json.dumps(value)  # libconfig strings accept JSON-style escaping of quotes and backslashes


def _disabled(kind: str, keep: set[str]) -> str:
    folder = LIB_DIR / kind
    names = sorted(p.name for p in folder.glob("libjanus_*.so")) if folder.is_dir() else []
    return ",".join(name for name in names if name not in keep)


def write_config(config: JanusConfig, folder: Path) -> Path:
    """Write janus.jcfg and the jcfg files of the plugin, transport and event handler we use."""
    folder.mkdir(parents=True, exist_ok=True)
    nat = ["ignore_mdns = true", "nice_debug = false"]
    if config.ice_enforce_list:
        nat.append(f"ice_enforce_list = {_quote(config.ice_enforce_list)}")
    if config.nat_1_1_mapping:
        nat.append(f"nat_1_1_mapping = {_quote(config.nat_1_1_mapping)}")
    if config.stun_server:
        host, _, port = config.stun_server.rpartition(":")
        nat += [f"stun_server = {_quote(host)}", f"stun_port = {int(port or 3478)}"]
    nat_lines = "\n  ".join(nat)
    events = "broadcast = true" if config.event_backend else "broadcast = false"
    main = f"""general: {{
  configs_folder = {_quote(str(folder))}
  plugins_folder = {_quote(str(LIB_DIR / "plugins"))}
  transports_folder = {_quote(str(LIB_DIR / "transports"))}
  events_folder = {_quote(str(LIB_DIR / "events"))}
  loggers_folder = {_quote(str(LIB_DIR / "loggers"))}
  debug_level = {config.debug_level}
  api_secret = {_quote(config.api_secret)}
  admin_secret = {_quote(config.admin_secret)}
  session_timeout = 60
  event_loops = {config.event_loops}
  server_name = "classroom-live"
}}
media: {{
  rtp_port_range = {_quote(config.rtp_port_range)}
}}
nat: {{
  {nat_lines}
}}
plugins: {{
  disable = {_quote(_disabled("plugins", KEEP_PLUGINS))}
}}
transports: {{
  disable = {_quote(_disabled("transports", KEEP_TRANSPORTS))}
}}
loggers: {{
  disable = {_quote(_disabled("loggers", set()))}
}}
events: {{
  {events}
  disable = {_quote(_disabled("events", {"libjanus_sampleevh.so"} if config.event_backend else set()))}
}}
"""
    (folder / "janus.jcfg").write_text(main)
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
  json = "plain"
  base_path = "/janus"
  http = true
  port = {config.http_port}
  ip = {_quote(config.api_ip)}
  https = false
}}
admin: {{
  admin_http = false
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        f"""general: {{
  admin_key = {_quote(config.admin_key)}
  lock_rtp_forward = true
}}
"""
    )
    if config.event_backend:
        (folder / "janus.eventhandler.sampleevh.jcfg").write_text(
            f"""general: {{
  enabled = true
  events = "webrtc"
  grouping = true
  json = "plain"
  backend = {_quote(config.event_backend)}
  backend_user = "janus"
  backend_pwd = {_quote(config.api_secret)}
  max_retransmissions = 5
  retransmissions_backoff = 100
}}
"""
        )
    for path in folder.glob("*.jcfg"):
        path.chmod(0o600)
    return folder / "janus.jcfg"


def main(argv: list[str] | None = None) -> None:
    """``python -m rtc.janus.config DIR``: write a config for a separately run Janus from the environment.

    Needs JANUS_API_SECRET and JANUS_ADMIN_KEY (the same values daphne gets); optional JANUS_HTTP_PORT
    (8088), JANUS_API_IP (127.0.0.1), JANUS_ICE_ENFORCE_LIST, JANUS_NAT_1_1_MAPPING, JANUS_STUN_SERVER,
    JANUS_RTP_PORT_RANGE, JANUS_EVENT_BACKEND (e.g. http://10.0.0.2:8000/lessons/janus/events/).
    Then run ``janus -C DIR/janus.jcfg -F DIR -o``.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    missing = [name for name in ("JANUS_API_SECRET", "JANUS_ADMIN_KEY") if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (the same values the daphne processes get)")
    optional = {
        "ice_enforce_list": "JANUS_ICE_ENFORCE_LIST",
        "nat_1_1_mapping": "JANUS_NAT_1_1_MAPPING",
        "stun_server": "JANUS_STUN_SERVER",
        "rtp_port_range": "JANUS_RTP_PORT_RANGE",
        "api_ip": "JANUS_API_IP",
        "event_backend": "JANUS_EVENT_BACKEND",
    }
    config = JanusConfig(
        http_port=int(os.environ.get("JANUS_HTTP_PORT", "8088")),
        api_secret=os.environ["JANUS_API_SECRET"],
        admin_secret=os.environ.get("JANUS_ADMIN_SECRET") or secrets.token_urlsafe(24),
        admin_key=os.environ["JANUS_ADMIN_KEY"],
        **{field: os.environ[var] for field, var in optional.items() if os.environ.get(var)},  # type: ignore[arg-type]  # str fields only
    )
    print(write_config(config, args.folder))


if __name__ == "__main__":
    main()
