"""The console's pages that were missing, in a real browser (headless Chromium, 1280 px wide, driven by
Playwright by executable path) against the sandbox: a protection group's page (servers with
replication state and lag, the plans that use it, its recent executions); the execution's Gantt
chart, bar for bar the report's; the report opened from a presigned link that can be shared; the
"Instances still running" view and a termination from it; servers named by hostname with their id.

Needs the built console (`make console`) and `chromium`: skipped when missing, unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that into a failure. Screenshots go to a temporary
folder, or to $CONSOLE_SCREENSHOTS_DIR when set (docs/console.md's group.png, gantt.png and
running-instances.png):

    CONSOLE_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/e2e/test_console_pages.py
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_tests import (
    chromium_context,
    console_or_skip,
    screenshot_folder,
    watched_page,
)
from sandbox_api import until

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 120_000
# Simulated seconds: at the sandbox's time scale (x600) a server recovers in a fraction of a second.
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return console_or_skip()


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots() -> Path:
    return screenshot_folder("console-pages-shots-")


@pytest.fixture(scope="module")
def browser_context(chromium_path: str, sandbox: Sandbox) -> Iterator[Any]:
    with chromium_context((1280, 1000)) as context:
        yield context


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    with watched_page(browser_context) as page:
        yield page


def _call(sandbox: Sandbox, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    answer = requests.request(method, sandbox.url + path, json=body, timeout=30)
    assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
    return answer.json() if answer.content else None


@pytest.fixture(scope="module")
def drill(sandbox: Sandbox) -> dict[str, Any]:
    """Given two servers (app01-…, app02-…) and one still syncing (sync01-…) in the sandbox's DRS, a
    group of the first two in a one-wave plan with a pause before its wave (approved through the
    API), and that drill ended COMPLETED with its report stored."""
    tag = uuid.uuid4().hex[:6]
    hosts = [f"app01-{tag}", f"app02-{tag}"]
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in hosts]
    servers = [
        {"sourceServerId": i, "hostname": h, "phaseDurations": QUICK} for i, h in zip(ids, hosts, strict=True)
    ]
    _call(sandbox, "POST", "/_sandbox/source-servers", {"servers": servers}, 201)
    group = _call(sandbox, "POST", "/protection-groups", {"name": f"app-{tag}", "sourceServerIds": ids}, 201)
    plan = _call(
        sandbox,
        "POST",
        "/recovery-plans",
        {
            "name": f"app-plan-{tag}",
            "waves": [{"waveName": "App", "protectionGroupIds": [group["groupId"]], "pauseBeforeWave": True}],
        },
        201,
    )
    started = _call(
        sandbox, "POST", f"/recovery-plans/{plan['planId']}/executions", {"executionType": "DRILL"}, 202
    )
    execution_id = started["executionId"]
    until(
        lambda: _call(sandbox, "GET", f"/executions/{execution_id}")["status"] == "PAUSED", what="the pause"
    )
    _call(sandbox, "POST", f"/executions/{execution_id}/resume", {"comment": "go"})
    record = until(
        lambda: (r := _call(sandbox, "GET", f"/executions/{execution_id}")).get("reportLocation") and r,
        what="the stored report",
    )
    assert record["status"] == "COMPLETED"
    return {"group": group, "plan": plan, "executionId": execution_id, "ids": ids, "hosts": hosts}


def test_a_group_page_shows_its_servers_replication_lag_plans_and_executions(
    page: Any, sandbox: Sandbox, drill: dict[str, Any], screenshots: Path
) -> None:
    """Given the drill's group; when the operator opens it from the groups list; then its servers
    show by hostname with their id, replicating CONTINUOUS with a lag of 0 s, its plan with the
    wave that recovers it, and the drill among its recent executions."""
    from playwright.sync_api import expect

    page.goto(f"{sandbox.console_url}#/protection-groups")
    page.get_by_test_id("groups-table").get_by_role("link", name=drill["group"]["name"]).click()
    expect(page.get_by_test_id("group-name")).to_have_text(drill["group"]["name"])
    servers = page.get_by_test_id("group-servers")
    for host, sid in zip(drill["hosts"], drill["ids"], strict=True):
        row = servers.get_by_role("row").filter(has_text=sid)
        expect(row).to_contain_text(f"{host} ({sid})")
        expect(row).to_contain_text("CONTINUOUS")
        expect(row.get_by_test_id("lag")).to_have_text("0 s")
    expect(page.get_by_test_id("group-replication")).to_contain_text("All 2 healthy")
    plans = page.get_by_test_id("group-plans")
    expect(plans.get_by_role("link", name=drill["plan"]["name"])).to_be_visible()
    expect(plans).to_contain_text("1 (App)")
    executions = page.get_by_test_id("group-executions")
    expect(executions.get_by_role("link", name=drill["executionId"])).to_be_visible()
    expect(executions).to_contain_text("COMPLETED")
    page.screenshot(path=str(screenshots / "group.png"), full_page=True)


def test_a_group_whose_server_lags_says_so(page: Any, sandbox: Sandbox) -> None:
    """Given a group of a server still in its initial sync; when its page opens; then the server
    reads INITIAL SYNC with the lag DRS reports, and the group warns that a drill would fail."""
    from playwright.sync_api import expect

    sid = f"s-{uuid.uuid4().hex[:17]}"
    host = f"sync01-{uuid.uuid4().hex[:6]}"
    server = {"sourceServerId": sid, "hostname": host, "replicationState": "INITIAL_SYNC"}
    _call(sandbox, "POST", "/_sandbox/source-servers", {"servers": [server]}, 201)
    group = _call(
        sandbox, "POST", "/protection-groups", {"name": f"sync-{sid[-6:]}", "sourceServerIds": [sid]}, 201
    )
    lag = _call(sandbox, "GET", f"/protection-groups/{group['groupId']}/servers")["items"][0]["lagSeconds"]
    assert lag >= 300
    page.goto(f"{sandbox.console_url}#/protection-groups/{group['groupId']}")
    row = page.get_by_test_id("group-servers").get_by_role("row").filter(has_text=sid)
    expect(row).to_contain_text(f"{host} ({sid})")
    expect(row).to_contain_text("INITIAL SYNC")
    expect(row.get_by_test_id("lag")).not_to_have_text("0 s")
    expect(page.get_by_test_id("group-replication")).to_contain_text("1 of 1 not healthy")


def test_the_execution_page_draws_the_reports_gantt_chart_bar_for_bar(
    page: Any, sandbox: Sandbox, drill: dict[str, Any], screenshots: Path
) -> None:
    """Given the ended drill; when the operator opens its Gantt chart tab; then every wave bar,
    server phase and pause of the console's chart has the start, end and label of the report
    page's, in the same order."""
    from playwright.sync_api import expect

    execution_id = drill["executionId"]
    report = requests.get(f"{sandbox.url}/executions/{execution_id}/report?format=html", timeout=30).text
    page.goto(f"{sandbox.console_url}#/executions/{execution_id}")
    page.get_by_role("tab", name="Gantt chart").click()
    chart = page.get_by_test_id("gantt-chart")
    expect(chart).to_be_visible()

    def console_spans(test_id: str) -> list[tuple[str, str]]:
        return [
            (str(el.get_attribute("data-start")), str(el.get_attribute("data-end")))
            for el in chart.get_by_test_id(test_id).all()
        ]

    waves = re.findall(r'class="wave-bar"[^>]*data-start="([^"]*)" data-end="([^"]*)"', report)
    phases = re.findall(r'class="(?:phase|mark) [^"]*"[^>]*data-start="([^"]*)" data-end="([^"]*)"', report)
    pauses = re.findall(r'<g class="pause"[^>]*data-start="([^"]*)" data-end="([^"]*)"', report)
    assert waves and phases and pauses
    assert console_spans("gantt-wave-bar") == waves
    assert console_spans("gantt-phase") == phases
    assert console_spans("gantt-pause") == pauses
    # The labels: the wave's and each server's lane, as the report writes them
    expect(chart.get_by_test_id("gantt-wave")).to_contain_text("Wave 1 · App")
    for host in drill["hosts"]:
        assert f">{host}</text>" in report
        expect(chart).to_contain_text(host)
    chart.screenshot(path=str(screenshots / "gantt.png"))


