"""Every service of the cluster in one place: which host runs it, its command line, environment and port.

The application's services (daphne, media workers, the one-off migrate/seed) get the environment
docker-compose.yml's ``x-app`` gives its containers, with the cluster's addresses; the compose drift
test (tests/reliability/test_compose_drift.py) checks both name only variables the settings read.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rtc.janus.config import JanusConfig, write_config

from .network import HOST_INTERFACE, Network
from .nginx import edge_conf
from .secrets import ClusterSecrets

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "postgres"  # the Debian package's system user: PostgreSQL refuses to run as root

HOSTS = {"db": 2, "edge": 10, "web1": 11, "web2": 12, "sfu1": 21, "sfu2": 22}  # address offsets in the subnet
WEB_HOSTS = ("web1", "web2")
SFU_HOSTS = ("sfu1", "sfu2")
TURN_HOST = "sfu1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
DAPHNE_PORT = 8000
JANUS_PORT = 8088
TURN_PORT = 3478
EDGE_PORT = 80  # nginx passes Host without a port, so Django's Origin check needs the default one
DATABASE = "classroom"
UNPRIVILEGED_FOLDERS = ("pg", "nginx-temp")  # see Layout.unprivileged
# from the caller's environment (MEMORY_TRACE_*: server/memory_trace.py, for soaks)
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "MODELS_CACHE_DIR", "MEMORY_TRACE_DIR", "MEMORY_TRACE_FRAMES",
                  "MEMORY_TRACE_SECONDS")  # fmt: skip


STORES, APPS, EDGE = 0, 1, 2  # the start order: what the application needs, the application, the way in


@dataclass(frozen=True)
class Service:
    """One long-running process on one host; ready when ``port`` accepts on the host's address."""

    name: str
    host: str
    argv: list[str]
    port: int | None = None  # None: ready once started (it listens nowhere, e.g. a media worker)
    env: dict[str, str] = field(default_factory=dict)
    user: str = ""  # run as this system user instead of root
    stop_signal: signal.Signals = signal.SIGTERM
    prepare: Callable[[], object] | None = field(default=None, compare=False)  # writes its config files
    tier: int = 0  # started tier by tier (STORES, then migrate and seed, then APPS, then EDGE)


