"""The drill report as one self-contained HTML page: the outcome and the RTO verdict, a Gantt chart
of the waves and their servers (inline SVG), the tables auditors read (waves, the runbook and its
approvals, servers, who did what), and the full timeline.

Pure (no I/O): ``render_html(build_report(...))``. Every value that comes from a user or from AWS
(names, hostnames, comments, errors, principals, an action's output) goes through ``_e``
(html.escape, terminal escapes and control characters taken out) before it is written, in text and
in attributes alike; outputs are shown in a wrapped <pre> (``_pre``). The page also carries a
Content-Security-Policy that allows no script at all. Readable on screen and printed on A4
(template.CSS)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from execution_utils import status_color
from orchestrator.reports.gantt import MAX_CHART_SERVERS, _chart, _legend
from orchestrator.reports.template import CSS, PAGE
from orchestrator.reports.text import (
    _clean,
    _clip,
    _duration,
    _e,
    _error_td,
    _failed,
    _full_time,
    _parse,
    _pre,
    _server_name,
    _status,
    _table,
    _td,
    _time,
)

VERDICTS = {
    "MET": ("RTO MET", "verdict-met", "\u2713 "),
    "MISSED": ("RTO MISSED", "verdict-missed", "\u2717 "),
    "NO_TARGET": ("No recovery time objective set", "verdict-none", ""),
    "IN_PROGRESS": ("In progress", "verdict-progress", ""),
}
ACTION_LABELS = {
    "EXECUTION_STARTED": "Started",
    "PAUSE_REQUESTED": "Pause requested",
    "PAUSED": "Paused",
    "RESUMED": "Resumed",
    "APPROVED": "Approved",
    "WAVE_RETRIED": "Wave retried",
    "WAVE_SKIPPED": "Wave skipped",
    "CANCEL_REQUESTED": "Cancel requested",
    "TERMINATION_STARTED": "Termination started",
}
ENDED_WITH = {
    "RESUMED": "resumed",
    "APPROVED": "approved",
    "WAVE_RETRIED": "wave retried",
    "WAVE_SKIPPED": "wave skipped",
    "ACTION_TIMED_OUT": "not approved in time",
    "CANCEL_REQUESTED": "cancelled",
    "EXECUTION_FINISHED": "execution ended",
}
PAUSE_REASONS = {
    "BEFORE_WAVE": "before the wave (the plan pauses there)",
    "OPERATOR": "before the wave (an operator asked)",
    "APPROVAL": "approval",
    "WAVE_FAILED": "the wave failed: retry, skip or cancel",
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
STAGE_WORDS = {"PRE": "pre", "POST": "post"}
# An action's output shown in the full timeline's details (the runbook shows it whole).
TIMELINE_OUTPUT_CHARS = 160
_GONE_EC2_STATES = frozenset({"terminated", "shutting-down"})

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
            f"Recovered in {_duration(seconds)}, within the objective of {_duration(target)} "
            f"({_duration(target - seconds)} to spare)."
        )
    elif verdict == "MISSED" and isinstance(seconds, int) and isinstance(target, int):
        why = (
            f"Recovered in {_duration(seconds)}: {_duration(seconds - target)} over the objective of "
            f"{_duration(target)}."
        )
    elif verdict == "MISSED":
        why = f"Not every wave recovered \u2014 {label}: the objective of {_duration(target)} was not met."
    elif verdict == "NO_TARGET":
        measured = f"Recovery time {_duration(seconds)}" if isinstance(seconds, int) else "No recovery time"
        why = f"{measured} measured; the plan sets no rtoTargetMinutes to judge it against."
    else:
        why = "The execution has not ended: the figures below are as of the report's generation."
    metrics = [
        ("Recovery time", seconds, _duration(seconds), "start \u2192 last wave completed"),
        ("Paused", paused, _duration(paused), "operator waits, reported apart"),
        ("Active", active, _duration(active), "recovery time minus paused"),
        ("Target", target, _duration(target) if target is not None else "none", "plan's rtoTargetMinutes"),
    ]
    cells = "".join(
        f'<div><dt>{_e(name)}</dt><dd data-metric="{_e(name.lower())}" data-seconds="{_e(raw)}">'
        f"{_e(value)}<small>{_e(hint)}</small></dd></div>"
        for name, raw, value, hint in metrics
    )
    return (
        f'<section class="verdict {css}" aria-label="Recovery time verdict" data-verdict="{_e(verdict)}">'
        f'<p class="headline">{_e(icon + headline)}</p><p class="why">{_e(why)}</p>'
        f'<dl class="metrics">{cells}</dl></section>'
    )


def _running_instances(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    if report["recoveryInstances"].get("terminated"):
        return []
    return [
        (wave, server)
        for wave in report["waves"]
        for server in wave["servers"]
        if server.get("ec2InstanceId") and str(server.get("ec2State") or "") not in _GONE_EC2_STATES
    ]


def _wave_summary(report: Mapping[str, Any]) -> str:
    groups: dict[str, list[str]] = {}
    for wave in report["waves"]:
        groups.setdefault(str(wave.get("status")), []).append(
            f"{wave.get('waveNumber')} ({wave.get('waveName')})"
        )
    lines = [
        f"<li><strong>{_e(SUMMARY_WORDS.get(status, status))}:</strong> wave{'s' if len(names) > 1 else ''} "
        f"{_e(', '.join(names))}</li>"
        for status in (*SUMMARY_WORDS, *sorted(groups))
        if (names := groups.pop(status, None))
    ]
    running = _running_instances(report)
    instances = report["recoveryInstances"]
    if running:
        ids = ", ".join(str(s.get("ec2InstanceId")) for _w, s in running[:4])
        more = f" and {len(running) - 4} more" if len(running) > 4 else ""
        lines.append(
            f"<li><strong>Recovery instances still running:</strong> {len(running)} ({_e(ids)}{more})"
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
            f'{_e(execution.get("planName"))} <span class="small mono">{_e(execution.get("planId"))}</span>',
        ),
        ("Type", _e(execution.get("executionType"))),
        ("Execution", f'<span class="mono">{_e(execution.get("executionId"))}</span>'),
        ("Started", _full_time(execution.get("startTime"))),
        ("Ended", _full_time(execution.get("endTime"))),
        ("Duration", _e(_duration(execution.get("durationSeconds")))),
        ("Started by", f'<span class="mono">{_e(execution.get("initiatedBy"))}</span>'),
        ("Options", f'<span class="small">{_e(shown_options)}</span>'),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _waves_table(report: Mapping[str, Any], day: date | None) -> str:
    rows = []
    for wave in report["waves"]:
        servers = wave["servers"]
        ready = sum(1 for s in servers if s.get("ready"))
        failed = sum(1 for s in servers if _failed(s))
        notes = [*(wave.get("warnings") or [])]
        rows.append(
            "<tr>"
            + _td(_e(wave.get("waveNumber")), "num")
            + _td(_e(wave.get("waveName")), "wrap")
            + _td(_status(wave.get("status")) + _wave_operator_note(wave), "wrap")
            + _td(_time(wave.get("startTime"), day), "time")
            + _td(_time(wave.get("endTime"), day), "time")
            + _td(_e(_duration(wave.get("durationSeconds"))), "num")
            + _td(f"{len(servers)}", "num")
            + _td(f"{ready}", "num")
            + _td(f"{failed}", "num")
            + _td("<br>".join(f'<span class="mono">{_e(j)}</span>' for j in wave.get("jobIds") or []) or "-")
            + _error_td(wave.get("error"))
            + _td("<br>".join(_e(n) for n in notes) or "-", "wrap")
            + "</tr>"
        )
    headers = [
        ("#", "num"),
        ("Wave", ""),
        ("Status", ""),
        ("Start", ""),
        ("End", ""),
        ("Duration", "num"),
        ("Servers", "num"),
        ("Ready", "num"),
        ("Failed", "num"),
        ("DRS jobs", ""),
        ("Error", ""),
        ("Warnings", ""),
    ]
    return _table(headers, rows, css="waves")


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _wave_operator_note(wave: Mapping[str, Any]) -> str:
    """Under a wave's status: who skipped it (and why), or how often it was retried and by whom."""
    notes = []
    if wave.get("status") == "SKIPPED":
        why = f": {_e(wave.get('skipComment'))}" if wave.get("skipComment") else ""
        notes.append(f'skipped by <span class="mono">{_e(wave.get("skippedBy") or "unknown")}</span>{why}')
    retries = wave.get("retries")
    if isinstance(retries, int) and retries > 0:
        by = (
            f' (last by <span class="mono">{_e(wave.get("retriedBy"))}</span>)'
            if wave.get("retriedBy")
            else ""
        )
        notes.append(f"retried {_times(retries)}{by}")
    if wave.get("phase"):
        notes.append(_e(str(wave["phase"]).replace("_", " ").lower()))
    return "".join(f'<br><span class="small">{n}</span>' for n in notes)


