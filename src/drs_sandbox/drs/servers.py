"""Source servers: the spec format (validated), their state and their DescribeSourceServers wire form."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drs_sandbox.drs.wire import iso, iso_duration

SOURCE_SERVER_ID = re.compile(r"s-[0-9a-zA-Z]{17}")
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
ACCOUNT_ID = re.compile(r"[0-9]{12}")

# boot: from the instance's launch (DRS LAUNCHED, EC2 pending) until EC2 reports it running;
# statusChecks: from running until both EC2 status checks leave `initializing`.
PHASES: tuple[str, ...] = ("snapshot", "conversion", "launch", "boot", "statusChecks")
# Simulated seconds; real elapsed time is simulated / time_scale.
DEFAULT_PHASE_SECONDS: dict[str, float] = {
    "snapshot": 60.0,
    "conversion": 240.0,
    "launch": 90.0,
    "boot": 30.0,
    "statusChecks": 60.0,
}
REPLICATION_STATES: frozenset[str] = frozenset(
    {
        "STOPPED",
        "INITIATING",
        "INITIAL_SYNC",
        "BACKLOG",
        "CREATING_SNAPSHOT",
        "CONTINUOUS",
        "PAUSED",
        "RESCAN",
        "STALLED",
        "DISCONNECTED",
    }
)
# States in which no point-in-time snapshot exists yet (or replication was stopped and its data
# removed): a launch cannot use such a server, so the job skips it (SERVER_SKIPPED, FAILED).
NOT_LAUNCHABLE_STATES: frozenset[str] = frozenset({"STOPPED", "INITIATING", "INITIAL_SYNC"})
LAUNCH_OUTCOMES: frozenset[str] = frozenset({"LAUNCHED", "FAILED"})
FAIL_PHASES: frozenset[str] = frozenset({"SNAPSHOT", "CONVERSION", "LAUNCH"})
# What the EC2 status checks of a launched instance settle to: OK, or IMPAIRED (the instance
# status check fails, as when the recovered OS does not boot; the system status check passes).
STATUS_CHECK_OUTCOMES: frozenset[str] = frozenset({"OK", "IMPAIRED"})
COMMAND_RESULT_KEYS: frozenset[str] = frozenset({"exitCode", "output", "durationSeconds"})
MAX_COMMAND_OUTPUT = 100_000

SPEC_KEYS: frozenset[str] = frozenset(
    {
        "sourceServerId",
        "hostname",
        "fqdn",
        "tags",
        "replicationState",
        "launchOutcome",
        "failPhase",
        "failureMessage",
        "phaseDurations",
        "durationJitter",
        "instanceType",
        "os",
        "cpus",
        "ramGiB",
        "diskGiB",
        "stagingAccountId",
        "statusChecks",
        "commandResult",
    }
)


class SpecError(ValueError):
    """A bad source server spec; `field` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CommandResult:
    """What a command sent with SSM's SendCommand to the server's recovery instance does: it runs
    for `duration_seconds` (simulated), prints `output`, and exits with `exit_code` (0: Success,
    anything else: Failed with that ResponseCode)."""

    exit_code: int = 0
    output: str = ""
    duration_seconds: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        return {"exitCode": self.exit_code, "output": self.output, "durationSeconds": self.duration_seconds}


DEFAULT_COMMAND_RESULT = CommandResult()


