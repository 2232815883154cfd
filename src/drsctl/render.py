"""Live progress and summaries of executions: rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from drsctl.client import ApiClient
from drsctl.watch import WatchedExecution
from execution_utils import (
    TERMINAL_STATUSES,
    ActionStatus,
    UnknownStatusError,
    action_badge,
    after_retry_text,
    after_skip_text,
    cost_text,
    cost_type_text,
    format_duration,
    recovery_time_text,
    status_color,
    wave_badge,
    wave_status_color,
)

Sleep = Callable[[float], None]
OnPaused = Callable[[dict[str, Any]], None]

# The status model speaks in semantic badge colours; this is the one place that turns them into rich
# styles (rich knows neither "orange" nor "grey").
RICH_STYLES: dict[str, str] = {
    "green": "green",
    "orange": "dark_orange",
    "red": "red",
    "blue": "blue",
    "yellow": "yellow",
    "grey": "grey50",
}

# How much of an action's output (up to 4 KB of user text) and error the text views show; the whole
# of both is in `--output json`.
OUTPUT_EXCERPT = 100
ERROR_EXCERPT = 200

# Width of a console that does not write to a terminal: wide enough that nothing (ids above all) is
# ever wrapped or cut when drsctl's output is piped or redirected.
PIPE_WIDTH = 1_000_000

# C0/C1 control characters (ESC among them) and the bidirectional overrides: user text must never
# move the cursor, open a hyperlink or reorder what the operator reads.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def make_console(file: IO[str] | None = None) -> Console:
    """A rich console on `file` (stdout by default): the terminal's width on a terminal, and no
    wrapping at all otherwise."""
    console = Console(file=file)
    if console.is_terminal:
        return console
    return Console(file=file, width=PIPE_WIDTH)


def clean(value: Any) -> str:
    """User-supplied text made harmless for a terminal: control characters shown as \\xNN escapes."""
    return _UNSAFE.sub(_escape_char, str(value))


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def user_text(value: Any, style: str = "") -> Text:
    """User-supplied text as a rich Text: never read as markup, never highlighted, never a control code."""
    return Text("" if value is None else clean(value), style=style)


def rich_style(semantic_color: str) -> str:
    """The rich style of one of the status model's badge colours ("" when the model has a new one)."""
    return RICH_STYLES.get(semantic_color, "")


def execution_style(status: str) -> str:
    """Style of an execution status; an unknown status (an API newer than drsctl) is shown unstyled."""
    try:
        return rich_style(status_color(status))
    except UnknownStatusError:
        return ""


def wave_style(status: str) -> str:
    """Style of a wave status (the wave palette, not the execution one); unknown statuses unstyled."""
    try:
        return rich_style(wave_status_color(status))
    except UnknownStatusError:
        return ""


def _wave_icon(status: str) -> str:
    try:
        return wave_badge(status)["icon"]
    except UnknownStatusError:
        return "?"


def is_terminal(execution: dict[str, Any]) -> bool:
    return execution["status"] in TERMINAL_STATUSES


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_line(value: Any, limit: int = OUTPUT_EXCERPT) -> str:
    """The first non-empty line of a user text (an action's output), shortened, made harmless."""
    line = next((part.strip() for part in str(value or "").splitlines() if part.strip()), "")
    return shorten(clean(line), limit)


def _progress(wave: dict[str, Any]) -> dict[str, int]:
    return dict(wave.get("progress") or {})


