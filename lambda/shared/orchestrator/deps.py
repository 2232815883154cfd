"""The dependencies operations run with, built once per process and injectable in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from orchestrator.aws import clients
from orchestrator.aws.drs import Drs
from orchestrator.aws.ec2 import Ec2
from orchestrator.aws.functions import Functions
from orchestrator.aws.launch import LaunchAws, LaunchPort
from orchestrator.aws.ports import (
    DrsPort,
    Ec2Port,
    FunctionsPort,
    PricingPort,
    Schedules,
    SsmPort,
    StateMachinePort,
)
from orchestrator.aws.pricing import Pricing
from orchestrator.aws.scheduler import Scheduler
from orchestrator.aws.sfn import StepFunctions
from orchestrator.aws.ssm import Ssm
from orchestrator.aws.users import CognitoUsers
from orchestrator.config import Config, get_config
from orchestrator.identity import UserDirectory
from orchestrator.notify.cleanup import CleanupAnnouncer
from orchestrator.notify.drill_schedule import DrillScheduleNotifier
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
    # The stack's EventBridge Scheduler schedules (None when the stack names no schedule group).
    schedules: Schedules | None = None
    # Where the automatic cleanup's warning and end are announced (None without a topic).
    cleanup_announcer: CleanupAnnouncer | None = None
    # Where a skipped scheduled drill is announced (None without a topic).
    drill_notifier: DrillScheduleNotifier | None = None
    # The AWS Price List (None: every price unknown, so a cost lists hours only).
    pricing: PricingPort | None = None
    # DRS launch configurations and their EC2 launch templates (a group's launch settings).
    launch: LaunchPort | None = None

    @classmethod
    def from_config(cls, config: Config) -> Deps:
        # The stack's notification channels (none without a topic: nothing is announced).
        channels = (
            (
                SnsPublisher(clients.client("sns"), config.topic_arn, config.console_url),
                EventBusPublisher(clients.client("events"), config.event_bus_name),
            )
            if config.topic_arn
            else None
        )
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
            announcer=ReadinessAnnouncer(*channels, config.console_url) if channels else None,
            schedules=Scheduler(
                clients.client("scheduler"),
                group=config.schedule_group_name,
                target_arn=config.schedule_target_arn,
                role_arn=config.scheduler_role_arn,
            )
            if config.schedule_group_name
            else None,
            cleanup_announcer=CleanupAnnouncer(*channels, config.console_url) if channels else None,
            drill_notifier=DrillScheduleNotifier(*channels, config.console_url) if channels else None,
            pricing=Pricing(clients.client("pricing")),
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
