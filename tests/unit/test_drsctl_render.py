"""drsctl's rendering without a network: status colours rich can draw, user text that is never
markup nor a control code, output that is never wrapped off a terminal, and the RECOVERY
confirmation of `drsctl terminate`."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from rich.color import Color
from rich.console import Console
from rich.style import Style

from drsctl import render
from drsctl.cli import main
from execution_utils import ExecutionStatus, WaveStatus, status_color, wave_status_color

EVIL = "[link=https://example.com]x[/link] [red]"


def terminal_console(width: int = 120) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system="truecolor", width=width), out


def wave(number: int, status: str, name: str = "W", **extra: Any) -> dict[str, Any]:
    return {
        "waveNumber": number,
        "waveName": name,
        "status": status,
        "progress": {"totalServers": 2, "launched": 0, "ready": 0, "failed": 0},
        **extra,
    }


def execution(status: str, label: str, waves: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "executionId": "0f8b7c3e-1d2a-4b5c-8d9e-0a1b2c3d4e5f",
        "planName": "Plan",
        "executionType": "DRILL",
        "status": status,
        "statusLabel": label,
        "progress": {"totalServers": 2 * len(waves), "ready": 0, "failed": 0},
        "waves": waves,
        **extra,
    }


class NoServers:
    """A client whose executions have no failed servers."""

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return {"items": [], "nextToken": None}


@pytest.mark.parametrize("status", list(ExecutionStatus))
def test_every_execution_status_has_a_colour_rich_can_draw(status: ExecutionStatus) -> None:
    assert status_color(status) in render.RICH_STYLES, "a new badge colour needs a rich style"
    style = Style.parse(render.execution_style(status))
    assert style.color is not None and Color.parse(style.color.name)


@pytest.mark.parametrize("status", list(WaveStatus))
def test_every_wave_status_has_a_colour_rich_can_draw(status: WaveStatus) -> None:
    assert wave_status_color(status) in render.RICH_STYLES, "a new badge colour needs a rich style"
    style = Style.parse(render.wave_style(status))
    assert style.color is not None and Color.parse(style.color.name)


def test_every_rich_style_of_the_palette_parses() -> None:
    for semantic, style in render.RICH_STYLES.items():
        assert Style.parse(style).color is not None, semantic


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("IN_PROGRESS", "IN PROGRESS (wave 1 of 3)"),
        ("PAUSED", "PAUSED (before wave 2 of 3)"),
        ("FAILED", "FAILED"),
        ("PARTIAL_SUCCESS", "PARTIAL SUCCESS (1 of 3 waves completed)"),
        ("CANCELLING", "CANCELLING"),
    ],
)
def test_an_execution_with_a_not_started_wave_renders_live_and_as_a_summary(status: str, label: str) -> None:
    # Given an execution whose later waves are NOT_STARTED (a wave status, not an execution status)
    shown = execution(
        status,
        label,
        [wave(1, "COMPLETED"), wave(2, "IN_PROGRESS", phase="LAUNCHING"), wave(3, "NOT_STARTED")],
        pausedBeforeWave=2,
    )
    console, out = terminal_console()
    # When it is drawn on a terminal, live and as a summary
    console.print(render.live_view(shown))
    render.print_summary(NoServers(), shown, console)  # type: ignore[arg-type]
    # Then every wave is drawn with its status, in colour
    text = out.getvalue()
    assert "NOT_STARTED" in text and label in text and "\x1b[" in text


def test_an_unknown_status_from_a_newer_api_is_drawn_unstyled_not_a_crash() -> None:
    shown = execution("HIBERNATING", "HIBERNATING", [wave(1, "SLEEPING")])
    console, out = terminal_console()
    console.print(render.live_view(shown))
    assert "? SLEEPING" in out.getvalue() and "HIBERNATING" in out.getvalue()


def test_user_text_is_never_markup_nor_a_control_code() -> None:
    # Given names that are rich markup, and one with an escape sequence of its own
    shown = execution(
        "IN_PROGRESS",
        "IN PROGRESS (wave 1 of 2)",
        [wave(1, "IN_PROGRESS", name=EVIL), wave(2, "NOT_STARTED", name="a\x1b]8;;https://x\x07b\nc")],
        planName=EVIL,
    )
    console, out = terminal_console(width=200)
    # When they are drawn
    console.print(render.live_view(shown))
    render.print_summary(NoServers(), shown, console)  # type: ignore[arg-type]
    text = out.getvalue()
    # Then the brackets are shown as typed, no hyperlink is opened and the escape is made visible
    assert EVIL in text
    assert "\x1b]8;" not in text
    assert "a\\x1b]8;;https://x\\x07b\\x0ac" in text


def test_off_a_terminal_nothing_is_wrapped_and_ids_stay_whole() -> None:
    out = io.StringIO()
    console = render.make_console(out)
    assert not console.is_terminal and console.width == render.PIPE_WIDTH
    ids = [f"{i:08d}-1d2a-4b5c-8d9e-0a1b2c3d4e5f" for i in range(3)]
    shown = execution("FAILED", "FAILED", [wave(n, "NOT_STARTED", name="x" * 90) for n in range(1, 4)])
    render.print_summary(NoServers(), shown, console)  # type: ignore[arg-type]
    console.print(render.user_text(" ".join(ids * 10)))
    lines = out.getvalue().splitlines()
    assert any(shown["executionId"] in line for line in lines)
    assert any(" ".join(ids * 10) in line for line in lines)
    assert sum("x" * 90 in line for line in lines) == 3
    assert "\x1b[" not in out.getvalue()


# ------------------------------------------------------------- terminate: RECOVERY confirmation


class Api(requests.adapters.BaseAdapter):
    def __init__(self, execution_type: str) -> None:
        super().__init__()
        self.execution_type = execution_type
        self.sent: list[tuple[str, str, Any]] = []

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        path = request.path_url.split("?")[0]
        body = json.loads(request.body) if request.body else None
        self.sent.append((str(request.method), path, body))
        response = requests.Response()
        response.status_code = 200 if request.method == "GET" else 202
        response._content = json.dumps(
            {
                "executionId": "e-1",
                "planName": "Prod Plan",
                "executionType": self.execution_type,
                "status": "COMPLETED",
            }
        ).encode()
        response.request = request
        return response

    def close(self) -> None:
        return None


def run_terminate(api: Api, *args: str) -> int:
    s = requests.Session()
    s.mount("http://", api)
    console = Console(file=io.StringIO())
    return main(["--endpoint", "http://127.0.0.1:1", "terminate", "e-1", *args], session=s, console=console)


def test_terminate_of_a_drill_is_unchanged() -> None:
    api = Api("DRILL")
    assert run_terminate(api) == 0
    assert api.sent[-1] == ("POST", "/executions/e-1/terminate-instances", {})


def test_terminate_of_a_recovery_sends_the_confirmed_plan_name() -> None:
    api = Api("RECOVERY")
    assert run_terminate(api, "--confirm-plan-name", "Prod Plan") == 0
    assert api.sent[0][:2] == ("GET", "/executions/e-1")
    assert api.sent[-1] == (
        "POST",
        "/executions/e-1/terminate-recovery-instances",
        {"confirmPlanName": "Prod Plan"},
    )


def test_terminate_of_a_recovery_off_a_terminal_without_the_flag_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = Api("RECOVERY")
    assert run_terminate(api) == 1
    err = capsys.readouterr().err
    assert err.startswith("drsctl: error:") and len(err.strip().splitlines()) == 1
    assert "--confirm-plan-name 'Prod Plan'" in err
    assert all(method == "GET" for method, _, _ in api.sent)
