"""The timeline of each execution: one item per event, in a table of its own. An event's id is
deterministic (``WAVE_STARTED#2``), so an operation Step Functions repeats records it once; its
``eventKey`` (time, then id) orders an execution's events through a local index; its
``changedAt`` (when it was written) finds those written since a reader's cursor (ChangeIndex)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from orchestrator.aws.dynamo import Table
from orchestrator.exceptions import StaleWriteError
from orchestrator.model import TimelineEvent
from orchestrator.store import cursor
from orchestrator.timeutil import system_clock

Page = tuple[list[TimelineEvent], dict[str, Any] | None]
# (eventId, event): a recorded event with its id.
Recorded = tuple[str, TimelineEvent]
_STORE_ONLY = ("executionId", "eventId", "eventKey", "changedAt")


def event_item(execution_id: str, event_id: str, event: TimelineEvent, changed_at: str) -> dict[str, Any]:
    return {
        **event,
        "executionId": execution_id,
        "eventId": event_id,
        "eventKey": f"{event['time']}#{event_id}",
        "changedAt": changed_at,
    }


def event_of(item: Mapping[str, Any]) -> TimelineEvent:
    return cast(TimelineEvent, {k: v for k, v in item.items() if k not in _STORE_ONLY})


def recorded_of(item: Mapping[str, Any]) -> Recorded:
    return str(item["eventId"]), event_of(item)


class DynamoTimeline:
    def __init__(self, table: Table, now: Callable[[], datetime] = system_clock) -> None:
        self.table = table
        self.now = now

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        try:
            self.table.put(
                event_item(execution_id, event_id, event, cursor.stamp(self.now())),
                condition="attribute_not_exists(eventId)",
            )
        except StaleWriteError:
            return False
        return True

    def page(
        self, execution_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[TimelineEvent], str | None]:
        items, last = self.table.query_page(
            index="TimeIndex",
            key_condition="#e = :e" + (" AND #k > :k" if after else ""),
            names={"#e": "executionId", **({"#k": "eventKey"} if after else {})},
            values={":e": execution_id, **({":k": after} if after else {})},
            limit=limit,
        )
        return [event_of(i) for i in items], (str(items[-1]["eventKey"]) if last and items else None)

    def recorded(self, execution_id: str, since: str | None = None) -> list[Recorded]:
        if since is None:
            items = self.table.query_all(
                index="TimeIndex",
                key_condition="#e = :e",
                names={"#e": "executionId"},
                values={":e": execution_id},
            )
        else:
            items = self.table.query_all(
                index="ChangeIndex",
                key_condition="#e = :e AND #c >= :c",
                names={"#e": "executionId", "#c": "changedAt"},
                values={":e": execution_id, ":c": since},
            )
        return [recorded_of(i) for i in items]

    def missing(self, execution_id: str, event_ids: Sequence[str]) -> list[str]:
        wanted = list(dict.fromkeys(event_ids))
        found = self.table.batch_get([{"executionId": execution_id, "eventId": e} for e in wanted])
        recorded = {str(i["eventId"]) for i in found}
        return [e for e in wanted if e not in recorded]


class MemoryTimeline:
    def __init__(self, now: Callable[[], datetime] = system_clock) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.now = now

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        item = event_item(execution_id, event_id, event, cursor.stamp(self.now()))
        with self._lock:
            if (execution_id, event_id) in self._items:
                return False
            self._items[(execution_id, event_id)] = copy.deepcopy(item)
            return True

    def recorded(self, execution_id: str, since: str | None = None) -> list[Recorded]:
        with self._lock:
            items = [
                copy.deepcopy(i)
                for (e, _), i in self._items.items()
                if e == execution_id and (since is None or str(i["changedAt"]) >= since)
            ]
        order = "eventKey" if since is None else "changedAt"
        return [recorded_of(i) for i in sorted(items, key=lambda i: (str(i[order]), str(i["eventId"])))]

    def page(
        self, execution_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[TimelineEvent], str | None]:
        with self._lock:
            items = sorted(
                (
                    i
                    for (e, _), i in self._items.items()
                    if e == execution_id and (after is None or i["eventKey"] > after)
                ),
                key=lambda i: str(i["eventKey"]),
            )
        chunk = items[:limit]
        more = len(items) > limit
        return [event_of(copy.deepcopy(i)) for i in chunk], (
            str(chunk[-1]["eventKey"]) if more and chunk else None
        )

    def missing(self, execution_id: str, event_ids: Sequence[str]) -> list[str]:
        with self._lock:
            return [e for e in dict.fromkeys(event_ids) if (execution_id, e) not in self._items]
