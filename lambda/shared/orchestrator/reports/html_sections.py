"""The evidence sections of the drill report page (reports.html puts them together): the servers
and their launch, what operators did and approved, the DRS jobs, errors and warnings, the recovery
instances and the full timeline. Every value from a user or from AWS goes through ``esc`` before it
is written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from execution_utils import cost_text, format_usd, server_label
from orchestrator.reports.formatting import (
    Header,
    cell,
    clean_text,
    clip,
    duration_text,
    error_cell,
    esc,
    full_time,
    html_table,
    server_failed,
    server_name,
    status_badge,
    table_time,
    wave_heading,
)

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
STAGE_WORDS = {"PRE": "pre", "POST": "post"}
# An action's output shown in the full timeline's details (the runbook shows it whole).
TIMELINE_OUTPUT_CHARS = 160
_GONE_EC2_STATES = frozenset({"terminated", "shutting-down"})


def running_instances(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    if report["recoveryInstances"].get("terminated"):
        return []
    return [
        (wave, server)
        for wave in report["waves"]
        for server in wave["servers"]
        if server.get("ec2InstanceId") and str(server.get("ec2State") or "") not in _GONE_EC2_STATES
    ]


def _approvals(report: Mapping[str, Any], day: date | None) -> str:
    """Who approved what, and when: every APPROVAL action of the runbook."""
    rows = []
    for wave in report["waves"]:
        for action in wave.get("actions") or []:
            if action.get("type") != "APPROVAL":
                continue
            rows.append(
                "<tr>"
                + cell(esc(wave.get("waveNumber")), "num")
                + cell(
                    f"<strong>{esc(action.get('name'))}</strong>"
                    f'<br><span class="small">{esc(STAGE_WORDS.get(str(action.get("stage")), ""))}-action</span>',
                    "wrap",
                )
                + cell(status_badge(action.get("status")))
                + cell(table_time(action.get("startTime"), day), "time")
                + cell(table_time(action.get("endTime"), day) if action.get("approvedBy") else "-", "time")
                + f'<td class="num" data-seconds="{esc(action.get("waitedSeconds"))}">'
                f"{esc(duration_text(action.get('waitedSeconds')))}</td>"
                + cell(f'<span class="mono">{esc(action.get("approvedBy"))}</span>', "wrap")
                + cell(esc(action.get("comment")), "wrap")
                + "</tr>"
            )
    if not rows:
        return ""
    headers: list[Header] = [
        ("Wave", "num"),
        "Approval",
        "Status",
        "Asked",
        "Approved at",
        ("Waited", "num"),
        "Approved by",
        "Comment",
    ]
    return "<h3>Approvals</h3>" + html_table(headers, rows, css="approvals")


def servers_section(report: Mapping[str, Any], day: date | None) -> str:
    headers: list[Header] = [
        "Source server",
        "Hostname",
        "Impact",
        "Launch status",
        "Phase",
        "Instance",
        "Private IP",
        "Type",
        "Launched",
        "Ready",
        ("Recovery time", "num"),
        "Error",
    ]
    parts = []
    for wave in report["waves"]:
        servers = wave["servers"]
        parts.append(wave_heading(wave, "servers", len(servers), "server"))
        if not servers:
            parts.append('<p class="none">No server in this wave.</p>')
            continue
        rows = []
        for server in servers:
            ready = _parse_ready(server, day)
            instance = esc(server.get("ec2InstanceId"))
            if server.get("ec2State"):
                instance += f'<br><span class="small">{esc(server.get("ec2State"))}</span>'
            rows.append(
                "<tr>"
                + cell(f'<span class="mono">{esc(server.get("sourceServerId"))}</span>', "wrap")
                + cell(esc(server.get("hostname")), "wrap")
                + cell(esc(server.get("impactLevel")))
                + cell(_launch_status(server))
                + cell(status_badge(server.get("phase")) if server.get("phase") else "-")
                + cell(instance, "mono wrap")
                + cell(esc(server.get("privateIp")), "mono")
                + cell(esc(server.get("instanceType")))
                + cell(table_time(server.get("launchTime"), day), "time")
                + cell(ready, "time")
                + cell(esc(duration_text(server.get("recoveryTimeSeconds"))), "num")
                + error_cell(server.get("error"))
                + "</tr>"
            )
        parts.append(html_table(headers, rows, css="servers"))
    return "".join(parts)


def _launch_status(server: Mapping[str, Any]) -> str:
    """DRS's launch status; none for a server DRS never launched (its phase says NOT_LAUNCHED)."""
    if server.get("phase") == "NOT_LAUNCHED":
        return "-"
    return status_badge(server.get("launchStatus") or "PENDING")


