"""Readiness records, in a table of their own (``recordId``): each plan's last verdict
(``PLAN#<planId>``) and each source server's last drill (``SERVER#<sourceServerId>``).

Every write is conditional: a verdict on the one read (two checks at once: one wins), a pending
notification cleared only for the change it announces, a server's last drill only by a later one."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.aws.dynamo import Expression, Table
from orchestrator.exceptions import StaleWriteError

PLAN_PREFIX = "PLAN#"
SERVER_PREFIX = "SERVER#"
# BatchGetItem reads at most 100 keys a call (the layer chunks them).
_KEY = "recordId"


def server_drill_item(
    source_server_id: str, execution_id: str, drilled_time: str, outcome: str
) -> dict[str, Any]:
    """A source server's last drill as stored: when the drill ended, how the server came out, which."""
    return {
        _KEY: SERVER_PREFIX + source_server_id,
        "sourceServerId": source_server_id,
        "lastDrilledTime": drilled_time,
        "lastDrillOutcome": outcome,
        "lastDrillExecutionId": execution_id,
    }


def _newer(
    items: Sequence[Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The items whose drill is later than the one recorded for their server (or none is)."""
    return [
        i
        for i in items
        if (c := current.get(str(i["sourceServerId"]))) is None or c["lastDrilledTime"] < i["lastDrilledTime"]
    ]


def verdict_record(
    plan_id: str, verdict: str, checked_at: str, previous: Mapping[str, Any] | None, summary: str
) -> dict[str, Any]:
    """The stored verdict after a check: a change (a verdict unlike the one read) is marked
    ``notifyPending`` until announced; the same verdict keeps the change it had."""
    record: dict[str, Any] = {
        _KEY: PLAN_PREFIX + plan_id,
        "planId": plan_id,
        "verdict": verdict,
        "checkedAt": checked_at,
        "summary": summary,
    }
    if previous is None:
        record["changedAt"] = checked_at
    elif previous.get("verdict") != verdict:
        record.update(previousVerdict=previous["verdict"], changedAt=checked_at, notifyPending=True)
    else:
        for key in ("previousVerdict", "changedAt", "notifyPending", "announced"):
            if key in previous:
                record[key] = previous[key]
    return record


class DynamoReadiness:
    def __init__(self, table: Table) -> None:
        self.table = table

    def plan_verdict(self, plan_id: str) -> dict[str, Any] | None:
        return self.table.get({_KEY: PLAN_PREFIX + plan_id})

    def record_verdict(self, record: Mapping[str, Any], previous: Mapping[str, Any] | None) -> bool:
        """Write ``record`` if the stored verdict is still ``previous`` (False: another check won)."""
        if previous is None:
            condition, names, values = "attribute_not_exists(#k)", {"#k": _KEY}, None
        else:
            condition = "#v = :v AND #c = :c"
            names = {"#v": "verdict", "#c": "checkedAt"}
            values = {":v": previous["verdict"], ":c": previous["checkedAt"]}
        try:
            self.table.put(record, condition=condition, names=names, values=values)
        except StaleWriteError:
            return False
        return True

    def mark_announced(self, plan_id: str, changed_at: str, channel: str) -> bool:
        """The change of ``changed_at`` went out on ``channel`` (False: a newer change replaced it)."""
        return self._update_change(plan_id, changed_at, Expression().append("announced", [channel]))

    def clear_pending(self, plan_id: str, changed_at: str) -> bool:
        """The change of ``changed_at`` was announced (False: a newer change replaced it)."""
        return self._update_change(plan_id, changed_at, Expression().remove("notifyPending"))

    def _update_change(self, plan_id: str, changed_at: str, expr: Expression) -> bool:
        """Apply ``expr`` to the plan's verdict while its change is still the one of ``changed_at``."""
        condition = f"{expr.name('changedAt')} = {expr.value(changed_at)}"
        try:
            self.table.update({_KEY: PLAN_PREFIX + plan_id}, expr, condition=condition)
        except StaleWriteError:
            return False
        return True

    def record_server_drills(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Record the drill of many servers at once (``server_drill_item``s of one execution): the
        recorded ones are read in batches and only later drills are written, in batches (a
        1,000-server drill: 10 reads and 40 writes, not 1,000 conditional writes). The servers of one
        execution are locked to it until its end is recorded, so no other drill writes them
        meanwhile. Returns how many were written."""
        newer = _newer(items, self.server_drills([str(i["sourceServerId"]) for i in items]))
        if newer:
            self.table.batch_put(newer)
        return len(newer)

    def server_drills(self, source_server_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        keys = [{_KEY: SERVER_PREFIX + s} for s in dict.fromkeys(source_server_ids)]
        return {str(i["sourceServerId"]): dict(i) for i in self.table.batch_get(keys)} if keys else {}


class MemoryReadiness:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def plan_verdict(self, plan_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(PLAN_PREFIX + plan_id)
            return copy.deepcopy(found) if found else None

    def record_verdict(self, record: Mapping[str, Any], previous: Mapping[str, Any] | None) -> bool:
        with self._lock:
            key = str(record[_KEY])
            current = self._items.get(key)
            if previous is None:
                if current is not None:
                    return False
            elif current is None or (current["verdict"], current["checkedAt"]) != (
                previous["verdict"],
                previous["checkedAt"],
            ):
                return False
            self._items[key] = copy.deepcopy(dict(record))
            return True

    def mark_announced(self, plan_id: str, changed_at: str, channel: str) -> bool:
        with self._lock:
            current = self._items.get(PLAN_PREFIX + plan_id)
            if current is None or current.get("changedAt") != changed_at:
                return False
            current["announced"] = [*current.get("announced", []), channel]
            return True

    def clear_pending(self, plan_id: str, changed_at: str) -> bool:
        with self._lock:
            current = self._items.get(PLAN_PREFIX + plan_id)
            if current is None or current.get("changedAt") != changed_at:
                return False
            current.pop("notifyPending", None)
            return True

    def record_server_drills(self, items: Sequence[Mapping[str, Any]]) -> int:
        with self._lock:
            current = {
                k.removeprefix(SERVER_PREFIX): v
                for k, v in self._items.items()
                if k.startswith(SERVER_PREFIX)
            }
            newer = _newer(items, current)
            for item in newer:
                self._items[str(item[_KEY])] = copy.deepcopy(dict(item))
            return len(newer)

    def server_drills(self, source_server_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                s: copy.deepcopy(self._items[SERVER_PREFIX + s])
                for s in dict.fromkeys(source_server_ids)
                if SERVER_PREFIX + s in self._items
            }
