"""The drill report's HTML page (orchestrator.reports.html.render_html): self-contained, the verdict,
the Gantt chart, the tables, escaping of everything users and AWS supply, and printability on A4."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from report_records import (
    ALICE,
    APPROVAL_NAME,
    APPROVER,
    CANCELLER,
    SECRET_HANDLE,
    SECRET_PARAMETERS,
    SECRET_PAYLOAD,
    Builder,
    Drill,
    at,
    completed_drill,
    failed_drill,
    partial_success_after_cancel,
    paused_for_approval,
    report_inputs,
    runbook_drill,
)

from orchestrator.reports.gantt import STAGE_COLORS, WAVE_COLORS
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
        'id="runbook"',
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
    shown = re.findall(r'<dd data-metric="[a-z ]+" data-seconds="[^"]*">([^<]*)<small>', source)
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
    started = time.thread_time()  # CPU of this thread: a loaded machine does not count
    source = render_html(report)
    elapsed = time.thread_time() - started
    page = Page(source)
    assert len(page.all("g", "server-row")) == MAX_CHART_SERVERS == 50
    assert "+950 more servers" in page.plain
    # the drawn ones are the slowest (here the last 50), in the table's order
    drawn = [row["data-server"] for row in page.all("g", "server-row")]
    assert drawn == [s["sourceServerId"] for s in report["waves"][0]["servers"][-50:]]
    [servers] = re.findall(r'<table class="servers">.*?</table>', source, re.S)
    assert servers.count("<tr>") == 1001
    # (a fraction of that bound usually; the timed gate lives in `make bench`)
    assert elapsed < 3.0, f"rendering 1,000 servers took {elapsed:.2f}s of CPU"


def test_missing_and_odd_values_render_without_failing() -> None:
    drill = completed_drill()
    report = build_report(*report_inputs(drill), LATER)
    report["execution"]["startTime"] = "not a time"
    report["waves"][0]["servers"][0]["phases"] = [{"phase": "SNAPSHOT", "start": None, "end": None}]
    report["execution"]["status"] = "SOMETHING_NEW"
    source = render_html(report)
    assert "No start time recorded" in source


# --- the runbook --------------------------------------------------------------------------------------


def rows_of(source: str, css: str) -> list[str]:
    """The body rows of every table of a class, as HTML."""
    tables = re.findall(rf'<table class="{css}">.*?</table>', source, re.S)
    return [
        row for table in tables for row in re.findall(r"<tbody>.*?</tbody>", table, re.S)[0].split("<tr>")[1:]
    ]


def text_of(html: str) -> str:
    return Page(html).plain


def test_the_runbook_lists_every_action_with_its_status_attempts_times_and_output() -> None:
    """Given a drill with a runbook
    When its page is rendered
    Then a runbook table per wave lists each action: stage, name, type and target, status, attempts
    of the maximum, start, end, duration, and its error or output (in a <pre>)."""
    source, page, report = render(runbook_drill())
    assert len(page.all("table", "runbook")) == 3
    rows = rows_of(source, "runbook")
    assert len(rows) == sum(len(w["actions"]) for w in report["waves"]) == 6
    check = text_of(rows[1])
    for shown in (
        "post",
        "db-accepts-connections",
        "SSM_COMMAND",
        "document AWS-RunShellScript",
        "SUCCEEDED",
    ):
        assert shown in check, shown
    assert "2/3" in check and "40s" in check and "09:07:25" in check and "09:08:05" in check
    assert '<pre class="output">postgres: accepting connections\nreplication lag 0 s</pre>' in rows[1]
    warm, smoke = text_of(rows[2]), text_of(rows[3])
    assert "warm-cache" in warm and "FAILED" in warm and "on failure: continue" in warm
    assert "cache cluster unreachable" in warm
    assert "function shop-smoke-test" in smoke and "GET /health 200 OK" in smoke
    assert "waits 1m 00s" in text_of(rows[4])
    never = text_of(rows[5])
    assert "report-check" in never and "SKIPPED" in never and "0/1" in never
    # a retried wave says that the rows are those of its last run
    assert "The wave was retried once: the actions below are those of its last run" in page.plain
    # and the definition's payload, parameters and the run's handle are not on the page
    for secret in (
        SECRET_PAYLOAD["dbPassword"],
        SECRET_PARAMETERS["commands"][0],
        SECRET_HANDLE["commandId"],
    ):
        assert secret not in source


def test_a_plan_without_a_runbook_says_so() -> None:
    """Given a drill whose plan has no pre- or post-actions
    Then the runbook section says there is none, and draws no action span."""
    source, page, _report = render(completed_drill())
    assert "The plan has no runbook action" in page.plain
    assert not page.all("table", "runbook") and "action-span" not in source


def test_approvals_show_who_approved_what_and_when() -> None:
    """Given wave 1 waited for the change board's approval, given with a comment
    When the page is rendered
    Then an approvals table names the approval, when it was asked and given, how long it waited,
    the approver and the comment; the operator actions and the pauses say the same."""
    source, page, _report = render(runbook_drill())
    [approvals] = page.all("table", "approvals")
    assert approvals is not None
    [row] = rows_of(source, "approvals")
    shown = text_of(row)
    for part in (
        "change-board-approval",
        "pre-action",
        "SUCCEEDED",
        "09:00:06",
        "09:02:06",
        "2m 00s",
        APPROVER,
    ):
        assert part in shown, part
    assert "CAB-1234 approved for tonight" in shown
    actions = text_of(re.findall(r'<table class="actions">.*?</table>', source, re.S)[0])
    assert f"Approved 1 {APPROVER} change-board-approval approved by {APPROVER}: CAB-1234" in actions
    pauses = text_of(re.findall(r'<table class="pauses">.*?</table>', source, re.S)[0])
    assert f"approval change-board-approval 09:00:06 09:02:06 2m 00s approved {APPROVER}" in pauses
    # the runbook row says it too
    assert f"Approved by {APPROVER} at 09:02:06" in page.plain


def test_an_approval_still_waiting_is_shown_as_running_with_no_approver() -> None:
    source, page, _report = render(paused_for_approval(), now=at(3600))
    assert "PAUSED (approval in wave 2 of 2)" in page.plain
    [row] = rows_of(source, "approvals")
    assert APPROVAL_NAME in text_of(row) and "RUNNING" in text_of(row)
    assert "Approved by arn" not in page.plain
    assert "Paused for approval go-live-sign-off in wave 2" in source  # the chart's shaded pause


def test_retried_and_skipped_waves_are_shown_with_who_and_why() -> None:
    """Given wave 2 retried by alice and wave 3 skipped by carol
    When the page is rendered
    Then the waves table says so under each status, the summary lists the skipped wave as not
    recovered, and the operator actions list the retry and the skip with their comments."""
    source, page, _report = render(runbook_drill())
    waves = rows_of(source, "waves")
    assert f"COMPLETED retried once (last by {ALICE} )" in text_of(waves[1])
    assert f"SKIPPED skipped by {CANCELLER} : reporting can wait until Monday" in text_of(waves[2])
    assert "post-action warm-cache failed: cache cluster unreachable (continued)" in text_of(waves[1])
    assert "Recovered: waves 1 (Database), 2 (App)" in page.plain
    assert "Skipped (not recovered): wave 3 (Reporting)" in page.plain
    assert "PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)" in page.plain
    actions = text_of(re.findall(r'<table class="actions">.*?</table>', source, re.S)[0])
    assert f"Wave retried 2 {ALICE}" in actions and "restarted the app pool" in actions
    assert f"Wave skipped 3 {CANCELLER}" in actions and "reporting can wait until Monday" in actions
    pauses = text_of(re.findall(r'<table class="pauses">.*?</table>', source, re.S)[0])
    assert "the wave failed: retry, skip or cancel" in pauses
    assert "wave retried" in pauses and "wave skipped" in pauses


def test_a_skipped_wave_is_orange_in_the_chart_the_legend_and_the_tables() -> None:
    source, page, _report = render(runbook_drill())
    rows = page.all("g", "wave-row")
    assert [r["data-status"] for r in rows] == ["COMPLETED", "COMPLETED", "SKIPPED"]
    bars = re.findall(r'<rect class="wave-bar"[^>]*fill="([^"]+)"', source)
    assert bars == [WAVE_COLORS["COMPLETED"], WAVE_COLORS["COMPLETED"], WAVE_COLORS["SKIPPED"]]
    assert WAVE_COLORS["SKIPPED"] not in (WAVE_COLORS["FAILED"], WAVE_COLORS["COMPLETED"])
    assert "Wave skipped" in page.plain  # the legend
    assert '<span class="st st-SKIPPED">SKIPPED</span>' in source
    assert re.search(r"\.st-SKIPPED \{ color: var\(--warn\)", source)


def test_the_chart_draws_the_span_of_each_wave_s_pre_and_post_actions() -> None:
    """Given waves with pre-actions (an approval, a wait) and post-actions
    Then the chart draws a pre-action strip for waves 1 and 3 and a post-action strip for waves 1 and
    2 (wave 3's post-action never ran), and the legend names both; wave bars are unchanged."""
    source, page, _report = render(runbook_drill())
    assert len(page.all("rect", "action-pre")) == 2
    assert len(page.all("rect", "action-post")) == 2
    assert len(page.all("rect", "wave-bar")) == 3 and len(page.all("g", "server-row")) == 4
    assert f'fill="{STAGE_COLORS["PRE"]}"' in source and f'fill="{STAGE_COLORS["POST"]}"' in source
    assert "Pre-actions" in page.plain and "Post-actions" in page.plain
    assert "Wave 1 pre-actions (1): +6s → +2m 6s (2m 00s)" in source


HOSTILE_OUTPUT = (
    '</pre><script>alert("out")</script><img src=x onerror=alert(3)>\n'
    "\x1b[31mERROR\x1b[0m \x1b]0;title\x07 bell\x07 nul\x00 bidi\u202eevil\n"
)


def test_hostile_outputs_comments_and_names_are_escaped_and_outputs_stay_in_their_pre() -> None:
    """Given an action output of 4 KB holding HTML, a closing </pre>, terminal colours and control
    characters, and an approval comment, an approver, an action name and an error that are HTML
    When the page is rendered
    Then no tag or attribute is injected, each output is one <pre> closed where the page closes it,
    the text reads as given (escaped, terminal escapes dropped, controls shown as U+FFFD), and the
    full timeline shows only the start of the output."""
    drill = runbook_drill()
    database, app, _reporting = drill.execution["waves"]
    output = HOSTILE_OUTPUT + ("x" * 79 + "\n") * 50
    output = output.encode()[: 4096 - 1].decode(errors="ignore") + "<"
    assert 4000 <= len(output.encode()) <= 4096
    database["actions"][1]["output"] = output
    approval = database["actions"][0]
    approval.update(comment=f"ok {HOSTILE}</pre>", approvedBy=f"arn:aws:iam::1:user/{HOSTILE}")
    app["actions"][0].update(name=f"warm{HOSTILE}", error=f"boom {HOSTILE}\x1b[1mbold")
    for event in drill.events:
        if event["type"] == "ACTION_SUCCEEDED" and event.get("waveNumber") == 1:
            event["details"] = {"action": "db-accepts-connections", "output": output}
    source, page, _report = render(drill)
    assert not page.all("script") and not page.all("img")
    assert not any(k.startswith("on") for _t, attrs in page.tags for k in attrs)
    assert "<script" not in source and "<img" not in source and "\x1b" not in source and "\x00" not in source
    assert "\u202e" not in source and "\x07" not in source
    # each output is one <pre>, and the hostile </pre> is text inside it
    pres = re.findall(r'<pre class="output">(.*?)</pre>', source, re.S)
    assert len(pres) == 2  # db-accepts-connections (wave 1), smoke-test (wave 2)
    assert pres[0].startswith("&lt;/pre&gt;&lt;script&gt;alert(&quot;out&quot;)&lt;/script&gt;")
    # colours and the terminal title dropped, the other controls visible as U+FFFD
    assert "\nERROR  bell\ufffd nul\ufffd bidi\ufffdevil\n" in pres[0]
    assert pres[0].endswith("xx&lt;")
    assert source.count("<pre") == source.count("</pre>") == 2
    # the user text reads as it was given
    for shown in (
        f"ok {HOSTILE}</pre>",
        f"arn:aws:iam::1:user/{HOSTILE}",
        f"warm{HOSTILE}",
        f"boom {HOSTILE}bold",
    ):
        assert shown in page.plain, shown
    # and the full timeline shows the output's start only (the runbook has all of it)
    [timeline] = re.findall(r'<table class="timeline">.*?</table>', source, re.S)
    assert "&lt;/pre&gt;&lt;script&gt;" in timeline and "x" * 400 not in timeline
    assert "x" * 400 in pres[0].replace("\n", "")
