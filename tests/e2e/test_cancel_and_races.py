"""Evidence that never contradicts itself, through the sandbox (the real state machine and handlers):
a cancel stops actions (CANCELLED, never FAILED) and is never answered by COMPLETED; an action
waiting for its next attempt says when it is tried again; of operators deciding a pause at once,
exactly one wins and every other is told what was decided and by whom; a cancel sent right after
the start is never refused for the system's own write."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import requests
from sandbox_api import TIME_SCALE, Api, finished, wave_statuses


def plan(api: Api, waves: list[dict[str, Any]], **options: Any) -> str:
    """A plan of one server per wave; each wave dict holds its runbook (preActions, postActions)."""
    body: dict[str, Any] = {
        "name": f"races-{uuid.uuid4().hex[:8]}",
        "waves": [
            {"waveName": f"Wave{n}", "protectionGroupIds": [api.group(api.servers(1))], **runbook}
            for n, runbook in enumerate(waves, start=1)
        ],
    }
    if options:
        body["options"] = options
    return str(api.call("POST", "/recovery-plans", body, expect=201)["planId"])


def function(api: Api, **declared: Any) -> str:
    name = f"drs-actions-{uuid.uuid4().hex[:8]}"
    api.call("POST", "/_sandbox/functions", {"functions": [{"name": name, **declared}]}, expect=200)
    return name


def as_caller(api: Api, caller: str, method: str, path: str, body: Any = None) -> requests.Response:
    """A request made by the IAM user ``caller`` (the sandbox's X-Sandbox-Caller header)."""
    return requests.request(
        method, api.url + path, json=body, headers={"X-Sandbox-Caller": caller}, timeout=60
    )


def all_at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """The requests sent from threads released together."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def send(n: int) -> None:
        barrier.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def paused(record: dict[str, Any]) -> bool:
    return record["status"] == "PAUSED" or finished(record)


def arn(caller: str) -> str:
    return f"arn:aws:iam::123456789012:user/{caller}"


# (a) -------------------------------------------------------------------------------------------------


def test_a_cancel_at_an_approval_shows_the_approval_cancelled_not_failed(api: Api) -> None:
    """Given a drill waiting for an approval before its only wave; when it is cancelled; then the
    approval is CANCELLED (no error), the wave CANCELLED and the execution CANCELLED."""
    execution_id = api.start(plan(api, [{"preActions": [{"name": "sign-off", "type": "APPROVAL"}]}]))
    waiting, _ = api.watch(execution_id, paused)
    assert (waiting["status"], waiting["pauseReason"]) == ("PAUSED", "APPROVAL")

    api.call("POST", f"/executions/{execution_id}/cancel", {}, expect=200)
    final, _ = api.watch(execution_id, finished)

    assert final["status"] == "CANCELLED"
    assert wave_statuses(final) == ["CANCELLED"]
    (action,) = final["waves"][0]["actions"]
    assert action["status"] == "CANCELLED" and "error" not in action


# (b) -------------------------------------------------------------------------------------------------

# When each try sends its cancel: a condition on the execution as read.
MOMENTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "at once": lambda r: True,
    "while launching": lambda r: r["waves"][0].get("phase") in ("SNAPSHOT", "CONVERTING", "LAUNCHING"),
    "when the servers are ready": lambda r: r["waves"][0].get("phase") == "POST_ACTIONS",
    "while the check runs": lambda r: any(a["status"] == "RUNNING" for a in r["waves"][0]["actions"]),
    "when the check ended": lambda r: r["waves"][0]["actions"][0]["status"] == "SUCCEEDED",
    "when the wave completed": lambda r: r["waves"][0]["status"] == "COMPLETED",
}


def test_a_cancel_accepted_at_any_moment_of_a_one_wave_drill_never_ends_completed(api: Api) -> None:
    """Given one-wave drills with a post-action check; when each is cancelled at another moment
    (at once, launching, servers ready, check running, check ended, wave completed); then every
    drill whose cancel was accepted (200 CANCELLING) ends CANCELLED or PARTIAL_SUCCESS, never
    COMPLETED; a wave COMPLETED has its check SUCCEEDED, any other has no action FAILED by the cancel."""
    check = {
        "name": "check",
        "type": "SSM_COMMAND",
        "documentName": "AWS-RunShellScript",
        "parameters": {"commands": ["curl -fsS localhost/health"]},
    }
    results: dict[str, tuple[int, dict[str, Any]]] = {}
    errors: list[BaseException] = []
    started: dict[str, str] = {}
    for moment in MOMENTS:  # started one after the other, then each followed and cancelled apart
        group = api.group(api.servers(1, commandResult={"exitCode": 0, "durationSeconds": 120}))
        body = {
            "name": f"cancel-{uuid.uuid4().hex[:8]}",
            "waves": [{"waveName": "Only", "protectionGroupIds": [group], "postActions": [check]}],
        }
        started[moment] = api.start(str(api.call("POST", "/recovery-plans", body, expect=201)["planId"]))

    def one_try(moment: str) -> None:
        try:
            execution_id = started[moment]
            api.watch(execution_id, lambda r: MOMENTS[moment](r) or finished(r))
            answer = requests.post(f"{api.url}/executions/{execution_id}/cancel", json={}, timeout=60)
            assert answer.status_code in (200, 409), answer.text
            if answer.status_code == 200:
                assert answer.json()["status"] == "CANCELLING"
            else:  # too late: the drill had ended, the cancel was not accepted
                assert answer.json()["error"]["code"] == "INVALID_STATE"
            final, _ = api.watch(execution_id, finished, timeout=240)
            results[moment] = (answer.status_code, final)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=one_try, args=(moment,)) for moment in MOMENTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    accepted = 0
    for moment, (code, final) in results.items():
        wave = final["waves"][0]
        (action,) = wave["actions"]
        if code != 200:
            continue
        accepted += 1
        assert final["status"] in ("CANCELLED", "PARTIAL_SUCCESS"), (moment, final["status"])
        assert final["cancelRequested"] is True
        if wave["status"] == "COMPLETED":
            assert (final["status"], action["status"]) == ("PARTIAL_SUCCESS", "SUCCEEDED"), moment
        else:
            assert (wave["status"], action["status"]) == ("CANCELLED", "CANCELLED"), (moment, wave, action)
        assert action["status"] != "FAILED", moment
    assert accepted >= 4, {m: c for m, (c, _) in results.items()}


# (c) -------------------------------------------------------------------------------------------------


def test_of_ten_retries_and_ten_skips_at_once_one_gets_200_and_nineteen_a_409_naming_the_winner(
    api: Api,
) -> None:
    """Given a wave failed by its pre-action and the execution PAUSED (onWaveFailure PAUSE); when ten
    operators retry it and ten others skip it at the same moment; then exactly one gets 200, and
    the nineteen others 409 ALREADY_DECIDED naming that decision and its operator."""
    name = function(api, outcome="FAILED")
    gate = {"name": "gate", "type": "LAMBDA", "functionName": name}
    execution_id = api.start(plan(api, [{"preActions": [gate]}, {}], onWaveFailure="PAUSE"))
    waiting, _ = api.watch(execution_id, paused)
    assert (waiting["status"], waiting["pauseReason"]) == ("PAUSED", "WAVE_FAILED")
    # (a retried gate now runs for 10 s before it fails again: the sandbox's API serves one request
    # at a time, as one Lambda environment would, and a retry that failed again within the burst
    # would be a new pause for the requests served after it)
    api.call(
        "POST",
        "/_sandbox/functions",
        {
            "functions": [
                {"name": name, "outcome": "FAILED", "durationSeconds": 10 * TIME_SCALE, "timeoutSeconds": 900}
            ]
        },
        expect=200,
    )

    callers = [(f"retrier-{n}", "retry") for n in range(10)] + [(f"skipper-{n}", "skip") for n in range(10)]
    answers = all_at_once(
        [
            lambda c=c, v=v: as_caller(api, c, "POST", f"/executions/{execution_id}/{v}", {})
            for c, v in callers
        ]
    )

    won = [n for n, a in enumerate(answers) if a.status_code == 200]
    assert len(won) == 1, [a.status_code for a in answers]
    winner, verb = callers[won[0]]
    lost = [a for a in answers if a.status_code != 200]
    assert [a.status_code for a in lost] == [409] * 19
    past = {"retry": "retried", "skip": "skipped"}[verb]
    for answer in lost:
        error = answer.json()["error"]
        assert error["code"] == "ALREADY_DECIDED", error
        assert f"wave 1 was already {past} by {arn(winner)}" in error["message"]
        assert (error["details"]["decision"], error["details"]["decidedBy"]) == (verb.upper(), arn(winner))
    record = api.execution(execution_id)
    by = record["waves"][0].get("retriedBy" if verb == "retry" else "skippedBy")
    assert by == arn(winner)
    api.call("POST", f"/executions/{execution_id}/cancel", {})
    api.watch(execution_id, finished)


def test_of_twenty_approvals_at_once_one_gets_200_and_one_comment_is_kept(api: Api) -> None:
    """Given an approval waiting; when twenty approvers approve at once, each with a comment of their
    own; then one gets 200, the approval keeps that one's comment and name, and the nineteen others
    get 409 ALREADY_DECIDED naming the approver; the drill goes on and completes."""
    execution_id = api.start(plan(api, [{"preActions": [{"name": "sign-off", "type": "APPROVAL"}]}]))
    api.watch(execution_id, paused)

    answers = all_at_once(
        [
            lambda n=n: as_caller(
                api,
                f"approver-{n}",
                "POST",
                f"/executions/{execution_id}/resume",
                {"comment": f"ok from {n}"},
            )
            for n in range(20)
        ]
    )

    won = [n for n, a in enumerate(answers) if a.status_code == 200]
    assert len(won) == 1, [a.status_code for a in answers]
    winner = arn(f"approver-{won[0]}")
    lost = [a.json()["error"] for a in answers if a.status_code != 200]
    assert len(lost) == 19 and {e["code"] for e in lost} == {"ALREADY_DECIDED"}
    assert all(f"approval sign-off was already given by {winner}" in e["message"] for e in lost)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED"
    (action,) = final["waves"][0]["actions"]
    assert (action["approvedBy"], action["comment"]) == (winner, f"ok from {won[0]}")
    assert final["resumeComment"] == f"ok from {won[0]}"


# (d) -------------------------------------------------------------------------------------------------


def test_a_cancel_sent_right_after_the_start_is_accepted_never_a_concurrent_update(api: Api) -> None:
    """Given drills just started (the state machine writing its first steps); when each is cancelled
    the moment the start answered; then every cancel gets 200 CANCELLING and the drill ends CANCELLED
    (or PARTIAL_SUCCESS should its wave have completed), never with a CONCURRENT_UPDATE."""
    for _ in range(5):
        execution_id = api.start(plan(api, [{}]))
        answer = requests.post(f"{api.url}/executions/{execution_id}/cancel", json={}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "CANCELLING"
        final, _ = api.watch(execution_id, finished)
        assert final["status"] in ("CANCELLED", "PARTIAL_SUCCESS")


# (e) -------------------------------------------------------------------------------------------------


def test_an_action_waiting_for_its_next_attempt_shows_retry_scheduled_and_when(api: Api) -> None:
    """Given a post-action function that fails, with maxAttempts 2; when its first attempt failed;
    then the action reads RETRY_SCHEDULED with nextAttemptAt after that attempt (never PENDING), and
    after the second attempt it is FAILED with 2 attempts."""
    name = function(api, outcome="FAILED", output={"message": "connection refused"})
    execution_id = api.start(
        plan(
            api,
            [{"postActions": [{"name": "db-up", "type": "LAMBDA", "functionName": name, "maxAttempts": 2}]}],
        )
    )
    waiting, seen = api.watch(
        execution_id, lambda r: r["waves"][0]["actions"][0]["status"] == "RETRY_SCHEDULED" or finished(r)
    )
    action = waiting["waves"][0]["actions"][0]
    assert (action["status"], action["attempts"]) == ("RETRY_SCHEDULED", 1)
    assert action["nextAttemptAt"] > action["startTime"]
    assert "connection refused" in action["error"]
    # Never PENDING once an attempt was made.
    assert all(
        r["waves"][0]["actions"][0]["status"] != "PENDING"
        for r in seen
        if r["waves"][0]["actions"][0]["attempts"] >= 1
    )
    final, _ = api.watch(execution_id, finished)
    (ended,) = final["waves"][0]["actions"]
    assert (ended["status"], ended["attempts"]) == ("FAILED", 2)
    assert "nextAttemptAt" not in ended
