"""`drsctl readiness PLAN... | --all` and `drsctl history PLAN --trend`: readiness of many plans in
the batch model (exit 0 all READY, 2 some AT_RISK or NOT_READY, 1 all NOT_READY or a usage error;
one line per problem, then a summary with counts), and a plan's evidence across drills.

cli.py registers both through ``register`` (the parsers) and ``commands`` (the handlers)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.console import Console

from drsctl import render
from drsctl.client import ApiClient, DrsctlError
from execution_utils import Verdict

VERDICTS = tuple(str(v) for v in Verdict)
STYLE = {"READY": "green", "AT_RISK": "yellow", "NOT_READY": "red", "FAIL": "red", "WARN": "yellow"}


class Ctx(Protocol):
    """What these commands use of cli.Context."""

    args: argparse.Namespace
    console: Console
    client: ApiClient
    json: bool

    def emit(self, data: Any, text: Callable[[], None]) -> None: ...


class ReadinessUsageError(DrsctlError):
    pass


@dataclass
class PlanReadiness:
    plan: str
    plan_id: str | None
    verdict: str = "NOT_READY"
    problems: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "planId": self.plan_id,
            "verdict": self.verdict,
            "problems": self.problems,
            "error": self.error,
        }


def check_plan(client: ApiClient, plan: dict[str, Any]) -> PlanReadiness:
    """One plan's readiness; a plan that cannot be checked is NOT_READY with the reason."""
    result = PlanReadiness(plan=str(plan["name"]), plan_id=plan.get("planId"))
    if not result.plan_id:
        result.error = f"no recovery plan named or with id {plan['name']!r}"
        return result
    try:
        found = client.get(f"/recovery-plans/{result.plan_id}/readiness")
    except DrsctlError as e:
        result.error = str(e)
        return result
    result.verdict = str(found["verdict"])
    result.problems = [c for c in found["checks"] if c["status"] != "PASS"]
    return result


def readiness_exit_code(results: list[PlanReadiness]) -> int:
    """0: every plan READY; 1: every plan NOT_READY (or none given); 2: anything between."""
    if results and all(r.verdict == "READY" for r in results):
        return 0
    if not results or all(r.verdict == "NOT_READY" for r in results):
        return 1
    return 2


def _targets(ctx: Ctx) -> list[dict[str, Any]]:
    if ctx.args.all == bool(ctx.args.plans):
        raise ReadinessUsageError("give plan names or ids, or --all (not both)")
    plans = ctx.client.plans()
    if ctx.args.all:
        if not plans:
            raise ReadinessUsageError("there are no recovery plans to check")
        return plans
    targets = []
    for name in ctx.args.plans:
        match = next(
            (p for p in plans if p["planId"] == name or str(p["name"]).lower() == name.lower()), None
        )
        targets.append(match or {"name": name, "planId": None})
    return targets


def cmd_readiness(ctx: Ctx) -> int:
    targets = _targets(ctx)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda plan: check_plan(ctx.client, plan), targets))
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    summary = {
        "total": len(results),
        "ready": counts["READY"],
        "atRisk": counts["AT_RISK"],
        "notReady": counts["NOT_READY"],
        "results": [r.to_json() for r in results],
    }

    def text() -> None:
        for r in results:
            if r.error:
                ctx.console.print(render.user_text(f"{r.plan}: NOT_READY: {r.error}", style="red"))
            for p in r.problems:
                server = f" [{p['sourceServerId']}]" if p.get("sourceServerId") else ""
                line = f"{r.plan}: {p['status']} {p['check']}{server}: {p['message']}"
                ctx.console.print(render.user_text(line, style=STYLE.get(p["status"], "")))
        verdicts = ", ".join(f"{r.plan} {r.verdict}" for r in results)
        ctx.console.print(
            render.user_text(
                f"{summary['total']} plans: {counts['READY']} READY, {counts['AT_RISK']} AT_RISK, "
                f"{counts['NOT_READY']} NOT_READY ({verdicts})"
            )
        )

    ctx.emit(summary, text)
    return readiness_exit_code(results)


def cmd_history_trend(ctx: Ctx) -> int:
    plan_id = ctx.client.resolve_plan(ctx.args.plan)["planId"]
    found = ctx.client.get(f"/recovery-plans/{plan_id}/drill-history", {"last": ctx.args.last})

    def text() -> None:
        for d in found["drills"]:
            line = (
                f"{d['startTime']}  {d['statusLabel']}  recovery {render.duration_text(d['recoveryTime']['seconds'])}"
                f"  paused {render.duration_text(d['pausedSeconds'])}  RTO {d['verdict']}  {d['executionId']}"
            )
            ctx.console.print(render.user_text(line))
        recent, previous = found["recoveryTime"], found["previousRecoveryTime"]
        ctx.console.print(
            render.user_text(
                f"last {recent['drills']} drills: p50 {render.duration_text(recent['p50Seconds'])}, "
                f"p95 {render.duration_text(recent['p95Seconds'])}; previous {previous['drills']}: "
                f"p50 {render.duration_text(previous['p50Seconds'])}, p95 {render.duration_text(previous['p95Seconds'])}; "
                f"trend {found['trend']}"
            )
        )
        never = [s["sourceServerId"] for s in found["servers"] if not s["lastDrilledTime"]]
        ctx.console.print(render.user_text(f"servers never drilled: {', '.join(never) if never else 'none'}"))

    ctx.emit(found, text)
    return 0


def register(commands: Any) -> None:
    """Add `readiness` and `history --trend/--last` to drsctl's sub-command parsers."""
    readiness = commands.add_parser(
        "readiness", help="would a recovery work now: each plan's verdict and every problem"
    )
    readiness.add_argument("plans", nargs="*", metavar="PLAN", help="plan names or ids")
    readiness.add_argument("--all", action="store_true", help="every recovery plan")
    history = commands.choices["history"]
    history.add_argument(
        "--trend", action="store_true", help="every drill with p50/p95 of recovery time and its trend"
    )
    history.add_argument(
        "--last", type=int, default=10, help="with --trend: N drills per window (default 10)"
    )


def commands(existing: dict[str, Callable[[Any], int]]) -> dict[str, Callable[[Any], int]]:
    """The handlers to add to cli.COMMANDS: `readiness`, and `history` that turns to the trend
    when --trend is given (the plain history otherwise, unchanged)."""
    plain_history = existing["history"]

    def history(ctx: Any) -> int:
        if ctx.args.trend:
            if not 1 <= ctx.args.last <= 50:
                raise ReadinessUsageError("--last must be from 1 to 50")
            return cmd_history_trend(ctx)
        return plain_history(ctx)

    return {"readiness": cmd_readiness, "history": history}
