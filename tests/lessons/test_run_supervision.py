"""`python -m server.run` (what `make run` execs) starts Janus beside daphne with a generated config and
stops it with daphne."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.paths import REPO_ROOT
from tests.support.servers import free_port, wait_for_port


def janus_pids_for(folder: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"janus") and folder.encode() in b" ".join(cmdline):
                found.append(int(entry))
    return found


def test_server_run_starts_and_stops_janus(live_env, tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "db.sqlite3").write_bytes((live_env.var_dir / "db.sqlite3").read_bytes())
    port = free_port()
    env = {k: v for k, v in live_env.env.items() if not k.startswith("JANUS_")}
    env.update(VAR_DIR=str(var_dir), DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}")
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.run", "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=log, stderr=log
    )
    try:
        wait_for_port(port, process, what="server.run")
        janus_dir = var_dir / "janus"
        assert janus_pids_for(str(janus_dir)), (tmp_path / "run.log").read_text()
        secrets = json.loads((janus_dir / "secrets.json").read_text())
        assert (janus_dir / "secrets.json").stat().st_mode & 0o077 == 0  # only the owner reads the secrets
        http = (janus_dir / "janus.transport.http.jcfg").read_text()
        assert 'ip = "127.0.0.1"' in http  # the API is on loopback only
        api_port = int(http.split("port = ")[1].split()[0])
        request = json.dumps({"janus": "create", "transaction": "t", "apisecret": secrets["api_secret"]}).encode()
        answer = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/janus", request, timeout=5).read())
        assert answer["janus"] == "success"
        refused = json.dumps({"janus": "create", "transaction": "t"}).encode()
        answer = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/janus", refused, timeout=5).read())
        assert answer["janus"] == "error"  # without the generated secret Janus refuses
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    deadline = time.monotonic() + 10
    while janus_pids_for(str(var_dir / "janus")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert janus_pids_for(str(var_dir / "janus")) == []
