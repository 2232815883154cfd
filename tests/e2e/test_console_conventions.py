"""The console follows the AWS console's conventions (issue 20), checked in Chromium at 1280 and
1920 px wide against the sandbox: tables with preferences that survive a reload, no cell text
broken inside a word, the executions property filter, the top navigation and the Actions menu,
notifications that read as sentences and stay on their page, times with their zone, plain form
errors cleared as the field is edited, and an axe-core check of every page.

Needs the built console (`make console`), `chromium` and frontend/node_modules/axe-core (`npm ci`).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_tests import chromium_context, console_or_skip, missing

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PLAN = "3TierRecoveryPlan"
TIMEOUT_MS = 120_000
WIDTHS = (1280, 1920)
# The browser's zone in these tests: a half-hour offset, so that local time cannot pass for UTC.
TIME_ZONE = "Asia/Kolkata"
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = console_or_skip()
    if not AXE.is_file():
        missing("axe-core is not installed (cd frontend && npm ci)")
    return path


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, scenario="three-tier", time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(chromium_path: str, sandbox: Sandbox) -> Iterator[Any]:
    with chromium_context((1280, 900), timezone_id=TIME_ZONE) as context:
        yield context


@pytest.fixture
def page(browser_context: Any, sandbox: Sandbox) -> Iterator[Any]:
    page = browser_context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Each test starts from the console's defaults (preferences live in localStorage).
    page.goto(sandbox.console_url)
    page.evaluate("window.localStorage.clear()")
    yield page
    page.close()
    assert not errors, f"the console raised in the browser: {errors}"


def _add_servers(sandbox: Sandbox, hostnames: list[str], **extra: Any) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in hostnames]
    specs = [
        {"sourceServerId": i, "hostname": h, "phaseDurations": QUICK, **extra}
        for i, h in zip(ids, hostnames, strict=True)
    ]
    added = requests.post(f"{sandbox.url}/_sandbox/source-servers", json={"servers": specs}, timeout=10)
    assert added.status_code == 201, added.text
    return ids


def _plan(sandbox: Sandbox, name: str, waves: list[list[str]], **extra: Any) -> str:
    plan_waves = []
    for n, servers in enumerate(waves, start=1):
        group = requests.post(
            f"{sandbox.url}/protection-groups",
            json={"name": f"{name}-g{n}", "sourceServerIds": servers},
            timeout=10,
        )
        assert group.status_code == 201, group.text
        plan_waves.append({"waveName": f"W{n}", "protectionGroupIds": [group.json()["groupId"]]})
    for key, value in extra.pop("wave_extra", {}).items():
        plan_waves[-1][key] = value
    plan = requests.post(
        f"{sandbox.url}/recovery-plans", json={"name": name, "waves": plan_waves, **extra}, timeout=10
    )
    assert plan.status_code == 201, plan.text
    return str(plan.json()["planId"])


def _drill(sandbox: Sandbox, plan_id: str) -> str:
    started = requests.post(f"{sandbox.url}/recovery-plans/{plan_id}/executions", json={}, timeout=10)
    assert started.status_code in (200, 201, 202), started.text
    return str(started.json()["executionId"])


def _wait_for(
    sandbox: Sandbox, execution_id: str, statuses: set[str], seconds: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
        if record["status"] in statuses:
            return record
        time.sleep(0.3)
    raise AssertionError(f"{execution_id} never reached {statuses}: {record.get('status')}")


@pytest.fixture(scope="module")
def failed_check(sandbox: Sandbox) -> dict[str, Any]:
    """A drill paused on a failed wave: a long error, an action's output with markup and long
    words, servers with hostnames: the execution page's tables at their fullest."""
    tag = uuid.uuid4().hex[:6]
    (good,) = _add_servers(sandbox, [f"app-{tag}"])
    long_output = (
        f"<b>upstream {tag}</b> refused: arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "targetgroup/orders-production-blue/0123456789abcdef connection reset by peer " * 3
    )
    (bad,) = _add_servers(sandbox, [f"web-{tag}"], commandResult={"exitCode": 7, "output": long_output})
    plan_id = _plan(
        sandbox,
        f"Check-{tag}",
        [[good], [bad]],
        options={"onWaveFailure": "PAUSE"},
        wave_extra={
            "postActions": [
                {
                    "name": f"health-{tag}",
                    "type": "SSM_COMMAND",
                    "documentName": "AWS-RunShellScript",
                    "parameters": {"commands": ["curl -f localhost"]},
                }
            ]
        },
    )
    execution_id = _drill(sandbox, plan_id)
    record = _wait_for(sandbox, execution_id, {"PAUSED"})
    return {"executionId": execution_id, "planId": plan_id, "planName": record["planName"], "record": record}


