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
        expr = Expression().append("announced", [channel])
        condition = f"{expr.name('changedAt')} = {expr.value(changed_at)}"
        try:
            self.table.update({_KEY: PLAN_PREFIX + plan_id}, expr, condition=condition)
        except StaleWriteError:
            return False
        return True

    def clear_pending(self, plan_id: str, changed_at: str) -> bool:
        """The change of ``changed_at`` was announced (False: a newer change replaced it)."""
        expr = Expression().remove("notifyPending")
        condition = f"{expr.name('changedAt')} = {expr.value(changed_at)}"
        try:
            self.table.update({_KEY: PLAN_PREFIX + plan_id}, expr, condition=condition)
        except StaleWriteError:
            return False
        return True

    def record_server_drill(
        self, source_server_id: str, *, execution_id: str, drilled_time: str, outcome: str
    ) -> bool:
        """Record a server's drill unless a later one (or this one) is recorded already."""
        expr = (
            Expression()
            .set("sourceServerId", source_server_id)
            .set("lastDrilledTime", drilled_time)
            .set("lastDrillOutcome", outcome)
            .set("lastDrillExecutionId", execution_id)
        )
        time_ref = expr.name("lastDrilledTime")
        condition = f"attribute_not_exists({time_ref}) OR {time_ref} < {expr.value(drilled_time)}"
        try:
            self.table.update({_KEY: SERVER_PREFIX + source_server_id}, expr, condition=condition)
        except StaleWriteError:
            return False
        return True

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

    def record_server_drill(
        self, source_server_id: str, *, execution_id: str, drilled_time: str, outcome: str
    ) -> bool:
        with self._lock:
            key = SERVER_PREFIX + source_server_id
            current = self._items.get(key)
            if current is not None and not current["lastDrilledTime"] < drilled_time:
                return False
            self._items[key] = {
                _KEY: key,
                "sourceServerId": source_server_id,
                "lastDrilledTime": drilled_time,
                "lastDrillOutcome": outcome,
                "lastDrillExecutionId": execution_id,
            }
            return True

    def server_drills(self, source_server_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                s: copy.deepcopy(self._items[SERVER_PREFIX + s])
                for s in dict.fromkeys(source_server_ids)
                if SERVER_PREFIX + s in self._items
            }
