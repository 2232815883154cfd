"""Operator controls behind the API: pause, resume, cancel. Each is a conditional write on the
status (and version) it read, so a racing control gets a clear conflict instead of a lost update."""

from __future__ import annotations

import logging
from typing import Any

from execution_utils import ExecutionStatus, WaveStatus, normalize_execution_status, transition
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.dynamo import Expression
from orchestrator.exceptions import ConflictError, StaleWriteError

logger = logging.getLogger(__name__)


def _conflict(execution: dict[str, Any], action: str, why: str) -> ConflictError:
    return ConflictError(
        f"cannot {action} execution {execution['executionId']}: {why}",
        code="INVALID_STATE",
        details={"status": str(normalize_execution_status(execution["status"]))},
    )


def _raced(execution_id: str, action: str) -> ConflictError:
    return ConflictError(
        f"execution {execution_id} changed while the {action} was being applied; read it again",
        code="CONCURRENT_UPDATE",
    )


def request_pause(deps: Deps, execution_id: str) -> dict[str, Any]:
    """Ask the execution to pause before its next wave (honoured at the next wave boundary)."""
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS):
        raise _conflict(execution, "pause", f"it is {status}")
    if execution.get("pauseRequested"):
        raise _conflict(execution, "pause", "a pause is already requested")
    if not any(w.get("status") == WaveStatus.NOT_STARTED for w in execution.get("waves", [])):
        raise _conflict(execution, "pause", "no wave is left to pause before")
    try:
        return deps.stores.executions.update(
            execution, Expression().set("pauseRequested", True), expect_statuses=[status], expect_version=True
        )
    except StaleWriteError as e:
        raise _raced(execution_id, "pause") from e


def resume(deps: Deps, execution_id: str) -> dict[str, Any]:
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if status is not ExecutionStatus.PAUSED or not execution.get("taskToken"):
        raise _conflict(execution, "resume", f"it is {status}, not PAUSED")
    expr = Expression().set("status", str(transition(status, ExecutionStatus.IN_PROGRESS)))
    expr.set("resumedBeforeWave", execution.get("pausedBeforeWave")).remove("taskToken")
    if execution.get("pausedBeforeWave"):
        expr.set("currentWave", execution["pausedBeforeWave"])
    try:
        record = deps.stores.executions.update(execution, expr, expect_version=True)
    except StaleWriteError as e:
        raise _raced(execution_id, "resume") from e
    deps.sfn.send_action(execution["taskToken"], "RESUME")
    logger.info(
        "execution resumed", extra={"executionId": execution_id, "wave": execution.get("pausedBeforeWave")}
    )
    return record


def cancel(deps: Deps, execution_id: str) -> dict[str, Any]:
    """CANCELLING; a started wave is followed to the end of its DRS jobs, then the state machine
    finalizes. A paused execution's token is completed so it finalizes at once."""
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.PAUSED):
        raise _conflict(execution, "cancel", f"it is {status}")
    expr = Expression().set("status", str(transition(status, ExecutionStatus.CANCELLING)))
    expr.set("cancelRequested", True).set("cancelRequestedTime", timeutil.iso()).remove("taskToken")
    try:
        record = deps.stores.executions.update(execution, expr, expect_version=True)
    except StaleWriteError as e:
        raise _raced(execution_id, "cancel") from e
    if status is ExecutionStatus.PAUSED:
        deps.sfn.send_action(execution["taskToken"], "CANCEL")
    logger.info("execution cancelling", extra={"executionId": execution_id, "from": str(status)})
    return record
