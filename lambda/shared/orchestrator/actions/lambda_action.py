"""LAMBDA: invoke the plan's function synchronously with the documented context and the payload.

Success unless the function raises or returns ``{"status": "FAILED", ...}``; a function that runs
past its own timeout (or the invocation's) is TIMED_OUT."""

from __future__ import annotations

import json
from typing import Any

from execution_utils import ActionStatus
from orchestrator.actions import ActionContext, Outcome
from orchestrator.exceptions import OrchestratorError, TransientError
from orchestrator.model import ActionRecord
from orchestrator.ports import FunctionsPort


def _failure_message(result: Any) -> str:
    if isinstance(result, dict):
        for key in ("message", "error", "reason", "errorMessage"):
            if result.get(key):
                return str(result[key])
    return "the function reported FAILED"


class LambdaRunner:
    def __init__(self, functions: FunctionsPort):
        self.functions = functions

    def start(self, action: ActionRecord, context: ActionContext) -> Outcome:
        event = {**(action.get("payload") or {}), **context.event}
        try:
            invocation = self.functions.invoke(action["functionName"], event)
        except TransientError:
            raise
        except OrchestratorError as e:
            return Outcome(ActionStatus.FAILED, error=e.message)
        if invocation.timed_out:
            return Outcome(
                ActionStatus.TIMED_OUT,
                output=invocation.body or None,
                error=f"function {action['functionName']} timed out",
            )
        try:
            result = json.loads(invocation.body) if invocation.body else None
        except ValueError:
            result = invocation.body
        if invocation.function_error:
            message = _failure_message(result) if isinstance(result, dict) else str(result)
            kind = result.get("errorType") if isinstance(result, dict) else None
            return Outcome(
                ActionStatus.FAILED,
                output=invocation.body,
                error=f"function {action['functionName']} raised"
                + (f" {kind}" if kind else "")
                + f": {message}",
            )
        if isinstance(result, dict) and str(result.get("status", "")).upper() == "FAILED":
            return Outcome(ActionStatus.FAILED, output=invocation.body, error=_failure_message(result))
        return Outcome(ActionStatus.SUCCEEDED, output=invocation.body or None)

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome:
        # A synchronous invocation ends in start; a RUNNING one without its result was interrupted
        # (operations/actions.py decides when it counts as lost).
        return Outcome(ActionStatus.RUNNING)
