"""drsctl follows the habits of the AWS CLI, gh and kubectl, checked as an operator meets them: in a
pseudo-terminal 80 columns wide (and piped) against the sandbox. Completion loads in bash, global
options go after the command, an id prefix is accepted, a missing profile is one line, a dry run
changes nothing, and no command an operator may copy is ever split over two lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pexpect
import pytest
import yaml
from test_cli_terminal import (
    ANSI,
    UUID,
    Transcript,
    add_servers,
    api,
    assert_no_traceback,
    cli_env,
    create_plan,
    is_over,
    readable,
    second_shell,
    start,
    unique,
    wait_for,
)

from drs_sandbox.server import Sandbox

COLUMNS = 80


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A config home and AWS config of the test's own (none of the caller's profiles)."""
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
    }


def pty(
    sandbox: Sandbox, *args: str, env: dict[str, str] | None = None, program: list[str] | None = None
) -> pexpect.spawn:
    """A command in a pseudo-terminal of 80 columns (drsctl ARGS unless `program` is given)."""
    argv = program or [sys.executable, "-m", "drsctl", *args]
    child = pexpect.spawn(
        argv[0],
        argv[1:],
        env=cli_env(sandbox, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES="40", **(env or {})),
        dimensions=(40, COLUMNS),
        encoding="utf-8",
        codec_errors="replace",
        timeout=120,
    )
    child.logfile_read = Transcript()
    return child


def finish(child: pexpect.spawn, timeout: float = 180) -> tuple[str, int]:
    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}"
    return str(child.logfile_read.getvalue()), int(child.exitstatus)


def raw_lines(output: str) -> list[str]:
    """The lines as written (colours dropped): a line the program split has a line break inside."""
    return ANSI.sub("", output).replace("\r\n", "\n").split("\n")


def assert_one_line(output: str, command: str) -> None:
    """`command` is written whole on one line (the terminal may fold it for the eye; a copy of it,
    or the file it was piped into, holds it on one line)."""
    assert any(command in line for line in raw_lines(output)), (command, output)


def completed_drill(sandbox: Sandbox, name: str | None = None) -> tuple[dict[str, Any], str]:
    plan = create_plan(sandbox, name or unique("conv"), [{"servers": add_servers(sandbox, 2)}])
    execution_id = start(sandbox, plan)
    wait_for(sandbox, execution_id, is_over)
    return plan, execution_id


# ------------------------------------------------------------------------------ completion


def test_tab_completes_a_subcommand_in_bash_after_sourcing_the_script(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given `drsctl` on the PATH and a bash without any rc file
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "drsctl"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m drsctl "$@"\n')
    wrapper.chmod(0o755)
    shell = pty(
        sandbox,
        program=["bash", "--norc", "--noprofile", "-i"],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "PS1": "ready$ "},
    )
    shell.expect("ready\\$ ")
    # When the completion script is sourced and "drsctl sta" + TAB is typed
    shell.sendline("source <(drsctl completion bash)")
    shell.expect("ready\\$ ")
    shell.send("drsctl sta\t")
    # Then the line reads "drsctl status "
    shell.expect("drsctl status ", timeout=30)
    # And TAB after "drsctl plans " offers the verbs of plans
    shell.send("\x15drsctl plans ap\t")
    shell.expect("drsctl plans apply ", timeout=30)
    shell.send("\x15exit\r")
    shell.expect(pexpect.EOF, timeout=30)


# ------------------------------------------------------------ global options, ids, formats


