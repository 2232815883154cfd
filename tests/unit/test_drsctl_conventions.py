"""drsctl's AWS CLI / gh / kubectl habits without a network: settings resolved flag > env > config
profile > default, the endpoint from a stack's outputs (moto), one-line errors for a missing profile,
credentials or endpoint, output formats, --query, -q, --debug, id prefixes, "did you mean", retries
with backoff, apply --dry-run, completion scripts, and the RECOVERY name checked before its warning."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
import yaml
from botocore.credentials import Credentials
from botocore.exceptions import TokenRetrievalError
from moto import mock_aws
from rich.console import Console

from drs_sandbox.cfn import load_template
from drsctl import completion, output, settings
from drsctl.cli import build_parser, main, version
from drsctl.client import RETRY_AFTER_CAP, ApiClient, SigV4Signer
from drsctl.planfile import apply_document

LOCAL = "http://127.0.0.1:1"
EID = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"
OTHER = "0f1e9999-4b5a-4978-8796-a5b4c3d2e1f1"
PLAN = {"planId": "p-1", "name": "3TierRecoveryPlan", "waves": [{"waveName": "DB"}]}

Handler = Callable[[requests.PreparedRequest, dict[str, list[str]]], tuple[int, Any, dict[str, str]]]


class Api(requests.adapters.BaseAdapter):
    """Answers (method, path) with a handler of (request, query) -> (status, body, headers)."""

    def __init__(self, routes: dict[tuple[str, str], Handler] | None = None, fail: bool = False) -> None:
        super().__init__()
        self.routes = routes or {}
        self.sent: list[requests.PreparedRequest] = []
        self.fail = fail

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        self.sent.append(request)
        if self.fail:
            raise requests.exceptions.ConnectionError("refused")
        parts = urlsplit(request.url or "")
        handler = self.routes.get((str(request.method), parts.path))
        status, body, headers = (
            handler(request, parse_qs(parts.query))
            if handler
            else (404, {"error": {"code": "ROUTE_NOT_FOUND", "message": "no"}}, {})
        )
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if body is not None else b""
        response.headers.update(headers)
        response.request = request
        response.reason = "reason"
        return response

    def close(self) -> None:
        return None

    def calls(self, method: str) -> list[str]:
        return [urlsplit(r.url or "").path for r in self.sent if r.method == method]


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    return lambda _request, _query: (status, body, headers or {})


def session(api: Api) -> requests.Session:
    s = requests.Session()
    s.mount("http://", api)
    s.mount("https://", api)
    return s


def execution(eid: str = EID, status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "executionId": eid,
        "planId": "p-1",
        "planName": "3TierRecoveryPlan",
        "executionType": "DRILL",
        "status": status,
        "statusLabel": status,
        "startTime": "2026-12-07T20:00:00Z",
        "endTime": "2026-12-07T20:05:00Z",
        "waves": [],
    }


def run(api: Api, *argv: str, console: Console | None = None) -> int:
    return main(list(argv), session=session(api), sleep=lambda _s: None, console=console)


@pytest.fixture(autouse=True)
def own_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a config home of its own and no drsctl variable from the caller's shell."""
    for name in ("DRSCTL_ENDPOINT", "DRSCTL_STACK", "DRSCTL_PROFILE", "DRSCTL_REGION", "DRSCTL_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    return tmp_path / "xdg"


def write_config(home: Path, text: str) -> Path:
    path = home / "drsctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drsctl: error: "), err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------------------ settings


