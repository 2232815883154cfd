"""The timeline of each execution: one item per event, in a table of its own. An event's id is
deterministic (``WAVE_STARTED#2``), so an operation Step Functions repeats records it once; its
``eventKey`` (time, then id) orders an execution's events through a local index."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

from orchestrator.aws.dynamo import Table
from orchestrator.exceptions import StaleWriteError
from orchestrator.model import TimelineEvent

Page = tuple[list[TimelineEvent], dict[str, Any] | None]


def event_item(execution_id: str, event_id: str, event: TimelineEvent) -> dict[str, Any]:
    return {
        **event,
        "executionId": execution_id,
        "eventId": event_id,
        "eventKey": f"{event['time']}#{event_id}",
    }


def event_of(item: Mapping[str, Any]) -> TimelineEvent:
    return cast(
        TimelineEvent, {k: v for k, v in item.items() if k not in ("executionId", "eventId", "eventKey")}
    )


class DynamoTimeline:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        try:
            self.table.put(
                event_item(execution_id, event_id, event), condition="attribute_not_exists(eventId)"
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

    def missing(self, execution_id: str, event_ids: Sequence[str]) -> list[str]:
        wanted = list(dict.fromkeys(event_ids))
        found = self.table.batch_get([{"executionId": execution_id, "eventId": e} for e in wanted])
        recorded = {str(i["eventId"]) for i in found}
        return [e for e in wanted if e not in recorded]


class MemoryTimeline:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        with self._lock:
            if (execution_id, event_id) in self._items:
                return False
            self._items[(execution_id, event_id)] = copy.deepcopy(event_item(execution_id, event_id, event))
            return True

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
