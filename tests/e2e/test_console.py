"""The operator console in a real browser: the sandbox serves the built console under /console/ and
headless Chromium (Debian's, driven by Playwright by executable path) clicks through it as an operator.

Needs the built console (`make console`) and `chromium` (`make test` installs it when missing). Run
alone they are skipped when missing, unless CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that
into a failure. Screenshots go to a temporary folder, or to $CONSOLE_SCREENSHOTS_DIR when set; with
$CONSOLE_SCREENSHOTS_DIR set, the drill applied through the editor also saves the README's pictures
there (dashboard.png and execution.png, 1440x900):

    CONSOLE_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/e2e/test_console.py -k editor
"""

from __future__ import annotations

import os
import re
import time
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

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PLAN = "3TierRecoveryPlan"
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return console_or_skip()


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, scenario="three-tier", time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def screenshots() -> Path:
    return screenshot_folder("console-shots-")


@pytest.fixture(scope="module")
def browser_context(chromium_path: str, sandbox: Sandbox) -> Iterator[Any]:
    with chromium_context((1440, 1000)) as context:
        yield context


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    with watched_page(browser_context) as page:
        yield page


# Simulated seconds: at the sandbox's time scale (x600) a server recovers in a fifth of a second.
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


def _status(page: Any) -> Any:
    return page.get_by_test_id("execution-status")


def _indicator(within: Any) -> Any:
    """The Cloudscape StatusIndicator inside an element (its class names its type: status-success...)."""
    return within.locator("[data-status]").first


def _indicates(kind: str) -> re.Pattern[str]:
    return re.compile(rf"\bawsui_status-{kind}_")


def _add_servers(sandbox: Sandbox, hostnames: list[str], **extra: Any) -> list[str]:
    """Fresh DRS source servers (quick to recover) in the sandbox's simulator; their ids."""
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in hostnames]
    specs = [
        {"sourceServerId": i, "hostname": h, "phaseDurations": QUICK, **extra}
        for i, h in zip(ids, hostnames, strict=True)
    ]
    added = requests.post(f"{sandbox.url}/_sandbox/source-servers", json={"servers": specs}, timeout=10)
    assert added.status_code == 201, added.text
    return ids


def _plan_through_the_api(sandbox: Sandbox, name: str, waves: list[list[str]], pause_before: int) -> str:
    """A plan of one group per wave (each group the given servers); the plan's id."""
    plan_waves = []
    for n, servers in enumerate(waves, start=1):
        group = requests.post(
            f"{sandbox.url}/protection-groups",
            json={"name": f"{name}-g{n}", "sourceServerIds": servers},
            timeout=10,
        )
        assert group.status_code == 201, group.text
        plan_waves.append(
            {
                "waveName": f"W{n}",
                "protectionGroupIds": [group.json()["groupId"]],
                "pauseBeforeWave": n == pause_before,
            }
        )
    plan = requests.post(
        f"{sandbox.url}/recovery-plans", json={"name": name, "waves": plan_waves}, timeout=10
    )
    assert plan.status_code == 201, plan.text
    return str(plan.json()["planId"])


def _start_drill_from_the_plan_page(page: Any, sandbox: Sandbox, plan_id: str) -> str:
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}")
    page.get_by_test_id("start-drill").click()
    page.get_by_test_id("confirm-ok").click()
    page.wait_for_url(re.compile(r"#/executions/[0-9a-f-]{36}$"))
    return str(page.url.rsplit("/", 1)[-1])


def _menu_action(page: Any, action: str) -> Any:
    """An item of the execution's Actions menu (cancel, terminate: never buttons of their own), with
    the menu opened."""
    item = page.get_by_test_id(f"action-{action}").get_by_role("menuitem")
    if not item.is_visible():
        page.get_by_test_id("execution-actions").get_by_role("button", name="Actions").click()
    return item


