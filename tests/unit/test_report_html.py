"""The drill report's HTML page (orchestrator.reports.html.render_html): self-contained, the verdict,
the Gantt chart, the tables, escaping of everything users and AWS supply, and printability on A4."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from report_records import (
    Builder,
    Drill,
    at,
    completed_drill,
    failed_drill,
    partial_success_after_cancel,
    report_inputs,
)

from orchestrator.reports.html import MAX_CHART_SERVERS, render_html
from orchestrator.reports.model import build_report

LATER = at(3 * 3600)


class Page(HTMLParser):
    """The tags of a page, their attributes, and the text outside <style>."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)

    def all(self, tag: str, css: str | None = None) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and (css is None or css in (attrs.get("class") or "").split())
        ]

    @property
    def plain(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def render(drill: Drill, now: str = LATER) -> tuple[str, Page, dict[str, Any]]:
    report = build_report(*report_inputs(drill), now)
    source = render_html(report)
    return source, Page(source), report


def test_the_page_is_one_self_contained_document() -> None:
    source, page, _report = render(completed_drill())
    assert source.startswith("<!DOCTYPE html>")
    [html] = page.all("html")
    assert html["lang"] == "en"
    assert page.all("title") and page.all("style")
    # nothing is fetched: no script, stylesheet link, image, frame, or remote URL of any kind
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        assert not page.all(tag), tag
    for _name, attrs in page.tags:
        for key, value in attrs.items():
            assert key not in ("src", "href") and not key.startswith("on"), (key, value)
    assert re.findall(r"(?:https?:)?//[\w.-]+", source) == ["http://www.w3.org"]  # the SVG namespace only
    assert "url(" not in source and "@import" not in source
    # and a policy that would refuse any script even if one slipped in
    [policy] = [a for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in str(policy["content"])


def test_it_is_printable_on_a4() -> None:
    source, _page, _report = render(completed_drill())
    assert "@page { size: A4; margin: 15mm; }" in source
    assert "@media print" in source
    assert re.search(r"tr, td, th \{ break-inside: avoid", source)
    assert re.search(r"figure\.chart[^{]*\{ break-inside: avoid", source)


def test_the_title_heading_and_outcome_come_first_and_in_order() -> None:
    source, page, report = render(completed_drill())
    execution = report["execution"]
    assert page.all("title")
    title = source[source.index("<title>") + 7 : source.index("</title>")]
    assert title == f"Drill report: 3TierRecoveryPlan ({execution['executionId']})"
    order = [
        "3TierRecoveryPlan",
        "RTO MET",
        'class="gantt"',
        'id="waves"',
        'id="servers"',
        'id="actions"',
        'id="jobs"',
        'id="problems"',
        'id="instances"',
        'id="events"',
    ]
    body = source[source.index("<body>") :]
    positions = [body.index(marker) for marker in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("drill", "headline", "figures"),
    [
        (completed_drill(30), "✓ RTO MET", ["21m 20s", "5m 00s", "16m 20s", "30m 00s"]),
        (completed_drill(35, stretch=2.0), "✗ RTO MISSED", ["37m 11s", "5m 00s", "32m 11s", "35m 00s"]),
        (completed_drill(None), "No recovery time objective set", ["21m 20s", "5m 00s", "16m 20s", "none"]),
        (partial_success_after_cancel(20), "✗ RTO MISSED", ["-", "2m 00s", "-", "20m 00s"]),
    ],
)
def test_the_verdict_box_shows_the_verdict_and_the_times(
    drill: Drill, headline: str, figures: list[str]
) -> None:
    source, page, report = render(drill)
    [box] = page.all("section", "verdict")
    assert box["data-verdict"] == report["verdict"]
    assert headline in page.plain
    shown = re.findall(r'<dd data-metric="[a-z ]+">([^<]*)<small>', source)
    assert shown == figures


def test_an_execution_still_running_is_in_progress_and_provisional() -> None:
    builder = Builder(rto_minutes=30).wave("Database", ["db01"]).wave("App", ["app01"], started=False)
    builder.execution.update(status="PAUSED", pausedBeforeWave=2, pausedTime=at(builder.clock + 2))
    builder.events.append(
        {"time": at(builder.clock + 2), "type": "PAUSED", "message": "paused", "waveNumber": 2}
    )
    drill = Drill(builder.execution, builder.servers, builder.events)  # type: ignore[arg-type]
    _source, page, _report = render(drill, now=at(builder.clock + 600))
    assert "In progress" in page.plain
    assert "Provisional:" in page.plain
    assert "PAUSED (before wave 2 of 2)" in page.plain


def test_the_chart_has_a_bar_per_wave_a_lane_per_server_and_the_pauses_shaded() -> None:
    source, page, _report = render(completed_drill(30))
    assert len(page.all("svg", "gantt")) == 1
    rows = page.all("g", "wave-row")
    assert [r["data-wave"] for r in rows] == ["1", "2", "3"]
    assert [r["data-status"] for r in rows] == ["COMPLETED"] * 3
    assert len(page.all("rect", "wave-bar")) == 3
    assert len(page.all("g", "server-row")) == 6
    # each server: its four phases as segments, and its ready moment
    for phase in ("snapshot", "converting", "launching", "launched"):
        assert len(page.all("rect", f"phase-{phase}")) == 6, phase
    assert len(page.all("rect", "mark-ready")) == 6
    assert len(page.all("g", "pause")) == 1
    assert "paused 5m 00s" in page.plain
    assert page.all("g", "target-line") and page.all("g", "recovered-line")
    # a time axis with ticks, and a legend
    assert len(re.findall(r'class="tick"', source)) >= 4
    assert page.all("ul", "legend")
    for item in ("Snapshot", "Converting", "Launching", "Launched → ready", "Paused", "RTO target"):
        assert item in page.plain


def test_waves_never_started_have_a_row_and_no_bar() -> None:
    _source, page, _report = render(partial_success_after_cancel())
    assert [r["data-status"] for r in page.all("g", "wave-row")] == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert len(page.all("rect", "wave-bar")) == 1
    assert "CANCELLED (never started)" in page.plain


def test_the_tables_list_every_wave_and_server() -> None:
    source, page, report = render(completed_drill())
    assert len(page.all("table", "waves")) == 1
    assert len(page.all("table", "servers")) == 3
    first = re.findall(r'<table class="servers">.*?</thead>', source, re.S)[0]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', first)
    for header in (
        "Source server",
        "Hostname",
        "Impact",
        "Launch status",
        "Instance",
        "Private IP",
        "Type",
        "Launched",
        "Ready",
        "Recovery time",
        "Error",
    ):
        assert header in headers
    for wave in report["waves"]:
        for server in wave["servers"]:
            for field in ("sourceServerId", "hostname", "ec2InstanceId", "privateIp", "instanceType"):
                assert server[field] in page.plain
    assert "drsjob-01000005" in page.plain
    # and the full timeline, one row per event
    [timeline] = re.findall(r'<table class="timeline">.*?</table>', source, re.S)
    assert timeline.count("<tr>") == len(report["timeline"]) + 1


def test_partial_success_reads_naturally() -> None:
    _source, page, _report = render(partial_success_after_cancel())
    text = page.plain
    assert "PARTIAL SUCCESS (1 of 3 waves completed)" in text
    assert "Recovered: wave 1 (Database)" in text
    assert "Cancelled: waves 2 (App), 3 (Web)" in text
    assert "Recovery instances still running: 2" in text
    assert "2 recovery instances, 2 still running" in text
    assert "Cancel requested" in text and "maintenance window closing" in text
    assert "arn:aws:sts::111122223333:assumed-role/DrOperators/carol" in text


def test_a_failed_drill_shows_its_errors_warnings_and_failed_servers() -> None:
    _source, page, _report = render(failed_drill())
    text = page.plain
    assert "FAILED" in text and "No recovery time objective set" in text
    assert "wave 1 failed: critical server pay-db01 failed" in text
    assert "Failed servers (2)" in text
    assert "LAUNCH_FAILED: Insufficient capacity for m6i.large in us-east-1a" in text
    assert "optional server" in text and "pay-report" in text
    assert len(page.all("rect", "mark-failed")) == 2


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_everything_users_and_aws_supply_is_escaped() -> None:
    # Given a plan, a wave, a hostname, a comment, an error and a principal that are all HTML
    builder = Builder(plan=f"plan {HOSTILE}", rto_minutes=30)
    builder.wave(
        f"wave {HOSTILE}",
        [f"host{HOSTILE}", "ok01"],
        status="FAILED",
        failed={f"host{HOSTILE}": f"error {HOSTILE}"},
    )
    builder.pause(60, comment=f"comment {HOSTILE}")
    builder.wave("Web", ["web01"], status="NOT_STARTED", started=False)
    drill = builder.finish("FAILED", error=f"boom {HOSTILE}")
    drill.execution["initiatedBy"] = f"arn:aws:iam::1:user/{HOSTILE}"
    drill.events[0]["actor"] = f"arn:aws:iam::1:user/{HOSTILE}"
    drill.events.append({"time": at(1), "type": "NOTE", "message": HOSTILE, "details": {"x": HOSTILE}})
    source, page, _report = render(drill)
    # Then no tag and no attribute was injected: the only tags are the page's own
    assert not page.all("script") and not page.all("img")
    assert not any(k.startswith("on") for _t, attrs in page.tags for k in attrs)
    assert "<script" not in source and "<img" not in source
    assert '"><img' not in source and "onerror=alert(2)>" not in source
    # And the text reads as it was given, escaped in the source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in source
    for shown in (
        f"plan {HOSTILE}",
        f"comment {HOSTILE}",
        f"error {HOSTILE}",
        f"boom {HOSTILE}",
        f"host{HOSTILE}",
    ):
        assert shown in page.plain, shown
    title = source[source.index("<title>") : source.index("</title>")]
    assert "&lt;script&gt;" in title


def test_a_wave_of_a_thousand_servers_draws_fifty_and_lists_all() -> None:
    hosts = [f"web{n:04d}" for n in range(1000)]
    drill = Builder(rto_minutes=60).wave("Fleet", hosts).finish("COMPLETED")
    report = build_report(*report_inputs(drill), LATER)
    started = time.perf_counter()
    source = render_html(report)
    elapsed = time.perf_counter() - started
    page = Page(source)
    assert len(page.all("g", "server-row")) == MAX_CHART_SERVERS == 50
    assert "+950 more servers" in page.plain
    # the drawn ones are the slowest (here the last 50), in the table's order
    drawn = [row["data-server"] for row in page.all("g", "server-row")]
    assert drawn == [s["sourceServerId"] for s in report["waves"][0]["servers"][-50:]]
    [servers] = re.findall(r'<table class="servers">.*?</table>', source, re.S)
    assert servers.count("<tr>") == 1001
    assert elapsed < 1.0, f"rendering 1,000 servers took {elapsed:.2f}s"


def test_missing_and_odd_values_render_without_failing() -> None:
    drill = completed_drill()
    report = build_report(*report_inputs(drill), LATER)
    report["execution"]["startTime"] = "not a time"
    report["waves"][0]["servers"][0]["phases"] = [{"phase": "SNAPSHOT", "start": None, "end": None}]
    report["execution"]["status"] = "SOMETHING_NEW"
    source = render_html(report)
    assert "No start time recorded" in source