def test_the_report_opens_from_a_presigned_link_that_can_be_shared(
    page: Any, sandbox: Sandbox, drill: dict[str, Any]
) -> None:
    """Given the ended drill with its stored report; when the operator clicks Report; then the new
    tab opens a presigned S3 link (not a blob: URL) showing the report; and Share link shows a link
    that expires in 5 minutes, which a plain HTTP client opens too."""
    from playwright.sync_api import expect

    execution_id = drill["executionId"]
    page.goto(f"{sandbox.console_url}#/executions/{execution_id}")
    with page.expect_popup() as opened:
        page.get_by_test_id("open-report").click()
    report = opened.value
    report.wait_for_url(re.compile(r"X-Amz-Signature="))
    assert not report.url.startswith("blob:")
    assert "/reports/" in report.url and "X-Amz-Expires=300" in report.url
    expect(report).to_have_title(re.compile(re.escape(execution_id)))
    report.close()

    page.get_by_test_id("share-report").click()
    modal = page.get_by_test_id("report-link-modal")
    expect(modal).to_contain_text("5 min")
    url = page.get_by_test_id("report-link-url").locator("input").input_value()
    assert "X-Amz-Signature=" in url
    shared = requests.get(url, timeout=30)
    assert shared.status_code == 200
    assert execution_id in shared.text