def _target(action: Mapping[str, Any]) -> str:
    """What an action runs (never its payload or parameters)."""
    if action.get("functionName"):
        return f'function <span class="mono">{_e(action["functionName"])}</span>'
    if action.get("documentName"):
        return f'document <span class="mono">{_e(action["documentName"])}</span>'
    if action.get("type") == "WAIT" and isinstance(action.get("waitSeconds"), int):
        return f"waits {_e(_duration(action['waitSeconds']))}"
    if action.get("type") == "APPROVAL":
        return f"waits up to {_e(_duration(action.get('timeoutSeconds')))} for a resume"
    return ""


def _action_result(action: Mapping[str, Any], day: date | None) -> str:
    parts = []
    if action.get("type") == "APPROVAL" and action.get("approvedBy"):
        parts.append(
            f'<span class="approval">Approved by <span class="mono">{_e(action["approvedBy"])}</span> '
            f"at {_time(action.get('endTime'), day)}</span>"
        )
    if action.get("comment"):
        parts.append(f'<span class="comment">\u201c{_e(action["comment"])}\u201d</span>')
    if action.get("error"):
        parts.append(f'<span class="errtext">{_e(action["error"])}</span>')
    text = "<br>".join(parts)
    return text + _pre(action.get("output")) if (text or action.get("output")) else "-"


