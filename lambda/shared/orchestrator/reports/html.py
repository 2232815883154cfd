"""The drill report as one self-contained HTML page: the outcome and the RTO verdict, a Gantt chart
of the waves and their servers (inline SVG), the tables auditors read, and the full timeline.

Pure (no I/O): ``render_html(build_report(...))``. Every value that comes from a user or from AWS
(names, hostnames, comments, errors, principals) goes through ``_e`` (html.escape) before it is
written, in text and in attributes alike; the page also carries a Content-Security-Policy that
allows no script at all. Readable on screen and printed on A4 (template.CSS)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from execution_utils import format_duration, status_color
from orchestrator.reports.template import CSS, PAGE

# At most this many servers of a wave are drawn in the chart (then "+N more"), so that a wave of a
# thousand servers still prints on one page; the servers tables always list every server.
MAX_CHART_SERVERS = 50

WAVE_COLORS = {
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#8d8d8d",
    "IN_PROGRESS": "#1565c0",
    "NOT_STARTED": "#c7c7c7",
}
PHASE_COLORS = {
    "SNAPSHOT": "#9fa8da",
    "CONVERTING": "#ffb74d",
    "LAUNCHING": "#4fc3f7",
    "LAUNCHED": "#81c784",
}
PHASE_LABELS = {
    "SNAPSHOT": "Snapshot",
    "CONVERTING": "Converting",
    "LAUNCHING": "Launching",
    "LAUNCHED": "Launched \u2192 ready",
}
READY_COLOR = "#1b5e20"
FAILED_COLOR = "#c62828"
PAUSE_FILL = "#fff1a8"
TARGET_COLOR = "#b3261e"
RECOVERED_COLOR = "#1b5e20"

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
    "CANCEL_REQUESTED": "Cancel requested",
    "TERMINATION_STARTED": "Termination started",
}
ENDED_WITH = {
    "RESUMED": "resumed",
    "CANCEL_REQUESTED": "cancelled",
    "EXECUTION_FINISHED": "execution ended",
}
_GONE_EC2_STATES = frozenset({"terminated", "shutting-down"})

# Chart geometry, in SVG user units (the SVG scales to the page width).
_W = 1000
_PLOT_X0 = 215
_PLOT_X1 = 985
_TOP = 30
_WAVE_ROW = 34
_SERVER_ROW = 12
_MORE_ROW = 14
_AXIS = 34
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


# --- values -------------------------------------------------------------------------------------------


def _e(value: Any, empty: str = "-") -> str:
    """A value as escaped HTML text (also safe inside a double- or single-quoted attribute)."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value), quote=True)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _full_time(value: Any) -> str:
    moment = _parse(value)
    if moment is None:
        return _e(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _time(value: Any, day: date | None) -> str:
    """A time in a table: HH:MM:SS on the execution's first day, with the date on any other."""
    moment = _parse(value)
    if moment is None:
        return _e(value)
    if day is not None and moment.date() == day:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: Any) -> str:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "-"
    return format_duration(int(seconds))


def _short(seconds: float) -> str:
    """A compact offset for the chart's axis: 0, 30s, 5m, 1h 30m, 2d."""
    whole = round(seconds)
    if whole == 0:
        return "0"
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{secs}s" if secs else "")
    return " ".join(p for p in parts if p)


def _status(value: Any) -> str:
    text = str(value or "")
    css = "".join(c for c in text if c.isalnum() or c == "_")
    return f'<span class="st st-{css}">{_e(text.replace("_", " "))}</span>'


