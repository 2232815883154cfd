"""Fixtures for driving the orchestration operations directly: DynamoDB tables built from
template.yaml in moto's server, the DRS simulator (drs_fixtures) on a clock the tests move, and a
recording Step Functions stand-in. The state machine itself runs in the sandbox tests (tests/e2e);
here each operation is called the way the state machine would, so races can be staged exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from memory_ports import InMemoryFunctions, InMemorySsm, RecordingStepFunctions
from orchestration_driver import Orchestration
from stack_tables import stack_tables

from drs_sandbox.drs import DrsSimulator
from orchestrator.aws.drs import Drs
from orchestrator.aws.ec2 import Ec2
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.reports.store import MemoryReports
from orchestrator.store import Stores
from orchestrator.timeutil import Clock

pytest_plugins = ["drs_fixtures"]


@pytest.fixture
def orchestration(
    drs_moto_endpoint: str, drs_client: Any, drs_ec2_client: Any, drs_sim: DrsSimulator, drs_clock: Any
) -> Iterator[Orchestration]:
    ddb = boto3.client("dynamodb", endpoint_url=drs_moto_endpoint, region_name="us-east-1")
    sfn = RecordingStepFunctions()
    with stack_tables(ddb) as names:
        config = Config(
            state_machine_arn=sfn.state_machine_arn, poll_min_seconds=5, poll_max_seconds=60, **names
        )
        deps = Deps(
            config=config,
            stores=Stores.from_config(config, dynamodb=ddb),
            drs=Drs(drs_client),
            ec2=Ec2(drs_ec2_client),
            sfn=sfn,
            reports=MemoryReports(),
            functions=InMemoryFunctions(),
            ssm=InMemorySsm(clock=drs_clock),
            # The orchestrator's clock follows the simulator's, so wave timeouts and durations are simulated.
            clock=Clock(lambda: datetime.fromtimestamp(drs_clock(), UTC)),
        )
        yield Orchestration(deps=deps, sim=drs_sim, clock=drs_clock, sfn=sfn)