def _runbook(report: Mapping[str, Any], day: date | None) -> str:
    """Each wave's runbook actions, in the order they run: what, how it went, and its evidence."""
    headers = [
        ("Stage", ""),
        ("Action", ""),
        ("Status", ""),
        ("Attempts", "num"),
        ("Start", ""),
        ("End", ""),
        ("Duration", "num"),
        ("Result, output", ""),
    ]
    parts = []
    for wave in report["waves"]:
        actions = wave.get("actions") or []
        if not actions:
            continue
        title = f"Wave {wave.get('waveNumber')} \u00b7 {wave.get('waveName')}"
        parts.append(
            f'<h3 id="wave-{_e(wave.get("waveNumber"))}-runbook">{_e(title)} '
            f'<span class="small">({len(actions)} action{"s" if len(actions) != 1 else ""}, '
            f"{_status(wave.get('status'))})</span></h3>"
        )
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
                + _td(_e(STAGE_WORDS.get(str(action.get("stage")), action.get("stage"))))
                + _td(
                    f"<strong>{_e(action.get('name'))}</strong>"
                    + f'<br><span class="small">{_e(action.get("type"))}'
                    + (f" \u00b7 {target}" if target else "")
                    + "</span>",
                    "wrap",
                )
                + _td(_status(action.get("status")) + on_failure)
                + _td(f"{_e(action.get('attempts'))}/{_e(action.get('maxAttempts'))}", "num")
                + _td(_time(action.get("startTime"), day), "time")
                + _td(_time(action.get("endTime"), day), "time")
                + _td(_e(_duration(action.get("durationSeconds"))), "num")
                + _td(_action_result(action, day), "wrap result")
                + "</tr>"
            )
        parts.append(_table(headers, rows, css="runbook"))
    if not parts:
        return '<p class="none">The plan has no runbook action (no pre- or post-actions).</p>'
    intro = (
        '<p class="small">Pre-actions run before a wave\u2019s launch, post-actions once its servers are '
        "ready: a wave, and the application it recovers, is COMPLETED only when its post-actions "
        "succeeded (a failure of an action with onFailure CONTINUE is a warning).</p>"
    )
    return intro + "".join(parts)


