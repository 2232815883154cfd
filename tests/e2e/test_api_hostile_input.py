"""Hostile input against the running sandbox: over a hundred hand-made requests (deep nesting, lone
surrogates in every string field, numbers JSON cannot carry, duplicate keys, nulls and wrong types in
every field, forged nextTokens, impossible path ids) must each get a 4xx with the documented error
body, never a 5xx. Then the rules the API adds on top of its schemas (names, Region) and the control
routes that record their caller (resume with a comment, the guarded termination of a RECOVERY)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from drs_sandbox.server import Sandbox

TIMEOUT = 180
# The IAM principal the sandbox puts in every request's identity (API Gateway does with SigV4).
SANDBOX_ACTOR = "arn:aws:iam::123456789012:user/sandbox"
FINISHED = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "TIMED_OUT"}


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
    return requests.request(
        method,
        url + path,
        json=body if raw is None else None,
        data=raw,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def servers(url: str, count: int) -> list[str]:
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
    body = {"servers": [{"sourceServerId": i, "hostname": f"h-{i[-5:]}"} for i in ids]}
    assert call(url, "POST", "/_sandbox/source-servers", body).status_code == 201
    return ids


def make_group(url: str, **extra: Any) -> dict[str, Any]:
    body = {"name": f"g-{uuid.uuid4().hex[:8]}", "sourceServerIds": servers(url, 1), **extra}
    response = call(url, "POST", "/protection-groups", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_plan(
    url: str, group_id: str, *, pause_second_wave: bool = False, name: str | None = None
) -> dict[str, Any]:
    waves = [{"waveName": "W1", "protectionGroupIds": [group_id]}]
    if pause_second_wave:
        second = make_group(url)["groupId"]
        waves.append({"waveName": "W2", "protectionGroupIds": [second], "pauseBeforeWave": True})
    body = {"name": name or f"p-{uuid.uuid4().hex[:8]}", "waves": waves}
    response = call(url, "POST", "/recovery-plans", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def start(url: str, plan_id: str, kind: str = "DRILL") -> str:
    response = call(url, "POST", f"/recovery-plans/{plan_id}/executions", {"executionType": kind})
    assert response.status_code == 202, response.text
    return str(response.json()["executionId"])


def start_recovery(url: str, plan_id: str, plan_name: str) -> str:
    """A RECOVERY has its own route, confirmed by the plan's name."""
    response = call(url, "POST", f"/recovery-plans/{plan_id}/recovery", {"confirmPlanName": plan_name})
    assert response.status_code == 202, response.text
    return str(response.json()["executionId"])


def wait_for(url: str, execution_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        view = dict(call(url, "GET", f"/executions/{execution_id}").json())
        if done(view):
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.2)


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    return documented_error(response)


def documented_error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


# ---------------------------------------------------------------------- the hostile requests
Request = tuple[str, str, bytes | None]  # method, path, raw body


