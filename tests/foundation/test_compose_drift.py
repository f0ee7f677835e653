"""docker-compose.yml cannot run here (no Docker engine), so this keeps it from drifting: every command its
services run exists with those arguments, every environment variable it sets is read by the code, and
`make cluster` (deploy/cluster/services.py) runs the same services with the same variables."""

from __future__ import annotations

import ast
import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management import get_commands, load_command_class

from deploy.cluster.network import Network
from deploy.cluster.nginx import edge_conf
from deploy.cluster.secrets import ClusterSecrets
from deploy.cluster.services import HOSTS, Layout
from tests.support.paths import REPO_ROOT

PRODUCT_PACKAGES = ("server", "chat", "proctor", "lessons", "rtc", "web", "models")
OUR_IMAGES = {"build"}  # services built from this repository; the others run stock images (postgres, redis, nginx)
TLS_ONLY = {"BEHIND_TLS_PROXY", "CSRF_TRUSTED_ORIGINS"}  # compose terminates TLS in nginx; the cluster serves HTTP
# compose service → the cluster's services in the same role ("setup" is the cluster's one-off migrate and seed)
SAME_ROLE = {
    "db": ["postgres"],
    "redis": ["redis"],
    "migrate": ["setup"],
    "web1": ["daphne-web1"],
    "web2": ["daphne-web2"],
    "media0": ["media-web1"],
    "media1": ["media-web2"],
    "janus": ["janus-sfu1", "janus-sfu2"],
    "proxy": ["nginx"],
}
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}")
READ_BY_THE_RUNTIME = {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED"}  # Django and Python read these themselves
CLUSTER_ONLY = {"coturn"}  # compose expects the school's TURN server outside (LESSONS_TURN_* in .env)


# ----- a reader for the block-style YAML subset docker-compose.yml is written in (no YAML library here) -----
def _scalar(text: str) -> Any:
    text = text.split("  #", 1)[0].strip()
    if text.startswith("["):
        return json.loads(text) if text.startswith('["') else text  # command lists are JSON-style
    return text.strip('"')


def _block(lines: list[tuple[int, str]], start: int, indent: int) -> tuple[Any, int]:
    """The mapping or list whose lines are indented by ``indent``, from ``start``; and where it ends."""
    mapping: dict[str, Any] = {}
    items: list[Any] = []
    index = start
    while index < len(lines) and lines[index][0] == indent:
        text = lines[index][1]
        if text.startswith("- "):
            items.append(_scalar(text[2:]))
            index += 1
            continue
        key, _, value = text.partition(":")
        value = value.split("  #", 1)[0].strip()
        if value and not value.startswith("&"):
            mapping[key] = _scalar(value)
            index += 1
        elif index + 1 < len(lines) and lines[index + 1][0] > indent:
            mapping[key], index = _block(lines, index + 1, lines[index + 1][0])
            if value.startswith("&"):
                ANCHORS[value[1:]] = mapping[key]
        else:
            mapping[key] = None
            index += 1
    return (items if items and not mapping else mapping), index


ANCHORS: dict[str, Any] = {}


def _merged(service: dict[str, Any]) -> dict[str, Any]:
    """YAML's ``<<: *anchor`` (a shallow merge; the service's own keys win)."""
    if "<<" not in service:
        return service
    base = _merged(ANCHORS[service["<<"].lstrip("*")])
    return {**base, **{k: v for k, v in service.items() if k != "<<"}}


def compose_services() -> dict[str, dict[str, Any]]:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    lines = [
        (len(line) - len(line.lstrip()), line.strip())
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    document, _ = _block(lines, 0, 0)
    return {name: _merged(service) for name, service in document["services"].items()}


# ----- what the code reads ----------------------------------------------------------------------------------
def variables_read_by_the_code() -> set[str]:
    """Upper-case names written in modules that read the environment (settings, rtc.janus.config, ...)."""
    names: set[str] = set()
    for package in PRODUCT_PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            source = path.read_text()
            if "environ" not in source:
                continue
            constants = (node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant))
            names |= {value for value in constants if isinstance(value, str) and ENV_NAME.fullmatch(value)}
    return names


def cluster_layout() -> Layout:
    """The services of `make cluster` as data (nothing is written or started)."""
    network = Network("cl", ipaddress.IPv4Network("10.88.0.0/24"), HOSTS)
    return Layout(network, ClusterSecrets.new(), Path("/nowhere"))


def ours(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services.items() if OUR_IMAGES & service.keys()}


def dockerfile_command(path: Path) -> list[str]:
    return json.loads(re.search(r"^CMD (\[.*\])$", path.read_text(), re.M).group(1))


def test_every_management_command_of_the_compose_file_exists_with_its_arguments():
    commands = get_commands()
    checked = []
    for name, service in ours(compose_services()).items():
        command = service.get("command")
        if not command:
            continue
        assert command[:2] == ["python", "manage.py"], (name, command)
        assert command[2] in commands, f"{name}: no management command {command[2]!r}"
        load_command_class(commands[command[2]], command[2]).create_parser("manage.py", command[2]).parse_args(
            command[3:]
        )
        checked.append(name)
    assert sorted(checked) == ["media0", "media1", "migrate"]


def test_the_images_commands_exist():
    web = dockerfile_command(REPO_ROOT / "Dockerfile")
    assert web[0] == "daphne"
    module, _, attribute = web[-1].partition(":")
    tree = ast.parse((REPO_ROOT / (module.replace(".", "/") + ".py")).read_text())
    assigned = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for target in node.targets}
    assert attribute in assigned
    janus = " ".join(dockerfile_command(REPO_ROOT / "deploy" / "janus" / "Dockerfile"))
    assert "python -m rtc.janus.config" in janus
    assert "def main(" in (REPO_ROOT / "rtc" / "janus" / "config.py").read_text()


