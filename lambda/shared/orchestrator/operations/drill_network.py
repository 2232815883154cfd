"""A DRILL in an isolated network (the plan option ``drillNetwork``): each server's launch settings
are overridden while it launches, and restored after.

- ``check_plan``: the option validated against EC2 (422 DRILL_NETWORK_INVALID naming the field).
- ``override_servers`` (start_wave, before StartRecovery of a DRILL): per server, the override is
  recorded first (the execution's ``drillOverrides`` entry RECORDED, the server's ``drillOverride``,
  a timeline event), then made: a new launch template version with the drill subnet and security
  groups and no private IP, made the default, and ``copyPrivateIp`` turned off; then recorded MADE.
  A repeat (a retried step) finds the entry and carries on: an entry RECORDED whose template's
  default is no longer the production version was made by the attempt that died.
- ``restore_launched`` (poll): the servers whose instance launched or whose job ended get their
  production version made the default again and ``copyPrivateIp`` as it was; recorded RESTORED.
- ``restore_all`` (finalize) and ``repair`` (find, over the OverridesIndex): every override of an
  ended execution is restored; an active one's as ``restore_launched``. Idempotent throughout:
  restoring sets the default version to the production one only when it is not already.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from execution_utils import ExecutionType, is_terminal
from orchestrator.aws.launch import LaunchPort
from orchestrator.deps import Deps
from orchestrator.exceptions import (
    ConflictError,
    DependencyError,
    OrchestratorError,
    StaleWriteError,
    TransientError,
    ValidationFailedError,
)
from orchestrator.launch import drill_network as net
from orchestrator.model import DrillOverride, ExecutionRecord, ServerRecord, options_of, with_fields
from orchestrator.operations.timeline import note

logger = logging.getLogger(__name__)

RECORDED = "RECORDED"
MADE = "MADE"
RESTORED = "RESTORED"
VERSION_DESCRIPTION = "drs-orchestrator: drill network of execution {}"
MAX_ATTEMPTS = 5


def _port(deps: Deps) -> LaunchPort:
    if deps.launch is None:
        raise DependencyError(
            "a drill network needs the DRS and EC2 launch adapters", code="LAUNCH_NOT_CONFIGURED"
        )
    return deps.launch


def check_plan(deps: Deps, body: Mapping[str, Any]) -> None:
    """422 DRILL_NETWORK_INVALID naming the field of the first problem (every problem in
    ``details.problems``) when a subnet or security group does not exist or they span VPCs."""
    network = (body.get("options") or {}).get("drillNetwork")
    if not network:
        return
    port = _port(deps)
    subnets = port.subnets(list(network["subnetIds"]))
    groups = port.security_groups(list(network["securityGroupIds"]))
    found = net.problems(network, subnets, groups)
    if found:
        field, message = found[0]
        raise ValidationFailedError(
            f"invalid {field}: {message}",
            code="DRILL_NETWORK_INVALID",
            details={"field": field, "problems": [{"field": f, "message": m} for f, m in found]},
        )


def network_of(execution: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The drill network this execution launches into: only a DRILL's, only when its plan has one."""
    if execution.get("executionType") != ExecutionType.DRILL:
        return None
    return options_of(cast(ExecutionRecord, execution)).get("drillNetwork")


def _position(execution: ExecutionRecord, source_server_id: str) -> int | None:
    for position, entry in enumerate(execution.get("drillOverrides") or []):
        if entry["sourceServerId"] == source_server_id:
            return position
    return None


def _write(deps: Deps, execution: ExecutionRecord, entry: DrillOverride) -> ExecutionRecord:
    """Record the entry (appended, or rewritten in its place), reading again when the record moved."""
    for _attempt in range(MAX_ATTEMPTS):
        position = _position(execution, entry["sourceServerId"])
        try:
            if position is None:
                return deps.stores.executions.record_drill_override(execution, entry)
            return deps.stores.executions.update_drill_override(execution, position, entry)
        except StaleWriteError:
            execution = deps.stores.executions.get(execution["executionId"])
    raise TransientError("the execution kept changing while a drill network override was recorded")


def _server_copy(deps: Deps, server: ServerRecord, entry: DrillOverride) -> ServerRecord:
    fresh = with_fields(server, drillOverride=dict(entry), updatedAt=deps.clock.iso())
    deps.stores.servers.put_many([fresh])
    return fresh


