"""Routes Step Functions (and direct) invocations by ``operation``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.deps import Deps
from orchestrator.exceptions import BadRequestError
from orchestrator.model import ExecutionRecord
from orchestrator.operations import (
    actions,
    cleanup,
    control,
    drill_schedule,
    finalize,
    find,
    poll,
    readiness,
    report,
    terminate,
    waves,
)
from orchestrator.views import execution_view

StateOperation = Callable[[Deps, dict[str, Any]], Any]

STATE_MACHINE_OPERATIONS: dict[str, StateOperation] = {
    "advance": waves.advance,
    "start_wave": waves.start_wave,
    "poll": poll.poll,
    "finalize": finalize.finalize,
    "expire_pause": waves.expire_pause,
    "run_action": actions.run_action,
    "approval_expired": actions.approval_expired,
    "write_report": report.write_report,
}
CONTROL_OPERATIONS: dict[str, Callable[[Deps, str], ExecutionRecord]] = {
    "pause": control.request_pause,
    "resume": control.resume,
    "cancel": control.cancel,
    "retry": control.retry_wave,
    "skip": control.skip_wave,
    "terminate": terminate.start_termination,
}


def run_operation(deps: Deps, event: Mapping[str, Any]) -> Any:
    operation = event.get("operation")
    if operation == "find":
        return find.find(deps)
    if operation == "readiness_check":
        return readiness.check_all(deps)
    if operation == cleanup.CLEANUP_OPERATION:
        return cleanup.fire_cleanup(deps, event)
    if operation == cleanup.WARNING_OPERATION:
        return cleanup.fire_warning(deps, event)
    if operation == drill_schedule.OPERATION:
        return drill_schedule.fire(deps, event)
    state = dict(event.get("state") or {})
    if event.get("sfnExecutionArn"):
        state["sfnExecutionArn"] = event["sfnExecutionArn"]
    if operation == "pause" and event.get("taskToken"):
        return waves.pause(deps, state, str(event["taskToken"]))
    if operation == "await_approval" and event.get("taskToken"):
        return actions.await_approval(deps, state, str(event["taskToken"]))
    if operation in STATE_MACHINE_OPERATIONS:
        if not state.get("executionId"):
            raise BadRequestError(f"operation {operation} needs state.executionId")
        return STATE_MACHINE_OPERATIONS[operation](deps, state)
    if operation in CONTROL_OPERATIONS:
        execution_id = event.get("executionId") or state.get("executionId")
        if not execution_id:
            raise BadRequestError(f"operation {operation} needs executionId")
        return execution_view(CONTROL_OPERATIONS[str(operation)](deps, str(execution_id)), deps.clock.now())
    raise BadRequestError(f"unknown operation {operation!r}")
