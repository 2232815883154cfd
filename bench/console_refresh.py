"""The cost of watching (issue 22): DynamoDB items read by one console refresh of a running
1,000-server execution when nothing changed since the previous refresh.

A refresh is what the console's execution page asks every REFRESH_MS (and `drsctl status --wait`
every poll): the execution, then its servers and timeline since the cursor of the previous read.
Runs a one-wave drill of 1,000 servers whose snapshots take long (the wave stays running, its
servers unchanged between polls) in a sandbox of its own, reads everything once (the first
refresh, printed for comparison), then refreshes by cursor until a refresh answers nothing changed:
the items that refresh read are judged (bench.gate.judge_refresh, at most 50). Counts, not times: a
loaded machine only makes the wait longer.

Items read are counted from DynamoDB's answers to the calls the API handler makes while serving the
refresh (ScannedCount of a Query or Scan, the item of a GetItem, the items of a BatchGetItem), in
the bench's own thread: the handler runs in-process through the sandbox's WSGI app.

    .venv/bin/python -m bench.console_refresh
"""

from __future__ import annotations

import argparse
import contextvars
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from werkzeug.test import Client

from drs_sandbox.drs import DrsLimits
from drs_sandbox.server import Sandbox
from orchestrator.aws import clients

# Snapshots of an hour (a minute of real time at the bench's time scale): the wave is running and
# its servers do not change for a while once every job has started.
PHASES = {"snapshot": 3600, "conversion": 60, "launch": 30, "boot": 10}
TIME_SCALE = 60.0


def items_read(operation: str, parsed: dict[str, Any]) -> int:
    """The items one DynamoDB answer says were read."""
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in (parsed.get("Responses") or {}).values())
    return 0


class ItemCounter:
    """Items read by the DynamoDB calls made in the counting context (the bench's thread)."""

    def __init__(self) -> None:
        self._var: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("items", default=None)

    def on_answer(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        counting = self._var.get()
        if counting is not None and isinstance(parsed, dict):
            counting[0] += items_read(model.name, parsed)

    def attach(self) -> None:
        clients.client("dynamodb").meta.events.register("after-call.dynamodb", self.on_answer)

    @contextmanager
    def counting(self) -> Iterator[list[int]]:
        total = [0]
        token = self._var.set(total)
        try:
            yield total
        finally:
            self._var.reset(token)


class Console:
    """The execution page's reads, served in this thread: the record, then each watched list by cursor."""

    def __init__(self, sandbox: Sandbox, execution_id: str) -> None:
        assert sandbox.app is not None
        self.client = Client(sandbox.app)
        self.execution_id = execution_id
        self.cursors: dict[str, str | None] = {"servers": None, "timeline": None}

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.client.get(path, query_string={k: v for k, v in params.items() if v is not None})
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True))
        return dict(json.loads(response.get_data(as_text=True)))

    def refresh(self) -> tuple[dict[str, Any], int]:
        """(the record, how many servers and events the refresh answered)."""
        record = self.get(f"/executions/{self.execution_id}", {})
        answered = 0
        for which, since in list(self.cursors.items()):
            token: str | None = None
            first: str | None = None
            while True:
                page = self.get(
                    f"/executions/{self.execution_id}/{which}",
                    {"limit": 500, "since": since, "nextToken": token},
                )
                first = first or page["cursor"]
                answered += len(page["items"])
                token = page.get("nextToken")
                if not token:
                    break
            self.cursors[which] = first
        return record, answered


def started_drill(sandbox: Sandbox, servers: int) -> str:
    http = requests.Session()
    url = sandbox.url
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(servers)]
    specs = [
        {"sourceServerId": i, "hostname": f"bench-{n:04d}", "phaseDurations": PHASES}
        for n, i in enumerate(ids)
    ]
    http.post(f"{url}/_sandbox/source-servers", json={"servers": specs}, timeout=120).raise_for_status()
    group = http.post(
        f"{url}/protection-groups", json={"name": "refresh-bench", "sourceServerIds": ids}, timeout=60
    ).json()["groupId"]
    plan = http.post(
        f"{url}/recovery-plans",
        json={"name": "refresh-bench", "waves": [{"waveName": "All", "protectionGroupIds": [group]}]},
        timeout=60,
    ).json()["planId"]
    return str(
        http.post(
            f"{url}/recovery-plans/{plan}/executions", json={"executionType": "DRILL"}, timeout=120
        ).json()["executionId"]
    )


def measure(servers: int = 1000, timeout: float = 600.0) -> dict[str, Any]:
    """Items read by the first (whole) refresh and by a refresh when nothing changed."""
    parameters = {
        "PollMinSeconds": "1",
        "PollMaxSeconds": "3",
        "DrsMaxServersInActiveJobs": str(max(500, servers)),
    }
    started = time.monotonic()
    counter = ItemCounter()
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600, parameters=parameters) as sandbox:
        sandbox.stack.sim.set_limits(DrsLimits(max_servers_in_active_jobs=max(500, servers)))
        counter.attach()
        execution_id = started_drill(sandbox, servers)
        console = Console(sandbox, execution_id)
        pause = threading.Event()
        deadline = time.monotonic() + timeout
        # The first refresh reads everything (the servers are recorded as the drill is created).
        with counter.counting() as first_read:
            record, _answered = console.refresh()
        full_items = first_read[0]
        # Then refreshes by cursor until one answers nothing changed (the wave still running).
        refreshes: list[tuple[int, int]] = []
        idle: int | None = None
        while time.monotonic() < deadline:
            pause.wait(2.0)
            with counter.counting() as read:
                record, answered = console.refresh()
            refreshes.append((answered, read[0]))
            if answered == 0 and record["status"] == "IN_PROGRESS":
                idle = read[0]
                break
        return {
            "servers": servers,
            "status": record["status"],
            "full_refresh_items": full_items,
            "idle_refresh_items": idle,
            "refreshes": len(refreshes),
            "changed_refresh_items_max": max([r for a, r in refreshes if a] or [0]),
            "total_s": round(time.monotonic() - started, 1),
        }


def line(result: dict[str, Any]) -> str:
    return (
        f"console refresh, running execution of {result['servers']} servers: "
        f"{result['idle_refresh_items']} DynamoDB items read when nothing changed "
        f"(the first, whole read: {result['full_refresh_items']}; the largest refresh with changes: "
        f"{result['changed_refresh_items_max']}; {result['refreshes']} refreshes, {result['total_s']} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.console_refresh", description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.servers)
    print(json.dumps(result, indent=2) if args.json else line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
