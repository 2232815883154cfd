"""Readiness and the drill trend in the console (issue 21), in headless Chromium against the sandbox:
the plan page's verdict and checks are the API's (and "Check now" reads them again after the
replication changed), its trend chart and drill history show the plan's three drills with the
API's p50/p95 and recovery times, the dashboard counts every plan's verdict and links the plans
that are not ready, the group page says when each server was last drilled and filters those never
drilled, and axe-core finds no serious violation on these pages.

Needs the built console (`make console`), `chromium` and frontend/node_modules/axe-core (`npm ci`):
skipped when missing, unless CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that into a failure.
The plan page's screenshot goes to a temporary folder, or to $CONSOLE_SCREENSHOTS_DIR when set
(docs/console.md's plan-readiness.png):

    CONSOLE_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/e2e/test_console_readiness.py
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_tests import chromium_context, console_or_skip, missing, screenshot_folder, watched_page
from sandbox_api import until

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# Simulated seconds: at the sandbox's time scale (x600) a server recovers in a fraction of a second.
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
TREND_LAST = 10  # the console's N (frontend/src/api/readiness.ts TREND_LAST)
ROWS_JS = """rows => rows.map(r => [
  r.querySelector('[data-check]')?.dataset.check ?? null,
  r.querySelector('[data-status]')?.dataset.status ?? null,
  r.cells[2]?.innerText.trim() ?? null,
  r.cells[3]?.innerText.trim() ?? null,
])"""


def console_duration(seconds: int) -> str:
    """A duration as the console shows it everywhere (frontend/src/status.ts formatDuration)."""
    hours, minutes, rest = seconds // 3600, (seconds % 3600) // 60, seconds % 60
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {rest} s"
    return f"{rest} s"


def console_time(iso: str) -> str:
    """A timestamp as the console shows it in UTC (frontend/src/time.ts formatTime)."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")


def console_stats(stats: dict[str, Any]) -> str:
    """The p50/p95 line of the drill trend (frontend/src/components/DrillTrend.tsx statsText)."""
    if not stats["drills"] or stats["p50Seconds"] is None:
        return "No measured drill"
    drills = "drill" if stats["drills"] == 1 else "drills"
    return (
        f"p50 {console_duration(stats['p50Seconds'])} · p95 {console_duration(stats['p95Seconds'])} "
        f"({stats['drills']} {drills})"
    )


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = console_or_skip()
    if not AXE.is_file():
        missing("axe-core is not installed (cd frontend && npm ci)")
    return path


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots() -> Path:
    return screenshot_folder("console-readiness-shots-")


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


def _servers(sandbox: Sandbox, hosts: list[str]) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in hosts]
    specs = [
        {"sourceServerId": i, "hostname": h, "phaseDurations": QUICK} for i, h in zip(ids, hosts, strict=True)
    ]
    _call(sandbox, "POST", "/_sandbox/source-servers", {"servers": specs}, 201)
    return ids


def _plan(sandbox: Sandbox, name: str, group_ids: list[str], **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "waves": [{"waveName": f"W{n}", "protectionGroupIds": [g]} for n, g in enumerate(group_ids, start=1)],
    }
    if options:
        body["options"] = options
    return dict(_call(sandbox, "POST", "/recovery-plans", body, 201))


def _drill(sandbox: Sandbox, plan_id: str) -> dict[str, Any]:
    started = _call(sandbox, "POST", f"/recovery-plans/{plan_id}/executions", {"executionType": "DRILL"}, 202)
    execution_id = started["executionId"]
    record = until(
        lambda: (
            (r := _call(sandbox, "GET", f"/executions/{execution_id}"))["status"]
            in ("COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED")
            and r
        ),
        what=f"the drill {execution_id} to end",
    )
    assert record["status"] == "COMPLETED", record
    return dict(record)


def _stage(sandbox: Sandbox, source_server_id: str, **how: Any) -> None:
    _call(sandbox, "POST", "/_sandbox/replication", {"sourceServerId": source_server_id, **how})


