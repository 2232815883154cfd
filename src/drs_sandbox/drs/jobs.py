"""DRS jobs: their precomputed timelines (steps), participating servers and wire form.

A job's whole timeline is computed when the job is created, from each server's phase durations:
a sorted list of steps `(real_time, order, kind, server_index)`. The simulator applies the steps
that are due whenever it is called, so advancing costs nothing while nothing is due.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from drs_sandbox.drs.servers import NOT_LAUNCHABLE_STATES, ServerSpec
from drs_sandbox.drs.wire import iso

# Simulated seconds a job stays PENDING before it STARTS.
PENDING_SECONDS = 10.0
# Simulated seconds a TERMINATE job takes to clean up its recovery instances.
TERMINATE_SECONDS = 60.0

ACTIVE_STATUSES = frozenset({"PENDING", "STARTED"})

# Step kinds. Most are DRS job log events (JobLogEvent enum); the others are internal.
JOB_START = "JOB_START"
JOB_END = "JOB_END"
SERVER_SKIPPED = "SERVER_SKIPPED"
SNAPSHOT_START = "SNAPSHOT_START"
SNAPSHOT_END = "SNAPSHOT_END"
SNAPSHOT_FAIL = "SNAPSHOT_FAIL"
USING_PREVIOUS_SNAPSHOT = "USING_PREVIOUS_SNAPSHOT"
CONVERSION_START = "CONVERSION_START"
CONVERSION_END = "CONVERSION_END"
CONVERSION_FAIL = "CONVERSION_FAIL"
LAUNCH_START = "LAUNCH_START"
LAUNCH_FAILED = "LAUNCH_FAILED"
CLEANUP_START = "CLEANUP_START"
CLEANUP_END = "CLEANUP_END"
CLEANUP_FAIL = "CLEANUP_FAIL"
LAUNCHED = "_LAUNCHED"  # internal: the target instance is created (DRS logs no LAUNCH_END event)
TERMINATE = "_TERMINATE"  # internal: terminate every EC2 instance of a TERMINATE job at once

Step = tuple[float, int, str, int]

DEFAULT_FAILURE_MESSAGES = {
    "SNAPSHOT": "Failed to take a point-in-time snapshot of the replicated volumes",
    "CONVERSION": "Conversion failed: unable to make the replicated volumes bootable on EC2",
    "LAUNCH": "Failed to launch the recovery instance: instance did not pass EC2 status checks",
}


@dataclass
class Participant:
    source_server_id: str
    launch_status: str = "PENDING"
    recovery_instance_id: str | None = None
    conversion_server_id: str | None = None
    snapshot_at: float | None = None  # real time of the point-in-time snapshot used
    boot_seconds: float = 0.0  # real seconds from launch to RUNNING
    status_check_seconds: float = 0.0  # real seconds from RUNNING until the status checks settle
    failure: str | None = None  # rawError when it fails

    def to_wire(self) -> dict[str, Any]:
        item: dict[str, Any] = {"sourceServerID": self.source_server_id, "launchStatus": self.launch_status}
        if self.recovery_instance_id:
            item["recoveryInstanceID"] = self.recovery_instance_id
        return item


@dataclass
class Job:
    job_id: str
    seq: int
    arn: str
    job_type: str  # LAUNCH | TERMINATE
    initiated_by: str  # START_DRILL | START_RECOVERY | TERMINATE_RECOVERY_INSTANCES
    created_at: float
    tags: dict[str, str]
    is_drill: bool
    participants: list[Participant]
    steps: list[Step] = field(default_factory=list)
    cursor: int = 0
    status: str = "PENDING"
    end_at: float | None = None
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def add_log(self, at: float, event: str, **data: str) -> None:
        item: dict[str, Any] = {"logDateTime": iso(at), "event": event}
        if data:
            item["eventData"] = data
        self.log.append(item)

    def to_wire(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "jobID": self.job_id,
            "arn": self.arn,
            "type": self.job_type,
            "initiatedBy": self.initiated_by,
            "creationDateTime": iso(self.created_at),
            "status": self.status,
            "participatingServers": [p.to_wire() for p in self.participants],
            "tags": dict(self.tags),
        }
        if self.end_at is not None:
            item["endDateTime"] = iso(self.end_at)
        return item


def _jitter(rng: random.Random, fraction: float) -> float:
    return 1.0 + rng.uniform(-fraction, fraction) if fraction else 1.0


def build_launch_steps(
    job: Job,
    specs: Sequence[ServerSpec],
    uses_previous_snapshot: Sequence[bool],
    *,
    time_scale: float,
) -> None:
    """Fill `job.steps` with the launch timeline of every participating server.

    Per server: SNAPSHOT_START/END (or USING_PREVIOUS_SNAPSHOT when a recoverySnapshotID was
    given), CONVERSION_START/END, LAUNCH_START, then the instance is launched; the phase the
    scenario says fails ends with SNAPSHOT_FAIL, CONVERSION_FAIL or LAUNCH_FAILED instead.
    Servers without a usable snapshot are skipped (SERVER_SKIPPED). JOB_END follows the last one.
    """
    order = 0

    def real(sim_offset: float) -> float:
        return job.created_at + sim_offset / time_scale

    def add(sim_offset: float, kind: str, index: int) -> None:
        nonlocal order
        job.steps.append((real(sim_offset), order, kind, index))
        order += 1

    start = PENDING_SECONDS
    add(start, JOB_START, -1)
    last_end = start
    for index, spec in enumerate(specs):
        participant = job.participants[index]
        participant.failure = spec.failure_message or (
            DEFAULT_FAILURE_MESSAGES[spec.fail_phase] if spec.fail_phase else None
        )
        if spec.replication_state in NOT_LAUNCHABLE_STATES:
            participant.failure = (
                f"Source server {spec.source_server_id} has no point-in-time snapshot to launch from "
                f"(replication state {spec.replication_state})"
            )
            add(start, SERVER_SKIPPED, index)
            continue
        rng = random.Random(f"{job.job_id}/{spec.source_server_id}")
        seconds = {
            phase: value * _jitter(rng, spec.duration_jitter) for phase, value in spec.phase_seconds.items()
        }
        fails = spec.fail_phase if spec.launch_outcome == "FAILED" else None
        now = start
        if uses_previous_snapshot[index]:
            add(now, USING_PREVIOUS_SNAPSHOT, index)
        else:
            add(now, SNAPSHOT_START, index)
            now += seconds["snapshot"]
            if fails == "SNAPSHOT":
                add(now, SNAPSHOT_FAIL, index)
                last_end = max(last_end, now)
                continue
            add(now, SNAPSHOT_END, index)
        add(now, CONVERSION_START, index)
        now += seconds["conversion"]
        if fails == "CONVERSION":
            add(now, CONVERSION_FAIL, index)
            last_end = max(last_end, now)
            continue
        add(now, CONVERSION_END, index)
        add(now, LAUNCH_START, index)
        now += seconds["launch"]
        add(now, LAUNCH_FAILED if fails == "LAUNCH" else LAUNCHED, index)
        participant.boot_seconds = seconds["boot"] / time_scale
        participant.status_check_seconds = seconds["statusChecks"] / time_scale
        last_end = max(last_end, now)
    add(last_end, JOB_END, -1)
    job.steps.sort()


def build_terminate_steps(job: Job, *, time_scale: float) -> None:
    """JOB_START, CLEANUP_START per server, then all EC2 instances terminated at once, JOB_END."""
    start = job.created_at + PENDING_SECONDS / time_scale
    done = job.created_at + (PENDING_SECONDS + TERMINATE_SECONDS) / time_scale
    order = 0
    job.steps.append((start, order, JOB_START, -1))
    for index in range(len(job.participants)):
        order += 1
        job.steps.append((start, order, CLEANUP_START, index))
    job.steps.append((done, order + 1, TERMINATE, -1))
    job.steps.append((done, order + 2, JOB_END, -1))
