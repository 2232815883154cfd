"""drsctl [GLOBAL OPTIONS] COMMAND ... [GLOBAL OPTIONS]

Global options (--output, --query, -q, --debug, --profile, --region, --endpoint, --stack) go before or
after the command, as in the AWS CLI. Exit codes: 0 all succeeded, 1 all failed (or a usage,
connection or API error), 2 partial success.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
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

from drsctl import cleanup as cleanup_commands
from drsctl import completion, output, render, settings
from drsctl import drift as drift_commands
from drsctl import readiness as readiness_commands
from drsctl import schedules as schedule_commands
from drsctl.batch import DrillResult, batch_exit_code, run_drills
from drsctl.client import ApiClient, DrsctlError
from drsctl.planfile import apply_document, load_document
from drsctl.watch import WatchedExecution

ENDPOINT_ENV = settings.ENDPOINT_ENV


class UsageError(DrsctlError):
    pass


class ConfirmationMismatch(DrsctlError):
    """The plan name given to confirm an act on production is not the plan's: refused before the
    warning is printed and before anything is sent."""

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CONFIRMATION_MISMATCH", "message": str(self)}}


def version() -> str:
    """The installed distribution's version (pyproject's [project] version)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("drs-orchestrator")
    except PackageNotFoundError:
        return "unknown (not installed)"


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command takes, before or after it (`drsctl status ID --output json`). Below
    the top they default to SUPPRESS, so that leaving them out there keeps what was given above."""
    group = parser.add_argument_group("global options")

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    group.add_argument(
        "--output",
        choices=settings.OUTPUTS,
        default=default(None),
        help="table (default: aligned columns), text (tab-separated), json or yaml",
    )
    group.add_argument(
        "--query",
        metavar="JMESPATH",
        default=default(None),
        help="a JMESPath expression applied to the JSON answer before it is printed",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="print only what scripts need (ids), one a line",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log every request and where the settings came from to stderr",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        help="a profile of the config file (or of your AWS config); default $DRSCTL_PROFILE",
    )
    group.add_argument("--region", default=default(None), help="the AWS Region (of --stack)")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=default(None),
        help=f"the API's URL (default: ${ENDPOINT_ENV}, then the config file)",
    )
    group.add_argument(
        "--stack",
        metavar="NAME",
        default=default(None),
        help=f"read the API's URL from this deployed stack's outputs (or ${settings.STACK_ENV})",
    )


def subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below `parser`, depth first."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += [sub, *subparsers(sub)]
    return found


class Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors; 2 means partial success here, so usage errors exit 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="drsctl", description="Multi-wave DRS recovery plans from the command line.")
    parser.add_argument("--version", action="version", version=f"drsctl {version()}")
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
        apply.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be created or changed (a diff of each) and change nothing",
        )
        if noun == "groups":
            drift_commands.register(verbs)

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
        "--cancel-conflicting-drills",
        action="store_true",
        help="with --recovery: cancel a drill still running on the plan's servers (its drill network "
        "overrides are restored first) instead of refusing to start",
    )
    execute.add_argument(
        "--wait", action="store_true", help="follow it to the end; exit 0, 1 or 2 from its outcome"
    )
    execute.add_argument("--timeout", type=float, help="with --wait: stop waiting after this many seconds")

    status = commands.add_parser("status", help="an execution's status, waves and servers")
    status.add_argument("execution", nargs="?", help="an execution id, or a unique prefix of one")
    status.add_argument("--plan", metavar="PLAN", help="with --latest: the plan (name or id)")
    status.add_argument("--latest", action="store_true", help="with --plan: the plan's newest execution")
    status.add_argument(
        "--wait", action="store_true", help="follow it to the end with the live view (as execute --wait)"
    )
    status.add_argument("--timeout", type=float, help="with --wait: stop waiting after this many seconds")

    servers = commands.add_parser("servers", help="an execution's servers: hostname, wave, phase, instance")
    servers.add_argument("execution", help="an execution id, or a unique prefix of one")

    shells = commands.add_parser("completion", help="print a shell completion script (bash, zsh or fish)")
    shells.add_argument("shell", choices=completion.SHELLS)
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
    cleanup_commands.register(commands)
    schedule_commands.register(commands)

    add_global_options(parser, top=True)
    for child in subparsers(parser):
        add_global_options(child, top=False)
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
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        self.settings = settings.resolve(
            settings.Flags(
                endpoint=args.endpoint,
                stack=args.stack,
                profile=args.profile,
                region=args.region,
                output=args.output,
            ),
            settings.environment(),
        )
        logging.getLogger("drsctl").debug(
            "endpoint %s from %s; drsctl profile %s; AWS profile %s; region %s",
            self.settings.endpoint,
            self.settings.source,
            self.settings.profile,
            self.settings.aws_profile or "(default chain)",
            self.settings.region or "(default)",
        )
        self.output = self.settings.output
        self.query: str | None = args.query
        self.quiet: bool = args.quiet
        # Anything but the human rendering keeps stdout for the document; progress goes to stderr.
        self.machine = self.output != "table" or self.quiet or self.query is not None
        self.client = ApiClient(
            self.settings.endpoint,
            session=session,
            sleep=sleep,
            region=self.settings.region,
            aws_profile=self.settings.aws_profile,
        )

    def emit(
        self,
        data: Any,
        text: Callable[[], None],
        *,
        rows: Sequence[Sequence[Any]] | None = None,
        ids: Sequence[Any] | None = None,
    ) -> None:
        """`data` (the API's document) in the format asked for: `text` draws the table format, `rows`
        are the text format's records (the document's own lines when None), `ids` what -q prints."""
        if self.quiet:
            for value in ids or []:
                print(render.clean(value))
            return
        if self.query is not None:
            data = output.apply_query(data, self.query)
            if self.output == "table":
                output.generic_table(self.console, data)
                return
            rows = None
        if self.output == "json":
            print(output.to_json(data))
        elif self.output == "yaml":
            print(output.to_yaml(data))
        elif self.output == "text":
            for line in output.rows_text(rows) if rows is not None else output.text_lines(data):
                print(line)
        else:
            text()


def _table(console: Console, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Aligned columns; every cell is user text (never markup), no id is ever wrapped or cut. Off a
    terminal the console is wide enough that no cell is wrapped or cut."""
    output.print_table(console, output.table(rows, headers))


