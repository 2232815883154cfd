"""find (EventBridge schedule): reconcile active executions with Step Functions, refresh the server
data of executions nobody polls (a PAUSED one waits on its task token for hours), and follow
termination jobs. Never finalizes an execution whose state machine is still running."""

from __future__ import annotations

import logging
from typing import Any

from execution_utils import ACTIVE_STATUSES, ReadinessCheck, server_is_ready
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.dynamo import Expression
from orchestrator.exceptions import OrchestratorError
from orchestrator.operations.finalize import finalize_execution
from orchestrator.operations.terminate import follow_termination

logger = logging.getLogger(__name__)
# A PENDING record whose state machine never appeared is given this long before it is failed.
START_GRACE_SECONDS = 300
DEAD_STATES = {"FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"}
# Server data older than this (no poll, no refresh) is refreshed from EC2 by find.
STALE_SERVER_SECONDS = 600
MAX_REFRESHED_PER_EXECUTION = 400


def refresh_stale_servers(deps: Deps, execution: dict[str, Any]) -> int:
    """EC2 state of the launched servers of an execution whose data went stale; returns how many
    server items changed. Statuses are left alone: only poll and finalize decide those."""
    marks = [t for t in (execution.get("lastPolledTime"), execution.get("serversRefreshedTime")) if t]
    if not marks or timeutil.seconds_between(max(marks)) < STALE_SERVER_SECONDS:
        return 0
    readiness = ReadinessCheck(execution.get("options", {}).get("readinessCheck", ReadinessCheck.EC2_RUNNING))
    launched = [s for s in deps.stores.servers.all(execution["executionId"]) if s.get("ec2InstanceId")]
    launched.sort(key=lambda s: str(s.get("updatedAt") or ""))
    launched = launched[:MAX_REFRESHED_PER_EXECUTION]
    details = deps.ec2.instances([s["ec2InstanceId"] for s in launched]) if launched else {}
    now = timeutil.iso()
    changed = []
    for server in launched:
        fresh = {
            **server,
            "ec2State": (details.get(server["ec2InstanceId"]) or {}).get("ec2State", "terminated"),
        }
        fresh["ready"] = server_is_ready(fresh, readiness)
        if (fresh["ec2State"], fresh["ready"]) != (server.get("ec2State"), server.get("ready")):
            changed.append({**fresh, "updatedAt": now})
    if changed:
        deps.stores.servers.put_many(changed)
    deps.stores.executions.update(
        execution, Expression().set("serversRefreshedTime", now), expect_statuses=ACTIVE_STATUSES
    )
    return len(changed)


def execution_arn(deps: Deps, execution: dict[str, Any]) -> str:
    if execution.get("sfnExecutionArn"):
        return str(execution["sfnExecutionArn"])
    machine: str = deps.config.state_machine_arn
    return machine.replace(":stateMachine:", ":execution:") + ":" + str(execution["executionId"])


def find(deps: Deps) -> dict[str, Any]:
    checked = 0
    reconciled: list[dict[str, Any]] = []
    finished: list[str] = []
    refreshed = 0
    errors: list[dict[str, Any]] = []
    for execution in deps.stores.executions.active():
        checked += 1
        try:
            described = deps.sfn.describe(execution_arn(deps, execution))
            state = described.get("status")
            if state == "RUNNING":
                refreshed += refresh_stale_servers(deps, execution)
                continue
            if state == "DOES_NOT_EXIST":
                if timeutil.seconds_between(execution["startTime"]) < START_GRACE_SECONDS:
                    continue
                reason = "the state machine execution never started"
            elif state in DEAD_STATES:
                detail = described.get("error") or described.get("cause") or ""
                reason = f"the state machine execution ended {state}" + (f" ({detail})" if detail else "")
            else:
                continue
            record = finalize_execution(deps, execution["executionId"], error=reason)
            reconciled.append({"executionId": execution["executionId"], "status": record["status"]})
            logger.warning(
                "execution reconciled", extra={"executionId": execution["executionId"], "reason": reason}
            )
        except OrchestratorError as e:
            errors.append({"executionId": execution["executionId"], "error": e.message})
    for execution in deps.stores.executions.terminating():
        try:
            if follow_termination(deps, execution):
                finished.append(execution["executionId"])
        except OrchestratorError as e:
            errors.append({"executionId": execution["executionId"], "error": e.message})
    return {
        "checked": checked,
        "reconciled": reconciled,
        "serversRefreshed": refreshed,
        "terminationsFinished": finished,
        "errors": errors,
    }
