"""Who acted is the person, not the role: console users of one group sign in through the same IAM
role, and each is still recorded by name, in the API, the timeline, the report, the email and
drsctl; an IAM caller is recorded by its ARN. And a RECOVERY's failed wave is skipped only on a route
of its own, confirmed by the plan's name.

The sandbox simulates a console user's request (``X-Sandbox-Cognito-User``): API Gateway's request
context of a user signed in through the template's user pool, created in moto, so the handler looks
the user up by ``sub`` as it does deployed."""

from __future__ import annotations

import html
import threading
import uuid
from typing import Any

import requests
from sandbox_api import Api, drsctl, finished, wave_statuses

from drs_sandbox.server import Sandbox

SANDBOX_IAM_ARN = "arn:aws:iam::123456789012:user/sandbox"


class ConsoleUser:
    """A user of the console's user pool, and their requests (as signed with their credentials)."""

    def __init__(self, api: Api, created: dict[str, Any]) -> None:
        self.api, self.created = api, created
        self.username, self.email, self.sub = created["username"], created["email"], created["sub"]
        self.role_arn = created["assumedRoleArn"]
        self.role_name = self.role_arn.split("/")[1]

    @property
    def label(self) -> str:
        """How the record names this user: the person, then the role they acted through."""
        return f"{self.username} <{self.email}> (role {self.role_name})"

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.api.http.post(
            self.api.url + path, json=body, headers={"X-Sandbox-Cognito-User": self.username}, timeout=30
        )

    def call(self, path: str, body: Any = None, expect: int = 200) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return dict(response.json())


def console_users(api: Api, group: str, *names: str) -> list[ConsoleUser]:
    tag = uuid.uuid4().hex[:6]
    specs = [{"username": f"{n}-{tag}", "email": f"{n}-{tag}@example.com", "group": group} for n in names]
    created = api.call("POST", "/_sandbox/users", {"users": specs}, expect=201)["users"]
    return [ConsoleUser(api, c) for c in created]


def identity_of(user: ConsoleUser) -> dict[str, Any]:
    return {"type": "COGNITO_USER", "name": user.username, "email": user.email, "sub": user.sub}


def approval_plan(api: Api) -> str:
    body = {
        "name": f"who-acted-{uuid.uuid4().hex[:8]}",
        "waves": [
            {"waveName": "DB", "protectionGroupIds": [api.group(api.servers(1))]},
            {
                "waveName": "Web",
                "protectionGroupIds": [api.group(api.servers(1))],
                "preActions": [{"name": "owner-sign-off", "type": "APPROVAL"}],
            },
        ],
    }
    return str(api.call("POST", "/recovery-plans", body, expect=201)["planId"])


