"""The drill report as one self-contained HTML page: the outcome and the RTO verdict, a Gantt chart
of the waves and their servers (inline SVG), the tables auditors read (waves, the runbook and its
approvals, servers, who did what), and the full timeline.

Pure (no I/O): ``render_html(build_report(...))``. Every value that comes from a user or from AWS
(names, hostnames, comments, errors, principals, an action's output) goes through ``esc``
(html.escape, terminal escapes and control characters taken out) before it is written, in text and
in attributes alike; outputs are shown in a wrapped <pre> (``pre_block``). The page also carries a
Content-Security-Policy that allows no script at all. Readable on screen and printed on A4
(template.CSS)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from execution_utils import status_color
from orchestrator.reports.formatting import (
    Header,
    cell,
    duration_text,
    error_cell,
    esc,
    full_time,
    html_table,
    parse_time,
    pre_block,
    server_failed,
    status_badge,
    table_time,
    wave_heading,
)
from orchestrator.reports.gantt import MAX_CHART_SERVERS
from orchestrator.reports.gantt_svg import chart_legend, chart_svg
from orchestrator.reports.html_sections import (
    STAGE_WORDS,
    cost_section,
    instances_section,
    jobs_section,
    operator_actions_section,
    problems_section,
    running_instances,
    servers_section,
    timeline_section,
)
from orchestrator.reports.template import CSS, PAGE

VERDICTS = {
    "MET": ("RTO MET", "verdict-met", "\u2713 "),
    "MISSED": ("RTO MISSED", "verdict-missed", "\u2717 "),
    "NO_TARGET": ("No recovery time objective set", "verdict-none", ""),
    "IN_PROGRESS": ("In progress", "verdict-progress", ""),
}
# The order the outcome summary lists waves in, and its words for each status.
SUMMARY_WORDS = {
    "COMPLETED": "Recovered",
    "FAILED": "Failed",
    "SKIPPED": "Skipped (not recovered)",
    "CANCELLED": "Cancelled",
    "IN_PROGRESS": "In progress",
    "NOT_STARTED": "Not started",
}

# --- sections -----------------------------------------------------------------------------------------


def _verdict(report: Mapping[str, Any]) -> str:
    recovery = report["recoveryTime"]
    verdict = str(report["verdict"])
    headline, css, icon = VERDICTS.get(verdict, (verdict, "verdict-none", ""))
    seconds, target = recovery.get("seconds"), recovery.get("targetSeconds")
    paused, active = recovery.get("pausedSeconds"), recovery.get("activeSeconds")
    label = report["execution"].get("statusLabel")
    if verdict == "MET" and isinstance(seconds, int) and isinstance(target, int):
        why = (
            f"Recovered in {duration_text(seconds)}, within the objective of {duration_text(target)} "
            f"({duration_text(target - seconds)} to spare)."
        )
    elif verdict == "MISSED" and isinstance(seconds, int) and isinstance(target, int):
        why = (
            f"Recovered in {duration_text(seconds)}: {duration_text(seconds - target)} over the objective of "
            f"{duration_text(target)}."
        )
    elif verdict == "MISSED":
        why = (
            f"Not every wave recovered \u2014 {label}: the objective of {duration_text(target)} was not met."
        )
    elif verdict == "NO_TARGET":
        measured = (
            f"Recovery time {duration_text(seconds)}" if isinstance(seconds, int) else "No recovery time"
        )
        why = f"{measured} measured; the plan sets no rtoTargetMinutes to judge it against."
    else:
        why = "The execution has not ended: the figures below are as of the report's generation."
    metrics = [
        ("Recovery time", seconds, duration_text(seconds), "start \u2192 last wave completed"),
        ("Paused", paused, duration_text(paused), "operator waits, reported apart"),
        ("Active", active, duration_text(active), "recovery time minus paused"),
        (
            "Target",
            target,
            duration_text(target) if target is not None else "none",
            "plan's rtoTargetMinutes",
        ),
    ]
    cells = "".join(
        f'<div><dt>{esc(name)}</dt><dd data-metric="{esc(name.lower())}" data-seconds="{esc(raw)}">'
        f"{esc(value)}<small>{esc(hint)}</small></dd></div>"
        for name, raw, value, hint in metrics
    )
    return (
        f'<section class="verdict {css}" aria-label="Recovery time verdict" data-verdict="{esc(verdict)}">'
        f'<p class="headline">{esc(icon + headline)}</p><p class="why">{esc(why)}</p>'
        f'<dl class="metrics">{cells}</dl></section>'
    )


def _wave_summary(report: Mapping[str, Any]) -> str:
    groups: dict[str, list[str]] = {}
    for wave in report["waves"]:
        groups.setdefault(str(wave.get("status")), []).append(
            f"{wave.get('waveNumber')} ({wave.get('waveName')})"
        )
    lines = [
        f"<li><strong>{esc(SUMMARY_WORDS.get(status, status))}:</strong> wave{'s' if len(names) > 1 else ''} "
        f"{esc(', '.join(names))}</li>"
        for status in (*SUMMARY_WORDS, *sorted(groups))
        if (names := groups.pop(status, None))
    ]
    running = running_instances(report)
    instances = report["recoveryInstances"]
    if running:
        ids = ", ".join(str(s.get("ec2InstanceId")) for _w, s in running[:4])
        more = f" and {len(running) - 4} more" if len(running) > 4 else ""
        lines.append(
            f"<li><strong>Recovery instances still running:</strong> {len(running)} ({esc(ids)}{more})"
            + (" \u2014 terminate them when the drill is over" if instances.get("canTerminate") else "")
            + "</li>"
        )
    elif instances.get("terminated"):
        lines.append("<li><strong>Recovery instances:</strong> terminated</li>")
    return f'<ul class="summary">{"".join(lines)}</ul>'


def _facts(report: Mapping[str, Any]) -> str:
    execution = report["execution"]
    options: Mapping[str, Any] = execution.get("options") or {}
    shown_options = ", ".join(f"{k}={v}" for k, v in sorted(options.items()))
    facts = [
        (
            "Plan",
            f'{esc(execution.get("planName"))} <span class="small mono">{esc(execution.get("planId"))}</span>',
        ),
        ("Type", esc(execution.get("executionType"))),
        ("Execution", f'<span class="mono">{esc(execution.get("executionId"))}</span>'),
        ("Started", full_time(execution.get("startTime"))),
        ("Ended", full_time(execution.get("endTime"))),
        ("Duration", esc(duration_text(execution.get("durationSeconds")))),
        ("Started by", f'<span class="mono">{esc(execution.get("initiatedBy"))}</span>'),
        ("Options", f'<span class="small">{esc(shown_options)}</span>'),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _waves_table(report: Mapping[str, Any], day: date | None) -> str:
    rows = []
    for wave in report["waves"]:
        servers = wave["servers"]
        ready = sum(1 for s in servers if s.get("ready"))
        failed = sum(1 for s in servers if server_failed(s))
        notes = [*(wave.get("warnings") or [])]
        rows.append(
            "<tr>"
            + cell(esc(wave.get("waveNumber")), "num")
            + cell(esc(wave.get("waveName")), "wrap")
            + cell(status_badge(wave.get("status")) + _wave_operator_note(wave), "wrap")
            + cell(table_time(wave.get("startTime"), day), "time")
            + cell(table_time(wave.get("endTime"), day), "time")
            + cell(esc(duration_text(wave.get("durationSeconds"))), "num")
            + cell(f"{len(servers)}", "num")
            + cell(f"{ready}", "num")
            + cell(f"{failed}", "num")
            + cell(
                "<br>".join(f'<span class="mono">{esc(j)}</span>' for j in wave.get("jobIds") or []) or "-"
            )
            + error_cell(wave.get("error"))
            + cell("<br>".join(esc(n) for n in notes) or "-", "wrap")
            + "</tr>"
        )
    headers: list[Header] = [
        ("#", "num"),
        "Wave",
        "Status",
        "Start",
        "End",
        ("Duration", "num"),
        ("Servers", "num"),
        ("Ready", "num"),
        ("Failed", "num"),
        "DRS jobs",
        "Error",
        "Warnings",
    ]
    return html_table(headers, rows, css="waves")


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _wave_operator_note(wave: Mapping[str, Any]) -> str:
    """Under a wave's status: who skipped it (and why), or how often it was retried and by whom."""
    notes = []
    if wave.get("status") == "SKIPPED":
        why = f": {esc(wave.get('skipComment'))}" if wave.get("skipComment") else ""
        notes.append(f'skipped by <span class="mono">{esc(wave.get("skippedBy") or "unknown")}</span>{why}')
    retries = wave.get("retries")
    if isinstance(retries, int) and retries > 0:
        by = (
            f' (last by <span class="mono">{esc(wave.get("retriedBy"))}</span>)'
            if wave.get("retriedBy")
            else ""
        )
        notes.append(f"retried {_times(retries)}{by}")
    if wave.get("phase"):
        notes.append(esc(str(wave["phase"]).replace("_", " ").lower()))
    return "".join(f'<br><span class="small">{n}</span>' for n in notes)


