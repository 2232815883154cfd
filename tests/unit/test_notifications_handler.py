"""The notification-formatter Lambda as the executions-table stream invokes it: real handler, real-shaped
events, moto in-process for the idempotency table (built from template.yaml), SNS, SQS and EventBridge."""

from __future__ import annotations

import copy
import importlib.util
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from lambda_context import FakeLambdaContext
from moto import mock_aws
from report_records import CANCELLER, paused_for_failed_wave

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template
from orchestrator.aws import clients
from orchestrator.aws.dynamo import serialize
from orchestrator.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]
HANDLER = ROOT / "lambda" / "notification-formatter" / "index.py"
STREAMS = ROOT / "tests" / "fixtures" / "streams"
REGION = "us-east-1"


def load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"notification_formatter_{uuid.uuid4().hex}", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stream_records(*names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        out.extend(json.loads((STREAMS / name).read_text(encoding="utf-8"))["Records"])
    return out


@dataclass
class Stack:
    """The formatter's surroundings in moto, and what reached them."""

    handler: ModuleType
    sns_queue: str
    events_queue: str
    dead_letter_queue: str
    publishes: list[dict[str, Any]]
    put_events: list[dict[str, Any]]

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.handler({"Records": records}, FakeLambdaContext())
        return result

    def invoke_raw(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.handler(event, FakeLambdaContext())
        return result

    def peek(self, queue_url: str) -> list[dict[str, Any]]:
        """The bodies in a queue, left there (visible again at once)."""
        sqs = boto3.client("sqs", region_name=REGION)
        bodies: list[dict[str, Any]] = []
        handles: list[str] = []
        while batch := sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", []):
            bodies.extend(json.loads(m["Body"]) for m in batch)
            handles.extend(m["ReceiptHandle"] for m in batch)
        for handle in handles:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
        return bodies

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        bodies: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return bodies
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with mock_aws():
        clients.reset()
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(**dynamodb_table_kwargs(load_template(), "IdempotencyTable", "idempotency"))
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {}
        for name in ("subscriber", "event-target", "dead-letters"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            queues[name] = (url, arn)
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="drs-orchestrator-NotificationTopic")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues["subscriber"][1])
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name="status-changes", EventPattern=json.dumps({"source": ["drs-orchestrator"]}))
        events.put_targets(Rule="status-changes", Targets=[{"Id": "queue", "Arn": queues["event-target"][1]}])
        monkeypatch.setenv("TOPIC_ARN", topic)
        monkeypatch.setenv("EVENT_BUS_NAME", "default")
        monkeypatch.setenv("IDEMPOTENCY_TABLE", "idempotency")
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queues["dead-letters"][0])
        monkeypatch.setenv("EXECUTIONS_TABLE", "executions")
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FakeLambdaContext.function_name)
        publishes: list[dict[str, Any]] = []
        put_events: list[dict[str, Any]] = []
        # Record what the handler asks of SNS and EventBridge (the clients it gets from orchestrator.aws.clients).
        clients.client("sns").meta.events.register(
            "provide-client-params.sns.Publish", lambda params, **_: publishes.append(copy.deepcopy(params))
        )
        clients.client("events").meta.events.register(
            "provide-client-params.events.PutEvents",
            lambda params, **_: put_events.append(copy.deepcopy(params)),
        )
        try:
            yield Stack(
                load_handler(),
                queues["subscriber"][0],
                queues["event-target"][0],
                queues["dead-letters"][0],
                publishes,
                put_events,
            )
        finally:
            clients.reset()


def test_a_batch_publishes_one_message_and_one_event_per_status_change(stack: Stack) -> None:
    # Given a batch: the execution starts, three poll updates, then it pauses before wave 2
    records = stream_records("started.json", "poll_progress.json", "paused.json")

    # When the stream invokes the formatter
    result = stack.invoke(records)

    # Then every record succeeded and exactly the two status changes were published
    assert result == {"batchItemFailures": []}
    assert [json.loads(p["Message"])["default"].split(": ")[-1] for p in stack.publishes] == [
        "IN PROGRESS",
        "PAUSED (before wave 2 of 3) - ✓ 1 wave(s) completed",
    ]
    # And the SNS publish is per-protocol JSON with String attributes
    paused = stack.publishes[1]
    assert paused["MessageStructure"] == "json"
    assert set(json.loads(paused["Message"])) == {"default", "email", "sms", "https"}
    assert "drsctl resume 7f3c2a9e-5b1d-4c8e-9a6f-2d4b8e1c0a57" in json.loads(paused["Message"])["email"]
    assert paused["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": "PAUSED"}
    assert {k: v["StringValue"] for k, v in paused["MessageAttributes"].items()} == {
        "status": "PAUSED",
        "executionType": "DRILL",
        "planId": "a1b2c3d4-1111-4a2b-8c3d-5e6f7a8b9c0d",
        "planName": "web-tier",
    }
    # And a subscriber receives the subject, the default text and the attributes
    delivered = stack.drain(stack.sns_queue)
    assert [m["Subject"] for m in delivered] == [
        "[DRS Orchestrator] web-tier: IN PROGRESS",
        "[DRS Orchestrator] web-tier: PAUSED (before wave 2 of 3)",
    ]
    assert delivered[1]["MessageAttributes"]["planName"] == {"Type": "String", "Value": "web-tier"}
    # And the event bus carries the execution summary
    events = stack.drain(stack.events_queue)
    assert [(e["source"], e["detail-type"]) for e in events] == [
        ("drs-orchestrator", "Execution Status Change")
    ] * 2
    detail = events[1]["detail"]
    assert (detail["previousStatus"], detail["status"], detail["statusColor"]) == (
        "IN_PROGRESS",
        "PAUSED",
        "yellow",
    )
    assert detail["waveSummary"] == "✓ 1 wave(s) completed"
    assert detail["canTerminate"]["canTerminate"] is False


