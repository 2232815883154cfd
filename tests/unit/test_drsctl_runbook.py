"""drsctl and the recovery runbook (issue 11): each wave's pre- and post-actions in `status` and the
live view, why an execution is PAUSED and what to run next, SKIPPED waves, hostile action output
shown as text, `retry`, `skip` and `resume --comment`, and plan files passing actions through."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import requests
from rich.console import Console

from drsctl import planfile, render
from drsctl.cli import main
from orchestrator.api import schemas

EID = "0f8b7c3e-1d2a-4b5c-8d9e-0a1b2c3d4e5f"
ANSI = "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07"
MARKUP = "[bold]x[/] [link=https://evil.example]y[/link]"


def action(name: str, stage: str = "POST", status: str = "SUCCEEDED", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "LAMBDA",
        "stage": stage,
        "status": status,
        "attempts": 1,
        "maxAttempts": 1,
        "onFailure": "FAIL",
        **extra,
    }


def wave(number: int, status: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "waveNumber": number,
        "waveName": name,
        "status": status,
        "progress": {"totalServers": 2, "launched": 2, "ready": 2, "failed": 0},
        **extra,
    }


def execution(status: str, waves: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "executionId": EID,
        "planName": "Plan",
        "executionType": "DRILL",
        "status": status,
        "statusLabel": status.replace("_", " "),
        "progress": {"totalServers": 2 * len(waves), "ready": 0, "failed": 0},
        "waves": waves,
        **extra,
    }


def runbook(**extra: Any) -> dict[str, Any]:
    """Three waves: DB done with a pre and a post action, App failed in its post-actions, Web not started."""
    return execution(
        "PAUSED",
        [
            wave(
                1,
                "COMPLETED",
                "DB",
                actions=[
                    action(
                        "stop-batch-jobs", "PRE", type="SSM_COMMAND", output="stopped 3 jobs\nsecond line"
                    ),
                    action("db-accepts-connections", attempts=2, maxAttempts=3),
                ],
            ),
            wave(
                2,
                "FAILED",
                "App",
                retries=1,
                actions=[
                    action(
                        "smoke-test",
                        status="FAILED",
                        attempts=3,
                        maxAttempts=3,
                        error="HTTP 503 from /health",
                    ),
                    action("notify", status="PENDING", attempts=0, type="WAIT"),
                ],
            ),
            wave(3, "NOT_STARTED", "Web"),
        ],
        pauseReason="WAVE_FAILED",
        pausedWave=2,
        **extra,
    )


class NoServers:
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return {"items": [], "nextToken": None}


def terminal(width: int = 160) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system="truecolor", width=width), out


def plain(console_out: io.StringIO | None = None) -> tuple[Console, io.StringIO]:
    out = console_out or io.StringIO()
    return render.make_console(out), out


def visible(text: str) -> str:
    """What a terminal shows: the SGR colour codes rich itself wrote removed."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# ------------------------------------------------------------------------------------ rendering


@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_status_shows_each_waves_actions_in_order_with_stage_type_status_attempts_and_error(
    where: str,
) -> None:
    console, out = terminal() if where == "terminal" else plain()
    render.print_summary(NoServers(), runbook(), console)  # type: ignore[arg-type]
    text = visible(out.getvalue())
    rows = [line for line in text.splitlines() if re.match(r"\s*\d+\s+(PRE|POST)\s", line)]
    assert [row.split()[5] for row in rows] == [
        "stop-batch-jobs",
        "db-accepts-connections",
        "smoke-test",
        "notify",
    ]
    assert re.search(
        r"1\s+PRE\s+✓ SUCCEEDED\s+1/1  stop-batch-jobs \(SSM_COMMAND\)  output: stopped 3 jobs", text
    )
    assert re.search(r"1\s+POST\s+✓ SUCCEEDED\s+2/3  db-accepts-connections \(LAMBDA\)", text)
    assert re.search(r"2\s+POST\s+✗ FAILED\s+3/3  smoke-test \(LAMBDA\)  HTTP 503 from /health", text)
    assert re.search(r"2\s+POST\s+○ PENDING\s+0/1  notify \(WAIT\)", text)
    assert "second line" not in text  # only the output's first line; the whole is in JSON
    assert "2. App (retried 1x)" in text


