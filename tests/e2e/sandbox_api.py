"""The sandbox's REST and control APIs as an operator's script uses them, shared by the e2e tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

# Simulated seconds per phase: each wave takes a few real seconds at the sandbox's time scale.
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
SLOW = {"snapshot": 60, "conversion": 600, "launch": 60, "boot": 20}
TIME_SCALE = 60
TIMEOUT = 120


def call(sandbox: Any, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    """One request to the sandbox (``sandbox.url``), its status asserted, its JSON answer (None if empty)."""
    answer = requests.request(method, sandbox.url + path, json=body, timeout=30)
    assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
    return answer.json() if answer.content else None


def until(check: Callable[[], Any], timeout: float = 120, what: str = "a condition") -> Any:
    """Poll ``check`` until it returns something truthy (that value), or fail after ``timeout``
    seconds naming ``what`` was waited for."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if value := check():
            return value
        pause.wait(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def drsctl(sandbox: Any, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """drsctl as an operator runs it against ``sandbox`` (a running Sandbox or its URL; the endpoint
    in DRSCTL_ENDPOINT; no AWS endpoint of the sandbox's own leaks into it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["DRSCTL_ENDPOINT"] = str(getattr(sandbox, "url", sandbox))
    return subprocess.run(
        [sys.executable, "-m", "drsctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


class Api:
    """The REST API and the sandbox's control API over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.http.request(method, self.url + path, json=body, timeout=30)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def servers(self, count: int, **spec: Any) -> list[str]:
        ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
        servers = [
            {"sourceServerId": i, "hostname": f"host-{i[-6:]}", "phaseDurations": QUICK, **spec} for i in ids
        ]
        self.call("POST", "/_sandbox/source-servers", {"servers": servers}, expect=201)
        return ids

    def group(self, server_ids: list[str], **extra: Any) -> str:
        body = {"name": f"group-{uuid.uuid4().hex[:8]}", "sourceServerIds": server_ids, **extra}
        return str(self.call("POST", "/protection-groups", body, expect=201)["groupId"])

    def plan(self, waves: list[tuple[list[str], bool]], **options: Any) -> str:
        body: dict[str, Any] = {
            "name": f"plan-{uuid.uuid4().hex[:8]}",
            "waves": [
                {"waveName": f"Wave{n}", "protectionGroupIds": [group], "pauseBeforeWave": pause}
                for n, (group_ids, pause) in enumerate(waves, start=1)
                for group in [self.group(group_ids)]
            ],
        }
        if options:
            body["options"] = options
        return str(self.call("POST", "/recovery-plans", body, expect=201)["planId"])

    def start(self, plan_id: str, kind: str = "DRILL") -> str:
        started = self.call(
            "POST", f"/recovery-plans/{plan_id}/executions", {"executionType": kind}, expect=202
        )
        return str(started["executionId"])

    def execution(self, execution_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/executions/{execution_id}", expect=200))

    def server_items(self, execution_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            page = self.call(
                "GET", f"/executions/{execution_id}/servers" + (f"?nextToken={token}" if token else "")
            )
            items += page["items"]
            token = page.get("nextToken") or ""
            if not token:
                return items

    def watch(
        self, execution_id: str, until: Any, timeout: float = TIMEOUT
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read the execution until `until(record)` holds; return it and every record seen."""
        seen: list[dict[str, Any]] = []
        stop = threading.Event()
        deadline = timeout / 0.2
        for _ in range(int(deadline)):
            record = self.execution(execution_id)
            seen.append(record)
            if until(record):
                return record, seen
            stop.wait(0.2)
        raise AssertionError(f"timed out; last status {seen[-1]['status']}, waves {wave_statuses(seen[-1])}")


TERMINAL = {"COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}


def finished(record: dict[str, Any]) -> bool:
    return record["status"] in TERMINAL


def wave_statuses(record: dict[str, Any]) -> list[str]:
    return [w["status"] for w in record["waves"]]
