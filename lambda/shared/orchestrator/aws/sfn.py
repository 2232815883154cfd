"""Step Functions adapter."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import SpecificErrors, translate, translated
from orchestrator.exceptions import ConflictError


def _not_waiting(message: str) -> ConflictError:
    return ConflictError(f"the execution is no longer waiting: {message}", code="NOT_WAITING")


_SPECIFIC: SpecificErrors = dict.fromkeys(("TaskDoesNotExist", "TaskTimedOut", "InvalidToken"), _not_waiting)


class StepFunctions:
    def __init__(self, client: SFNClient, state_machine_arn: str):
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, execution_id: str) -> str:
        """Start (idempotently: the name is the execution id) and return the execution ARN."""
        with translated("Step Functions", "StartExecution", _SPECIFIC):
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=execution_id,
                input=json.dumps({"executionId": execution_id}),
            )
        return str(response["executionArn"])

    def send_action(self, task_token: str, action: str) -> None:
        with translated("Step Functions", "SendTaskSuccess", _SPECIFIC):
            self.client.send_task_success(taskToken=task_token, output=json.dumps({"action": action}))

    def describe(self, execution_arn: str) -> dict[str, Any]:
        try:
            response = dict(self.client.describe_execution(executionArn=execution_arn))
        except (ClientError, BotoCoreError) as e:
            if (
                isinstance(e, ClientError)
                and e.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist"
            ):
                return {"status": "DOES_NOT_EXIST"}
            raise translate(e, "Step Functions", "DescribeExecution", _SPECIFIC) from e
        return response
