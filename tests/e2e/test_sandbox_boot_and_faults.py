"""The sandbox's EC2 instances boot (the three readiness checks complete in order), /health waits for
the scenario, and the handlers' own AWS calls fail on demand (failOperations), all through HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from drs_sandbox.server import Sandbox
from drs_sandbox.stack import Stack
from orchestrator.version import VERSION

TIME_SCALE = 60
# Identical timings for every server: DRS reports LAUNCHED after ~0.7 s (job pending 10 s, then
# 30 s of phases), EC2 runs it 5 s later (boot), its status checks pass 5 s after that.
TIMINGS = {"snapshot": 10, "conversion": 10, "launch": 10, "boot": 300, "statusChecks": 300}
BOOT_REAL = TIMINGS["boot"] / TIME_SCALE
CHECKS_REAL = TIMINGS["statusChecks"] / TIME_SCALE
QUICK = {"snapshot": 10, "conversion": 10, "launch": 10, "boot": 60, "statusChecks": 60}
TERMINAL = {"COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.http.request(method, self.url + path, json=body, timeout=30)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def servers(self, count: int = 1, **spec: Any) -> list[str]:
        ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(count)]
        body = [
            {"sourceServerId": i, "hostname": f"h-{i[-6:]}", "phaseDurations": TIMINGS, **spec} for i in ids
        ]
        self.call("POST", "/_sandbox/source-servers", {"servers": body}, expect=201)
        return ids

    def group(self, server_ids: list[str]) -> str:
        body = {"name": f"group-{uuid.uuid4().hex[:8]}", "sourceServerIds": server_ids}
        return str(self.call("POST", "/protection-groups", body, expect=201)["groupId"])

    def plan(self, server_ids: list[str], **options: Any) -> str:
        body = {
            "name": f"plan-{uuid.uuid4().hex[:8]}",
            "waves": [{"waveName": "Only", "protectionGroupIds": [self.group(server_ids)]}],
            "options": options,
        }
        return str(self.call("POST", "/recovery-plans", body, expect=201)["planId"])

    def start(self, plan_id: str) -> str:
        body = {"executionType": "DRILL"}
        return str(
            self.call("POST", f"/recovery-plans/{plan_id}/executions", body, expect=202)["executionId"]
        )

    def execution(self, execution_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/executions/{execution_id}", expect=200))

    def servers_of(self, execution_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/executions/{execution_id}/servers", expect=200)["items"])

    def watch(self, execution_id: str, until: Any, timeout: float = 60) -> dict[str, Any]:
        pause = threading.Event()
        for _ in range(int(timeout / 0.2)):
            record = self.execution(execution_id)
            if until(record):
                return record
            pause.wait(0.2)
        raise AssertionError(
            f"timed out; last {record['status']}, waves {[w['status'] for w in record['waves']]}"
        )


def finished(record: dict[str, Any]) -> bool:
    return record["status"] in TERMINAL


def wave_seconds(record: dict[str, Any]) -> float:
    wave = record["waves"][0]
    end = wave.get("endTime") or record["endTime"]
    return (datetime.fromisoformat(end) - datetime.fromisoformat(wave["startTime"])).total_seconds()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox.url)
    yield client
    client.call("DELETE", "/_sandbox/faults", expect=200)


# ---------------------------------------------------------------------- the boot


def test_launched_then_ec2_running_then_status_ok_complete_in_that_order(api: Api) -> None:
    # Given three plans, one per readiness check, whose servers make the step that check must NOT
    # wait for last a minute of real time (so a loaded machine cannot blur the order)
    long = 60 * TIME_SCALE
    specs = {
        "LAUNCHED": {**TIMINGS, "boot": long},
        "EC2_RUNNING": {**TIMINGS, "statusChecks": long},
        "EC2_STATUS_OK": TIMINGS,
    }
    plans = {
        check: api.plan(api.servers(phaseDurations=spec), readinessCheck=check)
        for check, spec in specs.items()
    }
    # When their drills start at once and run to their end
    executions = {check: api.start(plan) for check, plan in plans.items()}
    finals = {check: api.watch(execution, finished, timeout=120) for check, execution in executions.items()}
    # Then each completed: LAUNCHED before its instance booted, EC2_RUNNING once booted but before
    # the status checks, EC2_STATUS_OK only once they passed
    assert {f["status"] for f in finals.values()} == {"COMPLETED"}
    took = {check: wave_seconds(final) for check, final in finals.items()}
    assert took["LAUNCHED"] < long / TIME_SCALE, took
    assert BOOT_REAL <= took["EC2_RUNNING"] < long / TIME_SCALE, took
    assert took["EC2_STATUS_OK"] >= BOOT_REAL + CHECKS_REAL, took
    # And what the orchestrator recorded agrees: running everywhere, checks passed where asked for
    servers = {check: api.servers_of(execution)[0] for check, execution in executions.items()}
    assert servers["EC2_RUNNING"]["ec2State"] == "running"
    assert servers["EC2_STATUS_OK"]["statusChecksOk"] is True


def test_a_server_with_impaired_status_checks_is_never_ready_under_ec2_status_ok(api: Api) -> None:
    # Given identical servers whose status checks end impaired, under EC2_RUNNING and EC2_STATUS_OK
    impaired = {"statusChecks": "IMPAIRED", "phaseDurations": QUICK}
    running_plan = api.plan(api.servers(**impaired), readinessCheck="EC2_RUNNING")
    checked_plan = api.plan(api.servers(**impaired), readinessCheck="EC2_STATUS_OK")
    checked = api.start(checked_plan)
    running = api.start(running_plan)
    # When the EC2_RUNNING drill completes, and the checks have had time to settle
    assert api.watch(running, finished)["status"] == "COMPLETED"
    threading.Event().wait(QUICK["statusChecks"] / TIME_SCALE + 3.5)  # + the longest poll interval
    # Then the EC2_STATUS_OK drill still waits: its server runs, but its checks did not pass
    record = api.execution(checked)
    assert record["status"] == "IN_PROGRESS"
    assert record["waves"][0]["status"] == "IN_PROGRESS"
    server = api.servers_of(checked)[0]
    assert server["ec2State"] == "running"
    assert server["statusChecksOk"] is False
    assert server.get("ready") is not True
    # (cancelled so it stops polling: nothing else in this module should see it)
    api.call("POST", f"/executions/{checked}/cancel", expect=200)


# ---------------------------------------------------------------------- /health


class SlowScenarioSandbox(Sandbox):
    """Records what the API answered while the scenario was being loaded."""

    seen: dict[str, int]

    def _load_scenario(self, scenario: Any) -> None:
        self.seen = {
            "health": requests.get(f"{self.url}/health", timeout=10).status_code,
            "groups": requests.get(f"{self.url}/protection-groups", timeout=10).status_code,
        }
        super()._load_scenario(scenario)


def test_health_answers_503_until_the_scenarios_plans_exist() -> None:
    with SlowScenarioSandbox(port=0, scenario="three-tier", find_interval=3600) as sandbox:
        # While the scenario was loading, /health said STARTING; the rest of the API answered
        assert sandbox.seen == {"health": 503, "groups": 200}
        # Once started, /health is ok and the scenario's plan can be executed at once
        assert requests.get(f"{sandbox.url}/health", timeout=10).json() == {
            "status": "ok",
            "version": VERSION,
        }
        plans = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()
        assert "3TierRecoveryPlan" in str(plans)


def test_health_says_starting_while_not_ready(sandbox: Sandbox) -> None:
    assert sandbox.app is not None
    sandbox.app.ready.clear()
    try:
        response = requests.get(f"{sandbox.url}/health", timeout=10)
        assert (response.status_code, response.json()) == (503, {"status": "STARTING"})
        assert requests.get(f"{sandbox.url}/_sandbox/info", timeout=10).status_code == 200
    finally:
        sandbox.app.ready.set()
    assert requests.get(f"{sandbox.url}/health", timeout=10).status_code == 200


# ---------------------------------------------------------------------- failOperations


def test_nothing_is_armed_at_first(api: Api) -> None:
    assert api.call("GET", "/_sandbox/faults", expect=200) == {
        "throttleRate": 0.0,
        "denyOperations": {},
        "failOperations": {},
    }


def test_a_failed_get_item_fails_the_next_api_request_only(api: Api) -> None:
    # Given a protection group
    group = api.group(api.servers())
    # When the handlers' next DynamoDB GetItem fails with an error botocore does not retry
    armed = api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"dynamodb:GetItem": {"count": 1, "error": "AccessDeniedException"}}},
        expect=200,
    )
    assert armed["failOperations"]["dynamodb:GetItem"]["count"] == 1
    # Then the next request that reads it fails as the API fails when DynamoDB refuses it (a 5xx:
    # 502 PERMISSION_DENIED naming the AWS error, or 500 INTERNAL_ERROR where it is not mapped)
    failed = requests.get(f"{api.url}/protection-groups/{group}", timeout=30)
    assert failed.status_code in (500, 502), failed.text
    assert failed.json()["error"]["code"] in ("PERMISSION_DENIED", "INTERNAL_ERROR"), failed.text
    # And the fault is spent: the following request succeeds
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    assert api.call("GET", f"/protection-groups/{group}", expect=200)["groupId"] == group


def test_describe_instances_faults_count_down_as_botocore_retries_them(api: Api) -> None:
    # Given two throttled EC2 DescribeInstances attempts armed
    fault = {"count": 2, "error": "RequestLimitExceeded"}
    armed = api.call(
        "POST", "/_sandbox/faults", {"failOperations": {"ec2:DescribeInstances": fault}}, expect=200
    )
    assert armed["failOperations"] == {
        "ec2:DescribeInstances": {
            "count": 2,
            "error": "RequestLimitExceeded",
            "status": 503,
            "message": "RequestLimitExceeded (injected by the sandbox)",
        }
    }
    # And the sandbox's own EC2 calls (DRS launching instances) do not consume them
    plan = api.plan(api.servers(phaseDurations=QUICK), readinessCheck="EC2_RUNNING")
    # When a drill polls EC2
    final = api.watch(api.start(plan), finished)
    # Then botocore retried the throttled attempts, the drill completed, and nothing is left armed
    assert final["status"] == "COMPLETED"
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}


def test_an_unauthorized_describe_instances_fails_the_wave(api: Api, sandbox: Sandbox) -> None:
    plan = api.plan(api.servers(phaseDurations=QUICK), readinessCheck="EC2_RUNNING")
    fault = {"count": 1, "error": "UnauthorizedOperation"}
    api.call("POST", "/_sandbox/faults", {"failOperations": {"ec2:DescribeInstances": fault}}, expect=200)
    final = api.watch(api.start(plan), finished)
    assert final["status"] == "FAILED"
    assert "UnauthorizedOperation" in str(final.get("error")) + str(final["waves"][0].get("error"))
    assert sandbox.stack.faults.armed() == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"failOperations": {"dynamodb:Nope": 1}}, "dynamodb has no operation 'Nope'"),
        ({"failOperations": {"dynamodb:GetItem": {"count": "x"}}}, "count must be a non-negative integer"),
        ({"failOperations": []}, "failOperations must map"),
        ({"failOps": {}}, "unknown field 'failOps'"),
    ],
)
def test_a_bad_fault_is_a_400_naming_the_problem_and_arms_nothing(
    api: Api, body: dict[str, Any], message: str
) -> None:
    error = api.call("POST", "/_sandbox/faults", {**body, "throttleRate": 0.5}, expect=400)["error"]
    assert message in error["message"], error
    assert api.call("GET", "/_sandbox/faults", expect=200)["throttleRate"] == 0.0


def test_delete_disarms_everything(api: Api, sandbox: Sandbox) -> None:
    api.call(
        "POST",
        "/_sandbox/faults",
        {"throttleRate": 0.5, "denyOperations": {"DescribeJobs": 3}, "failOperations": {"sns:Publish": 4}},
        expect=200,
    )
    armed = api.call("GET", "/_sandbox/faults", expect=200)
    assert armed["throttleRate"] == 0.5
    assert armed["denyOperations"] == {"DescribeJobs": 3}
    assert armed["failOperations"]["sns:Publish"]["error"] == "InternalError"
    cleared = api.call("DELETE", "/_sandbox/faults", expect=200)
    assert cleared == {"throttleRate": 0.0, "denyOperations": {}, "failOperations": {}}
    assert isinstance(sandbox.stack, Stack)
