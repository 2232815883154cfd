"""Hand-made execution records for the drill report's tests: an execution item, its server items and
its timeline, as the stores hold them (orchestrator.model), for a handful of drills whose outcome is
known in advance.

Every moment is an offset in seconds from START; `at(s)` is the stored ISO form of START + s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.model import ExecutionRecord, ServerRecord, TimelineEvent, new_progress

START = datetime(2025, 5, 14, 9, 0, 0, tzinfo=UTC)
STARTER = "arn:aws:sts::111122223333:assumed-role/DrOperators/alice"
RESUMER = "arn:aws:sts::111122223333:assumed-role/DrOperators/bob"
CANCELLER = "arn:aws:sts::111122223333:assumed-role/DrOperators/carol"
TERMINATOR = "arn:aws:sts::111122223333:assumed-role/DrOperators/dave"
# A server's phases, as offsets from its wave's start (snapshot, converting, launching, launched, ready).
PHASES = (("SNAPSHOT", 5), ("CONVERTING", 50), ("LAUNCHING", 200), ("LAUNCHED", 280), ("READY", 310))


def at(seconds: float) -> str:
    moment = START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Drill:
    """The three records build_report reads."""

    execution: ExecutionRecord
    servers: list[ServerRecord]
    events: list[TimelineEvent]

    def sorted_events(self) -> list[TimelineEvent]:
        return sorted(self.events, key=lambda e: e["time"])


class Builder:
    """Builds a drill wave by wave, the way the orchestrator would have recorded it."""

    def __init__(
        self,
        *,
        plan: str = "3TierRecoveryPlan",
        execution_type: str = "DRILL",
        rto_minutes: int | None = None,
        execution_id: str = "6f1c2d3e-0000-4000-8000-000000000001",
    ) -> None:
        options: dict[str, Any] = {
            "readinessCheck": "EC2_RUNNING",
            "waveTimeoutMinutes": 120,
            "pauseTimeoutMinutes": 1440,
            "capacityWaitMinutes": 60,
        }
        if rto_minutes is not None:
            options["rtoTargetMinutes"] = rto_minutes
        self.execution: dict[str, Any] = {
            "executionId": execution_id,
            "planId": "plan-3tier",
            "planName": plan,
            "executionType": execution_type,
            "status": "IN_PROGRESS",
            "startTime": at(0),
            "initiatedBy": STARTER,
            "totalWaves": 0,
            "completedWaves": 0,
            "currentWave": 1,
            "totalServers": 0,
            "options": options,
            "waves": [],
            "version": 7,
            "recordType": "EXECUTION",
        }
        self.servers: list[ServerRecord] = []
        self.events: list[TimelineEvent] = [
            {
                "time": at(0),
                "type": "EXECUTION_STARTED",
                "message": f"{execution_type.lower()} of recovery plan {plan} started",
                "actor": STARTER,
                "details": {"executionType": execution_type},
            }
        ]
        self.clock = 0.0
        self.pause_next = False

    def wave(
        self,
        name: str,
        hosts: list[str],
        *,
        stretch: float = 1.0,
        status: str = "COMPLETED",
        failed: dict[str, str] | None = None,
        optional: tuple[str, ...] = (),
        started: bool = True,
    ) -> Builder:
        """A wave of servers (one per hostname); `failed` maps hostnames to the error they failed with."""
        number = len(self.execution["waves"]) + 1
        failed = failed or {}
        wave: dict[str, Any] = {
            "waveNumber": number,
            "waveName": name,
            "protectionGroupIds": [f"pg-{name.lower()}"],
            "pauseBeforeWave": self.pause_next,
            "status": status,
            "jobIds": [],
            "serverCount": len(hosts),
            "recoveryInstances": 0,
            "progress": new_progress(len(hosts)),
        }
        self.execution["waves"].append(wave)
        self.pause_next = False
        self.execution["totalWaves"] = number
        self.execution["totalServers"] += len(hosts)
        if not started:
            for n, host in enumerate(hosts):
                self.servers.append(self._server(number, n, host, optional))
            return self
        begin = self.clock + 5
        job = f"drsjob-{number:02d}{int(begin):06d}"
        wave.update(startTime=at(begin), submittedTime=at(begin + 1), jobIds=[job])
        self.events += [
            {
                "time": at(begin),
                "type": "WAVE_STARTED",
                "message": f"wave {number} ({name}) started",
                "waveNumber": number,
            },
            {
                "time": at(begin + 1),
                "type": "JOB_SUBMITTED",
                "message": f"DRS job {job} submitted for wave {number}",
                "waveNumber": number,
                "details": {"jobId": job},
            },
        ]
        last = begin
        launched = 0
        warnings = []
        for n, host in enumerate(hosts):
            server = self._server(number, n, host, optional)
            jitter = 7 * n
            times: dict[str, str] = {}
            error = failed.get(host)
            for phase, offset in PHASES:
                moment = begin + (offset + jitter) * stretch
                if error and phase == "LAUNCHED":
                    times["FAILED"] = at(moment)
                    last = max(last, moment)
                    break
                times[phase] = at(moment)
                last = max(last, moment)
            server.update(jobId=job, jobStartTime=at(begin + 1), phaseTimes=times)
            if error:
                server.update(launchStatus="FAILED", error=error, phase="LAUNCHING")
                if host in optional:
                    warnings.append(f"optional server {server['sourceServerId']} ({host}) failed: {error}")
            else:
                launched += 1
                server.update(
                    launchStatus="LAUNCHED",
                    ready=True,
                    recoveryInstanceId=f"i-rec{number:02d}{n:011d}",
                    ec2InstanceId=f"i-0{number:02d}{n:014x}",
                    ec2State="running",
                    privateIp=f"10.0.{number}.{10 + n}",
                    instanceType="m6i.large" if n % 2 else "t3.medium",
                    launchTime=times["LAUNCHED"],
                    recoveryTimeSeconds=round((PHASES[-1][1] + jitter) * stretch - 1),
                )
            self.servers.append(server)  # type: ignore[arg-type]
        end = last + 4
        wave.update(endTime=at(end), recoveryInstances=launched, jobsFinished=True)
        if warnings:
            wave["warnings"] = warnings
        if status == "FAILED":
            wave["error"] = "critical server failed: " + ", ".join(h for h in failed if h not in optional)
        message = f"wave {number} ({name}) {status.lower()}" + (
            f": {wave['error']}" if wave.get("error") else ""
        )
        self.events.append(
            {
                "time": at(end),
                "type": "WAVE_FINISHED",
                "message": message,
                "waveNumber": number,
                "details": {"status": status, "durationSeconds": round(end - begin)},
            }
        )
        if status == "COMPLETED":
            self.execution["completedWaves"] += 1
        self.execution["currentWave"] = number
        self.clock = end
        return self

    def _server(self, wave: int, n: int, host: str, optional: tuple[str, ...]) -> dict[str, Any]:
        source = f"s-{wave:02d}{n:015x}"
        return {
            "executionId": self.execution["executionId"],
            "serverKey": f"{wave:03d}#{source}",
            "waveNumber": wave,
            "sourceServerId": source,
            "hostname": host,
            "impactLevel": "OPTIONAL" if host in optional else "CRITICAL",
            "protectionGroupId": f"pg-{wave}",
            "launchStatus": "PENDING",
            "ready": False,
        }

    def pause(self, seconds: float, *, then: str = "RESUMED", comment: str | None = None) -> Builder:
        """A pause before the next wave, ended by a resume or a cancel after `seconds`."""
        before = len(self.execution["waves"]) + 1
        begin, end = self.clock + 2, self.clock + 2 + seconds
        self.events.append(
            {
                "time": at(begin),
                "type": "PAUSED",
                "message": f"paused before wave {before} (the plan pauses here)",
                "waveNumber": before,
            }
        )
        self.execution.update(pausedBeforeWave=before, pausedTime=at(begin), pauseReason="PLAN")
        self.execution["pausedSeconds"] = int(self.execution.get("pausedSeconds", 0) + seconds)
        if then == "RESUMED":
            self.execution.update(resumedBy=RESUMER, resumedTime=at(end), resumedBeforeWave=before)
            if comment:
                self.execution["resumeComment"] = comment
            event: TimelineEvent = {
                "time": at(end),
                "type": "RESUMED",
                "message": f"resumed before wave {before}" + (f": {comment}" if comment else ""),
                "waveNumber": before,
                "actor": RESUMER,
            }
            if comment:
                event["details"] = {"comment": comment}
        else:
            self.execution.update(
                cancelRequested=True,
                cancelRequestedBy=CANCELLER,
                cancelRequestedTime=at(end),
                cancelReason=comment or "",
            )
            event = {
                "time": at(end),
                "type": "CANCEL_REQUESTED",
                "message": "cancel requested" + (f": {comment}" if comment else ""),
                "actor": CANCELLER,
            }
            if comment:
                event["details"] = {"reason": comment}
        self.pause_next = True
        self.events.append(event)
        self.clock = end
        return self

    def finish(self, status: str, *, error: str | None = None, label: str = "") -> Drill:
        end = self.clock + 3
        self.execution.update(status=status, endTime=at(end), durationSeconds=round(end))
        self.execution.pop("pausedTime", None)
        if error:
            self.execution["error"] = error
        for wave in self.execution["waves"]:
            if wave["status"] == "NOT_STARTED" and self.execution.get("cancelRequested"):
                wave["status"] = "CANCELLED"
        self.events.append(
            {
                "time": at(end),
                "type": "EXECUTION_FINISHED",
                "message": f"execution finished: {label or status}" + (f" ({error})" if error else ""),
                "details": {"status": status},
            }
        )
        self.clock = end
        return Drill(self.execution, self.servers, self.events)  # type: ignore[arg-type]


def server_events(servers: list[ServerRecord]) -> list[TimelineEvent]:
    """The timeline events the stores derive from each server's phase moments."""
    kinds = {"LAUNCHED": "SERVER_LAUNCHED", "READY": "SERVER_READY", "FAILED": "SERVER_FAILED"}
    events: list[TimelineEvent] = []
    for server in servers:
        for phase, time in (server.get("phaseTimes") or {}).items():
            event: TimelineEvent = {
                "time": time,
                "type": kinds.get(phase, "SERVER_PHASE"),
                "message": f"server {server['sourceServerId']} ({server['hostname']}): {phase.lower()}",
                "waveNumber": server["waveNumber"],
                "sourceServerId": server["sourceServerId"],
            }
            if phase == "FAILED" and server.get("error"):
                event["details"] = {"error": server["error"]}
            events.append(event)
    return events


