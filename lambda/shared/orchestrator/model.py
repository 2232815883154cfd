"""The records the orchestrator stores and passes between modules: one place for each field list and
each option default. Records are TypedDicts, so they are the stored items themselves (no mapping
layer to drift), and mypy checks every key the code reads or writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

from execution_utils import ActionStatus, OnFailure, OnWaveFailure, ReadinessCheck

# Option defaults (the wave timeout's default is a stack parameter: Config.default_wave_timeout_minutes).
DEFAULT_READINESS = ReadinessCheck.EC2_RUNNING
DEFAULT_PAUSE_TIMEOUT_MINUTES = 1440
DEFAULT_CAPACITY_WAIT_MINUTES = 60
DEFAULT_ON_WAVE_FAILURE = OnWaveFailure.STOP
DEFAULT_ACTION_TIMEOUT_SECONDS = 900
DEFAULT_ACTION_MAX_ATTEMPTS = 1
# An action's output is kept as an excerpt of at most 4 KB; the whole runbook of an execution shares
# RUNBOOK_OUTPUT_BUDGET so its item stays small (see action_output_limit).
ACTION_OUTPUT_LIMIT = 4096
RUNBOOK_OUTPUT_BUDGET = 48 * 1024
ACTION_ERROR_LIMIT = 1024


class Progress(TypedDict):
    totalServers: int
    launched: int
    converting: int
    ready: int
    failed: int


class FailedServer(TypedDict):
    sourceServerId: str
    hostname: str | None
    error: str | None
    impactLevel: str | None


class ExecutionOptions(TypedDict):
    """A copy of the plan's options, with every default filled in at start."""

    readinessCheck: str
    waveTimeoutMinutes: int
    pauseTimeoutMinutes: int
    capacityWaitMinutes: int
    onWaveFailure: str
    rtoTargetMinutes: NotRequired[int]
    # Hours after a DRILL's end its recovery instances are terminated (no default: never).
    drillCleanupAfterHours: NotRequired[int]
    # A DRILL's isolated network ({subnetIds, securityGroupIds}; operations/drill_network.py).
    drillNetwork: NotRequired[dict[str, list[str]]]


class ActionRecord(TypedDict):
    """One runbook action of a wave: its definition (copied from the plan at start) and its run."""

    name: str
    type: str
    stage: str  # PRE | POST
    status: str  # ActionStatus
    attempts: int
    maxAttempts: int
    timeoutSeconds: int
    onFailure: str
    # the definition, per type
    functionName: NotRequired[str]
    payload: NotRequired[dict[str, Any]]
    documentName: NotRequired[str]
    parameters: NotRequired[dict[str, list[str]]]
    durationSeconds: NotRequired[int]
    # the run
    startTime: NotRequired[str]
    attemptStartTime: NotRequired[str]
    endTime: NotRequired[str]
    nextAttemptAt: NotRequired[str]  # RETRY_SCHEDULED: when the next attempt starts
    retryAt: NotRequired[str]  # the same, as records written before RETRY_SCHEDULED kept it
    # starts given back because the action's service was throttled or failing (this attempt)
    transientRetries: NotRequired[int]
    # how the last attempt ended ({status, time, retryInSeconds?}), kept until the next attempt starts:
    # its timeline event is written from it (operations/timeline.py, action_outcome)
    lastOutcome: NotRequired[dict[str, Any]]
    handle: NotRequired[dict[str, Any]]
    output: NotRequired[str]
    error: NotRequired[str]
    approvedBy: NotRequired[str]
    approvedByIdentity: NotRequired[dict[str, Any]]
    comment: NotRequired[str]


# What the API shows of an action (the definition's type-specific fields and the handle stay inside).
ACTION_VIEW_FIELDS: tuple[str, ...] = (
    "name",
    "type",
    "stage",
    "status",
    "attempts",
    "maxAttempts",
    "timeoutSeconds",
    "onFailure",
    "startTime",
    "endTime",
    "nextAttemptAt",
    "output",
    "error",
    "approvedBy",
    "approvedByIdentity",
    "comment",
)


