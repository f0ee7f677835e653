"""Hosts as network namespaces on one Linux bridge (``ip netns``, ``ip link``; needs root).

Each host gets a namespace ``<prefix>-<host>`` with loopback and ``eth0`` (a veth whose other end
``<prefix>-<host>`` is a port of the bridge ``<prefix>-br``). The bridge holds the subnet's first
address, so this machine reaches every host; the namespaces have no route out, so nothing leaves it.
Names are global (``/run/netns``), hence the prefix: ``make cluster`` and a test run never collide.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass

HOST_INTERFACE = "eth0"  # the host's side of its veth, where Janus gathers candidates (ice_enforce_list)
MAX_INTERFACE_NAME = 15  # Linux IFNAMSIZ - 1
PEER_SUFFIX = "-p"  # the veth end that moves into the namespace (renamed eth0 there)


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)  # noqa: S603, S607


@dataclass(frozen=True)
class Network:
    """The bridge and the hosts' namespaces of one cluster."""

    prefix: str
    subnet: ipaddress.IPv4Network
    hosts: dict[str, int]  # host name → its address's offset in the subnet

    def __post_init__(self) -> None:
        longest = max(len(self.veth(host) + PEER_SUFFIX) for host in self.hosts)
        if longest > MAX_INTERFACE_NAME or len(self.bridge) > MAX_INTERFACE_NAME:
            raise ValueError(f"prefix {self.prefix!r} makes interface names longer than {MAX_INTERFACE_NAME}")

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br"

    @property
    def gateway(self) -> str:
        """This machine's address on the bridge: where the hosts see its connections come from."""
        return str(self.subnet[1])

    def address(self, host: str) -> str:
        return str(self.subnet[self.hosts[host]])

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def veth(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def exec_prefix(self, host: str) -> list[str]:
        """Put before a command line to run it on ``host`` (``ip netns exec`` execs it: the pid stays)."""
        return ["ip", "netns", "exec", self.namespace(host)]

    def create(self) -> None:
        length = self.subnet.prefixlen
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/{length}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host in self.hosts:
            namespace, veth = self.namespace(host), self.veth(host)
            ip("netns", "add", namespace)
            ip("link", "add", veth, "type", "veth", "peer", "name", veth + PEER_SUFFIX)
            ip("link", "set", veth + PEER_SUFFIX, "netns", namespace)
            ip("link", "set", veth, "master", self.bridge)
            ip("link", "set", veth, "up")
            inside = ["netns", "exec", namespace, "ip"]
            ip(*inside, "link", "set", veth + PEER_SUFFIX, "name", HOST_INTERFACE)
            ip(*inside, "addr", "add", f"{self.address(host)}/{length}", "dev", HOST_INTERFACE)
            ip(*inside, "link", "set", HOST_INTERFACE, "up")
            ip(*inside, "link", "set", "lo", "up")

    def set_link(self, host: str, up: bool) -> None:
        """Cut ``host`` off the bridge (or reconnect it): its processes live on, unreachable — a partition."""
        ip("netns", "exec", self.namespace(host), "ip", "link", "set", HOST_INTERFACE, "up" if up else "down")

    def existing_namespaces(self) -> list[str]:
        listed = ip("netns", "list", check=False).stdout.split("\n")
        names = {line.split()[0] for line in listed if line.strip()}
        return sorted(names & {self.namespace(host) for host in self.hosts})

    def pids_inside(self) -> list[int]:
        """Every process in one of the hosts' namespaces (a leftover of a killed run, or ours)."""
        pids: list[int] = []
        for namespace in self.existing_namespaces():
            pids += [int(pid) for pid in ip("netns", "pids", namespace, check=False).stdout.split()]
        return pids

    def remove(self) -> None:
        """Delete the namespaces and the bridge (the veths go with their namespaces); missing parts are fine."""
        for namespace in self.existing_namespaces():
            ip("netns", "delete", namespace, check=False)
        ip("link", "delete", self.bridge, check=False)

    def exists(self) -> bool:
        return bool(self.existing_namespaces()) or ip("link", "show", self.bridge, check=False).returncode == 0