def test_progress_updates_and_termination_bookkeeping_publish_nothing(stack: Stack) -> None:
    # Given records in which the execution's status stays the same
    records = stream_records("poll_progress.json", "termination_updates.json")

    # When the stream invokes the formatter
    result = stack.invoke(records)

    # Then nothing is published, nothing fails, and no idempotency record is written
    assert result == {"batchItemFailures": []}
    assert stack.publishes == [] and stack.put_events == []
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName="idempotency")["Count"] == 0


def test_the_same_batch_delivered_twice_publishes_once(stack: Stack) -> None:
    # Given a batch with the PARTIAL_SUCCESS after a cancel, already delivered once
    records = stream_records("cancelling.json", "partial_success_after_cancel.json")
    first = stack.invoke(records)

    # When the stream delivers the same batch again (a retry, a redelivery)
    second = stack.invoke(copy.deepcopy(records))

    # Then each transition was emailed and put on the bus only once
    assert first == second == {"batchItemFailures": []}
    subjects = [m["Subject"] for m in stack.drain(stack.sns_queue)]
    assert subjects == [
        "[DRS Orchestrator] web-tier: CANCELLING",
        "⚠️ [DRS Orchestrator] web-tier: PARTIAL SUCCESS (1 of 3 waves completed)",
    ]
    assert len(stack.publishes) == 2
    assert [e["detail"]["status"] for e in stack.drain(stack.events_queue)] == [
        "CANCELLING",
        "PARTIAL_SUCCESS",
    ]


def test_a_bad_record_is_reported_and_the_others_are_still_published(stack: Stack) -> None:
    # Given a batch whose middle record carries a status that is not one
    bad = copy.deepcopy(stream_records("completed.json")[0])
    bad["dynamodb"]["NewImage"]["status"] = {"S": "EXPLODED"}
    records = [stream_records("started.json")[0], bad, stream_records("failed_with_failed_servers.json")[0]]

    # When the stream invokes the formatter
    result = stack.invoke(records)

    # Then only the bad record is reported for retry (and, after the retries, the DLQ)
    assert result == {"batchItemFailures": [{"itemIdentifier": bad["dynamodb"]["SequenceNumber"]}]}
    # And the good ones were published
    statuses = [p["MessageAttributes"]["status"]["StringValue"] for p in stack.publishes]
    assert statuses == ["IN_PROGRESS", "FAILED"]


def test_an_event_bus_outage_still_emails_and_its_events_are_replayed_once_from_the_dead_letter_queue(
    stack: Stack,
) -> None:
    # Given EventBridge throttles every delivery of the FAILED transition of a batch
    def throttle_failed(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        entry = json.loads(params["body"])["Entries"][0]  # the serialised PutEvents request
        if json.loads(entry["Detail"])["status"] != "FAILED":
            return None
        # PutEvents answers 200 and reports the entry it could not take
        entries = [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}]
        response = AWSResponse("https://events.us-east-1.amazonaws.com/", 200, HTTPHeaders(), None)
        return response, {"FailedEntryCount": 1, "Entries": entries}

    events_client = clients.client("events")
    events_client.meta.events.register("before-call.events.PutEvents", throttle_failed, unique_id="throttle")
    records = stream_records("resumed.json", "failed_with_failed_servers.json")

    # When the stream invokes the formatter
    first = stack.invoke(records)

    # Then no record is held back: both emails went out, the FAILED event is in the dead-letter queue
    assert first == {"batchItemFailures": []}
    assert [m["MessageAttributes"]["status"]["Value"] for m in stack.drain(stack.sns_queue)] == [
        "IN_PROGRESS",
        "FAILED",
    ]
    assert [e["detail"]["status"] for e in stack.drain(stack.events_queue)] == ["IN_PROGRESS"]
    letters = stack.peek(stack.dead_letter_queue)
    assert [(d["channel"], json.loads(d["payload"]["Detail"])["status"]) for d in letters] == [
        ("EVENTBRIDGE", "FAILED")
    ]
    assert letters[0]["transition"]["status"] == "FAILED"
    assert letters[0]["error"]["code"] == "SERVICE_UNAVAILABLE"

    # When EventBridge recovers and the documented replay runs, twice
    events_client.meta.events.unregister("before-call.events.PutEvents", unique_id="throttle")
    replays = [stack.invoke_raw({"operation": "replay_notifications"}) for _ in range(2)]

    # Then the event is on the bus once, the queue is empty, and no email went out again
    assert replays == [
        {"delivered": 1, "failed": 0, "notReplayable": 0},
        {"delivered": 0, "failed": 0, "notReplayable": 0},
    ]
    assert [e["detail"]["status"] for e in stack.drain(stack.events_queue)] == ["FAILED"]
    assert stack.peek(stack.dead_letter_queue) == []
    assert stack.drain(stack.sns_queue) == []
    assert len(stack.publishes) == 2


