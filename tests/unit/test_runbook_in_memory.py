"""The recovery runbook on in-memory ports: actions before and after each wave, validation that gates
the next wave, and a failed wave retried or skipped. The operations run as the state machine calls
them (tests/support/orchestration_driver.py); time is the simulator's fake clock, never a sleep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import can_terminate_execution, status_label
from orchestrator.aws.ports import Command
from orchestrator.exceptions import ConflictError, ValidationFailedError
from orchestrator.operations import actions, catalog, control, waves
from orchestrator.operations.timeline import all_events

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration(allowed_ssm_automation_documents=("Shop-FailoverDns",))


def runbook_plan(
    orc: Orchestration,
    runbook: dict[int, dict[str, list[dict[str, Any]]]],
    *,
    servers: tuple[int, ...] = (1, 2, 1),
    **options: Any,
) -> tuple[str, list[list[str]]]:
    ids = [orc.servers(n, phaseDurations=QUICK) for n in servers]
    plan_id = orc.add_plan(
        [(f"W{n}", [orc.add_group(f"g{n}", group)], False) for n, group in enumerate(ids, start=1)],
        runbook,
        **options,
    )
    return plan_id, ids


def instance_of(orc: Orchestration, execution_id: str, source_server_id: str) -> str:
    found = [s for s in orc.deps.stores.servers.all(execution_id) if s["sourceServerId"] == source_server_id]
    return str(found[-1]["ec2InstanceId"])


def action_statuses(record: dict[str, Any], wave: int) -> list[tuple[str, str]]:
    return [(a["name"], a["status"]) for a in record["waves"][wave - 1].get("actions", [])]


def test_a_runbook_with_every_action_type_completes_only_after_its_last_post_action(
    orc: Orchestration,
) -> None:
    """Given a 3-wave plan with a LAMBDA before wave 1, a command check after it, an approval before
    wave 3 and an automation and a settle WAIT after it; when it runs; then every action ran in order
    with the documented context and the execution is COMPLETED with the approver recorded."""
    seen: list[dict[str, Any]] = []
    orc.deps.functions.functions["drs-actions-freeze"] = lambda event: seen.append(event) or {"frozen": True}  # type: ignore[attr-defined]
    plan_id, ids = runbook_plan(
        orc,
        {
            1: {
                "preActions": [
                    {
                        "name": "freeze",
                        "type": "LAMBDA",
                        "functionName": "drs-actions-freeze",
                        "payload": {"app": "shop"},
                    }
                ],
                "postActions": [
                    {
                        "name": "db-up",
                        "type": "SSM_COMMAND",
                        "documentName": "AWS-RunShellScript",
                        "parameters": {"commands": ["pg_isready"]},
                    }
                ],
            },
            3: {
                "preActions": [{"name": "sign-off", "type": "APPROVAL"}],
                "postActions": [
                    {
                        "name": "dns",
                        "type": "SSM_AUTOMATION",
                        "documentName": "Shop-FailoverDns",
                        "parameters": {"InstanceIds": ["{{instanceIds}}"]},
                    },
                    {"name": "settle", "type": "WAIT", "durationSeconds": 120},
                ],
            },
        },
    )
    execution = orc.start(plan_id)

    def approve(eid: str, record: dict[str, Any]) -> None:
        assert record["status"] == "PAUSED" and record["pauseReason"] == "APPROVAL"
        assert status_label(record) == "PAUSED (approval in wave 3 of 3)"
        control.resume(orc.deps, eid, actor="app-owner", comment="checked the storefront")

    final = orc.run_to_end(execution["executionId"], on_pause=approve)

    assert final["status"] == "COMPLETED"
    assert action_statuses(final, 1) == [("freeze", "SUCCEEDED"), ("db-up", "SUCCEEDED")]
    assert action_statuses(final, 3) == [
        ("sign-off", "SUCCEEDED"),
        ("dns", "SUCCEEDED"),
        ("settle", "SUCCEEDED"),
    ]
    approval = final["waves"][2]["actions"][0]
    assert (approval["approvedBy"], approval["comment"]) == ("app-owner", "checked the storefront")
    (event,) = seen
    assert event["app"] == "shop" and event["executionId"] == execution["executionId"]
    assert (event["waveNumber"], event["waveName"], event["stage"], event["actionName"]) == (
        1,
        "W1",
        "PRE",
        "freeze",
    )
    assert [s["sourceServerId"] for s in event["servers"]] == ids[0]
    (command,) = orc.deps.ssm.commands.values()  # type: ignore[attr-defined]
    assert command["instanceIds"] == [instance_of(orc, execution["executionId"], ids[0][0])]
    (automation,) = orc.deps.ssm.started.values()  # type: ignore[attr-defined]
    assert automation["parameters"]["InstanceIds"] == [instance_of(orc, execution["executionId"], ids[2][0])]
    # The wave ended with its last post-action, after the settle time.
    settle = final["waves"][2]["actions"][2]
    assert final["waves"][2]["endTime"] >= settle["endTime"]
    events = [e["type"] for e in all_events(orc.deps, execution["executionId"])]
    assert events.count("ACTION_SUCCEEDED") == 4 and "APPROVED" in events


def test_a_wave_waits_for_its_post_actions_before_it_is_completed(orc: Orchestration) -> None:
    """Given a wave whose check command takes a while; when its servers are ready; then the wave is
    still IN_PROGRESS in POST_ACTIONS, and completes once the command succeeded."""
    orc.deps.ssm.command_seconds = 300  # type: ignore[attr-defined]
    plan_id, _ = runbook_plan(
        orc,
        {
            1: {
                "postActions": [
                    {"name": "check", "type": "SSM_COMMAND", "documentName": "AWS-RunShellScript"}
                ]
            }
        },
        servers=(1,),
    )
    execution_id = orc.start(plan_id)["executionId"]
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0}))
    state = orc.run_wave(state)
    wave = orc.get(execution_id)["waves"][0]
    assert (wave["status"], wave["phase"]) == ("IN_PROGRESS", "POST_ACTIONS")
    state = dict(waves.advance(orc.deps, state))
    assert (state["next"], state["stage"]) == ("ACTIONS", "POST")
    state = dict(actions.run_action(orc.deps, state))
    assert orc.get(execution_id)["waves"][0]["actions"][0]["status"] == "RUNNING"
    assert orc.run_actions(state) is not None
    assert orc.get(execution_id)["waves"][0]["status"] == "COMPLETED"


def _failing_check_plan(orc: Orchestration, **options: Any) -> tuple[str, list[list[str]]]:
    return runbook_plan(
        orc,
        {
            2: {
                "postActions": [
                    {
                        "name": "app-check",
                        "type": "SSM_COMMAND",
                        "documentName": "AWS-RunShellScript",
                        "parameters": {"commands": ["curl -f localhost"]},
                    }
                ]
            }
        },
        **options,
    )


def _fail_on(orc: Orchestration, execution_id: str, source_server_id: str) -> None:
    """Make the command fail on the server's instance once it is launched (the results are looked up
    when a command is sent)."""
    original = orc.deps.ssm.send_command  # type: ignore[attr-defined]

    def send(command: Command) -> list[str]:
        bad = instance_of(orc, execution_id, source_server_id)
        orc.deps.ssm.results[bad] = (7, "curl: (7) Failed to connect")  # type: ignore[attr-defined]
        return original(command)  # type: ignore[no-any-return]

    orc.deps.ssm.send_command = send  # type: ignore[attr-defined,method-assign]


def test_a_failed_post_action_stops_the_plan_and_leaves_its_instances_terminable(orc: Orchestration) -> None:
    """Given onWaveFailure STOP (the default) and a check failing on one server of wave 2; when it
    runs; then wave 2 is FAILED with the action's error, wave 3 never started, PARTIAL_SUCCESS."""
    plan_id, ids = _failing_check_plan(orc)
    execution_id = orc.start(plan_id)["executionId"]
    _fail_on(orc, execution_id, ids[1][1])
    final = orc.run_to_end(execution_id)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "FAILED", "NOT_STARTED"]
    assert final["waves"][1]["error"].startswith("post-action app-check failed: exit code 7 on i-")
    assert "curl: (7) Failed to connect" in final["waves"][1]["error"]
    assert "Failed to connect" in final["waves"][1]["actions"][0]["output"]
    assert can_terminate_execution(final)["canTerminate"] is True


