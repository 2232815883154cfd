"""The stores in DynamoDB: the only module (with dynamo.py beneath it) that knows table layouts,
expressions and conditions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from orchestrator.aws.dynamo import Expression, Table, serialize
from orchestrator.exceptions import ConflictError, StaleWriteError
from orchestrator.model import ServerRecord, server_from_item
from orchestrator.store import changes, cursor, rules
from orchestrator.store.changes import Change, Condition
from orchestrator.store.executions import RECORD_TYPE
from orchestrator.store.ports import NAME_PREFIX, HeldLocks, Kind, name_key
from orchestrator.timeutil import system_clock

_INDEX_OF_FLAG = {
    "terminationPending": "TerminationIndex",
    "jobsPending": "JobsIndex",
    "eventsPending": "EventsIndex",
    "instancesPending": "InstancesIndex",
    "overridesPending": "OverridesIndex",
}


# Each condition as DynamoDB writes it: (its attribute's name, a value's placeholder maker, the condition).
_CONDITIONS: dict[type, Callable[[str, Callable[[Any], str], Any], str]] = {
    changes.Equals: lambda ref, value, c: f"{ref} = {value(c.value)}",
    changes.OneOf: lambda ref, value, c: f"{ref} IN ({', '.join(value(v) for v in c.values)})",
    changes.Missing: lambda ref, _value, _c: f"attribute_not_exists({ref})",
    changes.MissingOrEquals: lambda ref, value, c: (
        f"(attribute_not_exists({ref}) OR {ref} = {value(c.value)})"
    ),
    changes.NotContains: lambda ref, value, c: f"NOT contains({ref}, {value(c.value)})",
    changes.MissingOrEmpty: lambda ref, value, _c: (
        f"(attribute_not_exists({ref}) OR size({ref}) = {value(0)})"
    ),
}


def _condition(expr: Expression, condition: Condition) -> str:
    try:
        write = _CONDITIONS[type(condition)]
    except KeyError:
        raise TypeError(f"unknown condition {condition!r}") from None
    return write(expr.name(condition.path), expr.value, condition)


def to_expression(change: Change, key_attribute: str) -> tuple[Expression, str]:
    """The UpdateExpression and ConditionExpression of a change."""
    expr = Expression()
    for path, value in change.sets.items():
        expr.set(path, value)
    for path, value in change.if_missing.items():
        expr.set_if_missing(path, value)
    for path, values in change.appends.items():
        expr.append(path, values)
    for path, amount in change.adds.items():
        expr.add(path, amount)
    for path in change.removes:
        expr.remove(path)
    conditions = [f"attribute_exists({expr.name(key_attribute)})"]
    conditions += [_condition(expr, c) for c in change.conditions]
    return expr, " AND ".join(conditions)


class DynamoExecutions:
    """ExecutionBackend over the executions table and its indexes."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put_new(self, item: Mapping[str, Any]) -> None:
        self.table.put(item, condition="attribute_not_exists(executionId)")

    def get(self, execution_id: str) -> dict[str, Any] | None:
        return self.table.get({"executionId": execution_id})

    def apply(self, execution_id: str, change: Change) -> dict[str, Any] | None:
        expr, condition = to_expression(change, "executionId")
        try:
            return self.table.update({"executionId": execution_id}, expr, condition=condition)
        except StaleWriteError:
            return None

    def page(
        self, *, plan_id: str | None, status: str | None, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if plan_id:
            index, attr, value = "PlanIndex", "planId", plan_id
        elif status:
            index, attr, value = "StatusIndex", "status", status
        else:
            index, attr, value = "TimeIndex", "recordType", RECORD_TYPE
        names = {"#k": attr}
        values: dict[str, Any] = {":k": value}
        filter_expression = None
        if plan_id and status:
            names["#s"] = "status"
            values[":s"] = status
            filter_expression = "#s = :s"
        return self.table.query_page(
            index=index,
            key_condition="#k = :k",
            names=names,
            values=values,
            limit=limit,
            start_key=start_key,
            forward=False,
            filter_expression=filter_expression,
        )

    def with_status(self, status: str) -> Iterator[dict[str, Any]]:
        yield from self.table.query_all(
            index="StatusIndex", key_condition="#s = :s", names={"#s": "status"}, values={":s": status}
        )

    def flagged(self, attribute: str) -> Iterator[dict[str, Any]]:
        yield from self.table.query_all(
            index=_INDEX_OF_FLAG[attribute],
            key_condition="#f = :f",
            names={"#f": attribute},
            values={":f": "PENDING"},
        )


class DynamoServers:
    """Per-server data of an execution, one item per server (kept out of the execution item)."""

    def __init__(self, table: Table, now: Callable[[], datetime] = system_clock) -> None:
        self.table = table
        self.now = now

    def put_many(self, items: Sequence[ServerRecord]) -> None:
        changed_at = cursor.stamp(self.now())
        self.table.batch_put([{**item, "changedAt": changed_at} for item in items])

    def wave(self, execution_id: str, wave_number: int) -> list[ServerRecord]:
        items = self.table.query_all(
            key_condition="#e = :e AND begins_with(#k, :w)",
            names={"#e": "executionId", "#k": "serverKey"},
            values={":e": execution_id, ":w": f"{wave_number:03d}#"},
            consistent=True,
        )
        return [server_from_item(i) for i in items]

    def all(self, execution_id: str) -> Iterator[ServerRecord]:
        items = self.table.query_all(
            key_condition="#e = :e", names={"#e": "executionId"}, values={":e": execution_id}, consistent=True
        )
        yield from (server_from_item(i) for i in items)

    def source_server_ids(self, execution_id: str) -> list[str]:
        """Only the ids (a projection: finalize needs them to release locks, not the details)."""
        items = self.table.query_all(
            key_condition="#e = :e",
            names={"#e": "executionId", "#s": "sourceServerId"},
            values={":e": execution_id},
            consistent=True,
            projection="#s",
        )
        return [str(item["sourceServerId"]) for item in items]

    def page(
        self, execution_id: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]:
        items, last = self.table.query_page(
            key_condition="#e = :e",
            names={"#e": "executionId"},
            values={":e": execution_id},
            limit=limit,
            start_key=start_key,
            consistent=True,
        )
        return [server_from_item(i) for i in items], last

    def changed(
        self, execution_id: str, since: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]:
        """A page of the servers written at ``since`` or later (ChangeIndex, oldest write first)."""
        items, last = self.table.query_page(
            index="ChangeIndex",
            key_condition="#e = :e AND #c >= :c",
            names={"#e": "executionId", "#c": "changedAt"},
            values={":e": execution_id, ":c": since},
            limit=limit,
            start_key=start_key,
        )
        return [server_from_item(i) for i in items], last


class DynamoLocks:
    """Exclusive locks (a plan, a source server) held by one active execution at a time."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def acquire(self, lock_ids: Sequence[str], execution_id: str, held_since: str) -> None:
        taken: list[str] = []
        try:
            for start in range(0, len(lock_ids), 100):
                chunk = list(lock_ids[start : start + 100])
                operations = [
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": serialize(
                                {"lockId": lock_id, "executionId": execution_id, "since": held_since}
                            ),
                            "ConditionExpression": "attribute_not_exists(lockId) OR executionId = :me",
                            "ExpressionAttributeValues": serialize({":me": execution_id}),
                        }
                    }
                    for lock_id in chunk
                ]
                try:
                    self.table.transact(operations)
                except StaleWriteError as e:
                    raise rules.lock_conflict(self.holder, chunk, execution_id) from e
                taken.extend(chunk)
        except ConflictError:
            self.release_held(taken, execution_id)
            raise

    def holder(self, lock_id: str) -> str | None:
        found = self.table.get({"lockId": lock_id})
        return str(found["executionId"]) if found else None

    def release_held(self, lock_ids: Sequence[str], execution_id: str) -> None:
        """Only a holder ever deletes its locks, so reading them first and deleting ours leaves no
        window for another's lock."""
        items = self.table.batch_get([{"lockId": i} for i in dict.fromkeys(lock_ids)])
        held = [item["lockId"] for item in items if item.get("executionId") == execution_id]
        self.table.batch_delete([{"lockId": lock_id} for lock_id in held])

    def holders(self) -> dict[str, HeldLocks]:
        found: dict[str, HeldLocks] = {}
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.scan_page(start_key=start)
            for item in items:
                rules.add_held(found, str(item["executionId"]), str(item["lockId"]), str(item["since"]))
            if not start:
                return found


class DynamoCatalog:
    """Protection groups or recovery plans with unique names. A name is claimed by an item whose key
    is ``NAME#<lower-case name>``, written in the same transaction as the entity, so two creates with
    one name cannot both win. Every update is conditional on the version read."""

    def __init__(self, table: Table, kind: Kind) -> None:
        self.table = table
        self.kind = kind

    def get(self, entity_id: str) -> dict[str, Any]:
        item = None if entity_id.startswith(NAME_PREFIX) else self.table.get({self.kind.key: entity_id})
        if item is None:
            raise rules.not_found(self.kind, entity_id)
        return item

    def all(self) -> list[dict[str, Any]]:
        """Every entity, by name (a catalog holds hundreds of entries, not millions)."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page, start = self.table.scan_page(
                start_key=start,
                filter_expression="NOT begins_with(#k, :p)",
                names={"#k": self.kind.key},
                values={":p": NAME_PREFIX},
            )
            items += page
            if not start:
                return sorted(items, key=lambda i: str(i.get("name", "")).lower())

    def create(self, fields: Mapping[str, Any], *, now: str) -> dict[str, Any]:
        item = rules.new_entity(self.kind, fields, now)
        put = {
            "Put": {
                "TableName": self.table.name,
                "Item": serialize(item),
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": self.kind.key},
            }
        }
        try:
            self.table.transact([self._put_name(str(fields["name"]), item[self.kind.key]), put])
        except StaleWriteError as e:
            raise rules.name_conflict(self.kind, str(fields["name"])) from e
        return item

    def update(self, current: Mapping[str, Any], fields: Mapping[str, Any], *, now: str) -> dict[str, Any]:
        item = rules.next_version(self.kind, current, fields, now)
        entity_id = str(item[self.kind.key])
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": serialize(item),
                    "ConditionExpression": "attribute_exists(#k) AND #v = :v",
                    "ExpressionAttributeNames": {"#k": self.kind.key, "#v": "version"},
                    "ExpressionAttributeValues": serialize({":v": int(current.get("version", 0))}),
                }
            }
        ]
        renamed = name_key(str(fields["name"])) != name_key(str(current["name"]))
        if renamed:
            operations.append(self._put_name(str(fields["name"]), entity_id))
            operations.append(self._delete_name(str(current["name"]), entity_id))
        try:
            self.table.transact(operations)
        except StaleWriteError as e:
            if renamed and self.table.get({self.kind.key: name_key(str(fields["name"]))}):
                raise rules.name_conflict(self.kind, str(fields["name"])) from e
            raise rules.concurrent_update(self.kind, entity_id, "updated") from e
        return item

    def delete(self, current: Mapping[str, Any]) -> None:
        entity_id = str(current[self.kind.key])
        delete = {
            "Delete": {
                "TableName": self.table.name,
                "Key": serialize({self.kind.key: entity_id}),
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": serialize({":v": int(current.get("version", 0))}),
            }
        }
        try:
            self.table.transact([delete, self._delete_name(str(current["name"]), entity_id)])
        except StaleWriteError as e:
            raise rules.concurrent_update(self.kind, entity_id, "deleted") from e

    def _put_name(self, name: str, entity_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table.name,
                "Item": serialize({self.kind.key: name_key(name), "ownerId": entity_id, "name": name}),
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": self.kind.key},
            }
        }

    def _delete_name(self, name: str, entity_id: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table.name,
                "Key": serialize({self.kind.key: name_key(name)}),
                "ConditionExpression": "attribute_not_exists(#k) OR ownerId = :o",
                "ExpressionAttributeNames": {"#k": self.kind.key},
                "ExpressionAttributeValues": serialize({":o": entity_id}),
            }
        }