@dataclass(frozen=True)
class ServerSpec:
    """A validated source server spec (see `parse_spec` for the accepted dict form)."""

    source_server_id: str
    hostname: str
    fqdn: str
    tags: Mapping[str, str]
    replication_state: str
    launch_outcome: str
    fail_phase: str | None
    failure_message: str | None
    phase_seconds: Mapping[str, float]
    duration_jitter: float
    instance_type: str
    os: str
    cpus: int
    ram_gib: float
    disk_gib: float
    staging_account_id: str | None
    status_checks: str = "OK"
    command_result: CommandResult = DEFAULT_COMMAND_RESULT

    def to_dict(self) -> dict[str, Any]:
        """The spec back in its dict (camelCase) form."""
        out: dict[str, Any] = {
            "sourceServerId": self.source_server_id,
            "hostname": self.hostname,
            "fqdn": self.fqdn,
            "tags": dict(self.tags),
            "replicationState": self.replication_state,
            "launchOutcome": self.launch_outcome,
            "phaseDurations": dict(self.phase_seconds),
            "durationJitter": self.duration_jitter,
            "instanceType": self.instance_type,
            "os": self.os,
            "cpus": self.cpus,
            "ramGiB": self.ram_gib,
            "diskGiB": self.disk_gib,
            "statusChecks": self.status_checks,
            "commandResult": self.command_result.to_dict(),
        }
        if self.fail_phase:
            out["failPhase"] = self.fail_phase
        if self.failure_message:
            out["failureMessage"] = self.failure_message
        if self.staging_account_id:
            out["stagingAccountId"] = self.staging_account_id
        return out


def derive_server_id(seed: str) -> str:
    """A stable, valid source server id derived from `seed` (e.g. a hostname)."""
    return "s-" + hashlib.sha256(seed.encode()).hexdigest()[:17]


def _number(value: Any, path: str, *, low: float, high: float = math.inf, integer: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        kind = "an integer" if integer else "a number"
        raise SpecError(path, f"must be {kind}, got {value!r}")
    if not low <= value <= high or math.isnan(value):
        bound = f"between {low:g} and {high:g}" if high != math.inf else f"at least {low:g}"
        raise SpecError(path, f"must be {bound}, got {value!r}")
    return float(value)


def _string(value: Any, path: str, *, max_len: int = 255) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, f"must be a non-empty string, got {value!r}")
    if len(value) > max_len:
        raise SpecError(path, f"must be at most {max_len} characters")
    return value


def _choice(value: Any, path: str, choices: frozenset[str]) -> str:
    if value not in choices:
        raise SpecError(path, f"must be one of {', '.join(sorted(choices))}, got {value!r}")
    return str(value)