def _expect_menu_action(page: Any, action: str, *, enabled: bool, timeout_ms: int = 30_000) -> None:
    """Waits until the Actions menu's item is enabled (or disabled), opening the menu to look."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        item = _menu_action(page, action)
        state = item.get_attribute("aria-disabled") != "true"
        page.keyboard.press("Escape")
        if state == enabled:
            return
        assert time.monotonic() < deadline, f"{action} never became {'enabled' if enabled else 'disabled'}"
        page.wait_for_timeout(300)


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
    its page, the execution pauses for the app owner's approval in wave 3, goes on once approved with
    a comment, runs its post-actions, completes within the objective
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

    # The runbook asks the app owner's approval before wave 3 (Web): the card says so and why, the
    # database check after wave 1 shows its output, and only Approve/Cancel work.
    expect(_status(page)).to_contain_text("PAUSED (approval in wave 3 of 3)", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("pause-reason")).to_contain_text("app-owner-sign-off")
    expect(page.get_by_test_id("wave-1")).to_contain_text("Completed")
    expect(page.get_by_test_id("wave-2")).to_contain_text("Completed")
    expect(page.get_by_test_id("wave-3")).to_contain_text("In progress")
    expect(page.get_by_test_id("wave-1-actions")).to_contain_text("db-accepts-connections")
    expect(page.get_by_test_id("action-approve")).to_be_enabled()
    expect(page.get_by_test_id("action-pause")).to_be_disabled()
    _expect_menu_action(page, "terminate", enabled=False)
    page.screenshot(path=str(screenshots / "execution-paused.png"), full_page=True)

    page.get_by_test_id("action-approve").click()
    page.get_by_test_id("confirm-comment").locator("input").fill("orders go through <b>fine</b>")
    page.get_by_test_id("confirm-ok").click()
    expect(_status(page)).to_contain_text("COMPLETED", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("wave-3")).to_contain_text("Completed")
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["status"] == "COMPLETED"
    assert record["canTerminate"]["canTerminate"] is True
    _expect_menu_action(page, "terminate", enabled=True)
    _expect_menu_action(page, "cancel", enabled=False)
    for action in ("pause", "resume"):
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
    for kind in ("EXECUTION_STARTED", "APPROVED"):
        expect(timeline.get_by_role("row").filter(has_text=kind)).to_contain_text(actor)
    approval = record["waves"][2]["actions"][0]
    assert (approval["status"], approval["comment"]) == ("SUCCEEDED", "orders go through <b>fine</b>")
    expect(timeline).to_contain_text("EXECUTION_FINISHED")
    page.screenshot(path=str(screenshots / "execution-completed.png"), full_page=True)
    # Once the report is stored, it opens in a new tab from a short-lived presigned link (not a blob:).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json().get("reportLocation"):
            break
        time.sleep(0.5)
    page.reload()
    with page.expect_popup() as opened:
        page.get_by_test_id("open-report").click()
    report = opened.value
    expect(report).to_have_title(re.compile(re.escape(execution_id)))
    assert "X-Amz-Signature=" in report.url and not report.url.startswith("blob:")
    expect(report.locator("body")).to_contain_text("RTO MET")
    report.close()

    _menu_action(page, "terminate").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("termination")).to_contain_text("Termin", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
        if record.get("terminationRequestedTime"):
            break
        time.sleep(0.5)
    assert record.get("terminationRequestedTime"), record
    _expect_menu_action(page, "terminate", enabled=False, timeout_ms=TIMEOUT_MS)
    page.screenshot(path=str(screenshots / "execution-terminated.png"), full_page=True)

    # The dashboard lists it among the recent outcomes, with its recovery time and verdict.
    _navigate(page, "Dashboard")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    outcome = page.get_by_test_id("recent-outcomes").get_by_role("row").filter(has_text=execution_id)
    expect(outcome.get_by_role("link", name=execution_id)).to_be_visible()
    expect(outcome).to_contain_text("RTO met")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)


def test_a_plan_applied_through_the_editor_drills_to_completed(
    page: Any, sandbox: Sandbox, screenshots: Path
) -> None:
    """Given six servers, when an operator creates three protection groups by picking servers and a
    three-wave plan pausing before wave 3 in the console's editors, then a drill started from the
    plan's page shows its live progress, pauses before wave 3, resumes on request and ends COMPLETED
    (a success indicator), every wave COMPLETED."""
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:6]
    tiers = ("db", "app", "web")
    hosts = {tier: [f"{tier}{n}-{tag}" for n in (1, 2)] for tier in tiers}
    _add_servers(sandbox, [h for tier in tiers for h in hosts[tier]])

    # Three protection groups, each by picking its two servers in the picker.
    page.goto(sandbox.console_url + "#/protection-groups")
    for tier in tiers:
        page.get_by_test_id("create-group").click()
        page.get_by_test_id("group-name").locator("input").fill(f"{tier}-{tag}")
        picker = page.get_by_test_id("server-picker")
        picker.get_by_placeholder("Find by hostname, id or tag").fill(f"{tier}")
        for host in hosts[tier]:
            picker.get_by_role("row").filter(has_text=host).get_by_role("checkbox").check()
        page.get_by_test_id("save-group").click()
        expect(page.get_by_test_id("groups-table")).to_contain_text(f"{tier}-{tag}")

    # A three-wave plan, a pause before wave 3.
    _navigate(page, "Recovery plans")
    page.get_by_test_id("create-plan").click()
    plan_name = f"Editor-{tag}"
    page.get_by_test_id("plan-name").locator("input").fill(plan_name)
    page.get_by_role("button", name="Add wave").click()
    page.get_by_role("button", name="Add wave").click()
    for n, tier in enumerate(tiers, start=1):
        wave = page.get_by_test_id(f"wave-editor-{n}")
        wave.get_by_label("Name").fill(tier.upper())
        wave.get_by_text("Choose protection groups").click()
        wave.get_by_role("option", name=f"{tier}-{tag}").click()
        page.keyboard.press("Escape")
        if n == 3:
            wave.get_by_role("checkbox", name="Pause before this wave").check()
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_role("heading", name=plan_name)).to_be_visible()
    plans = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()["items"]
    saved = next(p for p in plans if p["name"] == plan_name)
    assert [w["waveName"] for w in saved["waves"]] == ["DB", "APP", "WEB"]
    assert [bool(w.get("pauseBeforeWave")) for w in saved["waves"]] == [False, False, True]
    assert all(len(w["protectionGroupIds"]) == 1 for w in saved["waves"])

    # A drill from the plan's page: live progress, the pause before wave 3, resume, COMPLETED.
    page.get_by_test_id("start-drill").click()
    page.get_by_test_id("confirm-ok").click()
    page.wait_for_url(re.compile(r"#/executions/[0-9a-f-]{36}$"))
    execution_id = page.url.rsplit("/", 1)[-1]
    expect(_status(page)).to_contain_text("PAUSED (before wave 3 of 3)", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("pause-reason")).to_contain_text("WEB")
    for n in (1, 2):
        expect(page.get_by_test_id(f"wave-{n}")).to_contain_text("Completed")
    page.get_by_test_id("action-resume").click()
    page.get_by_test_id("confirm-ok").click()
    expect(_status(page)).to_contain_text("COMPLETED", timeout=TIMEOUT_MS)
    expect(_indicator(_status(page))).to_have_class(_indicates("success"))
    for n in (1, 2, 3):
        expect(_indicator(page.get_by_test_id(f"wave-{n}"))).to_have_class(_indicates("success"))
    expect(page.get_by_test_id("server-table")).to_contain_text(hosts["web"][1])
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["status"] == "COMPLETED"
    assert [w["status"] for w in record["waves"]] == ["COMPLETED"] * 3

    # The README's pictures, only when asked for (never into docs/ on an ordinary run).
    if folder := os.environ.get("CONSOLE_SCREENSHOTS_DIR"):
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.reload()  # without the notifications of the steps above
        expect(_status(page)).to_have_text("COMPLETED")
        expect(page.get_by_test_id("server-table")).to_contain_text(hosts["web"][1])
        page.mouse.move(0, 0)
        page.screenshot(path=str(out / "execution.png"))
        page.goto(sandbox.console_url + "#/")
        outcome = page.get_by_test_id("recent-outcomes").get_by_role("row").filter(has_text=execution_id)
        expect(outcome).to_be_visible()
        expect(page.get_by_test_id("recent-outcomes")).not_to_contain_text("\u2026")  # times loaded
        page.mouse.move(0, 0)
        page.screenshot(path=str(out / "dashboard.png"))
        page.set_viewport_size({"width": 1440, "height": 1000})


def test_a_drill_cancelled_while_paused_is_a_partial_success_whose_instances_terminate(
    page: Any, sandbox: Sandbox
) -> None:
    """Given a three-wave plan pausing before wave 2, a drill cancelled at the pause shows
    "PARTIAL SUCCESS (1 of 3 waves completed)" with a warning indicator, its waves COMPLETED /
    CANCELLED / CANCELLED, and a Terminate button that terminates wave 1's instances."""
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:6]
    servers = _add_servers(sandbox, [f"part{n}-{tag}" for n in (1, 2, 3)])
    plan_id = _plan_through_the_api(sandbox, f"Partial-{tag}", [[s] for s in servers], pause_before=2)
    execution_id = _start_drill_from_the_plan_page(page, sandbox, plan_id)

    expect(_status(page)).to_contain_text("PAUSED (before wave 2 of 3)", timeout=TIMEOUT_MS)
    _menu_action(page, "cancel").click()
    page.get_by_test_id("confirm-ok").click()
    expect(_status(page)).to_have_text("PARTIAL SUCCESS (1 of 3 waves completed)", timeout=TIMEOUT_MS)
    expect(_indicator(_status(page))).to_have_class(_indicates("warning"))
    for n, text in ((1, "Completed"), (2, "Cancelled"), (3, "Cancelled")):
        expect(_indicator(page.get_by_test_id(f"wave-{n}"))).to_have_text(text)
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["status"] == "PARTIAL_SUCCESS"
    assert [w["status"] for w in record["waves"]] == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert record["canTerminate"]["canTerminate"] is True

    _expect_menu_action(page, "terminate", enabled=True)
    _menu_action(page, "terminate").click()
    page.get_by_test_id("confirm-ok").click()
    _expect_menu_action(page, "terminate", enabled=False, timeout_ms=TIMEOUT_MS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        requests.post(f"{sandbox.url}/_sandbox/find", json={}, timeout=30)  # follows the TERMINATE jobs
        record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
        if record.get("instancesTerminated"):
            break
        time.sleep(0.3)
    assert record.get("instancesTerminated"), record
    page.reload()
    expect(page.get_by_test_id("termination")).to_have_text("Terminated")


def test_a_failing_server_shows_its_error_on_its_wave(page: Any, sandbox: Sandbox) -> None:
    """Given a server whose launch fails (launchOutcome FAILED in the LAUNCH phase), a drill of a plan
    recovering it in wave 2 shows wave 1 COMPLETED, wave 2 FAILED with the server's hostname and the
    failure's message on it."""
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:6]
    (good,) = _add_servers(sandbox, [f"ok-{tag}"])
    message = f"InsufficientInstanceCapacity for m6i.large ({tag})"
    (bad,) = _add_servers(
        sandbox, [f"bad-{tag}"], launchOutcome="FAILED", failPhase="LAUNCH", failureMessage=message
    )
    plan_id = _plan_through_the_api(sandbox, f"Failing-{tag}", [[good], [bad]], pause_before=0)
    execution_id = _start_drill_from_the_plan_page(page, sandbox, plan_id)

    # The CRITICAL server's failure fails wave 2; wave 1 recovered, so the drill is a partial success.
    expect(_status(page)).to_have_text("PARTIAL SUCCESS (1 of 2 waves completed)", timeout=TIMEOUT_MS)
    expect(_indicator(page.get_by_test_id("wave-2"))).to_have_text("Failed")
    expect(_indicator(page.get_by_test_id("wave-2"))).to_have_class(_indicates("error"))
    expect(_indicator(page.get_by_test_id("wave-1"))).to_have_text("Completed")
    error = page.get_by_test_id("wave-2").get_by_test_id("wave-error")
    expect(error).to_contain_text(f"bad-{tag}")
    expect(error).to_contain_text(message)
    expect(page.get_by_test_id("wave-1").get_by_test_id("wave-error")).to_have_count(0)
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert [w["status"] for w in record["waves"]] == ["COMPLETED", "FAILED"]
    assert record["waves"][1]["failedServers"][0]["sourceServerId"] == bad
    expect(_status(page)).to_have_text(record["statusLabel"])