def _target(action: Mapping[str, Any]) -> str:
    """What an action runs (never its payload or parameters)."""
    if action.get("functionName"):
        return f'function <span class="mono">{esc(action["functionName"])}</span>'
    if action.get("documentName"):
        return f'document <span class="mono">{esc(action["documentName"])}</span>'
    if action.get("type") == "WAIT" and isinstance(action.get("waitSeconds"), int):
        return f"waits {esc(duration_text(action['waitSeconds']))}"
    if action.get("type") == "APPROVAL":
        return f"waits up to {esc(duration_text(action.get('timeoutSeconds')))} for a resume"
    return ""


def _action_result(action: Mapping[str, Any], day: date | None) -> str:
    parts = []
    if action.get("type") == "APPROVAL" and action.get("approvedBy"):
        parts.append(
            f'<span class="approval">Approved by <span class="mono">{esc(action["approvedBy"])}</span> '
            f"at {table_time(action.get('endTime'), day)}</span>"
        )
    if action.get("comment"):
        parts.append(f'<span class="comment">\u201c{esc(action["comment"])}\u201d</span>')
    if action.get("error"):
        parts.append(f'<span class="errtext">{esc(action["error"])}</span>')
    text = "<br>".join(parts)
    return text + pre_block(action.get("output")) if (text or action.get("output")) else "-"


