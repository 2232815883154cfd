"""Powertools Tracer in the execution handler, as Lambda runs it: a fresh interpreter with Lambda's
environment (task root, trace header, X-Ray daemon address) imports the handler from its code
folder and the layer, handles a request, and the segment the X-Ray SDK sends to the daemon's UDP
port is read here. Outside Lambda (tests, the sandbox) the Tracer is off."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-6745c0de-0123456789abcdef01234567"

CHILD = r"""
import importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("index", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

class Context:
    function_name = "drs-orchestrator-execution-handler"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    aws_request_id = "req-1"

event = {
    "httpMethod": "GET", "path": "/health", "resource": "/health", "headers": {}, "body": None,
    "multiValueHeaders": {}, "queryStringParameters": None, "pathParameters": None,
    "requestContext": {"httpMethod": "GET", "path": "/prod/health", "resourcePath": "/health", "stage": "prod"},
}
print(json.dumps(module.handler(event, Context())))
"""


def test_a_request_in_lambda_sends_a_segment_annotated_with_its_operation() -> None:
    # Given a UDP socket standing in for the X-Ray daemon
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(20)
    port = daemon.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_TRACE", "AWS_XRAY"))},
        "LAMBDA_TASK_ROOT": str(ROOT / "lambda" / "execution-handler"),
        "AWS_LAMBDA_FUNCTION_NAME": "drs-orchestrator-execution-handler",
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
        "POWERTOOLS_SERVICE_NAME": "drs-orchestrator",
    }
    # When the handler answers GET /health in a fresh interpreter
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT / "lambda" / "shared"),
            str(ROOT / "lambda" / "execution-handler" / "index.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["statusCode"] == 200
    # Then the daemon received the handler's subsegment in the invocation's trace, annotated
    sent: list[str] = []
    while not any("## handler" in s for s in sent):
        data, _ = daemon.recvfrom(65536)
        sent.append(data.decode())
    daemon.close()
    document = json.loads(next(s for s in sent if "## handler" in s).split("\n", 1)[1])
    assert document["trace_id"] == TRACE_ID
    assert document["annotations"]["operation"] == "api"
    assert document["annotations"]["ColdStart"] is True
    assert document["annotations"]["Service"] == "drs-orchestrator"