def _drill_network(plan: dict[str, Any]) -> str:
    """Where the plan's drills launch: its drill network's subnets and security groups, or "-"
    (drills launch where a recovery would)."""
    network = (plan.get("options") or {}).get("drillNetwork")
    if not network:
        return "-"
    return (
        ", ".join(network.get("subnetIds") or []) + " / " + ", ".join(network.get("securityGroupIds") or [])
    )


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
            ctx.emit(
                items,
                lambda: _table(ctx.console, rows, ("NAME", "ID", "SERVERS")),
                rows=rows,
                ids=[g[key] for g in items],
            )
        else:
            plan_rows: list[tuple[str, ...]] = [
                (
                    p["name"],
                    p[key],
                    " -> ".join(w["waveName"] + _wave_marks(w) for w in p["waves"]),
                    _drill_network(p),
                )
                for p in items
            ]
            ctx.emit(
                items,
                lambda: _table(ctx.console, plan_rows, ("NAME", "ID", "WAVES", "DRILL NETWORK")),
                rows=plan_rows,
                ids=[p[key] for p in items],
            )
        return 0
    if verb == "apply":
        dry_run = ctx.args.dry_run
        results = apply_document(client, load_document(ctx.args.file), dry_run=dry_run)

        def text() -> None:
            for r in results:
                ctx.console.print(
                    render.user_text(f"{r.action:<9} {r.kind:<16} {r.name} ({r.id or 'new'})"), soft_wrap=True
                )
                for line in (r.diff or "").splitlines():
                    style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
                    ctx.console.print(render.user_text(f"    {line}", style=style), soft_wrap=True)
            if dry_run:
                counts = {a: sum(r.action == a for r in results) for a in ("create", "update", "unchanged")}
                ctx.console.print(
                    render.user_text(
                        f"dry run: nothing was changed ({counts['create']} to create, "
                        f"{counts['update']} to update, {counts['unchanged']} unchanged)"
                    )
                )

        ctx.emit(
            [r.to_json() for r in results],
            text,
            rows=[(r.action, r.kind, r.name, r.id or "") for r in results],
            ids=[r.id for r in results if r.id],
        )
        return 0
    item = resolve(ctx.args.target)
    if verb == "show":
        ctx.emit(item, lambda: ctx.console.print_json(json.dumps(item, default=str)), ids=[item[key]])
        return 0
    client.delete(f"{path}/{item[key]}")
    ctx.emit(
        {"deleted": item[key]},
        lambda: ctx.console.print(render.user_text(f"deleted {item['name']} ({item[key]})")),
        ids=[item[key]],
    )
    return 0