def _approvals(report: Mapping[str, Any], day: date | None) -> str:
    """Who approved what, and when: every APPROVAL action of the runbook."""
    rows = []
    for wave in report["waves"]:
        for action in wave.get("actions") or []:
            if action.get("type") != "APPROVAL":
                continue
            rows.append(
                "<tr>"
                + _td(_e(wave.get("waveNumber")), "num")
                + _td(
                    f"<strong>{_e(action.get('name'))}</strong>"
                    f'<br><span class="small">{_e(STAGE_WORDS.get(str(action.get("stage")), ""))}-action</span>',
                    "wrap",
                )
                + _td(_status(action.get("status")))
                + _td(_time(action.get("startTime"), day), "time")
                + _td(_time(action.get("endTime"), day) if action.get("approvedBy") else "-", "time")
                + f'<td class="num" data-seconds="{_e(action.get("waitedSeconds"))}">'
                f"{_e(_duration(action.get('waitedSeconds')))}</td>"
                + _td(f'<span class="mono">{_e(action.get("approvedBy"))}</span>', "wrap")
                + _td(_e(action.get("comment")), "wrap")
                + "</tr>"
            )
    if not rows:
        return ""
    headers = [
        ("Wave", "num"),
        ("Approval", ""),
        ("Status", ""),
        ("Asked", ""),
        ("Approved at", ""),
        ("Waited", "num"),
        ("Approved by", ""),
        ("Comment", ""),
    ]
    return "<h3>Approvals</h3>" + _table(headers, rows, css="approvals")


def _servers_tables(report: Mapping[str, Any], day: date | None) -> str:
    headers = [
        ("Source server", ""),
        ("Hostname", ""),
        ("Impact", ""),
        ("Launch status", ""),
        ("Phase", ""),
        ("Instance", ""),
        ("Private IP", ""),
        ("Type", ""),
        ("Launched", ""),
        ("Ready", ""),
        ("Recovery time", "num"),
        ("Error", ""),
    ]
    parts = []
    for wave in report["waves"]:
        servers = wave["servers"]
        title = f"Wave {wave.get('waveNumber')} \u00b7 {wave.get('waveName')}"
        parts.append(
            f'<h3 id="wave-{_e(wave.get("waveNumber"))}-servers">{_e(title)} '
            f'<span class="small">({len(servers)} server{"s" if len(servers) != 1 else ""}, '
            f"{_status(wave.get('status'))})</span></h3>"
        )
        if not servers:
            parts.append('<p class="none">No server in this wave.</p>')
            continue
        rows = []
        for server in servers:
            ready = _parse_ready(server, day)
            instance = _e(server.get("ec2InstanceId"))
            if server.get("ec2State"):
                instance += f'<br><span class="small">{_e(server.get("ec2State"))}</span>'
            rows.append(
                "<tr>"
                + _td(f'<span class="mono">{_e(server.get("sourceServerId"))}</span>', "wrap")
                + _td(_e(server.get("hostname")), "wrap")
                + _td(_e(server.get("impactLevel")))
                + _td(_launch_status(server))
                + _td(_status(server.get("phase")) if server.get("phase") else "-")
                + _td(instance, "mono wrap")
                + _td(_e(server.get("privateIp")), "mono")
                + _td(_e(server.get("instanceType")))
                + _td(_time(server.get("launchTime"), day), "time")
                + _td(ready, "time")
                + _td(_e(_duration(server.get("recoveryTimeSeconds"))), "num")
                + _error_td(server.get("error"))
                + "</tr>"
            )
        parts.append(_table(headers, rows, css="servers"))
    return "".join(parts)


