"""The operator console in a real browser: the sandbox serves the built console under /console/ and
headless Chromium (Debian's, driven by Playwright by executable path) clicks through it as an operator.

Needs the built console (`make console`) and `chromium` (`make test` installs it when missing). Run
alone they are skipped when missing, unless CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that
into a failure. Screenshots go to a temporary folder, or to $CONSOLE_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PLAN = "3TierRecoveryPlan"
TIMEOUT_MS = 120_000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    if os.environ.get("CONSOLE_E2E_REQUIRED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _missing("chromium is not installed (make test installs it: apt-get install -y chromium)")
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        _missing("the console is not built (make console)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed (make setup)")
    return str(path)


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, scenario="three-tier", time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tempfile.mkdtemp(prefix="console-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser_context(chromium_path: str, sandbox: Sandbox) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1440, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert not errors, f"the console raised in the browser: {errors}"


def _status(page: Any) -> Any:
    return page.get_by_test_id("execution-status")


def _navigate(page: Any, name: str) -> None:
    """Follow a link of the side navigation, opening it first when the layout has collapsed it."""
    link = page.get_by_role("navigation", name="Navigation").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name="Open navigation").click()
    link.click()


def test_console_is_served_on_the_api_port_with_its_config(sandbox: Sandbox) -> None:
    index = requests.get(sandbox.console_url, timeout=10)
    assert index.status_code == 200
    assert "text/html" in index.headers["Content-Type"]
    assert "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]
    config = requests.get(sandbox.console_url + "config.json", timeout=10)
    assert config.json() == {"apiUrl": "", "auth": "none"}
    assert requests.get(sandbox.url + "/console", timeout=10, allow_redirects=False).status_code == 308
    assert requests.get(sandbox.console_url + "../../etc/passwd", timeout=10).status_code == 404


def test_a_drill_from_the_plan_to_terminated_instances(
    page: Any, sandbox: Sandbox, screenshots: Path
) -> None:
    """Given the three-tier plan with a recovery time objective, when an operator starts a drill from
    its page, the execution pauses before wave 3, resumes on request, completes within the objective
    (the recovery time panel, the timeline and the report say so), and its instances are terminated
    from the console."""
    from playwright.sync_api import expect

    # Given the plan has a recovery time objective of 2 h (set through the API)
    plans = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()["items"]
    plan = next(p for p in plans if p["name"] == PLAN)
    body = {k: plan[k] for k in ("name", "description", "waves") if k in plan}
    body["options"] = {**plan.get("options", {}), "rtoTargetMinutes": 120}
    updated = requests.put(f"{sandbox.url}/recovery-plans/{plan['planId']}", json=body, timeout=10)
    assert updated.status_code == 200, updated.text

    page.goto(sandbox.console_url)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _navigate(page, "Recovery plans")
    expect(page.get_by_test_id("plans-table").get_by_role("row").filter(has_text=PLAN)).to_contain_text("2 h")
    page.get_by_role("link", name=PLAN).click()
    expect(page.get_by_role("heading", name=PLAN)).to_be_visible()
    expect(page.get_by_test_id("plan-rto-target")).to_contain_text("2 h")

    page.get_by_test_id("start-drill").click()
    page.get_by_test_id("confirm-ok").click()
    page.wait_for_url("**/console/#/executions/*")
    execution_id = page.url.rsplit("/", 1)[-1]

    # The plan pauses before wave 3 (Web): the card says so, with the reason, and only Resume/Cancel work.
    expect(_status(page)).to_contain_text("PAUSED (before wave 3 of 3)", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("pause-reason")).to_contain_text("Web")
    expect(page.get_by_test_id("wave-1")).to_contain_text("Completed")
    expect(page.get_by_test_id("wave-2")).to_contain_text("Completed")
    expect(page.get_by_test_id("wave-3")).to_contain_text("Not started")
    expect(page.get_by_test_id("action-resume")).to_be_enabled()
    expect(page.get_by_test_id("action-pause")).to_be_disabled()
    expect(page.get_by_test_id("action-terminate")).to_be_disabled()
    page.screenshot(path=str(screenshots / "execution-paused.png"), full_page=True)

    page.get_by_test_id("action-resume").click()
    page.get_by_test_id("confirm-ok").click()
    expect(_status(page)).to_contain_text("COMPLETED", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("wave-3")).to_contain_text("Completed")
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["status"] == "COMPLETED"
    assert record["canTerminate"]["canTerminate"] is True
    terminate = page.get_by_test_id("action-terminate")
    expect(terminate).to_be_enabled()
    for action in ("pause", "resume", "cancel"):
        expect(page.get_by_test_id(f"action-{action}")).to_be_disabled()
    # The server table shows the six servers with their EC2 data.
    expect(page.get_by_test_id("server-table")).to_contain_text("web02")
    # The recovery time panel judges the recovery time against the plan's objective.
    expect(page.get_by_test_id("rto-verdict")).to_have_text("RTO met")
    expect(page.get_by_test_id("rto-target")).to_contain_text("2 h 0 min")
    assert record["recoveryTime"]["met"] is True
    # The timeline says who started and who resumed the drill.
    page.get_by_role("tab", name="Timeline").click()
    timeline = page.get_by_test_id("timeline-table")
    actor = record["initiatedBy"]
    for kind in ("EXECUTION_STARTED", "RESUMED"):
        expect(timeline.get_by_role("row").filter(has_text=kind)).to_contain_text(actor)
    expect(timeline).to_contain_text("EXECUTION_FINISHED")
    page.screenshot(path=str(screenshots / "execution-completed.png"), full_page=True)
    # The report opens in a new tab, fetched by the console and shown from a Blob URL.
    with page.expect_popup() as opened:
        page.get_by_test_id("open-report").click()
    report = opened.value
    expect(report).to_have_title(re.compile(re.escape(execution_id)))
    assert report.url.startswith("blob:")
    expect(report.locator("body")).to_contain_text("RTO MET")
    report.close()

    terminate.click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("termination")).to_contain_text("Termin", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
        if record.get("terminationRequestedTime"):
            break
        time.sleep(0.5)
    assert record.get("terminationRequestedTime"), record
    expect(terminate).to_be_disabled(timeout=TIMEOUT_MS)
    page.screenshot(path=str(screenshots / "execution-terminated.png"), full_page=True)

    # The dashboard lists it among the recent outcomes, with its recovery time and verdict.
    _navigate(page, "Dashboard")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    outcome = page.get_by_test_id("recent-outcomes").get_by_role("row").filter(has_text=execution_id)
    expect(outcome.get_by_role("link", name=execution_id)).to_be_visible()
    expect(outcome).to_contain_text("RTO met")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)


def test_the_api_validation_error_shows_on_the_field_it_names(page: Any, sandbox: Sandbox) -> None:
    """Given a group name with a bidirectional-control character, the API answers 422 naming `name`,
    and the console shows the message on the Name field (and renders the typed text as text)."""
    from playwright.sync_api import expect

    page.goto(sandbox.console_url + "#/protection-groups/new")
    page.get_by_test_id("group-name").locator("input").fill("evil\u202egnp.exe")
    picker = page.get_by_test_id("server-picker")
    expect(picker).to_contain_text("db01")
    picker.get_by_role("row").filter(has_text="db01").get_by_role("checkbox").check()
    page.get_by_test_id("save-group").click()
    field = page.get_by_test_id("field-name")
    expect(field).to_contain_text("bidirectional", timeout=15_000)
    assert page.url.endswith("#/protection-groups/new")
    names = [g["name"] for g in requests.get(f"{sandbox.url}/protection-groups", timeout=10).json()["items"]]
    assert not any(n.startswith("evil") for n in names)


def test_a_recovery_needs_the_plan_name_typed(page: Any, sandbox: Sandbox) -> None:
    """Starting a RECOVERY is behind a dialog whose button stays disabled until the plan's name is typed."""
    from playwright.sync_api import expect

    plans = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()["items"]
    plan_id = next(p["planId"] for p in plans if p["name"] == PLAN)
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}")
    page.get_by_test_id("start-recovery").click()
    confirm = page.get_by_test_id("confirm-ok")
    expect(confirm).to_be_disabled()
    page.get_by_test_id("confirm-input").locator("input").fill(PLAN.lower())
    expect(confirm).to_be_disabled()
    page.get_by_test_id("confirm-cancel").click()
    executions = requests.get(f"{sandbox.url}/executions?planId={plan_id}", timeout=10).json()["items"]
    assert all(e["executionType"] == "DRILL" for e in executions)