def test_output_json_after_the_command_and_an_id_prefix_at_80_columns(sandbox: Sandbox) -> None:
    # Given an ended drill
    plan, execution_id = completed_drill(sandbox)
    # When its status is asked with a prefix of its id and --output json after the command
    output, code = finish(pty(sandbox, "status", execution_id[:8], "--output", "json"))
    # Then the answer is the execution's JSON document
    assert code == 0, output
    assert json.loads(readable(output))["executionId"] == execution_id
    # And the human rendering names the whole id on one line at 80 columns
    output, code = finish(pty(sandbox, "status", execution_id[:10]))
    assert code == 0 and re.search(rf"Execution {execution_id} of", readable(output)), output
    # And yaml, text and --query are the same document in other shapes
    as_yaml = second_shell(sandbox, "status", execution_id, "--output", "yaml")
    assert yaml.safe_load(as_yaml.stdout)["planName"] == plan["name"]
    as_text = second_shell(sandbox, "executions", "--plan", plan["name"], "--output", "text")
    assert as_text.stdout.split("\t")[:4] == [execution_id, plan["name"], "DRILL", "COMPLETED"]
    queried = second_shell(
        sandbox, "executions", "--plan", plan["name"], "--query", "items[].status", "--output", "json"
    )
    assert json.loads(queried.stdout) == ["COMPLETED"]
    assert second_shell(sandbox, "-q", "executions", "--plan", plan["name"]).stdout == execution_id + "\n"


def test_servers_lists_each_server_with_its_instance_and_no_id_is_cut(sandbox: Sandbox) -> None:
    # Given an ended drill of two servers
    _plan, execution_id = completed_drill(sandbox)
    servers = api(sandbox, "GET", f"/executions/{execution_id}/servers")["items"]
    # When its servers are listed (by a prefix of its id) on an 80-column terminal
    output, code = finish(pty(sandbox, "servers", execution_id[:8]))
    screen = readable(output)
    # Then each server is a row: hostname, source server id, wave, phase, instance id and state, whole
    assert code == 0, screen
    for header in ("HOSTNAME", "SOURCE SERVER", "WAVE", "PHASE", "EC2 INSTANCE", "EC2 STATE"):
        assert header in screen
    for server in servers:
        row = next(line for line in screen.splitlines() if server["sourceServerId"] in line)
        assert server["hostname"] in row and server["ec2InstanceId"] in row, row


def test_status_of_the_latest_execution_of_a_plan_and_did_you_mean(sandbox: Sandbox) -> None:
    plan, execution_id = completed_drill(sandbox, unique("LatestPlan"))
    latest = second_shell(sandbox, "status", "--plan", plan["name"], "--latest", "--output", "json")
    assert latest.returncode == 0 and json.loads(latest.stdout)["executionId"] == execution_id
    # When the plan's name is mistyped
    mistyped = second_shell(sandbox, "execute", plan["name"][:-2] + "xx")
    # Then one line names the plan it may be
    assert mistyped.returncode == 1
    assert mistyped.stderr.strip().splitlines() == [mistyped.stderr.strip()]
    assert f"did you mean '{plan['name']}'?" in mistyped.stderr


def test_status_wait_reattaches_to_a_running_execution_with_the_live_view(sandbox: Sandbox) -> None:
    # Given a drill that is running (a pause before its second wave holds it)
    plan = create_plan(
        sandbox,
        unique("reattach"),
        [{"servers": add_servers(sandbox)}, {"servers": add_servers(sandbox), "pause": True}],
    )
    execution_id = start(sandbox, plan)
    wait_for(sandbox, execution_id, lambda e: e["status"] == "PAUSED")
    # When an operator re-attaches with status --wait, then resumes it from another shell
    child = pty(sandbox, "status", execution_id[:8], "--wait")
    child.expect("drsctl resume", timeout=60)
    assert second_shell(sandbox, "resume", execution_id).returncode == 0
    output, code = finish(child)
    # Then the live view followed it to its end, with the summary and the exit status of its outcome
    screen = readable(output)
    assert code == 0, screen
    assert_no_traceback(output)
    assert "servers ready" in screen  # the live view's progress line, as with execute --wait
    # (the headline may wrap between words at 80 columns; the id itself stays whole)
    assert re.search(
        rf"Execution {execution_id} of {plan['name']} \(DRILL\): COMPLETED", " ".join(screen.split())
    )