def _launch_status(server: Mapping[str, Any]) -> str:
    """DRS's launch status; none for a server DRS never launched (its phase says NOT_LAUNCHED)."""
    if server.get("phase") == "NOT_LAUNCHED":
        return "-"
    return _status(server.get("launchStatus") or "PENDING")


def _parse_ready(server: Mapping[str, Any], day: date | None) -> str:
    for phase in server.get("phases") or []:
        if phase.get("phase") == "READY":
            return _time(phase.get("start"), day)
    return "yes" if server.get("ready") else "no"


def _actions(report: Mapping[str, Any], day: date | None) -> str:
    rows = [
        "<tr>"
        + _td(_time(a.get("time"), day), "time")
        + _td(_e(ACTION_LABELS.get(str(a.get("type")), a.get("type"))))
        + _td(_e(a.get("waveNumber")), "num")
        + _td(f'<span class="mono">{_e(a.get("actor"))}</span>', "wrap")
        + _td(_e(a.get("message")), "wrap")
        + "</tr>"
        for a in report["actions"]
    ]
    actions = (
        _table([("Time", ""), ("Action", ""), ("Wave", "num"), ("By", ""), ("What", "")], rows, css="actions")
        if rows
        else '<p class="none">No operator action recorded.</p>'
    )
    pause_rows = []
    for pause in report["pauses"]:
        start, end = pause.get("start"), pause.get("end")
        length = pause.get("seconds")  # the report model's, which add up to the paused total
        why = PAUSE_REASONS.get(str(pause.get("reason")), "before the wave")
        if pause.get("reason") == "APPROVAL":
            why = f"approval <strong>{_e(pause.get('action'))}</strong>"
        else:
            why = _e(why)
        pause_rows.append(
            "<tr>"
            + _td(_e(pause.get("waveNumber") or pause.get("beforeWave")), "num")
            + _td(why, "wrap")
            + _td(_time(start, day), "time")
            + _td(_time(end, day), "time")
            + f'<td class="num" data-seconds="{_e(length)}">{_e(_duration(length))}</td>'
            + _td(_e(ENDED_WITH.get(str(pause.get("endedWith")), pause.get("endedWith"))))
            + _td(f'<span class="mono">{_e(pause.get("endedBy"))}</span>', "wrap")
            + "</tr>"
        )
    pauses = (
        "<h3>Pauses</h3>"
        + _table(
            [
                ("Wave", "num"),
                ("Waiting for", ""),
                ("From", ""),
                ("To", ""),
                ("Length", "num"),
                ("Ended by", ""),
                ("Who", ""),
            ],
            pause_rows,
            css="pauses",
        )
        if pause_rows
        else ""
    )
    return actions + _approvals(report, day) + pauses


def _jobs(report: Mapping[str, Any]) -> str:
    rows = [
        "<tr>"
        + _td(_e(f"Wave {w.get('waveNumber')} \u00b7 {w.get('waveName')}"), "wrap")
        + _td("recovery")
        + _td(", ".join(f'<span class="mono">{_e(j)}</span>' for j in w.get("jobIds") or []))
        + "</tr>"
        for w in report["waves"]
        if w.get("jobIds")
    ]
    for event in report["timeline"]:
        details = event.get("details")
        if event.get("type") == "TERMINATION_STARTED" and isinstance(details, Mapping):
            jobs = details.get("jobIds")
            if isinstance(jobs, list) and jobs:
                rows.append(
                    "<tr>"
                    + _td(_e(f"Termination ({_full_time(event.get('time'))})"))
                    + _td("termination")
                    + _td(", ".join(f'<span class="mono">{_e(j)}</span>' for j in jobs))
                    + "</tr>"
                )
    if not rows:
        return '<p class="none">No DRS job was submitted.</p>'
    return _table([("For", ""), ("Kind", ""), ("DRS job ids", "")], rows, css="jobs")


