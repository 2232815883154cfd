"""Evidence that never contradicts itself, for servers: after a termination ends, every server's EC2
state reads `terminated` in the API, the console, the report (built on demand and the copy kept in
the reports bucket) and drsctl; a server whose wave settled has a settled phase (READY, never
LAUNCHING with ready true), and the servers of a cancelled wave read NOT_LAUNCHED, never "pending".

The real state machine, the real handlers in-process, the DRS simulator and moto, driven through the
REST API, drsctl as a subprocess, and headless Chromium (skipped without it, unless
CONSOLE_E2E_REQUIRED=1) for the console and the HTML report."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from browser_tests import chromium_context, missing, watched_page
from sandbox_api import TIME_SCALE, Api, drsctl, finished, wave_statuses

from drs_sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]
TERMINATION_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.url)


def terminate_to_the_end(api: Api, execution_id: str) -> dict[str, Any]:
    """Ask for the termination, then run the schedule (which follows the TERMINATE jobs) until the
    record says the termination ended."""
    api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=202)
    pause = threading.Event()
    for _ in range(int(TERMINATION_TIMEOUT / 0.3)):
        api.call("POST", "/_sandbox/find", {}, expect=200)
        record = api.execution(execution_id)
        if record.get("terminationStatus") not in (None, "IN_PROGRESS"):
            return record
        pause.wait(0.3)
    raise AssertionError(f"the termination of {execution_id} did not end")


@pytest.fixture(scope="module")
def terminated_drill(api: Api) -> dict[str, Any]:
    """Given a three-wave drill (2, 1 and 2 servers) cancelled at the pause before wave 2, so wave 1
    COMPLETED and waves 2 and 3 never launched, whose instances were then terminated to the end."""
    plan_id = api.plan([(api.servers(2), False), (api.servers(1), True), (api.servers(2), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    ended, _ = api.watch(execution_id, finished)
    assert ended["status"] == "PARTIAL_SUCCESS"
    assert wave_statuses(ended) == ["COMPLETED", "CANCELLED", "CANCELLED"]
    # The report the state machine kept when the execution ended (it showed running instances)
    api.watch(execution_id, lambda r: bool(r.get("reportLocation")))
    before = api.server_items(execution_id)
    record = terminate_to_the_end(api, execution_id)
    return {"executionId": execution_id, "record": record, "before": before}


def test_after_a_termination_ends_every_server_reads_terminated_and_phases_are_settled(
    api: Api, terminated_drill: dict[str, Any]
) -> None:
    # Given the cancelled drill: before the termination, wave 1's servers were READY and running
    before = terminated_drill["before"]
    assert [(s["waveNumber"], s.get("phase"), s.get("ec2State")) for s in before if s["waveNumber"] == 1] == [
        (1, "READY", "running")
    ] * 2
    # When the termination ended (terminationStatus COMPLETED, instancesTerminated)
    record = terminated_drill["record"]
    assert record["terminationStatus"] == "COMPLETED" and record["instancesTerminated"] is True
    # Then GET /executions/{id}/servers says terminated for every server that had an instance
    servers = api.server_items(terminated_drill["executionId"])
    launched = [s for s in servers if s.get("ec2InstanceId")]
    assert len(launched) == 2
    assert {s["ec2State"] for s in launched} == {"terminated"}
    # And every phase is settled: READY for wave 1 (its evidence stays), NOT_LAUNCHED for the
    # cancelled waves, and none reads LAUNCHING with ready true or a pending launch
    assert [(s["waveNumber"], s["phase"], s["ready"]) for s in servers] == [
        (1, "READY", True),
        (1, "READY", True),
        (2, "NOT_LAUNCHED", False),
        (3, "NOT_LAUNCHED", False),
        (3, "NOT_LAUNCHED", False),
    ]


def test_the_report_on_demand_and_the_one_kept_in_the_bucket_say_terminated(
    api: Api, sandbox: Sandbox, terminated_drill: dict[str, Any]
) -> None:
    # Given the terminated drill
    execution_id = terminated_drill["executionId"]
    # When the report is read through the API and from the reports bucket, where it was written again
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    record = api.execution(execution_id)
    bucket, key = str(record["reportLocation"]).removeprefix("s3://").split("/", 1)
    info = api.call("GET", "/_sandbox/info", expect=200)
    s3 = boto3.client("s3", endpoint_url=info["awsEndpoint"], region_name=info["region"])
    kept_html = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    kept_json = s3.get_object(Bucket=bucket, Key=key.removesuffix(".html") + ".json")["Body"].read().decode()
    # Then both say the instances are terminated, server by server, and none says running
    for shown in (report, json.loads(kept_json)):
        states = [s["ec2State"] for w in shown["waves"] for s in w["servers"] if s["ec2InstanceId"]]
        assert states == ["terminated", "terminated"]
        assert shown["recoveryInstances"]["terminated"] is True
        assert [s["phase"] for w in shown["waves"] for s in w["servers"]] == ["READY"] * 2 + [
            "NOT_LAUNCHED"
        ] * 3
    tables = re.findall(r'<table class="(?:servers|instances)">.*?</table>', kept_html, flags=re.S)
    assert len(tables) == 4  # one per wave, and the recovery instances
    assert sum(t.count(">terminated<") for t in tables) == 4 and not any(">running<" in t for t in tables)
    assert "Recovery instances still running" not in kept_html
    timeline = api.call("GET", f"/executions/{execution_id}/timeline?limit=500", expect=200)["items"]
    assert [e["type"] for e in timeline].count("REPORT_WRITTEN") == 2


def test_drsctl_status_and_report_show_the_same_terminated_instances_and_phases(
    sandbox: Sandbox, terminated_drill: dict[str, Any]
) -> None:
    # Given the terminated drill; When the operator asks drsctl for its status and its report
    execution_id = terminated_drill["executionId"]
    status = drsctl(sandbox, "status", execution_id)
    report = drsctl(sandbox, "report", execution_id)
    # Then the status says the instances are terminated, and the report's servers table says so too
    assert status.returncode == 2, status.stderr  # PARTIAL_SUCCESS
    assert "Recovery instances: terminated" in status.stdout
    assert report.returncode == 0, report.stderr
    rows = [line for line in report.stdout.splitlines() if re.match(r"\| \d \| s-", line)]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert [(c[0], c[3], c[5]) for c in cells] == [
        ("1", "READY", "terminated"),
        ("1", "READY", "terminated"),
        ("2", "NOT_LAUNCHED", "-"),
        ("3", "NOT_LAUNCHED", "-"),
        ("3", "NOT_LAUNCHED", "-"),
    ]
    assert "running" not in report.stdout.split("## Servers")[1].split("##")[0]


def test_a_completed_drills_servers_are_ready_not_launching(api: Api) -> None:
    # Given a one-wave drill of three servers; When it completes
    final, _ = api.watch(api.start(api.plan([(api.servers(3), False)])), finished)
    assert final["status"] == "COMPLETED"
    # Then every server reads READY (DRS's job log last said LAUNCHING), running and ready
    servers = api.server_items(final["executionId"])
    assert [(s["phase"], s["ec2State"], s["ready"]) for s in servers] == [("READY", "running", True)] * 3


# --- in a browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_context((1600, 1000)) as context:
        yield context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with watched_page(browser) as page:
        yield page


@pytest.mark.slow
def test_the_consoles_server_table_shows_terminated_instances_and_settled_phases(
    page: Any, sandbox: Sandbox, terminated_drill: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        missing("the console is not built (make console)")
    # Given the terminated drill; When the operator opens it in the console
    page.goto(f"{sandbox.console_url}#/executions/{terminated_drill['executionId']}")
    table = page.get_by_test_id("server-table")
    expect(page.get_by_test_id("termination")).to_have_text("Terminated", timeout=60_000)
    expect(table.get_by_test_id("server-ec2-state")).to_have_count(5)
    # Then the EC2 state column reads terminated for both instances, never running
    states = [s.strip() for s in table.get_by_test_id("server-ec2-state").all_inner_texts()]
    assert sorted(states) == ["-", "-", "-", "terminated", "terminated"]
    # And the phases are settled: Ready twice, Not launched for the cancelled waves, nothing Pending
    phases = [p.strip() for p in table.get_by_test_id("server-phase").all_inner_texts()]
    assert sorted(phases) == ["Not launched"] * 3 + ["Ready"] * 2
    body = table.inner_text()
    assert "running" not in body and "Pending" not in body


@pytest.mark.slow
def test_the_html_report_in_a_browser_lists_every_instance_terminated(
    page: Any, sandbox: Sandbox, terminated_drill: dict[str, Any]
) -> None:
    # Given the terminated drill; When its HTML report opens in the browser
    page.goto(f"{sandbox.url}/executions/{terminated_drill['executionId']}/report?format=html")
    # Then the recovery instances table says terminated for each instance
    instances = page.locator("table.instances tbody tr")
    assert instances.count() == 2
    assert [row.locator("td").last.inner_text().strip() for row in instances.all()] == ["terminated"] * 2
    # And each wave's server table shows the phase and the terminated instance, never running
    servers = page.locator("table.servers tbody tr")
    assert servers.count() == 5
    texts = [row.inner_text() for row in servers.all()]
    assert sum("terminated" in t for t in texts) == 2
    assert sum("READY" in t for t in texts) == 2 and sum("NOT LAUNCHED" in t for t in texts) == 3
    assert not any("running" in t for t in texts)
    body = page.locator("body").inner_text()
    assert "2 recovery instances, 0 still running" in body and "Recovery instances still running" not in body
