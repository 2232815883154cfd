"""`drsctl schedule PLAN`: a plan's drill schedule (whether it is in place, its next run) and its
recent runs, each the drill it started or why it was skipped.

cli.py registers it through ``register`` (the parser) and ``commands`` (the handler)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drsctl import output, render


def cmd_schedule(ctx: Any) -> int:
    plan = ctx.client.resolve_plan(ctx.args.plan)
    found = ctx.client.get(f"/recovery-plans/{plan['planId']}/drill-schedule")
    runs = found["runs"]
    rows = [
        [
            r["scheduledTime"],
            r["outcome"],
            r.get("executionId") or "",
            f"{r['reasonCode']}: {r.get('reason', '')}" if r.get("reasonCode") else "",
        ]
        for r in runs
    ]

    def text() -> None:
        schedule = found["drillSchedule"]
        if schedule is None:
            line = f"{plan['name']}: no drill schedule"
        else:
            state = "enabled" if schedule["enabled"] else "disabled"
            line = f"{plan['name']}: {schedule['expression']} ({schedule['timezone']}), {state}"
            if found["nextRunTime"]:
                line += f", next run {found['nextRunTime']}"
        ctx.console.print(render.user_text(line))
        if found["problem"]:
            ctx.console.print(render.user_text(f"not in place: {found['problem']}", style="red"))
        if rows:
            output.print_table(
                ctx.console, output.table(rows, ["SCHEDULED", "OUTCOME", "EXECUTION ID", "REASON"])
            )
        else:
            ctx.console.print(render.user_text("no runs yet"))

    ctx.emit(found, text, rows=rows, ids=[r.get("executionId") for r in runs if r.get("executionId")])
    # A schedule that is not in place is the user's failure to see: exit 1 says so to scripts.
    return 0 if found["inPlace"] else 1


def register(commands: Any) -> None:
    """Add `schedule` to drsctl's sub-command parsers."""
    schedule = commands.add_parser(
        "schedule", help="a plan's drill schedule and its recent runs (started or skipped)"
    )
    schedule.add_argument("plan", metavar="PLAN", help="plan name or id")


def commands() -> dict[str, Callable[[Any], int]]:
    return {"schedule": cmd_schedule}