def test_a_recovery_started_with_the_plan_name_typed_goes_through_its_own_route(
    page: Any, sandbox: Sandbox
) -> None:
    """The dialog sends the typed name to POST /recovery-plans/{planId}/recovery: the execution
    started is a RECOVERY (the executions route would refuse one)."""
    from playwright.sync_api import expect

    # Given a plan of its own (the three-tier plan stays free for drills)
    server = f"s-{uuid.uuid4().hex[:17]}"
    quick = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
    body = {"servers": [{"sourceServerId": server, "hostname": "rec01", "phaseDurations": quick}]}
    assert requests.post(f"{sandbox.url}/_sandbox/source-servers", json=body, timeout=10).status_code == 201
    name = f"Prod-{uuid.uuid4().hex[:6]}"
    group = requests.post(
        f"{sandbox.url}/protection-groups",
        json={"name": f"{name}-g", "sourceServerIds": [server]},
        timeout=10,
    ).json()
    plan = requests.post(
        f"{sandbox.url}/recovery-plans",
        json={"name": name, "waves": [{"waveName": "W1", "protectionGroupIds": [group["groupId"]]}]},
        timeout=10,
    ).json()
    # When the operator types the plan's name in the dialog and starts the recovery
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan['planId']}")
    page.get_by_test_id("start-recovery").click()
    page.get_by_test_id("confirm-input").locator("input").fill(name)
    page.get_by_test_id("confirm-ok").click()
    # Then the console shows the new execution, and it is a RECOVERY
    page.wait_for_url(re.compile(r"#/executions/[0-9a-f-]{36}$"))
    execution_id = page.url.rsplit("/", 1)[-1]
    expect(_status(page)).to_be_visible(timeout=TIMEOUT_MS)
    execution = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert execution["executionType"] == "RECOVERY"
    assert execution["planId"] == plan["planId"]
