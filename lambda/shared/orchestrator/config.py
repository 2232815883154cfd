"""Configuration read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


class ConfigError(RuntimeError):
    """A required environment variable is missing or malformed."""


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from e


def _names(name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list (a CommaDelimitedList stack parameter joined again), blanks dropped."""
    return tuple(n.strip() for n in os.environ.get(name, default).split(",") if n.strip())


@dataclass(frozen=True)
class Config:
    executions_table: str
    execution_servers_table: str
    protection_groups_table: str
    recovery_plans_table: str
    locks_table: str
    state_machine_arn: str
    timeline_table: str = ""
    # Each plan's readiness verdict and each source server's last drill.
    readiness_table: str = ""
    reports_bucket: str = ""
    # Where the scheduled readiness check announces a changed verdict (SNS topic, EventBridge bus).
    topic_arn: str = ""
    event_bus_name: str = "default"
    poll_min_seconds: int = 15
    poll_max_seconds: int = 120
    default_wave_timeout_minutes: int = 120
    drs_max_servers_per_job: int = 100
    drs_max_concurrent_jobs: int = 20
    drs_max_servers_in_active_jobs: int = 500
    # The Region the stack runs and recovers in (Lambda sets AWS_REGION).
    region: str | None = None
    # Runbook actions may call only functions named with this prefix, only these Command documents
    # (SSM_COMMAND) and only these Automation documents (SSM_AUTOMATION): stack parameters; the
    # execution handler's IAM policy grants exactly the same.
    action_function_prefix: str = "drs-actions-"
    allowed_ssm_command_documents: tuple[str, ...] = ("AWS-RunShellScript", "AWS-RunPowerShellScript")
    allowed_ssm_automation_documents: tuple[str, ...] = ()
    # The console's Cognito user pool: a console user's request is recorded as that pool's user
    # (looked up by sub); a sign-in through any other pool is recorded by sub and role only.
    user_pool_id: str = ""
    # EventBridge Scheduler: the stack's schedule group, the role Scheduler assumes to invoke the
    # execution handler, and that handler's ARN (the target of every schedule). Empty: no schedules.
    schedule_group_name: str = ""
    scheduler_role_arn: str = ""
    schedule_target_arn: str = ""
    # The console's address (https://...): chat messages link to its pages ("" without one).
    console_url: str = ""

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            executions_table=_required("EXECUTIONS_TABLE"),
            execution_servers_table=_required("EXECUTION_SERVERS_TABLE"),
            protection_groups_table=_required("PROTECTION_GROUPS_TABLE"),
            recovery_plans_table=_required("RECOVERY_PLANS_TABLE"),
            locks_table=_required("LOCKS_TABLE"),
            state_machine_arn=_required("STATE_MACHINE_ARN"),
            timeline_table=_required("TIMELINE_TABLE"),
            readiness_table=_required("READINESS_TABLE"),
            topic_arn=os.environ.get("TOPIC_ARN", ""),
            event_bus_name=os.environ.get("EVENT_BUS_NAME") or "default",
            reports_bucket=_required("REPORTS_BUCKET"),
            poll_min_seconds=_int("POLL_MIN_SECONDS", 15),
            poll_max_seconds=_int("POLL_MAX_SECONDS", 120),
            default_wave_timeout_minutes=_int("DEFAULT_WAVE_TIMEOUT_MINUTES", 120),
            drs_max_servers_per_job=_int("DRS_MAX_SERVERS_PER_JOB", 100),
            drs_max_concurrent_jobs=_int("DRS_MAX_CONCURRENT_JOBS", 20),
            drs_max_servers_in_active_jobs=_int("DRS_MAX_SERVERS_IN_ACTIVE_JOBS", 500),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
            action_function_prefix=os.environ.get("ACTION_FUNCTION_PREFIX", "drs-actions-"),
            allowed_ssm_command_documents=_names(
                "ALLOWED_SSM_COMMAND_DOCUMENTS", "AWS-RunShellScript,AWS-RunPowerShellScript"
            ),
            allowed_ssm_automation_documents=_names("ALLOWED_SSM_AUTOMATION_DOCUMENTS", ""),
            user_pool_id=os.environ.get("CONSOLE_USER_POOL_ID", ""),
            schedule_group_name=os.environ.get("SCHEDULE_GROUP_NAME", ""),
            scheduler_role_arn=os.environ.get("SCHEDULER_ROLE_ARN", ""),
            schedule_target_arn=os.environ.get("SCHEDULE_TARGET_ARN", ""),
            console_url=os.environ.get("CONSOLE_URL", ""),
        )


@cache
def get_config() -> Config:
    """The configuration of this process, read at first use (cold start)."""
    return Config.from_env()
