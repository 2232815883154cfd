"""The report's chart drawn: ``gantt_model`` (gantt.py) as the page's inline SVG and its legend,
computing nothing of its own (every moment, offset, label and tip comes from the model)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from orchestrator.reports.formatting import clip, esc, parse_time
from orchestrator.reports.gantt import (
    FAILED_COLOR,
    PAUSE_FILL,
    PHASE_COLORS,
    PHASE_LABELS,
    READY_COLOR,
    RECOVERED_COLOR,
    STAGE_COLORS,
    STAGE_LABELS,
    TARGET_COLOR,
    WAVE_COLORS,
    Scale,
    gantt_model,
)

# Chart geometry, in SVG user units (the SVG scales to the page width).
_W = 1000
_PLOT_X0 = 215
_PLOT_X1 = 985
_TOP = 30
_WAVE_ROW = 34
_SERVER_ROW = 12
_MORE_ROW = 14
_AXIS = 34


class _Plot(Scale):
    """The time scale on the plot's width: a moment -> x (a span still open ends at the right edge)."""

    def x(self, moment: datetime | None) -> float:
        offset = self.seconds if moment is None else self.offset(moment)
        offset = min(max(offset, 0.0), self.seconds)
        return _PLOT_X0 + offset / self.seconds * (_PLOT_X1 - _PLOT_X0)


def _bar(
    span: Mapping[str, Any], scale: _Plot, y: float, height: float, *, fill: str, css: str, extra: str = ""
) -> str:
    """A span of the model (a wave, a stage's actions, a server's phase) as a bar from its start to
    its drawn end, its tip as the title and its moments as attributes."""
    x0 = scale.x(parse_time(span["start"]))
    width = max(scale.x(parse_time(span["drawnEnd"])) - x0, 1.5)
    return (
        f'<rect class="{css}" x="{x0:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'fill="{fill}"{extra}{_times(span)}><title>{esc(span["tip"])}</title></rect>'
    )


def _server_rows(wave: Mapping[str, Any], y: float, scale: _Plot) -> tuple[str, float]:
    parts: list[str] = []
    for server in wave["servers"]:
        name = str(server["name"])
        parts.append(
            f'<g class="server-row" data-server="{esc(server.get("sourceServerId"))}">'
            f'<text x="{_PLOT_X0 - 8}" y="{y + 9:.1f}" class="server-label" text-anchor="end">'
            f"{esc(clip(name, 34))}</text>"
            f'<line x1="{_PLOT_X0}" x2="{_PLOT_X1}" y1="{y + 6:.1f}" y2="{y + 6:.1f}" class="lane"/>'
        )
        for phase in server["phases"]:
            kind = str(phase["phase"])
            if phase["mark"]:
                color = READY_COLOR if kind == "READY" else FAILED_COLOR
                x = scale.x(parse_time(phase["start"]))
                parts.append(
                    f'<rect class="mark mark-{kind.lower()}" x="{x - 1.5:.1f}" y="{y + 0.5:.1f}" width="3" '
                    f'height="11" fill="{color}"{_times(phase)}><title>{esc(phase["tip"])}</title></rect>'
                )
                continue
            parts.append(
                _bar(
                    phase,
                    scale,
                    y + 2.5,
                    7,
                    fill=PHASE_COLORS.get(kind, "#bbbbbb"),
                    css=f"phase phase-{esc(kind.lower())}",
                )
            )
        parts.append("</g>")
        y += _SERVER_ROW
    more = int(wave["moreServers"])
    if more:
        parts.append(
            f'<text x="{_PLOT_X0 - 8}" y="{y + 10:.1f}" class="more" text-anchor="end">+{more} more '
            f"server{'s' if more != 1 else ''}</text>"
            f'<text x="{_PLOT_X0}" y="{y + 10:.1f}" class="more">not drawn (drawn: the failed, then the slowest); '
            "every server is in the wave\u2019s servers table</text>"
        )
        y += _MORE_ROW
    return "".join(parts), y


def _times(item: Mapping[str, Any]) -> str:
    """The span's moments as attributes (what the console's chart carries too): ``data-start``,
    ``data-end`` (empty while it runs) and the offsets from the execution's start in seconds."""
    return (
        f' data-start="{esc(item.get("start") or "")}" data-end="{esc(item.get("end") or "")}"'
        f' data-start-offset="{esc(item.get("startOffset"))}" data-end-offset="{esc(item.get("endOffset"))}"'
    )


