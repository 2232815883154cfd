"""A real recovery has a route of its own, so that IAM can deny it to drill operators: through the
sandbox's REST API, the drill route refuses a RECOVERY and starts nothing; POST
/recovery-plans/{planId}/recovery starts one only with the plan's name typed again."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from sandbox_api import Api, finished


def post(api: Api, path: str, body: Any = None) -> requests.Response:
    return api.http.post(api.url + path, json=body, timeout=30)


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def plan_of(api: Api) -> dict[str, Any]:
    plan_id = api.plan([(api.servers(2), False)])
    plan: dict[str, Any] = api.call("GET", f"/recovery-plans/{plan_id}", expect=200)
    return plan


def executions_of(api: Api, plan_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.call("GET", f"/executions?planId={plan_id}", expect=200)["items"]
    return items


def test_the_drill_route_refuses_a_recovery_and_starts_nothing(api: Api) -> None:
    # Given a plan
    plan = plan_of(api)
    # When a RECOVERY is asked for on the drill route
    refused = post(api, f"/recovery-plans/{plan['planId']}/executions", {"executionType": "RECOVERY"})
    # Then it is refused with 422, naming the field and pointing to the recovery route
    error = error_of(refused, 422)
    assert error["code"] == "RECOVERY_ROUTE_REQUIRED"
    assert error["details"] == {"field": "executionType"}
    assert "POST /recovery-plans/{planId}/recovery" in error["message"]
    # And nothing started: no execution, and the plan is free for a drill
    assert executions_of(api, plan["planId"]) == []
    drill = api.call("POST", f"/recovery-plans/{plan['planId']}/executions", {}, expect=202)
    assert api.execution(drill["executionId"])["executionType"] == "DRILL"


def test_the_recovery_route_refuses_a_wrong_or_missing_name_and_starts_nothing(api: Api) -> None:
    # Given a plan
    plan = plan_of(api)
    path = f"/recovery-plans/{plan['planId']}/recovery"
    # When the name typed is another plan's, or differs in case
    for wrong in ("not-the-plan", plan["name"].upper()):
        error = error_of(post(api, path, {"confirmPlanName": wrong}), 422)
        # Then it is refused, naming the field
        assert (error["code"], error["details"]) == ("CONFIRMATION_MISMATCH", {"field": "confirmPlanName"})
    # When no name is given, or one no plan can have (names follow the API's name rules), the body
    # is invalid
    for body in (None, {}, {"confirmPlanName": ""}, {"confirmPlanName": f"{plan['name']} "}, {"x": 1}):
        error = error_of(post(api, path, body), 422)
        assert error["code"] == "VALIDATION_ERROR"
    # And an unknown plan is 404, whatever the name
    unknown = post(api, f"/recovery-plans/{uuid.uuid4()}/recovery", {"confirmPlanName": plan["name"]})
    assert error_of(unknown, 404)["code"] == "PLAN_NOT_FOUND"
    # And nothing started
    assert executions_of(api, plan["planId"]) == []


def test_the_plan_name_starts_a_recovery_that_runs_to_completed(api: Api) -> None:
    # Given a plan
    plan = plan_of(api)
    # When a RECOVERY is started on its own route with the plan's name
    started = post(api, f"/recovery-plans/{plan['planId']}/recovery", {"confirmPlanName": plan["name"]})
    # Then it is accepted like a drill: 202 with the execution id and its status
    assert started.status_code == 202, started.text
    body = started.json()
    assert set(body) == {"executionId", "status"} and body["status"] == "PENDING"
    # And the execution is a RECOVERY of that plan, recorded with who started it
    execution = api.execution(body["executionId"])
    assert execution["executionType"] == "RECOVERY"
    assert (execution["planId"], execution["planName"]) == (plan["planId"], plan["name"])
    # And it runs to COMPLETED
    final, _ = api.watch(body["executionId"], finished)
    assert final["status"] == "COMPLETED", final
    assert final["executionType"] == "RECOVERY"
    assert [e["executionId"] for e in executions_of(api, plan["planId"])] == [body["executionId"]]
