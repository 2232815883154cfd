"""`python -m drs_sandbox` as a user runs it: starts in seconds, serves the API, runs the real state
machine against the in-process handler, stops cleanly on SIGTERM, refuses a port already taken."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests

from orchestrator.version import VERSION


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sandbox(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "drs_sandbox", "--port", str(port), "--find-interval", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str], timeout: float = 120) -> str:
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else "")
    )
    reader.start()
    reader.join(timeout)
    assert lines, "the sandbox printed nothing"
    return lines[0]


@pytest.fixture
def sandbox_process() -> Iterator[tuple[subprocess.Popen[str], int, float]]:
    port = free_port()
    started = time.monotonic()
    process = start_sandbox(port)
    line = first_line(process)
    ready = time.monotonic() - started
    assert f"http://127.0.0.1:{port}" in line, line
    try:
        yield process, port, ready
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_sandbox_serves_the_api_runs_the_state_machine_and_stops_on_sigterm(
    sandbox_process: tuple[subprocess.Popen[str], int, float],
) -> None:
    process, port, ready = sandbox_process
    url = f"http://127.0.0.1:{port}"
    # Then it started (a few seconds on an idle machine; the bound only catches a start that hangs,
    # since a loaded machine may take tens of seconds) and answers /health
    assert ready < 120
    assert requests.get(f"{url}/health", timeout=10).json() == {"status": "ok", "version": VERSION}
    # When a Step Functions execution of the real definition is started directly, for a record that
    # does not exist
    info = requests.get(f"{url}/_sandbox/info", timeout=10).json()
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=info["awsEndpoint"],
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    arn = sfn.start_execution(
        stateMachineArn=info["stateMachineArn"],
        name=str(uuid.uuid4()),
        input=json.dumps({"executionId": "missing"}),
    )["executionArn"]
    pause = threading.Event()
    for _ in range(150):
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            break
        pause.wait(0.2)
    # Then the in-process handler answered (its own error name, caught and sent to finalize)
    history = sfn.get_execution_history(executionArn=arn)["events"]
    failures = [e["taskFailedEventDetails"] for e in history if "taskFailedEventDetails" in e]
    assert failures and failures[0]["error"] == "NotFoundError"
    assert "execution missing not found" in failures[0]["cause"]
    assert described["status"] == "FAILED"
    # When it gets SIGTERM, it stops promptly and cleanly
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)


def test_a_port_already_taken_is_a_one_line_error_and_exit_status_1() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = start_sandbox(port)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert (
        err.strip()
        == f"drsctl sandbox: error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )


def test_drsctl_sandbox_is_the_same_command() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "drsctl", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