@pytest.fixture(scope="module")
def plans(sandbox: Sandbox) -> dict[str, Any]:
    """Given, in a sandbox of its own: a plan of two servers (app01-…, app02-…) with a 4 h objective,
    drilled three times to COMPLETED; a group of those two and a third server never drilled
    (spare01-…); a plan of that third server alone (never drilled: AT_RISK); and a plan of a server
    whose replication stopped (NOT_READY)."""
    tag = uuid.uuid4().hex[:6]
    hosts = [f"app01-{tag}", f"app02-{tag}", f"spare01-{tag}", f"stop01-{tag}"]
    app1, app2, spare, stopped = _servers(sandbox, hosts)
    group = _call(
        sandbox, "POST", "/protection-groups", {"name": f"app-{tag}", "sourceServerIds": [app1, app2]}, 201
    )
    wide = _call(
        sandbox,
        "POST",
        "/protection-groups",
        {"name": f"wide-{tag}", "sourceServerIds": [app1, app2, spare]},
        201,
    )
    spare_group = _call(
        sandbox, "POST", "/protection-groups", {"name": f"spare-{tag}", "sourceServerIds": [spare]}, 201
    )
    stop_group = _call(
        sandbox, "POST", "/protection-groups", {"name": f"stop-{tag}", "sourceServerIds": [stopped]}, 201
    )
    drilled = _plan(
        sandbox, f"drilled-{tag}", [group["groupId"]], rtoTargetMinutes=240, maxReplicationLagMinutes=30
    )
    never = _plan(sandbox, f"never-{tag}", [spare_group["groupId"]])
    broken = _plan(sandbox, f"broken-{tag}", [stop_group["groupId"]])
    records = [_drill(sandbox, drilled["planId"]) for _ in range(3)]
    _stage(sandbox, stopped, replicationState="STOPPED")
    return {
        "ids": {"app01": app1, "app02": app2, "spare01": spare, "stop01": stopped},
        "hosts": dict(zip(["app01", "app02", "spare01", "stop01"], hosts, strict=True)),
        "wide": wide,
        "drilled": drilled,
        "never": never,
        "broken": broken,
        "records": records,
    }


def _readiness(sandbox: Sandbox, plan_id: str) -> dict[str, Any]:
    return dict(_call(sandbox, "GET", f"/recovery-plans/{plan_id}/readiness"))


def _expected_rows(sandbox: Sandbox, readiness: dict[str, Any]) -> Counter[tuple[str, str, str, str]]:
    """The checks the page should list: the API's, each server named "hostname (id)"."""
    hostnames = {
        s["sourceServerId"]: s.get("hostname") for s in _call(sandbox, "GET", "/drs/source-servers")["items"]
    }

    def server(sid: str | None) -> str:
        if not sid:
            return "-"
        return f"{hostnames[sid]} ({sid})" if hostnames.get(sid) else sid

    return Counter(
        (c["check"], c["status"], c["message"], server(c.get("sourceServerId"))) for c in readiness["checks"]
    )


def _shown_rows(page: Any) -> Counter[tuple[str, str, str, str]]:
    rows = page.get_by_test_id("readiness-checks").locator("tbody tr").evaluate_all(ROWS_JS)
    return Counter(tuple(r) for r in rows)


def _expect_readiness_shown(page: Any, sandbox: Sandbox, plan_id: str, verdict: str) -> None:
    from playwright.sync_api import expect

    answer = _readiness(sandbox, plan_id)
    assert answer["verdict"] == verdict, answer
    expect(page.get_by_test_id("readiness-verdict")).to_have_attribute("data-verdict", verdict)
    expect(page.get_by_test_id("readiness-checks").locator("tbody tr")).to_have_count(len(answer["checks"]))
    expected = _expected_rows(sandbox, answer)
    until(lambda: _shown_rows(page) == expected, timeout=30, what=f"the checks of the {verdict} answer")
    # Failures and warnings come first.
    statuses = [
        r[1] for r in page.get_by_test_id("readiness-checks").locator("tbody tr").evaluate_all(ROWS_JS)
    ]
    order = {"FAIL": 0, "WARN": 1, "PASS": 2}
    assert statuses == sorted(statuses, key=order.__getitem__)


def test_the_plan_page_shows_the_apis_readiness_verdict_and_checks_and_checks_again_on_request(
    page: Any, sandbox: Sandbox, plans: dict[str, Any]
) -> None:
    """Given the plan drilled three times within its objective; when its page opens; then it reads
    Ready with every check the API ran, and when it was checked. When app01's replication lag grows
    to 45 minutes (the plan allows 30) and the operator clicks Check now; then the page reads At risk
    with the lag warning naming app01 by hostname and id, exactly as the API answers."""
    from playwright.sync_api import expect

    plan_id = plans["drilled"]["planId"]
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}")
    _expect_readiness_shown(page, sandbox, plan_id, "READY")
    expect(page.get_by_test_id("readiness-verdict")).to_have_text("Ready")
    expect(page.get_by_test_id("readiness-checked-at")).to_have_text(
        re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")
    )

    app01 = plans["ids"]["app01"]
    _stage(sandbox, app01, lagSeconds=45 * 60)
    try:
        page.get_by_test_id("readiness-refresh").click()
        _expect_readiness_shown(page, sandbox, plan_id, "AT_RISK")
        expect(page.get_by_test_id("readiness-verdict")).to_have_text("At risk")
        lag_row = (
            page.get_by_test_id("readiness-checks").locator("tbody tr").filter(has_text="replication lag of")
        )
        expect(lag_row).to_contain_text(f"{plans['hosts']['app01']} ({app01})")
        expect(lag_row).to_contain_text("Warning")
    finally:
        _stage(sandbox, app01, lagSeconds=0)


