"""Live progress and summaries of executions: rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from drsctl.client import ApiClient
from execution_utils import TERMINAL_STATUSES, format_duration, status_color, wave_badge

Sleep = Callable[[float], None]
OnPaused = Callable[[dict[str, Any]], None]


def is_terminal(execution: dict[str, Any]) -> bool:
    return execution["status"] in TERMINAL_STATUSES


def _progress(wave: dict[str, Any]) -> dict[str, int]:
    return dict(wave.get("progress") or {})


def wave_table(execution: dict[str, Any]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Wave", "Status", "Phase", "Launched", "Ready", "Failed"):
        table.add_column(column, justify="right" if column in {"Launched", "Ready", "Failed"} else "left")
    for wave in execution["waves"]:
        progress = _progress(wave)
        total = progress.get("totalServers", 0)
        table.add_row(
            f"{wave['waveNumber']}. {wave['waveName']}"
            + (" (pause before)" if wave.get("pauseBeforeWave") else ""),
            Text(
                f"{wave_badge(wave['status'])['icon']} {wave['status']}", style=status_color(wave["status"])
            ),
            str(wave.get("phase") or ""),
            f"{progress.get('launched', 0)}/{total}",
            f"{progress.get('ready', 0)}/{total}",
            str(progress.get("failed", 0)),
        )
    return table


def live_view(execution: dict[str, Any]) -> Group:
    progress = execution.get("progress") or {}
    total = max(1, int(progress.get("totalServers", 0)))
    done = int(progress.get("ready", 0))
    label = Text(execution["statusLabel"], style=f"bold {status_color(execution['status'])}")
    bar = ProgressBar(total=total, completed=done, width=40)
    counts = Text(f" {done}/{total} servers ready, {progress.get('failed', 0)} failed")
    return Group(
        Text.assemble(f"{execution['planName']} ({execution['executionType']}) ", label),
        Group(bar, counts),
        wave_table(execution),
    )


def plain_line(execution: dict[str, Any]) -> str:
    waves = " | ".join(
        f"{w['waveName']}: {w['status']}{'/' + w['phase'] if w.get('phase') else ''} "
        f"{_progress(w).get('launched', 0)}/{_progress(w).get('totalServers', 0)}"
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
) -> dict[str, Any]:
    """Follow an execution until it ends (or `timeout` seconds pass); return its last state."""
    started = clock()
    handled_pause: int | None = None
    last_line = ""
    execution = client.get(f"/executions/{execution_id}")
    live = (
        Live(live_view(execution), console=console, refresh_per_second=4, transient=False)
        if console.is_terminal
        else None
    )
    if live:
        live.start()
    try:
        while True:
            if live:
                live.update(live_view(execution))
            else:
                line = plain_line(execution)
                if line.split(" ", 1)[1] != last_line:
                    console.print(line, highlight=False, markup=False)
                    last_line = line.split(" ", 1)[1]
            if is_terminal(execution):
                return dict(execution)
            if (
                execution["status"] == "PAUSED"
                and on_paused
                and handled_pause != execution.get("pausedBeforeWave")
            ):
                handled_pause = execution.get("pausedBeforeWave")
                on_paused(execution)
            if timeout is not None and clock() - started >= timeout:
                return dict(execution)
            sleep(poll_seconds)
            execution = client.get(f"/executions/{execution_id}")
    finally:
        if live:
            live.stop()


def failed_servers(client: ApiClient, execution_id: str) -> list[dict[str, Any]]:
    failed: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.get(f"/executions/{execution_id}/servers", {"nextToken": token})
        failed += [s for s in page["items"] if s.get("launchStatus") == "FAILED" or s.get("error")]
        token = page.get("nextToken")
        if not token:
            return failed


def print_summary(client: ApiClient, execution: dict[str, Any], console: Console) -> None:
    duration = execution.get("durationSeconds")
    console.print(
        Text.assemble(
            ("Execution ", ""),
            (execution["executionId"], "cyan"),
            (f" of {execution['planName']} ({execution['executionType']}): ", ""),
            (execution["statusLabel"], f"bold {status_color(execution['status'])}"),
        )
    )
    console.print(
        f"Started {execution.get('startTime')}, ended {execution.get('endTime') or '-'}, "
        f"duration {format_duration(duration) if duration is not None else '-'}",
        highlight=False,
    )
    console.print(wave_table(execution))
    if execution.get("error"):
        console.print(f"Error: {execution['error']}", style="red", highlight=False, markup=False)
    for wave in execution["waves"]:
        for warning in wave.get("warnings") or []:
            console.print(f"Warning (wave {wave['waveNumber']}): {warning}", style="yellow", markup=False)
    failed = failed_servers(client, execution["executionId"])
    if failed:
        console.print(f"Failed servers ({len(failed)}):", style="red")
        for server in failed[:20]:
            console.print(
                f"  {server['sourceServerId']} {server.get('hostname') or ''} (wave {server.get('waveNumber')}, "
                f"{server.get('impactLevel', 'CRITICAL')}): {server.get('error') or server.get('launchStatus')}",
                markup=False,
                highlight=False,
            )
    verdict = execution.get("canTerminate") or {}
    if verdict.get("canTerminate"):
        console.print(
            f"Recovery instances are running. Terminate them with: drsctl terminate {execution['executionId']}"
        )
    elif execution.get("instancesTerminated"):
        console.print("Recovery instances: terminated")
    elif verdict.get("reason"):
        console.print(f"Recovery instances: {verdict['reason']}", markup=False)


def exit_code(status: str) -> int:
    """0 COMPLETED, 2 PARTIAL_SUCCESS, 1 anything else."""
    return 0 if status == "COMPLETED" else 2 if status == "PARTIAL_SUCCESS" else 1
