"""Behind the proxy the real client's address reaches Django — believed only from TRUSTED_PROXIES — so the
login lock-out (per login and address) cannot lock anyone else out, and audit and consent records name the
real address. On a real daphne: the address is rewritten at the ASGI level, for pages and sockets alike."""

from __future__ import annotations

import ipaddress

import pytest

from server.client_address import parse_networks, real_client
from tests.support import setups
from tests.support.client import Session

PROXIES = parse_networks(["10.0.0.5", "172.30.0.0/24"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header proves nothing
        ("10.0.0.5", None, "10.0.0.5"),  # the proxy itself, no header
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # the client wrote 1.2.3.4: the proxy saw .1
        ("10.0.0.5", "198.51.100.1, 172.30.0.7", "198.51.100.1"),  # two trusted hops
        ("10.0.0.5", "198.51.100.1, garbage", "10.0.0.5"),  # unreadable hop: believe nothing further left
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_real_client_is_read_only_from_trusted_proxies(peer, forwarded_for, client):
    assert real_client(peer, forwarded_for, PROXIES) == client


def test_the_trusted_proxies_setting_refuses_what_is_not_an_address():
    assert parse_networks(["127.0.0.1"]) == [ipaddress.ip_network("127.0.0.1/32")]
    with pytest.raises(ValueError, match="TRUSTED_PROXIES: 'proxy' is not an IP address or network"):
        parse_networks(["proxy"])


def post_login(session: Session, username: str, password: str, address: str) -> tuple[int, str]:
    session.get("/accounts/login/")
    body = f"username={username}&password={password}&csrfmiddlewaretoken={session.cookies['csrftoken']}"
    status, _, reply = session.request(
        "POST",
        "/accounts/login/",
        body.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": address},
    )
    return status, reply.decode()


@pytest.fixture
def behind_proxy(daphne_factory):
    """daphne as in docker-compose: the test client plays nginx (127.0.0.1 is the trusted proxy)."""
    return daphne_factory(extra_env={"TRUSTED_PROXIES": "127.0.0.1"})


def test_failures_from_one_address_do_not_lock_the_login_out_for_others(behind_proxy, live_env):
    earlier = len(live_env.call(setups.audit_trail, username="parent2"))  # other tests' logins in this live school
    attacker = Session(behind_proxy.url)
    for _ in range(4):
        assert post_login(attacker, "parent2", "wrong", "203.0.113.66")[0] == 200
    status, page = post_login(attacker, "parent2", "wrong", "203.0.113.66")
    assert status == 429
    assert "Попробуйте снова через 15 мин. после последней попытки" in page
    assert post_login(attacker, "parent2", "parent2-demo", "203.0.113.66")[0] == 429  # locked: login + address

    owner = Session(behind_proxy.url)
    assert post_login(owner, "parent2", "parent2-demo", "198.51.100.20")[0] == 302
    audit = live_env.call(setups.audit_trail, username="parent2")[earlier:]
    events = [f"{kind} {address}" for kind, address in audit if kind.startswith("auth.")]
    assert events[-1] == "auth.login 198.51.100.20"
    assert {event.split()[1] for event in events[:-1]} == {"203.0.113.66"}
    assert events.count("auth.login_failed 203.0.113.66") == 6
    assert "auth.locked_out 203.0.113.66" in events


def test_consent_records_the_real_address_and_a_direct_client_cannot_pretend(behind_proxy, daphne_server, live_env):
    for server, claimed, recorded in (
        (behind_proxy, "198.51.100.30", "198.51.100.30"),
        (daphne_server, "198.51.100.31", "127.0.0.1"),  # no trusted proxy: the header is ignored
    ):
        session = Session(server.url)
        live_env.call(setups.set_birth_date, username="student3", born="2000-01-01")  # an adult consents himself
        assert post_login(session, "student3", "student3-demo", claimed)[0] == 302
        status, _, _ = session.request(
            "POST",
            "/proctor/consent/",
            b"",
            {"X-CSRFToken": session.cookies["csrftoken"], "X-Forwarded-For": claimed, "Accept": "application/json"},
        )
        assert status == 200
        ip = live_env.call(setups.take_consent_address, username="student3")
        assert ip == recorded
