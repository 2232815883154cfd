"""APPROVAL: the execution pauses (pauseReason APPROVAL) until someone resumes it.

The waiting is the state machine's (a task token, like any pause); the resume records who
approved and their comment (operations/control.resume). This runner only says: ask for it."""

from __future__ import annotations

from execution_utils import ActionStatus
from orchestrator.actions import ActionContext, Outcome
from orchestrator.model import ActionRecord


class ApprovalRunner:
    def start(self, action: ActionRecord, context: ActionContext) -> Outcome:
        return Outcome(ActionStatus.RUNNING, handle={"approval": "REQUESTED"})

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome:
        return Outcome(ActionStatus.RUNNING)
