"""drsctl's watcher (drsctl/watch.py): the servers and timeline read whole once, then only what
changed since the cursor of the previous read's first page, merged by key in the API's order."""

from __future__ import annotations

from typing import Any

from drsctl.watch import WatchedExecution


class FakeApi:
    """The two watched routes over lists the test changes; `since` answers what was written after
    the refresh that cursor names, paged two at a time."""

    def __init__(self) -> None:
        self.refresh = 0
        self.lists: dict[str, list[dict[str, Any]]] = {"servers": [], "timeline": []}
        self.asked: list[tuple[str, Any, Any]] = []

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        params = params or {}
        which = path.rsplit("/", 1)[1]
        since, token = params.get("since"), params.get("nextToken")
        self.asked.append((which, since, token))
        listed = [i for i in self.lists[which] if since is None or i["_written"] > int(since[1:])]
        start = int(token or 0)
        page = [{k: v for k, v in i.items() if k != "_written"} for i in listed[start : start + 2]]
        following = str(start + 2) if start + 2 < len(listed) else None
        return {"items": page, "nextToken": following, "cursor": f"c{self.refresh}"}


def server(wave: int, sid: str, status: str, written: int) -> dict[str, Any]:
    return {"waveNumber": wave, "sourceServerId": sid, "launchStatus": status, "_written": written}


def event(eid: str, key: str, written: int) -> dict[str, Any]:
    return {
        "eventId": eid,
        "sortKey": key,
        "time": key[:24],
        "type": "X",
        "message": eid,
        "_written": written,
    }


def test_a_watcher_asks_only_since_its_cursor_and_keeps_what_a_full_read_answers() -> None:
    # Given an execution of three servers and two events, read whole by a watcher
    api = FakeApi()
    api.lists["servers"] = [
        server(1, "s-b", "PENDING", 0),
        server(1, "s-c", "PENDING", 0),
        server(2, "s-a", "PENDING", 0),
    ]
    api.lists["timeline"] = [
        event("E1", "2026-12-08T01:00:00.000Z#0#E1", 0),
        event("E2", "2026-12-08T01:00:05.000Z#0#E2", 0),
    ]
    watched = WatchedExecution(api, "e-1")
    watched.refresh()
    assert [s["sourceServerId"] for s in watched.servers.items()] == ["s-b", "s-c", "s-a"]
    # When s-c launches and a server moment is written, then the next refresh asks since the cursor
    api.refresh = 1
    api.lists["servers"][1] = server(1, "s-c", "LAUNCHED", 1)
    api.lists["timeline"].append(event("SERVER#1#s-c#LAUNCHED", "2026-12-08T01:00:02.000Z#1#s-c#LAUNCHED", 1))
    assert watched.servers.refresh() == 1 and watched.timeline.refresh() == 1
    assert ("servers", "c0", None) in api.asked and ("timeline", "c0", None) in api.asked
    # Then what it keeps is what a full read answers, in the API's order
    full = {
        which: [{k: v for k, v in i.items() if k != "_written"} for i in items]
        for which, items in api.lists.items()
    }
    assert watched.servers.items() == sorted(
        full["servers"], key=lambda s: (s["waveNumber"], s["sourceServerId"])
    )
    assert watched.timeline.items() == sorted(full["timeline"], key=lambda e: e["sortKey"])
    # And when nothing changed, a refresh answers nothing and keeps it all
    api.refresh = 2
    assert watched.servers.refresh() == 0 and watched.servers.cursor == "c2"
    assert len(watched.servers.items()) == 3