@pytest.fixture(scope="module")
def ended_drill(sandbox: Sandbox) -> dict[str, Any]:
    """A drill that COMPLETED and whose recovery instance still runs."""
    tag = uuid.uuid4().hex[:6]
    (server,) = _add_servers(sandbox, [f"solo-{tag}"])
    plan_id = _plan(sandbox, f"Solo-{tag}", [[server]])
    execution_id = _drill(sandbox, plan_id)
    record = _wait_for(sandbox, execution_id, {"COMPLETED"})
    assert record["canTerminate"]["hasRecoveryInstances"] and not record["instancesTerminated"]
    return {"executionId": execution_id, "planId": plan_id, "planName": record["planName"], "record": record}


# --- helpers -------------------------------------------------------------------------------------

BROKEN_WORDS_JS = """
(root) => {
  // Every word (a run of non-space characters) of every cell's text: its boxes must lie on one line.
  const broken = [];
  for (const cell of root.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.textContent || '';
      const words = /\\S+/g;
      let m;
      while ((m = words.exec(text))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}
"""


def _broken_words(locator: Any) -> list[str]:
    return list(locator.evaluate(BROKEN_WORDS_JS))


def _axe_violations(page: Any) -> list[str]:
    """The serious and critical violations axe-core finds on the page as shown. axe is evaluated
    through the browser's debugging protocol: the console's CSP refuses an injected script tag."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    results = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def _open_actions(page: Any) -> None:
    page.get_by_test_id("execution-actions").get_by_role("button", name="Actions").click()


def _menu_item(page: Any, item_id: str) -> Any:
    return page.get_by_test_id(item_id).get_by_role("menuitem")


# --- tests ---------------------------------------------------------------------------------------


def test_table_preferences_survive_a_reload(page: Any, sandbox: Sandbox) -> None:
    """Given the protection groups list, when the operator hides the Description column, chooses 10
    rows a page and wrapped lines in the table's preferences, then after a reload the table still
    has no Description column, its columns are resizable and its first column sticks."""
    from playwright.sync_api import expect

    page.goto(sandbox.console_url + "#/protection-groups")
    table = page.get_by_test_id("groups-table")
    expect(table.get_by_role("columnheader", name="Description")).to_be_visible()
    table.get_by_role("button", name="Preferences").click()
    dialog = page.get_by_role("dialog", name="Preferences")
    dialog.get_by_label("10 rows").check()
    dialog.get_by_label("Wrap lines").check()
    dialog.locator("input[id$='-control-description']").uncheck()
    dialog.get_by_role("button", name="Confirm").click()
    expect(table.get_by_role("columnheader", name="Description")).to_have_count(0)

    page.reload()
    table = page.get_by_test_id("groups-table")
    expect(table.get_by_role("columnheader", name="Name")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Description")).to_have_count(0)
    stored = page.evaluate("JSON.parse(localStorage.getItem('drs-console.table.protection-groups'))")
    assert stored["pageSize"] == 10 and stored["wrapLines"] is True, stored
    assert {"id": "description", "visible": False} in stored["columns"], stored
    # Resizable columns: each header has its resize handle.
    expect(table.locator("th").filter(has_text="Servers").locator("[role='slider']")).to_have_count(1)
    table.get_by_role("button", name="Preferences").click()
    dialog = page.get_by_role("dialog", name="Preferences")
    expect(dialog.get_by_label("10 rows")).to_be_checked()
    expect(dialog.get_by_label("Wrap lines")).to_be_checked()
    expect(dialog.get_by_role("radio", name="First column")).to_be_checked()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_cell_of_the_execution_page_breaks_a_word(
    page: Any, sandbox: Sandbox, failed_check: dict[str, Any], width: int
) -> None:
    """Given a drill paused on a failed check (a long error, a long output, ARNs), when its page is
    shown at 1280 or 1920 px, then no word of any cell of its tables (servers, timeline, actions)
    is broken over two lines, and the long values carry their whole text on hover."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{sandbox.console_url}#/executions/{failed_check['executionId']}")
    expect(page.get_by_test_id("execution-status")).to_contain_text("PAUSED", timeout=TIMEOUT_MS)
    servers = page.get_by_test_id("server-table")
    expect(servers).to_contain_text("web-")
    actions = page.get_by_test_id("wave-2-actions")
    expect(actions).to_contain_text("health-")
    assert _broken_words(servers) == []
    assert _broken_words(actions) == []
    # The failed check's output is one line cut with an ellipsis, whole on hover, never markup.
    output = failed_check["record"]["waves"][1]["actions"][0]["output"]
    expect(actions.locator(f"[title='{output.splitlines()[0]}']")).to_have_count(1)
    expect(actions.locator("b")).to_have_count(0)
    page.get_by_role("tab", name="Timeline").click()
    timeline = page.get_by_test_id("timeline-table")
    expect(timeline).to_contain_text("WAVE_FAILED")
    assert _broken_words(timeline) == []