def timeline(api: Api, execution_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.call("GET", f"/executions/{execution_id}/timeline?limit=500")["items"]
    return items


def notifications_of(api: Api, execution_id: str, subject_has: str) -> list[dict[str, Any]]:
    """The execution's notifications once one whose subject has ``subject_has`` was published."""
    stop = threading.Event()
    for _ in range(300):
        sent = [
            n for n in api.call("GET", "/_sandbox/notifications", expect=200) if execution_id in n["message"]
        ]
        if any(subject_has in n["subject"] for n in sent):
            return sent
        stop.wait(0.2)
    raise AssertionError(f"no notification with {subject_has!r} in its subject")


def test_two_operators_of_one_group_are_each_named_wherever_the_drill_is_shown(
    api: Api, sandbox: Sandbox
) -> None:
    """Given alice and bob, both Operators (the same IAM role), and a drill whose second wave waits
    for the owner's approval; when alice starts it, bob approves and alice terminates its instances;
    then the execution, the timeline, the report (JSON and HTML), the email and drsctl status name
    alice and bob, each with the role beside, never the role alone."""
    alice, bob = console_users(api, "Operators", "alice", "bob")
    assert alice.role_arn == bob.role_arn and "ConsoleOperatorRole" in alice.role_name
    plan_id = approval_plan(api)

    # When alice starts the drill
    execution_id = alice.call(f"/recovery-plans/{plan_id}/executions", {}, expect=202)["executionId"]
    # And bob approves at the pause
    paused, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED" or finished(r))
    assert (paused["status"], paused["pauseReason"]) == ("PAUSED", "APPROVAL"), paused
    bob.call(f"/executions/{execution_id}/resume", {"comment": "orders go through"})
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED", final
    # And alice terminates the drill's instances
    alice.call(f"/executions/{execution_id}/terminate-instances", {}, expect=202)
    record = api.execution(execution_id)

    # Then the execution names the person (words) and carries who they are (structured)
    assert record["initiatedBy"] == alice.label
    assert record["resumedBy"] == bob.label
    assert record["terminationRequestedBy"] == alice.label
    for field, user in (("initiatedBy", alice), ("resumedBy", bob), ("terminationRequestedBy", alice)):
        identity = record[f"{field}Identity"]
        assert identity.items() >= identity_of(user).items(), identity
        assert identity["role"] == user.role_arn
    (approval,) = record["waves"][1]["actions"]
    assert (approval["status"], approval["approvedBy"]) == ("SUCCEEDED", bob.label)
    assert approval["approvedByIdentity"]["sub"] == bob.sub

    # And the timeline's operator events name them
    events = {e["type"]: e for e in timeline(api, execution_id)}
    for kind, user in (("EXECUTION_STARTED", alice), ("APPROVED", bob), ("TERMINATION_STARTED", alice)):
        assert events[kind]["actor"] == user.label, events[kind]
        assert events[kind]["actorIdentity"]["sub"] == user.sub
    assert bob.label in events["APPROVED"]["message"]

    # And the report (JSON) says who started, approved and terminated
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    assert report["execution"]["initiatedBy"] == alice.label
    assert report["waves"][1]["actions"][0]["approvedBy"] == bob.label
    acts = {a["type"]: a["actor"] for a in report["actions"]}
    assert acts["EXECUTION_STARTED"] == alice.label
    assert acts["APPROVED"] == bob.label
    assert acts["TERMINATION_STARTED"] == alice.label
    # And so does the HTML page, escaped (the email address's angle brackets are text)
    page = api.http.get(f"{api.url}/executions/{execution_id}/report?format=html", timeout=30).text
    for user in (alice, bob):
        assert html.escape(user.label) in page
    assert f"<{alice.email}>" not in page

    # And the email names alice as the starter and bob as the approver
    sent = notifications_of(api, execution_id, "COMPLETED")
    completed = next(n["message"] for n in sent if "COMPLETED" in n["subject"])
    assert f"Started by:      {alice.label}" in completed
    went_on = [n["message"] for n in sent if f"was given by {bob.label}" in n["message"]]
    assert went_on, [n["subject"] for n in sent]

    # And drsctl status prints the same words
    status = drsctl(sandbox, "status", execution_id)
    assert status.returncode == 0, status.stderr
    assert f"Started by: {alice.label}" in status.stdout
    assert f"Terminated by: {alice.label}" in status.stdout
    assert f"approved by {bob.label}: orders go through" in status.stdout
    # And no act is put down to the role alone
    assert f"by {alice.role_arn}" not in status.stdout


def test_an_iam_caller_is_recorded_by_its_arn(api: Api) -> None:
    """Given a caller signing with IAM credentials (no console sign-in); when it starts a drill and
    cancels it; then the record and the timeline name its ARN."""
    plan_id = api.plan([(api.servers(1), True)])
    execution_id = api.start(plan_id)
    api.call("POST", f"/executions/{execution_id}/cancel", {}, expect=200)
    record = api.execution(execution_id)
    assert record["initiatedBy"] == SANDBOX_IAM_ARN
    assert record["initiatedByIdentity"] == {"type": "IAM", "arn": SANDBOX_IAM_ARN}
    assert record["cancelRequestedBy"] == SANDBOX_IAM_ARN
    events = {e["type"]: e for e in timeline(api, execution_id)}
    assert events["EXECUTION_STARTED"]["actor"] == SANDBOX_IAM_ARN
    assert events["CANCEL_REQUESTED"]["actorIdentity"] == {"type": "IAM", "arn": SANDBOX_IAM_ARN}
    api.watch(execution_id, finished)


def test_a_user_the_pool_cannot_be_asked_about_is_recorded_by_sub_and_role(api: Api) -> None:
    """Given the user pool failing every ListUsers call (as if unreachable); when a console user,
    never seen by this container, starts a drill; then the drill starts and the record keeps the
    user's sub and role, never failing the operator's action."""
    (dave,) = console_users(api, "Operators", "dave")
    api.call(
        "POST",
        "/_sandbox/faults",
        {
            "failOperations": {
                "cognito-idp:ListUsers": {"count": 20, "error": "InternalErrorException", "status": 500}
            }
        },
        expect=200,
    )
    try:
        plan_id = api.plan([(api.servers(1), True)])
        execution_id = dave.call(f"/recovery-plans/{plan_id}/executions", {}, expect=202)["executionId"]
    finally:
        api.call("DELETE", "/_sandbox/faults", expect=200)
    record = api.execution(execution_id)
    assert record["initiatedBy"] == f"user {dave.sub} (role {dave.role_name})"
    identity = record["initiatedByIdentity"]
    assert (identity["type"], identity["sub"], identity["role"]) == ("COGNITO_USER", dave.sub, dave.role_arn)
    assert "name" not in identity
    # Once the pool answers again, the same user is named
    dave.call(f"/executions/{execution_id}/cancel", {})
    assert api.execution(execution_id)["cancelRequestedBy"] == dave.label
    api.watch(execution_id, finished)


def test_a_request_naming_no_console_user_is_refused(api: Api) -> None:
    """Given no console user of that name; a request signed as them is refused, as API Gateway
    refuses credentials it does not accept, and nothing is started."""
    plan_id = api.plan([(api.servers(1), False)])
    response = api.http.post(
        f"{api.url}/recovery-plans/{plan_id}/executions",
        json={},
        headers={"X-Sandbox-Cognito-User": f"nobody-{uuid.uuid4().hex[:6]}"},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    assert api.call("GET", f"/executions?planId={plan_id}", expect=200)["items"] == []


def failing_recovery(api: Api, admin: ConsoleUser) -> tuple[str, str]:
    """A RECOVERY (onWaveFailure PAUSE) of a plan whose wave 2 check fails: (execution id, plan name),
    once it is PAUSED with WAVE_FAILED on wave 2."""
    check = {
        "name": "app-check",
        "type": "SSM_COMMAND",
        "documentName": "AWS-RunShellScript",
        "parameters": {"commands": ["curl -fsS localhost/health"]},
    }
    bad = api.servers(1, commandResult={"exitCode": 3, "output": "HTTP 503 upstream down"})
    name = f"recovery-{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "waves": [
            {"waveName": "DB", "protectionGroupIds": [api.group(api.servers(1))]},
            {"waveName": "App", "protectionGroupIds": [api.group(bad)], "postActions": [check]},
            {"waveName": "Web", "protectionGroupIds": [api.group(api.servers(1))]},
        ],
        "options": {"onWaveFailure": "PAUSE"},
    }
    plan_id = api.call("POST", "/recovery-plans", body, expect=201)["planId"]
    execution_id = admin.call(f"/recovery-plans/{plan_id}/recovery", {"confirmPlanName": name}, expect=202)[
        "executionId"
    ]
    paused, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED" or finished(r))
    assert (paused["status"], paused["pauseReason"], paused["pausedWave"]) == ("PAUSED", "WAVE_FAILED", 2)
    return execution_id, name