def report_inputs(drill: Drill) -> tuple[ExecutionRecord, list[ServerRecord], list[TimelineEvent]]:
    """(execution, servers, events oldest first) as operations.report passes them to build_report."""
    events = sorted([*drill.events, *server_events(drill.servers)], key=lambda e: e["time"])
    return drill.execution, drill.servers, events


# --- the drills ---------------------------------------------------------------------------------------


def completed_drill(
    rto_minutes: int | None = 30, *, stretch: float = 1.0, comment: str = "DB checks OK"
) -> Drill:
    """Three waves of two servers, a pause of 5 minutes before wave 3, resumed with a comment."""
    return (
        Builder(rto_minutes=rto_minutes)
        .wave("Database", ["db01", "db02"], stretch=stretch)
        .wave("App", ["app01", "app02"], stretch=stretch)
        .pause(300, comment=comment)
        .wave("Web", ["web01", "web02"], stretch=stretch)
        .finish("COMPLETED")
    )


def partial_success_after_cancel(rto_minutes: int | None = 20) -> Drill:
    """Seed 000: wave 1 recovered, the operator cancelled during the pause before wave 2; waves 2 and 3
    are CANCELLED (never started) and wave 1's instances are still running."""
    return (
        Builder(rto_minutes=rto_minutes)
        .wave("Database", ["db01", "db02"])
        .pause(120, then="CANCEL_REQUESTED", comment="maintenance window closing")
        .wave("App", ["app01", "app02"], status="NOT_STARTED", started=False)
        .wave("Web", ["web01"], status="NOT_STARTED", started=False)
        .finish("PARTIAL_SUCCESS", label="PARTIAL SUCCESS (1 of 3 waves completed)")
    )


def failed_drill() -> Drill:
    """A critical server fails to launch in wave 1 (and an optional one, a warning); wave 2 never runs."""
    error = "LAUNCH_FAILED: Insufficient capacity for m6i.large in us-east-1a"
    return (
        Builder(rto_minutes=None, plan="PaymentsPlan")
        .wave(
            "Core",
            ["pay-db01", "pay-db02", "pay-report"],
            status="FAILED",
            failed={"pay-db01": error, "pay-report": "CONVERSION_FAIL: unsupported boot volume"},
            optional=("pay-report",),
        )
        .wave("Front", ["pay-web01"], status="NOT_STARTED", started=False)
        .finish("FAILED", error="wave 1 failed: critical server pay-db01 failed")
    )
