"""The stores: executions (methods named by intent), per-server data, locks, and the catalog of
groups and plans, each behind a port with a DynamoDB and an in-memory implementation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.aws import clients
from orchestrator.aws.dynamo import Table
from orchestrator.config import Config, get_config
from orchestrator.store.drill_schedules import DrillScheduleStore, DynamoDrillSchedules, MemoryDrillSchedules
from orchestrator.store.dynamodb import DynamoCatalog, DynamoExecutions, DynamoLocks, DynamoServers
from orchestrator.store.executions import ExecutionStore
from orchestrator.store.memory import MemoryCatalog, MemoryExecutions, MemoryLocks, MemoryServers
from orchestrator.store.ports import (
    GROUP,
    PLAN,
    CatalogStore,
    LockStore,
    PriceStore,
    ReadinessStore,
    ServerStore,
    TimelineStore,
)
from orchestrator.store.prices import DynamoPrices, MemoryPrices
from orchestrator.store.readiness import DynamoReadiness, MemoryReadiness
from orchestrator.store.timeline import DynamoTimeline, MemoryTimeline
from orchestrator.timeutil import system_clock


@dataclass(frozen=True)
class Stores:
    executions: ExecutionStore
    servers: ServerStore
    locks: LockStore
    groups: CatalogStore
    plans: CatalogStore
    timeline: TimelineStore
    readiness: ReadinessStore
    # A plan's drill schedule as applied to Scheduler, and its recent runs (the readiness table).
    drill_schedules: DrillScheduleStore
    # Hourly prices of instance types (in the readiness table): what a drill cost.
    prices: PriceStore = field(default_factory=MemoryPrices)
    # The clock that stamps each server and timeline write (changedAt) and dates the cursors
    # handed to readers: one clock for both, so a cursor and the stamps compare.
    change_clock: Callable[[], datetime] = system_clock

    @classmethod
    def from_config(
        cls,
        config: Config | None = None,
        dynamodb: Any = None,
        change_clock: Callable[[], datetime] = system_clock,
    ) -> Stores:
        """The DynamoDB stores of the stack's tables."""
        config = config or get_config()
        ddb = dynamodb or clients.client("dynamodb")
        return cls(
            executions=ExecutionStore(DynamoExecutions(Table(config.executions_table, ddb))),
            servers=DynamoServers(Table(config.execution_servers_table, ddb), change_clock),
            locks=DynamoLocks(Table(config.locks_table, ddb)),
            groups=DynamoCatalog(Table(config.protection_groups_table, ddb), GROUP),
            plans=DynamoCatalog(Table(config.recovery_plans_table, ddb), PLAN),
            timeline=DynamoTimeline(Table(config.timeline_table, ddb), change_clock),
            readiness=DynamoReadiness(Table(config.readiness_table, ddb)),
            drill_schedules=DynamoDrillSchedules(Table(config.readiness_table, ddb)),
            prices=DynamoPrices(Table(config.readiness_table, ddb)),
            change_clock=change_clock,
        )

    @classmethod
    def in_memory(cls, change_clock: Callable[[], datetime] = system_clock) -> Stores:
        return cls(
            executions=ExecutionStore(MemoryExecutions()),
            servers=MemoryServers(change_clock),
            locks=MemoryLocks(),
            groups=MemoryCatalog(GROUP),
            plans=MemoryCatalog(PLAN),
            timeline=MemoryTimeline(change_clock),
            readiness=MemoryReadiness(),
            drill_schedules=MemoryDrillSchedules(),
            change_clock=change_clock,
        )
