"""The runbook's actions against the running sandbox, through plain boto3 `lambda` and `ssm` clients
pointed at its endpoints (as production reaches them through AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_SSM) and its control API: custom functions declared then invoked, SSM commands on
recovery instances the DRS simulator launched, automations, and the invocation log."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from drs_sandbox.server import Sandbox

TIME_SCALE = 600  # ten simulated minutes per real second
QUICK = {"snapshot": 1, "conversion": 1, "launch": 1, "boot": 1, "statusChecks": 1}
TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


@pytest.fixture(autouse=True)
def fake_aws_credentials() -> None:
    """Overrides the shared fixture: the sandbox sets its own fake credentials and endpoints."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, scenario="three-tier", time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


class Env:
    """The sandbox as a test uses it: its control API and boto3 clients on its endpoints."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.url = sandbox.url
        self.info = self.control("GET", "/_sandbox/info", expect=200)
        options: dict[str, Any] = {
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        }
        self.lam = boto3.client("lambda", endpoint_url=self.info["awsEndpoint"], **options)
        self.ec2 = boto3.client("ec2", endpoint_url=self.info["awsEndpoint"], **options)
        self.drs = boto3.client("drs", endpoint_url=self.info["drsEndpoint"], **options)
        self.ssm = boto3.client("ssm", endpoint_url=self.info["ssmEndpoint"], **options)

    def control(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        response = requests.request(method, self.url + path, json=body, timeout=30)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def invoke(self, name: str, payload: Any) -> tuple[Any, str | None]:
        response = self.lam.invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
        assert response["StatusCode"] == 200
        return json.loads(response["Payload"].read()), response.get("FunctionError")

    def recovery_instances(self, **command_results: dict[str, Any]) -> dict[str, str]:
        """Source servers (one per keyword: hostname -> commandResult) launched by a DRS drill;
        returns hostname -> the id of its running recovery instance."""
        ids = {name: f"s-{uuid.uuid4().hex[:17]}" for name in command_results}
        servers = [
            {"sourceServerId": ids[name], "hostname": name, "phaseDurations": QUICK, "commandResult": result}
            for name, result in command_results.items()
        ]
        self.control("POST", "/_sandbox/source-servers", {"servers": servers}, expect=201)
        self.drs.start_recovery(sourceServers=[{"sourceServerID": i} for i in ids.values()], isDrill=True)
        by_server: dict[str, str] = {}

        def running() -> bool:
            items = self.drs.describe_recovery_instances(filters={"sourceServerIDs": list(ids.values())})[
                "items"
            ]
            by_server.update({r["sourceServerID"]: r["ec2InstanceID"] for r in items})
            return len(items) == len(ids) and all(r["ec2InstanceState"] == "RUNNING" for r in items)

        wait_for(running)
        return {name: by_server[server_id] for name, server_id in ids.items()}

    def invocations_of(self, command_id: str) -> dict[str, dict[str, Any]]:
        """Once every invocation of the command has ended: instance id -> invocation (with plugins)."""
        found: dict[str, dict[str, Any]] = {}

        def ended() -> bool:
            pages = self.ssm.get_paginator("list_command_invocations").paginate(
                CommandId=command_id, Details=True, PaginationConfig={"PageSize": 1}
            )
            found.clear()
            found.update({i["InstanceId"]: i for page in pages for i in page["CommandInvocations"]})
            return bool(found) and all(i["Status"] in TERMINAL for i in found.values())

        wait_for(ended)
        return found


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        pause.wait(0.05)


@pytest.fixture
def env(sandbox: Sandbox) -> Env:
    return Env(sandbox)


# ---------------------------------------------------------------------- custom action functions


def test_a_function_declared_through_the_control_api_returns_its_output_to_boto3(env: Env) -> None:
    # Given a function declared to succeed with an output
    name = f"drs-actions-{uuid.uuid4().hex[:8]}"
    declared = env.control(
        "POST",
        "/_sandbox/functions",
        {
            "functions": [
                {"name": name, "outcome": "SUCCEEDED", "output": {"status": "SUCCEEDED", "rows": 42}}
            ]
        },
        expect=200,
    )
    assert name in [f["name"] for f in declared["functions"]]
    # When it is invoked through boto3's lambda client
    payload, error = env.invoke(name, {"executionId": "e-1", "wave": "DB"})
    # Then its output comes back, without a function error, and Lambda lists the function
    assert (payload, error) == ({"status": "SUCCEEDED", "rows": 42}, None)
    assert env.lam.get_function(FunctionName=name)["Configuration"]["Runtime"] == "python3.13"


def test_failed_and_timed_out_functions_answer_lambdas_unhandled_errors(env: Env) -> None:
    # Given a function that fails, and one that times out after 60 simulated seconds
    failing, stuck = f"fail-{uuid.uuid4().hex[:8]}", f"stuck-{uuid.uuid4().hex[:8]}"
    functions = [
        {"name": failing, "outcome": "FAILED", "output": {"message": "writes could not be frozen"}},
        {"name": stuck, "outcome": "TIMEOUT", "timeoutSeconds": 60},
    ]
    env.control("POST", "/_sandbox/functions", {"functions": functions}, expect=200)
    # When each is invoked
    failed, failed_error = env.invoke(failing, {})
    started = time.monotonic()
    timed_out, timeout_error = env.invoke(stuck, {})
    took = time.monotonic() - started
    # Then both say FunctionError Unhandled, with the failure's message or Lambda's timeout text
    assert failed_error == timeout_error == "Unhandled"
    assert (failed["errorType"], failed["errorMessage"]) == ("ActionFailed", "writes could not be frozen")
    assert timed_out["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 60.00 seconds" in timed_out["errorMessage"]
    # And the timeout took its 60 simulated seconds at the time scale (0.1 s), not a minute
    assert 0.1 <= took < 5


def test_a_function_can_be_redeclared_to_succeed(env: Env) -> None:
    name = f"retry-{uuid.uuid4().hex[:8]}"
    env.control(
        "POST", "/_sandbox/functions", {"functions": [{"name": name, "outcome": "FAILED"}]}, expect=200
    )
    assert env.invoke(name, {})[1] == "Unhandled"
    env.control("POST", "/_sandbox/functions", {"functions": [{"name": name}]}, expect=200)
    assert env.invoke(name, {}) == ({"status": "SUCCEEDED"}, None)


def test_an_undeclared_function_is_resource_not_found(env: Env) -> None:
    with pytest.raises(ClientError) as caught:
        env.invoke(f"nobody-{uuid.uuid4().hex[:8]}", {})
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"functions": [{"name": "bad-outcome", "outcome": "SOMETIMES"}]}, "functions[0].outcome"),
        ({"functions": [{"outcome": "FAILED"}]}, "functions[0].name"),
        ({"functions": [{"name": "bad-output", "output": "text"}]}, "functions[0].output"),
        ({"functions": []}, "expected"),
    ],
)
def test_bad_function_declarations_are_400s_that_declare_nothing(env: Env, body: Any, where: str) -> None:
    before = env.control("GET", "/_sandbox/functions", expect=200)
    error = env.control("POST", "/_sandbox/functions", body, expect=400)["error"]
    assert error["code"] == "INVALID_FUNCTION" and where in error["message"]
    assert env.control("GET", "/_sandbox/functions", expect=200) == before


def test_the_three_tier_scenario_declares_the_runbooks_functions_and_dns_automation(env: Env) -> None:
    # Given the sandbox started with the three-tier scenario, whose stack allows its DNS automation
    assert "Shop-FailoverDns" in env.info["parameters"]["AllowedSsmAutomationDocuments"].split(",")
    assert "Shop-FailoverDns" not in env.info["parameters"]["AllowedSsmCommandDocuments"].split(",")
    # When its health check function is invoked and its DNS automation started
    assert env.invoke("drs-actions-http-health-check", {"url": "https://shop.example.internal"}) == (
        {"status": "SUCCEEDED", "httpStatus": 200},
        None,
    )
    assert env.invoke("drs-actions-freeze-writes", {})[1] is None
    execution_id = env.ssm.start_automation_execution(
        DocumentName="Shop-FailoverDns", Parameters={"Zone": ["example.internal"]}
    )["AutomationExecutionId"]
    # Then the automation succeeds after its 30 simulated seconds, with its declared output
    execution: dict[str, Any] = {}

    def ended() -> bool:
        execution.update(
            env.ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        )
        return execution["AutomationExecutionStatus"] != "InProgress"

    wait_for(ended)
    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["Outputs"] == {"dnsRecord": ["shop.example.internal"]}
    assert execution["ExecutionEndTime"] > execution["ExecutionStartTime"]


# ---------------------------------------------------------------------- automations


def test_declared_automations_fail_or_time_out_and_unknown_ids_are_not_found(env: Env) -> None:
    documents = [
        {"name": "Shop-Broken", "outcome": "FAILED", "failureMessage": "zone locked", "durationSeconds": 1},
        {"name": "Shop-Slow", "outcome": "TIMEOUT", "durationSeconds": 1},
    ]
    env.control("POST", "/_sandbox/automations", {"documents": documents}, expect=200)
    ids = {
        d["name"]: env.ssm.start_automation_execution(DocumentName=d["name"])["AutomationExecutionId"]
        for d in documents
    }
    statuses: dict[str, dict[str, Any]] = {}

    def ended() -> bool:
        for name, execution_id in ids.items():
            statuses[name] = env.ssm.get_automation_execution(AutomationExecutionId=execution_id)[
                "AutomationExecution"
            ]
        return all(s["AutomationExecutionStatus"] != "InProgress" for s in statuses.values())

    wait_for(ended)
    assert (
        statuses["Shop-Broken"]["AutomationExecutionStatus"],
        statuses["Shop-Broken"]["FailureMessage"],
    ) == (
        "Failed",
        "zone locked",
    )
    assert statuses["Shop-Slow"]["AutomationExecutionStatus"] == "TimedOut"
    with pytest.raises(ClientError) as caught:
        env.ssm.get_automation_execution(AutomationExecutionId=str(uuid.uuid4()))
    assert caught.value.response["Error"]["Code"] == "AutomationExecutionNotFoundException"
    bad = env.control(
        "POST", "/_sandbox/automations", {"documents": [{"name": "Doc-1", "outcome": "?"}]}, expect=400
    )
    assert bad["error"]["code"] == "INVALID_AUTOMATION"


# ---------------------------------------------------------------------- SSM commands


def test_a_command_on_recovery_instances_succeeds_or_fails_as_each_server_declares(env: Env) -> None:
    # Given two servers launched by a DRS drill: one whose commands succeed, one whose fail (exit 3)
    instances = env.recovery_instances(
        healthy={"output": "accepting connections", "durationSeconds": 60},
        broken={"exitCode": 3, "output": "disk full"},
    )
    # When a shell command is sent to both recovery instances through boto3
    command = env.ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=list(instances.values()),
        Parameters={"commands": ["pg_isready"]},
        TimeoutSeconds=600,
        Comment="post-wave check",
    )["Command"]
    assert command["Status"] == "Pending" and sorted(command["InstanceIds"]) == sorted(instances.values())
    # Then, once they ended, one succeeded with its output and the other failed with exit code 3
    found = env.invocations_of(command["CommandId"])
    healthy, broken = found[instances["healthy"]], found[instances["broken"]]
    assert (healthy["Status"], healthy["CommandPlugins"][0]["ResponseCode"]) == ("Success", 0)
    assert healthy["CommandPlugins"][0]["Output"] == "accepting connections"
    assert healthy["CommandPlugins"][0]["Name"] == "aws:runShellScript"
    assert (broken["Status"], broken["CommandPlugins"][0]["ResponseCode"]) == ("Failed", 3)
    detail = env.ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instances["broken"])
    assert (detail["Status"], detail["ResponseCode"], detail["StandardOutputContent"]) == (
        "Failed",
        3,
        "disk full",
    )
    assert detail["StandardErrorContent"] == "failed to run commands: exit status 3"


def test_a_failing_servers_commands_succeed_once_its_command_result_is_reposted(env: Env) -> None:
    # Given a recovery instance whose commands fail
    instances = env.recovery_instances(flaky={"exitCode": 1, "output": "not yet"})
    first = env.ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instances["flaky"]])[
        "Command"
    ]
    assert env.invocations_of(first["CommandId"])[instances["flaky"]]["Status"] == "Failed"
    # When its source server is posted again with a succeeding commandResult
    server_id = env.drs.describe_recovery_instances(filters={"recoveryInstanceIDs": [instances["flaky"]]})[
        "items"
    ][0]["sourceServerID"]
    update = {"servers": [{"sourceServerId": server_id, "commandResult": {"output": "ready"}}]}
    assert env.control("POST", "/_sandbox/source-servers", update, expect=200)["servers"][0][
        "sourceServerID"
    ] == (server_id)
    # Then a retried command succeeds (and the first one stays failed)
    retry = env.ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instances["flaky"]])[
        "Command"
    ]
    assert (
        env.invocations_of(retry["CommandId"])[instances["flaky"]]["CommandPlugins"][0]["Output"] == "ready"
    )
    assert env.invocations_of(first["CommandId"])[instances["flaky"]]["Status"] == "Failed"
    # And a re-post that would change anything else is still refused
    env.control(
        "POST",
        "/_sandbox/source-servers",
        {"servers": [{"sourceServerId": server_id, "hostname": "other", "commandResult": {}}]},
        expect=400,
    )


def test_a_command_to_an_instance_drs_did_not_launch_is_invalid_instance_id(env: Env) -> None:
    # Given an EC2 instance started directly (no DRS agent, no recovery instance)
    image = env.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    plain = env.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    # When a command is sent to it, or to an id that does not exist
    for instance_id in (plain, "i-0123456789abcdef0"):
        with pytest.raises(ClientError) as caught:
            env.ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id])
        # Then SSM's InvalidInstanceId comes back
        assert caught.value.response["Error"]["Code"] == "InvalidInstanceId"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as unknown:
        env.ssm.get_command_invocation(CommandId=str(uuid.uuid4()), InstanceId=plain)
    assert unknown.value.response["Error"]["Code"] == "InvalidCommandId"


def test_an_operation_the_simulator_lacks_is_a_clear_400(env: Env) -> None:
    with pytest.raises(ClientError) as caught:
        env.ssm.describe_instance_information()
    error = caught.value.response["Error"]
    assert error["Code"] == "UnknownOperationException" and "DescribeInstanceInformation" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# ---------------------------------------------------------------------- the invocation log


def test_invocations_lists_functions_commands_and_automations_in_call_order(env: Env) -> None:
    # Given a recovery instance and a declared function, and an empty log
    instances = env.recovery_instances(logged={"output": "ok"})
    name = f"logged-{uuid.uuid4().hex[:8]}"
    env.control("POST", "/_sandbox/functions", {"functions": [{"name": name}]}, expect=200)
    env.control("DELETE", "/_sandbox/invocations", expect=204)
    # When a function, a command and an automation are called in that order
    env.invoke(name, {"executionId": "e-9", "phase": "pre"})
    command_id = env.ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[instances["logged"]],
        Parameters={"commands": ["true"]},
    )["Command"]["CommandId"]
    automation_id = env.ssm.start_automation_execution(
        DocumentName="Shop-FailoverDns", Parameters={"Zone": ["z"]}
    )["AutomationExecutionId"]
    # Then /_sandbox/invocations lists exactly them, in order, with payload, parameters and ids
    listed = env.control("GET", "/_sandbox/invocations", expect=200)["invocations"]
    assert [(i["kind"], i["name"]) for i in listed] == [
        ("FUNCTION", name),
        ("COMMAND", "AWS-RunShellScript"),
        ("AUTOMATION", "Shop-FailoverDns"),
    ]
    function, command, automation = listed
    assert function["payload"] == {"executionId": "e-9", "phase": "pre"} and function["id"]
    assert (command["id"], command["instanceIds"], command["parameters"]) == (
        command_id,
        [instances["logged"]],
        {"commands": ["true"]},
    )
    assert (automation["id"], automation["parameters"]) == (automation_id, {"Zone": ["z"]})
    assert all(i["time"].endswith("Z") for i in listed)