# ----------------------------------------------------------- settings and one-line errors


def test_a_missing_profile_is_one_line_at_the_terminal(sandbox: Sandbox, home: dict[str, str]) -> None:
    config = Path(home["XDG_CONFIG_HOME"]) / "drsctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sandbox]\nendpoint = "{sandbox.url}"\n')
    # When a profile that exists nowhere is named
    output, code = finish(pty(sandbox, "plans", "list", "--profile", "prod", env=home))
    lines = [line for line in readable(output).splitlines() if line.strip()]
    # Then it is one line naming it, the file and the fix; exit 1
    assert code == 1, output
    assert_no_traceback(output)
    assert len(lines) == 1 and lines[0].startswith("drsctl: error: no profile 'prod'"), lines
    assert str(config) in output.replace("\r\n", "") and "--profile" in lines[0]
    # And the profile that exists sends the command to its endpoint
    env = {**home, "DRSCTL_ENDPOINT": ""}
    listed = subprocess.run(
        [sys.executable, "-m", "drsctl", "--profile", "sandbox", "plans", "list", "-q"],
        capture_output=True,
        text=True,
        env={**cli_env(sandbox), **env},
        check=False,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "\n".join(
        p["planId"] for p in api(sandbox, "GET", "/recovery-plans")["items"]
    )


def test_an_unreachable_endpoint_is_one_line(sandbox: Sandbox) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    refused = second_shell(sandbox, "--endpoint", f"http://127.0.0.1:{port}", "plans", "list")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "cannot reach" in refused.stderr
    assert "Traceback" not in refused.stderr


class Flaky(BaseHTTPRequestHandler):
    """Throttles (429 with Retry-After) and fails (503) the first answers, then answers."""

    answers: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        status = Flaky.answers.pop(0) if Flaky.answers else 200
        body = json.dumps({"items": []} if status == 200 else {"message": "busy"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def test_throttled_and_failing_answers_are_retried_until_one_succeeds(sandbox: Sandbox) -> None:
    # Given an endpoint that throttles once and is unavailable twice before it answers
    Flaky.answers = [429, 503, 503]
    with ThreadingHTTPServer(("127.0.0.1", 0), Flaky) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            done = second_shell(
                sandbox,
                "--endpoint",
                f"http://127.0.0.1:{server.server_address[1]}",
                "plans",
                "list",
                "--debug",
            )
        finally:
            server.shutdown()
    # Then drsctl retried (logged with --debug) and succeeded
    assert done.returncode == 0, done.stderr
    assert [int(s) for s in re.findall(r"-> (\d{3})", done.stderr)] == [429, 503, 503, 200]
    assert done.stderr.count("retrying GET") == 3


# ------------------------------------------------------------------------- apply --dry-run


def catalog(sandbox: Sandbox) -> tuple[Any, Any]:
    return api(sandbox, "GET", "/protection-groups"), api(sandbox, "GET", "/recovery-plans")


def test_a_dry_run_prints_each_change_with_a_diff_and_changes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given a plan in the API, and a file that adds a wave (and a new group) to it and a new plan
    name = unique("DryRun")
    servers = add_servers(sandbox, 2)
    create_plan(sandbox, name, [{"servers": servers[:1], "group": f"{name}-db", "name": "DB"}])
    file = tmp_path / "plans.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "protectionGroups": [
                    {"name": f"{name}-db", "sourceServerIds": servers[:1]},
                    {"name": f"{name}-web", "sourceServerIds": servers[1:]},
                ],
                "recoveryPlans": [
                    {
                        "name": name,
                        "waves": [
                            {"waveName": "DB", "protectionGroupNames": [f"{name}-db"]},
                            {
                                "waveName": "Web",
                                "protectionGroupNames": [f"{name}-web"],
                                "pauseBeforeWave": True,
                            },
                        ],
                    },
                    {
                        "name": f"{name}-new",
                        "waves": [{"waveName": "All", "protectionGroupNames": [f"{name}-web"]}],
                    },
                ],
            }
        )
    )
    before = catalog(sandbox)
    # When the file is applied with --dry-run on an 80-column terminal
    output, code = finish(pty(sandbox, "plans", "apply", "-f", str(file), "--dry-run"))
    screen = readable(output)
    # Then it says what would be created, changed or left, with a diff of each change
    assert code == 0, screen
    assert f"unchanged protection group {name}-db" in screen
    assert f"create    protection group {name}-web" in screen
    assert (
        f"update    recovery plan    {name}" in screen and f"create    recovery plan    {name}-new" in screen
    )
    assert f"--- {name} (current)" in screen and "+  waveName: Web" in screen, screen
    assert "dry run: nothing was changed (2 to create, 1 to update, 1 unchanged)" in screen
    # And nothing changed
    assert catalog(sandbox) == before
    # And groups apply --dry-run, as JSON, changes nothing either
    as_json = second_shell(sandbox, "groups", "apply", "-f", str(file), "--dry-run", "--output", "json")
    assert [r["action"] for r in json.loads(as_json.stdout)] == ["unchanged", "create", "update", "create"]
    assert catalog(sandbox) == before


