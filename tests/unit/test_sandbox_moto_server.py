"""The sandbox's moto server applies DynamoDB's requests one at a time (moto's DynamoDB is not
thread-safe), and leaves every other service's requests concurrent."""

from __future__ import annotations

import threading
from typing import Any

from drs_sandbox.moto_server import SerialisedDynamoDb

TIMEOUT = 10


def _request(target: str, name: str) -> dict[str, Any]:
    return {"HTTP_X_AMZ_TARGET": target, "name": name}


def test_a_dynamodb_request_waits_while_another_runs_but_other_services_do_not() -> None:
    # Given a DynamoDB request held inside moto
    entered: list[str] = []
    first_inside, release_first = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.append(environ["name"])
        if environ["name"] == "first":
            first_inside.set()
            assert release_first.wait(TIMEOUT)
        start_response("200 OK", [])
        return [b"{}"]

    wrapped = SerialisedDynamoDb(app)

    def call(target: str, name: str) -> None:
        assert b"".join(wrapped(_request(target, name), lambda *_: None)) == b"{}"

    first = threading.Thread(target=call, args=("DynamoDB_20120810.TransactWriteItems", "first"))
    first.start()
    assert first_inside.wait(TIMEOUT)
    # When a second DynamoDB request and a Step Functions request arrive meanwhile
    second = threading.Thread(target=call, args=("DynamoDB_20120810.PutItem", "second"))
    second.start()
    call("AWSStepFunctions.StartExecution", "sfn")
    # Then Step Functions was answered while the first DynamoDB request still held the lock
    assert wrapped.lock.locked()
    assert entered[:2] == ["first", "sfn"]
    # And the second DynamoDB request ran only after the first ended
    release_first.set()
    first.join(TIMEOUT)
    second.join(TIMEOUT)
    assert entered == ["first", "sfn", "second"]
    assert not wrapped.lock.locked()
