"""The drill report in a real browser: a drill runs through the sandbox's API (pause, resume with a
comment, an RTO target), its report is fetched as JSON (checked against docs/report.schema.json) and
as HTML, and headless Chromium (Debian's, driven by Playwright by executable path) opens the page,
checks the verdict, the chart and the tables, takes a screenshot and prints it to an A4 PDF. Reports
built from hand-made records (seed 000's PARTIAL_SUCCESS, a FAILED drill, a wave of 1,000 servers)
are printed too, the chart kept on one page.

Needs `chromium` (`make test` installs it when missing): skipped without it, unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that into a failure. Screenshots and PDFs go to a
temporary folder, or to $REPORT_SCREENSHOTS when set.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from browser_tests import chromium_or_skip
from report_records import Builder, at, failed_drill, partial_success_after_cancel, report_inputs
from sandbox_api import TIME_SCALE, Api, finished

from drs_sandbox.chromium import CHROMIUM_FLAGS
from drs_sandbox.server import Sandbox
from orchestrator.reports.html import render_html
from orchestrator.reports.model import build_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
# What the print CSS allows the chart (figure.chart svg { max-height: 235mm }), at 96 px per inch.
A4_CHART_MAX_PX = 235 / 25.4 * 96 + 1


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("REPORT_SCREENSHOTS") or tempfile.mkdtemp(prefix="report-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))
    page.requested = requested
    yield page
    context.close()
    assert not errors, f"the report raised in the browser: {errors}"


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _print(page: Any, path: Path) -> bytes:
    pdf: bytes = page.pdf(path=str(path), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    assert _pdf_pages(pdf) >= 1
    return pdf


def _chart_fits_a_page_when_printed(page: Any) -> None:
    page.emulate_media(media="print")
    box = page.locator("svg.gantt").bounding_box()
    assert box is not None and 0 < box["height"] <= A4_CHART_MAX_PX, box
    page.emulate_media(media="screen")


def test_a_sandbox_drill_report_opens_in_chromium_and_prints_on_a4(
    sandbox: Sandbox, page: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    # Given a drill of three waves of two servers, paused before wave 3, with a one-hour objective
    api = Api(sandbox.url)
    plan_id = api.plan(
        [(api.servers(2), False), (api.servers(2), False), (api.servers(2), True)], rtoTargetMinutes=60
    )
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call("POST", f"/executions/{execution_id}/resume", {"comment": "app tier checked"}, expect=200)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED"

    # When its report is fetched as JSON, it validates against the schema and the objective is met
    report = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)
    jsonschema.validate(report, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert report["verdict"] == "MET"
    assert report["recoveryTime"]["targetSeconds"] == 3600
    assert [p["endedWith"] for p in report["pauses"]] == ["RESUMED"]
    assert any(a["type"] == "RESUMED" and "app tier checked" in a["message"] for a in report["actions"])

    # And the HTML page opens in Chromium straight from the API, fetching nothing else
    url = f"{sandbox.url}/executions/{execution_id}/report?format=html"
    response = page.goto(url)
    assert response is not None and response.ok
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.requested == [url]
    assert execution_id in page.title()
    # Then the verdict, the chart (a bar per wave, a lane per server) and the tables are there
    expect(page.locator("section.verdict .headline")).to_have_text("✓ RTO MET")
    expect(page.locator("svg.gantt rect.wave-bar")).to_have_count(3)
    expect(page.locator("svg.gantt g.server-row")).to_have_count(6)
    expect(page.locator("svg.gantt g.pause")).to_have_count(1)
    expect(page.locator("table.waves tbody tr")).to_have_count(3)
    expect(page.locator("table.servers")).to_have_count(3)
    expect(page.locator("table.servers tbody tr")).to_have_count(6)
    expect(page.locator("table.actions")).to_contain_text("app tier checked")
    # (the timeline only grows: the report written after the end may have added its own event since)
    assert page.locator("table.timeline tbody tr").count() >= len(report["timeline"]) > 20
    # And the chart is drawn (it has a real size on screen), and it stays on one page printed
    box = page.locator("svg.gantt").bounding_box()
    assert box is not None and box["width"] > 800 and box["height"] > 150
    page.screenshot(path=str(shots / "report-sandbox-drill.png"), full_page=True)
    page.screenshot(path=str(shots / "report-sandbox-drill-top.png"))
    _chart_fits_a_page_when_printed(page)
    _print(page, shots / "report-sandbox-drill.pdf")


@pytest.mark.parametrize(
    ("name", "drill", "headline"),
    [
        ("partial-success", partial_success_after_cancel(rto_minutes=20), "✗ RTO MISSED"),
        ("failed", failed_drill(), "No recovery time objective set"),
        (
            "thousand-servers",
            Builder(rto_minutes=180).wave("Fleet", [f"web{n:04d}" for n in range(1000)]).finish("COMPLETED"),
            "✓ RTO MET",
        ),
    ],
)
def test_hand_made_reports_render_and_print(
    page: Any, shots: Path, name: str, drill: Any, headline: str
) -> None:
    from playwright.sync_api import expect

    report = build_report(*report_inputs(drill), at(6 * 3600))
    path = shots / f"report-{name}.html"
    path.write_text(render_html(report), encoding="utf-8")
    page.goto(path.as_uri())
    assert page.requested == [path.as_uri()]
    expect(page.locator("section.verdict .headline")).to_have_text(headline)
    expect(page.locator("svg.gantt g.wave-row")).to_have_count(len(report["waves"]))
    started = [w for w in report["waves"] if w["startTime"]]
    expect(page.locator("svg.gantt rect.wave-bar")).to_have_count(len(started))
    expect(page.locator("table.waves tbody tr")).to_have_count(len(report["waves"]))
    servers = sum(len(w["servers"]) for w in report["waves"])
    expect(page.locator("table.servers tbody tr")).to_have_count(servers)
    expect(page.locator("svg.gantt g.server-row")).to_have_count(
        sum(min(len(w["servers"]), 50) for w in report["waves"])
    )
    page.screenshot(path=str(shots / f"report-{name}-top.png"))
    _chart_fits_a_page_when_printed(page)
    _print(page, shots / f"report-{name}.pdf")