def test_the_handler_imports_without_configuration_and_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given no TOPIC_ARN in the environment
    monkeypatch.delenv("TOPIC_ARN", raising=False)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "idempotency")

    # When the module is imported (cold start) and then invoked
    handler = load_handler()

    # Then importing needed nothing, and the invocation fails naming the variable
    with pytest.raises(ConfigError, match="TOPIC_ARN"):
        handler.handler({"Records": stream_records("started.json")}, FakeLambdaContext())


def modify(old: dict[str, Any], new: dict[str, Any], sequence: int) -> dict[str, Any]:
    """A MODIFY record of the executions table's stream, as DynamoDB sends it."""
    return {
        "eventID": f"runbook-{sequence}",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:123456789012:table/executions/stream/2026-11-20T09:14:27.311",
        "dynamodb": {
            "Keys": {"executionId": {"S": new["executionId"]}},
            "OldImage": serialize(old),
            "NewImage": serialize(new),
            "SequenceNumber": f"{9000 + sequence:028d}",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_a_failed_wave_paused_then_skipped_notifies_twice_and_the_pause_says_why(stack: Stack) -> None:
    """Given the stream of a wave that failed (onWaveFailure PAUSE): the execution PAUSED for it,
    two poll updates while it waits, then carol skipped the wave (PAUSED -> IN_PROGRESS)
    When the stream invokes the formatter
    Then exactly two messages go out: the PAUSED one says which wave failed, its error and the
    drsctl commands to retry, skip or cancel; the IN_PROGRESS one says who skipped the wave.
    The poll updates send nothing."""
    paused = copy.deepcopy(dict(paused_for_failed_wave().execution))
    paused["version"] = 20
    running = {**copy.deepcopy(paused), "status": "IN_PROGRESS", "version": 19}
    for key in ("pauseReason", "pausedWave", "pausedTime"):
        running.pop(key)
    polled = [{**copy.deepcopy(paused), "lastPolledTime": f"2025-05-14T09:2{n}:00.000Z"} for n in (1, 2)]
    skipped = copy.deepcopy(paused)
    skipped["waves"][1].update(status="SKIPPED", skippedBy=CANCELLER, skipComment="app team on it Monday")
    skipped.update(
        status="IN_PROGRESS", version=21, resumedBy=CANCELLER, resumeComment="app team on it Monday"
    )
    records = [
        modify(running, paused, 1),
        modify(paused, polled[0], 2),
        modify(polled[0], polled[1], 3),
        modify(polled[1], skipped, 4),
    ]

    result = stack.invoke(records)

    assert result == {"batchItemFailures": []}
    delivered = stack.drain(stack.sns_queue)
    assert [m["Subject"] for m in delivered] == [
        "[DRS Orchestrator] ShopFront: PAUSED (wave 2 of 3 failed: retry, skip or cancel)",
        "[DRS Orchestrator] ShopFront: IN PROGRESS (wave 2 of 3)",
    ]
    eid = paused["executionId"]
    pause_email = json.loads(stack.publishes[0]["Message"])["email"]
    assert "is paused: Wave 2 (App) failed (post-action smoke-test failed: HTTP 503" in pause_email
    for command in (f"drsctl retry {eid}", f"drsctl skip {eid}", f"drsctl cancel {eid}"):
        assert command in pause_email
    skip_email = json.loads(stack.publishes[1]["Message"])["email"]
    assert skip_email.startswith(
        f"The drill of recovery plan ShopFront goes on: Wave 2 (App) failed and was skipped by {CANCELLER}"
    )
    events = stack.drain(stack.events_queue)
    assert [(e["detail"]["status"], e["detail"]["pauseReason"]) for e in events] == [
        ("PAUSED", "WAVE_FAILED"),
        ("IN_PROGRESS", None),
    ]