def test_with_pause_a_failed_wave_is_retried_after_the_fix_and_completes(orc: Orchestration) -> None:
    """Given onWaveFailure PAUSE; when wave 2's check fails, the operator fixes the server and
    retries; then only the failed action reruns and the execution is COMPLETED."""
    plan_id, ids = _failing_check_plan(orc, onWaveFailure="PAUSE")
    execution_id = orc.start(plan_id)["executionId"]
    _fail_on(orc, execution_id, ids[1][1])
    paused = orc.run_to_end(execution_id, resume=False)
    paused = orc.run_to_end(execution_id, resume=False) if paused["status"] != "PAUSED" else paused
    assert (paused["status"], paused["pauseReason"], paused["pausedWave"]) == ("PAUSED", "WAVE_FAILED", 2)
    assert status_label(paused) == "PAUSED (wave 2 of 3 failed: retry, skip or cancel)"
    with pytest.raises(ConflictError):
        control.resume(orc.deps, execution_id)

    def fix_and_retry(eid: str, record: dict[str, Any]) -> None:
        orc.deps.ssm.results.clear()  # type: ignore[attr-defined]
        orc.deps.ssm.send_command = type(orc.deps.ssm).send_command.__get__(orc.deps.ssm)  # type: ignore[attr-defined,method-assign]
        control.retry_wave(orc.deps, eid, actor="ops", comment="restarted nginx")

    fix_and_retry(execution_id, paused)
    final = orc.run_to_end(execution_id)
    assert final["status"] == "COMPLETED"
    wave = final["waves"][1]
    assert (wave["status"], wave["retries"], wave["retriedBy"]) == ("COMPLETED", 1, "ops")
    assert wave["actions"][0]["status"] == "SUCCEEDED" and len(orc.deps.ssm.commands) == 2  # type: ignore[attr-defined]


