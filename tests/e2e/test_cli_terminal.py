"""drsctl as a person runs it: in a pseudo-terminal (pexpect, 120x40, xterm-256color) against the
sandbox, with a second shell (a subprocess) acting on the same execution; and, piped, as a script
reads it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pexpect
import pytest
import requests
import yaml

from drs_sandbox.server import Sandbox

QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
# 60 s of conversion per real second at x60: a wave that stays IN_PROGRESS for minutes.
FOREVER = {"snapshot": 20, "conversion": 60_000, "launch": 30, "boot": 10}
LINK = "[link=https://example.com]x[/link]"
OSC8 = "\x1b]8;"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TERMINAL_STATUSES = {"COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


def cli_env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DRSCTL_ENDPOINT": sandbox.url, **extra}
    for name in [n for n in env if n.startswith("AWS_ENDPOINT_URL")]:
        env.pop(name)
    return env


@dataclass
class Session:
    """One drsctl command in a pseudo-terminal: everything it wrote (escapes included) and how it ended."""

    child: pexpect.spawn

    def expect(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        self.child.expect(pattern, timeout=timeout)
        match = self.child.match
        assert isinstance(match, re.Match)
        return match

    def finish(self, timeout: float = 120) -> tuple[str, int]:
        """Wait for the command to end; return all its output and its exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return str(self.child.logfile_read.getvalue()), int(self.child.exitstatus)


class Transcript:
    """pexpect's logfile_read: keeps every character the terminal received."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, data: str) -> None:
        self.parts.append(data)

    def flush(self) -> None:
        return None

    def getvalue(self) -> str:
        return "".join(self.parts)


def terminal(sandbox: Sandbox, *args: str, columns: int = 120) -> Session:
    """drsctl ARGS in a pseudo-terminal (40 lines, 120 columns), as typed at a shell prompt."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "drsctl", *args],
        env=cli_env(sandbox, TERM="xterm-256color", COLUMNS=str(columns), LINES="40"),
        dimensions=(40, columns),
        encoding="utf-8",
        codec_errors="replace",
        timeout=60,
    )
    child.logfile_read = Transcript()
    return Session(child)


def run_in_terminal(sandbox: Sandbox, *args: str, columns: int = 120) -> tuple[str, int]:
    return terminal(sandbox, *args, columns=columns).finish()


