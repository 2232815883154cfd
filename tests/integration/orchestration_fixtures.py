"""Fixtures for driving the orchestration operations directly: DynamoDB tables built from
template.yaml in moto's server, the DRS simulator (drs_fixtures) on a clock the tests move, and a
recording Step Functions stand-in. The state machine itself runs in the sandbox tests (tests/e2e);
here each operation is called the way the state machine would, so races can be staged exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from memory_ports import RecordingStepFunctions
from orchestration_driver import Orchestration

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template, table_logical_ids
from drs_sandbox.drs import DrsSimulator
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.drs import Drs
from orchestrator.ec2 import Ec2
from orchestrator.store import Stores
from orchestrator.timeutil import Clock

pytest_plugins = ["drs_fixtures"]

ENV_OF_TABLE = {
    "ExecutionsTable": "executions_table",
    "ExecutionServersTable": "execution_servers_table",
    "ProtectionGroupsTable": "protection_groups_table",
    "RecoveryPlansTable": "recovery_plans_table",
    "LocksTable": "locks_table",
    "TimelineTable": "timeline_table",
}


@pytest.fixture
def orchestration(
    drs_moto_endpoint: str, drs_client: Any, drs_ec2_client: Any, drs_sim: DrsSimulator, drs_clock: Any
) -> Iterator[Orchestration]:
    template = load_template()
    ddb = boto3.client("dynamodb", endpoint_url=drs_moto_endpoint, region_name="us-east-1")
    suffix = uuid.uuid4().hex[:8]
    names: dict[str, str] = {}
    for logical_id in table_logical_ids(template):
        if logical_id not in ENV_OF_TABLE:
            continue
        name = f"{logical_id}-{suffix}"
        ddb.create_table(**dynamodb_table_kwargs(template, logical_id, name))
        names[ENV_OF_TABLE[logical_id]] = name
    sfn = RecordingStepFunctions()
    config = Config(state_machine_arn=sfn.state_machine_arn, poll_min_seconds=5, poll_max_seconds=60, **names)
    deps = Deps(
        config=config,
        stores=Stores.from_config(config, dynamodb=ddb),
        drs=Drs(drs_client),
        ec2=Ec2(drs_ec2_client),
        sfn=sfn,
        # The orchestrator's clock follows the simulator's, so wave timeouts and durations are simulated.
        clock=Clock(lambda: datetime.fromtimestamp(drs_clock(), UTC)),
    )
    try:
        yield Orchestration(deps=deps, sim=drs_sim, clock=drs_clock, sfn=sfn)
    finally:
        for name in names.values():
            ddb.delete_table(TableName=name)