def _problems(report: Mapping[str, Any]) -> str:
    errors = report["errors"]
    warnings = report["warnings"]
    failed = [(w, s) for w in report["waves"] for s in w["servers"] if _failed(s)]
    parts = ["<h3>Errors</h3>"]
    parts.append(
        '<ul class="plain errors">' + "".join(f"<li>{_e(e)}</li>" for e in errors) + "</ul>"
        if errors
        else '<p class="none">No error.</p>'
    )
    if failed:
        shown = failed[:100]
        items = "".join(
            f"<li>wave {_e(w.get('waveNumber'))}: {_e(_server_name(s))} "
            f'<span class="small mono">{_e(s.get("sourceServerId"))}</span> ({_e(s.get("impactLevel"))}): '
            f"{_e(s.get('error') or 'failed')}</li>"
            for w, s in shown
        )
        more = (
            f"<li>and {len(failed) - len(shown)} more (see the servers tables)</li>"
            if len(failed) > 100
            else ""
        )
        parts.append(f'<h3>Failed servers ({len(failed)})</h3><ul class="plain errors">{items}{more}</ul>')
    parts.append("<h3>Warnings</h3>")
    parts.append(
        '<ul class="plain">' + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"
        if warnings
        else '<p class="none">No warning.</p>'
    )
    return "".join(parts)


def _instances(report: Mapping[str, Any]) -> str:
    state = report["recoveryInstances"]
    can = "yes" if state.get("canTerminate") else f"no ({state.get('reason') or 'not applicable'})"
    facts = [
        ("Recovery instances", "yes" if state.get("hasRecoveryInstances") else "none"),
        ("Terminated", "yes" if state.get("terminated") else "no"),
        ("Termination status", state.get("terminationStatus") or "-"),
        ("Can be terminated now", can),
    ]
    head = '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>"
    running = _running_instances(report)
    listed = [(w, s) for w in report["waves"] for s in w["servers"] if s.get("ec2InstanceId")]
    if not listed:
        return head
    rows = [
        "<tr>"
        + _td(_e(w.get("waveNumber")), "num")
        + _td(_e(_server_name(s)), "wrap")
        + _td(_e(s.get("ec2InstanceId")), "mono")
        + _td(_e(s.get("recoveryInstanceId")), "mono wrap")
        + _td(_e(s.get("ec2State")))
        + "</tr>"
        for w, s in listed
    ]
    caption = (
        f"{len(listed)} recovery instance{'s' if len(listed) != 1 else ''}, {len(running)} still running"
    )
    return head + _table(
        [("Wave", "num"), ("Server", ""), ("EC2 instance", ""), ("DRS recovery instance", ""), ("State", "")],
        rows,
        caption=_e(caption),
        css="instances",
    )


def _details(details: Any) -> str:
    if not isinstance(details, Mapping) or not details:
        return ""
    shown = dict(details)
    if isinstance(shown.get("output"), str):
        # an action's output: its start here, the whole of it in the runbook
        shown["output"] = _clip(_clean(shown["output"]), TIMELINE_OUTPUT_CHARS)
    return _e(json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False))


def _timeline(report: Mapping[str, Any], day: date | None) -> str:
    events = report["timeline"]
    if not events:
        return '<p class="none">No event recorded.</p>'
    rows = [
        "<tr>"
        + _td(_time(e.get("time"), day), "time")
        + _td(f'<span class="mono small">{_e(e.get("type"))}</span>')
        + _td(_e(e.get("waveNumber")), "num")
        + _td(
            _e(e.get("message"))
            + (f'<br><span class="small">{d}</span>' if (d := _details(e.get("details"))) else ""),
            "wrap",
        )
        + _td(f'<span class="mono">{_e(e.get("actor"))}</span>', "wrap")
        + "</tr>"
        for e in events
    ]
    return _table(
        [("Time", ""), ("Event", ""), ("Wave", "num"), ("What happened", ""), ("By", "")],
        rows,
        caption=f"{len(events)} event{'s' if len(events) != 1 else ''}, oldest first",
        css="timeline",
    )