def _parse_ready(server: Mapping[str, Any], day: date | None) -> str:
    for phase in server.get("phases") or []:
        if phase.get("phase") == "READY":
            return table_time(phase.get("start"), day)
    return "yes" if server.get("ready") else "no"


def operator_actions_section(report: Mapping[str, Any], day: date | None) -> str:
    rows = [
        "<tr>"
        + cell(table_time(a.get("time"), day), "time")
        + cell(esc(ACTION_LABELS.get(str(a.get("type")), a.get("type"))))
        + cell(esc(a.get("waveNumber")), "num")
        + cell(f'<span class="mono">{esc(a.get("actor"))}</span>', "wrap")
        + cell(esc(a.get("message")), "wrap")
        + "</tr>"
        for a in report["actions"]
    ]
    actions = (
        html_table(["Time", "Action", ("Wave", "num"), "By", "What"], rows, css="actions")
        if rows
        else '<p class="none">No operator action recorded.</p>'
    )
    pause_rows = []
    for pause in report["pauses"]:
        start, end = pause.get("start"), pause.get("end")
        length = pause.get("seconds")  # the report model's, which add up to the paused total
        why = PAUSE_REASONS.get(str(pause.get("reason")), "before the wave")
        if pause.get("reason") == "APPROVAL":
            why = f"approval <strong>{esc(pause.get('action'))}</strong>"
        else:
            why = esc(why)
        pause_rows.append(
            "<tr>"
            + cell(esc(pause.get("waveNumber") or pause.get("beforeWave")), "num")
            + cell(why, "wrap")
            + cell(table_time(start, day), "time")
            + cell(table_time(end, day), "time")
            + f'<td class="num" data-seconds="{esc(length)}">{esc(duration_text(length))}</td>'
            + cell(esc(ENDED_WITH.get(str(pause.get("endedWith")), pause.get("endedWith"))))
            + cell(f'<span class="mono">{esc(pause.get("endedBy"))}</span>', "wrap")
            + "</tr>"
        )
    pauses = (
        "<h3>Pauses</h3>"
        + html_table(
            [
                ("Wave", "num"),
                "Waiting for",
                "From",
                "To",
                ("Length", "num"),
                "Ended by",
                "Who",
            ],
            pause_rows,
            css="pauses",
        )
        if pause_rows
        else ""
    )
    return actions + _approvals(report, day) + pauses


def jobs_section(report: Mapping[str, Any]) -> str:
    rows = [
        "<tr>"
        + cell(esc(f"Wave {w.get('waveNumber')} \u00b7 {w.get('waveName')}"), "wrap")
        + cell("recovery")
        + cell(", ".join(f'<span class="mono">{esc(j)}</span>' for j in w.get("jobIds") or []))
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
                    + cell(esc(f"Termination ({full_time(event.get('time'))})"))
                    + cell("termination")
                    + cell(", ".join(f'<span class="mono">{esc(j)}</span>' for j in jobs))
                    + "</tr>"
                )
    if not rows:
        return '<p class="none">No DRS job was submitted.</p>'
    return html_table(["For", "Kind", "DRS job ids"], rows, css="jobs")


def problems_section(report: Mapping[str, Any]) -> str:
    errors = report["errors"]
    warnings = report["warnings"]
    failed = [(w, s) for w in report["waves"] for s in w["servers"] if server_failed(s)]
    parts = ["<h3>Errors</h3>"]
    parts.append(
        '<ul class="plain errors">' + "".join(f"<li>{esc(e)}</li>" for e in errors) + "</ul>"
        if errors
        else '<p class="none">No error.</p>'
    )
    if failed:
        shown = failed[:100]
        items = "".join(
            f"<li>wave {esc(w.get('waveNumber'))}: {esc(server_name(s))} "
            f'<span class="small mono">{esc(s.get("sourceServerId"))}</span> ({esc(s.get("impactLevel"))}): '
            f"{esc(s.get('error') or 'failed')}</li>"
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
        '<ul class="plain">' + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>"
        if warnings
        else '<p class="none">No warning.</p>'
    )
    return "".join(parts)


