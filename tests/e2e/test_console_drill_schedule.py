"""The console's drill schedule, in a real browser (headless Chromium driven by Playwright) against the
sandbox: the editor on the plan's edit page shows the API's refusals on their field, a saved schedule
appears on the plan's page with its next run, and a firing appears among its recent runs.

Needs the built console (`make console`) and `chromium`: skipped when missing, unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that into a failure."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from browser_tests import console_fixtures, screenshot_folder
from sandbox_api import call

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


sandbox, page = console_fixtures(time_scale=600, viewport=(1280, 1000))


def test_the_schedule_editor_shows_refusals_on_the_field_and_the_plan_page_shows_the_runs(
    sandbox: Sandbox, page: Any
) -> None:
    from playwright.sync_api import expect

    # Given a plan without a schedule
    sid = f"s-{uuid.uuid4().hex[:17]}"
    call(
        sandbox,
        "POST",
        "/_sandbox/source-servers",
        {"servers": [{"sourceServerId": sid, "hostname": "app01", "phaseDurations": QUICK}]},
        expect=201,
    )
    group = call(
        sandbox,
        "POST",
        "/protection-groups",
        {"name": f"g-{uuid.uuid4().hex[:6]}", "sourceServerIds": [sid]},
        201,
    )
    name = f"scheduled-{uuid.uuid4().hex[:6]}"
    plan = call(
        sandbox,
        "POST",
        "/recovery-plans",
        {"name": name, "waves": [{"waveName": "App", "protectionGroupIds": [group["groupId"]]}]},
        201,
    )
    plan_id = plan["planId"]

    # When an operator enters an expression with both day fields and saves
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}/edit")
    expect(page.get_by_test_id("drill-schedule-editor")).to_be_visible()
    page.get_by_test_id("schedule-expression").locator("input").fill("cron(0 3 * * SAT *)")
    page.get_by_test_id("schedule-timezone").locator("input").fill("Europe/Berlin")
    page.get_by_test_id("save-plan").click()
    # Then the API's refusal is shown on the expression field, and nothing is scheduled
    expect(page.get_by_test_id("field-schedule-expression")).to_contain_text("exactly one of day-of-month")
    assert call(sandbox, "GET", f"/recovery-plans/{plan_id}")["waves"] and "drillSchedule" not in call(
        sandbox, "GET", f"/recovery-plans/{plan_id}"
    )

    # When the expression is right but the timezone is not, Then the timezone field says so
    page.get_by_test_id("schedule-expression").locator("input").fill("cron(0 3 ? * SAT *)")
    page.get_by_test_id("schedule-timezone").locator("input").fill("Mars/Olympus")
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_test_id("field-schedule-timezone")).to_contain_text("IANA timezone")

    # When both are right, Then the plan's page shows the schedule, enabled, with its next run
    page.get_by_test_id("schedule-timezone").locator("input").fill("Europe/Berlin")
    page.get_by_test_id("save-plan").click()
    panel = page.get_by_test_id("plan-drill-schedule")
    expect(panel.get_by_test_id("schedule-summary")).to_have_text("cron(0 3 ? * SAT *) (Europe/Berlin)")
    expect(panel.get_by_test_id("schedule-state")).to_contain_text("Enabled")
    expect(panel.get_by_test_id("schedule-next-run")).to_contain_text("02:00:00 UTC")
    expect(panel.get_by_test_id("schedule-runs")).to_contain_text("No scheduled run yet")

    # When the schedule fires, Then its run appears with the drill it started
    view = call(sandbox, "GET", f"/recovery-plans/{plan_id}/drill-schedule")
    fired = call(sandbox, "POST", "/_sandbox/schedules/fire", {"name": view["scheduleName"]})
    execution_id = call(sandbox, "GET", f"/recovery-plans/{plan_id}/drill-schedule")["runs"][0]["executionId"]
    page.reload()
    runs = page.get_by_test_id("plan-drill-schedule").get_by_test_id("schedule-runs")
    when = fired["scheduledTime"]  # 2026-12-08T00:16:32Z, shown as 2026-12-08 00:16:32 UTC
    expect(runs).to_contain_text(f"{when[:10]} {when[11:19]} UTC")
    expect(runs).to_contain_text("Started")
    expect(runs.get_by_role("link", name=execution_id)).to_be_visible()
    page.screenshot(
        path=str(screenshot_folder("console-schedule-shots-") / "drill-schedule.png"), full_page=True
    )