def test_the_timeline_filter_searches_every_page(
    page: Any, sandbox: Sandbox, failed_check: dict[str, Any]
) -> None:
    """Given a timeline longer than a page (10 events a page), when the operator searches for an
    event that is not on the page shown, then the table shows it: the search covers the whole
    timeline, not the page."""
    from playwright.sync_api import expect

    events = requests.get(
        f"{sandbox.url}/executions/{failed_check['executionId']}/timeline?limit=100", timeout=10
    ).json()["items"]
    assert len(events) > 10, len(events)
    first_page_types = {e["type"] for e in events[:10]}
    later = next(e for e in events[10:] if e["type"] not in first_page_types)
    page.evaluate("localStorage.setItem('drs-console.table.timeline', JSON.stringify({pageSize: 10}))")
    page.goto(f"{sandbox.console_url}#/executions/{failed_check['executionId']}")
    page.get_by_role("tab", name="Timeline").click()
    timeline = page.get_by_test_id("timeline-table")
    expect(timeline.locator("tbody tr")).to_have_count(10)
    expect(timeline).not_to_contain_text(later["type"])
    timeline.get_by_placeholder("Find events in the whole timeline").fill(later["type"])
    expect(timeline.locator("tbody tr").first).to_contain_text(later["type"])
    expect(timeline).to_contain_text("match")


def test_the_executions_list_filters_by_property(
    page: Any, sandbox: Sandbox, failed_check: dict[str, Any], ended_drill: dict[str, Any]
) -> None:
    """Given a paused drill and an ended drill whose instance still runs, when the operator filters
    the executions by plan, by "Instances still running", by status and by start time, then only
    the executions that match are listed; a filter matching nothing offers "Clear filter"."""
    from playwright.sync_api import expect

    page.goto(sandbox.console_url + "#/executions")
    table = page.get_by_test_id("executions-table")
    expect(table).to_contain_text(ended_drill["executionId"])
    search = page.get_by_test_id("executions-filter").get_by_role("combobox")

    def only(text: str, shown: list[str], hidden: list[str]) -> None:
        search.fill(text)
        search.press("Enter")
        for execution_id in shown:
            expect(table.get_by_role("link", name=execution_id)).to_be_visible(timeout=TIMEOUT_MS)
        for execution_id in hidden:
            expect(table.get_by_role("link", name=execution_id)).to_have_count(0)
        page.get_by_role("button", name="Clear filters").click()

    only(f"Plan = {ended_drill['planName']}", [ended_drill["executionId"]], [failed_check["executionId"]])
    only("Instances still running = Yes", [ended_drill["executionId"]], [failed_check["executionId"]])
    only("Status = PAUSED", [failed_check["executionId"]], [ended_drill["executionId"]])
    started = ended_drill["record"]["startTime"][:10]
    only(f"Started >= {started}", [ended_drill["executionId"], failed_check["executionId"]], [])
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    search.fill(f"Started >= {tomorrow}")
    search.press("Enter")
    expect(table).to_contain_text("No match")
    table.get_by_test_id("clear-filter").click()
    expect(table.get_by_role("link", name=ended_drill["executionId"])).to_be_visible()


def test_the_layout_puts_destructive_actions_in_a_menu(
    page: Any, sandbox: Sandbox, ended_drill: dict[str, Any]
) -> None:
    """Given the sandbox, the top navigation names the product and says there is no sign-in (not a
    link of the side navigation); an ended drill's page has no primary Terminate button: Cancel and
    Terminate are items of its Actions menu; its Info link opens the help panel."""
    from playwright.sync_api import expect

    page.goto(f"{sandbox.console_url}#/executions/{ended_drill['executionId']}")
    top = page.locator("#top-navigation")
    expect(top).to_contain_text("DRS Orchestrator")
    expect(top).to_contain_text("Sandbox, no sign-in")
    nav = page.get_by_role("navigation", name="Navigation")
    expect(nav.get_by_role("link", name=re.compile("sandbox", re.I))).to_have_count(0)

    expect(page.get_by_role("button", name=re.compile("Terminate"))).to_have_count(0)
    expect(page.locator("[class*='variant-primary']").filter(has_text="Terminate")).to_have_count(0)
    _open_actions(page)
    expect(_menu_item(page, "action-terminate")).to_be_enabled()
    expect(_menu_item(page, "action-cancel")).to_be_disabled()
    page.keyboard.press("Escape")

    page.get_by_role("button", name=re.compile("Information about Executions")).click()
    expect(page.get_by_test_id("help-panel")).to_contain_text("Actions menu")