def test_an_approval_shows_who_approved_it_and_their_comment() -> None:
    shown = execution(
        "IN_PROGRESS",
        [
            wave(
                1,
                "IN_PROGRESS",
                "DB",
                phase="POST_ACTIONS",
                actions=[
                    action(
                        "app-owner-sign-off",
                        type="APPROVAL",
                        approvedBy="arn:aws:iam::1:user/ana",
                        comment="ok",
                    )
                ],
            )
        ],
    )
    console, out = plain()
    render.print_summary(NoServers(), shown, console)  # type: ignore[arg-type]
    assert "approved by arn:aws:iam::1:user/ana: ok" in out.getvalue()
    assert "POST_ACTIONS" in out.getvalue()


def test_an_execution_without_actions_draws_no_actions_table() -> None:
    console, out = plain()
    render.print_summary(NoServers(), execution("COMPLETED", [wave(1, "COMPLETED", "DB")]), console)  # type: ignore[arg-type]
    assert "Attempts" not in out.getvalue()


def test_a_skipped_wave_has_a_colour_of_its_own() -> None:
    shown = execution(
        "PARTIAL_SUCCESS",
        [
            wave(1, "COMPLETED", "DB"),
            wave(2, "SKIPPED", "App"),
            wave(3, "FAILED", "Web"),
            wave(4, "CANCELLED", "X"),
        ],
    )
    console, out = terminal()
    console.print(render.wave_table(shown))
    colours = {
        status: re.search(rf"(\x1b\[[0-9;]*m)[^\x1b]*{status}", out.getvalue()).group(1)  # type: ignore[union-attr]
        for status in ("COMPLETED", "SKIPPED", "FAILED", "CANCELLED")
    }
    assert "↷ SKIPPED" in out.getvalue()
    assert len(set(colours.values())) == 4, colours


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"pauseReason": "WAVE_FAILED", "pausedWave": 2},
            f"PAUSED: wave 2 (App) failed. Retry it, skip it or cancel the execution:\n"
            f'  drsctl retry {EID} --comment "..."\n  drsctl skip {EID} --comment "..."\n  drsctl cancel {EID}',
        ),
        (
            {"pauseReason": "APPROVAL", "pausedWave": 3, "pausedAction": "app-owner-sign-off"},
            f"PAUSED: waiting for approval of app-owner-sign-off in wave 3 (Web). Approve with:\n"
            f'  drsctl resume {EID} --comment "..."',
        ),
        (
            {"pauseReason": "BEFORE_WAVE", "pausedWave": 3, "pausedBeforeWave": 3},
            f"PAUSED: before wave 3 (Web), as the plan says. Resume with:\n  drsctl resume {EID}",
        ),
        (
            {"pauseReason": "OPERATOR", "pausedBeforeWave": 3},
            f"PAUSED: before wave 3 (Web), as an operator asked. Resume with:\n  drsctl resume {EID}",
        ),
        ({}, f"PAUSED: before the next wave. Resume with:\n  drsctl resume {EID}"),
    ],
)
def test_a_pause_says_why_and_what_to_run_next_live_and_in_status(
    extra: dict[str, Any], expected: str
) -> None:
    shown = execution(
        "PAUSED",
        [wave(1, "COMPLETED", "DB"), wave(2, "FAILED", "App"), wave(3, "NOT_STARTED", "Web")],
        **extra,
    )
    assert render.pause_hint(shown) == expected
    console, out = terminal(width=400)
    console.print(render.live_view(shown))
    assert expected in visible(out.getvalue())
    console, out = plain()
    render.print_summary(NoServers(), shown, console)  # type: ignore[arg-type]
    assert expected in out.getvalue()