def instances_section(report: Mapping[str, Any]) -> str:
    state = report["recoveryInstances"]
    can = "yes" if state.get("canTerminate") else f"no ({state.get('reason') or 'not applicable'})"
    facts = [
        ("Recovery instances", "yes" if state.get("hasRecoveryInstances") else "none"),
        ("Terminated", "yes" if state.get("terminated") else "no"),
        ("Termination status", state.get("terminationStatus") or "-"),
        ("Can be terminated now", can),
    ]
    head = '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts) + "</dl>"
    running = running_instances(report)
    listed = [(w, s) for w in report["waves"] for s in w["servers"] if s.get("ec2InstanceId")]
    if not listed:
        return head
    rows = [
        "<tr>"
        + cell(esc(w.get("waveNumber")), "num")
        + cell(esc(server_label(s)), "wrap")
        + cell(esc(s.get("ec2InstanceId")), "mono")
        + cell(esc(s.get("recoveryInstanceId")), "mono wrap")
        + cell(esc(s.get("ec2State")))
        + "</tr>"
        for w, s in listed
    ]
    caption = (
        f"{len(listed)} recovery instance{'s' if len(listed) != 1 else ''}, {len(running)} still running"
    )
    return head + html_table(
        [("Wave", "num"), "Server", "EC2 instance", "DRS recovery instance", "State"],
        rows,
        caption=esc(caption),
        css="instances",
    )


def _details(details: Any) -> str:
    if not isinstance(details, Mapping) or not details:
        return ""
    shown = dict(details)
    if isinstance(shown.get("output"), str):
        # an action's output: its start here, the whole of it in the runbook
        shown["output"] = clip(clean_text(shown["output"]), TIMELINE_OUTPUT_CHARS)
    return esc(json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False))


def timeline_section(report: Mapping[str, Any], day: date | None) -> str:
    events = report["timeline"]
    if not events:
        return '<p class="none">No event recorded.</p>'
    rows = [
        "<tr>"
        + cell(table_time(e.get("time"), day), "time")
        + cell(f'<span class="mono small">{esc(e.get("type"))}</span>')
        + cell(esc(e.get("waveNumber")), "num")
        + cell(
            esc(e.get("message"))
            + (f'<br><span class="small">{d}</span>' if (d := _details(e.get("details"))) else ""),
            "wrap",
        )
        + cell(f'<span class="mono">{esc(e.get("actor"))}</span>', "wrap")
        + "</tr>"
        for e in events
    ]
    return html_table(
        ["Time", "Event", ("Wave", "num"), "What happened", "By"],
        rows,
        caption=f"{len(events)} event{'s' if len(events) != 1 else ''}, oldest first",
        css="timeline",
    )


def cost_section(report: Mapping[str, Any]) -> str:
    """What the recovery instances cost: an estimate from list prices, each type with its hours, a
    type without a known price listed and left out of the total."""
    cost = report["cost"]
    summary = f'<p class="cost-summary" data-total="{esc(cost["estimatedTotal"])}">{esc(cost_text(cost))}</p>'
    note = (
        '<p class="note">An estimate: on-demand list prices of the AWS Price List (shared tenancy, '
        "the Region's price) times each instance's hours from launch to termination; not a bill.</p>"
    )
    if not cost["types"]:
        return summary + '<p class="none">No recovery instance was launched.</p>'
    rows = [
        "<tr>"
        + cell(esc(t["instanceType"]), "mono")
        + cell(esc(t["operatingSystem"]))
        + cell(esc(t["instances"]), "num")
        + cell(esc(f"{t['instanceHours']:g}"), "num")
        + cell(esc(format_usd(t["hourlyPrice"])), "num")
        + cell(
            esc(format_usd(t["estimatedCost"]) if t["hourlyPrice"] is not None else "not in the total"), "num"
        )
        + cell(esc(t["runningInstances"] or "-"), "num")
        + "</tr>"
        for t in cost["types"]
    ]
    return (
        summary
        + html_table(
            [
                ("Instance type", ""),
                ("Operating system", ""),
                ("Instances", "num"),
                ("Instance-hours", "num"),
                ("Hourly price", "num"),
                ("Estimated cost", "num"),
                ("Still running", "num"),
            ],
            rows,
            caption=esc(f"Estimated cost (USD): {format_usd(cost['estimatedTotal'])}"),
            css="cost",
        )
        + note
    )
