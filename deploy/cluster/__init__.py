"""The scaled layout on one machine: each "host" in its own network namespace, joined by a bridge.

``make cluster`` (``python -m deploy.cluster``) runs what docker-compose.yml describes — PostgreSQL and
Redis on ``db``, daphne and a media worker on ``web1`` and ``web2``, Janus on ``sfu1`` and ``sfu2`` (coturn
on ``sfu1``), nginx on ``edge`` — from Debian and PyPI packages, so the layout is exercised here although
no Docker engine is. Hosts talk over the bridge, never loopback, as separate machines would. The fault
suite drives the same :class:`Cluster` from Python (kill, restart, partition). See docs/operations.md.
"""

from .supervisor import Cluster

__all__ = ["Cluster"]
