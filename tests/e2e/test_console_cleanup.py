"""The automatic cleanup in the console, in a real browser (headless Chromium driven by Playwright):
the plan editor sets drillCleanupAfterHours, the execution page of a finished drill says when its
instances will be terminated, and "Postpone cleanup" moves that time through the API.

Needs the built console (`make console`) and `chromium`; skipped when missing unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from browser_tests import console_fixtures
from test_console_conventions import _axe_violations

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow

TIMEOUT_MS = 120_000
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


sandbox, page = console_fixtures(time_scale=60, viewport=(1440, 1000))


def console_time(iso: str) -> str:
    """A time as the console shows it in UTC (its default): 2026-12-08 10:00:00 UTC."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def a_plan(sandbox: Sandbox, name: str) -> str:
    server = f"s-{uuid.uuid4().hex[:17]}"
    added = requests.post(
        f"{sandbox.url}/_sandbox/source-servers",
        json={"servers": [{"sourceServerId": server, "hostname": f"web-{name}", "phaseDurations": QUICK}]},
        timeout=10,
    )
    assert added.status_code == 201, added.text
    group = requests.post(
        f"{sandbox.url}/protection-groups",
        json={"name": f"{name}-g", "sourceServerIds": [server]},
        timeout=10,
    )
    assert group.status_code == 201, group.text
    plan = requests.post(
        f"{sandbox.url}/recovery-plans",
        json={"name": name, "waves": [{"waveName": "W1", "protectionGroupIds": [group.json()["groupId"]]}]},
        timeout=10,
    )
    assert plan.status_code == 201, plan.text
    return str(plan.json()["planId"])


def test_a_drill_shows_its_automatic_cleanup_and_an_operator_postpones_it(
    page: Any, sandbox: Sandbox
) -> None:
    """Given a plan, when an operator sets "Clean up drill instances after" to 24 hours in the plan
    editor and runs a drill, then the drill's page says when its instances will be terminated
    (automatic cleanup), and "Postpone cleanup" by 5 hours moves that time 5 hours later, on the page
    and in the API."""
    from playwright.sync_api import expect

    name = f"Cleanup-{uuid.uuid4().hex[:6]}"
    plan_id = a_plan(sandbox, name)

    # The plan editor: the option, saved with the plan.
    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}/edit")
    field = page.get_by_test_id("plan-drill-cleanup").locator("input")
    expect(field).to_have_value("")
    field.fill("24")
    page.get_by_test_id("save-plan").click()
    # (the plan's page once the save is answered: the editor's own heading names the plan too)
    expect(page).to_have_url(re.compile(rf"#/recovery-plans/{plan_id}$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    saved = requests.get(f"{sandbox.url}/recovery-plans/{plan_id}", timeout=10).json()
    assert saved["options"]["drillCleanupAfterHours"] == 24

    # A drill from the plan's page, to its end: the cleanup is announced on the execution's page.
    page.get_by_test_id("start-drill").click()
    page.get_by_test_id("confirm-ok").click()
    page.wait_for_url(re.compile(r"#/executions/[0-9a-f-]{36}$"))
    execution_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("execution-status")).to_contain_text("COMPLETED", timeout=TIMEOUT_MS)
    record = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert record["cleanupPending"] is True
    banner = page.get_by_test_id("cleanup-text")
    expect(banner).to_have_text(
        f"Instances will be terminated at {console_time(record['cleanupAt'])} (automatic cleanup)",
        timeout=TIMEOUT_MS,
    )

    assert _axe_violations(page) == []

    # Postpone cleanup: hours out of range keep the button disabled; 5 hours moves it.
    page.get_by_test_id("action-postpone-cleanup").click()
    expect(page.get_by_test_id("postpone-hours")).to_be_visible()
    assert _axe_violations(page) == []
    hours = page.get_by_test_id("postpone-hours").locator("input")
    hours.fill("169")
    expect(page.get_by_test_id("postpone-ok")).to_be_disabled()
    hours.fill("5")
    page.get_by_test_id("postpone-ok").click()
    expect(page.get_by_test_id("postpone-cleanup-modal")).to_be_hidden()
    moved = requests.get(f"{sandbox.url}/executions/{execution_id}", timeout=10).json()
    assert (
        datetime.fromisoformat(moved["cleanupAt"]) - datetime.fromisoformat(record["cleanupAt"])
    ).total_seconds() == 5 * 3600
    expect(banner).to_contain_text(
        f"Instances will be terminated at {console_time(moved['cleanupAt'])} (automatic cleanup); postponed by"
    )
