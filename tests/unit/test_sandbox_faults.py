"""The sandbox's failOperations: the registry, and the AWS errors botocore makes of them."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from drs_sandbox.faults import FaultRegistry, FaultSpecError, HandlerFaults
from drs_sandbox.lambda_runtime import current_function

# pytest-socket refuses the connection attempts of the calls the sandbox leaves alone: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")

# Nothing listens here (and unit tests may not open sockets): a call the sandbox does not fail
# cannot succeed either.
NOWHERE = "http://127.0.0.1:9"


def test_armed_faults_count_down_and_disappear() -> None:
    registry = FaultRegistry()
    registry.arm({"ec2:DescribeInstances": {"count": 2, "error": "UnauthorizedOperation"}})
    assert registry.armed() == {
        "ec2:DescribeInstances": {
            "count": 2,
            "error": "UnauthorizedOperation",
            "status": 400,
            "message": "UnauthorizedOperation (injected by the sandbox)",
        }
    }
    assert registry.take("ec2", "DescribeInstanceStatus") is None
    first = registry.take("ec2", "DescribeInstances")
    assert first is not None and first.error == "UnauthorizedOperation"
    assert registry.armed()["ec2:DescribeInstances"]["count"] == 1
    assert registry.take("ec2", "DescribeInstances") is not None
    assert registry.take("ec2", "DescribeInstances") is None
    assert registry.armed() == {}


@pytest.mark.parametrize(
    ("spec", "error", "status"),
    [
        ({}, "InternalServerError", 500),
        ({"error": "ThrottlingException"}, "ThrottlingException", 400),
        ({"error": "AccessDenied"}, "AccessDenied", 400),
        ({"error": "ServiceUnavailable"}, "ServiceUnavailable", 503),
        ({"error": "Whatever", "status": 418}, "Whatever", 418),
    ],
)
def test_default_errors_and_statuses(spec: dict[str, object], error: str, status: int) -> None:
    registry = FaultRegistry()
    registry.arm({"dynamodb:GetItem": spec})
    armed = registry.armed()["dynamodb:GetItem"]
    assert (armed["count"], armed["error"], armed["status"]) == (1, error, status)


def test_each_service_defaults_to_its_own_5xx_error_and_iam_prefixes_are_accepted() -> None:
    registry = FaultRegistry()
    registry.arm({"states:SendTaskSuccess": 3, "ec2:DescribeInstances": {}, "sns:Publish": {}})
    armed = registry.armed()
    assert armed["stepfunctions:SendTaskSuccess"]["count"] == 3
    assert armed["stepfunctions:SendTaskSuccess"]["error"] == "ServiceUnavailable"
    assert armed["ec2:DescribeInstances"]["error"] == "InternalError"
    assert armed["sns:Publish"]["error"] == "InternalError"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dynamodb-GetItem": 1}, "service:Operation"),
        ({"nosuch:GetItem": 1}, "unknown AWS service 'nosuch'"),
        ({"dynamodb:getitem": 1}, "did you mean GetItem"),
        ({"dynamodb:GetItem": {"count": -1}}, "count must be a non-negative integer"),
        ({"dynamodb:GetItem": {"count": True}}, "count must be a non-negative integer"),
        ({"dynamodb:GetItem": {"error": "no spaces allowed"}}, "error must be an AWS error code"),
        ({"dynamodb:GetItem": {"status": 200}}, "status must be an HTTP error status"),
        ({"dynamodb:GetItem": {"times": 1}}, "unknown field 'times'"),
        ({"dynamodb:GetItem": "once"}, "expected"),
        ({}, "failOperations must map"),
        ([], "failOperations must map"),
    ],
)
def test_a_bad_spec_names_the_problem_and_arms_nothing(spec: object, message: str) -> None:
    registry = FaultRegistry()
    with pytest.raises(FaultSpecError, match=message):
        registry.arm({"ec2:DescribeInstances": 1, **spec} if isinstance(spec, dict) and spec else spec)
    assert registry.armed() == {}


def test_a_count_of_zero_disarms() -> None:
    registry = FaultRegistry()
    registry.arm({"dynamodb:GetItem": 5})
    registry.arm({"dynamodb:GetItem": 0})
    assert registry.armed() == {}


@pytest.fixture
def faults() -> Iterator[FaultRegistry]:
    registry = FaultRegistry()
    with HandlerFaults(registry).installed():
        yield registry


def _client(service: str, retries: int = 0) -> object:
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service,
        endpoint_url=NOWHERE,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": retries}, connect_timeout=1),
    )


@pytest.mark.parametrize(
    ("key", "call", "error", "status"),
    [
        (
            "dynamodb:GetItem",
            lambda c: c.get_item(TableName="t", Key={"k": {"S": "v"}}),
            "ValidationException",
            400,
        ),
        ("ec2:DescribeInstances", lambda c: c.describe_instances(), "UnauthorizedOperation", 400),
        (
            "sns:Publish",
            lambda c: c.publish(TopicArn="arn:aws:sns:us-east-1:1:t", Message="m"),
            "AuthorizationError",
            400,
        ),
        ("drs:DescribeJobs", lambda c: c.describe_jobs(), "AccessDeniedException", 400),
        (
            "stepfunctions:SendTaskSuccess",
            lambda c: c.send_task_success(taskToken="t", output="{}"),
            "TaskTimedOut",
            400,
        ),
    ],
)
def test_a_handler_call_fails_with_a_real_looking_aws_error_in_each_protocol(
    faults: FaultRegistry, key: str, call: object, error: str, status: int
) -> None:
    # Given a fault armed for an operation and a client created inside a handler
    faults.arm({key: {"count": 1, "error": error, "message": "no way"}})
    token = current_function.set("fn")
    try:
        client = _client(key.partition(":")[0])
        # When the handler calls it
        with pytest.raises(ClientError) as raised:
            call(client)  # type: ignore[operator]
    finally:
        current_function.reset(token)
    # Then botocore raised the ClientError AWS would have caused
    assert raised.value.response["Error"]["Code"] == error
    assert raised.value.response["Error"]["Message"] == "no way"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert faults.armed() == {}


def test_botocore_retries_a_throttled_call_and_every_attempt_consumes_a_count(faults: FaultRegistry) -> None:
    faults.arm({"dynamodb:GetItem": {"count": 5, "error": "ThrottlingException"}})
    token = current_function.set("fn")
    try:
        client = _client("dynamodb", retries=3)  # botocore's max_attempts: retries after the first
        with pytest.raises(ClientError) as raised:
            client.get_item(TableName="t", Key={"k": {"S": "v"}})  # type: ignore[attr-defined]
    finally:
        current_function.reset(token)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert faults.armed()["dynamodb:GetItem"]["count"] == 1


def test_calls_outside_the_handlers_are_left_alone(faults: FaultRegistry) -> None:
    # Given a fault armed, and a client the sandbox itself created (outside any handler)
    faults.arm({"dynamodb:GetItem": 1})
    client = _client("dynamodb")
    # When the sandbox calls it, the call goes to the endpoint (here: nothing listens)
    with pytest.raises(BotoCoreError):
        client.get_item(TableName="t", Key={"k": {"S": "v"}})  # type: ignore[attr-defined]
    # Then the fault is still armed for the handlers
    assert faults.armed()["dynamodb:GetItem"]["count"] == 1


def test_a_client_created_in_a_handler_is_the_handlers_from_any_thread(faults: FaultRegistry) -> None:
    import threading

    faults.arm({"dynamodb:GetItem": {"error": "ValidationException"}})
    token = current_function.set("fn")
    try:
        client = _client("dynamodb")
    finally:
        current_function.reset(token)
    errors: list[BaseException] = []

    def worker() -> None:  # a handler's worker thread: the context variable is not set there
        try:
            client.get_item(TableName="t", Key={"k": {"S": "v"}})  # type: ignore[attr-defined]
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert isinstance(errors[0], ClientError)
    assert errors[0].response["Error"]["Code"] == "ValidationException"


def test_uninstalled_hooks_leave_new_clients_alone() -> None:
    registry = FaultRegistry()
    with HandlerFaults(registry).installed():
        pass
    registry.arm({"dynamodb:GetItem": 1})
    token = current_function.set("fn")
    try:
        with pytest.raises(BotoCoreError):
            _client("dynamodb").get_item(TableName="t", Key={"k": {"S": "v"}})  # type: ignore[attr-defined]
    finally:
        current_function.reset(token)
