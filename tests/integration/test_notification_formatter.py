"""Status-change notifications end to end: the orchestration operations write the executions table
(moto server, stream on), the real stream records are handed to the real notification-formatter
handler, which publishes through SNS and EventBridge in moto; a subscriber queue and a rule's queue
show what people and programs receive."""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template
from orchestrator.aws import clients
from orchestrator.notify.messages import build_notification, status_change_from_record
from orchestrator.operations import control, finalize, waves

if TYPE_CHECKING:
    from orchestration_fixtures import Orchestration

pytest_plugins = ["orchestration_fixtures"]

HANDLER = Path(__file__).resolve().parents[2] / "lambda" / "notification-formatter" / "index.py"
STREAMS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "streams"
REGION = "us-east-1"


@dataclass
class FakeLambdaContext:
    function_name: str = "drs-orchestrator-NotificationFormatterFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:drs-orchestrator-NotificationFormatterFunction"
    )
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Formatter:
    handler: ModuleType
    endpoint: str
    executions_table: str
    subscriber_queue: str
    events_queue: str
    dead_letter_queue: str

    def stream_records(self) -> list[dict[str, Any]]:
        """Every record of the executions table's stream, shaped as Lambda delivers them."""
        ddb = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name=REGION)
        streams = boto3.client("dynamodbstreams", endpoint_url=self.endpoint, region_name=REGION)
        arn = ddb.describe_table(TableName=self.executions_table)["Table"]["LatestStreamArn"]
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator)
                if not page["Records"]:
                    break
                for record in page["Records"]:
                    created = record["dynamodb"].get("ApproximateCreationDateTime")
                    if created is not None and not isinstance(created, int | float):
                        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
                    records.append({**record, "eventSourceARN": arn})
                iterator = page.get("NextShardIterator")
        return records

    def deliver(self, records: list[dict[str, Any]], batch_size: int = 10) -> list[dict[str, Any]]:
        """Invoke the handler as the event source mapping does, batch by batch."""
        return [
            self.handler.handler({"Records": records[i : i + batch_size]}, FakeLambdaContext())
            for i in range(0, len(records), batch_size)
        ]

    def received(self, queue_url: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", endpoint_url=self.endpoint, region_name=REGION)
        bodies: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture
def formatter(
    orchestration: Orchestration, drs_moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Formatter]:
    suffix = uuid.uuid4().hex[:8]
    endpoint = drs_moto_endpoint
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    idempotency = f"IdempotencyTable-{suffix}"
    ddb.create_table(**dynamodb_table_kwargs(load_template(), "IdempotencyTable", idempotency))
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    queues = {}
    for name in ("subscriber", "events", "dead-letters"):
        url = sqs.create_queue(QueueName=f"{name}-{suffix}")["QueueUrl"]
        queues[name] = (
            url,
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        )
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=REGION)
    topic = sns.create_topic(Name=f"notifications-{suffix}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues["subscriber"][1])
    events = boto3.client("events", endpoint_url=endpoint, region_name=REGION)
    bus = events.create_event_bus(Name=f"bus-{suffix}")["EventBusArn"].rsplit("/", 1)[-1]
    events.put_rule(
        Name="changes", EventBusName=bus, EventPattern=json.dumps({"source": ["drs-orchestrator"]})
    )
    events.put_targets(Rule="changes", EventBusName=bus, Targets=[{"Id": "q", "Arn": queues["events"][1]}])
    # The handler sees only its environment, as in Lambda; the endpoint is the standard variable.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("TOPIC_ARN", topic)
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", idempotency)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queues["dead-letters"][0])
    monkeypatch.setenv("EXECUTIONS_TABLE", orchestration.deps.config.executions_table)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FakeLambdaContext.function_name)
    clients.reset()
    spec = importlib.util.spec_from_file_location(f"notification_formatter_{suffix}", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        yield Formatter(
            module,
            endpoint,
            orchestration.deps.config.executions_table,
            queues["subscriber"][0],
            queues["events"][0],
            queues["dead-letters"][0],
        )
    finally:
        clients.reset()
        ddb.delete_table(TableName=idempotency)


def test_a_drill_cancelled_while_paused_notifies_each_status_once(
    orchestration: Orchestration, formatter: Formatter
) -> None:
    # Given a 3-wave drill that pauses before wave 2
    plan_id = orchestration.add_plan(
        [
            ("Database", [orchestration.add_group("db", orchestration.servers(1))], False),
            ("App", [orchestration.add_group("app", orchestration.servers(1))], True),
            ("Web", [orchestration.add_group("web", orchestration.servers(1))], False),
        ]
    )
    execution_id = orchestration.start(plan_id)["executionId"]
    state: dict[str, Any] = {"executionId": execution_id, "waveIndex": 0, "pollCount": 0}
    state = dict(waves.advance(orchestration.deps, state))
    orchestration.run_wave(state)
    state = dict(waves.advance(orchestration.deps, state))
    assert state["next"] == "PAUSE"
    waves.pause(orchestration.deps, state, "token-for-the-pause")
    # When the operator cancels while it is paused and the state machine finalizes
    control.cancel(orchestration.deps, execution_id)
    finalize.finalize(orchestration.deps, dict(waves.advance(orchestration.deps, state)))
    assert orchestration.get(execution_id)["status"] == "PARTIAL_SUCCESS"
    # And the stream is delivered to the formatter, then delivered again
    records = formatter.stream_records()
    results = formatter.deliver(records) + formatter.deliver(records)

    # Then no record failed, and each status change was emailed exactly once, in order
    assert all(r == {"batchItemFailures": []} for r in results)
    assert len(records) > 5  # the poll updates were in the stream too
    messages = formatter.received(formatter.subscriber_queue)
    assert [m["MessageAttributes"]["status"]["Value"] for m in messages] == [
        "PENDING",
        "IN_PROGRESS",
        "PAUSED",
        "CANCELLING",
        "PARTIAL_SUCCESS",
    ]
    plan_name = orchestration.get(execution_id)["planName"]
    assert messages[2]["Subject"] == f"[DRS Orchestrator] {plan_name}: PAUSED (before wave 2 of 3)"
    assert messages[-1]["Subject"] == (
        f"⚠️ [DRS Orchestrator] {plan_name}: PARTIAL SUCCESS (1 of 3 waves completed)"
    )
    assert messages[-1]["Message"].endswith("✓ 1 wave(s) completed | ⊘ 2 wave(s) cancelled")
    # And programs on the bus got the same transitions with the execution summary
    events = formatter.received(formatter.events_queue)
    assert [(e["detail"]["previousStatus"], e["detail"]["status"]) for e in events] == [
        (None, "PENDING"),
        ("PENDING", "IN_PROGRESS"),
        ("IN_PROGRESS", "PAUSED"),
        ("PAUSED", "CANCELLING"),
        ("CANCELLING", "PARTIAL_SUCCESS"),
    ]
    final = events[-1]["detail"]
    assert final["canTerminate"] == {"canTerminate": True, "reason": None, "hasRecoveryInstances": True}
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert final["durationSeconds"] is not None and final["endTime"]


def test_a_failed_critical_server_is_named_with_its_drs_error_in_the_final_email(
    orchestration: Orchestration, formatter: Formatter
) -> None:
    # Given wave 2 of 3 holds a CRITICAL server whose launch fails
    ok1, ok3 = orchestration.servers(1), orchestration.servers(1)
    bad = orchestration.servers(1, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = orchestration.add_plan(
        [
            ("One", [orchestration.add_group("a", ok1)], False),
            ("Two", [orchestration.add_group("b", bad)], False),
            ("Three", [orchestration.add_group("c", ok3)], False),
        ]
    )
    record = orchestration.run_to_end(orchestration.start(plan_id)["executionId"])
    assert record["status"] == "PARTIAL_SUCCESS"
    # When the captured stream is delivered to the formatter
    results = formatter.deliver(formatter.stream_records())

    # Then the final status was published once, and the event names the failed wave
    assert all(r == {"batchItemFailures": []} for r in results)
    statuses = [
        m["MessageAttributes"]["status"]["Value"] for m in formatter.received(formatter.subscriber_queue)
    ]
    assert statuses == ["PENDING", "IN_PROGRESS", "PARTIAL_SUCCESS"]
    final = formatter.received(formatter.events_queue)[-1]["detail"]
    assert final["waveSummary"] == "✓ 1 wave(s) completed | ✗ 1 wave(s) failed"
    assert final["progress"]["failed"] == 1
    # And the email text built from the same stored record lists the server and its DRS error
    last = [c for c in map(status_change_from_record, formatter.stream_records()) if c is not None][-1]
    email = build_notification(last).email
    assert f" ({bad[0]}), wave 2, CRITICAL" in email  # named hostname (id)
    assert "wave 2, CRITICAL: LAUNCH_FAILED" in email


def test_an_email_that_cannot_be_sent_waits_in_the_dead_letter_queue_and_the_batch_goes_on(
    formatter: Formatter,
) -> None:
    """Given a fixture stream batch (started, three poll updates, paused, completed) and SNS failing
    every attempt to publish the PAUSED message (a 5xx, after botocore's own retries)
    When the stream invokes the formatter, then the operator replays the dead-letter queue
    Then no record is reported failed, every event is on the bus, the PAUSED email waits in the
    queue in full and, replayed, reaches the subscriber once; the queue ends empty."""
    records = [
        record
        for name in ("started.json", "poll_progress.json", "paused.json", "completed.json")
        for record in json.loads((STREAMS / name).read_text(encoding="utf-8"))["Records"]
    ]
    attempts: list[str] = []

    def fail_paused(request: Any, **_: Any) -> Any:
        sent = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        if b"PAUSED" not in sent or len(attempts) >= 100:
            return None
        attempts.append("PAUSED")
        body = (
            b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>"
            b"<Message>down</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )

        class Raw:
            def stream(self, **_kw: Any) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, 500, HTTPHeaders.from_dict({"Content-Type": "text/xml"}), Raw())

    sns = clients.client("sns")
    sns.meta.events.register_first("before-send.sns.Publish", fail_paused, unique_id="sns-down")
    try:
        results = formatter.deliver(records)
    finally:
        sns.meta.events.unregister("before-send.sns.Publish", unique_id="sns-down")

    assert results == [{"batchItemFailures": []}]
    assert len(attempts) == 3  # the formatter's SNS client: 3 attempts, then the dead letter
    assert [
        m["MessageAttributes"]["status"]["Value"] for m in formatter.received(formatter.subscriber_queue)
    ] == [
        "IN_PROGRESS",
        "COMPLETED",
    ]
    assert [e["detail"]["status"] for e in formatter.received(formatter.events_queue)] == [
        "IN_PROGRESS",
        "PAUSED",
        "COMPLETED",
    ]
    sqs = boto3.client("sqs", endpoint_url=formatter.endpoint, region_name=REGION)
    [letter] = sqs.receive_message(QueueUrl=formatter.dead_letter_queue, VisibilityTimeout=0)["Messages"]
    body = json.loads(letter["Body"])
    assert (body["channel"], body["transition"]["status"]) == ("SNS", "PAUSED")
    assert body["payload"]["Subject"] == "[DRS Orchestrator] web-tier: PAUSED (before wave 2 of 3)"

    replayed = formatter.handler.handler({"operation": "replay_notifications"}, FakeLambdaContext())

    assert replayed == {"delivered": 1, "failed": 0, "notReplayable": 0}
    [email] = formatter.received(formatter.subscriber_queue)
    assert email["Subject"] == "[DRS Orchestrator] web-tier: PAUSED (before wave 2 of 3)"
    assert email["MessageAttributes"]["status"]["Value"] == "PAUSED"
    assert formatter.received(formatter.dead_letter_queue) == []
