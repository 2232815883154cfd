"""Hand-made execution records for the drill report's tests: an execution item, its server items and
its timeline, as the stores hold them (orchestrator.model), for a handful of drills whose outcome is
known in advance.

Every moment is an offset in seconds from START; `at(s)` is the stored ISO form of START + s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.model import ExecutionRecord, ServerRecord, TimelineEvent, new_progress

START = datetime(2025, 5, 14, 9, 0, 0, tzinfo=UTC)
STARTER = "arn:aws:sts::111122223333:assumed-role/DrOperators/alice"
RESUMER = "arn:aws:sts::111122223333:assumed-role/DrOperators/bob"
CANCELLER = "arn:aws:sts::111122223333:assumed-role/DrOperators/carol"
TERMINATOR = "arn:aws:sts::111122223333:assumed-role/DrOperators/dave"
APPROVER = "arn:aws:sts::111122223333:assumed-role/ChangeBoard/erin"
# Definition fields the report and the notifications must never show (an action's payload, its SSM
# parameters, the handle of its run): tests look for these values in what they render.
SECRET_PAYLOAD = {"dbPassword": "pl41n-s3cr3t-payload"}
SECRET_PARAMETERS = {"commands": ["psql -c 'select 1' --password=s3cr3t-parameter"]}
SECRET_HANDLE = {"commandId": "cmd-s3cr3t-handle"}
# A server's phases, as offsets from its wave's start (snapshot, converting, launching, launched, ready).
PHASES = (("SNAPSHOT", 5), ("CONVERTING", 50), ("LAUNCHING", 200), ("LAUNCHED", 280), ("READY", 310))


def at(seconds: float) -> str:
    moment = START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Act:
    """A runbook action as it ran (one of a wave's ``pre`` or ``post`` actions): it takes
    ``seconds`` from its start; an APPROVAL is a pause until ``approved_by`` approves."""

    name: str
    type: str = "LAMBDA"
    seconds: float = 20
    status: str = "SUCCEEDED"
    attempts: int = 1
    max_attempts: int = 1
    on_failure: str = "FAIL"
    output: str | None = None
    error: str | None = None
    target: str | None = None
    approved_by: str | None = None
    comment: str | None = None
    wait: int | None = None


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
        pre: Sequence[Act] = (),
        post: Sequence[Act] = (),
        error: str | None = None,
    ) -> Builder:
        """A wave of servers (one per hostname); `failed` maps hostnames to the error they failed with.
        Its `pre` actions run before the launch, its `post` actions once its servers are ready; `error`
        is the wave's error when it FAILED (else the failed critical servers)."""
        number = len(self.execution["waves"]) + 1
        failed = failed or {}
        wave_error = error
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
        wave.update(startTime=at(begin))
        self.events.append(
            {
                "time": at(begin),
                "type": "WAVE_STARTED",
                "message": f"wave {number} ({name}) started",
                "waveNumber": number,
            }
        )
        actions, begin = self.run_actions(number, "PRE", pre, begin + 1) if pre else ([], begin)
        job = f"drsjob-{number:02d}{int(begin):06d}"
        wave.update(submittedTime=at(begin + 1), jobIds=[job])
        self.events += [
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
                    warnings.append(f"optional server {host} ({server['sourceServerId']}) failed: {error}")
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
        if post:
            ran, last = self.run_actions(number, "POST", post, last + 1)
            actions += ran
        if actions:
            wave["actions"] = actions
        end = last + 4
        wave.update(endTime=at(end), recoveryInstances=launched, jobsFinished=True)
        wave["progress"] = {
            "totalServers": len(hosts),
            "launched": launched,
            "converting": 0,
            "ready": launched,
            "failed": len(hosts) - launched,
        }
        if status == "FAILED" and failed:
            wave["failedServers"] = [
                {
                    "sourceServerId": s["sourceServerId"],
                    "hostname": s["hostname"],
                    "error": s.get("error"),
                    "impactLevel": s["impactLevel"],
                }
                for s in self.servers
                if s["waveNumber"] == number and s.get("error")
            ]
        if warnings:
            wave["warnings"] = warnings
        if status == "FAILED":
            wave["error"] = wave_error or "critical server failed: " + ", ".join(
                h for h in failed if h not in optional
            )
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

    def run_actions(
        self, number: int, stage: str, acts: Sequence[Act], start: float
    ) -> tuple[list[dict[str, Any]], float]:
        """The records and timeline events of actions run one after the other from ``start``; returns
        them and when the last ended. An APPROVAL's wait is paused time."""
        records: list[dict[str, Any]] = []
        clock = start
        for act in acts:
            record: dict[str, Any] = {
                "name": act.name,
                "type": act.type,
                "stage": stage,
                "status": act.status,
                "attempts": 0 if act.status in ("PENDING", "SKIPPED") else act.attempts,
                "maxAttempts": act.max_attempts,
                "timeoutSeconds": 3600 if act.type == "APPROVAL" else 900,
                "onFailure": act.on_failure,
            }
            if act.type == "LAMBDA":
                record.update(functionName=act.target or f"{act.name}-fn", payload=SECRET_PAYLOAD)
            elif act.type in ("SSM_COMMAND", "SSM_AUTOMATION"):
                record.update(documentName=act.target or "AWS-RunShellScript", parameters=SECRET_PARAMETERS)
            elif act.type == "WAIT":
                record["durationSeconds"] = act.wait or int(act.seconds)
            records.append(record)
            if act.status in ("PENDING", "SKIPPED"):
                continue
            record["startTime"] = at(clock)
            what = f"{stage.lower()}-action {act.name}"
            details = {"action": act.name, "stage": stage}
            if act.type == "APPROVAL":
                self.events.append(
                    {
                        "time": at(clock),
                        "type": "APPROVAL_REQUESTED",
                        "message": f"waiting for approval {act.name} in wave {number}: resume to approve",
                        "waveNumber": number,
                        "details": details,
                    }
                )
            else:
                self.events.append(
                    {
                        "time": at(clock),
                        "type": "ACTION_STARTED",
                        "message": f"{what} ({act.type}) started",
                        "waveNumber": number,
                        "details": {**details, "attempt": 1},
                    }
                )
            if act.status == "RUNNING":
                record["handle"] = SECRET_HANDLE
                clock += act.seconds
                continue
            clock += act.seconds
            record["endTime"] = at(clock)
            for key, value in (("output", act.output), ("error", act.error), ("comment", act.comment)):
                if value is not None:
                    record[key] = value
            if act.type == "APPROVAL" and act.status == "SUCCEEDED":
                record["approvedBy"] = act.approved_by or APPROVER
                self.execution["pausedSeconds"] = int(self.execution.get("pausedSeconds", 0) + act.seconds)
                event: TimelineEvent = {
                    "time": at(clock),
                    "type": "APPROVED",
                    "message": f"{act.name} approved by {record['approvedBy']}"
                    + (f": {act.comment}" if act.comment else ""),
                    "waveNumber": number,
                    "actor": record["approvedBy"],
                    "details": {**details, **({"comment": act.comment} if act.comment else {})},
                }
            else:
                event = {
                    "time": at(clock),
                    "type": f"ACTION_{act.status}",
                    "message": f"{what} {act.status.lower().replace('_', ' ')}"
                    + (f": {act.error}" if act.error else ""),
                    "waveNumber": number,
                    "details": {**details, **({"output": act.output} if act.output else {})},
                }
            self.events.append(event)
            clock += 1
        return records, clock

    def _wave_failed_pause(self, seconds: float) -> tuple[dict[str, Any], float, float]:
        """The last wave FAILED and the execution paused for it (onWaveFailure PAUSE) ``seconds``."""
        wave = self.execution["waves"][-1]
        assert wave["status"] == "FAILED", "only a failed wave is retried or skipped"
        number = wave["waveNumber"]
        begin, end = self.clock + 1, self.clock + 1 + seconds
        self.events.append(
            {
                "time": at(begin),
                "type": "PAUSED",
                "message": f"wave {number} failed ({wave.get('error')}): retry, skip or cancel",
                "waveNumber": number,
                "details": {"reason": "WAVE_FAILED"},
            }
        )
        self.execution["pausedSeconds"] = int(self.execution.get("pausedSeconds", 0) + seconds)
        self.execution.update(pauseReason="WAVE_FAILED", pausedWave=number)
        return wave, begin, end

    def retry(
        self,
        by: str,
        *,
        after: float = 240,
        comment: str | None = None,
        post: Sequence[Act] = (),
        status: str = "COMPLETED",
    ) -> Builder:
        """The last wave FAILED in its post-actions, the execution paused, and ``by`` retried it after
        ``after`` seconds: its ``post`` actions run again (those of the same name are replaced)."""
        wave, _begin, end = self._wave_failed_pause(after)
        number = wave["waveNumber"]
        retries = int(wave.get("retries") or 0) + 1
        self.events.append(
            {
                "time": at(end),
                "type": "WAVE_RETRIED",
                "message": f"wave {number} ({wave['waveName']}) retried by {by}: its failed actions run again"
                + (f": {comment}" if comment else ""),
                "waveNumber": number,
                "actor": by,
                "details": {"retry": retries, "relaunchServerIds": []},
            }
        )
        self.execution.update(resumedBy=by, resumedTime=at(end), resumeComment=comment)
        ran, stop = self.run_actions(number, "POST", post, end + 1)
        again = {a["name"]: a for a in ran}
        wave["actions"] = [again.pop(a["name"], a) for a in wave.get("actions") or []] + list(again.values())
        wave.update(status=status, retries=retries, retriedBy=by, endTime=at(stop + 2))
        if status == "COMPLETED":
            wave.pop("error", None)
            self.execution["completedWaves"] += 1
        self.events.append(
            {
                "time": at(stop + 2),
                "type": "WAVE_FINISHED",
                "message": f"wave {number} ({wave['waveName']}) {status.lower()}",
                "waveNumber": number,
                "details": {"status": status},
            }
        )
        self.clock = stop + 2
        return self

    def skip(self, by: str, *, after: float = 180, comment: str | None = None) -> Builder:
        """The last wave FAILED, the execution paused, and ``by`` skipped it after ``after`` seconds."""
        wave, _begin, end = self._wave_failed_pause(after)
        number = wave["waveNumber"]
        wave.update(status="SKIPPED", skippedBy=by)
        if comment:
            wave["skipComment"] = comment
        for action in wave.get("actions") or []:
            if action["status"] == "PENDING":
                action["status"] = "SKIPPED"
        event: TimelineEvent = {
            "time": at(end),
            "type": "WAVE_SKIPPED",
            "message": f"wave {number} ({wave['waveName']}) skipped by {by}"
            + (f": {comment}" if comment else ""),
            "waveNumber": number,
            "actor": by,
        }
        if comment:
            event["details"] = {"comment": comment}
        self.events.append(event)
        self.execution.update(resumedBy=by, resumedTime=at(end), resumeComment=comment)
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
        if self.execution.get("resumeComment") is None:
            self.execution.pop("resumeComment", None)
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


ALICE = "arn:aws:sts::111122223333:assumed-role/DrOperators/alice"
SMOKE_ERROR = "HTTP 503 from https://shop.example.internal/health"
CACHE_ERROR = "cache cluster unreachable"


def runbook_drill(rto_minutes: int | None = 60) -> Drill:
    """A three-wave drill with a runbook: wave 1 waits for the change board's approval, launches,
    then checks the database (on the second of three attempts); wave 2's smoke test fails, the
    operator retries the wave and it passes (its cache warm-up fails each time, onFailure CONTINUE: a
    warning); wave 3's critical server fails to launch and the operator skips the wave. The drill
    ends PARTIAL_SUCCESS (2 of 3 waves completed, 1 skipped)."""
    builder = Builder(rto_minutes=rto_minutes, plan="ShopFront")
    builder.wave(
        "Database",
        ["db01", "db02"],
        pre=[
            Act(
                "change-board-approval",
                type="APPROVAL",
                seconds=120,
                approved_by=APPROVER,
                comment="CAB-1234 approved for tonight",
            )
        ],
        post=[
            Act(
                "db-accepts-connections",
                type="SSM_COMMAND",
                seconds=40,
                attempts=2,
                max_attempts=3,
                output="postgres: accepting connections\nreplication lag 0 s",
            )
        ],
    )
    warm = Act("warm-cache", seconds=15, status="FAILED", on_failure="CONTINUE", error=CACHE_ERROR)
    builder.wave(
        "App",
        ["app01"],
        status="FAILED",
        post=[warm, Act("smoke-test", target="shop-smoke-test", status="FAILED", error=SMOKE_ERROR)],
        error=f"post-action smoke-test failed: {SMOKE_ERROR}",
    )
    builder.retry(
        ALICE,
        comment="restarted the app pool",
        post=[warm, Act("smoke-test", target="shop-smoke-test", output="GET /health 200 OK")],
    )
    builder.wave(
        "Reporting",
        ["rep01"],
        status="FAILED",
        failed={"rep01": "LAUNCH_FAILED: no subnet in us-east-1c"},
        pre=[Act("settle", type="WAIT", seconds=60)],
        post=[Act("report-check", type="SSM_AUTOMATION", target="Shop-ReportCheck", status="SKIPPED")],
    )
    builder.skip(CANCELLER, comment="reporting can wait until Monday")
    return builder.finish("PARTIAL_SUCCESS", label="PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)")


def paused_for_failed_wave(execution_type: str = "DRILL") -> Drill:
    """ShopFront with onWaveFailure PAUSE: wave 1 recovered, wave 2's smoke test failed, and the
    execution waits for an operator to retry, skip or cancel (pauseReason WAVE_FAILED)."""
    builder = Builder(rto_minutes=60, plan="ShopFront", execution_type=execution_type)
    builder.execution["options"]["onWaveFailure"] = "PAUSE"
    builder.wave("Database", ["db01", "db02"])
    builder.wave(
        "App",
        ["app01"],
        status="FAILED",
        post=[Act("smoke-test", target="shop-smoke-test", status="FAILED", error=SMOKE_ERROR)],
        error=f"post-action smoke-test failed: {SMOKE_ERROR}",
    )
    builder.wave("Web", ["web01"], status="NOT_STARTED", started=False)
    paused_at = builder.clock + 1
    builder.execution.update(
        status="PAUSED", pauseReason="WAVE_FAILED", pausedWave=2, pausedTime=at(paused_at), currentWave=2
    )
    builder.events.append(
        {
            "time": at(paused_at),
            "type": "PAUSED",
            "message": f"wave 2 failed (post-action smoke-test failed: {SMOKE_ERROR}): retry, skip or cancel",
            "waveNumber": 2,
            "details": {"reason": "WAVE_FAILED"},
        }
    )
    builder.clock = paused_at
    return Drill(builder.execution, builder.servers, builder.events)  # type: ignore[arg-type]


APPROVAL_NAME = "go-live-sign-off"


def paused_for_approval() -> Drill:
    """Wave 1 recovered; wave 2 waits in its pre-actions for the APPROVAL ``go-live-sign-off``
    (pauseReason APPROVAL, the action RUNNING, a one-hour window)."""
    builder = Builder(rto_minutes=60, plan="ShopFront").wave("Database", ["db01"])
    builder.wave("App", ["app01"], status="NOT_STARTED", started=False)
    wave = builder.execution["waves"][1]
    begin = builder.clock + 5
    actions, _ = builder.run_actions(2, "PRE", [Act(APPROVAL_NAME, type="APPROVAL", status="RUNNING")], begin)
    wave.update(status="IN_PROGRESS", phase="PRE_ACTIONS", startTime=at(begin), actions=actions)
    builder.execution.update(
        status="PAUSED",
        pauseReason="APPROVAL",
        pausedWave=2,
        pausedAction=APPROVAL_NAME,
        pausedTime=at(begin),
        currentWave=2,
    )
    builder.clock = begin
    return Drill(builder.execution, builder.servers, builder.events)  # type: ignore[arg-type]