def test_with_pause_a_skipped_wave_ends_the_execution_partial_success(orc: Orchestration) -> None:
    """Given onWaveFailure PAUSE and wave 2's check failing; when the operator skips it; then wave 3
    runs, wave 2 is SKIPPED, and the execution is PARTIAL_SUCCESS, never COMPLETED."""
    plan_id, ids = _failing_check_plan(orc, onWaveFailure="PAUSE")
    execution_id = orc.start(plan_id)["executionId"]
    _fail_on(orc, execution_id, ids[1][1])

    def skip(eid: str, record: dict[str, Any]) -> None:
        assert record["pauseReason"] == "WAVE_FAILED"
        control.skip_wave(orc.deps, eid, actor="ops", comment="accepting the risk")

    final = orc.run_to_end(execution_id, on_pause=skip)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "SKIPPED", "COMPLETED"]
    assert (final["waves"][1]["skippedBy"], final["waves"][1]["skipComment"]) == ("ops", "accepting the risk")
    assert status_label(final) == "PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)"


def test_a_failed_critical_server_is_launched_again_on_retry_and_only_it(orc: Orchestration) -> None:
    """Given onWaveFailure PAUSE and a CRITICAL server whose launch fails; when the operator retries
    after the cause is gone; then only that server gets a new DRS job, both jobs stay on the wave
    (for termination), and the execution completes."""
    ids = [orc.servers(1, phaseDurations=QUICK), orc.servers(1, phaseDurations=QUICK)]
    bad = orc.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="CONVERSION")
    plan_id = orc.add_plan(
        [("W1", [orc.add_group("a", ids[0])], False), ("W2", [orc.add_group("b", ids[1] + bad)], False)],
        onWaveFailure="PAUSE",
    )
    execution_id = orc.start(plan_id)["executionId"]

    def fix_and_retry(eid: str, record: dict[str, Any]) -> None:
        assert record["waves"][1]["error"].startswith("critical servers failed")
        server = orc.sim._servers[bad[0]]  # the cause is gone: it launches from now on
        server.spec = replace(server.spec, launch_outcome="LAUNCHED", fail_phase=None)
        control.retry_wave(orc.deps, eid, actor="ops")

    final = orc.run_to_end(execution_id, on_pause=fix_and_retry)
    assert final["status"] == "COMPLETED"
    wave = final["waves"][1]
    assert len(wave["jobIds"]) == 2 and wave["retries"] == 1
    assert wave["relaunchServerIds"] == bad
    second = orc.deps.drs.jobs([wave["jobIds"][1]])[0]
    assert [p["sourceServerID"] for p in second["participatingServers"]] == bad


