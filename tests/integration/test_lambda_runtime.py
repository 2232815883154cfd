"""The in-process Lambda runtime that replaces moto's Docker invocation."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from drs_sandbox.cfn import FunctionSpec
from drs_sandbox.lambda_runtime import InProcessLambda, load_handler
from orchestrator.exceptions import TransientError


def spec(tmp_path: Path, body: str) -> FunctionSpec:
    (tmp_path / "index.py").write_text(body)
    return FunctionSpec(
        logical_id="Fn",
        code_dir=tmp_path,
        handler="index.handler",
        layer_dirs=[],
        environment={},
        timeout=3,
        memory=128,
    )


def raising(event: Any, context: Any) -> Any:
    raise TransientError("DRS is throttled")


def test_a_handler_error_becomes_lambdas_error_payload_named_after_the_exception() -> None:
    runtime = InProcessLambda()
    runtime.register("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", raising, _dummy_spec())
    payload, errored = runtime.invoke("fn", {})
    assert errored is True
    body = json.loads(payload)
    assert body["errorType"] == "TransientError"
    assert body["errorMessage"] == "DRS is throttled"
    assert body["stackTrace"]


def _dummy_spec() -> FunctionSpec:
    return FunctionSpec(
        logical_id="Fn",
        code_dir=Path("."),
        handler="index.handler",
        layer_dirs=[],
        environment={},
        timeout=3,
        memory=128,
    )


def test_moto_invocations_reach_the_real_handler_in_process(tmp_path: Path) -> None:
    # Given a handler file that echoes its event and context, registered with the runtime
    handler = load_handler(
        spec(
            tmp_path, "def handler(event, context):\n    return {'got': event, 'fn': context.function_name}\n"
        )
    )
    runtime = InProcessLambda()
    with mock_aws():
        lam = boto3.client("lambda", region_name="us-east-1")
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("index.py", "")
        arn = lam.create_function(
            FunctionName="echo",
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": archive.getvalue()},
        )["FunctionArn"]
        runtime.register("echo", arn, handler, _dummy_spec())
        # When moto invokes it (as the state machine's lambda:invoke does)
        with runtime.installed():
            response = lam.invoke(FunctionName="echo", Payload=json.dumps({"operation": "poll"}))
        # Then the real handler ran with the event and a Lambda-like context
        assert json.loads(response["Payload"].read()) == {"got": {"operation": "poll"}, "fn": "echo"}
        assert "FunctionError" not in response
        assert runtime.invocations == 1
