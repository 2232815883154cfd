"""The EventBridge Scheduler adapter (orchestrator.aws.scheduler) over moto's scheduler, in-process
(sockets stay disabled): what a schedule looks like to Scheduler after put, idempotent puts and
deletes, one-time schedules, and Scheduler's refusals as domain errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orchestrator.aws.scheduler import SCHEDULED_TIME_ATTRIBUTE, Scheduler, at_expression
from orchestrator.exceptions import PermissionDeniedError, TransientError, ValidationFailedError

GROUP = "drs-orchestrator-schedules"
TARGET = "arn:aws:lambda:us-east-1:123456789012:function:drs-orchestrator-execution-handler"
ROLE = "arn:aws:iam::123456789012:role/drs-orchestrator-scheduler"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        scheduler = boto3.client("scheduler", region_name="us-east-1")
        scheduler.create_schedule_group(Name=GROUP)
        yield scheduler


@pytest.fixture
def schedules(client: Any) -> Scheduler:
    return Scheduler(client, group=GROUP, target_arn=TARGET, role_arn=ROLE)


def test_a_put_schedule_invokes_the_handler_with_the_payload_and_the_scheduled_time(
    client: Any, schedules: Scheduler
) -> None:
    # Given the stack's group, when a weekly schedule is put
    schedules.put(
        "plan-p1",
        expression="cron(0 3 ? * SAT *)",
        payload={"operation": "scheduled_drill", "planId": "p1"},
        timezone="Europe/Berlin",
        description="weekly drill",
    )
    # Then Scheduler holds it in the group, enabled, in that timezone, targeting the handler with its role
    found = client.get_schedule(Name="plan-p1", GroupName=GROUP)
    assert found["ScheduleExpression"] == "cron(0 3 ? * SAT *)"
    assert found["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert found["State"] == "ENABLED"
    assert found["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert found["Target"]["Arn"] == TARGET
    assert found["Target"]["RoleArn"] == ROLE
    assert found["ActionAfterCompletion"] == "NONE"
    assert found["Description"] == "weekly drill"
    # And the payload carries the scheduled-time context attribute for Scheduler to fill in
    assert json.loads(found["Target"]["Input"]) == {
        "operation": "scheduled_drill",
        "planId": "p1",
        "scheduledTime": SCHEDULED_TIME_ATTRIBUTE,
    }


def test_putting_a_schedule_again_updates_it_in_place(client: Any, schedules: Scheduler) -> None:
    # Given a schedule
    schedules.put("plan-p1", expression="rate(7 days)", payload={"planId": "p1"})
    # When it is put again, disabled and with another expression
    schedules.put("plan-p1", expression="rate(1 day)", payload={"planId": "p1"}, enabled=False)
    schedules.put("plan-p1", expression="rate(1 day)", payload={"planId": "p1"}, enabled=False)
    # Then there is still one schedule, with the new settings
    listed = client.list_schedules(GroupName=GROUP)["Schedules"]
    assert [s["Name"] for s in listed] == ["plan-p1"]
    found = client.get_schedule(Name="plan-p1", GroupName=GROUP)
    assert (found["ScheduleExpression"], found["State"]) == ("rate(1 day)", "DISABLED")
    assert found["ScheduleExpressionTimezone"] == "UTC"


def test_a_one_time_schedule_deletes_itself_after_it_ran(client: Any, schedules: Scheduler) -> None:
    # When a one-time schedule is put for a given UTC time
    when = datetime(2026, 12, 8, 14, 30, 5)
    schedules.put(
        "cleanup-e1",
        expression=at_expression(when),
        payload={"executionId": "e1"},
        one_time=True,
        timezone="UTC",
    )
    # Then it is an at() expression that Scheduler deletes after completion
    found = client.get_schedule(Name="cleanup-e1", GroupName=GROUP)
    assert found["ScheduleExpression"] == "at(2026-12-08T14:30:05)"
    assert found["ActionAfterCompletion"] == "DELETE"


def test_an_expression_that_does_not_match_one_time_is_refused_before_any_call(
    client: Any, schedules: Scheduler
) -> None:
    with pytest.raises(ValueError, match="at\\(yyyy"):
        schedules.put("x", expression="rate(1 day)", payload={}, one_time=True)
    with pytest.raises(ValueError, match="rate\\(\\) or cron\\(\\)"):
        schedules.put("x", expression="at(2026-12-08T14:30:05)", payload={})
    assert client.list_schedules(GroupName=GROUP)["Schedules"] == []


def test_deleting_a_schedule_twice_is_fine(client: Any, schedules: Scheduler) -> None:
    # Given a schedule
    schedules.put("plan-p1", expression="rate(7 days)", payload={"planId": "p1"})
    # When it is deleted, and deleted again (a retried plan deletion)
    schedules.delete("plan-p1")
    schedules.delete("plan-p1")
    # Then it is gone and the second deletion raised nothing
    assert client.list_schedules(GroupName=GROUP)["Schedules"] == []


class Scripted:
    """A scheduler client answering every call with one error code."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls: list[str] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> None:
            self.calls.append(operation)
            raise ClientError({"Error": {"Code": self.code, "Message": "scripted"}}, operation)

        return call


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ThrottlingException", TransientError),
        ("InternalServerException", TransientError),
        ("AccessDeniedException", PermissionDeniedError),
        ("ValidationException", ValidationFailedError),
    ],
)
def test_scheduler_refusals_become_domain_errors(code: str, error: type[Exception]) -> None:
    client = Scripted(code)
    schedules = Scheduler(client, group=GROUP, target_arn=TARGET, role_arn=ROLE)
    with pytest.raises(error):
        schedules.put("plan-p1", expression="rate(7 days)", payload={})
    with pytest.raises(error):
        schedules.delete("plan-p1")
    # A refused update is not followed by a create: only a missing schedule is.
    assert client.calls == ["update_schedule", "delete_schedule"]


def test_a_schedule_created_concurrently_is_updated_instead(client: Any) -> None:
    """Given another caller creates the schedule between our update (not found) and our create,
    the put still ends with our settings."""

    class Racing:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def update_schedule(self, **kwargs: Any) -> Any:
            return self.inner.update_schedule(**kwargs)

        def create_schedule(self, **kwargs: Any) -> Any:
            self.inner.create_schedule(**{**kwargs, "ScheduleExpression": "rate(3 days)"})
            return self.inner.create_schedule(**kwargs)

    schedules = Scheduler(Racing(client), group=GROUP, target_arn=TARGET, role_arn=ROLE)
    schedules.put("plan-p1", expression="rate(7 days)", payload={})
    found = client.get_schedule(Name="plan-p1", GroupName=GROUP)
    assert found["ScheduleExpression"] == "rate(7 days)"