def test_no_pause_hint_unless_paused() -> None:
    assert render.pause_hint(execution("IN_PROGRESS", [wave(1, "IN_PROGRESS", "DB")])) is None


# ------------------------------------------------------------------- hostile action output


def hostile() -> dict[str, Any]:
    return execution(
        "PAUSED",
        [
            wave(
                1,
                "FAILED",
                "DB",
                actions=[
                    action(MARKUP, status="FAILED", output=f"{MARKUP} {ANSI}", error=f"{MARKUP}\n{ANSI}"),
                    action("long", output="A" * 5000, error=None),
                    action("long-error", status="FAILED", error="E" * 5000),
                    action("approval", type="APPROVAL", approvedBy=MARKUP, comment=ANSI),
                ],
            )
        ],
        pauseReason="APPROVAL",
        pausedWave=1,
        pausedAction=f"{MARKUP}\x1b[2J",
    )


@pytest.mark.parametrize("width", [60, 120])
def test_hostile_action_text_is_shown_as_typed_never_markup_nor_a_control_code_and_keeps_the_layout(
    width: int,
) -> None:
    console, out = terminal(width)
    console.print(render.live_view(hostile()))
    render.print_summary(NoServers(), hostile(), console)  # type: ignore[arg-type]
    raw = out.getvalue()
    # No escape sequence of the user's reaches the terminal: no hyperlink, no screen clear
    assert "\x1b]8;" not in raw and "\x1b[2J" not in raw and "\x1b[31mred" not in raw
    text = visible(raw)
    # Every line fits the terminal: a 5,000-character output or error never widens the layout; a
    # command to copy is the one exception: it is written whole (the terminal folds it for the eye)
    lines = text.splitlines()
    commands = [line for line in lines if line.lstrip().startswith("drsctl ")]
    assert max(len(line) for line in lines if line not in commands) <= width
    assert f'  drsctl resume {EID} --comment "..."' in commands
    flat = re.sub(r"\s+", "", text)  # rich folds long cells: compare without the folding
    assert re.sub(r"\s+", "", MARKUP) in flat  # brackets shown as typed
    assert "\\x1b[31mred\\x1b[0m" in flat  # escapes made visible
    assert "A" * 100 not in flat and "E" * render.ERROR_EXCERPT not in flat  # shortened
    assert "approvalof[bold]x[/][link=https://evil.example]y[/link]\\x1b[2Jinwave1(DB)" in flat


def test_off_a_terminal_each_action_is_one_line_and_no_control_code_passes() -> None:
    console, out = plain()
    render.print_summary(NoServers(), hostile(), console)  # type: ignore[arg-type]
    text = out.getvalue()
    assert "\x1b" not in text
    rows = [line for line in text.splitlines() if re.match(r"1\s+POST\s", line)]
    assert len(rows) == 4
    assert f"{MARKUP}\\x0a\\x1b[31mred" in rows[0]
    assert ("output: " + "A" * (render.OUTPUT_EXCERPT - 1) + "…") in rows[1]


def test_status_output_json_keeps_the_whole_output(capsys: pytest.CaptureFixture[str]) -> None:
    api = Api({("GET", f"/executions/{EID}"): (200, hostile())})
    assert run(api, "--output", "json", "status", EID) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["waves"][0]["actions"][1]["output"] == "A" * 5000


