"""`drsctl groups drift [GROUP]`: the launch settings drift of one protection group (or of every group
with launch settings): one line per drifted field (group, server, field, desired, actual), one line
per server whose settings could not be read, then a summary with counts.

Exit codes: 0 nothing drifted, 2 something drifted, 1 a usage or connection error (or a server whose
settings could not be read while nothing drifted: no drift cannot be promised).

cli.py registers it through ``register`` (the parser) and ``commands`` (the handler)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, Protocol

from rich.console import Console

from drsctl import render
from drsctl.client import ApiClient


class Ctx(Protocol):
    """What this command uses of cli.Context."""

    args: argparse.Namespace
    console: Console
    client: ApiClient

    def emit(self, data: Any, text: Callable[[], None], *, rows: Any = None, ids: Any = None) -> None: ...


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def drift_rows(group: dict[str, Any], settings: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(group, server, field, desired, actual), one per drifted field."""
    rows: list[tuple[str, str, str, str, str]] = []
    for item in settings["items"]:
        server = item["sourceServerId"] + (f" ({item['hostname']})" if item.get("hostname") else "")
        rows += [
            (str(group["name"]), server, d["field"], _value(d["desired"]), _value(d["actual"]))
            for d in item["drift"]
        ]
    return rows


def drift_exit_code(drifted: int, unreadable: int) -> int:
    """2: something drifted; 1: nothing drifted but a server could not be read; 0: nothing drifted."""
    if drifted:
        return 2
    return 1 if unreadable else 0


def cmd_drift(ctx: Ctx) -> int:
    if ctx.args.group:
        groups = [ctx.client.resolve_group(ctx.args.group)]
    else:
        groups = [g for g in ctx.client.groups() if g.get("launchSettings")]
    results = []
    for group in groups:
        found = ctx.client.get(f"/protection-groups/{group['groupId']}/launch-settings")
        results.append((group, found))
    rows = [row for group, found in results for row in drift_rows(group, found)]
    unreadable = [
        (str(group["name"]), item) for group, found in results for item in found["items"] if item["error"]
    ]
    servers = sum(len(found["items"]) for _, found in results)
    drifted_servers = sum(found["driftedServers"] for _, found in results)
    summary = {
        "groups": len(results),
        "servers": servers,
        "driftedServers": drifted_servers,
        "driftedFields": len(rows),
        "unreadableServers": len(unreadable),
        "results": [found for _, found in results],
    }

    def text() -> None:
        for group_name, server, field, desired, actual in rows:
            line = f"{group_name}: {server}: {field}: desired {desired}, actual {actual}"
            ctx.console.print(render.user_text(line, style="yellow"))
        for group_name, item in unreadable:
            line = f"{group_name}: {item['sourceServerId']}: cannot read its launch settings: {item['error']['message']}"
            ctx.console.print(render.user_text(line, style="red"))
        ctx.console.print(
            render.user_text(
                f"{len(results)} groups, {servers} servers: {drifted_servers} drifted "
                f"({len(rows)} fields), {len(unreadable)} unreadable"
            )
        )

    ctx.emit(summary, text, rows=rows, ids=sorted({r[1].split(" ")[0] for r in rows}))
    return drift_exit_code(len(rows), len(unreadable))


def register(verbs: Any) -> None:
    """Add `drift` to the verbs of `drsctl groups`."""
    drift = verbs.add_parser(
        "drift",
        help="launch settings changed by hand: one line per drifted field (exit 2 when any)",
    )
    drift.add_argument(
        "group",
        nargs="?",
        default=None,
        metavar="GROUP",
        help="a group's name or id (default: every group with launch settings)",
    )


def commands(existing: dict[str, Callable[[Any], int]]) -> dict[str, Callable[[Any], int]]:
    """The `groups` handler that turns to ``cmd_drift`` for `groups drift` (the catalog otherwise)."""
    catalog = existing["groups"]

    def groups(ctx: Any) -> int:
        if ctx.args.verb == "drift":
            return cmd_drift(ctx)
        return catalog(ctx)

    return {"groups": groups}
