"""Lambda adapter: the synchronous invocation of a runbook's LAMBDA action."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from orchestrator.aws.errors import translate
from orchestrator.exceptions import NotFoundError, TransientError

# Invoke errors that mean the function did not run (Lambda refused or could not take the request):
# throttled, its service failing (5xx), or the function not ready yet. Trying again later is safe and
# costs the action no attempt. (ServiceException is Lambda's 500; AWS advises retrying it, as the
# state machine's own Retry does for the execution handler.)
NOT_RUN_CODES = (
    "ServiceException",
    "TooManyRequestsException",
    "EC2ThrottledException",
    "ResourceNotReadyException",
    "ResourceConflictException",
)


@dataclass(frozen=True)
class Invocation:
    """What a function answered: its payload (text) and, when it raised, Lambda's FunctionError."""

    body: str
    function_error: str | None = None
    timed_out: bool = False


def _not_run(message: str) -> TransientError:
    return TransientError(f"{message} (the function did not run)")


class Functions:
    def __init__(self, client: LambdaClient):
        self.client = client

    def invoke(self, name: str, event: Mapping[str, Any]) -> Invocation:
        try:
            response = self.client.invoke(
                FunctionName=name,
                InvocationType="RequestResponse",
                Payload=json.dumps(event, default=str).encode(),
            )
        except ReadTimeoutError:
            return Invocation(body="", function_error="Unhandled", timed_out=True)
        except (ClientError, BotoCoreError) as e:
            raise translate(
                e,
                "Lambda",
                "Invoke",
                {
                    "ResourceNotFoundException": lambda m: NotFoundError(m, code="FUNCTION_NOT_FOUND"),
                    **dict.fromkeys(NOT_RUN_CODES, _not_run),
                },
            ) from e
        body = response["Payload"].read().decode("utf-8", errors="replace")
        error = response.get("FunctionError")
        return Invocation(body=body, function_error=error, timed_out=bool(error) and "Task timed out" in body)
