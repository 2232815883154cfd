"""drsctl's HTTP client without a network: a requests adapter answers in place of the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.credentials import Credentials

from drsctl.batch import DrillResult, batch_exit_code, run_drills
from drsctl.cli import main
from drsctl.client import ApiClient, ApiError, ConnectionFailed, SigV4Signer


class FakeApi(requests.adapters.BaseAdapter):
    """Answers requests from a table of (method, path) -> (status, body); records what was sent."""

    def __init__(
        self, routes: dict[tuple[str, str], tuple[int, Any]] | None = None, fail: bool = False
    ) -> None:
        super().__init__()
        self.routes = routes or {}
        self.sent: list[requests.PreparedRequest] = []
        self.fail = fail

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        self.sent.append(request)
        if self.fail:
            raise requests.exceptions.ConnectionError("refused")
        path = request.path_url.split("?")[0]
        status, body = self.routes.get(
            (str(request.method), path), (404, {"error": {"code": "ROUTE_NOT_FOUND", "message": "no"}})
        )
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if body is not None else b""
        response.request = request
        response.reason = "reason"
        return response

    def close(self) -> None:
        return None


def session(api: FakeApi) -> requests.Session:
    s = requests.Session()
    s.mount("http://", api)
    s.mount("https://", api)
    return s


def test_requests_to_an_execute_api_endpoint_are_sigv4_signed_for_its_region() -> None:
    api = FakeApi({("GET", "/prod/recovery-plans"): (200, {"items": []})})
    signer = SigV4Signer("eu-west-1", Credentials("AKIDEXAMPLE", "secret"))
    client = ApiClient(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod", session=session(api), signer=signer
    )
    assert client.plans() == []
    authorization = api.sent[0].headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization


def test_requests_to_the_local_sandbox_are_not_signed() -> None:
    api = FakeApi({("GET", "/recovery-plans"): (200, {"items": []})})
    ApiClient("http://127.0.0.1:8787", session=session(api)).plans()
    assert "Authorization" not in api.sent[0].headers


def test_api_errors_carry_the_apis_code_and_message() -> None:
    api = FakeApi(
        {
            ("POST", "/executions/e1/resume"): (
                409,
                {"error": {"code": "INVALID_STATE", "message": "it is COMPLETED"}},
            )
        }
    )
    with pytest.raises(ApiError) as raised:
        ApiClient("http://127.0.0.1:1", session=session(api)).post("/executions/e1/resume")
    assert (raised.value.status, raised.value.code) == (409, "INVALID_STATE")
    assert str(raised.value) == "it is COMPLETED (HTTP 409 INVALID_STATE)"


def test_server_errors_and_connection_failures_read_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeApi({("GET", "/recovery-plans"): (502, {"message": "Internal server error"})})
    assert main(["--endpoint", "http://127.0.0.1:1", "plans", "list"], session=session(api)) == 1
    assert (
        capsys.readouterr().err
        == "drsctl: error: the API failed to answer; try again later (HTTP 502 SERVER_ERROR)\n"
    )
    with pytest.raises(ConnectionFailed):
        ApiClient("http://127.0.0.1:1", session=session(FakeApi(fail=True))).plans()


def test_usage_errors_exit_1_not_argparses_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--endpoint", "http://127.0.0.1:1", "execute"]) == 1
    assert "drsctl: error:" in capsys.readouterr().err


def test_json_output_of_an_error_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeApi(
        {
            ("GET", "/executions/nope"): (
                404,
                {"error": {"code": "EXECUTION_NOT_FOUND", "message": "execution nope not found"}},
            )
        }
    )
    assert (
        main(["--endpoint", "http://127.0.0.1:1", "--output", "json", "status", "nope"], session=session(api))
        == 1
    )
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "EXECUTION_NOT_FOUND"


def test_a_drill_that_outlives_its_timeout_is_cancelled_and_counts_as_failed() -> None:
    # Given a plan whose execution stays IN_PROGRESS, and a clock the test moves
    api = FakeApi(
        {
            ("POST", "/recovery-plans/p1/executions"): (202, {"executionId": "e1", "status": "PENDING"}),
            ("GET", "/executions/e1"): (200, {"status": "IN_PROGRESS", "statusLabel": "IN PROGRESS"}),
            ("POST", "/executions/e1/cancel"): (200, {"status": "CANCELLING"}),
        }
    )
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = ApiClient("http://127.0.0.1:1", session=session(api))
    # When it is drilled with a 30-second timeout
    [result] = run_drills(
        client,
        [{"name": "p", "planId": "p1"}],
        parallel=1,
        timeout=30,
        poll_seconds=10,
        sleep=sleep,
        clock=lambda: now[0],
    )
    # Then it failed with the timeout, and its execution was cancelled
    assert result.succeeded is False
    assert "timed out after 30 s" in (result.error or "")
    assert ("POST", "/executions/e1/cancel") in [(r.method, r.path_url) for r in api.sent]


@pytest.mark.parametrize(
    ("outcomes", "code"), [([True, True], 0), ([False, False], 1), ([True, False], 2), ([], 1)]
)
def test_batch_exit_codes_follow_partial_success(outcomes: list[bool], code: int) -> None:
    assert batch_exit_code([DrillResult(plan=str(i), succeeded=ok) for i, ok in enumerate(outcomes)]) == code
