#!/usr/bin/env bash
# Run a command inside a private network namespace: loopback plus a veth pair with
# 10.99.0.1 and no route out, so WebRTC media between Chromium, aiortc and Janus stays
# inside the machine (by default aioice and Chromium skip loopback candidates and Janus
# cannot gather on lo at all, so media would use the external interface).
# Usage: unshare -n THIS CMD...
set -euo pipefail
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.99.0.1/24 dev v0
ip link set v0 up
ip link set v1 up
export CLASSROOM_PRIVATE_NETWORK=10.99.0.1
exec "$@"