def test_a_failing_pre_action_launches_nothing_and_continue_only_warns(orc: Orchestration) -> None:
    """Given a wave whose pre-action fails; with FAIL nothing of the wave is launched; with CONTINUE
    the execution completes with the warning in its label."""

    def broken(event: dict[str, Any]) -> Any:
        raise RuntimeError("replication lag too high")

    orc.deps.functions.functions["drs-actions-gate"] = broken  # type: ignore[attr-defined]
    gate = {"name": "gate", "type": "LAMBDA", "functionName": "drs-actions-gate"}
    plan_id, ids = runbook_plan(orc, {2: {"preActions": [gate]}})
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "FAILED", "NOT_STARTED"]
    assert final["waves"][1]["jobIds"] == []
    assert "raised RuntimeError: replication lag too high" in final["waves"][1]["error"]
    launched = {
        p["sourceServerID"]
        for j in orc.deps.drs.jobs_since("2000-01-01T00:00:00Z")
        for p in j["participatingServers"]
    }
    assert launched.isdisjoint(ids[1])

    plan_id, _ = runbook_plan(orc, {2: {"preActions": [{**gate, "onFailure": "CONTINUE"}]}})
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    assert final["status"] == "COMPLETED"
    assert status_label(final) == "COMPLETED WITH WARNINGS (1 warning)"


def test_an_action_is_tried_max_attempts_times_and_a_timeout_is_timed_out(orc: Orchestration) -> None:
    """Given a function that fails twice then succeeds (maxAttempts 3) and one that never answers in
    time; then the first SUCCEEDED on attempt 3 and the second is TIMED_OUT after its 2 attempts."""
    calls: list[int] = []

    def flaky(event: dict[str, Any]) -> Any:
        calls.append(event["attempt"])
        return {"status": "FAILED", "message": "not yet"} if len(calls) < 3 else {"ok": True}

    def slow(event: dict[str, Any]) -> Any:
        raise TimeoutError

    orc.deps.functions.functions.update({"drs-actions-flaky": flaky, "drs-actions-slow": slow})  # type: ignore[attr-defined]
    plan_id, _ = runbook_plan(
        orc,
        {
            1: {
                "postActions": [
                    {
                        "name": "flaky",
                        "type": "LAMBDA",
                        "functionName": "drs-actions-flaky",
                        "maxAttempts": 3,
                    },
                    {"name": "slow", "type": "LAMBDA", "functionName": "drs-actions-slow", "maxAttempts": 2},
                ]
            }
        },
        servers=(1,),
    )
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    flaky_action, slow_action = final["waves"][0]["actions"]
    assert (flaky_action["status"], flaky_action["attempts"], calls) == ("SUCCEEDED", 3, [1, 2, 3])
    assert (slow_action["status"], slow_action["attempts"]) == ("TIMED_OUT", 2)
    assert final["status"] == "FAILED"
    assert final["waves"][0]["error"] == "post-action slow timed out: function drs-actions-slow timed out"