def test_following_off_a_terminal_prints_the_running_action_and_each_pause_once() -> None:
    running = execution(
        "IN_PROGRESS",
        [
            wave(
                1,
                "IN_PROGRESS",
                "DB",
                phase="POST_ACTIONS",
                actions=[action("smoke", status="RUNNING", maxAttempts=3)],
            )
        ],
    )
    failed = runbook(pausedTime="2026-01-01T00:00:00Z")
    states = iter([running, failed, failed, {**failed, "status": "CANCELLED", "statusLabel": "CANCELLED"}])

    class Client:
        def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
            return next(states)

    console, out = plain()
    final = render.watch_execution(Client(), EID, console=console, sleep=lambda s: None)  # type: ignore[arg-type]
    assert final["status"] == "CANCELLED"
    lines = out.getvalue().splitlines()
    assert "DB: IN_PROGRESS/POST_ACTIONS 2/2 (smoke RUNNING 1/3)" in lines[0]
    assert sum(line.startswith("PAUSED: wave 2 (App) failed") for line in lines) == 1


# -------------------------------------------------------------------------- retry, skip, resume

DRILL = {"executionId": EID, "executionType": "DRILL", "planName": "Shop", "status": "PAUSED"}


class Api(requests.adapters.BaseAdapter):
    """Answers from a table of (method, path) -> (status, body); records (method, path, body)."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, Any]]) -> None:
        super().__init__()
        self.routes = routes
        self.sent: list[tuple[str, str, Any]] = []

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        path = request.path_url.split("?")[0]
        self.sent.append((str(request.method), path, json.loads(request.body) if request.body else None))
        status, body = self.routes.get(
            (str(request.method), path), (404, {"error": {"code": "ROUTE_NOT_FOUND", "message": "no route"}})
        )
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.request = request
        return response

    def close(self) -> None:
        return None


def run(api: Api, *args: str) -> int:
    session = requests.Session()
    session.mount("http://", api)
    return main(["--endpoint", "http://127.0.0.1:1", *args], session=session, console=render.make_console())


@pytest.mark.parametrize("verb", ["retry", "skip"])
@pytest.mark.parametrize("comment", [None, "DBA says [red]go[/]"])
def test_retry_and_skip_post_to_their_route_with_the_optional_comment(
    verb: str, comment: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    after = execution("IN_PROGRESS", [wave(1, "IN_PROGRESS", "DB")])
    api = Api(
        {("POST", f"/executions/{EID}/{verb}"): (200, after), ("GET", f"/executions/{EID}"): (200, DRILL)}
    )
    args = [verb, EID] + (["--comment", comment] if comment is not None else [])
    assert run(api, *args) == 0
    posted = [sent for sent in api.sent if sent[0] == "POST"]
    assert posted == [("POST", f"/executions/{EID}/{verb}", {"comment": comment} if comment else {})]
    out = capsys.readouterr().out
    assert out.startswith(f"execution {EID} is IN_PROGRESS: the failed wave is ")
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize("verb", ["retry", "skip"])
def test_retry_and_skip_refused_by_the_api_are_one_error_line_and_exit_1(
    verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {
        "error": {"code": "INVALID_STATE", "message": "execution is IN_PROGRESS, not paused by a failed wave"}
    }
    api = Api(
        {("POST", f"/executions/{EID}/{verb}"): (409, refusal), ("GET", f"/executions/{EID}"): (200, DRILL)}
    )
    assert run(api, verb, EID) == 1
    err = capsys.readouterr().err
    assert err == (
        "drsctl: error: execution is IN_PROGRESS, not paused by a failed wave (HTTP 409 INVALID_STATE)\n"
    )
    assert run(api, "--output", "json", verb, EID) == 1
    assert json.loads(capsys.readouterr().out)["error"] == {**refusal["error"], "status": 409}


def test_retry_prints_the_execution_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    after = execution("IN_PROGRESS", [wave(1, "IN_PROGRESS", "DB")])
    api = Api(
        {("POST", f"/executions/{EID}/retry"): (200, after), ("GET", f"/executions/{EID}"): (200, DRILL)}
    )
    assert run(api, "--output", "json", "retry", EID, "--comment", "again") == 0
    assert json.loads(capsys.readouterr().out) == after


def test_a_recoverys_wave_is_retried_on_its_own_route_with_the_plans_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a RECOVERY paused on a failed wave; when the operator retries it with --confirm; then
    drsctl posts to retry-recovery with the plan's name; without it (piped), one error line, exit 1."""
    recovery = {
        **execution("PAUSED", [wave(1, "FAILED", "DB")]),
        "executionType": "RECOVERY",
        "planName": "Shop",
    }
    after = {**recovery, "status": "IN_PROGRESS"}
    api = Api(
        {
            ("GET", f"/executions/{EID}"): (200, recovery),
            ("POST", f"/executions/{EID}/retry-recovery"): (200, after),
        }
    )
    assert run(api, "retry", EID, "--confirm", "Shop", "--comment", "disk fixed") == 0
    assert api.sent[-1] == (
        "POST",
        f"/executions/{EID}/retry-recovery",
        {"comment": "disk fixed", "confirmPlanName": "Shop"},
    )
    capsys.readouterr()
    assert run(api, "retry", EID) == 1
    err = capsys.readouterr().err
    assert err.startswith("drsctl: error: execution") and "--confirm-plan-name Shop" in err
    assert len(err.splitlines()) == 1


