"""Fixtures for the DRS simulator's integration tests: moto's server and the simulator's WSGI app,
both on 127.0.0.1 with an ephemeral port in threads, reached only through plain boto3 clients.

The simulator runs on a fake clock the tests advance, so no test waits on a wall clock. Every
DRS request boto3 sends and every response it receives is recorded (`DrsWire`) and checked
against botocore's own service model when the test ends.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from drs_sandbox.drs import DrsSimulator, create_drs_app
from drs_sandbox.drs.wire import check_response, check_shape, service_model

REGION = "us-east-1"
KEY_ID, SECRET = "testing", "testing"


class FakeClock:
    """The simulator's clock: starts at the real time, moves only when a test advances it."""

    def __init__(self) -> None:
        self._now = time.time()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class Exchange:
    operation: str
    request: dict[str, Any]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    response: dict[str, Any] | None = None
    check_request: bool = True


class DrsWire:
    """Records boto3's DRS traffic and says how it departs from the service model."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._exempt_next = False

    def send_invalid_request_next(self) -> None:
        """The next request breaks the model on purpose (to see the simulator refuse it)."""
        self._exempt_next = True

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send.drs.*", self._on_send)
        client.meta.events.register("before-parse.drs.*", self._on_response)

    def _on_send(self, request: Any, event_name: str, **_: Any) -> None:
        body = request.body or b"{}"
        exchange = Exchange(
            event_name.rsplit(".", 1)[-1], json.loads(body), check_request=not self._exempt_next
        )
        self._exempt_next = False
        self.exchanges.append(exchange)

    def _on_response(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        exchange = self.exchanges[-1]
        exchange.status = response_dict["status_code"]
        exchange.headers = {k.lower(): v for k, v in response_dict["headers"].items()}
        raw = response_dict["body"]
        exchange.response = json.loads(raw) if raw else {}

    def problems(self) -> list[str]:
        """Requests that do not validate against input shapes, responses that do not match
        output (or error) shapes."""
        model = service_model()
        found: list[str] = []
        for exchange in self.exchanges:
            operation = model.operation_model(exchange.operation)
            input_shape = operation.input_shape
            if exchange.check_request and input_shape is not None:
                try:
                    validate_parameters(exchange.request, input_shape)
                except ParamValidationError as exc:
                    found.append(f"request {exchange.operation}: {exc}")
                found += [f"request {p}" for p in check_shape(exchange.request, input_shape)]
            if exchange.response is None:
                found.append(f"{exchange.operation}: no response recorded")
            elif exchange.status < 300:
                if exchange.status != operation.http.get("responseCode", 200):
                    found.append(f"{exchange.operation}: status {exchange.status}")
                found += [f"response {p}" for p in check_response(exchange.operation, exchange.response)]
            else:
                code = exchange.headers.get("x-amzn-errortype", "")
                if code not in {shape.name for shape in operation.error_shapes} | {
                    "ValidationException",
                    "ResourceNotFoundException",
                    "UnknownOperationException",
                    "AccessDeniedException",  # IAM's denial, common to every operation of the service
                }:
                    found.append(f"{exchange.operation}: undeclared error {code!r}")
                if code in model.shape_names:
                    shape = model.shape_for(code)
                    found += [f"error {p}" for p in check_shape(exchange.response, shape, code)]
                    if exchange.status != shape.metadata["error"]["httpStatusCode"]:
                        found.append(f"{exchange.operation}: {code} answered with HTTP {exchange.status}")
        return found


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@pytest.fixture(scope="session")
def drs_moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def drs_ec2_client(drs_moto_endpoint: str) -> Any:
    client = boto3.client(
        "ec2",
        endpoint_url=drs_moto_endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    client.describe_instances()  # moto builds its EC2 backend (and image catalogue) once, here
    return client


@pytest.fixture
def drs_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def drs_sim(drs_ec2_client: Any, drs_clock: FakeClock) -> DrsSimulator:
    return DrsSimulator(drs_ec2_client, clock=drs_clock, rng=random.Random(20260101))


@pytest.fixture
def drs_endpoint(drs_sim: DrsSimulator) -> Iterator[str]:
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, create_drs_app(drs_sim), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="drs-simulator", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def drs_wire() -> Iterator[DrsWire]:
    wire = DrsWire()
    yield wire
    problems = wire.problems()
    assert not problems, "DRS traffic departs from the botocore model:\n" + "\n".join(problems)


def _drs_client(endpoint: str, wire: DrsWire, config: Config) -> Any:
    client = boto3.client(
        "drs",
        endpoint_url=endpoint,
        region_name=REGION,
        config=config,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    wire.attach(client)
    return client


@pytest.fixture
def drs_client(drs_endpoint: str, drs_wire: DrsWire) -> Any:
    return _drs_client(drs_endpoint, drs_wire, Config(retries={"mode": "standard", "max_attempts": 3}))


@pytest.fixture
def drs_client_no_retries(drs_endpoint: str, drs_wire: DrsWire) -> Any:
    return _drs_client(drs_endpoint, drs_wire, Config(retries={"mode": "standard", "total_max_attempts": 1}))