def _runbook(report: Mapping[str, Any], day: date | None) -> str:
    """Each wave's runbook actions, in the order they run: what, how it went, and its evidence."""
    headers: list[Header] = [
        "Stage",
        "Action",
        "Status",
        ("Attempts", "num"),
        "Start",
        "End",
        ("Duration", "num"),
        "Result, output",
    ]
    parts = []
    for wave in report["waves"]:
        actions = wave.get("actions") or []
        if not actions:
            continue
        parts.append(wave_heading(wave, "runbook", len(actions), "action"))
        retries = wave.get("retries")
        if isinstance(retries, int) and retries > 0:
            parts.append(
                f'<p class="small">The wave was retried {_times(retries)}: the actions below are those of '
                "its last run; earlier attempts are in the full timeline.</p>"
            )
        rows = []
        for action in actions:
            target = _target(action)
            on_failure = (
                '<br><span class="small">on failure: continue</span>'
                if action.get("onFailure") == "CONTINUE"
                else ""
            )
            rows.append(
                "<tr>"
                + cell(esc(STAGE_WORDS.get(str(action.get("stage")), action.get("stage"))))
                + cell(
                    f"<strong>{esc(action.get('name'))}</strong>"
                    + f'<br><span class="small">{esc(action.get("type"))}'
                    + (f" \u00b7 {target}" if target else "")
                    + "</span>",
                    "wrap",
                )
                + cell(status_badge(action.get("status")) + on_failure)
                + cell(f"{esc(action.get('attempts'))}/{esc(action.get('maxAttempts'))}", "num")
                + cell(table_time(action.get("startTime"), day), "time")
                + cell(table_time(action.get("endTime"), day), "time")
                + cell(esc(duration_text(action.get("durationSeconds"))), "num")
                + cell(_action_result(action, day), "wrap result")
                + "</tr>"
            )
        parts.append(html_table(headers, rows, css="runbook"))
    if not parts:
        return '<p class="none">The plan has no runbook action (no pre- or post-actions).</p>'
    intro = (
        '<p class="small">Pre-actions run before a wave\u2019s launch, post-actions once its servers are '
        "ready: a wave, and the application it recovers, is COMPLETED only when its post-actions "
        "succeeded (a failure of an action with onFailure CONTINUE is a warning).</p>"
    )
    return intro + "".join(parts)


