"""LAMBDA: invoke the plan's function synchronously with the documented context and the payload.

Success unless the function raises or returns ``{"status": "FAILED", ...}``; a function that runs
past its own timeout (or the invocation's) is TIMED_OUT. Only functions named with the stack's
ActionFunctionPrefix may be invoked (its IAM policy allows no others)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from execution_utils import ActionStatus, ActionType
from orchestrator.actions import base
from orchestrator.aws.ports import FunctionsPort
from orchestrator.config import Config
from orchestrator.model import ActionRecord

# A LAMBDA action is invoked synchronously inside the execution handler, whose limit is 900 s.
LAMBDA_MAX_TIMEOUT_SECONDS = 840


def _failure_message(result: Any) -> str:
    if isinstance(result, dict):
        for key in ("message", "error", "reason", "errorMessage"):
            if result.get(key):
                return str(result[key])
    return "the function reported FAILED"


class LambdaRunner:
    def __init__(self, functions: FunctionsPort):
        self.functions = functions

    def start(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        event = {**(action.get("payload") or {}), **context.event}
        invocation = base.call_service(lambda: self.functions.invoke(action["functionName"], event))
        if isinstance(invocation, base.Outcome):
            return invocation
        if invocation.timed_out:
            return base.Outcome(
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
            return base.Outcome(
                ActionStatus.FAILED,
                output=invocation.body,
                error=f"function {action['functionName']} raised"
                + (f" {kind}" if kind else "")
                + f": {message}",
            )
        if isinstance(result, dict) and str(result.get("status", "")).upper() == "FAILED":
            return base.Outcome(ActionStatus.FAILED, output=invocation.body, error=_failure_message(result))
        return base.Outcome(ActionStatus.SUCCEEDED, output=invocation.body or None)

    def check(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        # A synchronous invocation ends in start; a RUNNING one without its result was interrupted
        # (operations/actions.py decides when it counts as lost).
        return base.Outcome(ActionStatus.RUNNING)


class LambdaKind(base.RunnerKind):
    type = ActionType.LAMBDA
    fields: ClassVar[dict[str, dict[str, Any]]] = {
        "functionName": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        "payload": {"type": "object", "maxProperties": 50},
    }
    required = ("functionName",)
    max_timeout_seconds = LAMBDA_MAX_TIMEOUT_SECONDS
    synchronous = True

    def validate(self, action: Mapping[str, Any], config: Config) -> list[base.Problem]:
        problems: list[base.Problem] = []
        prefix = config.action_function_prefix
        name = action["functionName"]
        # The prefix names a family of functions; the prefix alone is no function of it.
        if not name.startswith(prefix) or len(name) == len(prefix):
            problems.append(
                (
                    "functionName",
                    f"this stack may invoke only functions whose name is {prefix!r} followed by at "
                    "least one character (stack parameter ActionFunctionPrefix)",
                )
            )
        reserved = sorted(base.ACTION_CONTEXT_KEYS & set(action.get("payload") or {}))
        if reserved:
            problems.append(
                (
                    f"payload.{reserved[0]}",
                    f"{reserved[0]} is part of the context every function receives; use another key",
                )
            )
        if int(action.get("timeoutSeconds") or 0) > LAMBDA_MAX_TIMEOUT_SECONDS:
            problems.append(
                (
                    "timeoutSeconds",
                    f"a LAMBDA action runs at most {LAMBDA_MAX_TIMEOUT_SECONDS} s (it is invoked "
                    "synchronously)",
                )
            )
        return problems

    def runner(self, ports: base.ActionPorts) -> base.Runner:
        return LambdaRunner(ports.functions)