def override_servers(
    deps: Deps, execution: ExecutionRecord, wave_number: int, servers: Sequence[ServerRecord]
) -> tuple[ExecutionRecord, list[ServerRecord]]:
    """Before a DRILL's StartRecovery: every server of ``servers`` launches into the drill network.
    Returns the record and the servers as stored now."""
    network = network_of(execution)
    if not network or not servers:
        return execution, list(servers)
    port = _port(deps)
    drill_subnets = port.subnets(network["subnetIds"])
    out: list[ServerRecord] = []
    for server in servers:
        sid = server["sourceServerId"]
        position = _position(execution, sid)
        entry = (execution.get("drillOverrides") or [])[position] if position is not None else None
        if entry is not None and entry["status"] == MADE:
            out.append(server if server.get("drillOverride") == entry else _server_copy(deps, server, entry))
            continue
        config = port.launch_configuration(sid)
        template_id = str(config.get("ec2LaunchTemplateID") or "")
        if not template_id:
            raise DependencyError(
                f"DRS names no EC2 launch template for source server {sid}: it cannot launch into the "
                "drill network",
                code="NO_LAUNCH_TEMPLATE",
            )
        current = port.default_version(template_id)
        if entry is not None and entry["status"] == RECORDED and current.number != entry["productionVersion"]:
            # The attempt that recorded it made it, then died before saying so (perhaps before
            # turning copyPrivateIp off).
            if config.get("copyPrivateIp"):
                port.update_launch_configuration(sid, {"copyPrivateIp": False})
            entry = cast(DrillOverride, {**entry, "status": MADE, "drillVersion": current.number})
            execution = _write(deps, execution, entry)
            out.append(_server_copy(deps, server, entry))
            continue
        if entry is None or entry["status"] == RESTORED:
            production_zone = None
            production = net.production_subnet(current.data)
            if production:
                production_zone = (port.subnets([production]).get(production) or {}).get("AvailabilityZone")
            subnet_id = net.subnet_for(network["subnetIds"], drill_subnets, production_zone)
            entry = {
                "sourceServerId": sid,
                "waveNumber": wave_number,
                "status": RECORDED,
                "launchTemplateId": template_id,
                "productionVersion": current.number,
                "productionCopyPrivateIp": bool(config.get("copyPrivateIp")),
                "subnetId": subnet_id,
                "securityGroupIds": list(network["securityGroupIds"]),
                "recordedTime": deps.clock.iso(),
            }
            execution = _write(deps, execution, entry)
            _server_copy(deps, server, entry)
        note(
            deps,
            execution["executionId"],
            f"DRILL_NETWORK_OVERRIDE#{wave_number}#{sid}#{entry['recordedTime']}",
            "DRILL_NETWORK_OVERRIDE",
            f"source server {sid} launches into the drill network: subnet {entry['subnetId']}, "
            f"security groups {', '.join(entry['securityGroupIds'])}, no private IP copied "
            f"(production: launch template {template_id} version {entry['productionVersion']})",
            wave=wave_number,
            details={"sourceServerId": sid, "subnetId": entry["subnetId"]},
        )
        made = port.new_default_version(
            template_id,
            entry["productionVersion"],
            net.drill_data(current.data, entry["subnetId"], entry["securityGroupIds"]),
            VERSION_DESCRIPTION.format(execution["executionId"]),
        )
        if config.get("copyPrivateIp"):
            port.update_launch_configuration(sid, {"copyPrivateIp": False})
        entry = cast(
            DrillOverride,
            {**entry, "status": MADE, "drillVersion": made.number, "madeTime": deps.clock.iso()},
        )
        execution = _write(deps, execution, entry)
        out.append(_server_copy(deps, server, entry))
        logger.info(
            "drill network override made",
            extra={"executionId": execution["executionId"], "sourceServerId": sid, "version": made.number},
        )
    return execution, out


def restore(deps: Deps, execution: ExecutionRecord, entry: DrillOverride, *, by: str) -> ExecutionRecord:
    """Make the production version the default again and copyPrivateIp as it was; recorded RESTORED
    with a timeline event. Safe to repeat."""
    port = _port(deps)
    sid = entry["sourceServerId"]
    template_id = entry["launchTemplateId"]
    if port.default_version(template_id).number != entry["productionVersion"]:
        port.set_default_version(template_id, entry["productionVersion"])
    if entry["productionCopyPrivateIp"] and port.launch_configuration(sid).get("copyPrivateIp") is not True:
        port.update_launch_configuration(sid, {"copyPrivateIp": True})
    restored = cast(
        DrillOverride, {**entry, "status": RESTORED, "restoredTime": deps.clock.iso(), "restoredBy": by}
    )
    execution = _write(deps, execution, restored)
    note(
        deps,
        execution["executionId"],
        f"DRILL_NETWORK_RESTORED#{entry['waveNumber']}#{sid}#{entry['recordedTime']}",
        "DRILL_NETWORK_RESTORED",
        f"source server {sid}: production launch settings restored (launch template {template_id} "
        f"version {entry['productionVersion']} the default again)",
        wave=int(entry["waveNumber"]),
        details={"sourceServerId": sid, "by": by},
    )
    for server in deps.stores.servers.wave(execution["executionId"], int(entry["waveNumber"])):
        if server["sourceServerId"] == sid:
            _server_copy(deps, server, restored)
    logger.info(
        "drill network override restored",
        extra={"executionId": execution["executionId"], "sourceServerId": sid, "by": by},
    )
    return execution