def test_the_plan_page_charts_three_drills_with_the_apis_p50_and_p95(
    page: Any, sandbox: Sandbox, plans: dict[str, Any], screenshots: Path
) -> None:
    """Given the plan drilled three times; when its page opens; then the drill trend shows the API's
    p50 and p95 of the last drills (none before them: no trend yet), the chart draws the three drills
    against the 4 h objective, and the drill history lists them newest first, each with the API's
    recovery time and paused time formatted as the execution page formats them."""
    from playwright.sync_api import expect

    plan_id = plans["drilled"]["planId"]
    history = _call(sandbox, "GET", f"/recovery-plans/{plan_id}/drill-history?last={TREND_LAST}")
    assert len(history["drills"]) == 3 and history["recoveryTime"]["drills"] == 3
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}")

    expect(page.get_by_test_id("trend-recent")).to_have_text(console_stats(history["recoveryTime"]))
    expect(page.get_by_test_id("trend-previous")).to_have_text(console_stats(history["previousRecoveryTime"]))
    expect(page.get_by_test_id("trend").locator("[data-trend]")).to_have_attribute(
        "data-trend", history["trend"]
    )

    chart = page.get_by_test_id("drill-trend-chart")
    expect(chart).to_have_attribute("data-drills", "3")
    expect(chart.locator("svg").first).to_be_visible()
    for series in (
        "Recovery time",
        "Recovery time objective",
        f"p50 of the last {TREND_LAST}",
        f"p95 of the last {TREND_LAST}",
    ):
        expect(chart.get_by_text(series, exact=True).first).to_be_visible()

    table = page.get_by_test_id("drill-history")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    for n, drill in enumerate(history["drills"]):
        row = rows.nth(n)
        expect(row.get_by_role("link", name=drill["executionId"])).to_be_visible()
        expect(row.get_by_test_id("drill-recovery-time")).to_have_text(
            console_duration(drill["recoveryTime"]["seconds"])
        )
        expect(row.get_by_test_id("drill-paused")).to_have_text(console_duration(drill["pausedSeconds"]))
        expect(row).to_contain_text(console_time(drill["startTime"]))
        expect(row).to_contain_text("RTO met")
    page.screenshot(path=str(screenshots / "plan-readiness.png"), full_page=True)
    # The drills are the ones run, newest first.
    assert [d["executionId"] for d in history["drills"]] == [
        r["executionId"] for r in reversed(plans["records"])
    ]


def test_the_dashboard_counts_every_plans_verdict_and_links_the_plans_not_ready(
    page: Any, sandbox: Sandbox, plans: dict[str, Any]
) -> None:
    """Given the drilled plan (READY), a plan never drilled (AT_RISK) and a plan whose server stopped
    replicating (NOT_READY); when the dashboard opens; then it counts each verdict as the API gives
    it for every plan, lists the two plans that are not ready (and not the ready one) with what did
    not pass, and a plan's link opens its page with the same verdict."""
    from playwright.sync_api import expect

    every = _call(sandbox, "GET", "/recovery-plans")["items"]
    verdicts = {p["planId"]: _readiness(sandbox, p["planId"])["verdict"] for p in every}
    assert verdicts[plans["drilled"]["planId"]] == "READY"
    assert verdicts[plans["never"]["planId"]] == "AT_RISK"
    assert verdicts[plans["broken"]["planId"]] == "NOT_READY"
    counts = Counter(verdicts.values())

    page.goto(f"{sandbox.console_url}#/")
    for verdict in ("READY", "AT_RISK", "NOT_READY"):
        expect(page.get_by_test_id(f"readiness-count-{verdict}")).to_have_text(str(counts[verdict]))
    attention = page.get_by_test_id("readiness-attention")
    expect(attention.locator("tbody tr")).to_have_count(counts["AT_RISK"] + counts["NOT_READY"])
    expect(attention.get_by_role("link", name=plans["drilled"]["name"], exact=True)).to_have_count(0)
    never_row = attention.locator("tbody tr").filter(
        has=page.get_by_role("link", name=plans["never"]["name"], exact=True)
    )
    expect(never_row.locator("[data-verdict]")).to_have_attribute("data-verdict", "AT_RISK")
    broken_row = attention.locator("tbody tr").filter(
        has=page.get_by_role("link", name=plans["broken"]["name"], exact=True)
    )
    expect(broken_row.locator("[data-verdict]")).to_have_attribute("data-verdict", "NOT_READY")
    expect(broken_row).to_contain_text(plans["ids"]["stop01"])

    broken_row.get_by_role("link", name=plans["broken"]["name"], exact=True).click()
    expect(page.get_by_role("heading", level=1, name=plans["broken"]["name"])).to_be_visible()
    _expect_readiness_shown(page, sandbox, plans["broken"]["planId"], "NOT_READY")
    expect(page.get_by_test_id("readiness-checks")).to_contain_text(
        f"{plans['hosts']['stop01']} ({plans['ids']['stop01']})"
    )


