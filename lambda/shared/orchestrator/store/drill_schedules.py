"""A plan's drill schedule as applied to EventBridge Scheduler and its recent runs: one item per plan
in the readiness table (``recordId = SCHEDULE#<planId>``).

- ``applied``: the schedule settings Scheduler holds for the plan (``{expression, timezone,
  enabled}``), or absent when it holds none; written after each Scheduler call that succeeded,
  so a plan whose ``drillSchedule`` differs from it says that its schedule is not in place.
- ``runs``: the last ``KEEP_RUNS`` firings, newest last, each recorded once per ``scheduledTime``
  (a redelivered firing finds its run): ``{scheduledTime, firedAt, outcome: STARTED | SKIPPED,
  executionId?, reasonCode?, reason?, notified?}``.

Every write is conditional on the ``version`` read (two writers: one wins, the other reads again).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator.aws.dynamo import Table
from orchestrator.exceptions import StaleWriteError

PREFIX = "SCHEDULE#"
KEEP_RUNS = 20
_KEY = "recordId"


class DrillScheduleStore(Protocol):
    def get(self, plan_id: str) -> dict[str, Any] | None: ...

    def put(self, item: Mapping[str, Any], version: int | None) -> bool:
        """Write the plan's item if its stored version is still ``version`` (None: no item yet);
        False when another writer changed it first."""

    def delete(self, plan_id: str) -> None: ...


def item_for(plan_id: str, current: Mapping[str, Any] | None, **changes: Any) -> dict[str, Any]:
    """The plan's item after ``changes`` (``applied``, ``runs``...), one version on."""
    item = dict(current or {_KEY: PREFIX + plan_id, "planId": plan_id, "runs": [], "version": 0})
    item.update(changes)
    item["runs"] = list(item.get("runs") or [])[-KEEP_RUNS:]
    item["version"] = int(item.get("version") or 0) + 1
    if item.get("applied") is None:
        item.pop("applied", None)
    return item


class DynamoDrillSchedules:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, plan_id: str) -> dict[str, Any] | None:
        return self.table.get({_KEY: PREFIX + plan_id})

    def put(self, item: Mapping[str, Any], version: int | None) -> bool:
        if version is None:
            condition, names, values = "attribute_not_exists(#k)", {"#k": _KEY}, None
        else:
            condition, names, values = "#v = :v", {"#v": "version"}, {":v": version}
        try:
            self.table.put(item, condition=condition, names=names, values=values)
        except StaleWriteError:
            return False
        return True

    def delete(self, plan_id: str) -> None:
        self.table.batch_delete([{_KEY: PREFIX + plan_id}])


class MemoryDrillSchedules:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, plan_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(PREFIX + plan_id)
            return copy.deepcopy(found) if found else None

    def put(self, item: Mapping[str, Any], version: int | None) -> bool:
        with self._lock:
            key = str(item[_KEY])
            current = self._items.get(key)
            if (current is None) != (version is None) or (
                current is not None and current["version"] != version
            ):
                return False
            self._items[key] = copy.deepcopy(dict(item))
            return True

    def delete(self, plan_id: str) -> None:
        with self._lock:
            self._items.pop(PREFIX + plan_id, None)
