"""SSM adapter: Run Command on recovery instances and Automation executions, for runbook actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


from orchestrator.aws.drs import chunks
from orchestrator.aws.errors import translated
from orchestrator.aws.ports import Command

MAX_INSTANCES_PER_COMMAND = 50  # SendCommand's InstanceIds limit
COMMAND_ENDED = frozenset({"Success", "Failed", "TimedOut", "Cancelled", "Undeliverable", "Terminated"})


class Ssm:
    def __init__(self, client: SSMClient):
        self.client = client

    def send_command(self, command: Command) -> list[str]:
        """One command per 50 instances; their ids."""
        ids = []
        for chunk in chunks(list(command.instance_ids), MAX_INSTANCES_PER_COMMAND):
            with translated("SSM", "SendCommand"):
                response = self.client.send_command(
                    DocumentName=command.document,
                    InstanceIds=chunk,
                    Parameters=dict(command.parameters),
                    TimeoutSeconds=max(30, int(command.timeout_seconds)),
                    Comment=command.comment[:100],
                )
            ids.append(response["Command"]["CommandId"])
        return ids

    def command_results(self, command_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Per instance: {instanceId, status, responseCode, output} of the commands."""
        results = []
        paginator = self.client.get_paginator("list_command_invocations")
        for command_id in command_ids:
            with translated("SSM", "ListCommandInvocations"):
                for page in paginator.paginate(CommandId=command_id, Details=True):
                    for invocation in page.get("CommandInvocations", []):
                        plugins = invocation.get("CommandPlugins") or [{}]
                        results.append(
                            {
                                "instanceId": invocation.get("InstanceId"),
                                "status": invocation.get("Status"),
                                "responseCode": plugins[-1].get("ResponseCode"),
                                "output": "".join(str(p.get("Output") or "") for p in plugins),
                            }
                        )
        return results

    def start_automation(self, *, document: str, parameters: Mapping[str, list[str]]) -> str:
        with translated("SSM", "StartAutomationExecution"):
            response = self.client.start_automation_execution(
                DocumentName=document, Parameters=dict(parameters)
            )
        return response["AutomationExecutionId"]

    def automation(self, automation_id: str) -> dict[str, Any]:
        """{status, outputs, failureMessage} of an Automation execution."""
        with translated("SSM", "GetAutomationExecution"):
            found = self.client.get_automation_execution(AutomationExecutionId=automation_id)
        execution = found["AutomationExecution"]
        return {
            "status": execution.get("AutomationExecutionStatus"),
            "outputs": execution.get("Outputs") or {},
            "failureMessage": execution.get("FailureMessage"),
        }
