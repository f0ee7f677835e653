"""Browser signals the exam page sends, mapped onto the episode engine's kinds (from proctor.kinds)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..kinds import REGISTRY


class BrowserEvents(Mapping[str, tuple[str, bool | None]]):
    """Event name -> (kind, active); active True: the state starts, False: it ends, None: a single event.

    A live view of the registry rather than a copy made at import, so a kind added to the registry
    is a browser event at once (tests/proctor/test_kinds.py adds one).
    """

    def _table(self) -> dict[str, tuple[str, bool | None]]:
        return {event.name: (kind, event.active) for kind, spec in REGISTRY.items() for event in spec.events}

    def __getitem__(self, name: str) -> tuple[str, bool | None]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


BROWSER_EVENTS = BrowserEvents()
