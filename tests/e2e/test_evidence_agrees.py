"""Evidence that never contradicts itself, through the sandbox (the real ASL and handlers): a drill's
paused time is one number in the API, the report (JSON, HTML headline, chart and tables, in Chromium
too), the email and drsctl; an approval of 10 s that expires says "10 s" wherever its error shows;
and the report, the email and drsctl say the execution finishes after its last wave is skipped.

The Chromium test needs `chromium` (skipped without it unless CONSOLE_E2E_REQUIRED=1)."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from browser_tests import chromium_or_skip
from sandbox_api import QUICK, Api, drsctl, finished, until

from drs_sandbox.chromium import CHROMIUM_FLAGS
from drs_sandbox.server import Sandbox
from execution_utils import format_duration

pytestmark = pytest.mark.slow

# How long the operator leaves the drill paused: the pause itself is what is measured, so this is
# wall-clock time the scenario needs (not a wait for a condition).
PAUSE_SECONDS = 2.6


def plan_with(api: Api, waves: list[tuple[list[str], dict[str, Any]]], **options: Any) -> str:
    body: dict[str, Any] = {
        "name": f"evidence-{uuid.uuid4().hex[:8]}",
        "waves": [
            {"waveName": f"Wave{n}", "protectionGroupIds": [api.group(ids)], **extra}
            for n, (ids, extra) in enumerate(waves, start=1)
        ],
    }
    if options:
        body["options"] = options
    return str(api.call("POST", "/recovery-plans", body, expect=201)["planId"])


def emails(api: Api, execution_id: str) -> list[dict[str, Any]]:
    """The email texts published for the execution, with their status, oldest first."""
    return [
        {"status": m["attributes"]["status"], "email": json.loads(m["message"])["email"]}
        for m in api.call("GET", "/_sandbox/notifications", expect=200)
        if execution_id in m["message"]
    ]


def numbers(pattern: str, text: str) -> list[int]:
    return [int(n) for n in re.findall(pattern, text)]


@pytest.fixture(scope="module")
def paused_drill(sandbox: Sandbox) -> tuple[str, dict[str, Any]]:
    """A 3-wave drill paused by the plan before wave 2 and by an approval before wave 3, each answered
    after PAUSE_SECONDS; returns its id and its final record."""
    api = Api(sandbox.url)
    plan_id = plan_with(
        api,
        [
            (api.servers(1, phaseDurations=QUICK), {}),
            (api.servers(1, phaseDurations=QUICK), {"pauseBeforeWave": True}),
            (api.servers(1, phaseDurations=QUICK), {"preActions": [{"name": "cab-ok", "type": "APPROVAL"}]}),
        ],
    )
    execution_id = api.start(plan_id)
    for expected in ("BEFORE_WAVE", "APPROVAL"):
        api.watch(execution_id, lambda r, e=expected: r["status"] == "PAUSED" and r.get("pauseReason") == e)
        threading.Event().wait(PAUSE_SECONDS)  # the pause being measured
        api.call("POST", f"/executions/{execution_id}/resume", {"comment": f"{expected} checked"}, expect=200)
        api.watch(execution_id, lambda r, e=expected: r["status"] != "PAUSED" or r.get("pauseReason") != e)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED"
    return execution_id, final


def test_a_paused_drill_shows_one_paused_time_in_the_api_report_email_and_drsctl(
    sandbox: Sandbox, api: Api, paused_drill: tuple[str, dict[str, Any]]
) -> None:
    """Given a drill paused before wave 2 and for an approval, each resumed after a few seconds
    When the operator reads GET /executions/{id}, the report (JSON and HTML), the email and drsctl status
    Then the paused time is the same whole number everywhere, and the pauses add up to it."""
    execution_id, _final = paused_drill
    view = api.execution(execution_id)
    total = view["pausedSeconds"]
    assert total == view["recoveryTime"]["pausedSeconds"] and total >= 2 * int(PAUSE_SECONDS)
    assert view["recoveryTime"]["activeSeconds"] == view["recoveryTime"]["seconds"] - total
    # the report's JSON: the total and each pause
    report = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)
    parts = [p["seconds"] for p in report["pauses"]]
    assert report["recoveryTime"]["pausedSeconds"] == total and len(parts) == 2 and sum(parts) == total
    [approval] = [a for w in report["waves"] for a in w["actions"] if a["type"] == "APPROVAL"]
    assert approval["waitedSeconds"] == parts[1]
    # the HTML page: headline, chart, pauses table and approvals table
    page = requests.get(f"{sandbox.url}/executions/{execution_id}/report?format=html", timeout=30).text
    assert numbers(r'data-metric="paused" data-seconds="(\d+)"', page) == [total]
    assert numbers(r'<g class="pause" data-seconds="(\d+)"', page) == parts
    assert re.findall(r'class="pause-label">paused ([^<]*)<', page) == [format_duration(p) for p in parts]
    pauses_table = page.split('<table class="pauses">')[1].split("</table>")[0]
    assert numbers(r'<td class="num" data-seconds="(\d+)">', pauses_table) == parts
    approvals_table = page.split('<table class="approvals">')[1].split("</table>")[0]
    assert numbers(r'<td class="num" data-seconds="(\d+)">', approvals_table) == [parts[1]]
    shown = format_duration(total)
    assert f'data-metric="paused" data-seconds="{total}">{shown}<small>' in page
    # the email of the end, and drsctl status
    completed = until(lambda: [m for m in emails(api, execution_id) if m["status"] == "COMPLETED"])
    assert (
        f"Recovery time:   {format_duration(view['recoveryTime']['seconds'])} ({shown} paused)"
        in completed[0]["email"]
    )
    status = drsctl(sandbox, "status", execution_id)
    assert status.returncode == 0, status.stderr
    assert f"({shown} paused)" in status.stdout
    as_json = json.loads(drsctl(sandbox, "--output", "json", "status", execution_id).stdout)
    assert as_json["pausedSeconds"] == as_json["recoveryTime"]["pausedSeconds"] == total


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def test_the_report_in_chromium_shows_the_same_paused_time_in_its_headline_and_chart_as_the_api(
    sandbox: Sandbox, api: Api, paused_drill: tuple[str, dict[str, Any]], browser: Any
) -> None:
    """Given the paused drill's HTML report opened in Chromium
    Then the headline's paused time is the API's, and the chart's shaded pauses add up to it, each
    labelled as the pauses table says."""
    execution_id, _final = paused_drill
    total = api.execution(execution_id)["pausedSeconds"]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{sandbox.url}/executions/{execution_id}/report?format=html")
        headline = page.locator('section.verdict dd[data-metric="paused"]')
        assert int(headline.get_attribute("data-seconds")) == total
        assert headline.inner_text().startswith(format_duration(total))
        shaded = page.locator("svg.gantt g.pause")
        assert shaded.count() == 2
        chart = [int(shaded.nth(n).get_attribute("data-seconds")) for n in range(shaded.count())]
        assert sum(chart) == total
        labels = page.locator("svg.gantt text.pause-label").all_text_contents()
        rows = page.locator("table.pauses tbody tr td.num[data-seconds]").all_inner_texts()
        assert [label.removeprefix("paused ").strip() for label in labels] == [r.strip() for r in rows]
        assert [format_duration(s) for s in chart] == [r.strip() for r in rows]
    finally:
        context.close()


def test_an_approval_of_10_seconds_that_expires_says_10_s_everywhere(sandbox: Sandbox, api: Api) -> None:
    """Given a wave whose pre-action is an approval with timeoutSeconds 10
    When nobody approves it
    Then the action's error, the wave's error, the timeline and drsctl status say "not approved within
    10 s" (never "0 minutes")."""
    plan_id = plan_with(
        api,
        [
            (
                api.servers(1, phaseDurations=QUICK),
                {"preActions": [{"name": "cab-ok", "type": "APPROVAL", "timeoutSeconds": 10}]},
            )
        ],
    )
    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished, timeout=180)
    assert final["status"] == "FAILED"
    wave = final["waves"][0]
    action = wave["actions"][0]
    assert (action["status"], action["error"]) == ("TIMED_OUT", "not approved within 10 s")
    assert "not approved within 10 s" in wave["error"]
    events = api.call("GET", f"/executions/{execution_id}/timeline?limit=100", expect=200)["items"]
    timed_out = [e["message"] for e in events if e["type"] == "ACTION_TIMED_OUT"]
    assert timed_out == ["pre-action cab-ok timed out: not approved within 10 s"]
    status = drsctl(sandbox, "status", execution_id)
    assert "not approved within 10 s" in status.stdout, status.stdout + status.stderr
    everything = json.dumps([final, events]) + status.stdout
    assert "minute" not in everything