def test_a_flag_beats_the_environment_which_beats_the_config_profile(own_config_home: Path) -> None:
    # Given a config file whose default profile names an endpoint and an output
    write_config(
        own_config_home, '[default]\nendpoint = "http://config:1"\noutput = "yaml"\nregion = "eu-west-1"\n'
    )
    env = {"XDG_CONFIG_HOME": str(own_config_home)}
    # Then the config file alone decides
    alone = settings.resolve(settings.Flags(), env)
    assert (alone.endpoint, alone.output, alone.region) == ("http://config:1", "yaml", "eu-west-1")
    # And the environment beats it
    env |= {"DRSCTL_ENDPOINT": "http://env:1", "DRSCTL_OUTPUT": "json"}
    from_env = settings.resolve(settings.Flags(), env)
    assert (from_env.endpoint, from_env.output) == ("http://env:1", "json")
    # And a flag beats both
    flagged = settings.resolve(
        settings.Flags(endpoint="http://flag:1", output="text", region="us-west-2"), env
    )
    assert (flagged.endpoint, flagged.output, flagged.region) == ("http://flag:1", "text", "us-west-2")
    # And without any of them the output is the table
    assert (
        settings.resolve(settings.Flags(endpoint="http://x:1"), {"XDG_CONFIG_HOME": "/nonexistent"}).output
        == "table"
    )


def test_a_named_profile_of_the_config_file_is_chosen_by_flag_or_environment(own_config_home: Path) -> None:
    write_config(
        own_config_home,
        '[default]\nendpoint = "http://default:1"\n\n[prod]\nendpoint = "http://prod:1"\nprofile = "prod-admin"\n',
    )
    env = {"XDG_CONFIG_HOME": str(own_config_home)}
    chosen = settings.resolve(settings.Flags(profile="prod"), env)
    assert (chosen.endpoint, chosen.aws_profile, chosen.profile) == ("http://prod:1", "prod-admin", "prod")
    assert settings.resolve(settings.Flags(), {**env, "DRSCTL_PROFILE": "prod"}).endpoint == "http://prod:1"
    # And the AWS profile of the default profile gives way to AWS_PROFILE; a chosen profile's does not
    write_config(
        own_config_home,
        '[default]\nendpoint = "http://d:1"\nprofile = "file-aws"\n[prod]\nprofile = "p"\nendpoint = "http://p:1"\n',
    )
    assert settings.resolve(settings.Flags(), env).aws_profile == "file-aws"
    assert settings.resolve(settings.Flags(), {**env, "AWS_PROFILE": "shell"}).aws_profile == "shell"
    assert (
        settings.resolve(settings.Flags(profile="prod"), {**env, "AWS_PROFILE": "shell"}).aws_profile == "p"
    )


def test_a_profile_of_the_aws_config_alone_is_used_as_the_aws_profile(tmp_path: Path) -> None:
    # Given no drsctl config but an AWS config with an "ops" profile (as `aws --profile ops`)
    (tmp_path / "aws-config").write_text("[profile ops]\nregion = eu-west-1\n")
    chosen = settings.resolve(
        settings.Flags(profile="ops", endpoint=LOCAL), {"XDG_CONFIG_HOME": str(tmp_path)}
    )
    assert (chosen.aws_profile, chosen.profile) == ("ops", "ops")


def test_the_config_file_lives_under_xdg_config_home_or_dot_config() -> None:
    assert settings.config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/drsctl/config.toml")
    assert settings.config_path({"HOME": "/home/op"}) == Path("/home/op/.config/drsctl/config.toml")