def write_private(path: Path, text: str) -> None:
    """A config file that holds a secret: readable by root only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)


@dataclass(frozen=True)
class Layout:
    """Addresses, URLs and configuration files of one cluster (``root``: its folder, e.g. var/cluster)."""

    network: Network
    secrets: ClusterSecrets
    root: Path
    durable: bool = True  # False: PostgreSQL without fsync (test runs: much faster migrations)

    def address(self, host: str) -> str:
        return self.network.address(host)

    @property
    def url(self) -> str:
        """What users open: nginx on the edge."""
        return f"http://{self.address('edge')}/"

    def web_url(self, host: str) -> str:
        """One daphne directly, bypassing nginx (its own address is in ALLOWED_HOSTS: server.run adds it)."""
        return f"http://{self.address(host)}:{DAPHNE_PORT}/"

    def janus_url(self, host: str) -> str:
        return f"http://{self.address(host)}:{JANUS_PORT}/janus"

    @property
    def database_url(self) -> str:
        password = self.secrets.postgres_password
        return f"postgres://{DATABASE}:{password}@{self.address('db')}:{POSTGRES_PORT}/{DATABASE}"

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.secrets.redis_password}@{self.address('db')}:{REDIS_PORT}/0"

    @property
    def pg_data(self) -> Path:
        return self.unprivileged("pg")

    def unprivileged(self, name: str) -> Path:
        """``<root>/<name>``, a folder used by a service that runs as another user than root (PostgreSQL, nginx's
        workers), or where that links when such users cannot enter ``<root>`` (see the supervisor)."""
        return (self.root / name).resolve()

    def base_env(self) -> dict[str, str]:
        return {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}

    def app_env(self) -> dict[str, str]:
        """The application's environment on every web host (compose: ``x-app``'s ``environment``)."""
        edge = self.address("edge")
        return {
            **self.base_env(),
            "DJANGO_SETTINGS_MODULE": "server.settings",
            "PYTHONUNBUFFERED": "1",
            "VAR_DIR": str(self.root / "var"),
            "MEDIA_ROOT": str(self.root / "media"),  # shared by the web hosts, like compose's media volume
            "MODELS_CACHE_DIR": os.environ.get("MODELS_CACHE_DIR", str(REPO_ROOT / "var" / "models")),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secrets.secret_key,
            "ALLOWED_HOSTS": edge,
            "TRUSTED_PROXIES": edge,
            "COOKIE_SECURE": "0",  # plain HTTP on the private bridge; compose terminates TLS in nginx instead
            "JANUS_URLS": ",".join(self.janus_url(host) for host in SFU_HOSTS),
            "JANUS_API_SECRET": self.secrets.janus_api_secret,
            "JANUS_ADMIN_KEY": self.secrets.janus_admin_key,
            "LESSONS_TURN_URLS": f"turn:{self.address(TURN_HOST)}:{TURN_PORT}?transport=udp",
            "LESSONS_TURN_SECRET": self.secrets.turn_secret,
            "DB_CONN_MAX_AGE": "60",
        }

    def services(self) -> list[Service]:
        """All long-running services, in start order (stopped in reverse)."""
        return [
            self.postgres(),
            self.redis(),
            *(self.janus(host) for host in SFU_HOSTS),
            self.coturn(),
            *(self.daphne(host) for host in WEB_HOSTS),
            *(self.media_worker(host) for host in WEB_HOSTS),
            self.nginx(),
        ]

    def postgres(self) -> Service:
        settings = {"listen_addresses": self.address("db"), "port": POSTGRES_PORT, "unix_socket_directories": ""}
        if not self.durable:
            settings |= {"fsync": "off", "full_page_writes": "off"}  # a crashed *process* still loses nothing
        options = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
        return Service(
            "postgres",
            "db",
            [str(PG_BIN / "postgres"), "-D", str(self.pg_data), *options],
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM waits for every client to leave
        )

    def redis(self) -> Service:
        folder = self.root / "redis"
        conf = folder / "redis.conf"
        text = (
            f'bind {self.address("db")}\nport {REDIS_PORT}\nrequirepass "{self.secrets.redis_password}"\n'
            f'save ""\nappendonly no\ndir {folder}\ndaemonize no\n'
        )
        return Service(
            "redis", "db", ["redis-server", str(conf)], port=REDIS_PORT, prepare=partial(write_private, conf, text)
        )

    def janus(self, host: str) -> Service:
        config = JanusConfig(
            http_port=JANUS_PORT,
            api_secret=self.secrets.janus_api_secret,
            admin_secret=self.secrets.janus_admin_secret,
            admin_key=self.secrets.janus_admin_key,
            ice_enforce_list=HOST_INTERFACE,
            api_ip=self.address(host),
            event_backend=f"{self.url}lessons/janus/events/",  # through nginx: any live daphne takes them
        )
        folder = self.root / f"janus-{host}"
        argv = ["janus", "-C", str(folder / "janus.jcfg"), "-F", str(folder), "-o"]
        return Service(f"janus-{host}", host, argv, port=JANUS_PORT, prepare=partial(write_config, config, folder))

    def coturn(self) -> Service:
        folder = self.root / "coturn"
        conf = folder / "turnserver.conf"
        address = self.address(TURN_HOST)
        text = (
            f"listening-ip={address}\nrelay-ip={address}\nlistening-port={TURN_PORT}\n"
            f"use-auth-secret\nstatic-auth-secret={self.secrets.turn_secret}\nrealm=classroom-live\n"
            f"no-cli\nno-tls\nno-dtls\nno-multicast-peers\nlog-file=stdout\nsimple-log\n"
            f"pidfile={folder / 'turnserver.pid'}\nuserdb={folder / 'turndb'}\n"
        )
        argv = ["turnserver", "-c", str(conf)]
        return Service("coturn", TURN_HOST, argv, port=TURN_PORT, prepare=partial(write_private, conf, text))

    def daphne(self, host: str) -> Service:
        argv = [sys.executable, "-m", "server.run", "--host", self.address(host), "--port", str(DAPHNE_PORT)]
        return Service(f"daphne-{host}", host, argv, port=DAPHNE_PORT, env=self.app_env(), tier=APPS)

    def media_worker(self, host: str) -> Service:
        argv = [sys.executable, "manage.py", "media_worker", "--name", host]
        env = {**self.app_env(), "PROCTOR_ANALYSIS_WORKERS": "1"}  # one core each, as in compose
        return Service(f"media-{host}", host, argv, env=env, tier=APPS)

    def nginx(self) -> Service:
        folder = self.root / "nginx"
        upstreams = [f"{self.address(host)}:{DAPHNE_PORT}" for host in WEB_HOSTS]
        conf = folder / "nginx.conf"
        text = edge_conf(f"{self.address('edge')}:{EDGE_PORT}", upstreams, folder, self.unprivileged("nginx-temp"))
        argv = ["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"]
        write = partial(write_private, conf, text)
        return Service("nginx", "edge", argv, port=EDGE_PORT, prepare=write, tier=EDGE)  # last: no 502 at start

    def one_off(self, *argv: str) -> Service:
        """A command of the application run once on web1 (migrate, seed), with its environment."""
        return Service("setup", WEB_HOSTS[0], [sys.executable, *argv], env=self.app_env())