def render_html(report: Mapping[str, Any]) -> str:
    """The report (reports.model.build_report's output) as one self-contained HTML page."""
    execution = report["execution"]
    kind = str(execution.get("executionType") or "").upper()
    kind_word = "Recovery" if kind == "RECOVERY" else "Drill"
    start = parse_time(execution.get("startTime"))
    day = start.date() if start else None
    color = _status_color(str(execution.get("status")))
    provisional = (
        ""
        if report.get("final")
        else '<p class="provisional"><strong>Provisional:</strong> the execution had not ended when this '
        f"report was generated ({full_time(report.get('generatedAt'))}).</p>"
    )
    chart = chart_svg(report)
    target = report["recoveryTime"].get("targetSeconds")
    beyond = (
        f" The RTO target ({esc(duration_text(target))}) lies beyond the chart\u2019s end."
        if target is not None and 'class="target-line"' not in chart and 'class="gantt"' in chart
        else ""
    )
    body = f"""<header class="report">
<p class="kicker">DRS Orchestrator \u00b7 {kind_word} report</p>
<h1><span class="tag">{esc(kind or "DRILL")}</span> {esc(execution.get("planName"))}</h1>
<p class="sub">Execution <span class="mono">{esc(execution.get("executionId"))}</span> \u00b7 started
{full_time(execution.get("startTime"))} \u00b7 report generated {full_time(report.get("generatedAt"))}</p>
{provisional}
</header>
<main>
<section aria-labelledby="outcome"><h2 id="outcome">Outcome</h2>
<div class="outcome"><div>
<p class="status status-{color}" data-status="{esc(execution.get("status"))}">{esc(execution.get("statusLabel"))}</p>
{_facts(report)}
{_wave_summary(report)}
</div>
{_verdict(report)}
</div></section>
<section aria-labelledby="chart"><h2 id="chart">Timeline</h2>
<figure class="chart">{chart}
<figcaption>Times are offsets from the start; all times in this report are UTC (dates shown only
when they differ from the start date). At most {MAX_CHART_SERVERS} servers are drawn per wave.{beyond}</figcaption>
{chart_legend(report, chart)}</figure></section>
<section aria-labelledby="waves"><h2 id="waves">Waves</h2>{_waves_table(report, day)}</section>
<section aria-labelledby="runbook"><h2 id="runbook">Runbook actions</h2>{_runbook(report, day)}</section>
<section aria-labelledby="servers"><h2 id="servers">Servers</h2>{servers_section(report, day)}</section>
<section aria-labelledby="actions"><h2 id="actions">Operator actions</h2>{operator_actions_section(report, day)}</section>
<section aria-labelledby="jobs"><h2 id="jobs">DRS jobs</h2>{jobs_section(report)}</section>
<section aria-labelledby="problems"><h2 id="problems">Errors and warnings</h2>{problems_section(report)}</section>
<section aria-labelledby="instances"><h2 id="instances">Recovery instances</h2>{instances_section(report)}</section>
<section aria-labelledby="cost"><h2 id="cost">Cost (estimate)</h2>{cost_section(report)}</section>
<section aria-labelledby="events"><h2 id="events">Full timeline</h2>{timeline_section(report, day)}</section>
</main>
<footer>Generated by DRS Orchestrator at {full_time(report.get("generatedAt"))} \u00b7 report schema
version {esc(report.get("schemaVersion"))} \u00b7 the JSON rendering of this report is the record of reference.</footer>"""
    title = f"{kind_word} report: {execution.get('planName')} ({execution.get('executionId')})"
    return PAGE.substitute(
        title=esc(title), css=CSS, body=body, schema_version=esc(report.get("schemaVersion"))
    )


def _status_color(status: str) -> str:
    try:
        return status_color(status)
    except ValueError:
        return "grey"
