"""The stores in memory, for fast tests of the operations (no network, no DynamoDB). They keep the
DynamoDB versions' promises: conditional changes, unique names, all-or-nothing locks, page keys of
the same shape. The same contract suite runs over both (tests/contract)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from orchestrator.exceptions import StaleWriteError
from orchestrator.model import ServerRecord, server_from_item
from orchestrator.store import cursor, rules
from orchestrator.store.changes import Change, apply
from orchestrator.store.executions import RECORD_TYPE
from orchestrator.store.ports import NAME_PREFIX, HeldLocks, Kind, name_key
from orchestrator.timeutil import system_clock


def _page(
    items: list[dict[str, Any]], key_fields: Sequence[str], limit: int, start_key: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A page of sorted ``items`` after ``start_key``, and the key of its last item when more follow."""
    start = 0
    if start_key:
        marker = [start_key.get(f) for f in key_fields]
        start = next(
            (n + 1 for n, i in enumerate(items) if [i.get(f) for f in key_fields] == marker), len(items)
        )
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    last = {f: chunk[-1][f] for f in key_fields} if more and chunk else None
    return copy.deepcopy(chunk), last


class MemoryExecutions:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put_new(self, item: Mapping[str, Any]) -> None:
        with self._lock:
            if item["executionId"] in self._items:
                raise StaleWriteError("the item changed since it was read")
            self._items[str(item["executionId"])] = copy.deepcopy(dict(item))

    def get(self, execution_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(execution_id)
            return copy.deepcopy(found) if found else None

    def apply(self, execution_id: str, change: Change) -> dict[str, Any] | None:
        with self._lock:
            current = self._items.get(execution_id)
            new = apply(current, change) if current is not None else None
            if new is None:
                return None
            self._items[execution_id] = new
            return copy.deepcopy(new)

    def _newest_first(self, wanted: Any) -> list[dict[str, Any]]:
        with self._lock:
            found = [i for i in self._items.values() if wanted(i)]
        return sorted(found, key=lambda i: (str(i["startTime"]), str(i["executionId"])), reverse=True)

    def page(
        self, *, plan_id: str | None, status: str | None, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if plan_id:
            items = self._newest_first(lambda i: i.get("planId") == plan_id)
            keys = ("executionId", "startTime", "planId")
            page, last = _page(items, keys, limit, start_key)
            return [i for i in page if not status or i.get("status") == status], last
        if status:
            items = self._newest_first(lambda i: i.get("status") == status)
            return _page(items, ("executionId", "startTime", "status"), limit, start_key)
        items = self._newest_first(lambda i: i.get("recordType") == RECORD_TYPE)
        return _page(items, ("executionId", "startTime", "recordType"), limit, start_key)

    def with_status(self, status: str) -> Iterator[dict[str, Any]]:
        yield from self._newest_first(lambda i: i.get("status") == status)

    def flagged(self, attribute: str) -> Iterator[dict[str, Any]]:
        yield from self._newest_first(lambda i: i.get(attribute) == "PENDING")


class MemoryServers:
    def __init__(self, now: Callable[[], datetime] = system_clock) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.now = now

    def put_many(self, items: Sequence[ServerRecord]) -> None:
        changed_at = cursor.stamp(self.now())
        with self._lock:
            for item in items:
                clean = {k: v for k, v in {**item, "changedAt": changed_at}.items() if v is not None}
                self._items[(item["executionId"], item["serverKey"])] = copy.deepcopy(clean)

    def _of(self, execution_id: str) -> list[dict[str, Any]]:
        with self._lock:
            found = [copy.deepcopy(v) for (e, _k), v in self._items.items() if e == execution_id]
        return sorted(found, key=lambda i: str(i["serverKey"]))

    def wave(self, execution_id: str, wave_number: int) -> list[ServerRecord]:
        prefix = f"{wave_number:03d}#"
        return [server_from_item(i) for i in self._of(execution_id) if str(i["serverKey"]).startswith(prefix)]

    def all(self, execution_id: str) -> Iterator[ServerRecord]:
        yield from (server_from_item(i) for i in self._of(execution_id))

    def source_server_ids(self, execution_id: str) -> list[str]:
        return [str(i["sourceServerId"]) for i in self._of(execution_id)]

    def page(
        self, execution_id: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]:
        items, last = _page(self._of(execution_id), ("executionId", "serverKey"), limit, start_key)
        return [server_from_item(i) for i in items], last

    def changed(
        self, execution_id: str, since: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]:
        written = sorted(
            (i for i in self._of(execution_id) if str(i["changedAt"]) >= since),
            key=lambda i: (str(i["changedAt"]), str(i["serverKey"])),
        )
        items, last = _page(written, ("executionId", "serverKey", "changedAt"), limit, start_key)
        return [server_from_item(i) for i in items], last


class MemoryLocks:
    def __init__(self) -> None:
        self._locks: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def acquire(self, lock_ids: Sequence[str], execution_id: str, held_since: str) -> None:
        with self._lock:
            taken = [
                i for i in lock_ids if self._locks.get(i, {}).get("executionId", execution_id) != execution_id
            ]
            if taken:
                raise rules.lock_conflict(self.holder_unlocked, taken, execution_id)
            for lock_id in lock_ids:
                self._locks[lock_id] = {"executionId": execution_id, "since": held_since}

    def holder_unlocked(self, lock_id: str) -> str | None:
        found = self._locks.get(lock_id)
        return found["executionId"] if found else None

    def holder(self, lock_id: str) -> str | None:
        with self._lock:
            return self.holder_unlocked(lock_id)

    def release_held(self, lock_ids: Sequence[str], execution_id: str) -> None:
        with self._lock:
            for lock_id in lock_ids:
                if self._locks.get(lock_id, {}).get("executionId") == execution_id:
                    del self._locks[lock_id]

    def holders(self) -> dict[str, HeldLocks]:
        found: dict[str, HeldLocks] = {}
        with self._lock:
            for lock_id, held in self._locks.items():
                rules.add_held(found, held["executionId"], lock_id, held["since"])
        return found


class MemoryCatalog:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self._items: dict[str, dict[str, Any]] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, entity_id: str) -> dict[str, Any]:
        with self._lock:
            found = None if entity_id.startswith(NAME_PREFIX) else self._items.get(entity_id)
        if found is None:
            raise rules.not_found(self.kind, entity_id)
        return copy.deepcopy(found)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            items = copy.deepcopy(list(self._items.values()))
        return sorted(items, key=lambda i: str(i.get("name", "")).lower())

    def create(self, fields: Mapping[str, Any], *, now: str) -> dict[str, Any]:
        item = rules.new_entity(self.kind, fields, now)
        with self._lock:
            if name_key(str(fields["name"])) in self._names:
                raise rules.name_conflict(self.kind, str(fields["name"]))
            self._names[name_key(str(fields["name"]))] = item[self.kind.key]
            self._items[item[self.kind.key]] = copy.deepcopy(item)
        return item

    def update(self, current: Mapping[str, Any], fields: Mapping[str, Any], *, now: str) -> dict[str, Any]:
        item = rules.next_version(self.kind, current, fields, now)
        entity_id = str(item[self.kind.key])
        with self._lock:
            stored = self._items.get(entity_id)
            new_name, old_name = name_key(str(fields["name"])), name_key(str(current["name"]))
            if new_name != old_name and self._names.get(new_name, entity_id) != entity_id:
                raise rules.name_conflict(self.kind, str(fields["name"]))
            if stored is None or stored.get("version") != current.get("version"):
                raise rules.concurrent_update(self.kind, entity_id, "updated")
            self._names.pop(old_name, None)
            self._names[new_name] = entity_id
            self._items[entity_id] = copy.deepcopy(item)
        return item

    def delete(self, current: Mapping[str, Any]) -> None:
        entity_id = str(current[self.kind.key])
        with self._lock:
            stored = self._items.get(entity_id)
            if stored is None or stored.get("version") != current.get("version"):
                raise rules.concurrent_update(self.kind, entity_id, "deleted")
            del self._items[entity_id]
            self._names.pop(name_key(str(current["name"])), None)
