"""The recovery runbook end to end: the real state machine (RunAction, WaitForApproval), the real
handler, SSM commands and automations simulated against the DRS simulator's recovery instances, and
custom action functions in the sandbox's Lambda, all through the REST and control APIs."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sandbox_api import Api, finished, wave_statuses


def runbook_plan(api: Api, waves: list[tuple[list[str], dict[str, Any]]], **options: Any) -> str:
    body: dict[str, Any] = {
        "name": f"runbook-{uuid.uuid4().hex[:8]}",
        "waves": [
            {"waveName": f"Wave{n}", "protectionGroupIds": [api.group(ids)], **runbook}
            for n, (ids, runbook) in enumerate(waves, start=1)
        ],
    }
    if options:
        body["options"] = options
    return str(api.call("POST", "/recovery-plans", body, expect=201)["planId"])


def functions(api: Api, *declared: dict[str, Any]) -> None:
    api.call("POST", "/_sandbox/functions", {"functions": list(declared)}, expect=200)


def invocations(api: Api, since: int = 0) -> list[dict[str, Any]]:
    """The action invocations the sandbox saw, from the ``since``-th on (the tests of a module share
    one sandbox and run one after the other)."""
    return list(api.call("GET", "/_sandbox/invocations", expect=200)["invocations"][since:])


def check(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "SSM_COMMAND",
        "documentName": "AWS-RunShellScript",
        "parameters": {"commands": ["curl -fsS localhost/health"]},
        **extra,
    }


def actions_of(record: dict[str, Any], wave: int) -> list[tuple[str, str]]:
    return [(a["name"], a["status"]) for a in record["waves"][wave - 1].get("actions", [])]


def test_a_runbook_with_every_action_type_runs_in_order_and_completes_after_its_last_post_action(
    api: Api,
) -> None:
    """Given a 3-wave plan: a function before wave 1 and a command check after it, an approval
    before wave 3, an automation, a settle WAIT and a function after it; when the drill runs and
    the app owner approves; then every action ran in order with the documented payload, and the
    execution became COMPLETED only after the last post-action."""
    suffix = uuid.uuid4().hex[:6]
    functions(
        api,
        {"name": f"drs-actions-freeze-{suffix}", "outcome": "SUCCEEDED", "output": {"frozen": True}},
        {"name": f"drs-actions-health-{suffix}", "outcome": "SUCCEEDED", "output": {"httpStatus": 200}},
    )
    servers = [api.servers(1), api.servers(2), api.servers(1)]
    plan_id = runbook_plan(
        api,
        [
            (
                servers[0],
                {
                    "preActions": [
                        {
                            "name": "freeze",
                            "type": "LAMBDA",
                            "functionName": f"drs-actions-freeze-{suffix}",
                            "payload": {"app": "shop"},
                        }
                    ],
                    "postActions": [check("db-accepts-connections")],
                },
            ),
            (servers[1], {}),
            (
                servers[2],
                {
                    "preActions": [{"name": "app-owner-sign-off", "type": "APPROVAL"}],
                    "postActions": [
                        {
                            "name": "flip-dns",
                            "type": "SSM_AUTOMATION",
                            "documentName": "Shop-FailoverDns",
                            "parameters": {"InstanceIds": ["{{instanceIds}}"]},
                        },
                        {"name": "settle", "type": "WAIT", "durationSeconds": 60},
                        {"name": "health", "type": "LAMBDA", "functionName": f"drs-actions-health-{suffix}"},
                    ],
                },
            ),
        ],
    )
    before = len(invocations(api))
    execution_id = api.start(plan_id)
    paused, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED" or finished(r))
    assert (paused["pauseReason"], paused["pausedWave"], paused["pausedAction"]) == (
        "APPROVAL",
        3,
        "app-owner-sign-off",
    )
    assert paused["statusLabel"] == "PAUSED (approval in wave 3 of 3)"
    assert actions_of(paused, 1) == [("freeze", "SUCCEEDED"), ("db-accepts-connections", "SUCCEEDED")]
    api.call("POST", f"/executions/{execution_id}/resume", {"comment": "storefront checked"}, expect=200)
    final, seen = api.watch(execution_id, finished, timeout=240)

    assert final["status"] == "COMPLETED", final
    assert actions_of(final, 3) == [
        ("app-owner-sign-off", "SUCCEEDED"),
        ("flip-dns", "SUCCEEDED"),
        ("settle", "SUCCEEDED"),
        ("health", "SUCCEEDED"),
    ]
    approval = final["waves"][2]["actions"][0]
    assert approval["comment"] == "storefront checked" and approval["approvedBy"]
    # COMPLETED only after the last post-action: never while wave 3 ran its actions.
    for record in seen:
        if record["waves"][2].get("phase") == "POST_ACTIONS":
            assert record["status"] == "IN_PROGRESS" and record["waves"][2]["status"] == "IN_PROGRESS"
    assert final["waves"][2]["endTime"] >= final["waves"][2]["actions"][3]["endTime"]
    # In order, with the documented payload and the wave's recovered instances.
    ran = invocations(api, before)
    assert [(i["kind"], i["name"]) for i in ran] == [
        ("FUNCTION", f"drs-actions-freeze-{suffix}"),
        ("COMMAND", "AWS-RunShellScript"),
        ("AUTOMATION", "Shop-FailoverDns"),
        ("FUNCTION", f"drs-actions-health-{suffix}"),
    ]
    freeze = ran[0]["payload"]
    assert freeze["app"] == "shop" and freeze["executionType"] == "DRILL"
    assert (freeze["waveNumber"], freeze["stage"], freeze["actionName"]) == (1, "PRE", "freeze")
    assert [s["sourceServerId"] for s in freeze["servers"]] == servers[0]
    instances = {s["sourceServerId"]: s["ec2InstanceId"] for s in api.server_items(execution_id)}
    assert ran[1]["instanceIds"] == [instances[servers[0][0]]]
    assert ran[2]["parameters"]["InstanceIds"] == [instances[servers[2][0]]]
    health = ran[3]["payload"]
    assert [s["ec2InstanceId"] for s in health["servers"]] == [instances[servers[2][0]]]


def _failing_check_on_wave_2(api: Api, **options: Any) -> tuple[str, list[str]]:
    """Wave 2 has two servers; the check fails on the second one's instance."""
    wave2 = api.servers(1) + api.servers(1, commandResult={"exitCode": 3, "output": "HTTP 503 upstream down"})
    plan_id = runbook_plan(
        api,
        [(api.servers(1), {}), (wave2, {"postActions": [check("app-check")]}), (api.servers(1), {})],
        **options,
    )
    return plan_id, wave2


