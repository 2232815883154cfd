"""drsctl as a subprocess against the sandbox: plan files, execute --wait, control commands, and
drill batches with every outcome (all succeed, all fail, mixed, timed out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sandbox_api import drsctl

from drs_sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
SLOW = {"snapshot": 60, "conversion": 3000, "launch": 60, "boot": 20}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        port=0, scenario="three-tier", time_scale=60, find_interval=3600, create_plans=False
    ) as running:
        yield running


def add_servers(sandbox: Sandbox, count: int, **spec: Any) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
    body = {
        "servers": [
            {"sourceServerId": i, "hostname": f"cli-{i[-5:]}", "phaseDurations": QUICK, **spec} for i in ids
        ]
    }
    requests.post(f"{sandbox.url}/_sandbox/source-servers", json=body, timeout=30).raise_for_status()
    return ids


def plan_file(tmp_path: Path, plans: dict[str, list[list[str]]]) -> Path:
    """A plan file with one group per wave (by server ids) for each plan."""
    groups, recovery_plans = [], []
    for name, waves in plans.items():
        wave_specs = []
        for number, ids in enumerate(waves, start=1):
            group_name = f"{name}-wave{number}"
            groups.append({"name": group_name, "sourceServerIds": ids})
            wave_specs.append({"waveName": f"Wave{number}", "protectionGroupNames": [group_name]})
        recovery_plans.append({"name": name, "waves": wave_specs})
    path = tmp_path / f"plans-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump({"protectionGroups": groups, "recoveryPlans": recovery_plans}))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_plans_apply_creates_then_reports_unchanged_then_updates(sandbox: Sandbox, tmp_path: Path) -> None:
    # Given the shipped 3-tier plan file
    example = ROOT / "examples" / "three-tier-plan.yaml"
    # When it is applied twice
    first = drsctl(sandbox, "plans", "apply", "-f", str(example))
    second = drsctl(sandbox, "plans", "apply", "-f", str(example))
    # Then groups and plan are created once, then reported unchanged
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") == 4
    assert second.stdout.count("unchanged") == 4
    # And a changed file updates only what changed
    document = yaml.safe_load(example.read_text())
    document["recoveryPlans"][0]["description"] = "changed"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(document))
    third = drsctl(sandbox, "--output", "json", "plans", "apply", "-f", str(changed))
    actions = {(r["kind"], r["action"]) for r in json.loads(third.stdout)}
    assert actions == {("protection group", "unchanged"), ("recovery plan", "updated")}
    listed = drsctl(sandbox, "plans", "list")
    assert "3TierRecoveryPlan" in listed.stdout
    assert "DB (2 actions) -> App -> Web (approval, 3 actions)" in listed.stdout


def test_a_bad_plan_file_is_refused_with_the_field_named_and_nothing_applied(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"recoveryPlans": [{"name": "x", "waves": [{"waveName": "w"}]}]}))
    result = drsctl(sandbox, "plans", "apply", "-f", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("drsctl: error:")
    assert "recoveryPlans[0].waves[0]" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_execute_wait_exits_0_on_completed_and_2_on_partial_success(sandbox: Sandbox, tmp_path: Path) -> None:
    # Given a plan that completes and one whose second wave fails
    good, partial = unique("good"), unique("partial")
    path = plan_file(
        tmp_path,
        {
            good: [add_servers(sandbox, 1)],
            partial: [
                add_servers(sandbox, 1),
                add_servers(sandbox, 1, launchOutcome="FAILED", failPhase="LAUNCH"),
            ],
        },
    )
    assert drsctl(sandbox, "plans", "apply", "-f", str(path)).returncode == 0
    # When each is executed with --wait
    completed = drsctl(sandbox, "execute", good, "--wait")
    failed = drsctl(sandbox, "execute", partial, "--drill", "--wait")
    # Then the exit codes say COMPLETED (0) and PARTIAL_SUCCESS (2), with a summary naming the failed server
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "COMPLETED" in completed.stdout
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "PARTIAL SUCCESS (1 of 2 waves completed)" in failed.stdout
    assert "LAUNCH_FAILED" in failed.stdout
    assert "drsctl terminate" in failed.stdout


def test_status_cancel_and_terminate_drive_an_execution(sandbox: Sandbox, tmp_path: Path) -> None:
    # Given a running execution of a plan whose first wave runs for minutes (so the cancel below
    # is still CANCELLING when the resume comes, however slowly each drsctl process starts)
    name = unique("slow")
    minutes = {**SLOW, "conversion": 7200}
    path = plan_file(
        tmp_path, {name: [add_servers(sandbox, 1, phaseDurations=minutes), add_servers(sandbox, 1)]}
    )
    drsctl(sandbox, "plans", "apply", "-f", str(path))
    started = json.loads(drsctl(sandbox, "--output", "json", "execute", name).stdout)
    execution_id = started["executionId"]
    # When it is cancelled, then followed to its end
    cancelled = drsctl(sandbox, "cancel", execution_id)
    again = drsctl(sandbox, "resume", execution_id)
    final = drsctl(sandbox, "--output", "json", "status", execution_id)
    # Then cancel reports CANCELLING, resume is refused with the API's reason (the cancel, and who
    # asked for it), status prints JSON
    assert cancelled.returncode == 0 and "CANCELLING" in cancelled.stdout
    assert again.returncode == 1
    assert "ALREADY_DECIDED" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert "a cancel was already requested by" in again.stderr
    assert json.loads(final.stdout)["executionId"] == execution_id


def test_drill_batch_with_all_plans_succeeding_exits_0(sandbox: Sandbox, tmp_path: Path) -> None:
    names = [unique("ok"), unique("ok")]
    drsctl(
        sandbox,
        "plans",
        "apply",
        "-f",
        str(plan_file(tmp_path, {n: [add_servers(sandbox, 1)] for n in names})),
    )
    result = drsctl(sandbox, "drill", *names, "--parallel", "2", "--timeout", "120")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(f"✓ {n}" in result.stdout for n in names)
    assert "2 drills: 2 succeeded, 0 failed" in result.stdout


def test_drill_batch_with_every_plan_failing_exits_1(sandbox: Sandbox, tmp_path: Path) -> None:
    names = [unique("bad"), unique("bad")]
    plans = {n: [add_servers(sandbox, 1, launchOutcome="FAILED", failPhase="CONVERSION")] for n in names}
    drsctl(sandbox, "plans", "apply", "-f", str(plan_file(tmp_path, plans)))
    result = drsctl(sandbox, "drill", *names, "--timeout", "120")
    assert result.returncode == 1, result.stdout + result.stderr
    assert all(f"✗ {n}" in result.stdout for n in names)
    assert "0 succeeded, 2 failed" in result.stdout


def test_drill_batch_continues_past_failures_and_exits_2_when_some_fail(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given one good plan, one failing plan, one slow plan, and a name that is no plan at all
    good, bad, slow = unique("ok"), unique("bad"), unique("slow")
    plans = {
        good: [add_servers(sandbox, 1)],
        bad: [add_servers(sandbox, 1, launchOutcome="FAILED", failPhase="LAUNCH")],
        slow: [add_servers(sandbox, 1, phaseDurations=SLOW)],
    }
    drsctl(sandbox, "plans", "apply", "-f", str(plan_file(tmp_path, plans)))
    # When they are drilled together with a timeout shorter than the slow plan
    result = drsctl(
        sandbox,
        "--output",
        "json",
        "drill",
        good,
        bad,
        slow,
        "ghost-plan",
        "--parallel",
        "3",
        "--timeout",
        "12",
    )
    # Then the batch went on past each failure, and exits 2 with one error per failed plan
    assert result.returncode == 2, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (4, 1, 3)
    assert sorted(summary["failedPlans"]) == sorted([bad, slow, "ghost-plan"])
    errors = {r["plan"]: r["error"] for r in summary["results"]}
    assert errors[good] is None
    assert "timed out" in errors[slow] and "cancelled" in errors[slow]
    assert "no recovery plan" in errors["ghost-plan"]
    # And the timed-out drill was cancelled
    slow_id = next(r["executionId"] for r in summary["results"] if r["plan"] == slow)
    status = requests.get(f"{sandbox.url}/executions/{slow_id}", timeout=30).json()["status"]
    assert status in {"CANCELLING", "CANCELLED", "PARTIAL_SUCCESS"}


def test_connection_failures_and_missing_endpoint_are_one_line_errors(sandbox: Sandbox) -> None:
    down = subprocess.run(
        [sys.executable, "-m", "drsctl", "--endpoint", "http://127.0.0.1:9", "plans", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert down.returncode == 1
    assert down.stderr.strip().splitlines() == [down.stderr.strip()]
    assert "cannot reach http://127.0.0.1:9" in down.stderr
    env = {k: v for k, v in os.environ.items() if k != "DRSCTL_ENDPOINT"}
    missing = subprocess.run(
        [sys.executable, "-m", "drsctl", "plans", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert missing.returncode == 1 and "DRSCTL_ENDPOINT" in missing.stderr
    usage = drsctl(sandbox, "execute")
    assert usage.returncode == 1