def test_resume_sends_a_comment_only_when_given() -> None:
    api = Api({("POST", f"/executions/{EID}/resume"): (200, execution("IN_PROGRESS", []))})
    assert run(api, "resume", EID, "--comment", "app owner approved") == 0
    assert run(api, "resume", EID) == 0
    assert [body for _, _, body in api.sent] == [{"comment": "app owner approved"}, {}]


def test_pause_and_cancel_take_no_comment(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Api({}), "cancel", EID, "--comment", "x") == 1
    assert "drsctl: error:" in capsys.readouterr().err


# ------------------------------------------------------------------------ plans apply -f FILE

ACTIONS_PLAN: dict[str, Any] = {
    "name": "Runbook",
    "waves": [
        {
            "waveName": "DB",
            "protectionGroupNames": ["Db"],
            "preActions": [
                {
                    "name": "stop-batch",
                    "type": "SSM_COMMAND",
                    "documentName": "AWS-RunShellScript",
                    "parameters": {"commands": ["systemctl stop batch"]},
                }
            ],
            "postActions": [
                {"name": "soak", "type": "WAIT", "durationSeconds": 120},
                {"name": "sign-off", "type": "APPROVAL", "timeoutSeconds": 3600, "onFailure": "CONTINUE"},
                {
                    "name": "smoke",
                    "type": "LAMBDA",
                    "functionName": "smoke",
                    "payload": {"url": "/health"},
                    "maxAttempts": 3,
                },
            ],
        },
        {"waveName": "App", "protectionGroupIds": ["g-2"], "pauseBeforeWave": True},
    ],
    "options": {"onWaveFailure": "PAUSE", "readinessCheck": "LAUNCHED"},
}


class CatalogClient:
    """The API's catalog routes: remembers what was posted and put."""

    def __init__(self, plans: list[dict[str, Any]] | None = None) -> None:
        self.existing_plans = plans or []
        self.written: list[tuple[str, str, Any]] = []

    def groups(self) -> list[dict[str, Any]]:
        return [{"name": "Db", "groupId": "g-1", "serverSelectionTags": {"Tier": "db"}}]

    def plans(self) -> list[dict[str, Any]]:
        return self.existing_plans

    def post(self, path: str, body: Any) -> Any:
        self.written.append(("POST", path, body))
        return {**body, "planId": "p-1"}

    def put(self, path: str, body: Any) -> Any:
        self.written.append(("PUT", path, body))
        return {**body, "planId": "p-1"}


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The action schema is the API's (schemas.py), written apart: these tests check what apply sends."""
    monkeypatch.setattr(planfile, "check_document", lambda document: None)


