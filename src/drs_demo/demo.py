"""`make demo`: a full 3-wave drill in the local sandbox, as an operator would run it.

Starts the sandbox with the three-tier scenario's source servers, applies the 3-tier plan file
(DB, App, Web, with its runbook: writes frozen before DB, a connection check after it, the app
owner's approval before Web, a DNS flip and an HTTP health check after it) with drsctl's `plans
apply`, runs a drill with live progress, approves at the pause, prints the final summary (the
actions that ran among it) and the notification email, terminates the drill's recovery instances, stops
everything and exits 0. No AWS account, no Docker.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.rule import Rule

from drs_sandbox.cfn import repo_root
from drs_sandbox.server import Sandbox
from drsctl import render
from drsctl.client import ApiClient
from drsctl.planfile import apply_document

PLAN_FILE = Path("examples") / "three-tier-plan.yaml"
PLAN_NAME = "3TierRecoveryPlan"


def _step(console: Console, text: str) -> None:
    console.print(Rule(f"[bold]{text}[/]", align="left"))


def _email_of(notification: dict[str, Any]) -> str:
    """The email text of a captured SNS message (a per-protocol JSON message, or plain text)."""
    message = notification.get("message", "")
    try:
        structured = json.loads(message)
    except ValueError:
        return str(message)
    return str(structured.get("email") or structured.get("default") or message)


def _wait_for(predicate: Any, timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("the sandbox did not reach the expected state in time")


def run(console: Console, *, time_scale: float, poll_seconds: float) -> int:
    started = time.monotonic()
    _step(console, "1. Start the sandbox (moto, the DRS simulator, the real state machine and handlers)")
    with Sandbox(port=0, scenario="three-tier", time_scale=time_scale, create_plans=False) as sandbox:
        console.print(f"sandbox serving the REST API at [cyan]{sandbox.url}[/]")
        if sandbox.console_built:
            console.print(f"operator console at [cyan]{sandbox.console_url}[/] (open it to watch the drill)")
        else:
            console.print("operator console not built (`make console` builds it)")
        client = ApiClient(sandbox.url)
        servers = client.get("/drs/source-servers")
        console.print(f"{len(servers['items'])} DRS source servers replicating (time scale x{time_scale:g})")

        _step(console, f"2. drsctl plans apply -f {PLAN_FILE}")
        document = yaml.safe_load((repo_root() / PLAN_FILE).read_text())
        for result in apply_document(client, document):
            console.print(f"  {result.action:<9} {result.kind:<16} {result.name}")

        _step(console, f"3. drsctl execute {PLAN_NAME} --drill --wait")
        plan = next(p for p in client.get("/recovery-plans")["items"] if p["name"] == PLAN_NAME)
        execution_id = client.post(
            f"/recovery-plans/{plan['planId']}/executions", {"executionType": "DRILL"}
        )["executionId"]
        console.print(f"execution [cyan]{execution_id}[/] started")

        def on_paused(execution: dict[str, Any]) -> None:
            number = execution.get("pausedWave") or execution.get("pausedBeforeWave") or 1
            wave = execution["waves"][number - 1]["waveName"]
            if execution.get("pauseReason") == "APPROVAL":
                console.print(
                    f"[yellow]PAUSED[/] for approval {execution.get('pausedAction')!r} in wave {wave!r}: "
                    "the app owner checks the App tier, then",
                    highlight=False,
                )
                comment = "App tier checked: orders go through"
                console.print(f'  $ drsctl resume {execution_id} --comment "{comment}"', highlight=False)
                client.post(f"/executions/{execution_id}/resume", {"comment": comment})
                return
            console.print(f"[yellow]PAUSED[/] before wave {wave!r}, then", highlight=False)
            console.print(f"  $ drsctl resume {execution_id}", highlight=False)
            client.post(f"/executions/{execution_id}/resume", {})

        final = render.watch_execution(
            client, execution_id, console=console, poll_seconds=poll_seconds, on_paused=on_paused
        )

        _step(console, f"4. drsctl status {execution_id}")
        render.print_summary(client, final, console)

        _step(console, "5. The drill report (GET /executions/{id}/report, also kept in the reports bucket)")
        report = client.get(f"/executions/{execution_id}/report")
        console.print(render.recovery_line(report["recoveryTime"]), markup=False, highlight=False)
        page = client.get_text(f"/executions/{execution_id}/report", {"format": "html"})
        saved = Path(tempfile.gettempdir()) / "drs-orchestrator-demo" / f"report-{execution_id}.html"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(page, encoding="utf-8")
        console.print(f"HTML report saved to {saved}", markup=False, highlight=False)

        _step(console, "6. The notification email (SNS, captured by the sandbox)")
        notifications = _wait_for(
            lambda: [
                n
                for n in client.get("/_sandbox/notifications")
                if n.get("attributes", {}).get("status") == final["status"]
            ],
            timeout=30,
        )
        console.print(f"[bold]Subject:[/] {notifications[-1]['subject']}")
        console.print(_email_of(notifications[-1]), markup=False, highlight=False)

        _step(console, f"7. drsctl terminate {execution_id}")
        client.post(f"/executions/{execution_id}/terminate-instances", {})

        def terminated() -> dict[str, Any] | None:
            client.post("/_sandbox/find", {})  # the schedule follows the TERMINATE jobs
            execution: dict[str, Any] = client.get(f"/executions/{execution_id}")
            return execution if execution.get("instancesTerminated") else None

        done = _wait_for(terminated, timeout=60)
        console.print(f"recovery instances terminated: {done['instancesTerminated']}")
        _step(console, "8. Stop the sandbox")
    console.print(f"[green]demo finished[/] in {time.monotonic() - started:.0f} s: {final['statusLabel']}")
    return 0 if final["status"] == "COMPLETED" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drs_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="how often progress is refreshed")
    args = parser.parse_args(argv)
    # Soft wrap: a line longer than the terminal (a command with an execution id, a path) is never
    # broken with a newline, on a terminal (which folds it for the eye only, so a copy stays one
    # line) or in a file.
    return run(Console(soft_wrap=True), time_scale=args.time_scale, poll_seconds=args.poll_seconds)


if __name__ == "__main__":
    sys.exit(main())
