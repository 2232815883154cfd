"""drsctl [--endpoint URL] [--output text|json] COMMAND ...

Exit codes: 0 all succeeded, 1 all failed (or a usage, connection or API error), 2 partial success.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NoReturn

import requests
from rich.console import Console
from rich.text import Text

from drsctl import readiness as readiness_commands
from drsctl import render
from drsctl.batch import DrillResult, batch_exit_code, run_drills
from drsctl.client import ApiClient, DrsctlError
from drsctl.planfile import apply_document, load_document

ENDPOINT_ENV = "DRSCTL_ENDPOINT"


class UsageError(DrsctlError):
    pass


class Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors; 2 means partial success here, so usage errors exit 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="drsctl", description="Multi-wave DRS recovery plans from the command line.")
    parser.add_argument("--endpoint", help=f"the API's URL (default: ${ENDPOINT_ENV})")
    parser.add_argument("--output", choices=["text", "json"], default="text", help="text (default) or json")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    for noun, label in (("groups", "protection groups"), ("plans", "recovery plans")):
        sub = commands.add_parser(noun, help=f"list, show, apply or delete {label}")
        verbs = sub.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
        verbs.required = True
        verbs.add_parser("list", help=f"list {label}")
        show = verbs.add_parser("show", help="show one, by name or id")
        show.add_argument("target")
        delete = verbs.add_parser("delete", help="delete one, by name or id")
        delete.add_argument("target")
        apply = verbs.add_parser("apply", help="create or update groups and plans from a YAML or JSON file")
        apply.add_argument("-f", "--file", required=True)

    execute = commands.add_parser("execute", help="start a drill (default) or a recovery of a plan")
    execute.add_argument("plan", help="the plan's name or id")
    kind = execute.add_mutually_exclusive_group()
    kind.add_argument(
        "--drill", action="store_true", help="a drill: recovery instances in the drill network (default)"
    )
    kind.add_argument(
        "--recovery",
        action="store_true",
        help="a real recovery (failover): asks for the plan's name on a terminal, or give --confirm-plan-name",
    )
    execute.add_argument(
        "--confirm-plan-name",
        "--confirm",
        metavar="NAME",
        help="with --recovery: the plan's name, confirming that production fails over "
        "(asked for on a terminal when not given); --confirm for short",
    )
    execute.add_argument(
        "--wait", action="store_true", help="follow it to the end; exit 0, 1 or 2 from its outcome"
    )
    execute.add_argument("--timeout", type=float, help="with --wait: stop waiting after this many seconds")

    status = commands.add_parser("status", help="an execution's status, waves and servers")
    status.add_argument("execution")
    for verb, text in (
        ("pause", "pause before the next wave"),
        ("resume", "resume a paused execution (approves an APPROVAL action)"),
        ("cancel", "cancel: running waves finish, the rest are cancelled"),
        ("retry", "retry the failed wave of an execution paused by it"),
        ("skip", "skip the failed wave of an execution paused by it and go on (never COMPLETED then)"),
    ):
        control = commands.add_parser(verb, help=text)
        control.add_argument("execution")
        if verb in {"resume", "retry", "skip"}:
            control.add_argument("--comment", metavar="TEXT", help="recorded with who did it")
        if verb in {"retry", "skip"}:
            control.add_argument(
                "--confirm-plan-name",
                "--confirm",
                metavar="NAME",
                help="for a RECOVERY execution: the plan's name, confirming that production servers "
                + ("are launched again" if verb == "retry" else "of the failed wave stay unrecovered")
                + " (asked for on a terminal when not given)",
            )
    terminate = commands.add_parser(
        "terminate", help="terminate the recovery instances an execution launched"
    )
    terminate.add_argument("execution")
    terminate.add_argument(
        "--confirm-plan-name",
        "--confirm",
        metavar="NAME",
        help="for a RECOVERY execution: the plan's name, confirming that production instances go "
        "(asked for on a terminal when not given)",
    )

    executions = commands.add_parser("executions", help="list executions, newest first")
    executions.add_argument("verb", choices=["list"], nargs="?", default="list")
    executions.add_argument("--plan", help="only this plan's (name or id)")
    executions.add_argument("--status", help="only executions in this status")
    executions.add_argument("--limit", type=int, default=20)

    report = commands.add_parser("report", help="an execution's drill report (the evidence auditors ask for)")
    report.add_argument("execution")
    report.add_argument("--format", choices=["md", "html", "json"], default="md", help="default md")
    report.add_argument("-o", "--out", metavar="FILE", help="write it to FILE instead of the terminal")

    history = commands.add_parser("history", help="a plan's last drills and recoveries, with recovery times")
    history.add_argument("plan", metavar="PLAN")
    history.add_argument("--limit", type=int, default=20)

    drill = commands.add_parser("drill", help="drills of many plans; continues past failures")
    drill.add_argument("plans", nargs="*", metavar="PLAN", help="plan names or ids")
    drill.add_argument("--all", action="store_true", help="every recovery plan")
    drill.add_argument("--parallel", type=int, default=4, help="drills at once (default 4)")
    drill.add_argument("--timeout", type=float, default=3600, help="seconds per drill before it is cancelled")

    sandbox = commands.add_parser("sandbox", help="serve the whole system locally (no AWS account)")
    sandbox.add_argument("--port", type=int, default=8787)
    sandbox.add_argument("--scenario")
    sandbox.add_argument("--time-scale", type=float)
    readiness_commands.register(commands)
    return parser


class Context:
    def __init__(
        self,
        args: argparse.Namespace,
        console: Console,
        session: requests.Session | None,
        sleep: Callable[[float], None],
        poll_seconds: float,
    ) -> None:
        self.args = args
        self.console = console
        self.json = args.output == "json"
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        endpoint = args.endpoint or os.environ.get(ENDPOINT_ENV)
        if not endpoint:
            raise UsageError(f"no endpoint: pass --endpoint URL or set {ENDPOINT_ENV}")
        self.client = ApiClient(endpoint, session=session)

    def emit(self, data: Any, text: Callable[[], None]) -> None:
        if self.json:
            print(json.dumps(data, indent=2, default=str))
        else:
            text()


def _table(console: Console, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Aligned columns; every cell is user text (never markup). Off a terminal the console is wide
    enough that no cell is wrapped or cut."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*[render.user_text(v) for v in row])
    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():  # no padding after the last column in a pipe
        console.print(Text(line.rstrip()))


def cmd_catalog(ctx: Context) -> int:
    noun, verb = ctx.args.command, ctx.args.verb
    client = ctx.client
    key, path = ("groupId", "/protection-groups") if noun == "groups" else ("planId", "/recovery-plans")
    resolve = client.resolve_group if noun == "groups" else client.resolve_plan
    if verb == "list":
        items = client.get(path)["items"]
        if noun == "groups":
            rows = [
                (
                    g["name"],
                    g[key],
                    ", ".join(g.get("sourceServerIds") or [])
                    or " ".join(f"{k}={v}" for k, v in (g.get("serverSelectionTags") or {}).items()),
                )
                for g in items
            ]
            ctx.emit(items, lambda: _table(ctx.console, rows, ("NAME", "ID", "SERVERS")))
        else:
            rows = [
                (
                    p["name"],
                    p[key],
                    " -> ".join(w["waveName"] + _wave_marks(w) for w in p["waves"]),
                )
                for p in items
            ]
            ctx.emit(items, lambda: _table(ctx.console, rows, ("NAME", "ID", "WAVES")))
        return 0
    if verb == "apply":
        results = apply_document(client, load_document(ctx.args.file))

        def text() -> None:
            for r in results:
                ctx.console.print(render.user_text(f"{r.action:<9} {r.kind:<16} {r.name} ({r.id})"))

        ctx.emit([r.to_json() for r in results], text)
        return 0
    item = resolve(ctx.args.target)
    if verb == "show":
        ctx.emit(item, lambda: ctx.console.print_json(json.dumps(item, default=str)))
        return 0
    client.delete(f"{path}/{item[key]}")
    ctx.emit(
        {"deleted": item[key]},
        lambda: ctx.console.print(render.user_text(f"deleted {item['name']} ({item[key]})")),
    )
    return 0


def _watch(ctx: Context, execution_id: str, timeout: float | None) -> int:
    try:
        final = render.watch_execution(
            ctx.client,
            execution_id,
            console=ctx.console if not ctx.json else render.make_console(sys.stderr),
            poll_seconds=ctx.poll_seconds,
            sleep=ctx.sleep,
            timeout=timeout,
        )
    except KeyboardInterrupt:
        print(
            f"stopped watching; execution {execution_id} goes on (cancel it with: drsctl cancel {execution_id})",
            file=sys.stderr,
        )
        return 1
    if not render.is_terminal(final):
        message = f"still {final['status']} after {timeout:g} s; execution {execution_id} goes on"
        ctx.emit(
            {"error": {"code": "WAIT_TIMEOUT", "message": message}, "execution": final},
            lambda: print(f"drsctl: error: {message}", file=sys.stderr),
        )
        return 1
    ctx.emit(final, lambda: render.print_summary(ctx.client, final, ctx.console))
    return render.exit_code(final["status"])


def _start(ctx: Context, plan: dict[str, Any], kind: str) -> dict[str, Any]:
    """A drill through the executions route; a real recovery through its own route, confirmed by the
    plan's name (the flag's or typed at a prompt)."""
    if kind == "DRILL":
        return dict(ctx.client.post(f"/recovery-plans/{plan['planId']}/executions", {"executionType": kind}))
    name = _confirm_plan_name(
        ctx,
        plan["name"],
        action="start a real RECOVERY",
        refusal=f"a RECOVERY of {render.clean(plan['name'])} fails production over",
        nothing="started",
    )
    print(
        f"drsctl: warning: starting a RECOVERY (failover) of {render.clean(plan['name'])}, not a drill",
        file=sys.stderr,
    )
    return dict(ctx.client.post(f"/recovery-plans/{plan['planId']}/recovery", {"confirmPlanName": name}))


def cmd_execute(ctx: Context) -> int:
    if ctx.args.confirm_plan_name is not None and not ctx.args.recovery:
        raise UsageError("--confirm-plan-name goes with --recovery (a drill needs no confirmation)")
    plan = ctx.client.resolve_plan(ctx.args.plan)
    kind = "RECOVERY" if ctx.args.recovery else "DRILL"
    started = _start(ctx, plan, kind)
    if not ctx.args.wait:
        ctx.emit(
            started,
            lambda: ctx.console.print(
                render.user_text(
                    f"{kind.lower()} of {plan['name']} started: "
                    f"execution {started['executionId']} ({started['status']})"
                )
            ),
        )
        return 0
    if not ctx.json:
        ctx.console.print(
            render.user_text(f"{kind.lower()} of {plan['name']} started: execution {started['executionId']}")
        )
    return _watch(ctx, started["executionId"], ctx.args.timeout)


def cmd_status(ctx: Context) -> int:
    execution = ctx.client.get(f"/executions/{ctx.args.execution}")
    ctx.emit(execution, lambda: render.print_summary(ctx.client, execution, ctx.console))
    return render.exit_code(execution["status"]) if render.is_terminal(execution) else 0


def _confirm_plan_name(ctx: Context, plan_name: str, *, action: str, refusal: str, nothing: str) -> str:
    """The plan name confirming an act on production (starting a real RECOVERY, terminating a
    RECOVERY's instances): the --confirm-plan-name flag's, else typed at a prompt on a terminal
    (`Type the plan name (NAME) to ACTION: `); never guessed. Off a terminal without the flag, a usage
    error: REFUSAL; confirm with --confirm-plan-name NAME."""
    given: str | None = ctx.args.confirm_plan_name
    if given is not None:
        return given
    plan = render.clean(plan_name)
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(f"{refusal}; confirm with --confirm-plan-name {shlex.quote(plan)}")
    sys.stderr.write(f"Type the plan name ({plan}) to {action}: ")
    sys.stderr.flush()
    typed = sys.stdin.readline()
    if not typed:
        raise UsageError(f"no plan name typed: nothing {nothing}")
    return typed.rstrip("\r\n")


def _on_its_route(
    ctx: Context,
    verb: str,
    recovery_verb: str,
    body: dict[str, Any],
    *,
    action: str,
    refusal: str,
    nothing: str,
) -> dict[str, Any]:
    """POST a drill's act to /executions/ID/VERB; a RECOVERY's acts on production, so it goes to
    /executions/ID/RECOVERY_VERB with the plan's name (asked for on a terminal, else the flag)."""
    execution_id = ctx.args.execution
    execution = ctx.client.get(f"/executions/{execution_id}")
    if execution.get("executionType") != "RECOVERY":
        return dict(ctx.client.post(f"/executions/{execution_id}/{verb}", body))
    name = _confirm_plan_name(
        ctx,
        execution.get("planName", ""),
        action=action,
        refusal=f"execution {execution['executionId']} is a RECOVERY: {refusal}",
        nothing=nothing,
    )
    return dict(
        ctx.client.post(f"/executions/{execution_id}/{recovery_verb}", {**body, "confirmPlanName": name})
    )


def _terminate(ctx: Context) -> dict[str, Any]:
    return _on_its_route(
        ctx,
        "terminate-instances",
        "terminate-recovery-instances",
        {},
        action="terminate the recovered production instances",
        refusal="its instances are production",
        nothing="terminated",
    )


def _retry(ctx: Context, comment: str | None) -> dict[str, Any]:
    return _on_its_route(
        ctx,
        "retry",
        "retry-recovery",
        {"comment": comment} if comment is not None else {},
        action="launch the failed production servers again",
        refusal="retrying launches production servers",
        nothing="retried",
    )


def _skip(ctx: Context, comment: str | None) -> dict[str, Any]:
    return _on_its_route(
        ctx,
        "skip",
        "skip-recovery",
        {"comment": comment} if comment is not None else {},
        action="go on without the failed wave's production servers",
        refusal="skipping leaves production without the failed wave's servers",
        nothing="skipped",
    )


def _wave_marks(wave: dict[str, Any]) -> str:
    """What a plan listing notes of a wave: a pause or an approval before it, and its runbook."""
    marks = []
    if wave.get("pauseBeforeWave"):
        marks.append("pause")
    if any(a.get("type") == "APPROVAL" for a in wave.get("preActions") or []):
        marks.append("approval")
    count = len(wave.get("preActions") or []) + len(wave.get("postActions") or [])
    if count:
        marks.append(f"{count} action{'s' if count != 1 else ''}")
    return f" ({', '.join(marks)})" if marks else ""


def cmd_control(ctx: Context) -> int:
    if ctx.args.command == "terminate":
        execution = _terminate(ctx)
    elif ctx.args.command == "retry":
        execution = _retry(ctx, getattr(ctx.args, "comment", None))
    elif ctx.args.command == "skip":
        execution = _skip(ctx, getattr(ctx.args, "comment", None))
    else:
        comment = getattr(ctx.args, "comment", None)
        execution = ctx.client.post(
            f"/executions/{ctx.args.execution}/{ctx.args.command}",
            {"comment": comment} if comment is not None else {},
        )
    messages = {
        "pause": "will pause before its next wave",
        "resume": "resumed",
        "cancel": f"is {execution['status']}: started waves finish, the rest are cancelled",
        "terminate": "recovery instances are being terminated",
        "retry": f"is {execution['status']}: " + render.after_decision(execution, "retry"),
        "skip": f"is {execution['status']}: " + render.after_decision(execution, "skip"),
    }
    ctx.emit(
        execution,
        lambda: ctx.console.print(
            render.user_text(f"execution {execution['executionId']} {messages[ctx.args.command]}")
        ),
    )
    return 0


def cmd_executions(ctx: Context) -> int:
    plan_id = ctx.client.resolve_plan(ctx.args.plan)["planId"] if ctx.args.plan else None
    page = ctx.client.get(
        "/executions", {"planId": plan_id, "status": ctx.args.status, "limit": ctx.args.limit}
    )
    rows = [
        (e["executionId"], e["planName"], e["executionType"], e["statusLabel"], e.get("startTime"))
        for e in page["items"]
    ]
    ctx.emit(page, lambda: _table(ctx.console, rows, ("EXECUTION", "PLAN", "TYPE", "STATUS", "STARTED")))
    return 0


def cmd_report(ctx: Context) -> int:
    path = f"/executions/{ctx.args.execution}/report"
    if ctx.args.format == "html":
        text = ctx.client.get_text(path, {"format": "html"})
    else:
        report = ctx.client.get(path)
        text = (
            json.dumps(report, indent=2) + "\n"
            if ctx.args.format == "json"
            else render.report_markdown(report)
        )
    if ctx.args.out:
        try:
            with open(ctx.args.out, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as e:
            raise UsageError(f"cannot write {ctx.args.out}: {e.strerror}") from e
        ctx.emit(
            {"written": ctx.args.out},
            lambda: ctx.console.print(render.user_text(f"report written to {ctx.args.out}")),
        )
    else:
        sys.stdout.write(text)
    return 0


def cmd_history(ctx: Context) -> int:
    plan_id = ctx.client.resolve_plan(ctx.args.plan)["planId"]
    found = ctx.client.get(f"/recovery-plans/{plan_id}/history", {"limit": ctx.args.limit})
    rows = [
        (
            e["startTime"],
            e["executionType"],
            e["statusLabel"],
            render.duration_text(e["recoveryTime"]["seconds"]),
            e["verdict"],
            e["executionId"],
        )
        for e in found["executions"]
    ]

    def text() -> None:
        _table(ctx.console, rows, ("STARTED", "TYPE", "STATUS", "RECOVERY TIME", "RTO", "EXECUTION"))
        rate = found["successRate"]
        ctx.console.print(
            render.user_text(
                f"{found['ended']} ended, success rate {'-' if rate is None else f'{rate:.0%}'}; "
                f"last successful drill {found['lastSuccessfulDrill'] or 'never'}; recovery time trend "
                + (" -> ".join(render.duration_text(t["seconds"]) for t in found["recoveryTimeTrend"]) or "-")
            )
        )

    ctx.emit(found, text)
    return 0


def cmd_drill(ctx: Context) -> int:
    if ctx.args.all == bool(ctx.args.plans):
        raise UsageError("give plan names or ids, or --all (not both)")
    if ctx.args.parallel < 1:
        raise UsageError("--parallel must be at least 1")
    plans = ctx.client.plans()
    if ctx.args.all:
        targets = plans
    else:
        targets = []
        for name in ctx.args.plans:
            try:
                targets.append(
                    ctx.client.resolve_plan(name)
                    if not plans
                    else next(p for p in plans if p["planId"] == name or p["name"].lower() == name.lower())
                )
            except StopIteration:
                targets.append({"name": name, "planId": None})
    if not targets:
        raise UsageError("there are no recovery plans to drill")

    def on_done(result: DrillResult) -> None:
        if ctx.json:
            return
        if result.succeeded:
            ctx.console.print(
                render.user_text(f"✓ {result.plan}: COMPLETED ({result.duration_seconds:.0f} s)")
            )
        else:
            ctx.console.print(render.user_text(f"✗ {result.plan}: {result.error}", style="red"))

    unknown = [
        DrillResult(plan=t["name"], succeeded=False, error=f"no recovery plan named or with id {t['name']!r}")
        for t in targets
        if t["planId"] is None
    ]
    for result in unknown:
        on_done(result)
    results = unknown + run_drills(
        ctx.client,
        [t for t in targets if t["planId"]],
        parallel=ctx.args.parallel,
        timeout=ctx.args.timeout,
        poll_seconds=ctx.poll_seconds,
        on_done=on_done,
        sleep=ctx.sleep,
    )
    failed = [r for r in results if not r.succeeded]
    summary: dict[str, Any] = {
        "total": len(results),
        "succeeded": len(results) - len(failed),
        "failed": len(failed),
        "failedPlans": [r.plan for r in failed],
        "results": [r.to_json() for r in results],
    }
    ctx.emit(
        summary,
        lambda: ctx.console.print(
            render.user_text(
                f"{summary['total']} drills: {summary['succeeded']} succeeded, {summary['failed']} failed"
                + (f" ({', '.join(summary['failedPlans'])})" if failed else "")
            )
        ),
    )
    return batch_exit_code(results)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox in an interpreter of its own (``python -m drs_sandbox.server``): drsctl
    starts it as a program and imports none of it. Ctrl-C or SIGTERM given to drsctl reaches the
    sandbox, which stops cleanly; drsctl exits with the sandbox's status."""
    argv = [sys.executable, "-m", "drs_sandbox.server", "--port", str(args.port)]
    if args.scenario:
        argv += ["--scenario", args.scenario]
    if args.time_scale:
        argv += ["--time-scale", str(args.time_scale)]
    child = subprocess.Popen(argv)

    def forward(signum: int, _frame: FrameType | None) -> None:
        # A terminal's Ctrl-C reaches the whole process group already; a second signal only asks
        # the sandbox again to stop, which it does once.
        child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


COMMANDS: dict[str, Callable[[Context], int]] = {
    "groups": cmd_catalog,
    "plans": cmd_catalog,
    "execute": cmd_execute,
    "status": cmd_status,
    "pause": cmd_control,
    "resume": cmd_control,
    "cancel": cmd_control,
    "retry": cmd_control,
    "skip": cmd_control,
    "terminate": cmd_control,
    "executions": cmd_executions,
    "drill": cmd_drill,
    "report": cmd_report,
    "history": cmd_history,
}
COMMANDS.update(readiness_commands.commands(COMMANDS))


def main(
    argv: list[str] | None = None,
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    console: Console | None = None,
    poll_seconds: float = 2.0,
) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Known before parsing, so that even a usage error is reported as JSON when JSON was asked for.
    output = (
        "json"
        if "--output=json" in args_list
        or any(a == "--output" and b == "json" for a, b in itertools.pairwise(args_list))
        else "text"
    )
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "sandbox":
            return cmd_sandbox(args)
        ctx = Context(args, console or render.make_console(), session, sleep, poll_seconds)
        return COMMANDS[args.command](ctx)
    except DrsctlError as e:
        if output == "json":
            print(json.dumps(e.to_json()))
        else:
            print(f"drsctl: error: {render.clean(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("drsctl: interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