def chart_svg(report: Mapping[str, Any]) -> str:
    """The report's chart: ``gantt_model`` drawn as an inline SVG."""
    model = gantt_model(report)
    execution = report["execution"]
    if model["start"] is None:
        return '<p class="none">No start time recorded: nothing to draw.</p>'
    start = parse_time(model["start"])
    assert start is not None
    span = float(model["spanSeconds"])
    scale = _Plot(start, span)

    rows: list[str] = []
    y = float(_TOP)
    for wave in model["waves"]:
        number = wave["waveNumber"]
        status = str(wave["status"])
        rows.append(
            f'<g class="wave-row" data-wave="{esc(number)}" data-status="{esc(status)}">'
            f'<line x1="0" x2="{_W}" y1="{y:.1f}" y2="{y:.1f}" class="sep"/>'
            f'<text x="{_PLOT_X0 - 8}" y="{y + 15:.1f}" class="wave-label" text-anchor="end">'
            f"{esc(clip(str(wave['label']), 30))}</text>"
            f'<text x="{_PLOT_X0 - 8}" y="{y + 28:.1f}" class="wave-detail" text-anchor="end">{esc(wave["detail"])}</text>'
        )
        if wave["start"] is not None:
            open_end = "" if wave["end"] else ' stroke="#333" stroke-dasharray="4 3"'
            rows.append(_bar(wave, scale, y + 8, 18, fill=str(wave["color"]), css="wave-bar", extra=open_end))
            for stage in wave["stages"]:
                rows.append(
                    _bar(
                        stage,
                        scale,
                        y + 27.5,
                        4.5,
                        fill=STAGE_COLORS[stage["stage"]],
                        css=f"action-span action-{str(stage['stage']).lower()}",
                    )
                )
        else:
            rows.append(f'<text x="{_PLOT_X0 + 4}" y="{y + 21:.1f}" class="not-run">not run</text>')
        rows.append("</g>")
        y += _WAVE_ROW
        drawn, y = _server_rows(wave, y, scale)
        rows.append(drawn)
        y += 4
    bottom = y

    back: list[str] = []
    for pause in model["pauses"]:
        x0 = scale.x(parse_time(pause["start"]))
        x1 = scale.x(parse_time(pause["end"]))
        back.append(
            f'<g class="pause" data-seconds="{esc(pause["seconds"])}"{_times(pause)}><rect x="{x0:.1f}" y="{_TOP - 12}" '
            f'width="{max(x1 - x0, 2):.1f}" '
            f'height="{bottom - _TOP + 12:.1f}" fill="{PAUSE_FILL}" fill-opacity="0.75" stroke="#c9a800" '
            f'stroke-dasharray="3 2"><title>{esc(pause["tip"])}</title></rect>'
            f'<text x="{x0 + 3:.1f}" y="{_TOP - 3}" class="pause-label">{esc(pause["label"])}</text></g>'
        )

    axis: list[str] = [
        f'<line x1="{_PLOT_X0}" x2="{_PLOT_X1}" y1="{bottom:.1f}" y2="{bottom:.1f}" class="axis"/>'
    ]
    for tick in model["ticks"]:
        x = _PLOT_X0 + tick["offset"] / span * (_PLOT_X1 - _PLOT_X0)
        axis.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 12}" y2="{bottom:.1f}" class="grid"/>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom:.1f}" y2="{bottom + 5:.1f}" class="axis"/>'
            f'<text x="{x:.1f}" y="{bottom + 17:.1f}" class="tick" text-anchor="middle">{esc(tick["label"])}</text>'
        )
    axis.append(
        f'<text x="{_PLOT_X0 - 8}" y="{bottom + 17:.1f}" class="tick" text-anchor="end">'
        f"{esc(model['startLabel'])}</text>"
    )

    marks: list[str] = []
    if model["target"]:
        x = scale.x(start + timedelta(seconds=model["target"]["offset"]))
        marks.append(
            f'<g class="target-line"><line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 14}" y2="{bottom:.1f}" '
            f'stroke="{TARGET_COLOR}" stroke-width="1.6" stroke-dasharray="6 4"/>'
            f'<text x="{x - 3:.1f}" y="{_TOP - 18}" class="mark-label" text-anchor="end" fill="{TARGET_COLOR}">'
            f"{esc(model['target']['label'])}</text></g>"
        )
    if model["recovered"]:
        x = scale.x(parse_time(model["recovered"]["at"]))
        marks.append(
            f'<g class="recovered-line"><line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP - 14}" y2="{bottom:.1f}" '
            f'stroke="{RECOVERED_COLOR}" stroke-width="1.6"/>'
            f'<text x="{x + 3 if x < _W - 150 else x - 3:.1f}" y="{_TOP - 18}" class="mark-label" '
            f'text-anchor="{"start" if x < _W - 150 else "end"}" fill="{RECOVERED_COLOR}">'
            f"{esc(model['recovered']['label'])}</text></g>"
        )

    height = bottom + _AXIS
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
        f'<title id="gantt-title">Timeline of execution {esc(execution.get("executionId"))}</title>'
        f'<desc id="gantt-desc">{esc(model["description"])}</desc>{style}'
        f"{''.join(back)}{''.join(axis)}{''.join(rows)}{''.join(marks)}</svg>"
    )


def chart_legend(report: Mapping[str, Any], chart: str) -> str:
    shown = ["COMPLETED", "FAILED", "CANCELLED", "IN_PROGRESS"]
    if any(w.get("status") == "SKIPPED" for w in report["waves"]):
        shown.insert(2, "SKIPPED")
    items = [
        f'<li><span class="swatch" style="background:{WAVE_COLORS[s]}"></span>Wave {s.replace("_", " ").lower()}</li>'
        for s in shown
    ]
    items += [
        f'<li><span class="swatch" style="background:{STAGE_COLORS[stage]}"></span>{STAGE_LABELS[stage]}</li>'
        for stage in ("PRE", "POST")
        if f"action-span action-{stage.lower()}" in chart
    ]
    items += [
        f'<li><span class="swatch" style="background:{PHASE_COLORS[p]}"></span>{esc(PHASE_LABELS[p])}</li>'
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