def wave_table(execution: dict[str, Any]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Wave", "Status", "Phase", "Launched", "Ready", "Failed"):
        table.add_column(column, justify="right" if column in {"Launched", "Ready", "Failed"} else "left")
    for wave in execution["waves"]:
        progress = _progress(wave)
        total = progress.get("totalServers", 0)
        status = str(wave["status"])
        retries = int(wave.get("retries") or 0)
        table.add_row(
            user_text(
                f"{wave['waveNumber']}. {wave['waveName']}"
                + (" (pause before)" if wave.get("pauseBeforeWave") else "")
                + (f" (retried {retries}x)" if retries else "")
            ),
            user_text(f"{_wave_icon(status)} {status}", style=wave_style(status)),
            user_text(wave.get("phase") or ""),
            Text(f"{progress.get('launched', 0)}/{total}"),
            Text(f"{progress.get('ready', 0)}/{total}"),
            Text(str(progress.get("failed", 0))),
        )
    return table


def _action_detail(action: dict[str, Any]) -> Text:
    if action.get("status") == ActionStatus.RETRY_SCHEDULED:
        last = f"; last attempt: {action['error']}" if action.get("error") else ""
        return user_text(
            shorten(clean(f"next attempt at {action.get('nextAttemptAt') or '-'}{last}"), ERROR_EXCERPT),
            style="yellow",
        )
    if action.get("error"):
        return user_text(shorten(clean(action["error"]), ERROR_EXCERPT), style="red")
    if action.get("approvedBy"):
        comment = f": {action['comment']}" if action.get("comment") else ""
        return user_text(shorten(clean(f"approved by {action['approvedBy']}{comment}"), ERROR_EXCERPT))
    line = first_line(action.get("output"))
    return user_text(f"output: {line}" if line else "")


def actions_table(execution: dict[str, Any]) -> Table | None:
    """Every wave's runbook actions, in order (pre-actions, then post-actions); None without any.
    Only the first line of an output is shown and errors are shortened (both are whole in JSON).
    User text goes in the last column, which folds: no text widens the table past the terminal."""
    rows = [(w, a) for w in execution["waves"] for a in w.get("actions") or []]
    if not rows:
        return None
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Wave", "Stage", "Status", "Attempts"):
        table.add_column(column, no_wrap=True, justify="right" if column == "Attempts" else "left")
    table.add_column("Action", overflow="fold")
    for wave, action in rows:
        status = str(action.get("status") or "PENDING")
        badge = action_badge(status)
        detail = _action_detail(action)
        table.add_row(
            Text(str(wave["waveNumber"])),
            user_text(action.get("stage") or ""),
            user_text(f"{badge['icon']} {status}", style=rich_style(badge["color"])),
            Text(f"{action.get('attempts') or 0}/{action.get('maxAttempts') or 1}"),
            Text.assemble(
                user_text(f"{action.get('name')} ({action.get('type')})"), "  " if detail else "", detail
            ),
        )
    return table


def print_line(console: Console, line: Text) -> None:
    """A line; one that is a command to copy (`  drsctl ...`) is written whole, never broken by a
    newline (a terminal narrower than it folds it for the eye only; a copy stays one line)."""
    console.print(line, soft_wrap=line.plain.lstrip().startswith("drsctl "))


def print_with_command(console: Console, text: str, command: str) -> None:
    """``TEXT COMMAND`` on one line when it fits the console, else TEXT then the command on a line of
    its own: the command is never split over two lines, at any width, on a terminal or in a file."""
    whole = f"{text} {command}"
    if len(whole) <= console.width:
        console.print(user_text(whole), soft_wrap=True)
    else:
        console.print(user_text(text))
        print_line(console, user_text(f"  {command}"))


def print_table(console: Console, table: Table) -> None:
    """A table; off a terminal without the padding after its last column."""
    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():
        console.print(Text(line.rstrip()))


def _paused_wave(execution: dict[str, Any]) -> str:
    number = execution.get("pausedWave") or execution.get("pausedBeforeWave")
    name = next((w["waveName"] for w in execution["waves"] if w["waveNumber"] == number), None)
    return f"wave {number}" + (f" ({name})" if name is not None else "") if number else "the next wave"


def after_decision(execution: dict[str, Any], verb: str) -> str:
    """What a retry or a skip of the failed wave leads to, from the execution the API returned:
    ``wave 3 is skipped; no wave is left to run: the execution finishes now ...``."""
    number = execution.get("pausedWave")
    waves = execution.get("waves") or []
    if not isinstance(number, int) or not 1 <= number <= len(waves):
        return "the failed wave is retried" if verb == "retry" else "the failed wave is skipped"
    if verb == "retry":
        return f"wave {number} is retried; {after_retry_text(waves, number - 1)}"
    return f"wave {number} is skipped; {after_skip_text(waves, number - 1)}"


def pause_hint(execution: dict[str, Any]) -> str | None:
    """Why a PAUSED execution waits, then the commands that move it on, each on a line of its own so
    that no terminal width splits one (None unless PAUSED)."""
    if execution["status"] != "PAUSED":
        return None
    eid = execution["executionId"]
    wave = _paused_wave(execution)
    reason = execution.get("pauseReason")
    if reason == "WAVE_FAILED":
        return "\n".join(
            (
                f"PAUSED: {wave} failed. Retry it, skip it or cancel the execution:",
                f'  drsctl retry {eid} --comment "..."',
                f'  drsctl skip {eid} --comment "..."',
                f"  drsctl cancel {eid}",
            )
        )
    if reason == "APPROVAL":
        action = execution.get("pausedAction") or "an action"
        return f'PAUSED: waiting for approval of {action} in {wave}. Approve with:\n  drsctl resume {eid} --comment "..."'
    why = {
        "OPERATOR": ", as an operator asked",
        "BEFORE_WAVE": ", as the plan says",
        "PLAN": ", as the plan says",
    }
    return f"PAUSED: before {wave}{why.get(str(reason), '')}. Resume with:\n  drsctl resume {eid}"


def pause_lines(execution: dict[str, Any], style: str = "yellow") -> list[Text]:
    """The pause hint as printable lines (user text escaped line by line)."""
    hint = pause_hint(execution)
    return [user_text(line, style=style) for line in hint.splitlines()] if hint else []


def _pause_key(execution: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        execution.get(k)
        for k in ("pausedTime", "pauseReason", "pausedWave", "pausedBeforeWave", "pausedAction")
    )


# How many of the timeline's last events the live view shows.
LIVE_EVENTS = 5


def live_view(execution: dict[str, Any], watched: WatchedExecution | None = None) -> Group:
    progress = execution.get("progress") or {}
    total = max(1, int(progress.get("totalServers", 0)))
    done = int(progress.get("ready", 0))
    label = user_text(execution["statusLabel"], style=f"bold {execution_style(execution['status'])}".strip())
    bar = ProgressBar(total=total, completed=done, width=40)
    counts = Text(f" {done}/{total} servers ready, {progress.get('failed', 0)} failed")
    parts: list[Any] = [
        Text.assemble(user_text(f"{execution['planName']} ({execution['executionType']}) "), label),
        Group(bar, counts),
        wave_table(execution),
    ]
    actions = actions_table(execution)
    if actions is not None:
        parts.append(actions)
    parts.extend(pause_lines(execution))
    if watched is not None:
        # The last events of the timeline the watcher keeps (merged from cursor reads).
        for event in watched.timeline.items()[-LIVE_EVENTS:]:
            parts.append(user_text(f"{event['time']} {event['message']}", style="dim"))
    return Group(*parts)


def _running_action(wave: dict[str, Any]) -> str:
    running = next(
        (
            a
            for a in wave.get("actions") or []
            if a.get("status") in (ActionStatus.RUNNING, ActionStatus.RETRY_SCHEDULED)
        ),
        None,
    )
    if running is None:
        return ""
    attempts = f"{running.get('attempts') or 0}/{running.get('maxAttempts') or 1}"
    if running.get("status") == ActionStatus.RETRY_SCHEDULED:
        return f" ({running.get('name')} RETRY_SCHEDULED {attempts}, next at {running.get('nextAttemptAt')})"
    return f" ({running.get('name')} RUNNING {attempts})"


def plain_line(execution: dict[str, Any]) -> str:
    waves = " | ".join(
        f"{w['waveName']}: {w['status']}{'/' + w['phase'] if w.get('phase') else ''} "
        f"{_progress(w).get('launched', 0)}/{_progress(w).get('totalServers', 0)}{_running_action(w)}"
        for w in execution["waves"]
    )
    return f"{time.strftime('%H:%M:%S')} {execution['statusLabel']} | {waves}"


def watch_execution(
    client: ApiClient,
    execution_id: str,
    *,
    console: Console,
    poll_seconds: float = 2.0,
    on_paused: OnPaused | None = None,
    sleep: Sleep = time.sleep,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    watched: WatchedExecution | None = None,
) -> dict[str, Any]:
    """Follow an execution until it ends (or `timeout` seconds pass); return its last state.
    ``watched``: its servers and timeline, refreshed with each read by what changed since."""
    started = clock()
    handled_pause: tuple[Any, ...] | None = None
    last_line = ""
    execution = client.get(f"/executions/{execution_id}")
    if watched is not None:
        watched.refresh()
    live = (
        Live(live_view(execution, watched), console=console, refresh_per_second=4, transient=False)
        if console.is_terminal
        else None
    )
    if live:
        live.start()
    try:
        while True:
            if live:
                live.update(live_view(execution, watched))
            else:
                line = plain_line(execution)
                if line.split(" ", 1)[1] != last_line:
                    console.print(user_text(line))
                    last_line = line.split(" ", 1)[1]
            if is_terminal(execution):
                return dict(execution)
            if execution["status"] == "PAUSED" and handled_pause != _pause_key(execution):
                handled_pause = _pause_key(execution)
                if on_paused:
                    on_paused(execution)
                elif not live:  # the live view shows the hint itself
                    for hint_line in pause_lines(execution, style=""):
                        print_line(console, hint_line)
            if timeout is not None and clock() - started >= timeout:
                return dict(execution)
            sleep(poll_seconds)
            execution = client.get(f"/executions/{execution_id}")
            if watched is not None:
                watched.refresh()
    finally:
        if live:
            live.stop()


def is_failed(server: dict[str, Any]) -> bool:
    return server.get("launchStatus") == "FAILED" or bool(server.get("error"))


def failed_servers(client: ApiClient, execution_id: str) -> list[dict[str, Any]]:
    failed: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.get(f"/executions/{execution_id}/servers", {"nextToken": token})
        failed += [s for s in page["items"] if is_failed(s)]
        token = page.get("nextToken")
        if not token:
            return failed


def duration_text(seconds: int | None) -> str:
    return format_duration(seconds) if seconds is not None else "-"


def report_markdown(report: dict[str, Any]) -> str:
    """The drill report as Markdown (for a ticket, a wiki or a terminal)."""
    execution = report["execution"]
    lines = [
        f"# {execution['executionType'].title()} report: {execution['planName']}",
        "",
        f"- Execution: `{execution['executionId']}`",
        f"- Outcome: **{execution['statusLabel']}**",
        f"- Started {execution['startTime']} by {execution.get('initiatedBy') or 'unknown'}, "
        f"ended {execution.get('endTime') or '-'}",
        f"- {recovery_line(report['recoveryTime'])}",
        "",
        "## Waves",
        "",
        "| wave | status | started | ended | duration | servers ready | DRS jobs |",
        "|---|---|---|---|---|---|---|",
    ]
    for wave in report["waves"]:
        ready = sum(1 for s in wave["servers"] if s.get("ready"))
        lines.append(
            f"| {wave['waveNumber']}. {_md(wave['waveName'])} | {wave['status']} | {wave.get('startTime') or '-'} "
            f"| {wave.get('endTime') or '-'} | {duration_text(wave.get('durationSeconds'))} "
            f"| {ready}/{len(wave['servers'])} | {', '.join(wave['jobIds']) or '-'} |"
        )
    lines += [
        "",
        "## Servers",
        "",
        "| wave | server | hostname | phase | instance | EC2 state | private IP | ready | recovery time | error |",
    ]
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for wave in report["waves"]:
        for server in wave["servers"]:
            lines.append(
                f"| {wave['waveNumber']} | {server['sourceServerId']} | {_md(server.get('hostname') or '-')} "
                f"| {_md(server.get('phase') or '-')} | {server.get('ec2InstanceId') or '-'} "
                f"| {_md(server.get('ec2State') or '-')} | {server.get('privateIp') or '-'} "
                f"| {'yes' if server.get('ready') else 'no'} | {duration_text(server.get('recoveryTimeSeconds'))} "
                f"| {_md(server.get('error') or '')} |"
            )
    runbook = [(wave, action) for wave in report["waves"] for action in wave.get("actions") or []]
    if runbook:
        lines += [
            "",
            "## Runbook actions",
            "",
            "| wave | stage | action | type | target | status | attempts | duration | error | approved by |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for wave, action in runbook:
            target = (
                action.get("functionName")
                or action.get("documentName")
                or (f"{action['waitSeconds']} s" if action.get("waitSeconds") else "-")
            )
            approval = f"{action['approvedBy']}" + (f": {action['comment']}" if action.get("comment") else "")
            lines.append(
                f"| {wave['waveNumber']} | {action['stage']} | {_md(action['name'])} | {action['type']} "
                f"| {_md(target)} | {action['status']} | {action['attempts']}/{action['maxAttempts']} "
                f"| {duration_text(action.get('durationSeconds'))} | {_md(action.get('error') or '')} "
                f"| {_md(approval) if action.get('approvedBy') else '-'} |"
            )
    if report["actions"]:
        lines += ["", "## Who did what", ""]
        lines += [
            f"- {a['time']} {_md(a['actor'] or 'unknown')}: {_md(a['message'])}" for a in report["actions"]
        ]
    for title, items in (("Errors", report["errors"]), ("Warnings", report["warnings"])):
        if items:
            lines += ["", f"## {title}", "", *(f"- {_md(i)}" for i in items)]
    lines += ["", "## Cost (estimate)", "", *cost_lines(report["cost"])]
    lines += ["", "## Timeline", ""]
    lines += [f"- {e['time']} {e['type']}: {_md(e['message'])}" for e in report["timeline"]]
    return "\n".join(lines) + "\n"


def cost_lines(cost: dict[str, Any]) -> list[str]:
    """What an execution's recovery instances cost (the API's ``cost``): the summary, then one
    line per instance type."""
    return [f"- {_md(cost_text(cost))}", *(f"  - {_md(cost_type_text(t))}" for t in cost["types"])]


def _md(text: str) -> str:
    """User text in a Markdown table or list: no pipes or line breaks that would break the layout,
    no HTML a renderer would run."""
    return clean(str(text)).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def recovery_line(recovery: dict[str, Any]) -> str:
    """``Recovery time 3m 10s (1m 00s paused) against a target of 15m 00s: MET``."""
    return recovery_time_text(recovery)


# Who acted, as the API words it (one formatter, in the shared layer: a console user with the role
# beside, or an IAM principal's ARN): the execution's fields, then each wave's.
ACTOR_FIELDS = (
    ("initiatedBy", "Started by"),
    ("pauseRequestedBy", "Pause requested by"),
    ("resumedBy", "Resumed by"),
    ("cancelRequestedBy", "Cancelled by"),
    ("terminationRequestedBy", "Terminated by"),
)


def actor_lines(execution: dict[str, Any]) -> list[str]:
    """``Started by: alice <alice@example.com> (role Operators)`` and the like, for what happened."""
    lines = [f"{title}: {execution[key]}" for key, title in ACTOR_FIELDS if execution.get(key)]
    for wave in execution.get("waves") or []:
        for key, what in (("retriedBy", "retried"), ("skippedBy", "skipped")):
            if wave.get(key):
                lines.append(f"Wave {wave['waveNumber']} {what} by: {wave[key]}")
    return lines


def cleanup_line(execution: dict[str, Any]) -> str | None:
    """What drsctl says of a drill's automatic cleanup: when it will terminate the instances (and who
    postponed it), or None when none is pending (`drsctl status` and `drsctl cleanup` both)."""
    if not execution.get("cleanupPending") or not execution.get("cleanupAt"):
        return None
    line = f"Instances will be terminated at {execution['cleanupAt']} (automatic cleanup)"
    if execution.get("cleanupPostponedBy"):
        line += f", postponed by {execution['cleanupPostponedBy']}"
    return line


def print_summary(
    client: ApiClient,
    execution: dict[str, Any],
    console: Console,
    servers: list[dict[str, Any]] | None = None,
) -> None:
    """The execution's summary; ``servers``: its servers when the caller keeps them (a watcher)."""
    duration = execution.get("durationSeconds")
    console.print(
        Text.assemble(
            "Execution ",
            user_text(execution["executionId"], "cyan"),
            user_text(f" of {execution['planName']} ({execution['executionType']}): "),
            user_text(execution["statusLabel"], f"bold {execution_style(execution['status'])}".strip()),
        )
    )
    console.print(
        user_text(
            f"Started {execution.get('startTime')}, ended {execution.get('endTime') or '-'}, "
            f"duration {format_duration(duration) if duration is not None else '-'}"
        )
    )
    for actor_line in actor_lines(execution):
        console.print(user_text(actor_line))
    recovery = execution.get("recoveryTime")
    if recovery:
        console.print(Text(recovery_line(recovery)))
    if execution.get("cost"):
        console.print(user_text(cost_text(execution["cost"])))
        for entry in execution["cost"]["types"]:
            console.print(user_text(f"  {cost_type_text(entry)}"))
    console.print(wave_table(execution))
    actions = actions_table(execution)
    if actions is not None:
        print_table(console, actions)
    for line in pause_lines(execution):
        print_line(console, line)
    if execution.get("error"):
        console.print(user_text(f"Error: {execution['error']}", style="red"))
    for wave in execution["waves"]:
        for warning in wave.get("warnings") or []:
            console.print(user_text(f"Warning (wave {wave['waveNumber']}): {warning}", style="yellow"))
    failed = (
        failed_servers(client, execution["executionId"])
        if servers is None
        else [s for s in servers if is_failed(s)]
    )
    if failed:
        console.print(Text(f"Failed servers ({len(failed)}):", style="red"))
        for server in failed[:20]:
            console.print(
                user_text(
                    f"  {server['sourceServerId']} {server.get('hostname') or ''} (wave {server.get('waveNumber')}, "
                    f"{server.get('impactLevel', 'CRITICAL')}): {server.get('error') or server.get('launchStatus')}"
                )
            )
        if len(failed) > 20:
            console.print(Text(f"  ... and {len(failed) - 20} more"))
    verdict = execution.get("canTerminate") or {}
    if verdict.get("canTerminate"):
        print_with_command(
            console,
            "Recovery instances are running. Terminate them with:",
            f"drsctl terminate {execution['executionId']}",
        )
        cleanup = cleanup_line(execution)
        if cleanup:
            print_with_command(
                console,
                f"{cleanup}. Postpone it with:",
                f"drsctl cleanup {execution['executionId']} --postpone HOURS",
            )
    elif execution.get("instancesTerminated"):
        console.print(Text("Recovery instances: terminated"))
    elif verdict.get("reason"):
        console.print(user_text(f"Recovery instances: {verdict['reason']}"))


def exit_code(status: str) -> int:
    """0 COMPLETED, 2 PARTIAL_SUCCESS, 1 anything else."""
    return 0 if status == "COMPLETED" else 2 if status == "PARTIAL_SUCCESS" else 1
