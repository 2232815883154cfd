"""The report's timeline picture: an inline SVG Gantt chart of the waves (a bar each, coloured by
status, with the span of its pre- and post-actions under it) and their servers (a lane each,
coloured by phase), pauses shaded, the target and the moment of recovery marked, and its legend.
Pure, in two steps: ``gantt_model`` computes the chart as data from the report model (every bar's
moments, offsets, labels and tips; the JSON report carries it as ``gantt`` and the console draws
it), and ``chart_svg`` draws that data as the page's SVG, computing nothing of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from execution_utils import format_duration, server_label, whole_second
from orchestrator.reports.formatting import (
    duration_text,
    esc,
    parse_time,
    server_failed,
    server_name,
    short_offset,
)
from orchestrator.timeutil import iso

# At most this many servers of a wave are drawn in the chart (then "+N more"), so that a wave of a
# thousand servers still prints on one page; the servers tables always list every server.
MAX_CHART_SERVERS = 50

WAVE_COLORS = {
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "CANCELLED": "#8d8d8d",
    "IN_PROGRESS": "#1565c0",
    "NOT_STARTED": "#c7c7c7",
    "SKIPPED": "#ef6c00",
}
# The span of a wave's runbook actions, drawn as a strip under its bar.
STAGE_COLORS = {"PRE": "#6a1b9a", "POST": "#00838f"}
STAGE_LABELS = {"PRE": "Pre-actions", "POST": "Post-actions"}
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

_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


# --- the chart as data ---------------------------------------------------------------------------------


class Scale:
    """Seconds since the execution's start: where a moment falls on the chart's time axis."""

    def __init__(self, start: datetime, seconds: float) -> None:
        self.start = start
        self.seconds = max(seconds, 1.0)

    def offset(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds()


def whole_seconds(start: datetime, end: datetime) -> int:
    """The length of a span by the product's one rule (``execution_utils.whole_second``)."""
    return max(0, whole_second(end.isoformat()) - whole_second(start.isoformat()))


def _moments(report: Mapping[str, Any]) -> Iterable[datetime | None]:
    execution = report["execution"]
    yield parse_time(execution.get("endTime"))
    for wave in report["waves"]:
        yield parse_time(wave.get("startTime"))
        yield parse_time(wave.get("endTime"))
        for server in wave["servers"]:
            for phase in server.get("phases") or []:
                yield parse_time(phase.get("start"))
                yield parse_time(phase.get("end"))
    for pause in report["pauses"]:
        yield parse_time(pause.get("end"))
    if not report.get("final"):
        yield parse_time(report.get("generatedAt"))


