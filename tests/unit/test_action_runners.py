"""The action runners on their own: what each makes of what Lambda and SSM answer."""

from __future__ import annotations

import shlex
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from execution_utils import ActionStatus
from orchestrator.actions.base import (
    ActionContext,
    quote_posix,
    quote_powershell,
    render_parameters,
    shell_quote_for,
)
from orchestrator.actions.lambda_action import LambdaRunner
from orchestrator.actions.ssm_automation import AutomationRunner
from orchestrator.actions.ssm_command import CommandRunner
from orchestrator.actions.wait import WaitRunner
from orchestrator.aws.functions import Invocation
from orchestrator.aws.ports import Command
from orchestrator.exceptions import NotFoundError
from orchestrator.model import new_action

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EVENT = {"executionId": "e-1234567890", "planName": "Shop", "waveName": "Web", "waveNumber": 3}
INSTANCES = {"i-0a": "web01", "i-0b": "web02"}


def context(now: datetime = NOW) -> ActionContext:
    return ActionContext(lambda: (dict(EVENT), dict(INSTANCES)), now=now)


class Ssm:
    def __init__(self, results: list[dict[str, Any]] | None = None, automation: dict[str, Any] | None = None):
        self.results = results or []
        self.automation_result = automation or {}
        self.sent: list[dict[str, Any]] = []

    def send_command(self, command: Command) -> list[str]:
        self.sent.append(asdict(command))
        return ["cmd-1"]

    def command_results(self, command_ids: Any) -> list[dict[str, Any]]:
        return self.results

    def start_automation(self, **kwargs: Any) -> str:
        self.sent.append(kwargs)
        return "auto-1"

    def automation(self, automation_id: str) -> dict[str, Any]:
        return self.automation_result


def test_instance_ids_and_context_values_are_rendered_into_ssm_parameters() -> None:
    rendered = render_parameters(
        {"InstanceIds": ["{{instanceIds}}"], "Zone": ["{{planName}}-{{waveName}}.internal"]}, context()
    )
    assert rendered == {"InstanceIds": ["i-0a", "i-0b"], "Zone": ["Shop-Web.internal"]}


def test_a_command_failing_on_one_instance_names_it_its_exit_code_and_its_last_words() -> None:
    """Given Run Command's answer for two instances, one failed with SSM's error section appended;
    then the action FAILED naming that instance, its exit code and what the command printed last."""
    ssm = Ssm(
        [
            {"instanceId": "i-0a", "status": "Success", "responseCode": 0, "output": "nginx: active"},
            {
                "instanceId": "i-0b",
                "status": "Failed",
                "responseCode": 3,
                "output": "checking\nHTTP 503 upstream down\n\n----------ERROR-------\nfailed to run commands: exit status 3",
            },
        ]
    )
    runner = CommandRunner(ssm)
    action = new_action(
        {"name": "health", "type": "SSM_COMMAND", "documentName": "AWS-RunShellScript"}, "POST"
    )
    started = runner.start(action, context())
    assert (started.status, started.handle) == (ActionStatus.RUNNING, {"commandIds": ["cmd-1"]})
    assert ssm.sent[0]["instance_ids"] == ["i-0a", "i-0b"] and ssm.sent[0]["timeout_seconds"] == 900
    ended = runner.check({**action, "handle": {"commandIds": ["cmd-1"]}}, context())
    assert ended.status is ActionStatus.FAILED
    assert ended.error == "exit code 3 on i-0b (web02): HTTP 503 upstream down"
    assert "--- i-0a (web01): Success\nnginx: active" in (ended.output or "")


def test_a_command_still_running_on_one_instance_is_running_and_timed_out_ones_are_timed_out() -> None:
    runner = CommandRunner(
        Ssm([{"instanceId": "i-0a", "status": "InProgress", "responseCode": -1, "output": ""}])
    )
    action = new_action({"name": "c", "type": "SSM_COMMAND", "documentName": "D"}, "POST")
    assert runner.check({**action, "handle": {"commandIds": ["x"]}}, context()).status is ActionStatus.RUNNING
    runner = CommandRunner(
        Ssm([{"instanceId": "i-0a", "status": "TimedOut", "responseCode": -1, "output": ""}])
    )
    assert (
        runner.check({**action, "handle": {"commandIds": ["x"]}}, context()).status is ActionStatus.TIMED_OUT
    )


def test_a_command_with_no_recovered_instance_fails_without_being_sent() -> None:
    ssm = Ssm()
    empty = ActionContext(lambda: (dict(EVENT), {}), now=NOW)
    outcome = CommandRunner(ssm).start(
        new_action({"name": "c", "type": "SSM_COMMAND", "documentName": "D"}, "POST"), empty
    )
    assert outcome.status is ActionStatus.FAILED and ssm.sent == []


