"""`make cluster`'s layout, started for real: nginx in front of two daphne on two hosts, PostgreSQL and
Redis on a third, Janus on two more — every hop over the bridge between network namespaces."""

from __future__ import annotations

import base64
import json
import re
import signal
import urllib.parse
import urllib.request

from tests.chat.helpers import ChatSocket, make_room
from tests.support import setups
from tests.support.client import Session
from tests.support.cluster import cluster_session, on_host
from tests.support.waiting import wait_for

LISTENING = re.compile(r"media worker \S+ listening on ")  # proctor.media.worker, when it serves
FORGED_ADDRESS = "203.0.113.7"  # what a client claims in X-Forwarded-For; only nginx's own entry is believed


def login_with_forged_address(base_url: str, username: str, password: str) -> Session:
    session = Session(base_url.rstrip("/"))
    session.get("/accounts/login/")
    fields = {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": FORGED_ADDRESS}
    status, _, _ = session.request("POST", "/accounts/login/", urllib.parse.urlencode(fields).encode(), headers)
    assert status == 302
    return session


async def test_chat_crosses_web_hosts_through_redis(cluster, cluster_env):
    room = make_room(cluster_env, "lesson", ["student", "student2"], ["teacher"])
    teacher = cluster_session(cluster, cluster.url, "teacher")
    student = cluster_session(cluster, cluster.url, "student")
    student2 = cluster_session(cluster, cluster.url, "student2")
    sender = await ChatSocket.open(cluster.web_url("web1"), "teacher", on_host(teacher, cluster.web_url("web1")))
    reader = await ChatSocket.open(cluster.web_url("web2"), "student", on_host(student, cluster.web_url("web2")))
    via_edge = await ChatSocket.open(cluster.url, "student2", student2)  # nginx upgrades the socket
    for socket in (sender, reader, via_edge):
        assert (await socket.subscribe(room))[0]["seq"] == 0

    ack = await sender.say(room, "Контрольная завтра")
    assert ack["seq"] == 1
    for socket in (reader, via_edge):
        assert [(m["seq"], m["text"]) for m in await socket.messages(1)] == [(1, "Контрольная завтра")]
    for socket in (sender, reader, via_edge):
        await socket.close()


def test_only_the_edge_is_believed_about_the_client_address(cluster, cluster_env):
    """Through nginx the audit log names this machine (the bridge), not nginx and not the forged address;
    straight to a daphne the forged header is ignored, since this machine is no trusted proxy."""
    login_with_forged_address(cluster.url, "curator", cluster.demo_password)
    login_with_forged_address(cluster.web_url("web2"), "curator2", cluster.demo_password)
    gateway = cluster.network.gateway
    assert cluster_env.call(setups.audit_trail, username="curator")[-1] == ["auth.login", gateway]
    assert cluster_env.call(setups.audit_trail, username="curator2")[-1] == ["auth.login", gateway]


def test_both_janus_instances_answer_and_their_events_reach_the_web_hosts(cluster):
    for host in ("sfu1", "sfu2"):
        with urllib.request.urlopen(cluster.janus_url(host) + "/info", timeout=10) as response:  # noqa: S310
            info = json.load(response)
        assert (info["janus"], info["name"]) == ("server_info", "Janus WebRTC Server")
    # Janus posts its events to the edge (janus.eventhandler.sampleevh.jcfg), with Basic auth janus:<api secret>
    events_url = cluster.url + "lessons/janus/events/"
    assert (
        f"backend = {json.dumps(events_url)}"
        in (cluster.root / "janus-sfu1" / "janus.eventhandler.sampleevh.jcfg").read_text()
    )
    secret = cluster.app_env()["JANUS_API_SECRET"]
    credentials = base64.b64encode(f"janus:{secret}".encode()).decode()
    edge = Session(cluster.url.rstrip("/"))
    status, _, _ = edge.request("POST", "/lessons/janus/events/", b"[]", {"Authorization": f"Basic {credentials}"})
    assert status == 204


async def test_a_killed_media_worker_is_restarted_with_a_new_pid(cluster):
    old = cluster.pid("media-web2")
    cluster.kill("media-web2", signal.SIGKILL)
    assert not cluster.running("media-web2")
    cluster.restart("media-web2")
    assert cluster.running("media-web2")
    assert cluster.pid("media-web2") != old
    assert (cluster.root / "media-web2.pid").read_text().strip() == str(cluster.pid("media-web2"))
    latest_run = lambda: cluster.log("media-web2").rsplit("==== ", 1)[-1]  # noqa: E731
    try:
        await wait_for(lambda: LISTENING.search(latest_run()), timeout=120, what="the new worker's start")
    except AssertionError as error:
        raise AssertionError(f"{error}; its log since the restart:\n{latest_run()[-3000:]}") from None


def test_a_partitioned_host_is_unreachable_until_it_reconnects(cluster):
    with cluster.cut_off("sfu2"):
        try:
            urllib.request.urlopen(cluster.janus_url("sfu2") + "/info", timeout=2)  # noqa: S310
            reachable = True
        except OSError:
            reachable = False
        assert not reachable
    with urllib.request.urlopen(cluster.janus_url("sfu2") + "/info", timeout=10) as response:  # noqa: S310
        assert json.load(response)["janus"] == "server_info"


async def test_the_site_works_right_after_postgresql_restarts(cluster, cluster_env):
    """Each daphne keeps its database connections (DB_CONN_MAX_AGE=60); after a restart of PostgreSQL they are
    dead, and without a health check before reuse (settings: conn_health_checks) every socket got HTTP 500."""
    room = make_room(cluster_env, "lesson", ["student"], ["teacher"])
    teacher = cluster_session(cluster, cluster.url, "teacher")
    for host in ("web1", "web2"):  # both daphne hold connections now
        socket = await ChatSocket.open(cluster.web_url(host), "teacher", on_host(teacher, cluster.web_url(host)))
        await socket.subscribe(room)
        await socket.close()
    cluster.restart("postgres")
    for host in ("web1", "web2"):
        socket = await ChatSocket.open(cluster.web_url(host), "teacher", on_host(teacher, cluster.web_url(host)))
        await socket.subscribe(room)
        assert (await socket.say(room, f"после перезапуска {host}"))["type"] == "ack"
        await socket.close()