def _watch(ctx: Context, execution_id: str, timeout: float | None) -> int:
    watched = WatchedExecution(ctx.client, execution_id)
    try:
        final = render.watch_execution(
            ctx.client,
            execution_id,
            console=ctx.console if not ctx.machine else render.make_console(sys.stderr),
            poll_seconds=ctx.poll_seconds,
            sleep=ctx.sleep,
            timeout=timeout,
            watched=watched,
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
    # The summary's servers: what the watcher keeps, brought up to date once more (a cursor read).
    watched.servers.refresh()
    ctx.emit(
        final,
        lambda: render.print_summary(ctx.client, final, ctx.console, watched.servers.items()),
        rows=[_status_row(final)],
        ids=[final["status"] if ctx.args.command == "status" else final["executionId"]],
    )
    return render.exit_code(final["status"])


def _status_row(execution: dict[str, Any]) -> tuple[Any, ...]:
    return (
        execution["executionId"],
        execution["planName"],
        execution["executionType"],
        execution["status"],
        execution.get("startTime"),
        execution.get("endTime"),
    )


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
    body: dict[str, Any] = {"confirmPlanName": name}
    if getattr(ctx.args, "cancel_conflicting_drills", False):
        body["cancelConflictingDrills"] = True
    return dict(ctx.client.post(f"/recovery-plans/{plan['planId']}/recovery", body))


def cmd_execute(ctx: Context) -> int:
    if ctx.args.confirm_plan_name is not None and not ctx.args.recovery:
        raise UsageError("--confirm-plan-name goes with --recovery (a drill needs no confirmation)")
    if getattr(ctx.args, "cancel_conflicting_drills", False) and not ctx.args.recovery:
        raise UsageError("--cancel-conflicting-drills goes with --recovery (a drill cancels no drill)")
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
                ),
                soft_wrap=True,
            ),
            rows=[(started["executionId"], started["status"])],
            ids=[started["executionId"]],
        )
        return 0
    if not ctx.machine:
        ctx.console.print(
            render.user_text(f"{kind.lower()} of {plan['name']} started: execution {started['executionId']}")
        )
    return _watch(ctx, started["executionId"], ctx.args.timeout)


def cmd_status(ctx: Context) -> int:
    args = ctx.args
    if args.plan or args.latest:
        if not (args.plan and args.latest) or args.execution:
            raise UsageError("give an EXECUTION id, or --plan PLAN --latest (its newest execution)")
        plan = ctx.client.resolve_plan(args.plan)
        newest = ctx.client.get("/executions", {"planId": plan["planId"], "limit": 1})["items"]
        if not newest:
            raise DrsctlError(f"recovery plan {plan['name']!r} has no executions yet")
        args.execution = newest[0]["executionId"]
    elif not args.execution:
        raise UsageError("give an EXECUTION id (or a unique prefix of one), or --plan PLAN --latest")
    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout goes with --wait")
    if args.wait:
        return _watch(ctx, ctx.client.resolve_execution(args.execution), args.timeout)
    execution = ctx.client.get(f"/executions/{ctx.client.resolve_execution(args.execution)}")
    ctx.emit(
        execution,
        lambda: render.print_summary(ctx.client, execution, ctx.console),
        rows=[_status_row(execution)],
        ids=[execution["status"]],
    )
    return render.exit_code(execution["status"]) if render.is_terminal(execution) else 0