def test_an_automation_succeeds_with_its_outputs_or_fails_with_ssms_message() -> None:
    action = {
        **new_action({"name": "dns", "type": "SSM_AUTOMATION", "documentName": "Flip"}, "POST"),
        "handle": {"automationExecutionId": "a"},
    }
    done = AutomationRunner(Ssm(automation={"status": "Success", "outputs": {"record": ["shop"]}})).check(
        action, context()
    )
    assert (done.status, done.output) == (ActionStatus.SUCCEEDED, '{"record": ["shop"]}')
    failed = AutomationRunner(Ssm(automation={"status": "Failed", "failureMessage": "step 2 failed"})).check(
        action, context()
    )
    assert failed.status is ActionStatus.FAILED and failed.error == "automation a ended Failed: step 2 failed"


class Functions:
    def __init__(self, answer: Invocation | Exception):
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def invoke(self, name: str, event: Any) -> Invocation:
        self.events.append(dict(event))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_function_gets_its_payload_with_the_context_and_its_answer_decides() -> None:
    action = new_action(
        {"name": "f", "type": "LAMBDA", "functionName": "drs-actions-f", "payload": {"app": "shop"}}, "PRE"
    )
    functions = Functions(Invocation('{"ok": true}'))
    assert LambdaRunner(functions).start(action, context()).status is ActionStatus.SUCCEEDED
    assert functions.events == [{"app": "shop", **EVENT}]
    said_failed = LambdaRunner(Functions(Invocation('{"status": "FAILED", "message": "lag"}'))).start(
        action, context()
    )
    assert (said_failed.status, said_failed.error) == (ActionStatus.FAILED, "lag")
    raised = LambdaRunner(
        Functions(Invocation('{"errorType": "KeyError", "errorMessage": "x"}', "Unhandled"))
    ).start(action, context())
    assert (raised.status, raised.error) == (ActionStatus.FAILED, "function drs-actions-f raised KeyError: x")
    slow = LambdaRunner(
        Functions(
            Invocation('{"errorMessage": "Task timed out after 3.00 seconds"}', "Unhandled", timed_out=True)
        )
    ).start(action, context())
    assert slow.status is ActionStatus.TIMED_OUT
    missing = LambdaRunner(Functions(NotFoundError("Lambda Invoke: no such function"))).start(
        action, context()
    )
    assert (missing.status, missing.error) == (ActionStatus.FAILED, "Lambda Invoke: no such function")


def test_a_wait_ends_once_its_duration_has_passed() -> None:
    runner = WaitRunner()
    action = new_action({"name": "settle", "type": "WAIT", "durationSeconds": 120}, "POST")
    started = runner.start(action, context())
    assert (started.status, started.check_in_seconds) == (ActionStatus.RUNNING, 120)
    waiting = {**action, "handle": started.handle}
    assert runner.check(waiting, context(NOW + timedelta(seconds=100))).check_in_seconds == 20
    assert runner.check(waiting, context(NOW + timedelta(seconds=120))).status is ActionStatus.SUCCEEDED


def test_context_values_in_a_command_are_quoted_as_one_word_for_its_shell() -> None:
    """Given a plan and wave named like shell code; when a Linux and a PowerShell command print
    them; then each value is one literal word: POSIX-quoted for the shell script, single-quoted
    with every kind of single quote doubled for PowerShell; the instance ids expand unquoted."""
    hostile = ActionContext(
        lambda: ({**EVENT, "planName": "x'; touch /tmp/pwned; '", "waveName": "$(reboot)"}, dict(INSTANCES)),
        now=NOW,
    )
    ssm = Ssm()
    runner = CommandRunner(ssm)
    linux = new_action(
        {
            "name": "c",
            "type": "SSM_COMMAND",
            "documentName": "AWS-RunShellScript",
            "parameters": {"commands": ["echo {{planName}} {{waveName}}"]},
        },
        "POST",
    )
    runner.start(linux, hostile)
    (line,) = ssm.sent[-1]["parameters"]["commands"]
    assert shlex.split(line) == ["echo", "x'; touch /tmp/pwned; '", "$(reboot)"]
    assert quote_powershell("it's \u2019$x\u2018") == "'it''s \u2019\u2019$x\u2018\u2018'"
    assert shell_quote_for("AWS-RunPowerShellScript") is quote_powershell
    assert shell_quote_for("AWS-RunShellScript") is quote_posix
    # Automation parameters are typed values, not shell lines: substituted as they are
    assert render_parameters({"Zone": ["{{planName}}"]}, hostile) == {"Zone": ["x'; touch /tmp/pwned; '"]}
