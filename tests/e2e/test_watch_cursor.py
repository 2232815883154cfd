"""The cost of watching (issue 22): the console's execution page and `drsctl status --wait` ask only
for what changed since their last read (`?since=<cursor>` on an execution's servers and timeline),
and what they keep, merged, is exactly what a full read answers.

The real state machine, the real handlers in-process, the DRS simulator and moto, driven through the
REST API, drsctl (in-process for its watcher, as a subprocess for the command) and headless Chromium
(skipped without it, unless CONSOLE_E2E_REQUIRED=1) for the console."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_tests import chromium_context, missing, watched_page
from sandbox_api import TIME_SCALE, Api, drsctl, finished, until

from drs_sandbox.server import Sandbox
from drsctl.watch import WatchedExecution

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.url)


class Reader:
    """What a watcher calls: the API's GET, failing on anything but 200."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        given = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.api.http.get(self.api.url + path, params=given, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


def full_read(api: Api, execution_id: str, which: str) -> list[dict[str, Any]]:
    """Every item of an execution's servers or timeline, page after page, no cursor."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = Reader(api).get(f"/executions/{execution_id}/{which}", {"limit": 2, "nextToken": token})
        items += page["items"]
        token = page.get("nextToken")
        if not token:
            return items


def merged_equals_full_read(api: Api, watched: WatchedExecution, execution_id: str) -> bool:
    watched.refresh()
    return watched.servers.items() == full_read(
        api, execution_id, "servers"
    ) and watched.timeline.items() == full_read(api, execution_id, "timeline")


@pytest.fixture(scope="module")
def watched_drill(api: Api) -> dict[str, Any]:
    """Given a two-wave drill (3 servers, then 2 with one whose launch fails) that a watcher followed
    from its start, refreshing by cursor while it ran: the watcher, its record and what each
    refresh answered."""
    wave2 = api.servers(1) + api.servers(1, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = api.plan([(api.servers(3), False), (wave2, False)])
    execution_id = api.start(plan_id)
    watched = WatchedExecution(Reader(api), execution_id)
    answered: list[int] = []
    pause = threading.Event()
    record = api.execution(execution_id)
    while not finished(record):
        answered.append(watched.servers.refresh())
        watched.timeline.refresh()
        pause.wait(0.3)
        record = api.execution(execution_id)
    return {"executionId": execution_id, "watched": watched, "record": record, "answered": answered}


@pytest.mark.slow
def test_a_watcher_merging_what_changed_keeps_exactly_what_a_full_read_answers(
    api: Api, watched_drill: dict[str, Any]
) -> None:
    # Given the drill the watcher followed by cursor reads to its end
    execution_id = watched_drill["executionId"]
    watched: WatchedExecution = watched_drill["watched"]
    # Then it refreshed several times by cursor while the drill ran (each answers what was written
    # since its cursor less the overlap, so in a drill this short, every server)
    assert len(watched_drill["answered"]) > 3 and watched.servers.cursor
    # When it refreshes once the last events are written, Then its servers and timeline equal a full read
    until(
        lambda: merged_equals_full_read(api, watched, execution_id),
        60,
        "the merged view to equal a full read",
    )
    servers = watched.servers.items()
    assert len(servers) == 5 and [s.get("launchStatus") for s in servers].count("FAILED") == 1
    kinds = [e["type"] for e in watched.timeline.items()]
    assert kinds[0] == "EXECUTION_STARTED" and "SERVER_FAILED" in kinds and "EXECUTION_FINISHED" in kinds


@pytest.mark.slow
def test_a_refresh_when_nothing_changed_answers_no_item(api: Api, watched_drill: dict[str, Any]) -> None:
    # Given the ended drill, its last events written
    execution_id = watched_drill["executionId"]
    watched = WatchedExecution(Reader(api), execution_id)
    watched.refresh()
    # When a watcher keeps refreshing by cursor, Then once nothing was written for a while its
    # refreshes answer no server and no event at all
    until(
        lambda: watched.servers.refresh() == 0 and watched.timeline.refresh() == 0,
        60,
        "a refresh that answers nothing",
    )
    assert watched.servers.items() == full_read(api, execution_id, "servers")


@pytest.mark.slow
def test_a_read_since_a_cursor_pages_with_next_token(api: Api, watched_drill: dict[str, Any]) -> None:
    # Given a cursor older than every write of the drill: that of a read made before it started
    execution_id = watched_drill["executionId"]
    old = json.dumps({"at": "2000-01-01T00:00:00.000000Z"}).encode()
    since = base64.urlsafe_b64encode(old).decode().rstrip("=")
    # When its servers are read since that cursor one at a time
    items: list[dict[str, Any]] = []
    token: str | None = None
    cursors = set()
    while True:
        page = Reader(api).get(
            f"/executions/{execution_id}/servers", {"since": since, "limit": 1, "nextToken": token}
        )
        assert len(page["items"]) <= 1
        items += page["items"]
        cursors.add(page["cursor"])
        token = page.get("nextToken")
        if not token:
            break
    # Then every server comes, once, and each page hands out a cursor
    full = full_read(api, execution_id, "servers")
    key = lambda s: (s["waveNumber"], s["sourceServerId"])  # noqa: E731
    assert sorted(items, key=key) == full and len(cursors) >= 1


@pytest.mark.parametrize(
    "since",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(b'{"at": "yesterday"}').decode(),
        base64.urlsafe_b64encode(b'{"at": "2026-01-01T00:00:00.000000Z", "more": 1}').decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00.000000Z"]').decode(),
        "x" * 300,
    ],
)
@pytest.mark.parametrize("which", ["servers", "timeline"])
def test_an_unknown_or_garbled_cursor_is_a_400_invalid_query(
    api: Api, watched_drill: dict[str, Any], which: str, since: str
) -> None:
    # Given the drill; When its list is asked since a cursor the API never handed out
    response = requests.get(
        f"{api.url}/executions/{watched_drill['executionId']}/{which}", params={"since": since}, timeout=30
    )
    # Then 400 INVALID_QUERY, naming the parameter
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_QUERY" and "since" in error["message"]


@pytest.mark.slow
def test_drsctl_status_wait_follows_a_drill_by_cursor_and_names_its_failed_server(
    api: Api, sandbox: Sandbox
) -> None:
    # Given a running drill of two servers, one of which fails to launch
    bad = api.servers(1, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = api.plan([(api.servers(1) + bad, False)])
    execution_id = api.start(plan_id)
    # When an operator follows it with status --wait
    result = drsctl(sandbox, "status", execution_id, "--wait")
    # Then it ends with the outcome's exit code and its summary names the failed server, from the
    # servers the watcher kept
    record = api.execution(execution_id)
    assert finished(record)
    assert result.returncode in (1, 2), result.stderr
    assert "Failed servers (1):" in result.stdout and bad[0] in result.stdout, result.stdout
    failed = [s for s in full_read(api, execution_id, "servers") if s.get("launchStatus") == "FAILED"]
    assert [s["sourceServerId"] for s in failed] == bad


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_context((1600, 1000)) as context:
        yield context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with watched_page(browser) as page:
        yield page


def shown_servers(page: Any) -> list[tuple[str, str, str]]:
    """(id, phase, EC2 state) of each row of the execution page's server table."""
    table = page.get_by_test_id("server-table")
    ids = table.get_by_test_id("server-id").evaluate_all("cells => cells.map((c) => c.dataset.id)")
    phases = [t.strip() for t in table.get_by_test_id("server-phase").all_inner_texts()]
    states = [t.strip() for t in table.get_by_test_id("server-ec2-state").all_inner_texts()]
    return list(zip(ids, phases, states, strict=True))


