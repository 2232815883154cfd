"""Repositories over the orchestrator's tables. Every status change is a conditional write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from execution_utils import ACTIVE_STATUSES, TERMINAL_WAVE_STATUSES, WavePhase, WaveStatus
from orchestrator import clients, timeutil
from orchestrator.config import Config, get_config
from orchestrator.dynamo import Expression, Item, Table, serialize
from orchestrator.exceptions import ConflictError, NotFoundError, StaleWriteError

RECORD_TYPE = "EXECUTION"
PLAN_LOCK = "PLAN#"
SERVER_LOCK = "SERVER#"


def execution_lock_ids(plan_id: str, server_ids: Sequence[str]) -> list[str]:
    """The locks an execution holds while active: its plan and every server it recovers."""
    return [f"{PLAN_LOCK}{plan_id}", *(f"{SERVER_LOCK}{sid}" for sid in server_ids)]


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

    def forget_task_token(self, execution: Mapping[str, Any], token: str) -> Item:
        """Remove the task token once delivered, unless a newer pause already replaced it."""
        expr = Expression().remove("taskToken").remove("taskActionTime")
        condition = f"{expr.name('taskToken')} = {expr.value(token)}"
        try:
            return self.table.update(
                {"executionId": execution["executionId"]},
                expr,
                condition=f"attribute_exists(executionId) AND {condition}",
            )
        except StaleWriteError:
            return self.get(str(execution["executionId"]))

    # --- wave records, each write named by what it means ------------------------------------------
    def add_wave_job(self, execution: Mapping[str, Any], index: int, job_id: str) -> Item:
        """Record a DRS job of a wave exactly once, whatever the execution's status (a job once
        submitted is followed to its end, so it must never be lost)."""
        expr = Expression().append(f"waves[{index}].jobIds", [job_id])
        condition = f"NOT contains({expr.name(f'waves[{index}].jobIds')}, {expr.value(job_id)})"
        try:
            return self.table.update(
                {"executionId": execution["executionId"]},
                expr,
                condition=f"attribute_exists(executionId) AND {condition}",
            )
        except StaleWriteError:
            return self.get(str(execution["executionId"]))

    def _wave_update(
        self, execution: Mapping[str, Any], index: int, expr: Expression, extra: str | None = None
    ) -> Item | None:
        """Update a wave that is still IN_PROGRESS; None when it no longer is."""
        prefix = f"waves[{index}]"
        condition = f"{expr.name(f'{prefix}.status')} = {expr.value(str(WaveStatus.IN_PROGRESS))}"
        try:
            return self.update(
                execution,
                expr,
                expect_statuses=ACTIVE_STATUSES,
                extra_condition=f"{condition} AND {extra}" if extra else condition,
            )
        except StaleWriteError:
            return None

    def record_queued(
        self, execution: Mapping[str, Any], index: int, *, queued_since: str, reason: str
    ) -> None:
        prefix = f"waves[{index}]"
        expr = Expression().set(f"{prefix}.phase", str(WavePhase.QUEUED_FOR_CAPACITY))
        expr.set(f"{prefix}.queuedTime", queued_since).set(f"{prefix}.queuedReason", reason)
        self._wave_update(execution, index, expr)

    def record_submitted(self, execution: Mapping[str, Any], index: int) -> None:
        """Every server of the wave is in a DRS job: the wave's own clock (its timeout) starts now."""
        prefix = f"waves[{index}]"
        expr = Expression().set_if_missing(f"{prefix}.submittedTime", timeutil.iso())
        expr.remove(f"{prefix}.queuedReason")
        phase = execution["waves"][index].get("phase")
        if phase == WavePhase.QUEUED_FOR_CAPACITY:
            expr.set(f"{prefix}.phase", str(WavePhase.SUBMITTED))
        self._wave_update(execution, index, expr)

    def fail_wave(
        self, execution: Mapping[str, Any], index: int, error: str, *, only_if_no_jobs: bool
    ) -> None:
        """The wave could not start. With ``only_if_no_jobs``, a job recorded meanwhile (by a
        concurrent attempt) wins and the wave goes on."""
        prefix = f"waves[{index}]"
        expr = Expression().set(f"{prefix}.status", str(WaveStatus.FAILED))
        expr.set(f"{prefix}.endTime", timeutil.iso()).set(f"{prefix}.error", error).remove(f"{prefix}.phase")
        extra = None
        if only_if_no_jobs:
            jobs = expr.name(f"{prefix}.jobIds")
            extra = f"(attribute_not_exists({jobs}) OR size({jobs}) = {expr.value(0)})"
        self._wave_update(execution, index, expr, extra)

    def record_poll(
        self,
        execution: Mapping[str, Any],
        index: int,
        *,
        status: WaveStatus,
        phase: WavePhase | None,
        facts: Mapping[str, Any],
        jobs_finished: bool,
        error: str | None,
        completed_waves: int,
        now: str,
    ) -> bool:
        """What a poll learned of a wave still IN_PROGRESS; False when the wave no longer was."""
        prefix = f"waves[{index}]"
        expr = Expression().set(f"{prefix}.status", str(status))
        expr.set(f"{prefix}.phase", str(phase) if phase else None)
        for key, value in facts.items():
            expr.set(f"{prefix}.{key}", value)
        if jobs_finished:
            expr.set(f"{prefix}.jobsFinished", True)
        if status in TERMINAL_WAVE_STATUSES:
            expr.set(f"{prefix}.endTime", now)
        if error:
            expr.set(f"{prefix}.error", error)
        expr.remove(f"{prefix}.pollErrors").remove(f"{prefix}.pollError")
        expr.set("lastPolledTime", now).set("completedWaves", completed_waves)
        return self._wave_update(execution, index, expr) is not None

    def record_poll_error(
        self, execution: Mapping[str, Any], index: int, message: str, failures: int | None
    ) -> None:
        """The last poll could not read DRS or EC2; ``failures`` counts errors that are not passing."""
        prefix = f"waves[{index}]"
        expr = Expression().set(f"{prefix}.pollError", message).set(f"{prefix}.pollErrors", failures)
        self._wave_update(execution, index, expr)

    def record_followed(
        self, execution: Mapping[str, Any], index: int, facts: Mapping[str, Any], jobs_finished: bool
    ) -> None:
        """After the end: what the DRS jobs of a wave launched since (statuses untouched)."""
        prefix = f"waves[{index}]"
        expr = Expression()
        for key in ("progress", "recoveryInstances", "failedServers", "warnings"):
            expr.set(f"{prefix}.{key}", facts[key])
        if jobs_finished:
            expr.set(f"{prefix}.jobsFinished", True)
        self.table.update(
            {"executionId": execution["executionId"]}, expr, condition="attribute_exists(executionId)"
        )

    def record_jobs_followed(self, execution: Mapping[str, Any]) -> None:
        expr = Expression().remove("jobsPending").set("jobsFollowedTime", timeutil.iso())
        self.table.update(
            {"executionId": execution["executionId"]}, expr, condition="attribute_exists(executionId)"
        )

    def following_jobs(self) -> Iterator[Item]:
        """Ended executions whose DRS jobs are still followed (sparse index)."""
        yield from self.table.query_all(
            index="JobsIndex",
            key_condition="#j = :j",
            names={"#j": "jobsPending"},
            values={":j": "PENDING"},
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
            self.release_held(taken, execution_id)
            raise

    def _conflict(self, lock_ids: Sequence[str], execution_id: str) -> ConflictError:
        for lock_id in lock_ids:
            holder = self.table.get({"lockId": lock_id})
            if holder and holder.get("executionId") != execution_id:
                kind, _, ident = lock_id.partition("#")  # PLAN_LOCK / SERVER_LOCK
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

    def plan_holder(self, plan_id: str) -> str | None:
        return self.holder(f"{PLAN_LOCK}{plan_id}")

    def release_held(self, lock_ids: Sequence[str], execution_id: str) -> None:
        """Delete those of ``lock_ids`` that ``execution_id`` holds. Only a holder ever deletes its
        locks, so reading them first and deleting ours leaves no window for another's lock."""
        items = self.table.batch_get([{"lockId": i} for i in dict.fromkeys(lock_ids)])
        held = [item["lockId"] for item in items if item.get("executionId") == execution_id]
        self.table.batch_delete([{"lockId": lock_id} for lock_id in held])

    def holders(self) -> dict[str, HeldLocks]:
        """Every lock by its holder (the table holds only the locks of active executions)."""
        found: dict[str, HeldLocks] = {}
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.scan_page(start_key=start)
            for item in items:
                held = found.setdefault(str(item["executionId"]), HeldLocks([], str(item["since"])))
                held.lock_ids.append(str(item["lockId"]))
                held.since = min(held.since, str(item["since"]))
            if not start:
                return found


@dataclass
class HeldLocks:
    lock_ids: list[str]
    since: str


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