def test_every_variable_the_compose_file_sets_is_read_by_the_code():
    read = variables_read_by_the_code()
    for name, service in ours(compose_services()).items():
        unread = set(service.get("environment") or {}) - read
        assert not unread, f"{name} sets variables no code reads: {sorted(unread)}"


def test_the_cluster_runs_the_compose_services_with_the_same_variables():
    layout = cluster_layout()
    services = compose_services()
    cluster_services = {service.name for service in layout.services()} | {"setup"}
    assert set(SAME_ROLE) == set(services)
    assert {name for names in SAME_ROLE.values() for name in names} == cluster_services - CLUSTER_ONLY

    app_env = layout.app_env()
    set_by_the_cluster = set(app_env) - set(layout.base_env()) - READ_BY_THE_RUNTIME
    assert set_by_the_cluster - variables_read_by_the_code() == set()
    assert set(services["web1"]["environment"]) - TLS_ONLY <= set(app_env)
    media = {service.name: service for service in layout.services()}["media-web1"]
    assert set(services["media0"]["environment"]) <= set(media.env)
    # the media workers' command lines are compose's, after the interpreter; each deployment names its
    # workers after its own hosts, and every name is unique within it
    argv = {service.name: service.argv for service in layout.services()}
    pairs = (("media0", "media-web1"), ("media1", "media-web2"))
    for compose_name, cluster_name in pairs:
        compose_command = [sys.executable, *services[compose_name]["command"][1:]]
        assert _without_worker_name(compose_command) == _without_worker_name(argv[cluster_name])
    assert len({_worker_name(services[name]["command"]) for name, _ in pairs}) == len(pairs)
    assert len({_worker_name(argv[name]) for _, name in pairs}) == len(pairs)


def _worker_name(command: list[str]) -> str:
    return command[command.index("--name") + 1]


def _without_worker_name(command: list[str]) -> list[str]:
    at = command.index("--name")
    return command[:at] + command[at + 2 :]


def test_the_edge_config_is_the_production_site_over_plain_http(tmp_path):
    """deploy/cluster/nginx.py takes deploy/nginx.conf's TLS site as it is: the same locations, limits and
    proxy headers (the forwarded scheme is the request's), minus the certificate; nginx accepts the result."""
    production = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    conf = tmp_path / "nginx.conf"
    conf.write_text(edge_conf("127.0.0.1:8080", ["10.88.0.11:8000", "10.88.0.12:8000"], tmp_path))
    generated = conf.read_text()

    def directives(text: str, name: str) -> list[str]:
        return [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith(name)]

    names = ("location", "client_max_body_size", "proxy_pass", "proxy_http_version", "proxy_read_timeout")
    for name in (*names, "proxy_connect_timeout"):
        assert directives(generated, name) == directives(production, name), name
    expected_headers = [h.replace("Proto https", "Proto $scheme") for h in directives(production, "proxy_set_header")]
    assert directives(generated, "proxy_set_header") == expected_headers
    assert directives(generated, "ssl_") == []
    never_failed = "max_fails=0"  # as in production: a WebSocket would keep a host marked failed (deploy/nginx.conf)
    servers = f"server 10.88.0.11:8000 {never_failed}; server 10.88.0.12:8000 {never_failed};"
    assert f"upstream classroom {{ {servers} }}" in generated
    assert "proxy_connect_timeout 3s;" in generated
    checked = subprocess.run(
        ["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