def _launched_or_ended(server: Mapping[str, Any] | None) -> bool:
    """The server's instance launched, or its launch is over (nothing more will read the template)."""
    if server is None:
        return False
    return bool(server.get("ec2InstanceId")) or str(server.get("launchStatus")) in (
        "LAUNCHED",
        "FAILED",
        "TERMINATED",
    )


def _pending(execution: ExecutionRecord) -> list[DrillOverride]:
    return [e for e in execution.get("drillOverrides") or [] if e["status"] != RESTORED]


def restore_launched(deps: Deps, execution: ExecutionRecord, *, by: str = "poll") -> ExecutionRecord:
    """Restore the overrides of the servers whose instance launched or whose job ended."""
    pending = _pending(execution)
    if not pending:
        return execution
    servers = {s["sourceServerId"]: s for s in deps.stores.servers.all(execution["executionId"])}
    for entry in pending:
        if _launched_or_ended(servers.get(entry["sourceServerId"])):
            execution = restore(deps, execution, entry, by=by)
    return execution


def restore_all(deps: Deps, execution: ExecutionRecord, *, by: str = "finalize") -> ExecutionRecord:
    """Restore every override not restored yet (the execution ended: nothing launches any more)."""
    for entry in _pending(execution):
        execution = restore(deps, execution, entry, by=by)
    return execution


def repair(deps: Deps, execution: ExecutionRecord) -> bool:
    """find: an override left behind (a handler killed between making and restoring it) is restored;
    True when the execution holds none any more."""
    fresh = deps.stores.executions.get(execution["executionId"])
    if is_terminal(fresh["status"]):
        fresh = restore_all(deps, fresh, by="find")
    else:
        fresh = restore_launched(deps, fresh, by="find")
    return not _pending(fresh)


def restore_safely(deps: Deps, execution: ExecutionRecord, *, every: bool) -> ExecutionRecord:
    """restore_all / restore_launched whose failure is logged, not raised (the scheduled find repairs
    what is left: the record keeps overridesPending)."""
    try:
        return restore_all(deps, execution) if every else restore_launched(deps, execution)
    except OrchestratorError as e:
        logger.warning(
            "drill network override not restored yet (find tries again)",
            extra={"executionId": execution["executionId"], "error": e.message},
        )
        return execution


def conflicting_drills(deps: Deps, lock_ids: Sequence[str]) -> list[ExecutionRecord]:
    """The active DRILLs holding one of these locks (its plan or one of its servers)."""
    wanted = set(lock_ids)
    found: list[ExecutionRecord] = []
    for holder, held in deps.stores.locks.holders().items():
        if not wanted & set(held.lock_ids):
            continue
        try:
            execution = deps.stores.executions.get(holder)
        except OrchestratorError:
            continue
        if execution.get("executionType") == ExecutionType.DRILL and not is_terminal(execution["status"]):
            found.append(execution)
    return found


def drill_conflict(drill: ExecutionRecord) -> ConflictError:
    """409 naming the drill and the command that cancels it."""
    drill_id = drill["executionId"]
    return ConflictError(
        f"drill {drill_id} of plan {drill.get('planName')} still runs on these servers: cancel it with "
        f"`drsctl cancel {drill_id}`, or start the recovery with cancelConflictingDrills true (the drill "
        "is cancelled and its drill network overrides restored first)",
        code="DRILL_STILL_RUNNING",
        details={"executionId": drill_id, "cancelCommand": f"drsctl cancel {drill_id}"},
    )


def restore_for_recovery(deps: Deps, server_ids: Sequence[str], recovery_id: str) -> list[dict[str, Any]]:
    """A RECOVERY's pre-flight: every drill network override not restored on one of its servers
    (whichever execution holds it) is restored now, recorded as restored by the recovery. Returns
    what was restored ({executionId, sourceServerId})."""
    wanted = set(server_ids)
    restored: list[dict[str, Any]] = []
    for held in deps.stores.executions.with_overrides_pending():
        execution = held
        for entry in _pending(held):
            if entry["sourceServerId"] in wanted:
                execution = restore(deps, execution, entry, by=f"RECOVERY {recovery_id}")
                restored.append(
                    {"executionId": held["executionId"], "sourceServerId": entry["sourceServerId"]}
                )
    return restored
