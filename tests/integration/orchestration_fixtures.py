"""Fixtures for driving the orchestration operations directly: DynamoDB tables built from
template.yaml in moto's server, the DRS simulator (drs_fixtures) on a clock the tests move, and a
recording Step Functions stand-in. The state machine itself runs in the sandbox tests (tests/e2e);
here each operation is called the way the state machine would, so races can be staged exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template, table_logical_ids
from drs_sandbox.drs import DrsSimulator
from orchestrator import timeutil
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.drs import Drs
from orchestrator.ec2 import Ec2
from orchestrator.operations import create, finalize, poll, waves
from orchestrator.store import Stores

pytest_plugins = ["drs_fixtures"]

ENV_OF_TABLE = {
    "ExecutionsTable": "executions_table",
    "ExecutionServersTable": "execution_servers_table",
    "ProtectionGroupsTable": "protection_groups_table",
    "RecoveryPlansTable": "recovery_plans_table",
    "LocksTable": "locks_table",
}


@dataclass
class RecordingStepFunctions:
    """Stands in for the state machine's API: records starts and the actions sent to tokens."""

    state_machine_arn: str = "arn:aws:states:us-east-1:123456789012:stateMachine:test-execution"
    started: list[str] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)

    def start(self, execution_id: str) -> str:
        self.started.append(execution_id)
        self.status[execution_id] = "RUNNING"
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + execution_id

    def send_action(self, token: str, action: str) -> None:
        self.actions.append((token, action))

    def describe(self, arn: str) -> dict[str, Any]:
        return {"status": self.status.get(arn.rsplit(":", 1)[-1], "DOES_NOT_EXIST")}


@dataclass
class Orchestration:
    deps: Deps
    sim: DrsSimulator
    clock: Any
    sfn: RecordingStepFunctions

    def add_group(self, name: str, server_ids: list[str], **extra: Any) -> str:
        group = self.deps.stores.groups.create(
            {"name": f"{name}-{uuid.uuid4().hex[:8]}", "sourceServerIds": server_ids, **extra}
        )
        return str(group["groupId"])

    def add_plan(self, waves_spec: list[tuple[str, list[str], bool]], **options: Any) -> str:
        plan_waves = [
            {"waveName": n, "protectionGroupIds": g, "pauseBeforeWave": p} for n, g, p in waves_spec
        ]
        item: dict[str, Any] = {"name": f"plan-{uuid.uuid4().hex[:8]}", "waves": plan_waves}
        if options:
            item["options"] = options
        return str(self.deps.stores.plans.create(item)["planId"])

    def servers(self, count: int, **spec: Any) -> list[str]:
        specs = [
            {
                "hostname": f"host-{uuid.uuid4().hex[:6]}",
                "phaseDurations": {"snapshot": 60, "conversion": 120, "launch": 60, "boot": 30},
                **spec,
            }
            for _ in range(count)
        ]
        return [s["sourceServerID"] for s in self.sim.add_source_servers(specs)]

    def start(self, plan_id: str, execution_type: str = "DRILL") -> dict[str, Any]:
        return create.create_execution(self.deps, plan_id, execution_type)

    def get(self, execution_id: str) -> dict[str, Any]:
        return self.deps.stores.executions.get(execution_id)

    def run_wave(
        self, state: dict[str, Any], *, step_seconds: float = 60, max_polls: int = 100
    ) -> dict[str, Any]:
        """start_wave, then poll with the simulator's clock moved between polls, until done."""
        return self.poll_wave(dict(waves.start_wave(self.deps, state)), step_seconds, max_polls)

    def poll_wave(
        self, state: dict[str, Any], step_seconds: float = 60, max_polls: int = 100
    ) -> dict[str, Any]:
        """Poll with the simulator's clock moved between polls until the wave is done."""
        for _ in range(max_polls):
            self.clock.advance(step_seconds)
            state = dict(poll.poll(self.deps, state))
            if state["waveDone"]:
                return state
        raise AssertionError("the wave did not finish")

    def run_to_end(self, execution_id: str, *, resume: bool = True) -> dict[str, Any]:
        """Drive the operations as the state machine does, until finalize."""
        state: dict[str, Any] = {"executionId": execution_id, "waveIndex": 0, "pollCount": 0}
        for _ in range(50):
            state = dict(waves.advance(self.deps, state))
            if state["next"] == "FINALIZE":
                finalize.finalize(self.deps, state)
                return self.get(execution_id)
            if state["next"] == "PAUSE":
                if not resume:
                    return self.get(execution_id)
                waves.pause(self.deps, state, f"token-{uuid.uuid4().hex}")
                from orchestrator.operations import control

                control.resume(self.deps, execution_id)
                continue
            state = self.run_wave(state)
        raise AssertionError("the execution did not finish")


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
        sfn=sfn,  # type: ignore[arg-type]
    )
    # The orchestrator's clock follows the simulator's, so wave timeouts and durations are simulated.
    timeutil.set_clock(lambda: datetime.fromtimestamp(drs_clock(), UTC))
    try:
        yield Orchestration(deps=deps, sim=drs_sim, clock=drs_clock, sfn=sfn)
    finally:
        timeutil.set_clock(None)
        for name in names.values():
            ddb.delete_table(TableName=name)
