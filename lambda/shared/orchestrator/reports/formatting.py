"""Values as the report page writes them: escaped text, times, durations, names. Every value that
comes from a user or from AWS goes through ``esc`` (html.escape, after terminal escapes and control
characters are taken out) before it is written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from execution_utils import format_duration

# Terminal escape sequences in a command's output (colours, cursor moves, titles): dropped.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Any other control character (but tab and line feed), and the bidirectional controls that would
# make text read otherwise than it is, shown as a visible replacement mark.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)

# --- values -------------------------------------------------------------------------------------------


def esc(value: Any, empty: str = "-") -> str:
    """A value as escaped HTML text (also safe inside a double- or single-quoted attribute), cleaned
    of terminal escapes and control characters (``clean_text``)."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if _CONTROL.search(text):
        text = clean_text(text)
    return escape(text, quote=True)


def clean_text(value: Any) -> Any:
    """Text from a user or a remote command as it may be shown: no terminal escapes, line breaks
    as \\n, and any other control character as U+FFFD (escaping for HTML is ``esc``'s job)."""
    if not isinstance(value, str):
        return value
    text = _ANSI.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("\ufffd", text)


def pre_block(value: Any) -> str:
    """A command's or a function's output: a wrapped <pre>, every character escaped, never markup."""
    return f'<pre class="output">{esc(value, "")}</pre>' if value else ""


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def full_time(value: Any) -> str:
    moment = parse_time(value)
    if moment is None:
        return esc(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def table_time(value: Any, day: date | None) -> str:
    """A time in a table: HH:MM:SS on the execution's first day, with the date on any other."""
    moment = parse_time(value)
    if moment is None:
        return esc(value)
    if day is not None and moment.date() == day:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: Any) -> str:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "-"
    return format_duration(int(seconds))


def short_offset(seconds: float) -> str:
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


def status_badge(value: Any) -> str:
    text = str(value or "")
    css = "".join(c for c in text if c.isalnum() or c == "_")
    return f'<span class="st st-{css}">{esc(text.replace("_", " "))}</span>'


def server_name(server: Mapping[str, Any]) -> str:
    return str(server.get("hostname") or server.get("sourceServerId") or "?")


def clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


# A table's column header: its plain text, or (text, class) for a column with a class (``num``).
Header = str | tuple[str, str]


def html_table(headers: Sequence[Header], rows: Iterable[str], caption: str = "", css: str = "") -> str:
    """A table; a header is its plain text, or (text, class) for a column with a class (``num``);
    rows are escaped <tr> strings."""
    head = "".join(
        f'<th scope="col" class="{c}">{esc(h)}</th>' if c else f'<th scope="col">{esc(h)}</th>'
        for h, c in ((h, "") if isinstance(h, str) else h for h in headers)
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def error_cell(value: Any) -> str:
    return cell(esc(value), "err") if value else cell("-")


def cell(value: str, css: str = "") -> str:
    return f'<td class="{css}">{value}</td>' if css else f"<td>{value}</td>"


def _phase_names(server: Mapping[str, Any]) -> set[str]:
    return {str(p.get("phase")) for p in server.get("phases") or []}


def server_failed(server: Mapping[str, Any]) -> bool:
    return (
        bool(server.get("error"))
        or server.get("launchStatus") == "FAILED"
        or "FAILED" in _phase_names(server)
    )


def wave_heading(wave: Mapping[str, Any], section: str, count: int, noun: str) -> str:
    """The heading of a wave's table in a section of the page (``servers``, ``runbook``): its number
    and name, how many ``noun``s it lists, its status; anchored ``wave-<n>-<section>``."""
    title = f"Wave {wave.get('waveNumber')} \u00b7 {wave.get('waveName')}"
    return (
        f'<h3 id="wave-{esc(wave.get("waveNumber"))}-{section}">{esc(title)} '
        f'<span class="small">({count} {noun}{"s" if count != 1 else ""}, '
        f"{status_badge(wave.get('status'))})</span></h3>"
    )
