"""Repositories over the orchestrator's tables. Every status change is a conditional write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from execution_utils import ACTIVE_STATUSES
from orchestrator import clients
from orchestrator.config import Config, get_config
from orchestrator.dynamo import Expression, Item, Table, serialize
from orchestrator.exceptions import ConflictError, NotFoundError, StaleWriteError

RECORD_TYPE = "EXECUTION"


def server_key(wave_number: int, source_server_id: str) -> str:
    return f"{wave_number:03d}#{source_server_id}"


class ExecutionStore:
    """Execution records: one small item per execution (ids, counters, wave summaries)."""

    def __init__(self, table: Table):
        self.table = table

    def create(self, item: Mapping[str, Any]) -> None:
        self.table.put(
            {**item, "recordType": RECORD_TYPE, "version": 1},
            condition="attribute_not_exists(executionId)",
        )

    def get(self, execution_id: str) -> Item:
        found = self.table.get({"executionId": execution_id})
        if not found:
            raise NotFoundError(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        return found

    def find(self, execution_id: str) -> Item | None:
        return self.table.get({"executionId": execution_id})

    def update(
        self,
        execution: Mapping[str, Any],
        expr: Expression,
        *,
        expect_statuses: Iterable[str] | None = None,
        expect_version: bool = False,
        extra_condition: str | None = None,
    ) -> Item:
        """Update ``execution`` with ``expr``.

        Status changes pass ``expect_version=True`` (the write fails with StaleWriteError if anyone
        changed the record since it was read) and bump the version. Other writes may only require
        the status to still be one of ``expect_statuses``.
        """
        conditions = ["attribute_exists(executionId)"]
        if expect_version:
            conditions.append(f"{expr.name('version')} = {expr.value(execution['version'])}")
            expr.add("version", 1)
        if expect_statuses is not None:
            statuses = sorted(set(expect_statuses))
            placeholders = ", ".join(expr.value(s) for s in statuses)
            conditions.append(f"{expr.name('status')} IN ({placeholders})")
        if extra_condition:
            conditions.append(extra_condition)
        return self.table.update(
            {"executionId": execution["executionId"]}, expr, condition=" AND ".join(conditions)
        )

    def list_page(
        self,
        *,
        plan_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        start_key: Mapping[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """Newest first, by plan, by status, or all."""
        if plan_id:
            index, attr, value = "PlanIndex", "planId", plan_id
        elif status:
            index, attr, value = "StatusIndex", "status", status
        else:
            index, attr, value = "TimeIndex", "recordType", RECORD_TYPE
        names = {"#k": attr}
        filter_expression = None
        values: dict[str, Any] = {":k": value}
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

    def active(self) -> Iterator[Item]:
        """Every execution whose status is active, page by page through the status index."""
        for status in sorted(ACTIVE_STATUSES):
            yield from self.table.query_all(
                index="StatusIndex",
                key_condition="#s = :s",
                names={"#s": "status"},
                values={":s": str(status)},
            )

    def terminating(self) -> Iterator[Item]:
        """Executions whose recovery instances are being terminated (sparse index)."""
        yield from self.table.query_all(
            index="TerminationIndex",
            key_condition="#t = :t",
            names={"#t": "terminationPending"},
            values={":t": "PENDING"},
        )


class ServerStore:
    """Per-server data of an execution, one item per server (kept out of the execution item)."""

    def __init__(self, table: Table):
        self.table = table

    def put_many(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.table.batch_put(items)

    def wave(self, execution_id: str, wave_number: int) -> list[Item]:
        return list(
            self.table.query_all(
                key_condition="#e = :e AND begins_with(#k, :w)",
                names={"#e": "executionId", "#k": "serverKey"},
                values={":e": execution_id, ":w": f"{wave_number:03d}#"},
                consistent=True,
            )
        )

    def all(self, execution_id: str) -> Iterator[Item]:
        yield from self.table.query_all(
            key_condition="#e = :e", names={"#e": "executionId"}, values={":e": execution_id}, consistent=True
        )

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
    ) -> tuple[list[Item], dict[str, Any] | None]:
        return self.table.query_page(
            key_condition="#e = :e",
            names={"#e": "executionId"},
            values={":e": execution_id},
            limit=limit,
            start_key=start_key,
            consistent=True,
        )


class LockStore:
    """Exclusive locks (a plan, a source server) held by one active execution at a time."""

    def __init__(self, table: Table):
        self.table = table

    def acquire(self, lock_ids: Sequence[str], execution_id: str, held_since: str) -> None:
        """All or nothing: on a conflict, the locks taken so far are released and ConflictError names
        the lock and the execution holding it."""
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
                    raise self._conflict(chunk, execution_id) from e
                taken.extend(chunk)
        except ConflictError:
            self.release(taken)
            raise

    def _conflict(self, lock_ids: Sequence[str], execution_id: str) -> ConflictError:
        for lock_id in lock_ids:
            holder = self.table.get({"lockId": lock_id})
            if holder and holder.get("executionId") != execution_id:
                kind, _, ident = lock_id.partition("#")
                what = "recovery plan" if kind == "PLAN" else "source server"
                return ConflictError(
                    f"{what} {ident} is already in active execution {holder['executionId']}",
                    code="PLAN_ALREADY_RUNNING" if kind == "PLAN" else "SERVER_IN_ACTIVE_EXECUTION",
                    details={"lockId": lock_id, "executionId": holder["executionId"]},
                )
        return ConflictError(
            "another execution took a lock at the same time; try again", code="LOCK_CONFLICT"
        )

    def holder(self, lock_id: str) -> str | None:
        found = self.table.get({"lockId": lock_id})
        return str(found["executionId"]) if found else None

    def release(self, lock_ids: Sequence[str]) -> None:
        self.table.batch_delete([{"lockId": lock_id} for lock_id in lock_ids])


@dataclass(frozen=True)
class Stores:
    executions: ExecutionStore
    servers: ServerStore
    locks: LockStore
    groups: Table
    plans: Table

    @classmethod
    def from_config(cls, config: Config | None = None, dynamodb: Any = None) -> Stores:
        config = config or get_config()
        ddb = dynamodb or clients.client("dynamodb")
        return cls(
            executions=ExecutionStore(Table(config.executions_table, ddb)),
            servers=ServerStore(Table(config.execution_servers_table, ddb)),
            locks=LockStore(Table(config.locks_table, ddb)),
            groups=Table(config.protection_groups_table, ddb),
            plans=Table(config.recovery_plans_table, ddb),
        )