def _plan_with_a_failing_check(sandbox: Sandbox, tag: str) -> tuple[str, str]:
    """Two waves; wave 2's post-action check fails on its server (onWaveFailure PAUSE)."""
    (good,) = _add_servers(sandbox, [f"ok-{tag}"])
    (bad,) = _add_servers(
        sandbox, [f"web-{tag}"], commandResult={"exitCode": 7, "output": f"<b>upstream {tag}</b> refused"}
    )
    waves = []
    for n, server in enumerate((good, bad), start=1):
        group = requests.post(
            f"{sandbox.url}/protection-groups",
            json={"name": f"check-{tag}-{n}", "sourceServerIds": [server]},
            timeout=10,
        ).json()["groupId"]
        waves.append({"waveName": f"W{n}", "protectionGroupIds": [group]})
    waves[1]["postActions"] = [
        {
            "name": f"health-{tag}",
            "type": "SSM_COMMAND",
            "documentName": "AWS-RunShellScript",
            "parameters": {"commands": ["curl -f localhost"]},
        }
    ]
    body = {"name": f"Check-{tag}", "waves": waves, "options": {"onWaveFailure": "PAUSE"}}
    plan = requests.post(f"{sandbox.url}/recovery-plans", json=body, timeout=10)
    assert plan.status_code == 201, plan.text
    return str(plan.json()["planId"]), bad