def test_a_missing_profile_is_one_line_naming_the_file_and_the_fix(
    own_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a config file with a default and a prod profile
    path = write_config(
        own_config_home, '[default]\nendpoint = "http://a:1"\n[prod]\nendpoint = "http://b:1"\n'
    )
    # When the operator names a profile that is in neither it nor the AWS config
    code = run(Api(), "--profile", "staging", "plans", "list")
    # Then one line names the profile, the file, the profiles it has and the fix; exit 1
    line = one_error_line(capsys.readouterr().err)
    assert code == 1
    assert "no profile 'staging'" in line and str(path) in line and "default, prod" in line
    assert "--profile" in line


def test_a_malformed_config_file_is_one_line(
    own_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(own_config_home, "[default]\nendpoint = \n")
    assert run(Api(), "plans", "list") == 1
    assert "is not valid TOML" in one_error_line(capsys.readouterr().err)
    write_config(own_config_home, '[default]\nendpont = "http://a:1"\n')
    assert run(Api(), "plans", "list") == 1
    assert "endpont is not a setting" in one_error_line(capsys.readouterr().err)


def test_no_endpoint_anywhere_is_one_line_naming_every_way_to_give_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(Api(), "plans", "list") == 1
    line = one_error_line(capsys.readouterr().err)
    assert "no endpoint: pass --endpoint URL or --stack NAME" in line and "DRSCTL_STACK" in line


STACK_TEMPLATE = {
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"ApiUrl": {"Value": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"}},
}


@mock_aws
def test_the_endpoint_is_read_from_the_stacks_api_url_output() -> None:
    # Given a deployed stack whose ApiUrl output is the API's URL (the key template.yaml declares)
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName="drs-orchestrator", TemplateBody=json.dumps(STACK_TEMPLATE)
    )
    outputs = load_template()["Outputs"]
    assert "execute-api" in json.dumps(outputs[settings.API_URL_OUTPUT]["Value"])
    # When drsctl is given --stack (or DRSCTL_STACK) and the region
    by_flag = settings.resolve(settings.Flags(stack="drs-orchestrator", region="eu-west-1"), {})
    by_env = settings.resolve(
        settings.Flags(), {"DRSCTL_STACK": "drs-orchestrator", "DRSCTL_REGION": "eu-west-1"}
    )
    # Then the endpoint is the output's value
    assert by_flag.endpoint == by_env.endpoint == "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    assert "stack drs-orchestrator" in by_flag.source


@mock_aws
def test_an_unknown_stack_is_one_line_naming_the_region_and_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(Api(), "--stack", "nope", "--region", "eu-west-1", "plans", "list")
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and "no stack 'nope' in eu-west-1" in line and "--stack" in line


def test_missing_credentials_for_an_aws_endpoint_are_one_line_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given no AWS credentials at all (no variables, no files, no instance role)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    api = Api()
    # When a command goes to a deployed API
    code = run(api, "--endpoint", "https://abc.execute-api.eu-west-1.amazonaws.com/prod", "plans", "list")
    # Then it is one line saying so and how to fix it, and nothing was sent
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and "no AWS credentials found" in line and "aws configure" in line
    assert api.sent == []


def test_expired_credentials_are_one_line_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    # Given API Gateway refusing an expired token (its own {"message": ...} body)
    api = Api(
        {
            ("GET", "/prod/recovery-plans"): answer(
                403, {"message": "The security token included in the request is expired"}
            )
        }
    )
    client = ApiClient(
        "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
        session=session(api),
        signer=SigV4Signer("eu-west-1", Credentials("AKID", "secret", "token")),
    )
    with pytest.raises(Exception) as refused:
        client.plans()
    assert "credentials have expired" in str(refused.value) and "aws sso login" in str(refused.value)
    # And an SSO session that expired while loading credentials is the same kind of line
    problem = settings.credentials_problem(TokenRetrievalError(provider="sso", error_msg="expired"), "prod")
    assert problem is not None and "aws sso login --profile prod" in str(problem)


def test_an_unreachable_endpoint_is_one_line_naming_it_and_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run(Api(fail=True), "--endpoint", LOCAL, "plans", "list")
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and f"cannot reach {LOCAL}" in line and "--endpoint" in line


# -------------------------------------------------------------------- global options, formats


def plans_api() -> Api:
    return Api(
        {
            ("GET", "/recovery-plans"): answer(200, {"items": [PLAN]}),
            ("GET", f"/executions/{EID}"): answer(200, execution()),
            ("GET", f"/executions/{EID}/servers"): answer(200, {"items": []}),
        }
    )


def test_global_options_are_accepted_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    # When --output json and --endpoint come after the command and its verb
    assert run(plans_api(), "plans", "list", "--output", "json", "--endpoint", LOCAL) == 0
    # Then they apply as if given before it
    assert json.loads(capsys.readouterr().out)[0]["name"] == "3TierRecoveryPlan"
    assert run(plans_api(), "--endpoint", LOCAL, "status", EID, "--output=json") == 0
    assert json.loads(capsys.readouterr().out)["executionId"] == EID
    # And one given before the command is kept when the command has none
    assert run(plans_api(), "--output", "yaml", "--endpoint", LOCAL, "plans", "list") == 0
    assert yaml.safe_load(capsys.readouterr().out)[0]["planId"] == "p-1"


def test_text_output_is_tab_separated_records_without_a_header(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(plans_api(), "--endpoint", LOCAL, "plans", "list", "--output", "text") == 0
    assert capsys.readouterr().out == "3TierRecoveryPlan\tp-1\tDB\t-\n"
    assert run(plans_api(), "--endpoint", LOCAL, "status", EID, "--output", "text") == 0
    assert capsys.readouterr().out.split("\t")[:4] == [EID, "3TierRecoveryPlan", "DRILL", "COMPLETED"]


def test_query_applies_jmespath_to_the_json_before_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(plans_api(), "--endpoint", LOCAL, "plans", "list", "--query", "[].name", "--output", "json") == 0
    )
    assert json.loads(capsys.readouterr().out) == ["3TierRecoveryPlan"]
    assert run(plans_api(), "--endpoint", LOCAL, "status", EID, "--query", "status", "--output", "text") == 0
    assert capsys.readouterr().out == "COMPLETED\n"
    # A query that is not JMESPath is one line, exit 1
    assert run(plans_api(), "--endpoint", LOCAL, "plans", "list", "--query", "[.") == 1
    assert "not a valid JMESPath expression" in one_error_line(capsys.readouterr().err)


def test_quiet_prints_only_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(plans_api(), "--endpoint", LOCAL, "-q", "plans", "list") == 0
    assert capsys.readouterr().out == "p-1\n"


def test_debug_logs_requests_to_stderr_and_never_a_credential(capsys: pytest.CaptureFixture[str]) -> None:
    api = Api({("GET", "/prod/recovery-plans"): answer(200, {"items": [PLAN]})})
    endpoint = "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
    code = main(
        ["--debug", "plans", "list", "--endpoint", endpoint],
        session=session(api),
        sleep=lambda _s: None,
    )
    err = capsys.readouterr().err
    assert code == 0
    assert f"drsctl: debug: GET {endpoint}/recovery-plans -> 200" in err
    assert "endpoint " + endpoint + " from --endpoint" in err
    assert "testing" not in err and "Authorization" not in err and "Signature" not in err


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version as installed

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert (
        capsys.readouterr().out.strip() == f"drsctl {installed('drs-orchestrator')}" == f"drsctl {version()}"
    )


# ------------------------------------------------------------------ ids, names, retries


def executions_pages() -> Handler:
    """Two pages: OTHER on the first, EID on the second (nextToken)."""

    def handle(
        _request: requests.PreparedRequest, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        if query.get("nextToken") == ["t2"]:
            return 200, {"items": [execution(EID)]}, {}
        return 200, {"items": [execution(OTHER)], "nextToken": "t2"}, {}

    return handle


def test_a_unique_prefix_of_an_execution_id_is_accepted_across_pages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = plans_api()
    api.routes[("GET", "/executions")] = executions_pages()
    assert run(api, "--endpoint", LOCAL, "status", "0f1e2d", "--output", "json") == 0
    assert json.loads(capsys.readouterr().out)["executionId"] == EID
    assert run(api, "--endpoint", LOCAL, "servers", "0f1e2d", "-q") == 0
    assert api.calls("GET")[-1] == f"/executions/{EID}/servers"


def test_an_ambiguous_prefix_is_one_line_listing_the_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    api = plans_api()
    api.routes[("GET", "/executions")] = executions_pages()
    assert run(api, "--endpoint", LOCAL, "status", "0f1e") == 1
    line = one_error_line(capsys.readouterr().err)
    assert "ambiguous" in line and EID in line and OTHER in line
    assert f"/executions/{EID}" not in api.calls("GET")


def test_a_mistyped_plan_name_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(plans_api(), "--endpoint", LOCAL, "execute", "3TierRecovryPlan") == 1
    line = one_error_line(capsys.readouterr().err)
    assert "no recovery plan named or with id '3TierRecovryPlan'; did you mean '3TierRecoveryPlan'?" in line


def test_status_of_a_plans_latest_execution(capsys: pytest.CaptureFixture[str]) -> None:
    api = plans_api()
    api.routes[("GET", "/executions")] = lambda _r, q: (
        200,
        {"items": [execution(EID)] if q.get("planId") == ["p-1"] and q.get("limit") == ["1"] else []},
        {},
    )
    assert run(api, "--endpoint", LOCAL, "status", "--plan", "3TierRecoveryPlan", "--latest", "-q") == 0
    assert capsys.readouterr().out == "COMPLETED\n"
    assert run(api, "--endpoint", LOCAL, "status", "--plan", "3TierRecoveryPlan") == 1
    assert "--latest" in one_error_line(capsys.readouterr().err)


def test_throttled_and_failed_answers_are_retried_with_backoff_honouring_retry_after() -> None:
    # Given an API that throttles once (Retry-After: 3), fails once with a 502, then answers
    answers = iter(
        [
            (429, {"error": {"code": "THROTTLED", "message": "slow down"}}, {"Retry-After": "3"}),
            (502, {"message": "Internal server error"}, {}),
            (200, {"items": [PLAN]}, {}),
        ]
    )
    api = Api({("GET", "/recovery-plans"): lambda _r, _q: next(answers)})
    waits: list[float] = []
    client = ApiClient(LOCAL, session=session(api), sleep=waits.append, jitter=lambda: 0.5)
    # When a GET is made
    assert client.plans() == [PLAN]
    # Then it waited what the API asked, then a jittered share of the backoff, and answered
    assert waits == [3.0, 0.5 * 0.5 * 2]
    assert len(api.sent) == 3


def test_retries_are_bounded_and_a_post_is_retried_only_when_nothing_was_done() -> None:
    api = Api(
        {
            ("GET", "/recovery-plans"): answer(503, {"message": "unavailable"}),
            ("POST", "/recovery-plans"): answer(500, {"message": "boom"}),
        }
    )
    waits: list[float] = []
    client = ApiClient(LOCAL, session=session(api), sleep=waits.append, jitter=lambda: 1.0)
    with pytest.raises(Exception, match="HTTP 503"):
        client.plans()
    assert len(api.calls("GET")) == 4 and waits == [0.5, 1.0, 2.0]
    with pytest.raises(Exception, match="HTTP 500"):
        client.post("/recovery-plans", {})
    assert len(api.calls("POST")) == 1
    # And a Retry-After longer than the cap is cut to it, an HTTP date is read
    assert client.backoff(1, "3600") == RETRY_AFTER_CAP
    assert 0 <= client.backoff(1, "Wed, 21 Oct 2015 07:28:00 GMT") <= RETRY_AFTER_CAP


# ------------------------------------------------------------------ apply --dry-run


def test_a_dry_run_prints_what_would_change_with_a_diff_and_writes_nothing() -> None:
    # Given a group and a plan in the API, and a file changing the plan and adding a group
    group = {"groupId": "g-1", "name": "Db", "sourceServerIds": ["s-0123456789abcdef0"]}
    plan = {
        "planId": "p-1",
        "name": "Shop",
        "waves": [{"waveName": "DB", "protectionGroupIds": ["g-1"], "pauseBeforeWave": False}],
    }
    api = Api(
        {
            ("GET", "/protection-groups"): answer(200, {"items": [group]}),
            ("GET", "/recovery-plans"): answer(200, {"items": [plan]}),
        }
    )
    client = ApiClient(LOCAL, session=session(api))
    document = {
        "protectionGroups": [
            {"name": "Db", "sourceServerIds": ["s-0123456789abcdef0"]},
            {"name": "Web", "sourceServerIds": ["s-0123456789abcdef1"]},
        ],
        "recoveryPlans": [
            {
                "name": "Shop",
                "waves": [
                    {"waveName": "DB", "protectionGroupNames": ["Db"]},
                    {"waveName": "Web", "protectionGroupNames": ["Web"], "pauseBeforeWave": True},
                ],
            }
        ],
    }
    # When it is applied with dry_run
    results = apply_document(client, document, dry_run=True)
    # Then each is reported with what would happen, and nothing but GETs was sent
    assert [(r.kind, r.name, r.action, r.id) for r in results] == [
        ("protection group", "Db", "unchanged", "g-1"),
        ("protection group", "Web", "create", None),
        ("recovery plan", "Shop", "update", "p-1"),
    ]
    assert {r.method for r in api.sent} == {"GET"}
    web, shop = results[1].diff or "", results[2].diff or ""
    assert "+++ Web (plan file)" in web and "+- s-0123456789abcdef1" in web
    assert "--- Shop (current)" in shop and "+  waveName: Web" in shop and "+- pauseBeforeWave: true" in shop
    assert "<new group Web>" in shop
    assert results[0].diff == ""


# ------------------------------------------------------------------ RECOVERY confirmation


def test_a_wrong_recovery_confirmation_is_refused_before_the_warning_and_before_any_post(
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = plans_api()
    code = run(
        api,
        "--endpoint",
        LOCAL,
        "execute",
        "3TierRecoveryPlan",
        "--recovery",
        "--confirm",
        "3tierrecoveryplan",
    )
    err = capsys.readouterr().err
    assert code == 1
    line = one_error_line(err)
    assert "CONFIRMATION_MISMATCH" in line and "nothing started" in line
    assert "warning" not in err
    assert api.calls("POST") == []


# ------------------------------------------------------------------ rendering, completion


def test_ids_are_never_cut_in_a_table_at_80_columns_or_narrower() -> None:
    rows = [
        (
            EID,
            "A plan with a rather long name indeed",
            "RECOVERY",
            "PARTIAL SUCCESS (wave 3 of 3)",
            "2026-12-07T20:00:00Z",
        )
    ]
    for width in (80, 60):
        out = io.StringIO()
        console = Console(file=out, width=width, force_terminal=True, color_system=None)
        output.print_table(console, output.table(rows, ("EXECUTION", "PLAN", "TYPE", "STATUS", "STARTED")))
        assert EID in out.getvalue(), out.getvalue()


def test_a_query_result_drawn_as_a_table_keeps_its_ids_whole() -> None:
    out = io.StringIO()
    console = Console(file=out, width=50, force_terminal=True, color_system=None)
    output.generic_table(console, [{"executionId": EID, "note": "a long note " * 8}])
    assert EID in out.getvalue(), out.getvalue()


def test_completion_scripts_name_every_command_and_option() -> None:
    parser = build_parser()
    root = completion.tree(parser)
    for shell in completion.SHELLS:
        script = completion.script(parser, shell)
        for command in root.children:
            assert command in script, (shell, command)
        for option in ("--output", "--query", "--dry-run", "--latest"):
            assert option.lstrip("-") in script, (shell, option)
    # The bash script is valid bash and completes a command
    bash = completion.script(parser, "bash")
    probe = bash + '\nCOMP_WORDS=(drsctl plans ap); COMP_CWORD=2; _drsctl_complete; echo "${COMPREPLY[*]}"\n'
    done = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "apply"
