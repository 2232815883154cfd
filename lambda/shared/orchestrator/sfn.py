"""Step Functions adapter."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.exceptions import ConflictError, DependencyError, TransientError


def _translate(error: ClientError | BotoCoreError, what: str) -> Exception:
    if isinstance(error, BotoCoreError):
        return TransientError(f"Step Functions {what} could not be reached: {error}")
    code = error.response.get("Error", {}).get("Code", "")
    if code in {"ThrottlingException", "ServiceUnavailable", "InternalFailure"}:
        return TransientError(f"Step Functions {what} is throttled or unavailable ({code})")
    if code in {"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}:
        return ConflictError(f"the execution is no longer waiting ({code})", code="NOT_WAITING")
    return DependencyError(f"Step Functions {what} failed ({code})", code="STATES_ERROR")


class StepFunctions:
    def __init__(self, client: Any, state_machine_arn: str):
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, execution_id: str) -> str:
        """Start (idempotently: the name is the execution id) and return the execution ARN."""
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=execution_id,
                input=json.dumps({"executionId": execution_id}),
            )
        except (ClientError, BotoCoreError) as e:
            raise _translate(e, "StartExecution") from e
        return str(response["executionArn"])

    def send_action(self, task_token: str, action: str) -> None:
        try:
            self.client.send_task_success(taskToken=task_token, output=json.dumps({"action": action}))
        except (ClientError, BotoCoreError) as e:
            raise _translate(e, "SendTaskSuccess") from e

    def describe(self, execution_arn: str) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self.client.describe_execution(executionArn=execution_arn)
        except (ClientError, BotoCoreError) as e:
            if (
                isinstance(e, ClientError)
                and e.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist"
            ):
                return {"status": "DOES_NOT_EXIST"}
            raise _translate(e, "DescribeExecution") from e
        return response
