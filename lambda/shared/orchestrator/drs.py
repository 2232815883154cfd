"""DRS adapter: batched calls only, ClientErrors turned into domain errors at this edge."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.exceptions import (
    ConflictError,
    DependencyError,
    NotFoundError,
    TransientError,
    ValidationFailedError,
)

# Request limits of the DRS API model.
MAX_SERVERS_PER_START_RECOVERY = 200
MAX_FILTER_SOURCE_SERVER_IDS = 200
MAX_FILTER_JOB_IDS = 1000
MAX_FILTER_RECOVERY_INSTANCE_IDS = 200
MAX_TERMINATE_IDS = 200
ACTIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})

_TRANSIENT = {"ThrottlingException", "InternalServerException", "RequestTimeout", "ServiceUnavailable"}


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _translate(error: ClientError | BotoCoreError, what: str) -> Exception:
    if isinstance(error, BotoCoreError):
        return TransientError(f"DRS {what} could not be reached: {error}")
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if code in _TRANSIENT:
        return TransientError(f"DRS {what} is throttled or unavailable ({code})")
    if code == "ConflictException":
        return ConflictError(f"DRS refused {what}: {message}", code="DRS_CONFLICT")
    if code == "ResourceNotFoundException":
        return NotFoundError(f"DRS {what}: {message}", code="DRS_RESOURCE_NOT_FOUND")
    if code == "ServiceQuotaExceededException":
        return DependencyError(f"DRS quota exceeded in {what}: {message}", code="DRS_QUOTA_EXCEEDED")
    if code == "ValidationException":
        return ValidationFailedError(f"DRS rejected {what}: {message}", code="DRS_VALIDATION")
    return DependencyError(f"DRS {what} failed ({code}): {message}", code="DRS_ERROR")


class Drs:
    def __init__(self, client: Any):
        self.client = client

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise _translate(e, operation) from e
        return response

    def _paginate(self, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._call(operation, **kwargs, **({"nextToken": token} if token else {}))
            yield from page.get("items", [])
            token = page.get("nextToken")
            if not token:
                return

    def all_source_servers(self) -> list[dict[str, Any]]:
        return list(self._paginate("describe_source_servers", filters={}, maxResults=200))

    def source_servers(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(sorted(set(ids)), MAX_FILTER_SOURCE_SERVER_IDS):
            found.extend(self._paginate("describe_source_servers", filters={"sourceServerIDs": chunk}))
        return found

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