# ------------------------------------------------------------------ RECOVERY confirmation


def test_a_wrong_name_typed_for_a_recovery_is_refused_before_the_warning(sandbox: Sandbox) -> None:
    name = unique("confirm")
    plan = create_plan(sandbox, name, [{"servers": add_servers(sandbox)}])
    child = pty(sandbox, "execute", name, "--recovery")
    child.expect(re.escape(f"Type the plan name ({name}) to start a real RECOVERY:"))
    child.sendline(name.upper())
    output, code = finish(child)
    assert code == 1, output
    assert "CONFIRMATION_MISMATCH" in output and "nothing started" in output
    assert "warning" not in output
    assert api(sandbox, "GET", f"/executions?planId={plan['planId']}")["items"] == []


# ------------------------------------------------------- commands never split over two lines


def test_commands_in_the_summary_are_never_split_at_80_columns_or_in_a_pipe(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given an ended drill whose instances still run (the summary says how to terminate them)
    _plan, execution_id = completed_drill(sandbox)
    command = f"drsctl terminate {execution_id}"
    # When its status is shown on an 80-column terminal, and piped into a file by a 60-column shell
    output, code = finish(pty(sandbox, "status", execution_id))
    piped = second_shell(sandbox, "status", execution_id, columns="60")
    # Then the command is whole on one line in both
    assert code == 0
    assert_one_line(output, command)
    assert_one_line(piped.stdout, command)


def test_make_demo_never_splits_a_command_on_a_terminal_or_in_a_file(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    demo = [sys.executable, "-m", "drs_demo", "--time-scale", "600", "--poll-seconds", "0.2"]
    resume = re.compile(rf'\$ drsctl resume {UUID} --comment "App tier checked: orders go through"')
    terminate = re.compile(rf"(?:Terminate them with: |^  )drsctl terminate {UUID}\s*$")
    # When the demo runs on an 80-column terminal
    output, code = finish(pty(sandbox, program=demo), timeout=600)
    assert code == 0, readable(output)[-3000:]
    lines = raw_lines(output)
    # Then every command it shows is whole on one line
    assert any(resume.search(line) for line in lines), readable(output)[-3000:]
    assert any(terminate.search(line) for line in lines)
    # And when it is piped into a file
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        done = subprocess.run(
            demo, stdout=out, stderr=subprocess.STDOUT, env=cli_env(sandbox), timeout=600, check=False
        )
    text = log.read_text()
    assert done.returncode == 0, text[-3000:]
    assert any(resume.search(line) for line in text.splitlines()), text
    assert any(terminate.search(line) for line in text.splitlines()), text