class WaveRecord(TypedDict):
    waveNumber: int
    waveName: str
    protectionGroupIds: list[str]
    pauseBeforeWave: bool
    status: str
    jobIds: list[str]
    serverCount: int
    recoveryInstances: int
    progress: Progress
    phase: NotRequired[str | None]
    startTime: NotRequired[str]
    submittedTime: NotRequired[str]
    queuedTime: NotRequired[str]
    queuedReason: NotRequired[str]
    endTime: NotRequired[str]
    error: NotRequired[str]
    warnings: NotRequired[list[str]]
    failedServers: NotRequired[list[FailedServer]]
    pollError: NotRequired[str]
    pollErrors: NotRequired[int]
    jobsFinished: NotRequired[bool]
    actions: NotRequired[list[ActionRecord]]
    # a failed wave retried (POST /executions/{id}/retry): how often, and the servers to launch again
    retries: NotRequired[int]
    relaunchServerIds: NotRequired[list[str]]
    retriedBy: NotRequired[str]
    retriedByIdentity: NotRequired[dict[str, Any]]
    skippedBy: NotRequired[str]
    skippedByIdentity: NotRequired[dict[str, Any]]
    skipComment: NotRequired[str]


class ExecutionRecord(TypedDict):
    executionId: str
    planId: str
    planName: str
    executionType: str
    status: str
    startTime: str
    # Who acted, in words (identity.label) and, beside each, as a structured value ("...Identity").
    initiatedBy: str
    initiatedByIdentity: NotRequired[dict[str, Any]]
    totalWaves: int
    completedWaves: int
    currentWave: int
    totalServers: int
    options: ExecutionOptions
    waves: list[WaveRecord]
    version: NotRequired[int]
    recordType: NotRequired[str]
    sfnExecutionArn: NotRequired[str]
    endTime: NotRequired[str]
    durationSeconds: NotRequired[int]
    lastPolledTime: NotRequired[str]
    serversRefreshedTime: NotRequired[str]
    error: NotRequired[str]
    # pause, resume, cancel (and who did them)
    pauseRequested: NotRequired[bool]
    pauseRequestedBy: NotRequired[str]
    pauseRequestedByIdentity: NotRequired[dict[str, Any]]
    pauseRequestedTime: NotRequired[str]
    pausedBeforeWave: NotRequired[int]
    pausedTime: NotRequired[str]
    pauseReason: NotRequired[str]
    pausedWave: NotRequired[int]
    pausedAction: NotRequired[str]
    pausedSeconds: NotRequired[int]
    resumedBeforeWave: NotRequired[int]
    resumedBy: NotRequired[str]
    resumedByIdentity: NotRequired[dict[str, Any]]
    resumedTime: NotRequired[str]
    resumeComment: NotRequired[str]
    taskToken: NotRequired[str]
    taskActionTime: NotRequired[str]
    # The last decision on a pause (RESUME, APPROVE, RETRY, SKIP): kind, actor, comment, time (internal).
    decision: NotRequired[dict[str, Any]]
    cancelRequested: NotRequired[bool]
    cancelRequestedTime: NotRequired[str]
    cancelRequestedBy: NotRequired[str]
    cancelRequestedByIdentity: NotRequired[dict[str, Any]]
    cancelReason: NotRequired[str]
    # DRS jobs followed after the end, and the termination of the recovery instances
    jobsPending: NotRequired[str]
    jobsFollowedTime: NotRequired[str]
    terminationStatus: NotRequired[str]
    terminationPending: NotRequired[str]
    terminationRequestedTime: NotRequired[str]
    terminationRequestedBy: NotRequired[str]
    terminationRequestedByIdentity: NotRequired[dict[str, Any]]
    terminationJobIds: NotRequired[list[str]]
    terminatingInstances: NotRequired[int]
    terminationEndTime: NotRequired[str]
    terminationError: NotRequired[str]
    instancesTerminated: NotRequired[bool]
    # "PENDING" (the sparse InstancesIndex) from the end of a DRILL that left recovery instances
    # until they are terminated: the console's "Instances still running" (internal; never shown).
    instancesPending: NotRequired[str]
    # The automatic cleanup of a DRILL (options.drillCleanupAfterHours): when its instances are
    # terminated (set by finalize, moved by a postpone), who postponed it last and when, and the
    # notices already sent (internal: "<WARNING|DONE>#<cleanupAt>#<channel>").
    cleanupAt: NotRequired[str]
    cleanupPostponedBy: NotRequired[str]
    cleanupPostponedByIdentity: NotRequired[dict[str, Any]]
    cleanupPostponedTime: NotRequired[str]
    cleanupNotices: NotRequired[list[str]]
    reportLocation: NotRequired[str]
    reportTime: NotRequired[str]
    # The cost the last written report states (reports.model.execution_cost), as JSON.
    costJson: NotRequired[str]
    # The outbox: events a control wrote in the same write as its state change, not yet in the
    # timeline (internal; never shown). eventsPending ("PENDING", the sparse EventsIndex) while any.
    pendingEvents: NotRequired[list[PendingEvent]]
    eventsPending: NotRequired[str]
    # A DRILL's drill network overrides, one per server, recorded before each is made
    # (operations/drill_network.py); overridesPending ("PENDING", the sparse OverridesIndex) while
    # one is not restored.
    drillOverrides: NotRequired[list[DrillOverride]]
    overridesPending: NotRequired[str]


