"""DRS adapter: batched calls only, ClientErrors turned into domain errors at this edge."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mypy_boto3_drs import DrsClient


from orchestrator import timeutil
from orchestrator.aws.errors import SpecificErrors, translated
from orchestrator.exceptions import CapacityError, ConflictError, NotFoundError, ValidationFailedError

# The DescribeX operations read through boto3's paginators.
Paginated = Literal[
    "describe_source_servers", "describe_jobs", "describe_job_log_items", "describe_recovery_instances"
]

# Request limits of the DRS API model.
MAX_SERVERS_PER_START_RECOVERY = 200
MAX_FILTER_SOURCE_SERVER_IDS = 200
MAX_FILTER_JOB_IDS = 1000
MAX_FILTER_RECOVERY_INSTANCE_IDS = 200
MAX_TERMINATE_IDS = 200
ACTIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})
# DRS jobs older than this are not looked at when counting the account's active jobs.
ACTIVE_JOB_LOOKBACK_SECONDS = 48 * 3600
_OPERATION_NAMES = {
    "describe_source_servers": "DescribeSourceServers",
    "start_recovery": "StartRecovery",
    "describe_jobs": "DescribeJobs",
    "describe_job_log_items": "DescribeJobLogItems",
    "describe_recovery_instances": "DescribeRecoveryInstances",
    "terminate_recovery_instances": "TerminateRecoveryInstances",
    "get_launch_configuration": "GetLaunchConfiguration",
    "describe_recovery_snapshots": "DescribeRecoverySnapshots",
}

_SPECIFIC: SpecificErrors = {
    "ConflictException": lambda m: ConflictError(m, code="DRS_CONFLICT"),
    "ResourceNotFoundException": lambda m: NotFoundError(m, code="DRS_RESOURCE_NOT_FOUND"),
    "ServiceQuotaExceededException": CapacityError,
    "ValidationException": lambda m: ValidationFailedError(m, code="DRS_VALIDATION"),
}


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class Drs:
    def __init__(self, client: DrsClient):
        self.client = client

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        with translated("DRS", _OPERATION_NAMES.get(operation, operation), _SPECIFIC):
            response: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        return response

    def _paginate(
        self, operation: Paginated, page_size: int | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Every item of a DescribeX operation, through boto3's paginator (which follows nextToken).
        Pages are fetched while iterating, so that is where a ClientError surfaces."""
        config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
        with translated("DRS", _OPERATION_NAMES.get(operation, operation), _SPECIFIC):
            # One paginator per operation, each typed by the stubs: the pages' items are plain dicts.
            paginator: Any = self.client.get_paginator(operation)
            for page in paginator.paginate(**kwargs, **config):
                yield from (dict(item) for item in page.get("items", []))

    def all_source_servers(self) -> list[dict[str, Any]]:
        return list(self._paginate("describe_source_servers", page_size=200, filters={}))

    def launch_configuration(self, source_server_id: str) -> dict[str, Any]:
        """GetLaunchConfiguration of one server (NotFoundError DRS_RESOURCE_NOT_FOUND when unknown)."""
        return self._call("get_launch_configuration", sourceServerID=source_server_id)

    def latest_recovery_snapshot(self, source_server_id: str) -> dict[str, Any] | None:
        """The newest point-in-time recovery snapshot of one server, or None when it has none."""
        items = (
            self._call(
                "describe_recovery_snapshots", sourceServerID=source_server_id, order="DESC", maxResults=1
            ).get("items")
            or []
        )
        return dict(items[0]) if items else None

    def start_recovery(
        self, source_server_ids: Sequence[str], *, is_drill: bool, tags: dict[str, str]
    ) -> dict[str, Any]:
        job: dict[str, Any] = self._call(
            "start_recovery",
            sourceServers=[{"sourceServerID": s} for s in source_server_ids],
            isDrill=is_drill,
            tags=tags,
        )["job"]
        return job

    def jobs(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(list(job_ids), MAX_FILTER_JOB_IDS):
            found.extend(self._paginate("describe_jobs", filters={"jobIDs": chunk}))
        return found

    def jobs_since(self, from_date: str) -> list[dict[str, Any]]:
        return list(self._paginate("describe_jobs", filters={"fromDate": from_date}))

    def active_jobs(self, now: datetime) -> list[dict[str, Any]]:
        """Every job of the account still PENDING or STARTED (DRS limits are account-wide)."""
        since = timeutil.iso(now - timedelta(seconds=ACTIVE_JOB_LOOKBACK_SECONDS))
        return [j for j in self.jobs_since(since[:19] + "Z") if j.get("status") in ACTIVE_JOB_STATUSES]

    def job_log_items(self, job_id: str) -> list[dict[str, Any]]:
        return list(self._paginate("describe_job_log_items", jobID=job_id))

    def recovery_instances(self, recovery_instance_ids: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(sorted(set(recovery_instance_ids)), MAX_FILTER_RECOVERY_INSTANCE_IDS):
            found.extend(
                self._paginate("describe_recovery_instances", filters={"recoveryInstanceIDs": chunk})
            )
        return found

    def recovery_instances_of_servers(self, source_server_ids: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(sorted(set(source_server_ids)), MAX_FILTER_SOURCE_SERVER_IDS):
            found.extend(self._paginate("describe_recovery_instances", filters={"sourceServerIDs": chunk}))
        return found

    def terminate_recovery_instances(
        self, recovery_instance_ids: Sequence[str], *, batch_size: int = MAX_TERMINATE_IDS
    ) -> list[dict[str, Any]]:
        """One TERMINATE job per batch (at most 200 ids per call, and no more than a DRS job holds)."""
        jobs: list[dict[str, Any]] = []
        size = max(1, min(batch_size, MAX_TERMINATE_IDS))
        for chunk in chunks(sorted(set(recovery_instance_ids)), size):
            jobs.append(self._call("terminate_recovery_instances", recoveryInstanceIDs=chunk)["job"])
        return jobs