def test_a_wave_whose_check_failed_is_retried_from_the_console_after_the_fix(
    page: Any, sandbox: Sandbox
) -> None:
    """Given a plan pausing on a failed wave whose health check fails on its server; when the
    operator opens the drill, reads the failure (the command's output as text, never markup), fixes
    the server and clicks Retry wave with a comment; then the drill completes and the wave says it
    was retried."""
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:6]
    plan_id, bad = _plan_with_a_failing_check(sandbox, tag)
    execution_id = _start_drill_from_the_plan_page(page, sandbox, plan_id)

    expect(_status(page)).to_contain_text(
        "PAUSED (wave 2 of 2 failed: retry, skip or cancel)", timeout=TIMEOUT_MS
    )
    banner = page.get_by_test_id("pause-reason")
    expect(banner).to_contain_text(f"health-{tag}")
    expect(page.get_by_test_id("pause-wave-error")).to_contain_text("exit code 7")
    expect(page.get_by_test_id("action-resume")).to_be_disabled()
    expect(page.get_by_test_id("action-skip")).to_be_enabled()
    actions = page.get_by_test_id("wave-2-actions")
    expect(actions).to_contain_text(f"health-{tag}")
    expect(actions.locator("b")).to_have_count(0)  # the output's <b> is text, not markup

    fixed = requests.post(
        f"{sandbox.url}/_sandbox/source-servers",
        json={"servers": [{"sourceServerId": bad, "commandResult": {"exitCode": 0, "output": "ok"}}]},
        timeout=10,
    )
    assert fixed.status_code == 200, fixed.text
    page.get_by_test_id("action-retry").click()
    page.get_by_test_id("confirm-comment").locator("input").fill("restarted the upstream")
    page.get_by_test_id("confirm-ok").click()

    expect(_status(page)).to_contain_text("COMPLETED", timeout=TIMEOUT_MS)
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["status"] == "COMPLETED" and record["waves"][1]["retries"] == 1
    assert record["waves"][1]["actions"][0]["status"] == "SUCCEEDED"
    page.get_by_role("tab", name="Timeline").click()
    expect(page.get_by_test_id("timeline-table")).to_contain_text("WAVE_RETRIED")


def test_a_failed_wave_skipped_from_the_console_ends_a_partial_success(page: Any, sandbox: Sandbox) -> None:
    """Given the same failing check; when the operator clicks Skip wave; then the wave is Skipped and
    the drill a PARTIAL SUCCESS."""
    from playwright.sync_api import expect

    plan_id, _ = _plan_with_a_failing_check(sandbox, uuid.uuid4().hex[:6])
    execution_id = _start_drill_from_the_plan_page(page, sandbox, plan_id)
    expect(page.get_by_test_id("action-skip")).to_be_enabled(timeout=TIMEOUT_MS)
    page.get_by_test_id("action-skip").click()
    page.get_by_test_id("confirm-ok").click()
    expect(_status(page)).to_contain_text(
        "PARTIAL SUCCESS (1 of 2 waves completed, 1 skipped)", timeout=TIMEOUT_MS
    )
    expect(_indicator(page.get_by_test_id("wave-2"))).to_have_text("Skipped")
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert [w["status"] for w in record["waves"]] == ["COMPLETED", "SKIPPED"]


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