def test_a_notification_reads_as_a_sentence_stays_on_its_page_and_goes_by_itself(
    page: Any, sandbox: Sandbox
) -> None:
    """When the operator starts a drill from a plan's page, the execution's page says "Drill of
    <plan> started"; the message is gone once the operator moves to another page, and when they
    stay, it dismisses itself."""
    from playwright.sync_api import expect

    for leave in (True, False):
        tag = uuid.uuid4().hex[:6]
        plan_id = _plan(sandbox, f"Note-{tag}", [_add_servers(sandbox, [f"note-{tag}"])])
        page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}")
        page.get_by_test_id("start-drill").click()
        page.get_by_test_id("confirm-ok").click()
        page.wait_for_url(re.compile(r"#/executions/[0-9a-f-]{36}$"))
        flash = page.get_by_role("region", name="Notifications").get_by_text(f"Drill of Note-{tag} started")
        expect(flash).to_be_visible()
        if leave:
            page.get_by_role("navigation", name="Navigation").get_by_role("link", name="Executions").click()
            expect(page.get_by_role("heading", name="Executions")).to_be_visible()
            expect(page.get_by_text(f"Drill of Note-{tag} started")).to_have_count(0)
        else:
            # The success message dismisses itself (8 s) without a click.
            expect(flash).to_have_count(0, timeout=30_000)


def test_times_show_their_zone_and_agree_with_the_api_to_the_second(
    page: Any, sandbox: Sandbox, ended_drill: dict[str, Any]
) -> None:
    """Given an ended drill, its page shows its start time in UTC, to the second, as the API's ISO
    value; the operator switches to local time (a preference kept over a reload) and sees the same
    instant in the browser's zone, named."""
    from playwright.sync_api import expect

    iso = ended_drill["record"]["startTime"]
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    page.goto(f"{sandbox.console_url}#/executions/{ended_drill['executionId']}")
    started = page.get_by_test_id("execution-started")
    expect(started).to_have_text(moment.strftime("%Y-%m-%d %H:%M:%S UTC"))

    page.locator("#top-navigation").get_by_role("button", name="Time zone").click()
    page.get_by_role("menuitemcheckbox", name="Show times in local time").click()
    local = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))
    expect(started).to_have_text(local.strftime("%Y-%m-%d %H:%M:%S") + " UTC+5:30")
    page.reload()
    expect(page.get_by_test_id("execution-started")).to_have_text(
        local.strftime("%Y-%m-%d %H:%M:%S") + " UTC+5:30"
    )


def test_a_form_error_is_plain_and_goes_when_the_field_is_edited(page: Any, sandbox: Sandbox) -> None:
    """Given the protection group editor, when the operator creates a group without a name, the Name
    field says "Enter a name" (not the schema's words), and the message goes as soon as they type."""
    from playwright.sync_api import expect

    page.goto(sandbox.console_url + "#/protection-groups/new")
    picker = page.get_by_test_id("server-picker")
    picker.get_by_role("row").filter(has_text="db01").get_by_role("checkbox").check()
    page.get_by_test_id("save-group").click()
    field = page.get_by_test_id("field-name")
    expect(field).to_contain_text("Enter a name")
    expect(field).not_to_contain_text("longer than or equal")
    page.get_by_test_id("group-name").locator("input").fill("a")
    expect(field).not_to_contain_text("Enter a name")


PAGES = [
    ("dashboard", "#/", "Dashboard"),
    ("plans", "#/recovery-plans", "Recovery plans"),
    ("plan editor", "#/recovery-plans/new", "Create recovery plan"),
    ("groups", "#/protection-groups", "Protection groups"),
    ("group editor", "#/protection-groups/new", "Create protection group"),
    ("executions", "#/executions", "Executions"),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_violation_on_any_page(
    page: Any, sandbox: Sandbox, failed_check: dict[str, Any], width: int
) -> None:
    """axe-core, run in each page of the console (and the execution page of a drill paused on a
    failed check), reports no serious or critical violation."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list[str]] = {}
    for name, path, heading in PAGES:
        page.goto(sandbox.console_url + path)
        expect(page.get_by_role("heading", level=1, name=re.compile(rf"^{heading}"))).to_be_visible()
        expect(page.get_by_text("Loading", exact=False)).to_have_count(0, timeout=TIMEOUT_MS)
        found[name] = _axe_violations(page)
    page.goto(f"{sandbox.console_url}#/executions/{failed_check['executionId']}")
    expect(page.get_by_test_id("server-table")).to_contain_text("web-")
    found["execution detail"] = _axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
