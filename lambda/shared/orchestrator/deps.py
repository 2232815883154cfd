"""The dependencies operations run with, built once per process and injectable in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from orchestrator.aws import clients
from orchestrator.aws.drs import Drs
from orchestrator.aws.ec2 import Ec2
from orchestrator.aws.functions import Functions
from orchestrator.aws.launch import LaunchAws, LaunchPort
from orchestrator.aws.ports import DrsPort, Ec2Port, FunctionsPort, SsmPort, StateMachinePort
from orchestrator.aws.sfn import StepFunctions
from orchestrator.aws.ssm import Ssm
from orchestrator.aws.users import CognitoUsers
from orchestrator.config import Config, get_config
from orchestrator.identity import UserDirectory
from orchestrator.notify.publisher import EventBusPublisher, SnsPublisher
from orchestrator.notify.readiness import Announcer, ReadinessAnnouncer
from orchestrator.reports.store import S3Reports
from orchestrator.store import Stores
from orchestrator.store.ports import ReportStore
from orchestrator.timeutil import Clock


@dataclass(frozen=True)
class Deps:
    config: Config
    stores: Stores
    drs: DrsPort
    ec2: Ec2Port
    sfn: StateMachinePort
    reports: ReportStore
    functions: FunctionsPort
    ssm: SsmPort
    clock: Clock = field(default_factory=Clock)
    # The console's user pool (None without one): who acted, for a console user's request.
    users: UserDirectory | None = None
    # Where a changed readiness verdict is announced (None without a topic: nothing is announced).
    announcer: Announcer | None = None
    # DRS launch configurations and their EC2 launch templates (a group's launch settings).
    launch: LaunchPort | None = None

    @classmethod
    def from_config(cls, config: Config) -> Deps:
        return cls(
            config=config,
            stores=Stores.from_config(config),
            drs=Drs(clients.client("drs")),
            ec2=Ec2(clients.client("ec2")),
            sfn=StepFunctions(clients.client("stepfunctions"), config.state_machine_arn),
            reports=S3Reports(clients.client("s3"), config.reports_bucket),
            functions=Functions(clients.client("lambda")),
            ssm=Ssm(clients.client("ssm")),
            users=CognitoUsers(clients.client("cognito-idp"), config.user_pool_id)
            if config.user_pool_id
            else None,
            announcer=ReadinessAnnouncer(
                SnsPublisher(clients.client("sns"), config.topic_arn),
                EventBusPublisher(clients.client("events"), config.event_bus_name),
            )
            if config.topic_arn
            else None,
            launch=LaunchAws(clients.client("drs"), clients.client("ec2")),
        )


@cache
def default_deps() -> Deps:
    """The dependencies of this process, built at first use (cold start)."""
    return Deps.from_config(get_config())


def reset() -> None:
    """Forget the configuration, the clients and the dependencies built from them, so the next use
    reads the environment again (after it changed: a new deployment of the same process)."""
    clients.reset()
    get_config.cache_clear()
    default_deps.cache_clear()