def test_a_skipped_last_wave_is_followed_by_the_end_of_the_execution_in_every_account(
    sandbox: Sandbox, api: Api
) -> None:
    """Given two waves, onWaveFailure PAUSE, and the last wave's only server failing to launch
    When the operator skips that wave with drsctl
    Then drsctl, the timeline and the report (JSON, HTML, Markdown) and the emails say the execution
    finishes; none says the next wave starts."""
    failing = api.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="CONVERSION")
    plan_id = plan_with(
        api, [(api.servers(1, phaseDurations=QUICK), {}), (failing, {})], onWaveFailure="PAUSE"
    )
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED" and r.get("pauseReason") == "WAVE_FAILED")
    skipped = drsctl(sandbox, "skip", execution_id, "--comment", "known broken")
    assert skipped.returncode == 0, skipped.stderr
    assert "wave 2 is skipped; no wave is left to run: the execution finishes now" in skipped.stdout
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "PARTIAL_SUCCESS"
    expected = "no wave is left to run: the execution finishes now and cannot end COMPLETED"
    report = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)
    [skip] = [a for a in report["actions"] if a["type"] == "WAVE_SKIPPED"]
    assert expected in skip["message"]
    page = requests.get(f"{sandbox.url}/executions/{execution_id}/report?format=html", timeout=30).text
    markdown = drsctl(sandbox, "report", execution_id).stdout
    assert expected in page and expected in markdown
    mails = until(
        lambda: (found := emails(api, execution_id)) and found[-1]["status"] == "PARTIAL_SUCCESS" and found
    )
    paused_mail = next(m["email"] for m in mails if m["status"] == "PAUSED")
    assert "To skip it (the last wave: the execution then finishes, and cannot end COMPLETED):" in paused_mail
    went_on = next(m["email"] for m in mails if m["status"] == "IN_PROGRESS" and "skipped by" in m["email"])
    assert expected in went_on
    for text in (page, markdown, skipped.stdout, *(m["email"] for m in mails)):
        assert "the next wave starts" not in text and "continues with the next wave" not in text
