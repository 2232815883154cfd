"""`drsctl cleanup EXECUTION [--postpone HOURS]`: when the automatic cleanup of a drill's recovery
instances will terminate them, and postponing it (POST /executions/{id}/cleanup).

Exit codes like the other execution controls: 0 done (or shown), 1 an error (one line: no cleanup
set, instances already terminated, a RECOVERY, hours out of 1-168, an unknown execution).
cli.py registers it through ``register`` (the parser) and ``commands`` (the handler)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Protocol

from rich.console import Console

from drsctl import render
from drsctl.client import ApiClient, DrsctlError

MIN_HOURS, MAX_HOURS = 1, 168


class Ctx(Protocol):
    """What this command uses of cli.Context."""

    args: argparse.Namespace
    console: Console
    client: ApiClient

    def emit(self, data: Any, text: Callable[[], None], *, ids: list[Any] | None = None) -> None: ...


class CleanupUsageError(DrsctlError):
    pass


def _state(execution: dict[str, Any]) -> str:
    """The command's answer when no cleanup is pending: why."""
    if execution.get("executionType") == "RECOVERY":
        return "a RECOVERY: its instances are never cleaned up automatically"
    if not execution.get("cleanupAt"):
        return "no automatic cleanup (its plan sets no drillCleanupAfterHours, or it left no instances)"
    return "its recovery instances are terminated or being terminated: no cleanup is pending"


def cmd_cleanup(ctx: Ctx) -> int:
    execution_id = ctx.args.execution
    hours = ctx.args.postpone
    if hours is not None:
        if not MIN_HOURS <= hours <= MAX_HOURS:
            raise CleanupUsageError(f"--postpone takes {MIN_HOURS} to {MAX_HOURS} hours")
        execution = ctx.client.post(f"/executions/{execution_id}/cleanup", {"postponeHours": hours})
    else:
        execution = ctx.client.get(f"/executions/{execution_id}")

    def text() -> None:
        line = render.cleanup_line(execution)
        if line is None:
            ctx.console.print(render.user_text(f"execution {execution['executionId']}: {_state(execution)}"))
            return
        render.print_with_command(
            ctx.console,
            f"{line}. Postpone it with:",
            f"drsctl cleanup {execution['executionId']} --postpone HOURS",
        )

    ctx.emit(execution, text, ids=[execution.get("cleanupAt") or execution["executionId"]])
    return 0


def register(commands: Any) -> None:
    """Add `cleanup` to drsctl's sub-command parsers."""
    parser = commands.add_parser(
        "cleanup", help="when a drill's instances are terminated automatically; postpone it"
    )
    parser.add_argument("execution")
    parser.add_argument(
        "--postpone",
        type=int,
        metavar="HOURS",
        help=f"move the automatic cleanup this many hours later ({MIN_HOURS}-{MAX_HOURS})",
    )


def commands() -> dict[str, Callable[[Any], int]]:
    return {"cleanup": cmd_cleanup}