def _server_name(server: Mapping[str, Any]) -> str:
    return str(server.get("hostname") or server.get("sourceServerId") or "?")


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def _table(headers: Sequence[tuple[str, str]], rows: Iterable[str], caption: str = "", css: str = "") -> str:
    """A table; headers are (text, class) and already plain text; rows are escaped <tr> strings."""
    head = "".join(
        f'<th scope="col" class="{c}">{_e(h)}</th>' if c else f'<th scope="col">{_e(h)}</th>'
        for h, c in headers
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _error_td(value: Any) -> str:
    return _td(_e(value), "err") if value else _td("-")


def _td(value: str, css: str = "") -> str:
    return f'<td class="{css}">{value}</td>' if css else f"<td>{value}</td>"


# --- the chart ----------------------------------------------------------------------------------------


class _Scale:
    """Seconds since the execution's start -> x in the plot."""

    def __init__(self, start: datetime, seconds: float) -> None:
        self.start = start
        self.seconds = max(seconds, 1.0)

    def offset(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds()

    def x(self, moment: datetime | None) -> float:
        offset = self.seconds if moment is None else self.offset(moment)
        offset = min(max(offset, 0.0), self.seconds)
        return _PLOT_X0 + offset / self.seconds * (_PLOT_X1 - _PLOT_X0)


def _moments(report: Mapping[str, Any]) -> Iterable[datetime | None]:
    execution = report["execution"]
    yield _parse(execution.get("endTime"))
    for wave in report["waves"]:
        yield _parse(wave.get("startTime"))
        yield _parse(wave.get("endTime"))
        for server in wave["servers"]:
            for phase in server.get("phases") or []:
                yield _parse(phase.get("start"))
                yield _parse(phase.get("end"))
    for pause in report["pauses"]:
        yield _parse(pause.get("end"))
    if not report.get("final"):
        yield _parse(report.get("generatedAt"))


def _tick_step(seconds: float) -> int:
    for step in _TICK_STEPS:
        if seconds / step <= 8:
            return step
    return int(seconds // 8) or 1


def _rect(
    x0: float, x1: float, y: float, height: float, *, fill: str, css: str, tip: str, extra: str = ""
) -> str:
    width = max(x1 - x0, 1.5)
    return (
        f'<rect class="{css}" x="{x0:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'fill="{fill}"{extra}><title>{tip}</title></rect>'
    )


def _span_tip(what: str, start: datetime | None, end: datetime | None, scale: _Scale) -> str:
    begin = "?" if start is None else f"+{_short(scale.offset(start))}"
    if end is None:
        return _e(f"{what}: from {begin}, still running")
    length = format_duration(int((end - start).total_seconds())) if start else "?"
    return _e(f"{what}: {begin} \u2192 +{_short(scale.offset(end))} ({length})")


def _server_rows(
    wave: Mapping[str, Any], y: float, scale: _Scale, day_end: datetime | None
) -> tuple[str, float]:
    parts: list[str] = []
    servers: list[Mapping[str, Any]] = list(wave["servers"])
    for server in _drawn(servers):
        name = _server_name(server)
        parts.append(
            f'<g class="server-row" data-server="{_e(server.get("sourceServerId"))}">'
            f'<text x="{_PLOT_X0 - 8}" y="{y + 9:.1f}" class="server-label" text-anchor="end">'
            f"{_e(_clip(name, 34))}</text>"
            f'<line x1="{_PLOT_X0}" x2="{_PLOT_X1}" y1="{y + 6:.1f}" y2="{y + 6:.1f}" class="lane"/>'
        )
        for phase in server.get("phases") or []:
            kind = str(phase.get("phase"))
            start = _parse(phase.get("start"))
            if start is None:
                continue
            if kind in ("READY", "FAILED"):
                color = READY_COLOR if kind == "READY" else FAILED_COLOR
                x = scale.x(start)
                tip = _e(f"{name}: {kind.lower()} at +{_short(scale.offset(start))}")
                parts.append(
                    f'<rect class="mark mark-{kind.lower()}" x="{x - 1.5:.1f}" y="{y + 0.5:.1f}" width="3" '
                    f'height="11" fill="{color}"><title>{tip}</title></rect>'
                )
                continue
            end = _parse(phase.get("end")) or day_end
            parts.append(
                _rect(
                    scale.x(start),
                    scale.x(end),
                    y + 2.5,
                    7,
                    fill=PHASE_COLORS.get(kind, "#bbbbbb"),
                    css=f"phase phase-{_e(kind.lower())}",
                    tip=_span_tip(f"{name} {PHASE_LABELS.get(kind, kind)}", start, end, scale),
                )
            )
        parts.append("</g>")
        y += _SERVER_ROW
    if len(servers) > MAX_CHART_SERVERS:
        more = len(servers) - MAX_CHART_SERVERS
        parts.append(
            f'<text x="{_PLOT_X0 - 8}" y="{y + 10:.1f}" class="more" text-anchor="end">+{more} more '
            f"server{'s' if more != 1 else ''}</text>"
            f'<text x="{_PLOT_X0}" y="{y + 10:.1f}" class="more">not drawn (drawn: the failed, then the slowest); '
            "every server is in the wave\u2019s servers table</text>"
        )
        y += _MORE_ROW
    return "".join(parts), y


def _last_moment(server: Mapping[str, Any]) -> str:
    return max((str(p.get("end") or p.get("start") or "") for p in server.get("phases") or []), default="")


def _drawn(servers: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The servers a wave's chart draws: all of them up to the cap, else the failed ones and then the
    slowest (those that decided the wave's length), in the order of the servers table."""
    if len(servers) <= MAX_CHART_SERVERS:
        return servers
    ranked = sorted(
        range(len(servers)),
        key=lambda n: (not _failed(servers[n]), _invert(_last_moment(servers[n]))),
    )
    return [servers[n] for n in sorted(ranked[:MAX_CHART_SERVERS])]


def _invert(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _failed(server: Mapping[str, Any]) -> bool:
    return (
        bool(server.get("error"))
        or server.get("launchStatus") == "FAILED"
        or "FAILED" in _phase_names(server)
    )


def _chart(report: Mapping[str, Any]) -> str:
    execution = report["execution"]
    start = _parse(execution.get("startTime"))
    if start is None:
        return '<p class="none">No start time recorded: nothing to draw.</p>'
    known = [m for m in _moments(report) if m is not None]
    last = max([start, *known])
    span = (last - start).total_seconds()
    recovery = report["recoveryTime"]
    target = recovery.get("targetSeconds")
    # The target line is drawn when it falls near the run; a target far beyond it would squash the bars.
    show_target = isinstance(target, int) and target <= max(span, 1) * 1.6
    if show_target and isinstance(target, int):
        span = max(span, float(target))
    span = max(span, 1.0) * 1.02
    scale = _Scale(start, span)
    end_of_chart = start + timedelta(seconds=span)
    live_end = _parse(report.get("generatedAt")) if not report.get("final") else None

    rows: list[str] = []
    y = float(_TOP)
    for wave in report["waves"]:
        number = wave.get("waveNumber")
        status = str(wave.get("status"))
        color = WAVE_COLORS.get(status, "#999999")
        w_start = _parse(wave.get("startTime"))
        w_end = _parse(wave.get("endTime"))
        label = _clip(f"Wave {number} \u00b7 {wave.get('waveName')}", 30)
        servers = len(wave["servers"])
        detail = f"{status.replace('_', ' ')} \u00b7 {_duration(wave.get('durationSeconds'))}"
        if w_start is None:
            detail = status.replace("_", " ") + (" (never started)" if status == "CANCELLED" else "")
        detail += f" \u00b7 {servers} server{'s' if servers != 1 else ''}"
        rows.append(
            f'<g class="wave-row" data-wave="{_e(number)}" data-status="{_e(status)}">'
            f'<line x1="0" x2="{_W}" y1="{y:.1f}" y2="{y:.1f}" class="sep"/>'
            f'<text x="{_PLOT_X0 - 8}" y="{y + 15:.1f}" class="wave-label" text-anchor="end">{_e(label)}</text>'
            f'<text x="{_PLOT_X0 - 8}" y="{y + 28:.1f}" class="wave-detail" text-anchor="end">{_e(detail)}</text>'
        )
        if w_start is not None:
            stop = w_end or live_end or end_of_chart
            open_end = "" if w_end else ' stroke="#333" stroke-dasharray="4 3"'
            rows.append(
                _rect(
                    scale.x(w_start),
                    scale.x(stop),
                    y + 8,
                    18,
                    fill=color,
                    css="wave-bar",
                    tip=_span_tip(
                        f"Wave {number} ({wave.get('waveName')}) {status.replace('_', ' ').lower()}",
                        w_start,
                        w_end,
                        scale,
                    ),
                    extra=open_end,
                )
            )
        else:
            rows.append(f'<text x="{_PLOT_X0 + 4}" y="{y + 21:.1f}" class="not-run">not run</text>')
        rows.append("</g>")
        y += _WAVE_ROW
        drawn, y = _server_rows(wave, y, scale, _parse(wave.get("endTime")) or live_end or end_of_chart)
        rows.append(drawn)
        y += 4
    bottom = y

    back: list[str] = []
    for pause in report["pauses"]:
        p_start = _parse(pause.get("start"))
        if p_start is None:
            continue
        p_end = _parse(pause.get("end"))
        x0, x1 = scale.x(p_start), scale.x(p_end)
        tip = _span_tip(f"Paused before wave {pause.get('beforeWave')}", p_start, p_end, scale)
        back.append(
            f'<g class="pause"><rect x="{x0:.1f}" y="{_TOP - 12}" width="{max(x1 - x0, 2):.1f}" '
            f'height="{bottom - _TOP + 12:.1f}" fill="{PAUSE_FILL}" fill-opacity="0.75" stroke="#c9a800" '
            f'stroke-dasharray="3 2"><title>{tip}</title></rect>'
            f'<text x="{x0 + 3:.1f}" y="{_TOP - 3}" class="pause-label">paused '
            f"{_e(_duration(int((p_end - p_start).total_seconds())) if p_end else '')}</text></g>"
        )

    axis: list[str] = [
        f'<line x1="{_PLOT_X0}" x2="{_PLOT_X1}" y1="{bottom:.1f}" y2="{bottom:.1f}" class="axis"/>'
    ]
    step = _tick_step(span)
    tick = 0
    while tick <= span:
        x = _PLOT_X0 + tick / span * (_PLOT_X1 - _PLOT_X0)
        axis.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 12}" y2="{bottom:.1f}" class="grid"/>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom:.1f}" y2="{bottom + 5:.1f}" class="axis"/>'
            f'<text x="{x:.1f}" y="{bottom + 17:.1f}" class="tick" text-anchor="middle">{_short(tick)}</text>'
        )
        tick += step
    axis.append(
        f'<text x="{_PLOT_X0 - 8}" y="{bottom + 17:.1f}" class="tick" text-anchor="end">'
        f"T+ from {_e(start.strftime('%H:%M:%S'))} UTC</text>"
    )

    marks: list[str] = []
    seconds = recovery.get("seconds")
    if show_target and isinstance(target, int):
        x = scale.x(start + timedelta(seconds=target))
        marks.append(
            f'<g class="target-line"><line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 14}" y2="{bottom:.1f}" '
            f'stroke="{TARGET_COLOR}" stroke-width="1.6" stroke-dasharray="6 4"/>'
            f'<text x="{x - 3:.1f}" y="{_TOP - 18}" class="mark-label" text-anchor="end" fill="{TARGET_COLOR}">'
            f"RTO target {_e(_duration(target))}</text></g>"
        )
    if isinstance(seconds, int):
        # At the moment the last wave completed (``seconds`` is that, in whole seconds).
        ends = [m for w in report["waves"] if (m := _parse(w.get("endTime"))) is not None]
        x = scale.x(max(ends) if ends else start + timedelta(seconds=seconds))
        marks.append(
            f'<g class="recovered-line"><line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 14}" y2="{bottom:.1f}" '
            f'stroke="{RECOVERED_COLOR}" stroke-width="1.6"/>'
            f'<text x="{x + 3 if x < _W - 150 else x - 3:.1f}" y="{_TOP - 18}" class="mark-label" '
            f'text-anchor="{"start" if x < _W - 150 else "end"}" fill="{RECOVERED_COLOR}">'
            f"recovered {_e(_duration(seconds))}</text></g>"
        )

    height = bottom + _AXIS
    waves = len(report["waves"])
    desc = (
        f"Gantt chart of {waves} wave{'s' if waves != 1 else ''} over {format_duration(int(span))}: "
        "a bar per wave coloured by its status, a thinner bar per server coloured by recovery phase, "
        "pauses shaded."
    )
    style = (
        "<style>"
        ".wave-label{font:600 12px sans-serif;fill:#111}.wave-detail{font:10px sans-serif;fill:#444}"
        ".server-label{font:8.5px sans-serif;fill:#333}.more{font:italic 10px sans-serif;fill:#444}"
        ".not-run{font:italic 11px sans-serif;fill:#666}.tick{font:10px sans-serif;fill:#333}"
        ".pause-label,.mark-label{font:600 10px sans-serif}.pause-label{fill:#6b5800}"
        ".grid{stroke:#e3e6ea;stroke-width:1}.axis{stroke:#333;stroke-width:1}"
        ".sep{stroke:#e8eaed;stroke-width:1}.lane{stroke:#f0f1f3;stroke-width:1}"
        "</style>"
    )
    return (
        f'<svg class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height:.0f}" '
        f'role="img" aria-labelledby="gantt-title gantt-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="gantt-title">Timeline of execution {_e(execution.get("executionId"))}</title>'
        f'<desc id="gantt-desc">{_e(desc)}</desc>{style}'
        f"{''.join(back)}{''.join(axis)}{''.join(rows)}{''.join(marks)}</svg>"
    )


def _legend(report: Mapping[str, Any], chart: str) -> str:
    items = [
        f'<li><span class="swatch" style="background:{WAVE_COLORS[s]}"></span>Wave {s.replace("_", " ").lower()}</li>'
        for s in ("COMPLETED", "FAILED", "CANCELLED", "IN_PROGRESS")
    ]
    items += [
        f'<li><span class="swatch" style="background:{PHASE_COLORS[p]}"></span>{_e(PHASE_LABELS[p])}</li>'
        for p in PHASE_COLORS
    ]
    items += [
        f'<li><span class="swatch mark" style="background:{READY_COLOR}"></span>Server ready</li>',
        f'<li><span class="swatch mark" style="background:{FAILED_COLOR}"></span>Server failed</li>',
        f'<li><span class="swatch" style="background:{PAUSE_FILL};border-color:#c9a800"></span>Paused</li>',
    ]
    if 'class="target-line"' in chart:
        items.append(
            f'<li><span class="swatch line dashed" style="color:{TARGET_COLOR}"></span>RTO target</li>'
        )
    if 'class="recovered-line"' in chart:
        items.append(f'<li><span class="swatch line" style="color:{RECOVERED_COLOR}"></span>Recovered</li>')
    return f'<ul class="legend" aria-label="Legend">{"".join(items)}</ul>'


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
        ("Recovery time", _duration(seconds), "start \u2192 last wave completed"),
        ("Paused", _duration(paused), "operator waits, reported apart"),
        ("Active", _duration(active), "recovery time minus paused"),
        ("Target", _duration(target) if target is not None else "none", "plan's rtoTargetMinutes"),
    ]
    cells = "".join(
        f'<div><dt>{_e(name)}</dt><dd data-metric="{_e(name.lower())}">{_e(value)}<small>{_e(hint)}</small></dd></div>'
        for name, value, hint in metrics
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
    words = {
        "COMPLETED": "Recovered",
        "FAILED": "Failed",
        "CANCELLED": "Cancelled",
        "IN_PROGRESS": "In progress",
        "NOT_STARTED": "Not started",
    }
    lines = [
        f"<li><strong>{_e(words.get(status, status))}:</strong> wave{'s' if len(names) > 1 else ''} "
        f"{_e(', '.join(names))}</li>"
        for status in ("COMPLETED", "FAILED", "CANCELLED", "IN_PROGRESS", "NOT_STARTED", *sorted(groups))
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
            + _td(_status(wave.get("status")))
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


def _phase_names(server: Mapping[str, Any]) -> set[str]:
    return {str(p.get("phase")) for p in server.get("phases") or []}


def _servers_tables(report: Mapping[str, Any], day: date | None) -> str:
    headers = [
        ("Source server", ""),
        ("Hostname", ""),
        ("Impact", ""),
        ("Launch status", ""),
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
                + _td(_status(server.get("launchStatus") or "PENDING"))
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
        + _td(f'<span class="mono">{_e(a.get("actor"))}</span>', "wrap")
        + _td(_e(a.get("message")), "wrap")
        + "</tr>"
        for a in report["actions"]
    ]
    actions = (
        _table([("Time", ""), ("Action", ""), ("By", ""), ("What", "")], rows, css="actions")
        if rows
        else '<p class="none">No operator action recorded.</p>'
    )
    pause_rows = []
    for pause in report["pauses"]:
        start, end = pause.get("start"), pause.get("end")
        length = None
        if (s := _parse(start)) and (t := _parse(end)):
            length = int((t - s).total_seconds())
        pause_rows.append(
            "<tr>"
            + _td(_e(pause.get("beforeWave")), "num")
            + _td(_time(start, day), "time")
            + _td(_time(end, day), "time")
            + _td(_e(_duration(length)), "num")
            + _td(_e(ENDED_WITH.get(str(pause.get("endedWith")), pause.get("endedWith"))))
            + _td(f'<span class="mono">{_e(pause.get("endedBy"))}</span>', "wrap")
            + "</tr>"
        )
    pauses = (
        "<h3>Pauses</h3>"
        + _table(
            [
                ("Before wave", "num"),
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
    return actions + pauses


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
        + _td(_e("terminated" if state.get("terminated") else s.get("ec2State")))
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
    return _e(json.dumps(details, sort_keys=True, default=str, ensure_ascii=False))


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