def render_html(report: Mapping[str, Any]) -> str:
    """The report (reports.model.build_report's output) as one self-contained HTML page."""
    execution = report["execution"]
    kind = str(execution.get("executionType") or "").upper()
    kind_word = "Recovery" if kind == "RECOVERY" else "Drill"
    start = _parse(execution.get("startTime"))
    day = start.date() if start else None
    color = _status_color(str(execution.get("status")))
    provisional = (
        ""
        if report.get("final")
        else '<p class="provisional"><strong>Provisional:</strong> the execution had not ended when this '
        f"report was generated ({_full_time(report.get('generatedAt'))}).</p>"
    )
    chart = _chart(report)
    target = report["recoveryTime"].get("targetSeconds")
    beyond = (
        f" The RTO target ({_e(_duration(target))}) lies beyond the chart\u2019s end."
        if target is not None and 'class="target-line"' not in chart and 'class="gantt"' in chart
        else ""
    )
    body = f"""<header class="report">
<p class="kicker">DRS Orchestrator \u00b7 {kind_word} report</p>
<h1><span class="tag">{_e(kind or "DRILL")}</span> {_e(execution.get("planName"))}</h1>
<p class="sub">Execution <span class="mono">{_e(execution.get("executionId"))}</span> \u00b7 started
{_full_time(execution.get("startTime"))} \u00b7 report generated {_full_time(report.get("generatedAt"))}</p>
{provisional}
</header>
<main>
<section aria-labelledby="outcome"><h2 id="outcome">Outcome</h2>
<div class="outcome"><div>
<p class="status status-{color}" data-status="{_e(execution.get("status"))}">{_e(execution.get("statusLabel"))}</p>
{_facts(report)}
{_wave_summary(report)}
</div>
{_verdict(report)}
</div></section>
<section aria-labelledby="chart"><h2 id="chart">Timeline</h2>
<figure class="chart">{chart}
<figcaption>Times are offsets from the start; all times in this report are UTC (dates shown only
when they differ from the start date). At most {MAX_CHART_SERVERS} servers are drawn per wave.{beyond}</figcaption>
{_legend(report, chart)}</figure></section>
<section aria-labelledby="waves"><h2 id="waves">Waves</h2>{_waves_table(report, day)}</section>
<section aria-labelledby="runbook"><h2 id="runbook">Runbook actions</h2>{_runbook(report, day)}</section>
<section aria-labelledby="servers"><h2 id="servers">Servers</h2>{_servers_tables(report, day)}</section>
<section aria-labelledby="actions"><h2 id="actions">Operator actions</h2>{_actions(report, day)}</section>
<section aria-labelledby="jobs"><h2 id="jobs">DRS jobs</h2>{_jobs(report)}</section>
<section aria-labelledby="problems"><h2 id="problems">Errors and warnings</h2>{_problems(report)}</section>
<section aria-labelledby="instances"><h2 id="instances">Recovery instances</h2>{_instances(report)}</section>
<section aria-labelledby="events"><h2 id="events">Full timeline</h2>{_timeline(report, day)}</section>
</main>
<footer>Generated by DRS Orchestrator at {_full_time(report.get("generatedAt"))} \u00b7 report schema
version {_e(report.get("schemaVersion"))} \u00b7 the JSON rendering of this report is the record of reference.</footer>"""
    title = f"{kind_word} report: {execution.get('planName')} ({execution.get('executionId')})"
    return PAGE.substitute(
        title=_e(title), css=CSS, body=body, schema_version=_e(report.get("schemaVersion"))
    )


def _status_color(status: str) -> str:
    try:
        return status_color(status)
    except ValueError:
        return "grey"