class DrillOverride(TypedDict):
    """One server's drill network override: what production was (restored from it) and what the
    drill made. status: RECORDED (about to be made), MADE, RESTORED."""

    sourceServerId: str
    waveNumber: int
    status: str
    launchTemplateId: str
    productionVersion: int
    productionCopyPrivateIp: bool
    subnetId: str
    securityGroupIds: list[str]
    recordedTime: str
    drillVersion: NotRequired[int]
    madeTime: NotRequired[str]
    restoredTime: NotRequired[str]
    restoredBy: NotRequired[str]


class PendingEvent(TypedDict):
    """A timeline event waiting in an execution's outbox: its deterministic id and the event."""

    eventId: str
    event: TimelineEvent


class ServerRecord(TypedDict):
    """One source server of an execution, in its own item (never inside the execution item)."""

    executionId: str
    serverKey: str
    waveNumber: int
    sourceServerId: str
    hostname: str
    impactLevel: str
    protectionGroupId: str
    launchStatus: str
    ready: bool
    phase: NotRequired[str]
    jobId: NotRequired[str]
    recoveryInstanceId: NotRequired[str]
    ec2InstanceId: NotRequired[str]
    ec2State: NotRequired[str]
    privateIp: NotRequired[str]
    privateDnsName: NotRequired[str]
    instanceType: NotRequired[str]
    launchTime: NotRequired[str]
    # The operating system as the AWS Price List names it (Linux, Windows, RHEL, SUSE), from EC2.
    platform: NotRequired[str]
    # When the recovery instance's termination ended (its DRS TERMINATE job's end): what it cost.
    terminatedTime: NotRequired[str]
    statusChecksOk: NotRequired[bool]
    error: NotRequired[str]
    updatedAt: NotRequired[str]
    jobStartTime: NotRequired[str]
    # When the server entered each phase (SNAPSHOT, CONVERTING, LAUNCHING from DRS's job log; LAUNCHED,
    # READY, FAILED as first seen), and its recovery time: job start to ready.
    phaseTimes: NotRequired[dict[str, str]]
    recoveryTimeSeconds: NotRequired[int]
    # The drill network override of this server (a copy of the execution's entry), when a DRILL made one.
    drillOverride: NotRequired[DrillOverride]


# The fields a poll learns from DRS and EC2; a server item is rewritten only when one changed.
SERVER_POLL_FIELDS: tuple[str, ...] = (
    "launchStatus",
    "phase",
    "jobId",
    "recoveryInstanceId",
    "ec2InstanceId",
    "ec2State",
    "privateIp",
    "privateDnsName",
    "instanceType",
    "launchTime",
    "platform",
    "ready",
    "statusChecksOk",
    "error",
    "phaseTimes",
    "recoveryTimeSeconds",
)
# The fields the API shows of a server (everything but its keys).
SERVER_VIEW_FIELDS: tuple[str, ...] = tuple(
    name for name in ServerRecord.__annotations__ if name not in ("executionId", "serverKey")
)


class TimelineEvent(TypedDict):
    """One thing that happened to an execution (GET /executions/{id}/timeline)."""

    time: str
    type: str
    message: str
    waveNumber: NotRequired[int]
    sourceServerId: NotRequired[str]
    actor: NotRequired[str]
    actorIdentity: NotRequired[dict[str, Any]]
    details: NotRequired[dict[str, Any]]


