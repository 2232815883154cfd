"""The ports of the AWS services the operations call besides DynamoDB. Production code uses the
adapters in drs.py, ec2.py, sfn.py, functions.py, ssm.py and scheduler.py; tests use in-memory versions of the
same protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from orchestrator.aws.functions import Invocation


class DrsPort(Protocol):
    """AWS Elastic Disaster Recovery: batched calls; errors arrive as domain errors."""

    def all_source_servers(self) -> list[dict[str, Any]]: ...

    def launch_configuration(self, source_server_id: str) -> dict[str, Any]: ...

    def latest_recovery_snapshot(self, source_server_id: str) -> dict[str, Any] | None: ...

    def start_recovery(
        self, source_server_ids: Sequence[str], *, is_drill: bool, tags: dict[str, str]
    ) -> dict[str, Any]: ...

    def jobs(self, job_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def jobs_since(self, from_date: str) -> list[dict[str, Any]]: ...

    def active_jobs(self, now: datetime) -> list[dict[str, Any]]: ...

    def job_log_items(self, job_id: str) -> list[dict[str, Any]]: ...

    def recovery_instances(self, recovery_instance_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def recovery_instances_of_servers(self, source_server_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def terminate_recovery_instances(
        self, recovery_instance_ids: Sequence[str], *, batch_size: int = ...
    ) -> list[dict[str, Any]]: ...


class Ec2Port(Protocol):
    def instances(self, instance_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Instance id -> {ec2State, privateIp, privateDnsName, instanceType, launchTime}."""

    def status_checks_ok(self, instance_ids: Sequence[str]) -> dict[str, bool]: ...

    def launch_template_problems(self, template_id: str) -> list[str]:
        """What is wrong with a launch template (missing, or its subnet or security groups)."""


class StateMachinePort(Protocol):
    def start(self, execution_id: str) -> str: ...

    def send_action(self, task_token: str, action: str) -> None: ...

    def describe(self, execution_arn: str) -> dict[str, Any]: ...


class FunctionsPort(Protocol):
    """AWS Lambda: the synchronous invocation of a runbook's function."""

    def invoke(self, name: str, event: Mapping[str, Any]) -> Invocation: ...


@dataclass(frozen=True)
class Command:
    """A Run Command request: the document, the instances it runs on, its parameters, how long it may
    run (seconds) and the comment SSM shows with it."""

    document: str
    instance_ids: Sequence[str]
    parameters: Mapping[str, list[str]]
    timeout_seconds: int
    comment: str


class SsmPort(Protocol):
    """AWS Systems Manager: Run Command and Automation, for runbook actions."""

    def send_command(self, command: Command) -> list[str]: ...

    def command_results(self, command_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def start_automation(self, *, document: str, parameters: Mapping[str, list[str]]) -> str: ...

    def automation(self, automation_id: str) -> dict[str, Any]: ...


class Schedules(Protocol):
    """EventBridge Scheduler: the stack's schedules, each invoking the execution handler with a payload."""

    def put(
        self,
        name: str,
        *,
        expression: str,
        payload: Mapping[str, Any],
        timezone: str | None = None,
        enabled: bool = True,
        one_time: bool = False,
        description: str = "",
    ) -> None:
        """Create or update the schedule ``name`` (idempotent)."""

    def delete(self, name: str) -> None:
        """Delete the schedule ``name``; a missing schedule is fine (idempotent)."""


class PricingPort(Protocol):
    """The AWS Price List: an hourly on-demand price (aws/pricing.py)."""

    def hourly_price(self, instance_type: str, region: str, operating_system: str) -> float | None:
        """USD per hour; None when the Price List has no such product."""