def _tags(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise SpecError(path, f"must be a mapping of tag keys to values, got {value!r}")
    tags: dict[str, str] = {}
    for key, tag_value in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise SpecError(path, f"tag key {key!r} must be a string of 1 to 128 characters")
        if key.lower().startswith("aws:"):
            raise SpecError(f"{path}.{key}", "tag keys may not start with 'aws:'")
        if isinstance(tag_value, bool) or not isinstance(tag_value, str | int | float):
            raise SpecError(f"{path}.{key}", f"must be a string, got {tag_value!r}")
        text = str(tag_value)
        if len(text) > 256:
            raise SpecError(f"{path}.{key}", "must be at most 256 characters")
        tags[key] = text
    return tags


def _phases(value: Any, path: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise SpecError(path, f"must be a mapping of {', '.join(PHASES)} to seconds, got {value!r}")
    unknown = sorted(set(value) - set(PHASES))
    if unknown:
        raise SpecError(f"{path}.{unknown[0]}", f"unknown phase; expected one of {', '.join(PHASES)}")
    seconds = dict(DEFAULT_PHASE_SECONDS)
    for phase, raw in value.items():
        seconds[phase] = _number(raw, f"{path}.{phase}", low=0.0)
    return seconds


def parse_command_result(value: Any, path: str = "commandResult") -> CommandResult:
    """`{"exitCode": 0, "output": "...", "durationSeconds": 2}` (every field optional)."""
    if not isinstance(value, dict):
        raise SpecError(path, f"must be a mapping of {', '.join(sorted(COMMAND_RESULT_KEYS))}, got {value!r}")
    unknown = sorted(set(value) - COMMAND_RESULT_KEYS)
    if unknown:
        raise SpecError(
            f"{path}.{unknown[0]}", f"unknown field; expected one of {', '.join(sorted(COMMAND_RESULT_KEYS))}"
        )
    output = value.get("output", "")
    if not isinstance(output, str):
        raise SpecError(f"{path}.output", f"must be a string, got {output!r}")
    if len(output) > MAX_COMMAND_OUTPUT:
        raise SpecError(f"{path}.output", f"must be at most {MAX_COMMAND_OUTPUT} characters")
    return CommandResult(
        exit_code=int(
            _number(value.get("exitCode", 0), f"{path}.exitCode", low=-(2**31), high=2**31 - 1, integer=True)
        ),
        output=output,
        duration_seconds=_number(value.get("durationSeconds", 2), f"{path}.durationSeconds", low=0.0),
    )


def parse_spec(raw: Any, *, default_id: str | None = None) -> ServerSpec:
    """Validate one spec dict. Raises SpecError naming the field.

    Accepted keys (all optional except as noted): sourceServerId (`s-` + 17 alphanumerics;
    `default_id` or an id derived from the hostname when absent), hostname (required unless
    sourceServerId is given), fqdn, tags {key: value}, replicationState (DRS dataReplicationState,
    default CONTINUOUS), launchOutcome LAUNCHED | FAILED, failPhase SNAPSHOT | CONVERSION | LAUNCH
    (FAILED only, default LAUNCH), failureMessage, phaseDurations {snapshot, conversion, launch, boot,
    statusChecks} in simulated seconds, statusChecks OK | IMPAIRED (what the EC2 status checks of
    the launched instance settle to, default OK), durationJitter (0..1, +/- fraction applied per launch), instanceType,
    os, cpus, ramGiB, diskGiB, stagingAccountId, commandResult {exitCode (default 0), output (default
    ""), durationSeconds (simulated, default 2)}: what a command sent through SSM to the server's
    recovery instance does (drs_sandbox.ssm).
    """
    if not isinstance(raw, dict):
        raise SpecError("(server)", f"must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise SpecError(unknown[0], f"unknown field; expected one of {', '.join(sorted(SPEC_KEYS))}")
    server_id = raw.get("sourceServerId")
    if server_id is not None and (
        not isinstance(server_id, str) or not SOURCE_SERVER_ID.fullmatch(server_id)
    ):
        raise SpecError("sourceServerId", f"must be 's-' and 17 letters or digits, got {server_id!r}")
    if "hostname" in raw:
        hostname = _string(raw["hostname"], "hostname")
    elif server_id is not None:
        hostname = server_id
    else:
        raise SpecError("hostname", "is required when sourceServerId is not given")
    server_id = server_id or default_id or derive_server_id(hostname)
    outcome = _choice(raw.get("launchOutcome", "LAUNCHED"), "launchOutcome", LAUNCH_OUTCOMES)
    fail_phase: str | None = None
    if "failPhase" in raw:
        fail_phase = _choice(raw["failPhase"], "failPhase", FAIL_PHASES)
        if outcome != "FAILED":
            raise SpecError("failPhase", "only applies when launchOutcome is FAILED")
    elif outcome == "FAILED":
        fail_phase = "LAUNCH"
    failure_message = raw.get("failureMessage")
    if failure_message is not None:
        failure_message = _string(failure_message, "failureMessage", max_len=4096)
    staging = raw.get("stagingAccountId")
    if staging is not None and (not isinstance(staging, str) or not ACCOUNT_ID.fullmatch(staging)):
        raise SpecError("stagingAccountId", f"must be a 12-digit account id, got {staging!r}")
    instance_type = raw.get("instanceType", "t3.medium")
    if not isinstance(instance_type, str) or not INSTANCE_TYPE.fullmatch(instance_type):
        raise SpecError("instanceType", f"must be an EC2 instance type like t3.medium, got {instance_type!r}")
    return ServerSpec(
        source_server_id=server_id,
        hostname=hostname,
        fqdn=_string(raw["fqdn"], "fqdn") if "fqdn" in raw else f"{hostname}.example.internal",
        tags=_tags(raw.get("tags", {}), "tags"),
        replication_state=_choice(
            raw.get("replicationState", "CONTINUOUS"), "replicationState", REPLICATION_STATES
        ),
        launch_outcome=outcome,
        fail_phase=fail_phase,
        failure_message=failure_message,
        phase_seconds=_phases(raw.get("phaseDurations", {}), "phaseDurations"),
        duration_jitter=_number(raw.get("durationJitter", 0.0), "durationJitter", low=0.0, high=1.0),
        instance_type=instance_type,
        os=_string(raw.get("os", "Amazon Linux 2"), "os"),
        cpus=int(_number(raw.get("cpus", 2), "cpus", low=1, high=256, integer=True)),
        ram_gib=_number(raw.get("ramGiB", 4), "ramGiB", low=0.25, high=24576),
        disk_gib=_number(raw.get("diskGiB", 50), "diskGiB", low=1, high=65536),
        staging_account_id=staging,
        status_checks=_choice(raw.get("statusChecks", "OK"), "statusChecks", STATUS_CHECK_OUTCOMES),
        command_result=parse_command_result(raw["commandResult"])
        if "commandResult" in raw
        else DEFAULT_COMMAND_RESULT,
    )


@dataclass
class LastLaunch:
    job_id: str
    api_call_at: float
    is_drill: bool
    status: str  # LaunchStatus


@dataclass
class SourceServer:
    spec: ServerSpec
    seq: int
    added_at: float
    arn: str
    region: str
    last_launch_result: str = "NOT_STARTED"
    last_launch: LastLaunch | None = None
    recovery_instance_id: str | None = None
    active_job_id: str | None = None
    # Staged through the sandbox (stage_replication): a fixed replication lag in seconds, and when
    # the replication state last changed (the last recovery point of a server that stopped replicating).
    staged_lag: float | None = None
    state_changed_at: float | None = None

    def __post_init__(self) -> None:
        # Derived once: rendering 1,000 servers must stay cheap.
        digest = hashlib.sha256(self.id.encode()).hexdigest()
        self.mac_address = "02:" + ":".join(digest[i : i + 2] for i in range(0, 10, 2))
        self.vmware_uuid = f"{digest[10:18]}-{digest[18:22]}-{digest[22:26]}-{digest[26:30]}-{digest[30:42]}"
        octets = bytes.fromhex(digest[42:48])
        self.ip_address = f"10.{octets[0]}.{octets[1]}.{max(octets[2], 4)}"
        self.added_iso = iso(self.added_at)
        self.disk_bytes = int(self.spec.disk_gib * 1024**3)
        self.ram_bytes = int(self.spec.ram_gib * 1024**3)

    @property
    def id(self) -> str:
        return self.spec.source_server_id

    def matches_hardware(self, hardware_id: str) -> bool:
        wanted = hardware_id.lower()
        return wanted in (self.mac_address, self.vmware_uuid)

    def network_interfaces(self) -> list[dict[str, Any]]:
        return [{"macAddress": self.mac_address, "ips": [self.ip_address], "isPrimary": True}]

    def cpus(self) -> list[dict[str, Any]]:
        return [{"cores": self.spec.cpus, "modelName": "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}]

    def source_properties(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "lastUpdatedDateTime": self.added_iso,
            "recommendedInstanceType": spec.instance_type,
            "identificationHints": {
                "hostname": spec.hostname,
                "fqdn": spec.fqdn,
                "vmWareUuid": self.vmware_uuid,
            },
            "networkInterfaces": self.network_interfaces(),
            "disks": [{"deviceName": "/dev/sda", "bytes": self.disk_bytes}],
            "cpus": self.cpus(),
            "ramBytes": self.ram_bytes,
            "os": {"fullString": spec.os},
            "supportsNitroInstances": True,
        }

    def to_wire(self, now: float) -> dict[str, Any]:
        """The DescribeSourceServers item (fresh dicts on every call)."""
        spec = self.spec
        state = spec.replication_state
        disk_bytes = self.disk_bytes
        if state == "CONTINUOUS":
            lag, replicated = "PT0S", disk_bytes
        else:
            lag = iso_duration(now - self.added_at + 300)
            replicated = disk_bytes // 3 if state in ("INITIATING", "INITIAL_SYNC") else disk_bytes
        if self.staged_lag is not None:
            lag = iso_duration(self.staged_lag)
        replication: dict[str, Any] = {
            "dataReplicationState": state,
            "lagDuration": lag,
            "replicatedDisks": [
                {
                    "deviceName": "/dev/sda",
                    "totalStorageBytes": disk_bytes,
                    "replicatedStorageBytes": replicated,
                    "rescannedStorageBytes": 0,
                    "backloggedStorageBytes": disk_bytes - replicated,
                }
            ],
            "stagingAvailabilityZone": f"{self.region}a",
        }
        if state == "STALLED":
            replication["dataReplicationError"] = {
                "error": "NOT_CONVERGING",
                "rawError": "Replication stalled",
            }
        connected = state not in ("DISCONNECTED", "STOPPED")
        life_cycle: dict[str, Any] = {
            "addedToServiceDateTime": self.added_iso,
            "firstByteDateTime": self.added_iso,
            "elapsedReplicationDuration": iso_duration(now - self.added_at),
            "lastSeenByServiceDateTime": iso(now) if connected else self.added_iso,
        }
        if self.last_launch is not None:
            launch = self.last_launch
            life_cycle["lastLaunch"] = {
                "initiated": {
                    "apiCallDateTime": iso(launch.api_call_at),
                    "jobID": launch.job_id,
                    "type": "DRILL" if launch.is_drill else "RECOVERY",
                },
                "status": launch.status,
            }
        item: dict[str, Any] = {
            "sourceServerID": spec.source_server_id,
            "arn": self.arn,
            "tags": dict(spec.tags),
            "lastLaunchResult": self.last_launch_result,
            "dataReplicationInfo": replication,
            "lifeCycle": life_cycle,
            "sourceProperties": self.source_properties(),
            "stagingArea": {"status": "NOT_EXTENDED"},
            "replicationDirection": "FAILOVER",
            "agentVersion": "4.7.1186",
        }
        if spec.staging_account_id:
            item["stagingArea"] = {
                "status": "EXTENDED",
                "stagingAccountID": spec.staging_account_id,
                "stagingSourceServerArn": (
                    f"arn:aws:drs:{self.region}:{spec.staging_account_id}:source-server/{spec.source_server_id}"
                ),
            }
        if self.recovery_instance_id:
            item["recoveryInstanceId"] = self.recovery_instance_id
        return item


# DRS keeps a point-in-time recovery snapshot every 10 minutes while a server replicates.
SNAPSHOT_INTERVAL_SECONDS = 600.0


def latest_snapshot_at(server: SourceServer, now: float) -> float | None:
    """When the newest recovery snapshot of ``server`` was taken: on the 10-minute grid from when it
    was added, up to the moment its data was last current (now less its lag while it replicates,
    the moment it stopped otherwise); None before its initial sync ends."""
    state = server.spec.replication_state
    if state in ("INITIATING", "INITIAL_SYNC"):
        return None
    current = (
        now if state in ("CONTINUOUS", "BACKLOG", "RESCAN") else (server.state_changed_at or server.added_at)
    )
    current -= server.staged_lag or 0.0
    if current < server.added_at:
        return server.added_at
    return (
        server.added_at
        + ((current - server.added_at) // SNAPSHOT_INTERVAL_SECONDS) * SNAPSHOT_INTERVAL_SECONDS
    )