def test_a_post_action_failing_on_one_server_stops_the_plan_with_its_error(api: Api) -> None:
    """Given onWaveFailure STOP (default) and a check that fails on one server of wave 2; then wave 2
    is FAILED with the action's error, wave 3 never started, PARTIAL_SUCCESS, instances terminable."""
    plan_id, _ = _failing_check_on_wave_2(api)
    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert wave_statuses(final) == ["COMPLETED", "FAILED", "NOT_STARTED"]
    error = final["waves"][1]["error"]
    assert (
        error.startswith("post-action app-check failed: exit code 3 on i-")
        and "HTTP 503 upstream down" in error
    )
    assert actions_of(final, 2) == [("app-check", "FAILED")]
    assert final["canTerminate"]["canTerminate"] is True
    api.call("POST", f"/executions/{execution_id}/terminate-instances", {}, expect=202)


def _notifications(api: Api, execution_id: str, subject_has: str) -> list[dict[str, Any]]:
    """The execution's notifications once one whose subject has ``subject_has`` was published (the
    executions stream delivers them a moment after the status changed)."""
    for _ in range(150):
        sent = [
            n for n in api.call("GET", "/_sandbox/notifications", expect=200) if execution_id in n["message"]
        ]
        if any(subject_has in n["subject"] for n in sent):
            return sent
        threading.Event().wait(0.2)
    raise AssertionError(f"no notification with {subject_has!r} in its subject")


def test_with_pause_a_failed_wave_is_retried_after_the_fix_and_the_execution_completes(api: Api) -> None:
    """Given onWaveFailure PAUSE; when wave 2's check fails, the operator fixes the server's check
    and retries; then the execution is COMPLETED and the notifications said what happened."""
    plan_id, wave2 = _failing_check_on_wave_2(api, onWaveFailure="PAUSE")
    execution_id = api.start(plan_id)
    paused, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED" or finished(r))
    assert (paused["status"], paused["pauseReason"], paused["pausedWave"]) == ("PAUSED", "WAVE_FAILED", 2)
    assert paused["waves"][1]["status"] == "FAILED"
    refused = api.call("POST", f"/executions/{execution_id}/resume", {}, expect=409)
    assert "retry" in refused["error"]["message"]
    # The fix: the server's check passes from now on.
    api.call(
        "POST",
        "/_sandbox/source-servers",
        {"servers": [{"sourceServerId": wave2[1], "commandResult": {"exitCode": 0, "output": "ok"}}]},
    )
    retried = api.call(
        "POST", f"/executions/{execution_id}/retry", {"comment": "restarted upstream"}, expect=200
    )
    assert retried["waves"][1]["status"] == "IN_PROGRESS" and retried["waves"][1]["retries"] == 1
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED", final
    assert actions_of(final, 2) == [("app-check", "SUCCEEDED")]
    assert final["waves"][1]["retries"] == 1
    sent = _notifications(api, execution_id, "COMPLETED")
    paused_message = next(n["message"] for n in sent if "PAUSED" in n["subject"])
    assert "app-check" in paused_message and "retry" in paused_message


