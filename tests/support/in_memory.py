"""The whole orchestration on in-memory ports (no sockets): stores, the DRS simulator in-process
behind the production DRS adapter, EC2, Step Functions, Lambda and SSM, on one fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

from memory_ports import (
    InMemoryEc2,
    InMemoryFunctions,
    InMemorySsm,
    InProcessDrsClient,
    RecordingStepFunctions,
)
from orchestration_driver import Orchestration

from drs_sandbox.drs import DrsSimulator
from orchestrator.aws.drs import Drs
from orchestrator.aws.ec2 import Ec2
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.reports.store import MemoryReports
from orchestrator.store import Stores
from orchestrator.timeutil import Clock


class FakeClock:
    """Simulated time: moves only when a test advances it."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def in_memory_orchestration(**config: object) -> Orchestration:
    clock = FakeClock()
    ec2 = InMemoryEc2()
    sim = DrsSimulator(ec2, clock=clock)
    sfn = RecordingStepFunctions()
    settings: dict[str, object] = {
        "executions_table": "executions",
        "execution_servers_table": "servers",
        "protection_groups_table": "groups",
        "recovery_plans_table": "plans",
        "locks_table": "locks",
        "state_machine_arn": sfn.state_machine_arn,
        "poll_min_seconds": 5,
        "poll_max_seconds": 60,
        **config,
    }
    deps = Deps(
        config=Config(**settings),  # type: ignore[arg-type]
        stores=Stores.in_memory(),
        drs=Drs(InProcessDrsClient(sim)),
        ec2=Ec2(ec2),
        sfn=sfn,
        reports=MemoryReports(),
        functions=InMemoryFunctions(),
        ssm=InMemorySsm(clock=clock),
        clock=Clock(lambda: datetime.fromtimestamp(clock(), UTC)),
    )
    return Orchestration(deps=deps, sim=sim, clock=clock, sfn=sfn)
