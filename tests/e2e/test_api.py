"""The REST API over HTTP against the sandbox: every route, every kind of bad input, and a
schemathesis run of the published OpenAPI document that must find no server error."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from drs_sandbox.server import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=600, find_interval=3600) as running:
        yield running


@pytest.fixture(scope="module")
def url(sandbox: Sandbox) -> str:
    return sandbox.url


def call(
    url: str, method: str, path: str, body: Any = None, *, raw: bytes | None = None
) -> requests.Response:
    return requests.request(method, url + path, json=body if raw is None else None, data=raw, timeout=30)


def servers(url: str, count: int) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
    body = {"servers": [{"sourceServerId": i, "hostname": f"h-{i[-5:]}"} for i in ids]}
    assert call(url, "POST", "/_sandbox/source-servers", body).status_code == 201
    return ids


def group(url: str, ids: list[str], name: str | None = None) -> dict[str, Any]:
    response = call(
        url,
        "POST",
        "/protection-groups",
        {"name": name or f"g-{uuid.uuid4().hex[:8]}", "sourceServerIds": ids},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def plan(url: str, group_id: str, name: str | None = None) -> dict[str, Any]:
    body = {
        "name": name or f"p-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "W1", "protectionGroupIds": [group_id]}],
    }
    response = call(url, "POST", "/recovery-plans", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return dict(error)


def snapshot(url: str) -> str:
    groups = call(url, "GET", "/protection-groups").json()
    plans = call(url, "GET", "/recovery-plans").json()
    return json.dumps([groups, plans], sort_keys=True)


def test_health_needs_nothing_and_answers_ok(url: str) -> None:
    from orchestrator.version import VERSION

    assert call(url, "GET", "/health").json() == {"status": "ok", "version": VERSION}


def test_groups_and_plans_round_trip_through_create_read_update_delete(url: str) -> None:
    # Given a group and a plan using it
    ids = servers(url, 2)
    created = group(url, ids)
    assert created["version"] == 1
    assert call(url, "GET", f"/protection-groups/{created['groupId']}").json()["sourceServerIds"] == ids
    made = plan(url, created["groupId"])
    # When both are updated
    updated = call(
        url,
        "PUT",
        f"/protection-groups/{created['groupId']}",
        {"name": created["name"], "description": "db tier", "sourceServerIds": ids[:1]},
    )
    plan_body = {
        "name": made["name"] + "-renamed",
        "waves": [{"waveName": "First", "protectionGroupIds": [created["groupId"]], "pauseBeforeWave": True}],
        "options": {"waveTimeoutMinutes": 30},
    }
    renamed = call(url, "PUT", f"/recovery-plans/{made['planId']}", plan_body)
    # Then the changes are stored, with new versions
    assert updated.json()["sourceServerIds"] == ids[:1] and updated.json()["version"] == 2
    assert renamed.json()["waves"][0]["pauseBeforeWave"] is True
    listed = call(url, "GET", "/recovery-plans").json()["items"]
    assert [p["name"] for p in listed if p["planId"] == made["planId"]] == [plan_body["name"]]
    # And the old name is free again, while deleting the group still used by the plan is refused
    assert call(url, "POST", "/recovery-plans", {**plan_body, "name": made["name"]}).status_code == 201
    assert (
        error_of(call(url, "DELETE", f"/protection-groups/{created['groupId']}"), 409)["code"]
        == "GROUP_IN_USE"
    )
    # And after deleting the plans, the group can go too
    for p in call(url, "GET", "/recovery-plans").json()["items"]:
        if created["groupId"] in p["waves"][0]["protectionGroupIds"]:
            assert call(url, "DELETE", f"/recovery-plans/{p['planId']}").status_code == 204
    assert call(url, "DELETE", f"/protection-groups/{created['groupId']}").status_code == 204
    assert (
        error_of(call(url, "GET", f"/protection-groups/{created['groupId']}"), 404)["code"]
        == "GROUP_NOT_FOUND"
    )


def test_names_are_unique_whatever_their_case_and_on_rename(url: str) -> None:
    ids = servers(url, 1)
    first = group(url, ids, name="Unique-Name")
    other = group(url, ids)
    assert (
        error_of(
            call(url, "POST", "/protection-groups", {"name": "unique-NAME", "sourceServerIds": ids}), 409
        )["code"]
        == "NAME_ALREADY_EXISTS"
    )
    rename = {"name": "UNIQUE-name", "sourceServerIds": ids}
    assert (
        error_of(call(url, "PUT", f"/protection-groups/{other['groupId']}", rename), 409)["code"]
        == "NAME_ALREADY_EXISTS"
    )
    assert call(url, "GET", f"/protection-groups/{first['groupId']}").json()["name"] == "Unique-Name"


def test_a_plan_naming_an_unknown_group_is_refused_with_422(url: str) -> None:
    body = {"name": "ghost", "waves": [{"waveName": "W", "protectionGroupIds": ["no-such-group"]}]}
    error = error_of(call(url, "POST", "/recovery-plans", body), 422)
    assert error["code"] == "UNKNOWN_PROTECTION_GROUP"
    assert "no-such-group" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "code"),
    [
        ("POST", "/protection-groups", b"{not json", 400, "MALFORMED_JSON"),
        ("POST", "/protection-groups", b"[1, 2]", 400, "MALFORMED_JSON"),
        ("POST", "/protection-groups", b'{"name": "x", "sourceServerIds": "s-1"}', 422, "VALIDATION_ERROR"),
        (
            "POST",
            "/protection-groups",
            b'{"name": "x", "sourceServerIds": ["s-00000000000000001"], "color": "red"}',
            422,
            "VALIDATION_ERROR",
        ),
        ("POST", "/protection-groups", b'{"name": "x"}', 422, "VALIDATION_ERROR"),
        (
            "POST",
            "/protection-groups",
            b'{"name": 5, "serverSelectionTags": {"a": "b"}}',
            422,
            "VALIDATION_ERROR",
        ),
        (
            "POST",
            "/protection-groups",
            b'{"name": "x", "serverSelectionTags": {"a": "b"}, "pad": "' + b"x" * 300_000 + b'"}',
            400,
            "BODY_TOO_LARGE",
        ),
        ("POST", "/recovery-plans", b'{"name": "x", "waves": []}', 422, "VALIDATION_ERROR"),
        (
            "POST",
            "/recovery-plans",
            b'{"name": "x", "waves": [{"waveName": "w", "protectionGroupIds": ["g"]}], "options": {"waveTimeoutMinutes": 0}}',
            422,
            "VALIDATION_ERROR",
        ),
        ("GET", "/protection-groups/nope", None, 404, "GROUP_NOT_FOUND"),
        ("GET", "/recovery-plans/nope", None, 404, "PLAN_NOT_FOUND"),
        ("GET", "/executions/nope", None, 404, "EXECUTION_NOT_FOUND"),
        ("GET", "/executions/nope/servers", None, 404, "EXECUTION_NOT_FOUND"),
        ("POST", "/executions/nope/cancel", None, 404, "EXECUTION_NOT_FOUND"),
        ("GET", "/executions?nextToken=garbage", None, 400, "INVALID_QUERY"),
        ("GET", "/executions?status=SLEEPING", None, 400, "INVALID_QUERY"),
        ("GET", "/executions?limit=0", None, 400, "INVALID_QUERY"),
        ("GET", "/executions?color=red", None, 400, "INVALID_QUERY"),
        ("POST", "/recovery-plans/nope/executions", b'{"executionType": "DRILL"}', 404, "PLAN_NOT_FOUND"),
        ("GET", "/no/such/route", None, 404, "ROUTE_NOT_FOUND"),
    ],
)
def test_bad_input_gets_the_error_shape_and_changes_nothing(  # noqa: PLR0917
    url: str, method: str, path: str, payload: bytes | None, status: int, code: str
) -> None:
    # Given what is stored
    before = snapshot(url)
    # When a bad request arrives
    response = call(url, method, path, raw=payload)
    # Then it is refused with the documented status and code, and nothing changed
    assert error_of(response, status)["code"] == code
    assert snapshot(url) == before


def test_an_execution_start_answers_202_and_a_second_start_409(url: str) -> None:
    made = plan(url, group(url, servers(url, 1))["groupId"])
    started = call(url, "POST", f"/recovery-plans/{made['planId']}/executions", {"executionType": "DRILL"})
    assert started.status_code == 202
    assert started.json()["status"] == "PENDING"
    again = call(url, "POST", f"/recovery-plans/{made['planId']}/executions", {"executionType": "DRILL"})
    assert error_of(again, 409)["code"] == "PLAN_ALREADY_RUNNING"
    # And a plan with a running execution cannot be deleted
    assert error_of(call(url, "DELETE", f"/recovery-plans/{made['planId']}"), 409)["code"] == "PLAN_IN_USE"
    view = call(url, "GET", f"/executions/{started.json()['executionId']}").json()
    assert "taskToken" not in json.dumps(view)
    assert {"statusLabel", "progress", "canTerminate", "waves", "totalWaves"} <= set(view)


def test_executions_list_newest_first_filters_and_pages(url: str) -> None:
    # Given three finished drills of one plan
    made = plan(url, group(url, servers(url, 1))["groupId"])
    ids = []
    for _ in range(3):
        execution_id = call(url, "POST", f"/recovery-plans/{made['planId']}/executions", {}).json()[
            "executionId"
        ]
        ids.append(execution_id)
        for _attempt in range(300):
            if call(url, "GET", f"/executions/{execution_id}").json()["status"] == "COMPLETED":
                break
            requests.Session().close()
            threading_wait(0.1)
    # When they are listed by plan two at a time
    first = call(url, "GET", f"/executions?planId={made['planId']}&limit=2").json()
    second = call(
        url, "GET", f"/executions?planId={made['planId']}&limit=2&nextToken={first['nextToken']}"
    ).json()
    # Then they come newest first across pages
    assert [e["executionId"] for e in first["items"] + second["items"]] == ids[::-1]
    assert second["nextToken"] is None
    completed = call(url, "GET", f"/executions?planId={made['planId']}&status=COMPLETED").json()["items"]
    assert len(completed) == 3
    # And their servers page too
    page = call(url, "GET", f"/executions/{ids[0]}/servers?limit=1").json()
    assert len(page["items"]) == 1 and page["items"][0]["launchStatus"] == "LAUNCHED"


def threading_wait(seconds: float) -> None:
    import threading

    threading.Event().wait(seconds)


def test_the_served_openapi_document_is_the_committed_one(url: str) -> None:
    committed = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
    assert call(url, "GET", "/openapi.json").json() == committed


def test_schemathesis_finds_no_server_error_in_any_route(url: str, tmp_path: Any) -> None:
    # Given the published OpenAPI document; when schemathesis generates requests for every route
    # (valid and invalid ones), then no answer is a 5xx.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--seed",
            "20261122",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