def second_shell(sandbox: Sandbox, *args: str, columns: str = "60") -> subprocess.CompletedProcess[str]:
    """drsctl ARGS with stdout and stderr piped (another shell, a script, `| cat`)."""
    return subprocess.run(
        [sys.executable, "-m", "drsctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(sandbox, COLUMNS=columns),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def readable(output: str) -> str:
    """What the screen shows, near enough: colours and cursor moves dropped, CRLF made LF."""
    return ANSI.sub("", output).replace("\r\n", "\n")


def assert_no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


# ------------------------------------------------------------------------------------------ API


def api(sandbox: Sandbox, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
    response = requests.request(method, sandbox.url + path, json=body, timeout=30)
    if expect is not None:
        assert response.status_code == expect, response.text
    else:
        response.raise_for_status()
    return response.json() if response.content else None


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def add_servers(sandbox: Sandbox, count: int = 1, **spec: Any) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
    body = {
        "servers": [
            {"sourceServerId": i, "hostname": f"tty-{i[-5:]}", "phaseDurations": QUICK, **spec} for i in ids
        ]
    }
    api(sandbox, "POST", "/_sandbox/source-servers", body, expect=201)
    return ids


def create_plan(sandbox: Sandbox, name: str, waves: list[dict[str, Any]]) -> dict[str, Any]:
    """A plan with one protection group per wave; each wave is {"servers": [...], "name"?, "pause"?}."""
    wave_specs = []
    for number, wave in enumerate(waves, start=1):
        group = api(
            sandbox,
            "POST",
            "/protection-groups",
            {"name": wave.get("group") or f"{name}-g{number}", "sourceServerIds": wave["servers"]},
            expect=201,
        )
        wave_specs.append(
            {
                "waveName": wave.get("name") or f"Wave{number}",
                "protectionGroupIds": [group["groupId"]],
                **({"pauseBeforeWave": True} if wave.get("pause") else {}),
            }
        )
    plan: dict[str, Any] = api(
        sandbox, "POST", "/recovery-plans", {"name": name, "waves": wave_specs}, expect=201
    )
    return plan


def start(sandbox: Sandbox, plan: dict[str, Any], kind: str = "DRILL") -> str:
    """A drill through the executions route; a RECOVERY through its own route, confirmed by the name."""
    if kind == "RECOVERY":
        path, body = f"/recovery-plans/{plan['planId']}/recovery", {"confirmPlanName": plan["name"]}
    else:
        path, body = f"/recovery-plans/{plan['planId']}/executions", {"executionType": kind}
    started = api(sandbox, "POST", path, body, expect=202)
    return str(started["executionId"])


def wait_for(
    sandbox: Sandbox, execution_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = api(sandbox, "GET", f"/executions/{execution_id}")
        if done(execution):
            return execution
        assert time.monotonic() < deadline, f"execution never reached the state: {execution}"
        time.sleep(0.25)


def is_over(execution: dict[str, Any]) -> bool:
    return execution["status"] in TERMINAL_STATUSES


# ------------------------------------------------------------------------- execute --wait, live


def test_a_drill_followed_live_through_a_pause_resumed_from_a_second_shell_ends_in_a_summary_and_exit_0(
    sandbox: Sandbox,
) -> None:
    # Given a two-wave plan that pauses before its second wave
    name = unique("live")
    plan = create_plan(
        sandbox, name, [{"servers": add_servers(sandbox)}, {"servers": add_servers(sandbox), "pause": True}]
    )
    # When a person runs `execute --drill --wait` on a terminal
    session = terminal(sandbox, "execute", name, "--drill", "--wait")
    execution_id = session.expect(rf"execution ({UUID})").group(1)
    # Then the live view shows the progress bar and wave table, and the pause with how to resume
    session.expect(r"PAUSED \(before wave 2 of 2\)", timeout=90)
    session.expect(rf"drsctl resume {execution_id}")
    # When the execution is resumed from a second shell
    resumed = second_shell(sandbox, "resume", execution_id)
    assert resumed.returncode == 0, resumed.stderr
    assert f"execution {execution_id} resumed" in resumed.stdout
    # Then the first terminal follows it to the end and prints the summary, exit status 0
    output, status = session.finish()
    screen = readable(output)
    assert status == 0, screen
    assert_no_traceback(output)
    assert "━" in output  # the progress bar
    assert re.search(r"Wave\s+Status\s+Phase\s+Launched\s+Ready\s+Failed", screen)
    assert "NOT_STARTED" in screen  # the second wave, drawn while the first ran
    assert f"Execution {execution_id} of {name} (DRILL): COMPLETED" in screen
    assert "Terminate them with: drsctl terminate" in screen
    assert plan["planId"]
    # And terminating a drill's instances still needs no confirmation
    output, status = run_in_terminal(sandbox, "terminate", execution_id)
    assert status == 0, output
    assert "recovery instances are being terminated" in readable(output)
    assert "Type the plan name" not in output


def test_a_runbook_followed_live_asks_for_approval_then_a_failed_check_is_retried_from_a_second_shell(
    sandbox: Sandbox,
) -> None:
    """Given a plan whose wave 1 needs an approval and whose wave 2 check fails on its server
    (onWaveFailure PAUSE); when a person follows the drill live on a terminal, approves from a second
    shell, sees the failed check with what to run, fixes the server and retries; then the live view
    ends COMPLETED with every action listed, exit status 0, and hostile output never became markup."""
    name = unique("runbook")
    (bad,) = add_servers(sandbox, commandResult={"exitCode": 2, "output": f"[bold red]{LINK} refused"})
    waves = []
    for number, servers in enumerate((add_servers(sandbox), [bad]), start=1):
        group = api(
            sandbox,
            "POST",
            "/protection-groups",
            {"name": f"{name}-g{number}", "sourceServerIds": servers},
            expect=201,
        )
        waves.append({"waveName": f"Wave{number}", "protectionGroupIds": [group["groupId"]]})
    waves[0]["preActions"] = [{"name": "change-board-ok", "type": "APPROVAL"}]
    waves[1]["postActions"] = [
        {
            "name": "smoke",
            "type": "SSM_COMMAND",
            "documentName": "AWS-RunShellScript",
            "parameters": {"commands": ["true"]},
        }
    ]
    api(
        sandbox,
        "POST",
        "/recovery-plans",
        {"name": name, "waves": waves, "options": {"onWaveFailure": "PAUSE"}},
        expect=201,
    )

    session = terminal(sandbox, "execute", name, "--drill", "--wait")
    execution_id = session.expect(rf"execution ({UUID})").group(1)
    session.expect("change-board-ok", timeout=90)
    session.expect("Approve with:", timeout=30)
    session.expect(rf"  drsctl resume {execution_id} --comment", timeout=30)
    approved = second_shell(sandbox, "resume", execution_id, "--comment", "CAB-1234 approved")
    assert approved.returncode == 0, approved.stderr
    session.expect(r"failed\. Retry it, skip it or cancel the execution:", timeout=90)
    session.expect(rf"  drsctl retry {execution_id} --comment", timeout=30)
    status = second_shell(sandbox, "status", execution_id)
    assert "PAUSED" in status.stdout and "smoke" in status.stdout and "exit code 2" in status.stdout
    api(
        sandbox,
        "POST",
        "/_sandbox/source-servers",
        {"servers": [{"sourceServerId": bad, "commandResult": {"exitCode": 0}}]},
        expect=200,
    )
    retried = second_shell(sandbox, "retry", execution_id, "--comment", "restarted")
    assert retried.returncode == 0, retried.stderr
    assert (
        "wave 2 is retried; once it completes, the execution finishes (it is the last wave)" in retried.stdout
    )

    output, code = session.finish(timeout=120)
    screen = readable(output)
    assert code == 0, screen
    assert_no_traceback(output)
    assert f"Execution {execution_id} of {name} (DRILL): COMPLETED" in screen
    assert re.search(r"PRE\s+✓ SUCCEEDED\s+1/1\s+change-board-ok \(APPROVAL\)", screen), screen
    assert re.search(r"POST\s+✓ SUCCEEDED\s+1/1\s+smoke \(SSM_COMMAND\)", screen), screen
    assert OSC8 not in output  # the output's [link=...] stayed text
    record = api(sandbox, "GET", f"/executions/{execution_id}")
    assert record["waves"][0]["actions"][0]["comment"] == "CAB-1234 approved"
    assert record["waves"][1]["retries"] == 1


def test_a_failing_drill_on_a_terminal_prints_the_failed_servers_and_exits_1(sandbox: Sandbox) -> None:
    # Given a plan whose first wave's critical server fails to launch
    name = unique("failing")
    bad = add_servers(sandbox, launchOutcome="FAILED", failPhase="LAUNCH")
    create_plan(sandbox, name, [{"servers": bad}, {"servers": add_servers(sandbox)}])
    # When it is drilled with --wait on a terminal
    output, status = run_in_terminal(sandbox, "execute", name, "--wait")
    screen = readable(output)
    # Then the summary names the failed server, the later wave never started, and the exit status is 1
    assert status == 1, screen
    assert_no_traceback(output)
    assert re.search(rf"Execution {UUID} of {name} \(DRILL\): FAILED", screen)
    assert "Failed servers (1):" in screen
    assert bad[0] in screen and "LAUNCH_FAILED" in screen
    assert "NOT_STARTED" in screen


# ---------------------------------------------------------------------------- status, any state


@pytest.fixture(scope="module")
def executions(sandbox: Sandbox) -> dict[str, str]:
    """One execution in each state that used to break the terminal view, started together."""
    plans = {
        "running": [
            {"servers": add_servers(sandbox, phaseDurations=FOREVER)},
            {"servers": add_servers(sandbox)},
        ],
        "paused": [{"servers": add_servers(sandbox)}, {"servers": add_servers(sandbox), "pause": True}],
        "failed": [
            {"servers": add_servers(sandbox, launchOutcome="FAILED", failPhase="LAUNCH")},
            {"servers": add_servers(sandbox)},
        ],
        "partial": [{"servers": add_servers(sandbox)}, {"servers": add_servers(sandbox), "pause": True}],
    }
    ids = {kind: start(sandbox, create_plan(sandbox, unique(kind), waves)) for kind, waves in plans.items()}
    wait_for(
        sandbox,
        ids["running"],
        lambda e: e["status"] == "IN_PROGRESS" and e["waves"][0].get("phase") is not None,
    )
    wait_for(sandbox, ids["paused"], lambda e: e["status"] == "PAUSED")
    wait_for(sandbox, ids["failed"], is_over)
    # cancelled after its first wave completed: PARTIAL_SUCCESS
    wait_for(sandbox, ids["partial"], lambda e: e["status"] == "PAUSED")
    api(sandbox, "POST", f"/executions/{ids['partial']}/cancel", {})
    wait_for(sandbox, ids["partial"], is_over)
    return ids


STATUS_CASES = {
    # kind: (status, label, exit status of `drsctl status`: 0 COMPLETED or active, 2 PARTIAL_SUCCESS, else 1)
    "running": ("IN_PROGRESS", "IN PROGRESS (wave 1 of 2)", 0),
    "paused": ("PAUSED", "PAUSED (before wave 2 of 2)", 0),
    "failed": ("FAILED", "FAILED", 1),
    "partial": ("PARTIAL_SUCCESS", "PARTIAL SUCCESS (1 of 2 waves completed)", 2),
}


@pytest.mark.parametrize("kind", list(STATUS_CASES))
def test_status_on_a_terminal_draws_the_execution_and_exits_as_documented_and_as_json_does(
    sandbox: Sandbox, executions: dict[str, str], kind: str
) -> None:
    status, label, exit_status = STATUS_CASES[kind]
    execution_id = executions[kind]
    # When a person asks for the status of the execution on a terminal, in text and in JSON
    output, code = run_in_terminal(sandbox, "status", execution_id)
    json_output, json_code = run_in_terminal(sandbox, "--output", "json", "status", execution_id)
    # Then the summary is drawn, with the wave that has not started, and no traceback
    screen = readable(output)
    assert_no_traceback(output)
    assert f"Execution {execution_id} of " in screen and label in screen
    assert re.search(r"Wave\s+Status\s+Phase", screen)
    assert ("NOT_STARTED" in screen) == (kind != "partial")  # a cancel makes the rest CANCELLED
    if kind == "failed":
        assert "Failed servers (1):" in screen
    # And the exit status is the documented one (an active execution: 0), JSON agreeing with text
    assert code == exit_status, screen
    document = json.loads(json_output.replace("\r\n", "\n"))
    assert document["status"] == status and document["statusLabel"] == label
    assert json_code == code
    assert "\x1b[" not in json_output


# --------------------------------------------------------------- piped output: ids never cut


def test_piped_lists_and_apply_print_every_id_whole_on_one_line(sandbox: Sandbox, tmp_path: Path) -> None:
    # Given groups and plans with long names, applied from a plan file with stdout piped (COLUMNS=60)
    long = "a-rather-long-name-that-a-real-team-would-choose-for-its-tier"
    names = [unique(f"{long}-{n}") for n in range(2)]
    document = {
        "protectionGroups": [
            {"name": f"{n}-group", "sourceServerIds": add_servers(sandbox, 3)} for n in names
        ],
        "recoveryPlans": [
            {
                "name": n,
                "waves": [
                    {
                        "waveName": f"{long}-wave",
                        "protectionGroupNames": [f"{n}-group"],
                        "pauseBeforeWave": True,
                    }
                ],
            }
            for n in names
        ],
    }
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(document))
    applied = second_shell(sandbox, "plans", "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    plans = [p for p in api(sandbox, "GET", "/recovery-plans")["items"] if p["name"] in names]
    groups = [
        g for g in api(sandbox, "GET", "/protection-groups")["items"] if g["name"].startswith(tuple(names))
    ]
    for plan in plans:
        start(sandbox, plan)
    # When they are listed with stdout piped, as `drsctl ... | cat` does
    listings = {
        "apply": applied.stdout,
        "plans": second_shell(sandbox, "plans", "list").stdout,
        "groups": second_shell(sandbox, "groups", "list").stdout,
        "executions": second_shell(sandbox, "executions", "list", "--limit", "100").stdout,
    }
    execution_ids = [e["executionId"] for e in api(sandbox, "GET", "/executions?limit=100")["items"]]
    # Then each id is printed whole on one line, with its name on that same line, and no escapes
    expected = {
        "apply": [(g["groupId"], g["name"]) for g in groups] + [(p["planId"], p["name"]) for p in plans],
        "plans": [(p["planId"], p["name"]) for p in plans],
        "groups": [(g["groupId"], g["name"]) for g in groups]
        + [(server, g["name"]) for g in groups for server in g["sourceServerIds"]],
        "executions": [(i, "") for i in execution_ids],
    }
    for command, pairs in expected.items():
        lines = listings[command].splitlines()
        assert "\x1b[" not in listings[command]
        for value, name in pairs:
            assert any(value in line and name in line for line in lines), (command, value, listings[command])
    assert len(execution_ids) >= 2


# ------------------------------------------------------------- user text is never markup


def test_names_that_look_like_markup_are_printed_as_typed_and_open_no_hyperlink(sandbox: Sandbox) -> None:
    # Given a group, a plan and a wave whose names are rich markup
    tag = uuid.uuid4().hex[:4]
    group_name, plan_name, wave_name = f"{LINK}[red]{tag}", f"[red]{LINK}{tag}", "[red]w"
    plan = create_plan(
        sandbox, plan_name, [{"servers": add_servers(sandbox), "group": group_name, "name": wave_name}]
    )
    execution_id = start(sandbox, plan)
    wait_for(sandbox, execution_id, is_over)
    # When a person lists groups and plans and asks for the execution's status on a terminal (a wide
    # one: the sandbox holds other tests' long names, and a table wrapping a cell would split ours)
    outputs = {
        "groups": run_in_terminal(sandbox, "groups", "list", columns=400),
        "plans": run_in_terminal(sandbox, "plans", "list", columns=400),
        "status": run_in_terminal(sandbox, "status", execution_id),
    }
    # Then no OSC-8 hyperlink was opened and the names appear as typed, brackets and all
    for command, (output, code) in outputs.items():
        assert code == 0, (command, output)
        assert OSC8 not in output, command
        assert_no_traceback(output)
    assert group_name in readable(outputs["groups"][0])
    assert plan_name in readable(outputs["plans"][0])
    assert wave_name in readable(outputs["plans"][0])
    status = readable(outputs["status"][0])
    assert f"of {plan_name} (DRILL)" in status
    assert f"1. {wave_name}" in status


# ------------------------------------------------- terminate: a RECOVERY needs the plan's name


def recovery_route_exists(sandbox: Sandbox) -> bool:
    response = requests.post(
        f"{sandbox.url}/executions/{uuid.uuid4()}/terminate-recovery-instances",
        json={"confirmPlanName": "probe"},
        timeout=30,
    )
    return not (response.status_code == 404 and "ROUTE_NOT_FOUND" in response.text)


def test_terminating_a_recovery_asks_for_the_plan_name_on_a_terminal_and_refuses_a_script_without_it(
    sandbox: Sandbox,
) -> None:
    if not recovery_route_exists(sandbox):
        pytest.skip("the API has no POST /executions/{id}/terminate-recovery-instances yet")
    # Given a completed RECOVERY
    name = unique("prod")
    plan = create_plan(sandbox, name, [{"servers": add_servers(sandbox)}])
    execution_id = start(sandbox, plan, kind="RECOVERY")
    wait_for(sandbox, execution_id, is_over)
    # When a script (no terminal) terminates it without --confirm-plan-name
    scripted = second_shell(sandbox, "terminate", execution_id)
    # Then it is refused with one line naming the flag, and nothing was terminated
    assert scripted.returncode == 1
    assert scripted.stderr.startswith("drsctl: error:") and len(scripted.stderr.strip().splitlines()) == 1
    assert "--confirm-plan-name" in scripted.stderr
    # When a person on a terminal types a wrong name at the prompt
    session = terminal(sandbox, "terminate", execution_id)
    session.expect(re.escape(f"Type the plan name ({name}) to terminate the recovered production instances:"))
    session.child.sendline("not-the-plan")
    output, code = session.finish()
    # Then the API's refusal is one error line, exit status 1
    assert code == 1, output
    assert "CONFIRMATION_MISMATCH" in output and "drsctl: error:" in output
    assert not api(sandbox, "GET", f"/executions/{execution_id}").get("instancesTerminated")
    # When the plan's name is typed
    session = terminal(sandbox, "terminate", execution_id)
    session.expect("Type the plan name")
    session.child.sendline(name)
    output, code = session.finish()
    # Then the recovered instances are being terminated
    assert code == 0, output
    assert f"execution {execution_id} recovery instances are being terminated" in readable(output)
    # And the confirmation can be given on the command line as well (now refused: already terminating)
    again = second_shell(sandbox, "terminate", execution_id, "--confirm-plan-name", name)
    assert again.returncode == 1 and "CONFIRMATION" not in again.stderr


# ------------------------------------------------- execute --recovery: the plan's name, typed again


def started_executions(sandbox: Sandbox, plan: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api(sandbox, "GET", f"/executions?planId={plan['planId']}")["items"]
    return items


def test_a_recovery_asks_for_the_plan_name_on_a_terminal_and_starts_on_the_recovery_route(
    sandbox: Sandbox,
) -> None:
    # Given a plan
    name = unique("failover")
    plan = create_plan(sandbox, name, [{"servers": add_servers(sandbox)}])
    # When a person starts a recovery on a terminal and types a wrong name at the prompt
    session = terminal(sandbox, "execute", name, "--recovery")
    session.expect(re.escape(f"Type the plan name ({name}) to start a real RECOVERY:"))
    session.child.sendline("not-the-plan")
    output, code = session.finish()
    # Then the API's refusal is one error line, exit status 1, and nothing started
    assert code == 1, output
    assert_no_traceback(output)
    assert "CONFIRMATION_MISMATCH" in output and "drsctl: error:" in output
    assert started_executions(sandbox, plan) == []
    # When nothing is typed (end of input at the prompt)
    session = terminal(sandbox, "execute", name, "--recovery")
    session.expect("Type the plan name")
    session.child.sendeof()
    output, code = session.finish()
    # Then nothing started either
    assert code == 1, output
    assert "no plan name typed: nothing started" in readable(output)
    assert started_executions(sandbox, plan) == []
    # When the plan's name is typed
    session = terminal(sandbox, "execute", name, "--recovery", "--wait")
    session.expect("Type the plan name")
    session.child.sendline(name)
    output, code = session.finish()
    # Then a RECOVERY started, was followed to its end, and completed
    screen = readable(output)
    assert code == 0, screen
    assert_no_traceback(output)
    assert f"drsctl: warning: starting a RECOVERY (failover) of {name}, not a drill" in screen
    assert re.search(rf"Execution {UUID} of {name} \(RECOVERY\): COMPLETED", screen)
    [execution] = started_executions(sandbox, plan)
    assert execution["executionType"] == "RECOVERY" and execution["status"] == "COMPLETED"


def test_a_recovery_from_a_script_needs_confirm_plan_name(sandbox: Sandbox) -> None:
    # Given a plan
    name = unique("scripted")
    plan = create_plan(sandbox, name, [{"servers": add_servers(sandbox)}])
    # When a script (no terminal) starts a recovery without --confirm-plan-name
    scripted = second_shell(sandbox, "execute", name, "--recovery")
    # Then it is refused with one line naming the flag and the plan, and nothing started
    assert scripted.returncode == 1
    assert scripted.stderr.startswith("drsctl: error:") and len(scripted.stderr.strip().splitlines()) == 1
    assert f"--confirm-plan-name {name}" in scripted.stderr
    assert started_executions(sandbox, plan) == []
    # When the flag names another plan, the API refuses it and nothing starts
    wrong = second_shell(sandbox, "execute", name, "--recovery", "--confirm-plan-name", "not-the-plan")
    assert wrong.returncode == 1 and "CONFIRMATION_MISMATCH" in wrong.stderr
    assert started_executions(sandbox, plan) == []
    # When the flag is given without --recovery, it is a usage error (a drill needs no confirmation)
    misused = second_shell(sandbox, "execute", name, "--confirm-plan-name", name)
    assert misused.returncode == 1 and "--confirm-plan-name goes with --recovery" in misused.stderr
    assert started_executions(sandbox, plan) == []
    # When the flag names the plan, as JSON
    confirmed = second_shell(
        sandbox, "--output", "json", "execute", name, "--recovery", "--confirm-plan-name", name
    )
    # Then a RECOVERY started, with a warning on stderr, and the answer is the route's
    assert confirmed.returncode == 0, confirmed.stderr
    assert "starting a RECOVERY (failover)" in confirmed.stderr
    started = json.loads(confirmed.stdout)
    assert set(started) == {"executionId", "status"}
    execution = api(sandbox, "GET", f"/executions/{started['executionId']}")
    assert execution["executionType"] == "RECOVERY" and execution["planId"] == plan["planId"]
