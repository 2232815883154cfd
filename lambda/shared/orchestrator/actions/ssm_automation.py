"""SSM_AUTOMATION: start an Automation execution and wait for its end."""

from __future__ import annotations

import json

from execution_utils import ActionStatus
from orchestrator.actions import ActionContext, Outcome, render_parameters
from orchestrator.exceptions import OrchestratorError, TransientError
from orchestrator.model import ActionRecord
from orchestrator.ports import SsmPort

_RUNNING = frozenset({"Pending", "InProgress", "Waiting", "Cancelling", "RunbookInProgress", "Scheduled"})
_TIMED_OUT = frozenset({"TimedOut"})


class AutomationRunner:
    def __init__(self, ssm: SsmPort):
        self.ssm = ssm

    def start(self, action: ActionRecord, context: ActionContext) -> Outcome:
        try:
            automation_id = self.ssm.start_automation(
                document=action["documentName"],
                parameters=render_parameters(action.get("parameters") or {}, context),
            )
        except TransientError:
            raise
        except OrchestratorError as e:
            return Outcome(ActionStatus.FAILED, error=e.message)
        return Outcome(ActionStatus.RUNNING, handle={"automationExecutionId": automation_id})

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome:
        automation_id = (action.get("handle") or {}).get("automationExecutionId", "")
        try:
            found = self.ssm.automation(automation_id)
        except TransientError:
            return Outcome(ActionStatus.RUNNING)
        except OrchestratorError as e:
            return Outcome(ActionStatus.FAILED, error=e.message)
        status = str(found.get("status") or "Pending")
        if status in _RUNNING:
            return Outcome(ActionStatus.RUNNING)
        output = json.dumps(found.get("outputs") or {}, sort_keys=True) if found.get("outputs") else None
        if status == "Success":
            return Outcome(ActionStatus.SUCCEEDED, output=output)
        error = f"automation {automation_id} ended {status}" + (
            f": {found['failureMessage']}" if found.get("failureMessage") else ""
        )
        kind = ActionStatus.TIMED_OUT if status in _TIMED_OUT else ActionStatus.FAILED
        return Outcome(kind, output=output, error=error)