@pytest.mark.usefixtures("unchecked")
def test_plans_apply_passes_actions_and_on_wave_failure_through_as_written() -> None:
    client = CatalogClient()
    [result] = planfile.apply_document(client, {"recoveryPlans": [ACTIONS_PLAN]})  # type: ignore[arg-type]
    assert result.action == "created"
    [(method, path, body)] = client.written
    assert (method, path) == ("POST", "/recovery-plans")
    db, app = body["waves"]
    source = ACTIONS_PLAN["waves"][0]
    assert db == {
        "waveName": "DB",
        "protectionGroupIds": ["g-1"],
        "pauseBeforeWave": False,
        "preActions": source["preActions"],
        "postActions": source["postActions"],
    }
    assert app == {"waveName": "App", "protectionGroupIds": ["g-2"], "pauseBeforeWave": True}
    assert body["options"] == {"onWaveFailure": "PAUSE", "readinessCheck": "LAUNCHED"}


@pytest.mark.usefixtures("unchecked")
def test_plans_apply_reports_unchanged_when_the_api_fills_in_the_defaults() -> None:
    # Given the plan as the API returns it: every action with its defaults, empty lists, default options
    client = CatalogClient()
    planfile.apply_document(client, {"recoveryPlans": [ACTIONS_PLAN]})  # type: ignore[arg-type]
    sent = client.written[0][2]
    stored = {
        **sent,
        "planId": "p-1",
        "waves": [
            {
                "preActions": [],
                "postActions": [],
                **w,
                **{
                    k: [{**planfile.ACTION_DEFAULTS, **a} for a in w.get(k, [])]
                    for k in ("preActions", "postActions")
                },
            }
            for w in sent["waves"]
        ],
    }
    # When the same file is applied again, then nothing is written
    again = CatalogClient([stored])
    [result] = planfile.apply_document(again, {"recoveryPlans": [ACTIONS_PLAN]})  # type: ignore[arg-type]
    assert (result.action, again.written) == ("unchanged", [])
    # And a changed action is an update
    changed = json.loads(json.dumps(ACTIONS_PLAN))
    changed["waves"][0]["postActions"][0]["durationSeconds"] = 300
    [result] = planfile.apply_document(again, {"recoveryPlans": [changed]})  # type: ignore[arg-type]
    assert result.action == "updated"
    assert again.written[0][2]["waves"][0]["postActions"][0]["durationSeconds"] == 300


def test_plan_file_waves_allow_every_field_of_the_apis_wave_schema() -> None:
    # Whatever the API's wave schema allows (preActions and postActions once there) a plan file allows
    allowed = planfile.PLAN_FILE_WAVE["properties"]
    assert set(planfile._WAVE["properties"]) <= set(allowed)
    assert planfile._WAVE is schemas.WAVE
    assert planfile.PLAN_FILE_PLAN["properties"]["options"] is schemas.RECOVERY_PLAN["properties"]["options"]


# ------------------------------------------------------------------- the report as Markdown


def test_the_markdown_report_lists_the_runbook_with_its_approvals_and_escapes_what_users_typed() -> None:
    """Given the report of a drill with a runbook (an approval, a check tried twice, a retried wave, a
    skipped one); when drsctl renders it as Markdown; then a runbook table lists every action with
    its target, status, attempts and approver, and no user text breaks the table."""
    from report_records import report_inputs, runbook_drill

    from orchestrator.reports.model import build_report

    report = build_report(*report_inputs(runbook_drill()), "2026-11-26T13:00:00.000Z")
    report["waves"][0]["actions"][0]["comment"] = "ok | <script>x</script>"
    text = render.report_markdown(report)
    section = text.split("## Runbook actions", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| wave")]
    expected = sum(len(w.get("actions") or []) for w in report["waves"])
    assert len(rows) == expected > 0
    assert all(row.count(" | ") == 9 for row in rows), rows  # ten columns, pipes in user text escaped
    approval = rows[0]
    assert "APPROVAL" in approval and "ok \\| &lt;script&gt;x&lt;/script&gt;" in approval
    assert "<script>" not in text
