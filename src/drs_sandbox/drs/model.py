"""The DRS simulator: AWS Elastic Disaster Recovery's job model, in pure Python.

No HTTP here (see app.py) and no background threads: time comes from an injectable clock, and
every call first applies whatever the clock says is due (`_advance`). Phase durations are in
simulated seconds; real elapsed time is simulated / time_scale. Timestamps in responses are the
clock's (wall-clock) times. Recovery instances are backed by real EC2 instances created and
terminated through the EC2 client given (moto in the sandbox).

Every public method takes the simulator's lock, so one simulator may serve several threads.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from drs_sandbox.drs import errors, jobs, request_utils
from drs_sandbox.drs.instances import (
    MANAGED_TAG,
    MANAGED_VALUE,
    SOURCE_SERVER_TAG,
    Ec2Launcher,
    RecoveryInstance,
)
from drs_sandbox.drs.jobs import Job, Participant
from drs_sandbox.drs.launch import LaunchConfiguration, placement_of
from drs_sandbox.drs.limits import DEFAULT_LIMITS, DrsLimits, check_job_admission
from drs_sandbox.drs.servers import (
    REPLICATION_STATES,
    LastLaunch,
    ServerSpec,
    SourceServer,
    SpecError,
    latest_snapshot_at,
    parse_spec,
)
from drs_sandbox.drs.wire import SUPPORTED_OPERATIONS, iso

__all__ = ["DrsLimits", "DrsSimulator"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_METHODS: dict[str, str] = {
    "DescribeSourceServers": "describe_source_servers",
    "StartRecovery": "start_recovery",
    "DescribeJobs": "describe_jobs",
    "DescribeJobLogItems": "describe_job_log_items",
    "DescribeRecoveryInstances": "describe_recovery_instances",
    "TerminateRecoveryInstances": "terminate_recovery_instances",
    "DeleteJob": "delete_job",
    "GetLaunchConfiguration": "get_launch_configuration",
    "UpdateLaunchConfiguration": "update_launch_configuration",
    "DescribeRecoverySnapshots": "describe_recovery_snapshots",
}
assert set(_METHODS) == set(SUPPORTED_OPERATIONS)


class DrsSimulator:
    """Simulates the DRS API: `dispatch(operation, body)` answers as DRS does, in wire shape."""

    def __init__(
        self,
        ec2_client: Any,
        *,
        clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        limits: DrsLimits = DEFAULT_LIMITS,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        rng: random.Random | None = None,
        image_id: str | None = None,
        on_instance_launched: Callable[[RecoveryInstance], None] | None = None,
        launch_templates: bool = False,
    ) -> None:
        if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not time_scale > 0:
            raise ValueError(f"time_scale must be a positive number, got {time_scale!r}")
        self._ec2 = Ec2Launcher(ec2_client, image_id)
        self._clock = clock
        self._time_scale = float(time_scale)
        self._limits = limits
        self._account_id = account_id
        self._region = region
        self._rng = rng if rng is not None else random.Random()
        self._lock = threading.RLock()
        self._seq = 0
        self._servers: dict[str, SourceServer] = {}
        self._jobs: dict[str, Job] = {}  # creation order
        self._active: dict[str, Job] = {}
        self._instances: dict[str, RecoveryInstance] = {}  # launch order
        self._instance_of_server: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._throttle_rate = 0.0
        self._denied: dict[str, int] = {}
        self._initialized = True
        # Told of every recovery instance once its EC2 instance exists (the sandbox makes its EC2
        # instance boot on the recovery instance's timeline: drs_sandbox.ec2_boot).
        self._on_instance_launched = on_instance_launched
        # As DRS does: each source server's EC2 launch template is made when the server is added, and
        # each recovery instance is launched from that template's default version (subnet, security
        # groups, instance type, private IP, tags). Off for simulators over an EC2 fake without
        # launch templates: their templates are made on first GetLaunchConfiguration and launches
        # use the server's own instance type.
        self._launch_templates = launch_templates
        self._launch_configs: dict[str, LaunchConfiguration] = {}

    # ------------------------------------------------------------------ control (sandbox, tests)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def time_scale(self) -> float:
        return self._time_scale

    @property
    def limits(self) -> DrsLimits:
        return self._limits

    def add_source_servers(self, specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add source servers (all or none); returns them as DescribeSourceServers items.

        An entry naming an existing sourceServerId *and* carrying a `commandResult` updates that
        server's commandResult instead (what SSM commands sent to its recovery instance do from now
        on); every other field it gives must agree with the server as it is. Any other entry naming
        an existing id (or an id given twice) is refused, as before.

        Raises ValueError naming the spec and field on a bad spec or a duplicate id.
        """
        return self.put_source_servers(specs)[0]

    def put_source_servers(self, specs: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """`add_source_servers`, also saying how many servers were created (the others were
        updated): (DescribeSourceServers items in the order given, created count)."""
        if not isinstance(specs, list | tuple):
            raise ValueError(f"specs must be a list of source server specs, got {type(specs).__name__}")
        with self._lock:
            parsed: list[tuple[ServerSpec, bool]] = []
            seen: set[str] = set()
            for index, raw in enumerate(specs):
                try:
                    spec = parse_spec(raw, default_id=self._new_id("s-"))
                except SpecError as exc:
                    raise ValueError(f"source server {index}: {exc}") from exc
                existing = self._servers.get(spec.source_server_id)
                if spec.source_server_id in seen or (existing is not None and "commandResult" not in raw):
                    raise ValueError(
                        f"source server {index}: sourceServerId {spec.source_server_id} already exists"
                    )
                if existing is not None:
                    given, current = spec.to_dict(), existing.spec.to_dict()
                    for key in sorted(set(raw) - {"sourceServerId", "commandResult"}):
                        if given.get(key) != current.get(key):
                            raise ValueError(
                                f"source server {index}: sourceServerId {spec.source_server_id} already "
                                f"exists; re-posting it may change its commandResult only, not {key}"
                            )
                seen.add(spec.source_server_id)
                parsed.append((spec, existing is None))
            now = self._clock()
            out = []
            for spec, create in parsed:
                if not create:
                    server = self._servers[spec.source_server_id]
                    server.spec = replace(server.spec, command_result=spec.command_result)
                    out.append(server.to_wire(now))
                    continue
                server = SourceServer(
                    spec=spec,
                    seq=self._next_seq(),
                    added_at=now,
                    arn=self._arn("source-server", spec.source_server_id),
                    region=self._region,
                )
                self._servers[server.id] = server
                out.append(server.to_wire(now))
            if self._launch_templates:
                # As DRS does when servers are added: each gets its launch template now.
                self._ec2.launch_templates(
                    [(spec.source_server_id, spec.instance_type) for spec, create in parsed if create]
                )
            created = sum(1 for _spec, create in parsed if create)
            logger.info("source servers added", extra={"count": created, "updated": len(parsed) - created})
            return out, created

    def stage_replication(
        self, source_server_id: str, *, state: str | None = None, lag_seconds: float | None = None
    ) -> dict[str, Any]:
        """Change how a source server replicates (the sandbox stages a lag that grows or a
        replication that stops); returns its DescribeSourceServers item. ValueError when unknown."""
        with self._lock:
            server = self._servers.get(source_server_id)
            if server is None:
                raise ValueError(f"no source server {source_server_id}")
            if state is not None and state not in REPLICATION_STATES:
                raise ValueError(f"replicationState must be one of {', '.join(sorted(REPLICATION_STATES))}")
            if lag_seconds is not None and (isinstance(lag_seconds, bool) or not lag_seconds >= 0):
                raise ValueError("lagSeconds must be a number of at least 0")
            now = self._clock()
            if state is not None and state != server.spec.replication_state:
                server.spec = replace(server.spec, replication_state=state)
                server.state_changed_at = now
            if lag_seconds is not None:
                server.staged_lag = float(lag_seconds)
            logger.info("replication staged", extra={"sourceServerId": source_server_id, "state": state})
            return server.to_wire(now)

    def command_target(self, instance_id: str) -> ServerSpec | None:
        """The spec of the source server (its commandResult above all) when `instance_id` is a
        recovery instance DRS launched that is not terminating; None otherwise (the sandbox's SSM
        simulator manages those instances only)."""
        with self._lock:
            instance = self._instances.get(instance_id)
            if instance is None or instance.terminating:
                return None
            server = self._servers.get(instance.source_server_id)
            if server is None:
                return None
            return server.spec

    def set_throttle_rate(self, rate: float) -> None:
        """Answer this fraction (0..1) of calls with ThrottlingException (429, Retry-After)."""
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"throttle rate must be a number between 0 and 1, got {rate!r}")
        with self._lock:
            self._throttle_rate = float(rate)

    def deny_operation(self, operation_name: str, times: int = 1) -> None:
        """Answer the next `times` calls of an operation with AccessDeniedException, as DRS does
        when the caller's permissions are revoked (0 clears it)."""
        if operation_name not in _METHODS:
            raise ValueError(f"unknown DRS operation {operation_name!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise ValueError(f"times must be a non-negative integer, got {times!r}")
        with self._lock:
            if times:
                self._denied[operation_name] = times
            else:
                self._denied.pop(operation_name, None)

    def faults(self) -> dict[str, Any]:
        """What is armed: the throttle rate and the denied calls still to come, per operation."""
        with self._lock:
            return {"throttleRate": self._throttle_rate, "denyOperations": dict(self._denied)}

    def clear_faults(self) -> None:
        """No more throttling, no more denied calls."""
        with self._lock:
            self._throttle_rate = 0.0
            self._denied.clear()

    def call_counts(self) -> dict[str, int]:
        """Calls per operation since the last reset, throttled and failed calls included."""
        with self._lock:
            return dict(self._counts)

    def reset_call_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def set_limits(self, limits: DrsLimits) -> None:
        with self._lock:
            self._limits = limits

    def set_initialized(self, initialized: bool) -> None:
        """False makes every operation answer UninitializedAccountException."""
        with self._lock:
            self._initialized = initialized

    def advance(self) -> None:
        """Apply everything due by now (the operations do this themselves)."""
        with self._lock:
            self._advance(self._clock())

    # ------------------------------------------------------------------ API

    def dispatch(self, operation_name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Count the call, maybe throttle it, then answer it (raises DrsApiError)."""
        with self._lock:
            self._counts[operation_name] += 1
            if self._throttle_rate and self._rng.random() < self._throttle_rate:
                raise errors.throttled()
            if self._denied.get(operation_name):
                self._denied[operation_name] -= 1
                if not self._denied[operation_name]:
                    del self._denied[operation_name]
                raise errors.access_denied(operation_name)
            method = _METHODS.get(operation_name)
            if method is None:
                raise errors.validation_error(
                    f"Operation {operation_name} is not supported by the DRS simulator", "unknownOperation"
                )
            try:
                result: dict[str, Any] = getattr(self, method)(body)
            except errors.DrsApiError as error:
                raise errors.as_declared(operation_name, error) from None
            return result

    def describe_source_servers(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._begin("DescribeSourceServers", body)
            filters = body.get("filters") or {}
            servers: Iterable[SourceServer]
            if filters.get("sourceServerIDs"):
                wanted = {i for i in filters["sourceServerIDs"] if i in self._servers}
                servers = sorted((self._servers[i] for i in wanted), key=lambda s: s.seq)
            else:
                servers = self._servers.values()
            if filters.get("hardwareId"):
                servers = [s for s in servers if s.matches_hardware(filters["hardwareId"])]
            if filters.get("stagingAccountIDs"):
                accounts = set(filters["stagingAccountIDs"])
                servers = [s for s in servers if s.spec.staging_account_id in accounts]
            page, token = self._page(list(servers), [s.seq for s in servers], body)
            return request_utils.listing([s.to_wire(now) for s in page], token)

    def start_recovery(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._begin("StartRecovery", body)
            entries = body["sourceServers"]
            limit = self._limits.max_servers_per_start_recovery
            if not 1 <= len(entries) <= limit:
                raise errors.validation_error(
                    f"sourceServers must hold between 1 and {limit} source servers, got {len(entries)}",
                    fields=[{"name": "sourceServers", "message": f"between 1 and {limit} items"}],
                )
            ids = [entry["sourceServerID"] for entry in entries]
            duplicates = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
            if duplicates:
                raise errors.validation_error(
                    f"Source server {duplicates[0]} appears more than once in sourceServers",
                    fields=[{"name": "sourceServers", "message": "duplicate sourceServerID"}],
                )
            missing = [i for i in ids if i not in self._servers]
            if missing:
                raise errors.not_found(
                    "SOURCE_SERVER", missing[0], f"Source server(s) not found: {', '.join(missing)}"
                )
            servers = [self._servers[i] for i in ids]
            check_job_admission(self._limits, self._active.values(), servers, "StartRecovery")
            is_drill = bool(body.get("isDrill", False))
            job = self._new_job(
                "LAUNCH",
                "START_DRILL" if is_drill else "START_RECOVERY",
                now,
                body.get("tags") or {},
                is_drill,
            )
            job.participants = [Participant(server.id) for server in servers]
            jobs.build_launch_steps(
                job,
                [server.spec for server in servers],
                [bool(entry.get("recoverySnapshotID")) for entry in entries],
                time_scale=self._time_scale,
            )
            for server in servers:
                server.active_job_id = job.job_id
                server.last_launch_result = "PENDING"
                server.last_launch = LastLaunch(job.job_id, now, is_drill, "PENDING")
            logger.info(
                "launch job created",
                extra={"jobId": job.job_id, "initiatedBy": job.initiated_by, "servers": len(servers)},
            )
            return {"job": job.to_wire()}

    def _server(self, source_server_id: str) -> SourceServer:
        server = self._servers.get(source_server_id)
        if server is None:
            raise errors.not_found(
                "SOURCE_SERVER", source_server_id, f"Source server {source_server_id} not found"
            )
        return server

    def _template_of(self, server: SourceServer) -> str:
        return self._ec2.launch_template(server.id, server.spec.instance_type)

    def _config_of(self, server: SourceServer) -> LaunchConfiguration:
        config = self._launch_configs.get(server.id)
        if config is None:
            config = self._launch_configs[server.id] = LaunchConfiguration(name=server.spec.hostname)
        return config

    def get_launch_configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._begin("GetLaunchConfiguration", body)
            server = self._server(body["sourceServerID"])
            return self._config_of(server).to_wire(server.id, self._template_of(server))

    def update_launch_configuration(self, body: dict[str, Any]) -> dict[str, Any]:
        """Sets the fields given (the others stay); answers the whole launch configuration."""
        with self._lock:
            self._begin("UpdateLaunchConfiguration", body)
            server = self._server(body["sourceServerID"])
            config = self._config_of(server)
            config.update(body)
            logger.info("launch configuration updated", extra={"sourceServerId": server.id})
            return config.to_wire(server.id, self._template_of(server))

    def describe_recovery_snapshots(self, body: dict[str, Any]) -> dict[str, Any]:
        """The newest recovery snapshot only (DRS keeps many; readiness asks for the newest)."""
        with self._lock:
            now = self._begin("DescribeRecoverySnapshots", body)
            server = self._servers.get(body["sourceServerID"])
            taken = latest_snapshot_at(server, now) if server is not None else None
            if taken is None:
                return request_utils.listing([], None)
            digest = hashlib.sha256(f"{body['sourceServerID']}#{taken}".encode()).hexdigest()
            snapshot = {
                "snapshotID": "pit-" + digest[:17],
                "sourceServerID": body["sourceServerID"],
                "expectedTimestamp": iso(taken),
                "timestamp": iso(taken),
                "ebsSnapshots": [],
            }
            return request_utils.listing([snapshot], None)

    def describe_jobs(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._begin("DescribeJobs", body)
            filters = body.get("filters") or {}
            if filters.get("jobIDs"):
                # Unknown ids are not an error: DescribeJobs just returns fewer items.
                wanted = {i for i in filters["jobIDs"] if i in self._jobs}
                selected = sorted((self._jobs[i] for i in wanted), key=lambda j: -j.seq)
            else:
                selected = list(reversed(self._jobs.values()))  # latest first, as DRS sorts them
            low, high = (
                request_utils.date_filter(filters, "fromDate"),
                request_utils.date_filter(filters, "toDate"),
            )
            if low is not None or high is not None:
                selected = [
                    j
                    for j in selected
                    if (low is None or j.created_at >= low) and (high is None or j.created_at <= high)
                ]
            page, token = self._page(selected, [-j.seq for j in selected], body)
            return request_utils.listing([j.to_wire() for j in page], token)

    def describe_job_log_items(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._begin("DescribeJobLogItems", body)
            job = self._jobs.get(body["jobID"])
            if job is None:
                raise errors.not_found("JOB", body["jobID"], f"Job {body['jobID']} not found")
            page, token = self._page(job.log, range(len(job.log)), body)
            return request_utils.listing([dict(item) for item in page], token)

    def describe_recovery_instances(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._begin("DescribeRecoveryInstances", body)
            filters = body.get("filters") or {}
            selected: list[RecoveryInstance] = list(self._instances.values())
            if filters.get("recoveryInstanceIDs") or filters.get("sourceServerIDs"):
                wanted = set(filters.get("recoveryInstanceIDs") or self._instances)
                if filters.get("sourceServerIDs"):
                    by_server = self._instance_of_server
                    wanted &= {by_server[s] for s in filters["sourceServerIDs"] if s in by_server}
                selected = sorted(
                    (self._instances[i] for i in wanted if i in self._instances), key=lambda r: r.seq
                )
            page, token = self._page(selected, [r.seq for r in selected], body)
            items = [r.to_wire(now, self._servers.get(r.source_server_id)) for r in page]
            return request_utils.listing(items, token)

    def terminate_recovery_instances(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._begin("TerminateRecoveryInstances", body)
            ids = list(dict.fromkeys(body["recoveryInstanceIDs"]))
            missing = [i for i in ids if i not in self._instances]
            if missing:
                raise errors.not_found(
                    "RECOVERY_INSTANCE", missing[0], f"Recovery instance(s) not found: {', '.join(missing)}"
                )
            instances = [self._instances[i] for i in ids]
            servers = [self._servers[r.source_server_id] for r in instances]
            check_job_admission(self._limits, self._active.values(), servers, "TerminateRecoveryInstances")
            job = self._new_job("TERMINATE", "TERMINATE_RECOVERY_INSTANCES", now, {}, False)
            job.participants = [
                Participant(r.source_server_id, recovery_instance_id=r.recovery_instance_id)
                for r in instances
            ]
            jobs.build_terminate_steps(job, time_scale=self._time_scale)
            for server in servers:
                server.active_job_id = job.job_id
            logger.info("terminate job created", extra={"jobId": job.job_id, "instances": len(instances)})
            return {"job": job.to_wire()}

    def delete_job(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._begin("DeleteJob", body)
            job = self._jobs.get(body["jobID"])
            if job is None:
                raise errors.not_found("JOB", body["jobID"], f"Job {body['jobID']} not found")
            if job.active:
                raise errors.conflict(
                    "JOB", job.job_id, f"Job {job.job_id} is {job.status} and cannot be deleted"
                )
            del self._jobs[job.job_id]
            return {}

    # ------------------------------------------------------------------ request plumbing

    def _begin(self, operation: str, body: Any) -> float:
        if not self._initialized:
            raise errors.uninitialized()
        request_utils.validate_body(operation, body)
        now = self._clock()
        self._advance(now)
        return now

    def _page(self, items: list[T], keys: Sequence[int], body: dict[str, Any]) -> tuple[list[T], str | None]:
        return request_utils.page(items, keys, body, self._limits.max_results_per_page)

    # ------------------------------------------------------------------ simulation

    def _advance(self, now: float) -> None:
        for job in list(self._active.values()):
            while job.cursor < len(job.steps) and job.steps[job.cursor][0] <= now:
                step = job.steps[job.cursor]
                job.cursor += 1
                self._apply(job, step)

    def _apply(self, job: Job, step: jobs.Step) -> None:
        at, _, kind, index = step
        if kind == jobs.JOB_START:
            job.status = "STARTED"
            job.add_log(at, jobs.JOB_START)
            return
        if kind == jobs.JOB_END:
            self._end_job(job, at)
            return
        if kind == jobs.TERMINATE:
            self._terminate_job_instances(job, at)
            return
        p = job.participants[index]
        source = p.source_server_id
        if kind in (jobs.SNAPSHOT_START, jobs.USING_PREVIOUS_SNAPSHOT):
            self._set_status(job, p, "IN_PROGRESS")
            if kind == jobs.USING_PREVIOUS_SNAPSHOT:
                p.snapshot_at = at
            job.add_log(at, kind, sourceServerID=source)
        elif kind == jobs.SNAPSHOT_END:
            p.snapshot_at = at
            job.add_log(at, kind, sourceServerID=source)
        elif kind == jobs.CONVERSION_START:
            p.conversion_server_id = self._new_id("i-")
            job.add_log(at, kind, sourceServerID=source, conversionServerID=p.conversion_server_id)
        elif kind == jobs.CONVERSION_END:
            job.add_log(at, kind, sourceServerID=source, conversionServerID=p.conversion_server_id or "")
        elif kind == jobs.LAUNCH_START:
            job.add_log(at, kind, sourceServerID=source)
        elif kind == jobs.LAUNCHED:
            self._launch_instance(job, p, at)
        elif kind in (jobs.SERVER_SKIPPED, jobs.SNAPSHOT_FAIL, jobs.CONVERSION_FAIL, jobs.LAUNCH_FAILED):
            data = {"sourceServerID": source, "rawError": p.failure or "Launch failed"}
            if kind == jobs.CONVERSION_FAIL and p.conversion_server_id:
                data["conversionServerID"] = p.conversion_server_id
            job.add_log(at, kind, **data)
            self._set_status(job, p, "FAILED")
        elif kind == jobs.CLEANUP_START:
            self._set_status(job, p, "IN_PROGRESS")
            instance = self._instances.get(p.recovery_instance_id or "")
            if instance is not None:
                instance.terminating = True
            job.add_log(at, kind, sourceServerID=source, targetInstanceID=p.recovery_instance_id or "")

    def _set_status(self, job: Job, p: Participant, status: str) -> None:
        p.launch_status = status
        if job.job_type != "LAUNCH":
            return
        server = self._servers[p.source_server_id]
        if server.last_launch is not None and server.last_launch.job_id == job.job_id:
            server.last_launch.status = status
        if status in ("LAUNCHED", "FAILED"):
            server.last_launch_result = "SUCCEEDED" if status == "LAUNCHED" else "FAILED"

    def _end_job(self, job: Job, at: float) -> None:
        job.status = "COMPLETED"
        job.end_at = at
        job.add_log(at, jobs.JOB_END)
        self._active.pop(job.job_id, None)
        for p in job.participants:
            server = self._servers[p.source_server_id]
            if server.active_job_id == job.job_id:
                server.active_job_id = None
        logger.info("job completed", extra={"jobId": job.job_id, "jobType": job.job_type})

    def _launch_instance(self, job: Job, p: Participant, at: float) -> None:
        server = self._servers[p.source_server_id]
        spec = server.spec
        ec2_tags = {
            **spec.tags,
            "Name": spec.hostname,
            **job.tags,
            MANAGED_TAG: MANAGED_VALUE,
            SOURCE_SERVER_TAG: server.id,
        }
        try:
            placement: dict[str, Any] = {}
            instance_type = spec.instance_type
            if self._launch_templates:
                config = self._config_of(server)
                data = self._ec2.default_template_data(self._template_of(server))
                placement = placement_of(data, config, server.ip_address)
                if config.right_sizing == "NONE" and data.get("InstanceType"):
                    instance_type = str(data["InstanceType"])
                if config.copy_tags is False:
                    ec2_tags = {k: v for k, v in ec2_tags.items() if k not in spec.tags or k == "Name"}
                ec2_tags = {**placement.pop("tags", {}), **ec2_tags}
            instance_id = self._ec2.launch(instance_type, ec2_tags, placement)
        except Exception as exc:
            logger.warning(
                "EC2 launch failed",
                extra={"jobId": job.job_id, "sourceServerId": server.id, "error": str(exc)},
            )
            p.failure = f"EC2 RunInstances failed: {exc}"
            job.add_log(at, jobs.LAUNCH_FAILED, sourceServerID=server.id, rawError=p.failure)
            self._set_status(job, p, "FAILED")
            return
        previous = self._instance_of_server.get(server.id)
        if previous is not None:
            # A new launch replaces the source server's previous recovery instance.
            self._forget_instance(previous)
            try:
                self._ec2.terminate([previous])
            except Exception as exc:
                logger.warning(
                    "terminating a replaced instance failed",
                    extra={"instanceId": previous, "error": str(exc)},
                )
        instance = RecoveryInstance(
            recovery_instance_id=instance_id,
            source_server_id=server.id,
            job_id=job.job_id,
            is_drill=job.is_drill,
            tags={**spec.tags, **job.tags},
            seq=self._next_seq(),
            arn=self._arn("recovery-instance", instance_id),
            launched_at=at,
            running_at=at + p.boot_seconds,
            point_in_time=p.snapshot_at if p.snapshot_at is not None else at,
            checks_at=at + p.boot_seconds + p.status_check_seconds,
            status_checks=spec.status_checks,
        )
        if self._on_instance_launched is not None:
            try:
                self._on_instance_launched(instance)
            except Exception as exc:
                logger.warning(
                    "instance launch hook failed", extra={"instanceId": instance_id, "error": str(exc)}
                )
        self._instances[instance_id] = instance
        self._instance_of_server[server.id] = instance_id
        server.recovery_instance_id = instance_id
        p.recovery_instance_id = instance_id
        self._set_status(job, p, "LAUNCHED")

    def _terminate_job_instances(self, job: Job, at: float) -> None:
        ids = [p.recovery_instance_id for p in job.participants if p.recovery_instance_id in self._instances]
        failure: str | None = None
        try:
            self._ec2.terminate([i for i in ids if i])
        except Exception as exc:
            logger.warning("EC2 terminate failed", extra={"jobId": job.job_id, "error": str(exc)})
            failure = f"EC2 TerminateInstances failed: {exc}"
        for p in job.participants:
            target = p.recovery_instance_id or ""
            if failure is not None:
                job.add_log(at, jobs.CLEANUP_FAIL, sourceServerID=p.source_server_id, rawError=failure)
                self._set_status(job, p, "FAILED")
                instance = self._instances.get(target)
                if instance is not None:
                    instance.terminating = False
                continue
            job.add_log(at, jobs.CLEANUP_END, sourceServerID=p.source_server_id, targetInstanceID=target)
            self._set_status(job, p, "TERMINATED")
            instance = self._instances.get(target)
            if instance is None:
                continue
            # As DRS does, the terminated recovery instance is deleted from the service.
            self._forget_instance(target)
            server = self._servers[instance.source_server_id]
            if server.last_launch is not None and server.last_launch.job_id == instance.job_id:
                server.last_launch.status = "TERMINATED"

    def _forget_instance(self, instance_id: str) -> None:
        instance = self._instances.pop(instance_id, None)
        if instance is None:
            return
        if self._instance_of_server.get(instance.source_server_id) == instance_id:
            del self._instance_of_server[instance.source_server_id]
            server = self._servers[instance.source_server_id]
            server.recovery_instance_id = None

    # ------------------------------------------------------------------ ids

    def _new_job(
        self, job_type: str, initiated_by: str, now: float, tags: dict[str, str], drill: bool
    ) -> Job:
        job_id = self._new_id("drsjob-")
        job = Job(
            job_id=job_id,
            seq=self._next_seq(),
            arn=self._arn("job", job_id),
            job_type=job_type,
            initiated_by=initiated_by,
            created_at=now,
            tags=dict(tags),
            is_drill=drill,
            participants=[],
        )
        self._jobs[job_id] = job
        self._active[job_id] = job
        return job

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(68):017x}"

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:drs:{self._region}:{self._account_id}:{kind}/{resource_id}"
