"""APPROVAL: the execution pauses (pauseReason APPROVAL) until someone resumes it.

The waiting is the state machine's (a task token, like any pause: operations/actions.await_approval
asks, approval_expired ends a wait nobody answered); the resume records who approved and their
comment (operations/control.resume). This kind says what an approval is: an action an operator
completes (OperatorKind: no runner), waiting as long as any pause of the plan may unless the plan says otherwise, and the
words of its timeline and its timeout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from execution_utils import ActionType, format_limit
from orchestrator.actions.base import OperatorKind


class ApprovalKind(OperatorKind):
    type = ActionType.APPROVAL

    def defaults(self, options: Mapping[str, Any]) -> dict[str, Any]:
        # An approval waits as long as any pause may (the plan's pauseTimeoutMinutes).
        return {"timeoutSeconds": int(options["pauseTimeoutMinutes"]) * 60}

    def timeout_error(self, action: Mapping[str, Any]) -> str:
        """The error of an approval nobody gave in time, naming the real limit (``not approved
        within 10 s``)."""
        return f"not approved within {format_limit(int(action['timeoutSeconds']))}"

    def request_words(self, action: Mapping[str, Any], wave_number: int) -> str:
        return f"waiting for approval {action['name']} in wave {wave_number}: resume to approve"
