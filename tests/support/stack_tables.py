"""The orchestrator's DynamoDB tables, created from template.yaml's own definitions (so tests and the
template cannot drift), under names of their own for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template, table_logical_ids

# The Config field naming each table the execution-handler uses.
CONFIG_FIELD_OF_TABLE = {
    "ExecutionsTable": "executions_table",
    "ExecutionServersTable": "execution_servers_table",
    "ProtectionGroupsTable": "protection_groups_table",
    "RecoveryPlansTable": "recovery_plans_table",
    "LocksTable": "locks_table",
    "TimelineTable": "timeline_table",
    "ReadinessTable": "readiness_table",
}


@contextmanager
def stack_tables(ddb: Any) -> Iterator[dict[str, str]]:
    """Create the tables; yield Config keyword arguments naming them; delete them afterwards."""
    template = load_template()
    suffix = uuid.uuid4().hex[:8]
    names: dict[str, str] = {}
    for logical_id in table_logical_ids(template):
        if logical_id in CONFIG_FIELD_OF_TABLE:
            name = f"{logical_id}-{suffix}"
            ddb.create_table(**dynamodb_table_kwargs(template, logical_id, name))
            names[CONFIG_FIELD_OF_TABLE[logical_id]] = name
    try:
        yield names
    finally:
        for name in names.values():
            ddb.delete_table(TableName=name)