def cmd_servers(ctx: Context) -> int:
    execution_id = ctx.args.execution
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = ctx.client.get(f"/executions/{execution_id}/servers", {"nextToken": token})
        items += page["items"]
        token = page.get("nextToken")
        if not token:
            break
    rows = [
        (
            s.get("hostname") or "-",
            s["sourceServerId"],
            s.get("waveNumber"),
            s.get("phase") or "-",
            s.get("ec2InstanceId") or "-",
            s.get("ec2State") or "-",
        )
        for s in items
    ]
    ctx.emit(
        {"items": items},
        lambda: _table(
            ctx.console, rows, ("HOSTNAME", "SOURCE SERVER", "WAVE", "PHASE", "EC2 INSTANCE", "EC2 STATE")
        ),
        rows=rows,
        ids=[s["sourceServerId"] for s in items],
    )
    return 0


def _confirm_plan_name(ctx: Context, plan_name: str, *, action: str, refusal: str, nothing: str) -> str:
    """The plan name confirming an act on production (starting a real RECOVERY, terminating a
    RECOVERY's instances): the --confirm-plan-name flag's, else typed at a prompt on a terminal
    (`Type the plan name (NAME) to ACTION: `); never guessed. Off a terminal without the flag, a usage
    error: REFUSAL; confirm with --confirm-plan-name NAME."""
    given: str | None = ctx.args.confirm_plan_name
    plan = render.clean(plan_name)
    if given is None:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError(f"{refusal}; confirm with --confirm-plan-name {shlex.quote(plan)}")
        sys.stderr.write(f"Type the plan name ({plan}) to {action}: ")
        sys.stderr.flush()
        typed = sys.stdin.readline()
        if not typed:
            raise UsageError(f"no plan name typed: nothing {nothing}")
        given = typed.rstrip("\r\n")
    # Checked here, exactly as the API checks it, before any warning is printed or anything is sent.
    if given != plan_name:
        raise ConfirmationMismatch(
            f"{render.clean(given)!r} is not the plan's name ({plan}): nothing {nothing} (CONFIRMATION_MISMATCH)"
        )
    return given


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
            render.user_text(f"execution {execution['executionId']} {messages[ctx.args.command]}"),
            soft_wrap=True,
        ),
        ids=[execution["executionId"]],
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
    ctx.emit(
        page,
        lambda: _table(ctx.console, rows, ("EXECUTION", "PLAN", "TYPE", "STATUS", "STARTED")),
        rows=[
            (e["executionId"], e["planName"], e["executionType"], e["status"], e.get("startTime"))
            for e in page["items"]
        ],
        ids=[e["executionId"] for e in page["items"]],
    )
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

    ctx.emit(found, text, rows=rows, ids=[e["executionId"] for e in found["executions"]])
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
        if ctx.machine:
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
        rows=[(r.plan, r.status or "", r.execution_id or "", r.error or "") for r in results],
        ids=[r.execution_id for r in results if r.execution_id],
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
    "servers": cmd_servers,
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
COMMANDS.update(cleanup_commands.commands())
COMMANDS.update(schedule_commands.commands())
COMMANDS.update(drift_commands.commands(COMMANDS))


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
        else "table"
    )
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        _log_to_stderr(args.debug)
        if args.command == "completion":
            sys.stdout.write(completion.script(parser, args.shell))
            return 0
        if args.command == "sandbox":
            return cmd_sandbox(args)
        ctx = Context(args, console or render.make_console(), session, sleep, poll_seconds)
        output = ctx.output
        if getattr(args, "execution", None) and args.command != "status":
            args.execution = ctx.client.resolve_execution(args.execution)
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


class _Stderr(logging.Handler):
    """Writes to the sys.stderr of the moment (a test's capture, a redirected stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"drsctl: debug: {record.getMessage()}", file=sys.stderr)


def _log_to_stderr(debug: bool) -> None:
    """--debug: each request (method, URL, status, time; never a header, so never a credential) and
    where the settings came from; without it, nothing."""
    log = logging.getLogger("drsctl")
    log.handlers[:] = [_Stderr()] if debug else []
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    log.propagate = False


if __name__ == "__main__":
    sys.exit(main())