def test_a_recoverys_failed_wave_is_skipped_only_on_its_own_route_with_the_plans_name(api: Api) -> None:
    """Given a RECOVERY paused because wave 2 failed; when /skip is asked, it is refused pointing at
    skip-recovery and nothing changes; a wrong plan name is refused too; then skip-recovery with the
    plan's name skips the wave, recorded with the Administrator who did it, and wave 3 runs."""
    (carol,) = console_users(api, "Administrators", "carol")
    execution_id, name = failing_recovery(api, carol)

    # When the drill route is asked
    refused = carol.post(f"/executions/{execution_id}/skip", {"comment": "known issue"})
    # Then it is refused like a RECOVERY's retry, pointing at the route of its own
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "RECOVERY_ROUTE_REQUIRED"
    assert "POST /executions/{executionId}/skip-recovery" in error["message"]
    # And a wrong name, or none, is refused as well
    wrong = carol.post(f"/executions/{execution_id}/skip-recovery", {"confirmPlanName": name.upper()})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "CONFIRMATION_MISMATCH")
    missing = carol.post(f"/executions/{execution_id}/skip-recovery", {"comment": "x"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
    # And nothing changed
    still = api.execution(execution_id)
    assert (still["status"], wave_statuses(still)[1]) == ("PAUSED", "FAILED")

    # When skip-recovery is asked with the plan's name
    skipped = carol.call(
        f"/executions/{execution_id}/skip-recovery", {"confirmPlanName": name, "comment": "App owner agrees"}
    )
    # Then the wave is SKIPPED by carol and the next wave runs
    assert skipped["waves"][1]["status"] == "SKIPPED"
    assert skipped["waves"][1]["skippedBy"] == carol.label
    assert skipped["waves"][1]["skippedByIdentity"]["sub"] == carol.sub
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "PARTIAL_SUCCESS", final
    assert wave_statuses(final) == ["COMPLETED", "SKIPPED", "COMPLETED"]
    events = [e for e in timeline(api, execution_id) if e["type"] == "WAVE_SKIPPED"]
    assert [e["actor"] for e in events] == [carol.label]


def test_drsctl_skip_of_a_recovery_needs_the_plans_name(api: Api, sandbox: Sandbox) -> None:
    """Given a RECOVERY paused because wave 2 failed; drsctl skip without the plan's name (no
    terminal to ask on) is one error line and exit 1, nothing skipped; with --confirm-plan-name it
    goes to skip-recovery and the wave is SKIPPED, recorded by the caller's ARN."""
    (erin,) = console_users(api, "Administrators", "erin")
    execution_id, name = failing_recovery(api, erin)
    refused = drsctl(sandbox, "skip", execution_id, "--comment", "known issue")
    assert refused.returncode == 1
    assert refused.stderr.startswith("drsctl: error: ") and "--confirm-plan-name" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert api.execution(execution_id)["waves"][1]["status"] == "FAILED"
    done = drsctl(sandbox, "skip", execution_id, "--confirm-plan-name", name, "--comment", "known issue")
    assert done.returncode == 0, done.stderr
    record = api.execution(execution_id)
    assert record["waves"][1]["status"] == "SKIPPED"
    assert record["waves"][1]["skippedBy"] == SANDBOX_IAM_ARN
    api.watch(execution_id, finished)