def test_with_pause_a_skipped_wave_ends_partial_success_and_the_next_wave_runs(api: Api) -> None:
    """Given onWaveFailure PAUSE and wave 2's check failing; when the operator skips the wave; then
    wave 3 runs, wave 2 is SKIPPED and the execution is PARTIAL_SUCCESS; the notification says so."""
    plan_id, _ = _failing_check_on_wave_2(api, onWaveFailure="PAUSE")
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED" or finished(r))
    api.call("POST", f"/executions/{execution_id}/skip", {"comment": "known issue"}, expect=200)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert wave_statuses(final) == ["COMPLETED", "SKIPPED", "COMPLETED"]
    assert final["statusLabel"] == "PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)"
    last = [n for n in _notifications(api, execution_id, "PARTIAL") if "PARTIAL" in n["subject"]]
    assert "skipped by" in last[-1]["message"]


def test_a_failing_pre_action_launches_nothing_and_continue_completes_with_a_warning(api: Api) -> None:
    """Given a wave whose pre-action fails; with FAIL nothing of the wave is launched; with CONTINUE
    the drill completes with the warning in its label."""
    name = f"drs-actions-gate-{uuid.uuid4().hex[:6]}"
    functions(api, {"name": name, "outcome": "FAILED", "output": {"message": "replication lag 900 s"}})
    gate = {"name": "gate", "type": "LAMBDA", "functionName": name}
    servers = api.servers(1)
    plan_id = runbook_plan(api, [(api.servers(1), {}), (servers, {"preActions": [gate]})])
    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished)
    assert wave_statuses(final) == ["COMPLETED", "FAILED"]
    assert final["waves"][1]["jobIds"] == [] and "replication lag 900 s" in final["waves"][1]["error"]
    assert {s["sourceServerId"]: s["launchStatus"] for s in api.server_items(execution_id)}[
        servers[0]
    ] == "PENDING"

    plan_id = runbook_plan(api, [(api.servers(1), {"preActions": [{**gate, "onFailure": "CONTINUE"}]})])
    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED"
    assert final["statusLabel"] == "COMPLETED WITH WARNINGS (1 warning)"
    email = next(n for n in _notifications(api, execution_id, "COMPLETED") if "COMPLETED" in n["subject"])
    assert "COMPLETED WITH WARNINGS (1 warning)" in email["subject"]
    assert "pre-action gate failed" in email["message"] and "replication lag 900 s" in email["message"]
    assert final["waves"][0]["warnings"] == [
        f"pre-action gate failed: function {name} raised ActionFailed: replication lag 900 s (continued)"
    ]


def test_retries_respect_max_attempts_and_a_slow_function_is_timed_out(api: Api) -> None:
    """Given a function that always times out, with maxAttempts 2; then it is TIMED_OUT after two
    attempts and the wave FAILED."""
    name = f"drs-actions-slow-{uuid.uuid4().hex[:6]}"
    functions(api, {"name": name, "outcome": "TIMEOUT"})
    plan_id = runbook_plan(
        api,
        [
            (
                api.servers(1),
                {"postActions": [{"name": "slow", "type": "LAMBDA", "functionName": name, "maxAttempts": 2}]},
            )
        ],
    )
    before = len(invocations(api))
    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished)
    (slow,) = final["waves"][0]["actions"]
    assert (slow["status"], slow["attempts"]) == ("TIMED_OUT", 2)
    assert final["status"] == "FAILED"
    assert [i["name"] for i in invocations(api, before)] == [name, name]


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"name": "x", "type": "REBOOT"}, "waves[0].postActions[0].type"),
        ({"name": "x", "type": "LAMBDA"}, "waves[0].postActions[0].functionName"),
        ({"name": "x", "type": "WAIT", "durationSeconds": 30}, "waves[0].postActions[0].durationSeconds"),
        (
            {"name": "x", "type": "LAMBDA", "functionName": "prod-delete-everything"},
            "waves[0].postActions[0].functionName",
        ),
        (
            {"name": "x", "type": "SSM_COMMAND", "documentName": "AWS-RunRemoteScript"},
            "waves[0].postActions[0].documentName",
        ),
    ],
)
def test_bad_actions_in_a_plan_are_422_naming_the_field_and_nothing_is_stored(
    api: Api, action: dict[str, Any], field: str
) -> None:
    name = f"bad-{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "waves": [
            {"waveName": "W", "protectionGroupIds": [api.group(api.servers(1))], "postActions": [action]}
        ],
    }
    refused = api.call("POST", "/recovery-plans", body, expect=422)
    assert refused["error"]["details"]["field"] == field
    assert name not in [p["name"] for p in api.call("GET", "/recovery-plans", expect=200)["items"]]