def token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def raw_token(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode()


def nested(depth: int, inner: str = "1") -> list[bytes]:
    return [
        ("[" * depth + "]" * depth).encode(),
        ('{"a":' * depth + inner + "}" * depth).encode(),
        ('{"name": ' + "[" * depth + "]" * depth + ', "serverSelectionTags": {"a": "b"}}').encode(),
    ]


def with_surrogate(body: dict[str, Any], path: list[Any], *, as_key: bool = False) -> bytes:
    """``body`` serialised with the string at ``path`` (or that object's first key) replaced by a
    lone surrogate, written as the JSON escape a client would send."""
    marker = "@@SURROGATE@@"
    target: Any = json.loads(json.dumps(body))
    for step in path[:-1]:
        target = target[step]
    last = path[-1]
    if as_key:
        target[last] = {marker: "v"}
    else:
        target[last] = marker if not isinstance(target[last], list) else [marker]
    return json.dumps(target).replace(marker, "a\\ud800b").encode()


def hostile_requests(group_id: str, plan_id: str, execution_id: str) -> list[Request]:
    server_id = "s-" + "0" * 17
    group = {
        "name": "g",
        "description": "d",
        "region": "us-east-1",
        "sourceServerIds": [server_id],
        "serverImpactLevels": {server_id: "HIGH"},
    }
    tags_group = {"name": "g", "serverSelectionTags": {"k": "v"}}
    plan = {
        "name": "p",
        "description": "d",
        "waves": [{"waveName": "w", "protectionGroupIds": [group_id], "pauseBeforeWave": False}],
        "options": {"readinessCheck": "NONE", "waveTimeoutMinutes": 5},
    }
    group_paths = ["/protection-groups", f"/protection-groups/{group_id}"]
    plan_paths = ["/recovery-plans", f"/recovery-plans/{plan_id}"]
    out: list[Request] = []

    def both(paths: list[str], raw: bytes) -> None:
        out.append(("POST", paths[0], raw))
        out.append(("PUT", paths[1], raw))

    # Deep nesting, on every route that reads a body.
    body_routes = [
        ("POST", group_paths[0]),
        ("PUT", plan_paths[1]),
        ("POST", f"/recovery-plans/{plan_id}/executions"),
        ("POST", f"/executions/{execution_id}/resume"),
        ("POST", f"/executions/{execution_id}/terminate-recovery-instances"),
    ]
    for depth in (1_000, 5_000, 100_000):
        for raw in nested(depth):
            out.append(("POST", group_paths[0], raw))
        for method, path in body_routes[1:]:
            out.append((method, path, nested(depth)[0]))
    # A lone surrogate in every string field (and key) of groups and plans.
    for field in ("name", "description", "region"):
        both(group_paths, with_surrogate(group, [field]))
    both(group_paths, with_surrogate(group, ["sourceServerIds", 0]))
    both(group_paths, with_surrogate(group, ["serverImpactLevels", server_id]))
    both(group_paths, with_surrogate(group, ["serverImpactLevels"], as_key=True))
    both(group_paths, with_surrogate(tags_group, ["serverSelectionTags", "k"]))
    both(group_paths, with_surrogate(tags_group, ["serverSelectionTags"], as_key=True))
    for plan_field in (
        ["name"],
        ["description"],
        ["waves", 0, "waveName"],
        ["waves", 0, "protectionGroupIds", 0],
    ):
        both(plan_paths, with_surrogate(plan, plan_field))
    both(plan_paths, with_surrogate(plan, ["options", "readinessCheck"]))
    out.append(("POST", f"/recovery-plans/{plan_id}/executions", b'{"executionType": "DR\\udc00ILL"}'))
    out.append(("POST", f"/executions/{execution_id}/resume", b'{"comment": "\\ud800"}'))
    out.append(
        (
            "POST",
            f"/executions/{execution_id}/terminate-recovery-instances",
            b'{"confirmPlanName": "\\udfff"}',
        )
    )
    # Numbers JSON or a double cannot carry, and non-JSON literals.
    for number in (
        b"1e400",
        b"-1e400",
        b"1e-400",
        b"9" * 5000,
        b"9" * 4000,
        b"NaN",
        b"Infinity",
        b"-Infinity",
    ):
        raw = json.dumps(plan).replace('"waveTimeoutMinutes": 5', '"waveTimeoutMinutes": NUMBER').encode()
        out.append(("POST", plan_paths[0], raw.replace(b"NUMBER", number)))
    out.append(("POST", group_paths[0], b'{"name": NaN, "serverSelectionTags": {"a": "b"}}'))
    # Duplicate keys.
    out.append(("POST", group_paths[0], b'{"name": "a", "name": "b", "serverSelectionTags": {"a": "b"}}'))
    out.append(
        ("PUT", plan_paths[1], json.dumps(plan).replace('"name": "p"', '"name": "p", "name": "q"').encode())
    )
    # Nulls and wrong types in every field.
    for field in group:
        for wrong in (None, 5, True, [], {}, "x" * 5000):
            both(group_paths, json.dumps({**group, field: wrong}).encode())
    for field in plan:
        for wrong in (None, 5, [], {}):
            both(plan_paths, json.dumps({**plan, field: wrong}).encode())
    for wave_field in plan["waves"][0]:
        wave = {**plan["waves"][0], wave_field: None}
        out.append(("POST", plan_paths[0], json.dumps({**plan, "waves": [wave]}).encode()))
    for body in (b"null", b"5", b'"text"', b"[]", b"true", b"\xff\xfe\x00", b"{", b"{}" * 100):
        out.append(("POST", group_paths[0], body))
        out.append(("POST", f"/executions/{execution_id}/terminate-recovery-instances", body))
    out.append(("POST", f"/executions/{execution_id}/resume", b'{"comment": null}'))
    out.append(("POST", f"/executions/{execution_id}/resume", json.dumps({"comment": "x" * 1001}).encode()))
    # nextToken variants, on every listing and every index.
    good = {"executionId": "e", "startTime": "2026-01-01T00:00:00Z"}
    tokens = [
        token({}),
        token([]),
        token([good]),
        token("text"),
        token(None),
        token(5),
        token(good),  # no index key
        token({**good, "recordType": "EXECUTION", "foreign": "x"}),
        token({**good, "recordType": "EXECUTION", "executionId": "x" * 10_000}),
        token({**good, "planId": plan_id}),  # the plan index's key on the time index
        token({**good, "status": "COMPLETED"}),
        token({**good, "recordType": "EXECUTION", "startTime": {"S": "x"}}),
        token({**good, "recordType": "EXECUTION", "executionId": ""}),
        token({"executionId": execution_id, "serverKey": "x" * 10_000}),
        raw_token(b'{"executionId": "\\ud800", "startTime": "t", "recordType": "EXECUTION"}'),
        raw_token(b"[" * 5000),
        "not-base64!",
        "%25%25",
        "x" * 5000,
    ]
    listings = [
        "/executions?",
        f"/executions?planId={plan_id}&",
        "/executions?status=COMPLETED&",
        f"/executions?planId={plan_id}&status=COMPLETED&",
        f"/executions/{execution_id}/servers?",
    ]
    for listing in listings:
        for value in tokens:
            out.append(("GET", f"{listing}nextToken={requests.utils.quote(value, safe='')}", None))
    out.append(("GET", "/executions?planId=" + "x" * 10_000, None))
    out.append(("GET", "/executions?planId=%00", None))
    # Ids no entity can have.
    for bad_id in ("x" * 10_000, "%00", "a%0Ab", "%ED%A0%80", "NAME%23g"):
        out.append(("GET", f"/protection-groups/{bad_id}", None))
        out.append(("DELETE", f"/recovery-plans/{bad_id}", None))
        out.append(("GET", f"/executions/{bad_id}", None))
        out.append(("GET", f"/executions/{bad_id}/servers", None))
        out.append(("POST", f"/executions/{bad_id}/cancel", None))
        out.append(("POST", f"/recovery-plans/{bad_id}/executions", b"{}"))
    return out


def test_hostile_requests_never_get_a_server_error(url: str) -> None:
    # Given a group, a plan and a finished execution to aim at
    group_id = make_group(url)["groupId"]
    plan_id = make_plan(url, group_id)["planId"]
    execution_id = start(url, plan_id)
    wait_for(url, execution_id, lambda v: v["status"] in FINISHED)
    requests_ = hostile_requests(group_id, plan_id, execution_id)
    assert len(requests_) >= 100
    # When each hostile request is sent
    server_errors, badly_shaped = [], []
    started = time.monotonic()
    for method, path, raw in requests_:
        response = call(url, method, path, raw=raw)
        label = f"{method} {path[:80]} {(raw or b'')[:80]!r} -> {response.status_code} {response.text[:200]}"
        if response.status_code >= 500:
            server_errors.append(label)
        elif response.status_code >= 400:
            try:
                documented_error(response)
            except (AssertionError, ValueError, KeyError):
                badly_shaped.append(label)
    # Then none is a server error and every refusal has the documented body
    assert not server_errors, "\n".join(server_errors)
    assert not badly_shaped, "\n".join(badly_shaped)
    assert time.monotonic() - started < 120
    # And nothing hostile was stored
    names = [g["name"] for g in call(url, "GET", "/protection-groups").json()["items"]]
    assert all(n.isprintable() for n in names)


# ---------------------------------------------------------------------- names and Region
@pytest.mark.parametrize(
    "bad", ["nul\x00", "tab\t", "new\nline", "rtl\u202eoverride", "iso\u2067late", "mark\u200f"]
)
def test_names_with_control_or_bidi_characters_are_refused_naming_the_field(url: str, bad: str) -> None:
    group = make_group(url)
    ids = group["sourceServerIds"]
    refused = [
        (call(url, "POST", "/protection-groups", {"name": bad, "sourceServerIds": ids}), "name"),
        (
            call(url, "PUT", f"/protection-groups/{group['groupId']}", {"name": bad, "sourceServerIds": ids}),
            "name",
        ),
        (
            call(
                url,
                "POST",
                "/recovery-plans",
                {"name": bad, "waves": [{"waveName": "w", "protectionGroupIds": [group["groupId"]]}]},
            ),
            "name",
        ),
        (
            call(
                url,
                "POST",
                "/recovery-plans",
                {"name": "ok", "waves": [{"waveName": bad, "protectionGroupIds": [group["groupId"]]}]},
            ),
            "waves[0].waveName",
        ),
    ]
    for response, field in refused:
        error = error_of(response, 422)
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"] == {"field": field}


def test_a_region_other_than_the_stacks_is_refused_on_create_and_update(url: str) -> None:
    # Given a group in the stack's Region (the sandbox runs in us-east-1)
    group = make_group(url, region="us-east-1")
    assert group["region"] == "us-east-1"
    body = {"name": group["name"], "sourceServerIds": group["sourceServerIds"], "region": "eu-west-1"}
    # When a group names another Region, on create and on update
    created = call(url, "POST", "/protection-groups", {**body, "name": f"eu-{uuid.uuid4().hex[:6]}"})
    updated = call(url, "PUT", f"/protection-groups/{group['groupId']}", body)
    # Then both are refused with 422 naming the field, and nothing changed
    for response in (created, updated):
        error = error_of(response, 422)
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"]["field"] == "region"
        assert "us-east-1" in error["message"]
    assert call(url, "GET", f"/protection-groups/{group['groupId']}").json()["region"] == "us-east-1"
    # And leaving the Region out stays allowed
    unnamed = {"name": group["name"], "sourceServerIds": group["sourceServerIds"]}
    assert call(url, "PUT", f"/protection-groups/{group['groupId']}", unnamed).status_code == 200


# ---------------------------------------------------------------------- control actions
def test_resume_takes_an_optional_comment_and_refuses_a_bad_one(url: str) -> None:
    # Given an execution paused before its second wave
    plan = make_plan(url, make_group(url)["groupId"], pause_second_wave=True)
    execution_id = start(url, plan["planId"])
    wait_for(url, execution_id, lambda v: v["status"] == "PAUSED")
    # When a comment with a bidi override or over 1,000 characters is given, it is refused
    for bad in ("a\u202eb", "x" * 1001, 5):
        error = error_of(call(url, "POST", f"/executions/{execution_id}/resume", {"comment": bad}), 422)
        assert error["details"] == {"field": "comment"}
    # When it is resumed with a proper comment
    resumed = call(url, "POST", f"/executions/{execution_id}/resume", {"comment": "checked the database, go"})
    # Then it goes on, and who resumed it, with what comment, is recorded
    assert resumed.status_code == 200, resumed.text
    final = wait_for(url, execution_id, lambda v: v["status"] in FINISHED)
    assert final["resumedBy"] == SANDBOX_ACTOR
    assert final["resumeComment"] == "checked the database, go"


def test_pause_and_cancel_still_answer_with_the_execution(url: str) -> None:
    plan = make_plan(url, make_group(url)["groupId"], pause_second_wave=True)
    execution_id = start(url, plan["planId"])
    wait_for(url, execution_id, lambda v: v["status"] == "PAUSED")
    cancelled = call(url, "POST", f"/executions/{execution_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["executionId"] == execution_id
    assert cancelled.json()["cancelRequestedBy"] == SANDBOX_ACTOR


def test_a_drill_is_terminated_through_terminate_instances(url: str) -> None:
    plan = make_plan(url, make_group(url)["groupId"])
    execution_id = start(url, plan["planId"], "DRILL")
    wait_for(url, execution_id, lambda v: v["status"] in FINISHED)
    response = call(url, "POST", f"/executions/{execution_id}/terminate-instances")
    assert response.status_code == 202, response.text
    assert response.json()["terminationRequestedBy"] == SANDBOX_ACTOR


def test_a_recovery_is_terminated_only_through_its_own_route_with_the_plan_name(url: str) -> None:
    # Given a finished RECOVERY
    name = f"Prod-{uuid.uuid4().hex[:6]}"
    plan = make_plan(url, make_group(url)["groupId"], name=name)
    execution_id = start_recovery(url, plan["planId"], name)
    wait_for(url, execution_id, lambda v: v["status"] in FINISHED)
    # When its instances are terminated through the drill route, it is refused
    old_route = call(url, "POST", f"/executions/{execution_id}/terminate-instances")
    assert error_of(old_route, 409)["code"] == "CONFIRMATION_REQUIRED"
    path = f"/executions/{execution_id}/terminate-recovery-instances"
    # Without a body or the confirmation, the body is invalid
    assert error_of(call(url, "POST", path), 422)["code"] == "VALIDATION_ERROR"
    # With a wrong name, it is refused
    assert error_of(call(url, "POST", path, {"confirmPlanName": "not-the-plan"}), 422)["code"] == (
        "CONFIRMATION_MISMATCH"
    )
    assert not call(url, "GET", f"/executions/{execution_id}").json().get("instancesTerminated")
    # With the plan's name, it is accepted
    accepted = call(url, "POST", path, {"confirmPlanName": name})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["terminationRequestedBy"] == SANDBOX_ACTOR
