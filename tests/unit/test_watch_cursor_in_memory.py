"""Cursors of the watchers' reads (orchestrator.store.cursor) and the timeline read since one
(operations.timeline.entries), on the in-memory stores with an injected change clock."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from in_memory import in_memory_orchestration

from orchestrator.exceptions import BadRequestError
from orchestrator.model import ServerRecord, server_key
from orchestrator.operations import timeline
from orchestrator.store import Stores, cursor

START = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


class StepClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_a_cursor_reads_back_as_its_time_less_the_overlap() -> None:
    """Given a cursor handed out at 01:00:00; Then a read since it looks back OVERLAP before it."""
    assert cursor.decode(cursor.encode(START)) == cursor.stamp(START - cursor.OVERLAP)


@pytest.mark.parametrize(
    "given",
    [
        "",
        "%%%",
        base64.urlsafe_b64encode(b"[]").decode(),
        base64.urlsafe_b64encode(b'{"at": 5}').decode(),
        base64.urlsafe_b64encode(b'{"at": "2026-13-40T99:00:00.000000Z"}').decode(),
        base64.urlsafe_b64encode(b'{"at": "2026-12-08T01:00:00.000Z"}').decode(),
        base64.urlsafe_b64encode(b'{"at": "2026-12-08T01:00:00.000000Z", "x": 1}').decode(),
        "A" * 500,
    ],
)
def test_a_cursor_the_api_never_handed_out_is_a_400_invalid_query(given: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        cursor.decode(given)
    assert refused.value.code == "INVALID_QUERY" and "since" in refused.value.message


def server(eid: str, sid: str, phases: dict[str, str]) -> ServerRecord:
    return {
        "executionId": eid,
        "serverKey": server_key(1, sid),
        "waveNumber": 1,
        "sourceServerId": sid,
        "hostname": f"h-{sid}",
        "phaseTimes": phases,
    }  # type: ignore[typeddict-item]


def test_the_timeline_since_a_cursor_merged_into_the_earlier_read_is_the_whole_timeline() -> None:
    """Given a timeline read whole (an event, a server's snapshot), when a server reaches LAUNCHED
    and an event is recorded after the reader's cursor, then the read since that cursor answers
    them (and what was written within the overlap), and merged by eventId in sortKey order they
    are exactly the timeline a full read answers."""
    clock = StepClock()
    deps = dataclasses.replace(in_memory_orchestration().deps, stores=Stores.in_memory(change_clock=clock))
    eid = "e-1"
    stores = deps.stores
    stores.timeline.record(
        eid, "EXECUTION_STARTED", {"time": "2026-12-08T01:00:00.000Z", "type": "X", "message": "go"}
    )
    stores.servers.put_many([server(eid, "s-1", {"SNAPSHOT": "2026-12-08T01:00:01.000Z"})])
    first = {entry[1]: entry for entry in timeline.entries(deps, eid)}
    clock.now = START + timedelta(minutes=1)
    reader_cursor = cursor.encode(clock())
    clock.now = START + timedelta(minutes=2)
    stores.servers.put_many(
        [server(eid, "s-1", {"SNAPSHOT": "2026-12-08T01:00:01.000Z", "LAUNCHED": "2026-12-08T01:02:00.000Z"})]
    )
    stores.timeline.record(
        eid, "WAVE_FINISHED#1", {"time": "2026-12-08T01:02:00.000Z", "type": "Y", "message": "done"}
    )

    changed = timeline.entries(deps, eid, since=cursor.decode(reader_cursor))
    assert {e[1] for e in changed} == {"WAVE_FINISHED#1", "SERVER#1#s-1#SNAPSHOT", "SERVER#1#s-1#LAUNCHED"}
    merged = sorted({**first, **{e[1]: e for e in changed}}.values(), key=lambda e: e[0])
    assert merged == timeline.entries(deps, eid)
    # At the same time, a recorded event comes before a server's moment (the order of a full read).
    assert [e[2]["type"] for e in merged] == ["X", "SERVER_PHASE", "Y", "SERVER_LAUNCHED"]


def test_the_timeline_since_a_cursor_comes_in_pages_of_servers_each_read_once() -> None:
    """Given three servers and an event written after a reader's cursor, when the timeline is read
    since it one server a page, then the pages hold every changed entry once (the events on the
    first page), each page in the timeline's order, and the listing ends."""
    clock = StepClock()
    orchestration = in_memory_orchestration()
    deps = dataclasses.replace(orchestration.deps, stores=Stores.in_memory(change_clock=clock))
    eid = "e-2"
    since = cursor.decode(cursor.encode(clock()))
    for n in range(3):
        deps.stores.servers.put_many([server(eid, f"s-{n}", {"SNAPSHOT": f"2026-12-08T01:00:0{n}.000Z"})])
    deps.stores.timeline.record(
        eid, "WAVE_STARTED#1", {"time": "2026-12-08T01:00:00.000Z", "type": "W", "message": "w"}
    )
    pages: list[list[dict[str, object]]] = []
    token = None
    while True:
        items, token = timeline.changed_page(deps, eid, since, limit=1, start_key=token)
        pages.append(items)
        if not token:
            break
    ids = [str(item["eventId"]) for page in pages for item in page]
    assert sorted(ids) == sorted(e[1] for e in timeline.entries(deps, eid, since=since)) and len(ids) == len(
        set(ids)
    )
    assert [i["eventId"] for i in pages[0]] == ["WAVE_STARTED#1", "SERVER#1#s-0#SNAPSHOT"]
    assert all([i["sortKey"] for i in page] == sorted(i["sortKey"] for i in page) for page in pages)
