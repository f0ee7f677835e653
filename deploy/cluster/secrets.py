"""The cluster's secrets, made once and kept in ``<root>/secrets.json`` (mode 600, never committed).

Kept, not remade per start: the database files hold the PostgreSQL password, sessions are signed
with the secret key, and the demo logins' password must still work after a restart.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path


def _token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class ClusterSecrets:
    secret_key: str
    postgres_password: str
    redis_password: str
    janus_api_secret: str
    janus_admin_secret: str
    janus_admin_key: str
    turn_secret: str
    demo_password: str  # every demo login's password on the cluster (their published one is refused there)

    @classmethod
    def new(cls) -> ClusterSecrets:
        return cls(
            secret_key=secrets.token_urlsafe(50),
            demo_password=f"cluster-{secrets.token_hex(4)}",
            **{f.name: _token() for f in fields(cls) if f.name not in {"secret_key", "demo_password"}},
        )

    @classmethod
    def load_or_create(cls, path: Path) -> ClusterSecrets:
        if path.exists():
            return cls(**json.loads(path.read_text()))
        made = cls.new()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(made), indent=1))
        return made