def test_an_approval_nobody_gives_in_time_is_timed_out(orc: Orchestration) -> None:
    """Given an approval of 10 minutes; when its wait times out; then it is TIMED_OUT and the wave FAILED."""
    plan_id, _ = runbook_plan(
        orc, {1: {"preActions": [{"name": "ok?", "type": "APPROVAL", "timeoutSeconds": 600}]}}, servers=(1,)
    )
    execution_id = orc.start(plan_id)["executionId"]
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0}))
    state = dict(actions.run_action(orc.deps, state))
    assert (state["next"], state["pauseTimeoutSeconds"]) == ("APPROVAL", 600)
    actions.await_approval(orc.deps, state, "token-1")
    orc.clock.advance(600)
    state = dict(actions.approval_expired(orc.deps, state))
    state = dict(actions.run_action(orc.deps, state))
    record = orc.get(execution_id)
    assert record["waves"][0]["actions"][0]["status"] == "TIMED_OUT"
    assert record["waves"][0]["error"] == "pre-action ok? timed out: not approved within 10 min"
    assert record["pausedSeconds"] == 600 and record["status"] == "IN_PROGRESS"


def test_retry_and_skip_are_refused_unless_a_failed_wave_waits(orc: Orchestration) -> None:
    plan_id, _ = runbook_plan(orc, {}, servers=(1,))
    execution_id = orc.start(plan_id)["executionId"]
    for operation in (control.retry_wave, control.skip_wave):
        with pytest.raises(ConflictError) as refused:
            operation(orc.deps, execution_id)
        assert refused.value.code == "INVALID_STATE"


@pytest.mark.parametrize(
    ("action", "field", "words"),
    [
        ({"name": "a", "type": "LAMBDA"}, "waves[0].postActions[0].functionName", "needs functionName"),
        (
            {"name": "a", "type": "LAMBDA", "functionName": "other-fn"},
            "waves[0].postActions[0].functionName",
            "drs-actions-",
        ),
        (
            {"name": "a", "type": "SSM_COMMAND", "documentName": "Evil-Doc"},
            "waves[0].postActions[0].documentName",
            "not allowed",
        ),
        (
            {"name": "a", "type": "WAIT", "durationSeconds": 90, "functionName": "x"},
            "waves[0].postActions[0].functionName",
            "does not apply",
        ),
        ({"name": "a", "type": "WAIT"}, "waves[0].postActions[0].durationSeconds", "needs durationSeconds"),
        (
            {"name": "a", "type": "LAMBDA", "functionName": "drs-actions-x", "payload": {"executionId": "x"}},
            "waves[0].postActions[0].payload.executionId",
            "part of the context",
        ),
        (
            {"name": "a", "type": "LAMBDA", "functionName": "drs-actions-x", "timeoutSeconds": 900},
            "waves[0].postActions[0].timeoutSeconds",
            "at most 840 s",
        ),
    ],
)
def test_bad_actions_name_the_field(
    orc: Orchestration, action: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailedError) as bad:
        catalog.check_actions(orc.deps.config, [{"postActions": [action]}])
    assert bad.value.details == {"field": field} and words in bad.value.message


def test_action_names_are_unique_in_their_wave(orc: Orchestration) -> None:
    wave = {
        "preActions": [{"name": "x", "type": "APPROVAL"}],
        "postActions": [{"name": "X", "type": "APPROVAL"}],
    }
    with pytest.raises(ValidationFailedError) as bad:
        catalog.check_actions(orc.deps.config, [wave])
    assert bad.value.details == {"field": "waves[0].postActions[0].name"}


def test_a_function_gets_exactly_the_documented_context_keys_besides_its_payload(orc: Orchestration) -> None:
    """The keys a payload may not use (plan validation) are the keys every function receives."""
    from orchestrator.actions import ACTION_CONTEXT_KEYS

    seen: list[dict[str, Any]] = []
    orc.deps.functions.functions["drs-actions-echo"] = lambda event: seen.append(event) or {}  # type: ignore[attr-defined]
    action = {
        "name": "echo",
        "type": "LAMBDA",
        "functionName": "drs-actions-echo",
        "payload": {"app": "shop"},
    }
    plan_id, _ = runbook_plan(orc, {1: {"preActions": [action]}}, servers=(1,))
    orc.run_to_end(orc.start(plan_id)["executionId"])
    (event,) = seen
    assert set(event) == ACTION_CONTEXT_KEYS | {"app"}