def test_instances_still_running_lists_the_drill_and_terminates_from_there(
    page: Any, sandbox: Sandbox, drill: dict[str, Any], screenshots: Path
) -> None:
    """Given the ended drill whose two instances run; when the operator opens "Instances still
    running"; then the drill is listed with its two servers by hostname and id and how long they have
    run; when they terminate it from there (confirming); then the termination starts and, once it
    ended, the drill is no longer listed."""
    from playwright.sync_api import expect

    execution_id = drill["executionId"]
    page.goto(f"{sandbox.console_url}#/")
    page.get_by_role("navigation", name="Navigation").get_by_role(
        "link", name="Instances still running"
    ).click()
    table = page.get_by_test_id("running-instances")
    row = table.get_by_role("row").filter(has_text=execution_id)
    expect(row.get_by_test_id("instance-count")).to_have_text("2")
    for host, sid in zip(drill["hosts"], drill["ids"], strict=True):
        expect(row).to_contain_text(f"{host} ({sid})")
    expect(row.get_by_test_id("running-for")).to_have_text(re.compile(r"\d+ (s|min)"))
    page.screenshot(path=str(screenshots / "running-instances.png"), full_page=True)
    row.get_by_role("radio").check()
    page.get_by_test_id("terminate-selected").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_text("Termination of the recovery instances")).to_be_visible()

    def ended() -> bool:
        _call(sandbox, "POST", "/_sandbox/find", {})
        return _call(sandbox, "GET", f"/executions/{execution_id}").get("instancesTerminated") is True

    until(ended, what="the termination to end")
    page.get_by_role("button", name="Refresh").click()
    expect(table.get_by_role("row").filter(has_text=execution_id)).to_have_count(0)


def test_a_failed_wave_names_its_server_by_hostname_with_its_id_in_the_console(
    page: Any, sandbox: Sandbox
) -> None:
    """Given a CRITICAL server that fails to launch; when its drill ends; then the execution page's
    wave shows "critical servers failed: <hostname> (<id>)"."""
    from playwright.sync_api import expect

    sid = f"s-{uuid.uuid4().hex[:17]}"
    host = f"db-fail-{uuid.uuid4().hex[:6]}"
    server = {"sourceServerId": sid, "hostname": host, "phaseDurations": QUICK, "launchOutcome": "FAILED"}
    _call(sandbox, "POST", "/_sandbox/source-servers", {"servers": [server]}, 201)
    group = _call(
        sandbox, "POST", "/protection-groups", {"name": f"fail-{sid[-6:]}", "sourceServerIds": [sid]}, 201
    )
    body = {
        "name": f"fail-plan-{sid[-6:]}",
        "waves": [{"waveName": "DB", "protectionGroupIds": [group["groupId"]]}],
    }
    plan = _call(sandbox, "POST", "/recovery-plans", body, 201)
    execution_id = _call(sandbox, "POST", f"/recovery-plans/{plan['planId']}/executions", {}, 202)[
        "executionId"
    ]
    until(lambda: _call(sandbox, "GET", f"/executions/{execution_id}")["status"] == "FAILED", what="the end")
    page.goto(f"{sandbox.console_url}#/executions/{execution_id}")
    expect(page.get_by_test_id("wave-1")).to_contain_text(f"critical servers failed: {host} ({sid})")