def test_the_group_page_shows_when_each_server_was_last_drilled_and_filters_those_never_drilled(
    page: Any, sandbox: Sandbox, plans: dict[str, Any]
) -> None:
    """Given a group of the two drilled servers and one never drilled; when its page opens; then each
    drilled server's "Last drilled" is the API's lastDrilledTime (the last drill's end) with its
    outcome, the third reads Never drilled; and with "Only servers never drilled" on, only the
    third is listed, as GET /drs/source-servers?neverDrilled=true has it; and the group editor's
    server picker shows and filters the same."""
    from playwright.sync_api import expect

    listed = {s["sourceServerId"]: s for s in _call(sandbox, "GET", "/drs/source-servers")["items"]}
    never = {
        s["sourceServerId"] for s in _call(sandbox, "GET", "/drs/source-servers?neverDrilled=true")["items"]
    }
    page.goto(f"{sandbox.console_url}#/protection-groups/{plans['wide']['groupId']}")
    table = page.get_by_test_id("group-servers")
    for name in ("app01", "app02"):
        sid = plans["ids"][name]
        assert listed[sid]["lastDrilledTime"] == plans["records"][-1]["endTime"]
        row = table.locator("tbody tr").filter(has_text=sid)
        expect(row.get_by_test_id("last-drilled")).to_contain_text(
            console_time(listed[sid]["lastDrilledTime"])
        )
        expect(row.get_by_test_id("last-drilled")).to_contain_text("Recovered")
    spare = plans["ids"]["spare01"]
    assert spare in never
    expect(table.locator("tbody tr").filter(has_text=spare).get_by_test_id("last-drilled")).to_have_text(
        "Never drilled"
    )

    page.get_by_test_id("never-drilled-filter").locator("input").check()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(f"{plans['hosts']['spare01']} ({spare})")

    # And the group editor's server picker filters the same way: app01 is drilled, spare01 is not
    page.goto(f"{sandbox.console_url}#/protection-groups/{plans['wide']['groupId']}/edit")
    picker = page.get_by_test_id("server-picker")
    app01 = picker.locator("tbody tr").filter(has_text=plans["ids"]["app01"])
    expect(app01.get_by_test_id("last-drilled")).to_contain_text(
        console_time(listed[plans["ids"]["app01"]]["lastDrilledTime"])
    )
    page.get_by_test_id("never-drilled-filter").locator("input").check()
    expect(picker.locator("tbody tr").filter(has_text=spare)).to_have_count(1)
    expect(picker.locator("tbody tr").filter(has_text=plans["ids"]["app01"])).to_have_count(0)
    shown = set(picker.locator("tbody tr").evaluate_all("rows => rows.map(r => r.innerText)"))
    assert all(any(sid in row for sid in never) for row in shown), shown


def _axe_violations(page: Any) -> list[str]:
    """The serious and critical violations axe-core finds on the page as shown (evaluated through
    the browser's debugging protocol: the console's CSP refuses an injected script tag)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    results = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violation_on_the_readiness_pages(
    page: Any, sandbox: Sandbox, plans: dict[str, Any]
) -> None:
    """axe-core, run on the dashboard with its readiness, the drilled plan's page (readiness, trend
    chart, drill history), the broken plan's page and the group page, reports no serious or
    critical violation."""
    from playwright.sync_api import expect

    found: dict[str, list[str]] = {}
    page.goto(f"{sandbox.console_url}#/")
    expect(page.get_by_test_id("readiness-count-READY")).not_to_have_text("…")
    found["dashboard"] = _axe_violations(page)
    for key in ("drilled", "broken"):
        page.goto(f"{sandbox.console_url}#/recovery-plans/{plans[key]['planId']}")
        expect(page.get_by_test_id("readiness-verdict")).to_be_visible()
        expect(page.get_by_test_id("drill-history").locator("tbody tr").first).to_be_visible()
        if key == "drilled":
            expect(page.get_by_test_id("drill-trend-chart").locator("svg").first).to_be_visible()
        found[f"plan {key}"] = _axe_violations(page)
    page.goto(f"{sandbox.console_url}#/protection-groups/{plans['wide']['groupId']}")
    expect(page.get_by_test_id("last-drilled").first).to_be_visible()
    found["group"] = _axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
