"""What a watcher of an execution keeps: its servers and timeline, merged from cursor reads.

The first refresh reads each list whole and keeps the cursor its first page answered; each later
refresh asks only for what changed since (``?since=<cursor>``) and merges it by key, so following a
1,000-server execution reads a few items a refresh, not 1,000. The merged lists are what a full
read would answer: servers in wave then id order, the timeline by its ``sortKey``.
"""

from __future__ import annotations

from typing import Any, Protocol


class Getter(Protocol):
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...


def server_key(server: dict[str, Any]) -> tuple[int, str]:
    return int(server.get("waveNumber") or 0), str(server["sourceServerId"])


class WatchedList:
    """One list of an execution (``servers`` or ``timeline``) kept up to date by cursor reads."""

    def __init__(self, client: Getter, execution_id: str, which: str) -> None:
        self.client = client
        self.path = f"/executions/{execution_id}/{which}"
        self.which = which
        self.cursor: str | None = None
        self.by_key: dict[Any, dict[str, Any]] = {}

    def key(self, item: dict[str, Any]) -> Any:
        return server_key(item) if self.which == "servers" else item["eventId"]

    def refresh(self) -> int:
        """Read what changed since the last refresh (everything the first time) and merge it; how
        many items the API answered."""
        params: dict[str, Any] = {"limit": 500}
        if self.cursor:
            params["since"] = self.cursor
        token: str | None = None
        answered = 0
        first_cursor: str | None = None
        while True:
            page = self.client.get(self.path, {**params, "nextToken": token})
            first_cursor = first_cursor or page["cursor"]
            for item in page["items"]:
                self.by_key[self.key(item)] = item
            answered += len(page["items"])
            token = page.get("nextToken")
            if not token:
                break
        self.cursor = first_cursor
        return answered

    def items(self) -> list[dict[str, Any]]:
        if self.which == "servers":
            return [self.by_key[k] for k in sorted(self.by_key)]
        return sorted(self.by_key.values(), key=lambda e: str(e["sortKey"]))


class WatchedExecution:
    """An execution's servers and timeline as a watcher keeps them."""

    def __init__(self, client: Getter, execution_id: str) -> None:
        self.servers = WatchedList(client, execution_id, "servers")
        self.timeline = WatchedList(client, execution_id, "timeline")

    def refresh(self) -> None:
        self.servers.refresh()
        self.timeline.refresh()