def server_key(wave_number: int, source_server_id: str) -> str:
    return f"{wave_number:03d}#{source_server_id}"


def with_fields(server: ServerRecord, **fields: Any) -> ServerRecord:
    """A copy of a server record with some fields changed."""
    return cast(ServerRecord, {**server, **fields})


def new_progress(total: int = 0) -> Progress:
    return {"totalServers": total, "launched": 0, "converting": 0, "ready": 0, "failed": 0}


def execution_options(plan_options: Mapping[str, Any], default_wave_timeout_minutes: int) -> ExecutionOptions:
    """The options an execution runs with: the plan's, every missing one at its default (the
    recovery time objective has none: without it, recovery time is measured but not judged)."""
    options: ExecutionOptions = {
        "readinessCheck": str(ReadinessCheck(plan_options.get("readinessCheck") or DEFAULT_READINESS)),
        "waveTimeoutMinutes": int(plan_options.get("waveTimeoutMinutes") or default_wave_timeout_minutes),
        "pauseTimeoutMinutes": int(plan_options.get("pauseTimeoutMinutes") or DEFAULT_PAUSE_TIMEOUT_MINUTES),
        "capacityWaitMinutes": int(plan_options.get("capacityWaitMinutes") or DEFAULT_CAPACITY_WAIT_MINUTES),
        "onWaveFailure": str(OnWaveFailure(plan_options.get("onWaveFailure") or DEFAULT_ON_WAVE_FAILURE)),
    }
    if plan_options.get("rtoTargetMinutes"):
        options["rtoTargetMinutes"] = int(plan_options["rtoTargetMinutes"])
    if plan_options.get("drillCleanupAfterHours"):
        options["drillCleanupAfterHours"] = int(plan_options["drillCleanupAfterHours"])
    if plan_options.get("drillNetwork"):
        network = plan_options["drillNetwork"]
        options["drillNetwork"] = {
            "subnetIds": [str(s) for s in network["subnetIds"]],
            "securityGroupIds": [str(g) for g in network["securityGroupIds"]],
        }
    return options


def options_of(execution: ExecutionRecord, default_wave_timeout_minutes: int = 120) -> ExecutionOptions:
    """An execution's options; records written before an option existed get its default."""
    return execution_options(
        cast(Mapping[str, Any], execution.get("options") or {}), default_wave_timeout_minutes
    )


def execution_from_item(item: Mapping[str, Any]) -> ExecutionRecord:
    """A stored execution item as a record (items are written only through these records)."""
    return cast(ExecutionRecord, dict(item))


def server_from_item(item: Mapping[str, Any]) -> ServerRecord:
    return cast(ServerRecord, dict(item))


def new_action(definition: Mapping[str, Any], stage: str) -> ActionRecord:
    """An action of an execution, PENDING, from its definition in the plan (defaults filled in)."""
    return cast(
        ActionRecord,
        {
            **{k: v for k, v in definition.items() if k not in ACTION_VIEW_FIELDS},
            "name": definition["name"],
            "type": definition["type"],
            "stage": stage,
            "status": str(ActionStatus.PENDING),
            "attempts": 0,
            "maxAttempts": int(definition.get("maxAttempts") or DEFAULT_ACTION_MAX_ATTEMPTS),
            "timeoutSeconds": int(definition.get("timeoutSeconds") or DEFAULT_ACTION_TIMEOUT_SECONDS),
            "onFailure": str(OnFailure(definition.get("onFailure") or OnFailure.FAIL)),
        },
    )


def action_output_limit(action_count: int) -> int:
    """Bytes of output excerpt kept per action: 4 KB, less when a runbook has more than 12 actions."""
    return max(256, min(ACTION_OUTPUT_LIMIT, RUNBOOK_OUTPUT_BUDGET // max(1, action_count)))


def excerpt(text: str, limit: int) -> str:
    """The end of ``text`` within ``limit`` UTF-8 bytes (a command's verdict is at its end)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = "…\n"
    kept = data[-(limit - len(marker.encode())) :].decode("utf-8", errors="ignore")
    return marker + kept
