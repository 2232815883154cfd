"""The runbook's actions in the sandbox, without sockets: the SSM simulator on a clock the tests move
(Run Command on recovery instances, Automation executions, the awsJson wire through werkzeug's test
client), the simulated action functions, the declarations' validation, scenario files and the DRS
simulator's commandResult."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from drs_fakes import LAUNCH_DONE, FakeClock, FakeEc2, add_servers, start
from werkzeug.test import Client

from drs_sandbox.actions import (
    ActionFunctions,
    ActionLog,
    ActionSpecError,
    AutomationDocument,
    parse_automation,
    parse_function,
    parse_list,
)
from drs_sandbox.drs import DrsSimulator
from drs_sandbox.drs.servers import CommandResult
from drs_sandbox.drs.wire import check_shape
from drs_sandbox.faults import FaultRegistry, HandlerFaults
from drs_sandbox.lambda_runtime import current_function
from drs_sandbox.scenario import ScenarioError, load_scenario, resolve_scenario
from drs_sandbox.ssm import CommandTarget, SsmApiError, SsmSimulator, create_ssm_app
from drs_sandbox.ssm.model import service_model

SCALE = 60.0  # one simulated minute per real (clock) second
WEB = "i-0000000000000000a"
DB = "i-0000000000000000b"
BROKEN = "i-0000000000000000c"


class Targets:
    """The SSM simulator's managed instances, as the sandbox's DRS simulator would report them."""

    def __init__(self) -> None:
        self.known = {
            WEB: CommandTarget(WEB, CommandResult(0, "nginx: active", 120), "web01"),
            DB: CommandTarget(DB, CommandResult(0, "accepting connections", 60), "db01"),
            BROKEN: CommandTarget(BROKEN, CommandResult(3, "disk full", 60), "app01"),
        }

    def __call__(self, instance_id: str) -> CommandTarget | None:
        return self.known.get(instance_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def log(clock: FakeClock) -> ActionLog:
    return ActionLog(clock)


@pytest.fixture
def ssm(clock: FakeClock, log: ActionLog) -> SsmSimulator:
    return SsmSimulator(Targets(), clock=clock, time_scale=SCALE, log=log)


def send(ssm: SsmSimulator, *ids: str, **extra: Any) -> str:
    body = {"DocumentName": "AWS-RunShellScript", "InstanceIds": list(ids), **extra}
    command_id: str = ssm.dispatch("SendCommand", body)["Command"]["CommandId"]
    return command_id


def invocation(ssm: SsmSimulator, command_id: str, instance_id: str) -> dict[str, Any]:
    return ssm.dispatch("GetCommandInvocation", {"CommandId": command_id, "InstanceId": instance_id})


def plugin(ssm: SsmSimulator, command_id: str, instance_id: str) -> dict[str, Any]:
    body = {"CommandId": command_id, "InstanceId": instance_id, "Details": True}
    plugins: list[dict[str, Any]] = ssm.dispatch("ListCommandInvocations", body)["CommandInvocations"][0][
        "CommandPlugins"
    ]
    return plugins[0]


def ssm_error(call: Any) -> SsmApiError:
    with pytest.raises(SsmApiError) as caught:
        call()
    return caught.value


def output_problems(operation: str, response: dict[str, Any]) -> list[str]:
    shape = service_model().operation_model(operation).output_shape
    assert shape is not None
    return check_shape(response, shape, operation)


# ---------------------------------------------------------------------- Run Command


def test_a_command_runs_for_the_servers_duration_then_succeeds_with_its_output(
    ssm: SsmSimulator, clock: FakeClock
) -> None:
    # Given web01's recovery instance, whose commands print "nginx: active" after 120 simulated s
    # When a shell command is sent to it
    sent = ssm.dispatch(
        "SendCommand",
        {"DocumentName": "AWS-RunShellScript", "InstanceIds": [WEB], "Parameters": {"commands": ["x"]}},
    )["Command"]
    # Then SendCommand answers Pending, and the invocation is InProgress for 120 / 60 = 2 clock seconds
    assert (sent["Status"], sent["InstanceIds"], sent["RequestedDateTime"]) == ("Pending", [WEB], clock.now)
    clock.advance(1.9)
    running = invocation(ssm, sent["CommandId"], WEB)
    assert (running["Status"], running["ResponseCode"], running["StandardOutputContent"]) == (
        "InProgress",
        -1,
        "",
    )
    assert plugin(ssm, sent["CommandId"], WEB)["Status"] == "InProgress"
    # And once they have passed, it succeeded with the server's output and exit code 0
    clock.advance(0.1)
    done = invocation(ssm, sent["CommandId"], WEB)
    assert (done["Status"], done["ResponseCode"], done["StandardOutputContent"]) == (
        "Success",
        0,
        "nginx: active",
    )
    finished = plugin(ssm, sent["CommandId"], WEB)
    assert finished["Output"] == "nginx: active"
    assert finished["ResponseFinishDateTime"] - finished["ResponseStartDateTime"] == pytest.approx(2.0)


def test_a_non_zero_exit_code_fails_the_invocation_with_that_response_code(
    ssm: SsmSimulator, clock: FakeClock
) -> None:
    # Given a command sent to a healthy and a broken instance (exit code 3)
    command_id = send(ssm, DB, BROKEN)
    # When both have finished
    clock.advance(1)
    # Then the broken one Failed with ResponseCode 3, its output and the shell's error
    failed = invocation(ssm, command_id, BROKEN)
    assert (failed["Status"], failed["StatusDetails"], failed["ResponseCode"]) == ("Failed", "Failed", 3)
    assert failed["StandardOutputContent"] == "disk full"
    assert failed["StandardErrorContent"] == "failed to run commands: exit status 3"
    assert plugin(ssm, command_id, BROKEN)["Output"] == (
        "disk full\n----------ERROR-------\nfailed to run commands: exit status 3"
    )
    # And the healthy one succeeded
    assert invocation(ssm, command_id, DB)["Status"] == "Success"


def test_an_instance_that_is_not_a_running_recovery_instance_is_refused_as_ssm_does(
    ssm: SsmSimulator, log: ActionLog
) -> None:
    # When a command names an instance the DRS simulator did not launch (or that is not running)
    error = ssm_error(lambda: send(ssm, WEB, "i-0123456789abcdef0"))
    # Then SSM's InvalidInstanceId is answered, the whole command refused and nothing logged
    assert (error.code, error.http_status) == ("InvalidInstanceId", 400)
    assert "i-0123456789abcdef0" in error.message and WEB not in error.message
    assert log.entries() == []
    assert ssm.dispatch("ListCommandInvocations", {})["CommandInvocations"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"InstanceIds": []}, "ValidationException"),
        ({"InstanceIds": [WEB] * 2}, "DuplicateInstanceId"),
        ({"InstanceIds": [f"i-{n:017x}" for n in range(51)]}, "ValidationException"),
        ({"Targets": [{"Key": "tag:Tier", "Values": ["web"]}]}, "ValidationException"),
    ],
)
def test_instance_lists_ssm_would_refuse_are_refused(
    ssm: SsmSimulator, body: dict[str, Any], code: str
) -> None:
    error = ssm_error(lambda: ssm.dispatch("SendCommand", {"DocumentName": "AWS-RunShellScript", **body}))
    assert error.code == code


def test_a_command_that_outlives_its_timeout_times_out(ssm: SsmSimulator, clock: FakeClock) -> None:
    # Given commands of 120 simulated s on web01: one with TimeoutSeconds 60, one whose document's
    # executionTimeout is 30
    by_timeout = send(ssm, WEB, TimeoutSeconds=60)
    by_parameter = send(ssm, WEB, TimeoutSeconds=3600, Parameters={"executionTimeout": ["30"]})
    # When 0.5 clock seconds pass (30 simulated s): the second timed out, the first still runs
    clock.advance(0.5)
    assert invocation(ssm, by_parameter, WEB)["Status"] == "TimedOut"
    assert invocation(ssm, by_timeout, WEB)["Status"] == "InProgress"
    # Then at 1 clock second (60 simulated s) the first timed out too, before its 120 s ended
    clock.advance(0.5)
    timed_out = invocation(ssm, by_timeout, WEB)
    assert (timed_out["Status"], timed_out["StatusDetails"], timed_out["ResponseCode"]) == (
        "TimedOut",
        "ExecutionTimedOut",
        -1,
    )
    clock.advance(5)
    assert plugin(ssm, by_timeout, WEB)["Status"] == "TimedOut"


def test_plugin_output_is_cut_to_ssms_2500_characters(clock: FakeClock) -> None:
    # Given an instance whose command prints 30,000 characters
    long_output = "".join(chr(ord("a") + i % 26) for i in range(30_000))
    ssm = SsmSimulator(
        lambda i: CommandTarget(i, CommandResult(0, long_output, 1)), clock=clock, time_scale=SCALE
    )
    command_id = send(ssm, WEB)
    clock.advance(1)
    # Then ListCommandInvocations gives the first 2,500, GetCommandInvocation the first 24,000
    assert plugin(ssm, command_id, WEB)["Output"] == long_output[:2500]
    assert invocation(ssm, command_id, WEB)["StandardOutputContent"] == long_output[:24_000]


def test_invocations_are_listed_newest_command_first_in_pages(ssm: SsmSimulator) -> None:
    # Given two commands: the first on three instances, the second on two
    first = send(ssm, WEB, DB, BROKEN)
    second = send(ssm, DB, WEB)
    # When they are listed two at a time
    seen: list[tuple[str, str]] = []
    pages, token = 0, None
    while True:
        body: dict[str, Any] = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = ssm.dispatch("ListCommandInvocations", body)
        pages += 1
        seen += [(i["CommandId"], i["InstanceId"]) for i in page["CommandInvocations"]]
        token = page.get("NextToken")
        if not token:
            break
    # Then every invocation comes once, the newest command first, in its instances' order
    assert pages == 3
    assert seen == [(second, DB), (second, WEB), (first, WEB), (first, DB), (first, BROKEN)]
    # And a command's own listing (without Details) has no plugins
    listed = ssm.dispatch("ListCommandInvocations", {"CommandId": first})["CommandInvocations"]
    assert [i["InstanceId"] for i in listed] == [WEB, DB, BROKEN]
    assert all(i["CommandPlugins"] == [] for i in listed)


def test_unknown_commands_tokens_and_invocations_are_ssms_errors(ssm: SsmSimulator) -> None:
    command_id = send(ssm, WEB)
    unknown = "00000000-0000-4000-8000-000000000000"
    cases = [
        ("ListCommandInvocations", {"CommandId": unknown}, "InvalidCommandId"),
        ("GetCommandInvocation", {"CommandId": unknown, "InstanceId": WEB}, "InvalidCommandId"),
        ("GetCommandInvocation", {"CommandId": command_id, "InstanceId": DB}, "InvocationDoesNotExist"),
        (
            "GetCommandInvocation",
            {"CommandId": command_id, "InstanceId": WEB, "PluginName": "aws:runPowerShellScript"},
            "InvalidPluginName",
        ),
        ("ListCommandInvocations", {"NextToken": "not-a-token"}, "InvalidNextToken"),
        ("ListCommandInvocations", {"Filters": [{"key": "Status", "value": "Success"}]}, "InvalidFilterKey"),
        (
            "GetAutomationExecution",
            {"AutomationExecutionId": unknown},
            "AutomationExecutionNotFoundException",
        ),
        ("DescribeInstanceInformation", {}, "UnknownOperationException"),
    ]
    for operation, body, code in cases:
        assert ssm_error(lambda op=operation, b=body: ssm.dispatch(op, b)).code == code, operation


def test_a_cancelled_command_stops_its_running_invocations_only(ssm: SsmSimulator, clock: FakeClock) -> None:
    # Given a command on db01 (60 simulated s) and web01 (120 s), after db01's ended
    command_id = send(ssm, DB, WEB)
    clock.advance(1.5)
    # When it is cancelled
    assert ssm.dispatch("CancelCommand", {"CommandId": command_id}) == {}
    clock.advance(5)
    # Then db01's invocation stays a success and web01's is Cancelled
    assert invocation(ssm, command_id, DB)["Status"] == "Success"
    assert invocation(ssm, command_id, WEB)["Status"] == "Cancelled"


# ---------------------------------------------------------------------- Automation


def test_automations_end_as_declared_and_undeclared_ones_succeed_after_two_seconds(
    ssm: SsmSimulator, clock: FakeClock
) -> None:
    # Given documents declared to succeed with outputs, to fail, and to time out
    ssm.declare_automations(
        [
            AutomationDocument("Shop-FailoverDns", "SUCCEEDED", {"dnsRecord": ["shop.example.internal"]}, 60),
            AutomationDocument("Shop-Broken", "FAILED", {}, 60, "the DNS zone is locked"),
            AutomationDocument("Shop-Slow", "TIMEOUT", {}, 60),
        ]
    )
    ids = {
        name: ssm.dispatch(
            "StartAutomationExecution", {"DocumentName": name, "Parameters": {"zone": ["shop"]}}
        )["AutomationExecutionId"]
        for name in ("Shop-FailoverDns", "Shop-Broken", "Shop-Slow", "AWS-RestartEC2Instance")
    }

    def execution(name: str) -> dict[str, Any]:
        body = {"AutomationExecutionId": ids[name]}
        result: dict[str, Any] = ssm.dispatch("GetAutomationExecution", body)["AutomationExecution"]
        return result

    # When less than their duration has passed, every execution is InProgress
    clock.advance(0.02)
    assert {execution(n)["AutomationExecutionStatus"] for n in ids} == {"InProgress"}
    assert "ExecutionEndTime" not in execution("Shop-FailoverDns")
    # Then the undeclared document succeeded after 2 simulated seconds, without outputs
    clock.advance(0.02)
    undeclared = execution("AWS-RestartEC2Instance")
    assert undeclared["AutomationExecutionStatus"] == "Success" and "Outputs" not in undeclared
    # And after 60 simulated seconds (1 clock second) the others ended as declared
    clock.advance(1)
    dns = execution("Shop-FailoverDns")
    assert (dns["AutomationExecutionStatus"], dns["Outputs"]) == (
        "Success",
        {"dnsRecord": ["shop.example.internal"]},
    )
    assert dns["Parameters"] == {"zone": ["shop"]} and dns["ExecutionEndTime"] > dns["ExecutionStartTime"]
    broken = execution("Shop-Broken")
    assert (broken["AutomationExecutionStatus"], broken["FailureMessage"]) == (
        "Failed",
        "the DNS zone is locked",
    )
    slow = execution("Shop-Slow")
    assert slow["AutomationExecutionStatus"] == "TimedOut" and "timed out" in slow["FailureMessage"]


# ---------------------------------------------------------------------- shapes, log and wire


def test_every_response_matches_botocore_output_shapes(ssm: SsmSimulator, clock: FakeClock) -> None:
    ssm.declare_automations([AutomationDocument("Doc-Ok", "SUCCEEDED", {"out": ["v"]}, 1)])
    responses: list[tuple[str, dict[str, Any]]] = []
    sent = ssm.dispatch("SendCommand", {"DocumentName": "AWS-RunShellScript", "InstanceIds": [WEB, BROKEN]})
    responses.append(("SendCommand", sent))
    command_id = sent["Command"]["CommandId"]
    automation = ssm.dispatch("StartAutomationExecution", {"DocumentName": "Doc-Ok"})
    responses.append(("StartAutomationExecution", automation))
    for _ in range(2):  # in progress, then finished
        responses.append(
            ("ListCommandInvocations", ssm.dispatch("ListCommandInvocations", {"Details": True}))
        )
        for instance_id in (WEB, BROKEN):
            got = invocation(ssm, command_id, instance_id)
            # SSM answers these strings as "2026-01-01T00:00:00.500Z" and "PT2.0S", which its own
            # model's date-time pattern does not admit: checked here, not against the model.
            assert got.pop("ExecutionElapsedTime").startswith("PT")
            for name in ("ExecutionStartDateTime", "ExecutionEndDateTime"):
                if name in got:
                    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got.pop(name))
            responses.append(("GetCommandInvocation", got))
        responses.append(("GetAutomationExecution", ssm.dispatch("GetAutomationExecution", automation)))
        clock.advance(10)
    for operation, response in responses:
        assert output_problems(operation, response) == [], operation


def test_the_log_keeps_commands_and_automations_in_call_order(ssm: SsmSimulator, log: ActionLog) -> None:
    command_id = send(
        ssm, WEB, DB, Parameters={"commands": ["systemctl is-active nginx"]}, Comment="e-1 check"
    )
    automation = ssm.dispatch(
        "StartAutomationExecution", {"DocumentName": "Shop-FailoverDns", "Parameters": {"zone": ["shop"]}}
    )["AutomationExecutionId"]
    entries = log.entries()
    assert [(e["kind"], e["name"], e["id"]) for e in entries] == [
        ("COMMAND", "AWS-RunShellScript", command_id),
        ("AUTOMATION", "Shop-FailoverDns", automation),
    ]
    assert entries[0]["instanceIds"] == [WEB, DB]
    assert entries[0]["parameters"] == {"commands": ["systemctl is-active nginx"]}
    assert entries[0]["comment"] == "e-1 check" and "comment" not in entries[1]
    assert entries[1]["parameters"] == {"zone": ["shop"]}
    assert entries[0]["time"].endswith("Z")


def test_the_wsgi_app_speaks_aws_json_1_1(ssm: SsmSimulator) -> None:
    client = Client(create_ssm_app(ssm))
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    # A supported operation answers 200 in awsJson
    ok = client.post(
        "/",
        data=json.dumps({"DocumentName": "AWS-RunShellScript", "InstanceIds": [WEB]}),
        headers={**headers, "X-Amz-Target": "AmazonSSM.SendCommand"},
    )
    assert ok.status_code == 200 and ok.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(ok.data)["Command"]["Status"] == "Pending"
    # An error carries its code in __type
    bad = client.post(
        "/",
        data=json.dumps({"DocumentName": "AWS-RunShellScript", "InstanceIds": ["i-0123456789abcdef0"]}),
        headers={**headers, "X-Amz-Target": "AmazonSSM.SendCommand"},
    )
    assert (bad.status_code, json.loads(bad.data)["__type"]) == (400, "InvalidInstanceId")
    # An operation the simulator does not implement, or no target at all, is a clear 400
    for target in ("AmazonSSM.DescribeInstanceInformation", "AmazonSSM.NoSuchThing", ""):
        unknown = client.post("/", data="{}", headers={**headers, "X-Amz-Target": target})
        body = json.loads(unknown.data)
        assert (unknown.status_code, body["__type"]) == (400, "UnknownOperationException")
        assert body["Message"]
    broken = client.post("/", data="{", headers={**headers, "X-Amz-Target": "AmazonSSM.SendCommand"})
    assert (broken.status_code, json.loads(broken.data)["__type"]) == (400, "SerializationException")


def test_a_handlers_ssm_calls_fail_on_demand_like_its_other_aws_calls() -> None:
    # Given failOperations armed for SSM's SendCommand, and an SSM client created in a handler
    registry = FaultRegistry()
    registry.arm({"ssm:SendCommand": {"count": 1, "error": "InvalidInstanceId"}})
    token = current_function.set("drs-orchestrator-ExecutionHandlerFunction")
    try:
        with HandlerFaults(registry).installed():
            client = boto3.client("ssm", endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
            # When it sends a command, Then the injected SSM error is raised, before any network use
            with pytest.raises(ClientError) as caught:
                client.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[WEB])
    finally:
        current_function.reset(token)
    assert caught.value.response["Error"]["Code"] == "InvalidInstanceId"
    assert registry.armed() == {}


# ---------------------------------------------------------------------- action functions


def test_functions_answer_their_output_failure_or_lambdas_timeout_after_their_scaled_duration() -> None:
    # Given a log, a sleep that records, and functions of each outcome
    slept: list[float] = []
    functions = ActionFunctions(ActionLog(), time_scale=SCALE, sleep=slept.append)
    functions.register(
        parse_list(
            [
                {"name": "ok", "durationSeconds": 30},
                {"name": "checked", "output": {"status": "FAILED", "reason": "HTTP 503"}},
                {"name": "broken", "outcome": "FAILED", "output": {"message": "cannot freeze writes"}},
                {"name": "silent", "outcome": "FAILED"},
                {"name": "stuck", "outcome": "TIMEOUT", "timeoutSeconds": 120},
                {"name": "slow", "durationSeconds": 90, "timeoutSeconds": 60},
            ],
            parse_function,
            "functions",
        )
    )
    # When each is invoked
    answers = {
        name: functions.invoke(name, {"wave": 1})
        for name in ("ok", "checked", "broken", "silent", "stuck", "slow")
    }
    decoded = {name: (json.loads(body), errored) for name, (body, errored) in answers.items()}
    # Then a SUCCEEDED function returns its output (the default one, or a FAILED status as given)
    assert decoded["ok"] == ({"status": "SUCCEEDED"}, False)
    assert decoded["checked"] == ({"status": "FAILED", "reason": "HTTP 503"}, False)
    # And FAILED ones raise an unhandled ActionFailed with their message (or a default one)
    assert decoded["broken"][1] and decoded["broken"][0]["errorType"] == "ActionFailed"
    assert decoded["broken"][0]["errorMessage"] == "cannot freeze writes"
    assert decoded["silent"][0]["errorMessage"] == "the function failed"
    # And TIMEOUT (or a run longer than the timeout) answers Lambda's timeout error
    for name, seconds in (("stuck", 120), ("slow", 60)):
        payload, errored = decoded[name]
        assert errored and payload["errorType"] == "Sandbox.Timedout"
        assert payload["errorMessage"].endswith(f"Task timed out after {seconds}.00 seconds")
    # And each took its simulated duration divided by the time scale
    assert slept == [0.5, 1 / SCALE, 1 / SCALE, 1 / SCALE, 2.0, 1.0]
    # And every invocation is logged with its payload
    entries = functions.log.entries()
    assert [(e["kind"], e["name"], e["payload"]) for e in entries][:2] == [
        ("FUNCTION", "ok", {"wave": 1}),
        ("FUNCTION", "checked", {"wave": 1}),
    ]
    assert all(e["id"] for e in entries)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "f", "outcome": "MAYBE"}, "functions[0].outcome"),
        ({"outcome": "FAILED"}, "functions[0].name"),
        ({"name": "has space"}, "functions[0].name"),
        ({"name": "f", "output": ["not", "an", "object"]}, "functions[0].output"),
        ({"name": "f", "durationSeconds": -1}, "functions[0].durationSeconds"),
        ({"name": "f", "timeoutSeconds": 901}, "functions[0].timeoutSeconds"),
        ({"name": "f", "colour": "red"}, "functions[0].colour"),
        ("f", "functions[0].(entry)"),
    ],
)
def test_bad_function_declarations_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ActionSpecError) as caught:
        parse_list([raw], parse_function, "functions")
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "Doc-1", "outcome": "NOPE"}, "documents[0].outcome"),
        ({"name": "x"}, "documents[0].name"),
        ({"name": "Doc-1", "output": {"k": 1}}, "documents[0].output.k"),
        ({"name": "Doc-1", "output": "v"}, "documents[0].output"),
    ],
)
def test_bad_automation_declarations_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ActionSpecError) as caught:
        parse_list([raw], parse_automation, "documents")
    assert caught.value.field == field


def test_a_name_declared_twice_is_refused() -> None:
    with pytest.raises(ActionSpecError, match=r"functions\[1\]\.name: 'f' is declared twice"):
        parse_list([{"name": "f"}, {"name": "f"}], parse_function, "functions")


def test_automation_outputs_accept_strings_or_lists() -> None:
    document = parse_automation({"name": "Doc-1", "output": {"a": "x", "b": ["y", "z"]}})
    assert document.outputs == {"a": ["x"], "b": ["y", "z"]}


# ---------------------------------------------------------------------- scenarios and DRS servers


def test_the_three_tier_scenario_declares_the_runbooks_functions_automation_and_command_results() -> None:
    scenario = load_scenario(resolve_scenario("three-tier"))
    functions = {f.name: f for f in scenario.functions}
    assert set(functions) == {"drs-actions-freeze-writes", "drs-actions-http-health-check"}
    assert functions["drs-actions-freeze-writes"].outcome == "SUCCEEDED"
    assert functions["drs-actions-http-health-check"].output == {"status": "SUCCEEDED", "httpStatus": 200}
    [dns] = scenario.automations
    assert (dns.name, dns.outcome, dns.outputs) == (
        "Shop-FailoverDns",
        "SUCCEEDED",
        {"dnsRecord": ["shop.example.internal"]},
    )
    outputs = {s["tags"]["Tier"]: s["commandResult"]["output"] for s in scenario.source_servers}
    assert outputs["db"] == "accepting connections" and outputs["web"] == "nginx: active"


def test_scenario_errors_in_functions_and_automations_name_the_file_and_field(tmp_path: Path) -> None:
    cases = [
        ({"functions": [{"name": "f", "outcome": "LATER"}]}, r"functions\[0\]\.outcome"),
        (
            {"automations": [{"name": "Doc-1", "durationSeconds": "soon"}]},
            r"automations\[0\]\.durationSeconds",
        ),
        ({"functions": {"name": "f"}}, "functions: must be a list"),
        (
            {"sourceServers": [{"hostname": "a", "commandResult": {"exitCode": "0"}}]},
            r"sourceServers\[0\]\.commandResult\.exitCode",
        ),
    ]
    for data, where in cases:
        path = tmp_path / "scenario.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        with pytest.raises(ScenarioError, match=f"scenario.yaml: {where}"):
            load_scenario(path)


def test_reposting_a_server_with_a_command_result_updates_it_and_nothing_else() -> None:
    # Given a DRS simulator with a server whose commands fail
    clock = FakeClock()
    sim = DrsSimulator(FakeEc2(), clock=clock, rng=random.Random(3))
    server = {"sourceServerId": "s-0123456789abcdef0", "hostname": "app01", "tags": {"Tier": "app"}}
    items, created = sim.put_source_servers([{**server, "commandResult": {"exitCode": 1}}])
    assert created == 1 and len(items) == 1
    # When it is posted again with a succeeding commandResult (the same other fields, or only its id)
    items, created = sim.put_source_servers([{**server, "commandResult": {"output": "ok"}}])
    # Then it is updated, not created
    assert created == 0 and items[0]["sourceServerID"] == server["sourceServerId"]
    assert len(sim.dispatch("DescribeSourceServers", {})["items"]) == 1
    # And a re-post without commandResult, or changing anything else, is still refused
    with pytest.raises(ValueError, match=r"already exists$"):
        sim.add_source_servers([server])
    with pytest.raises(ValueError, match="may change its commandResult only, not hostname"):
        sim.add_source_servers([{**server, "hostname": "app02", "commandResult": {}}])


def test_the_drs_simulator_names_the_command_result_of_its_recovery_instances_only() -> None:
    # Given a launched server whose commandResult is then updated
    clock = FakeClock()
    ec2 = FakeEc2()
    sim = DrsSimulator(ec2, clock=clock, rng=random.Random(5))
    [server_id] = add_servers(sim, 1, commandResult={"exitCode": 2, "output": "nope"})
    start(sim, [server_id])
    clock.advance(LAUNCH_DONE + 1)
    instance_id = sim.dispatch("DescribeRecoveryInstances", {})["items"][0]["recoveryInstanceID"]
    spec = sim.command_target(instance_id)
    assert spec is not None and spec.command_result == CommandResult(2, "nope", 2.0)
    sim.add_source_servers([{"sourceServerId": server_id, "commandResult": {"output": "fine"}}])
    spec = sim.command_target(instance_id)
    assert spec is not None and spec.command_result == CommandResult(0, "fine", 2.0)
    # Then any other id is no recovery instance
    assert sim.command_target("i-0123456789abcdef0") is None
