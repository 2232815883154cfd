"""SSM_AUTOMATION: start an Automation execution and wait for its end. An Automation always takes
parameters, within StartAutomationExecution's limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from execution_utils import ActionStatus, ActionType
from orchestrator.actions import base
from orchestrator.actions.ssm_documents import DOCUMENT_NAME, PARAMETERS, document_problems
from orchestrator.aws.ports import SsmPort
from orchestrator.config import Config
from orchestrator.model import ActionRecord

_RUNNING = frozenset({"Pending", "InProgress", "Waiting", "Cancelling", "RunbookInProgress", "Scheduled"})
_TIMED_OUT = frozenset({"TimedOut"})

# StartAutomationExecution's limits (botocore's AutomationParameterMap): 1 to 200 parameters, names
# of 1 to 50 characters, at most 50 values of 1 to 512 characters. botocore refuses any call outside
# them before it is sent, so an automation that breaks them would fail every time it runs.
AUTOMATION_MAX_PARAMETERS = 200
AUTOMATION_MAX_NAME = 50
AUTOMATION_MAX_VALUES = 50
AUTOMATION_MAX_VALUE = 512


class AutomationRunner:
    def __init__(self, ssm: SsmPort):
        self.ssm = ssm

    def start(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        automation_id = base.call_service(
            lambda: self.ssm.start_automation(
                document=action["documentName"],
                parameters=base.render_parameters(action.get("parameters") or {}, context),
            )
        )
        if isinstance(automation_id, base.Outcome):
            return automation_id
        return base.Outcome(ActionStatus.RUNNING, handle={"automationExecutionId": automation_id})

    def check(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        automation_id = (action.get("handle") or {}).get("automationExecutionId", "")
        found = base.call_service(
            lambda: self.ssm.automation(automation_id), passing=base.Outcome(ActionStatus.RUNNING)
        )
        if isinstance(found, base.Outcome):
            return found
        status = str(found.get("status") or "Pending")
        if status in _RUNNING:
            return base.Outcome(ActionStatus.RUNNING)
        output = json.dumps(found.get("outputs") or {}, sort_keys=True) if found.get("outputs") else None
        if status == "Success":
            return base.Outcome(ActionStatus.SUCCEEDED, output=output)
        error = f"automation {automation_id} ended {status}" + (
            f": {found['failureMessage']}" if found.get("failureMessage") else ""
        )
        kind = ActionStatus.TIMED_OUT if status in _TIMED_OUT else ActionStatus.FAILED
        return base.Outcome(kind, output=output, error=error)


def _parameter_problems(action: Mapping[str, Any]) -> list[base.Problem]:
    """An Automation always gets parameters: StartAutomationExecution refuses an empty map, and the
    parameters are what ties the automation to the wave (``{{instanceIds}}``). The first problem
    found, if any."""
    parameters = action.get("parameters") or {}
    if not parameters:
        return [
            (
                "parameters",
                "an SSM_AUTOMATION action needs parameters (at least one): Automation refuses an "
                "execution without any",
            )
        ]
    if len(parameters) > AUTOMATION_MAX_PARAMETERS:
        return [("parameters", f"Automation takes at most {AUTOMATION_MAX_PARAMETERS} parameters")]
    for name, values in parameters.items():
        where = f"parameters.{name}"
        if len(name) > AUTOMATION_MAX_NAME:
            return [(where, f"an Automation parameter name has at most {AUTOMATION_MAX_NAME} characters")]
        if len(values) > AUTOMATION_MAX_VALUES:
            return [(where, f"an Automation parameter has at most {AUTOMATION_MAX_VALUES} values")]
        for i, value in enumerate(values):
            if not value or len(value) > AUTOMATION_MAX_VALUE:
                return [
                    (
                        f"{where}[{i}]",
                        f"an Automation parameter value has 1 to {AUTOMATION_MAX_VALUE} characters",
                    )
                ]
    return []


class AutomationKind(base.RunnerKind):
    type = ActionType.SSM_AUTOMATION
    fields: ClassVar[dict[str, dict[str, Any]]] = {"documentName": DOCUMENT_NAME, "parameters": PARAMETERS}
    required = ("documentName", "parameters")

    def validate(self, action: Mapping[str, Any], config: Config) -> list[base.Problem]:
        return document_problems(
            action, self.type, config.allowed_ssm_automation_documents, "AllowedSsmAutomationDocuments"
        ) + _parameter_problems(action)

    def runner(self, ports: base.ActionPorts) -> base.Runner:
        return AutomationRunner(ports.ssm)
