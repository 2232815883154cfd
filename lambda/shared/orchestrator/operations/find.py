"""find (EventBridge schedule): reconcile active executions with Step Functions and follow
termination jobs. Never finalizes an execution whose state machine is still running."""

from __future__ import annotations

import logging
from typing import Any

from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.exceptions import OrchestratorError
from orchestrator.operations.finalize import finalize_execution
from orchestrator.operations.terminate import follow_termination

logger = logging.getLogger(__name__)
# A PENDING record whose state machine never appeared is given this long before it is failed.
START_GRACE_SECONDS = 300
DEAD_STATES = {"FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"}


def execution_arn(deps: Deps, execution: dict[str, Any]) -> str:
    if execution.get("sfnExecutionArn"):
        return str(execution["sfnExecutionArn"])
    machine: str = deps.config.state_machine_arn
    return machine.replace(":stateMachine:", ":execution:") + ":" + str(execution["executionId"])


def find(deps: Deps) -> dict[str, Any]:
    checked = 0
    reconciled: list[dict[str, Any]] = []
    finished: list[str] = []
    errors: list[dict[str, Any]] = []
    for execution in deps.stores.executions.active():
        checked += 1
        try:
            described = deps.sfn.describe(execution_arn(deps, execution))
            state = described.get("status")
            if state == "RUNNING":
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
    return {"checked": checked, "reconciled": reconciled, "terminationsFinished": finished, "errors": errors}
