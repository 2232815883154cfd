"""EventBridge Scheduler adapter: the stack's schedules (one schedule group), each invoking the
execution handler with a JSON payload.

Every payload gets ``scheduledTime``: Scheduler replaces the context attribute
``<aws.scheduler.scheduled-time>`` with the time the firing was due (for example
``2026-03-22T18:59:43Z``), the same on every delivery attempt of that firing, so a handler can
record each firing once. One-time schedules (``at(...)``) delete themselves after they ran.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import SpecificErrors, translate
from orchestrator.exceptions import ConflictError, ValidationFailedError

# The context attribute Scheduler fills in at each firing, and the payload key that carries it.
SCHEDULED_TIME_ATTRIBUTE = "<aws.scheduler.scheduled-time>"
SCHEDULED_TIME_KEY = "scheduledTime"
# A firing Lambda could not take (throttled, unavailable) is retried by Scheduler for an hour at most:
# a drill or a cleanup that starts hours late is better reconsidered by its owner than run blindly.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10}
_AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")


def at_expression(when: datetime) -> str:
    """The one-time expression of ``when`` (seconds dropped to whole seconds): ``at(yyyy-mm-ddThh:mm:ss)``.
    Scheduler reads it in the schedule's timezone; pass ``timezone="UTC"`` with a UTC time."""
    return f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"


_ERRORS: SpecificErrors = {
    "ValidationException": lambda m: ValidationFailedError(m, code="SCHEDULE_INVALID"),
    "ConflictException": lambda m: ConflictError(m, code="SCHEDULE_CONFLICT"),
}


class Scheduler:
    """The ``Schedules`` port over the boto3 ``scheduler`` client.

    ``target_arn`` is the execution handler's ARN, ``role_arn`` the role Scheduler assumes to
    invoke it (trusted only by scheduler.amazonaws.com), ``group`` the stack's schedule group.
    """

    def __init__(self, client: Any, *, group: str, target_arn: str, role_arn: str) -> None:
        self.client = client
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn

    def _request(
        self,
        name: str,
        *,
        expression: str,
        payload: Mapping[str, Any],
        timezone: str | None,
        enabled: bool,
        one_time: bool,
        description: str,
    ) -> dict[str, Any]:
        if one_time != bool(_AT.match(expression)):
            raise ValueError(
                f"schedule {name}: one_time={one_time} needs "
                + ("an at(yyyy-mm-ddThh:mm:ss) expression" if one_time else "a rate() or cron() expression")
                + f", got {expression!r}"
            )
        document = {**payload, SCHEDULED_TIME_KEY: SCHEDULED_TIME_ATTRIBUTE}
        request: dict[str, Any] = {
            "Name": name,
            "GroupName": self.group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone or "UTC",
            "State": "ENABLED" if enabled else "DISABLED",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self.target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(document, default=str, sort_keys=True),
                "RetryPolicy": dict(RETRY_POLICY),
            },
            "ActionAfterCompletion": "DELETE" if one_time else "NONE",
            "Description": description[:512],
        }
        return request

    def put(
        self,
        name: str,
        *,
        expression: str,
        payload: Mapping[str, Any],
        timezone: str | None = None,
        enabled: bool = True,
        one_time: bool = False,
        description: str = "",
    ) -> None:
        request = self._request(
            name,
            expression=expression,
            payload=payload,
            timezone=timezone,
            enabled=enabled,
            one_time=one_time,
            description=description,
        )
        # UpdateSchedule replaces every setting; a missing schedule is created instead. A concurrent
        # creation of the same name (ConflictException) is answered by updating the one it made.
        try:
            self.client.update_schedule(**request)
            return
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise translate(e, "Scheduler", "UpdateSchedule", _ERRORS) from e
        except BotoCoreError as e:
            raise translate(e, "Scheduler", "UpdateSchedule") from e
        try:
            self.client.create_schedule(**request)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ConflictException":
                raise translate(e, "Scheduler", "CreateSchedule", _ERRORS) from e
            try:
                self.client.update_schedule(**request)
            except (ClientError, BotoCoreError) as again:
                raise translate(again, "Scheduler", "UpdateSchedule", _ERRORS) from again
        except BotoCoreError as e:
            raise translate(e, "Scheduler", "CreateSchedule") from e

    def delete(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return
            raise translate(e, "Scheduler", "DeleteSchedule", _ERRORS) from e
        except BotoCoreError as e:
            raise translate(e, "Scheduler", "DeleteSchedule") from e