@pytest.mark.slow
def test_the_consoles_server_table_watched_by_cursor_equals_a_full_read_and_shows_terminated(
    page: Any, api: Api, sandbox: Sandbox
) -> None:
    from playwright.sync_api import expect

    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        missing("the console is not built (make console)")
    # Given a drill of three servers the operator opens in the console while it runs
    plan_id = api.plan([(api.servers(3), False)])
    execution_id = api.start(plan_id)
    page.goto(f"{sandbox.console_url}#/executions/{execution_id}")
    # When it completes, the page refreshing by cursor all along
    expect(page.get_by_test_id("execution-status")).to_contain_text("COMPLETED", timeout=120_000)

    # Then its server table equals the API's full read
    def table_equals_full_read() -> bool:
        full = full_read(api, execution_id, "servers")
        shown = shown_servers(page)
        return [s[0] for s in shown] == [s["sourceServerId"] for s in full] and all(
            phase == "Ready" for _id, phase, _state in shown
        )

    until(table_equals_full_read, 60, "the server table to equal the full read")
    # When its instances are terminated
    api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=202)
    until(
        lambda: (
            api.call("POST", "/_sandbox/find", {}, expect=200) is not None
            and api.execution(execution_id).get("terminationStatus") not in (None, "IN_PROGRESS")
        ),
        90,
        "the termination to end",
    )
    # Then the table, still merging what changed, reads terminated for every instance, as the API does
    until(
        lambda: (
            [s[2] for s in shown_servers(page)] == ["terminated"] * 3
            and all(s.get("ec2State") == "terminated" for s in full_read(api, execution_id, "servers"))
        ),
        60,
        "the table to show terminated",
    )