def _tick_step(seconds: float) -> int:
    for step in _TICK_STEPS:
        if seconds / step <= 8:
            return step
    return int(seconds // 8) or 1


def _span_tip(
    what: str,
    start: datetime | None,
    end: datetime | None,
    scale: Scale,
    *,
    seconds: Any = None,
    raw: bool = False,
) -> str:
    """``what: +1m → +3m (2m 00s)``; ``seconds``: the span's length as the report model has it;
    ``raw``: plain text (the chart model's), else escaped for the page."""
    text = _tip_text(what, start, end, scale, seconds)
    return text if raw else esc(text)


def _tip_text(what: str, start: datetime | None, end: datetime | None, scale: Scale, seconds: Any) -> str:
    begin = "?" if start is None else f"+{short_offset(scale.offset(start))}"
    if end is None:
        return f"{what}: from {begin}, still running"
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        length = format_duration(seconds)
    else:
        length = format_duration(whole_seconds(start, end)) if start else "?"
    return f"{what}: {begin} \u2192 +{short_offset(scale.offset(end))} ({length})"


def _last_moment(server: Mapping[str, Any]) -> str:
    return max((str(p.get("end") or p.get("start") or "") for p in server.get("phases") or []), default="")


def _drawn(servers: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The servers a wave's chart draws: all of them up to the cap, else the failed ones and then the
    slowest (those that decided the wave's length), in the order of the servers table."""
    if len(servers) <= MAX_CHART_SERVERS:
        return servers
    ranked = sorted(
        range(len(servers)),
        key=lambda n: (not server_failed(servers[n]), _invert(_last_moment(servers[n]))),
    )
    return [servers[n] for n in sorted(ranked[:MAX_CHART_SERVERS])]


def _invert(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _stage_span(wave: Mapping[str, Any], stage: str) -> tuple[datetime, datetime | None] | None:
    """(first start, last end) of the wave's actions of one stage that ran; the end is None while
    one of them still runs."""
    ran = [a for a in wave.get("actions") or [] if a.get("stage") == stage]
    starts = [m for a in ran if (m := parse_time(a.get("startTime"))) is not None]
    if not starts:
        return None
    ends = [parse_time(a.get("endTime")) for a in ran if parse_time(a.get("startTime")) is not None]
    if any(e is None for e in ends):
        return min(starts), None
    return min(starts), max(e for e in ends if e is not None)


def _span(start: datetime, end: datetime | None, drawn_end: datetime, scale: Scale) -> dict[str, Any]:
    """A span as the chart model keeps it: its moments (``end`` None while it runs), where its bar
    ends (``drawnEnd``: the end, or the chart's live edge) and both offsets in seconds."""
    return {
        "start": iso(start),
        "end": iso(end) if end else None,
        "drawnEnd": iso(end or drawn_end),
        "startOffset": round(scale.offset(start), 3),
        "endOffset": round(scale.offset(end or drawn_end), 3),
    }


def _stages(wave: Mapping[str, Any], scale: Scale, open_end: datetime) -> list[dict[str, Any]]:
    """The span of the wave's pre-actions and that of its post-actions (those that ran)."""
    found = []
    for stage in ("PRE", "POST"):
        span = _stage_span(wave, stage)
        if span is None:
            continue
        start, end = span
        count = sum(1 for a in wave.get("actions") or [] if a.get("stage") == stage)
        what = f"Wave {wave.get('waveNumber')} {STAGE_LABELS[stage].lower()} ({count})"
        found.append(
            {
                "stage": stage,
                "label": STAGE_LABELS[stage],
                "count": count,
                "tip": _span_tip(what, start, end, scale, raw=True),
                **_span(start, end, open_end, scale),
            }
        )
    return found


def _server_model(server: Mapping[str, Any], scale: Scale, day_end: datetime) -> dict[str, Any]:
    name = server_name(server)
    phases = []
    for phase in server.get("phases") or []:
        kind = str(phase.get("phase"))
        start = parse_time(phase.get("start"))
        if start is None:
            continue
        if kind in ("READY", "FAILED"):
            phases.append(
                {
                    "phase": kind,
                    "label": kind.capitalize(),
                    "mark": True,
                    "tip": f"{name}: {kind.lower()} at +{short_offset(scale.offset(start))}",
                    **_span(start, start, start, scale),
                }
            )
            continue
        end = parse_time(phase.get("end"))
        phases.append(
            {
                "phase": kind,
                "label": PHASE_LABELS.get(kind, kind),
                "mark": False,
                "tip": _span_tip(
                    f"{name} {PHASE_LABELS.get(kind, kind)}", start, end or day_end, scale, raw=True
                ),
                **_span(start, end, day_end, scale),
            }
        )
    return {
        "sourceServerId": server.get("sourceServerId"),
        "hostname": server.get("hostname"),
        "name": name,
        "label": server_label(server),
        "phases": phases,
    }


def _pause_what(pause: Mapping[str, Any]) -> str:
    """What a pause waited for, e.g. ``Paused for approval cab-ok in wave 1``."""
    reason, wave = pause.get("reason"), pause.get("waveNumber")
    if reason == "APPROVAL":
        return f"Paused for approval {pause.get('action') or ''} in wave {wave}".replace("  ", " ")
    if reason == "WAVE_FAILED":
        return f"Paused: wave {wave} failed (retry, skip or cancel)"
    return f"Paused before wave {pause.get('beforeWave') or wave}"


def gantt_model(report: Mapping[str, Any]) -> dict[str, Any]:
    """The chart as data, computed once from the report model: the HTML page draws it as SVG
    (``chart_svg``) and the JSON report carries it (``gantt``) for the console to draw the same bars.
    Times are ISO-8601 UTC; offsets are seconds from the execution's start."""
    execution = report["execution"]
    start = parse_time(execution.get("startTime"))
    if start is None:
        return {
            "start": None,
            "spanSeconds": 0,
            "ticks": [],
            "waves": [],
            "pauses": [],
            "target": None,
            "recovered": None,
            "description": "No start time recorded: nothing to draw.",
        }
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
    scale = Scale(start, span)
    end_of_chart = start + timedelta(seconds=span)
    live_end = parse_time(report.get("generatedAt")) if not report.get("final") else None

    waves = []
    for wave in report["waves"]:
        number = wave.get("waveNumber")
        status = str(wave.get("status"))
        w_start = parse_time(wave.get("startTime"))
        w_end = parse_time(wave.get("endTime"))
        servers = len(wave["servers"])
        detail = f"{status.replace('_', ' ')} \u00b7 {duration_text(wave.get('durationSeconds'))}"
        if w_start is None:
            detail = status.replace("_", " ") + (" (never started)" if status == "CANCELLED" else "")
        detail += f" \u00b7 {servers} server{'s' if servers != 1 else ''}"
        row: dict[str, Any] = {
            "waveNumber": number,
            "waveName": wave.get("waveName"),
            "status": status,
            "color": WAVE_COLORS.get(status, "#999999"),
            "label": f"Wave {number} \u00b7 {wave.get('waveName')}",
            "detail": detail,
            "start": None,
            "end": None,
            "drawnEnd": None,
            "startOffset": None,
            "endOffset": None,
            "tip": None,
            "stages": [],
        }
        day_end = w_end or live_end or end_of_chart
        if w_start is not None:
            row.update(_span(w_start, w_end, live_end or end_of_chart, scale))
            row["tip"] = _span_tip(
                f"Wave {number} ({wave.get('waveName')}) {status.replace('_', ' ').lower()}",
                w_start,
                w_end,
                scale,
                raw=True,
            )
            row["stages"] = _stages(wave, scale, live_end or end_of_chart)
        all_servers: list[Mapping[str, Any]] = list(wave["servers"])
        row["servers"] = [_server_model(s, scale, day_end) for s in _drawn(all_servers)]
        row["moreServers"] = max(0, len(all_servers) - MAX_CHART_SERVERS)
        waves.append(row)

    pauses = []
    for pause in report["pauses"]:
        p_start = parse_time(pause.get("start"))
        if p_start is None:
            continue
        p_end = parse_time(pause.get("end"))
        # the pause's own seconds from the report model (they add up to the headline's paused time)
        seconds = pause.get("seconds")
        pauses.append(
            {
                "seconds": seconds,
                "what": _pause_what(pause),
                "label": f"paused {duration_text(seconds) if p_end else ''}".rstrip(),
                "tip": _span_tip(_pause_what(pause), p_start, p_end, scale, seconds=seconds, raw=True),
                **_span(p_start, p_end, end_of_chart, scale),
            }
        )
    step = _tick_step(span)
    ticks = [{"offset": t, "label": short_offset(t)} for t in range(0, int(span) + 1, step)]
    seconds = recovery.get("seconds")
    recovered = None
    if isinstance(seconds, int):
        # At the moment the last wave completed (``seconds`` is that, in whole seconds).
        ends = [m for w in report["waves"] if (m := parse_time(w.get("endTime"))) is not None]
        at = max(ends) if ends else start + timedelta(seconds=seconds)
        recovered = {
            "seconds": seconds,
            "label": f"recovered {duration_text(seconds)}",
            "at": iso(at),
            "offset": round(scale.offset(at), 3),
        }
    count = len(report["waves"])
    return {
        "start": iso(start),
        "startLabel": f"T+ from {start.strftime('%H:%M:%S')} UTC",
        "spanSeconds": round(span, 3),
        "ticks": ticks,
        "waves": waves,
        "pauses": pauses,
        "target": {"seconds": target, "label": f"RTO target {duration_text(target)}", "offset": target}
        if show_target and isinstance(target, int)
        else None,
        "recovered": recovered,
        "description": (
            f"Gantt chart of {count} wave{'s' if count != 1 else ''} over {format_duration(int(span))}: "
            "a bar per wave coloured by its status (with the span of its pre- and post-actions under it), "
            "a thinner bar per server coloured by recovery phase, pauses shaded."
        ),
    }
