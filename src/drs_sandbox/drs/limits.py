"""DRS service quotas, and the admission rules a new job must pass."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from drs_sandbox.drs import errors
from drs_sandbox.drs.jobs import Job
from drs_sandbox.drs.servers import SourceServer


@dataclass(frozen=True)
class DrsLimits:
    """DRS service quotas the simulator enforces (defaults are DRS's own)."""

    max_servers_per_start_recovery: int = 200
    max_servers_per_job: int = 100
    max_concurrent_jobs: int = 20
    max_servers_in_active_jobs: int = 500
    # Largest page a Describe* call returns, whatever maxResults asks for.
    max_results_per_page: int = 1000

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DrsLimits.{name} must be an integer of at least 1, got {value!r}")


DEFAULT_LIMITS = DrsLimits()


def check_job_admission(
    limits: DrsLimits, active_jobs: Collection[Job], servers: Sequence[SourceServer], operation: str
) -> None:
    """DRS's per-job, concurrency and one-active-job-per-server rules, for a new job of `servers`.

    They apply to every job, LAUNCH (StartRecovery) and TERMINATE (TerminateRecoveryInstances).
    """
    if len(servers) > limits.max_servers_per_job:
        # DRS does not split a request into several jobs: a caller with more servers than one
        # job may hold must chunk them itself (the orchestrator does), else it gets this quota error.
        raise errors.quota_exceeded(
            f"{operation} of {len(servers)} source servers exceeds the maximum of "
            f"{limits.max_servers_per_job} source servers in a single job",
            "MaxSourceServersPerJob",
        )
    for server in servers:
        if server.active_job_id is not None:
            raise errors.conflict(
                "SOURCE_SERVER",
                server.id,
                f"Source server {server.id} is already participating in active job {server.active_job_id}",
            )
    if len(active_jobs) >= limits.max_concurrent_jobs:
        raise errors.quota_exceeded(
            f"There are already {len(active_jobs)} active jobs; the maximum is {limits.max_concurrent_jobs}",
            "MaxConcurrentJobs",
        )
    busy = sum(len(job.participants) for job in active_jobs)
    if busy + len(servers) > limits.max_servers_in_active_jobs:
        raise errors.quota_exceeded(
            f"{busy} source servers are in active jobs; {len(servers)} more would exceed the maximum "
            f"of {limits.max_servers_in_active_jobs} source servers in all active jobs",
            "MaxSourceServersInActiveJobs",
        )
