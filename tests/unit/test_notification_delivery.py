"""The delivery of a status change on its two channels (orchestrator.notify.publisher): each channel on its
own, a channel that keeps failing dead-lettered in full, and the replay of the dead-letter queue
exactly once per key. SNS and EventBridge are scripted clients; the idempotency table and the queue
are moto in-process (sockets stay disabled)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError
from lambda_context import FakeLambdaContext
from moto import mock_aws

from drs_sandbox.cfn import dynamodb_table_kwargs, load_template
from orchestrator.exceptions import DependencyError
from orchestrator.notify.change import StatusChange
from orchestrator.notify.messages import status_change_from_record
from orchestrator.notify.publisher import (
    DEAD_LETTERED,
    DELIVERED,
    EVENTBRIDGE,
    SNS,
    DeadLetterQueue,
    EventBusPublisher,
    NotificationDelivery,
    SnsPublisher,
)

STREAMS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "streams"
REGION = "us-east-1"


def changes(*names: str) -> list[StatusChange]:
    """The status changes of the fixture stream batches, in order."""
    found = []
    for name in names:
        for record in json.loads((STREAMS / name).read_text(encoding="utf-8"))["Records"]:
            change = status_change_from_record(record)
            if change is not None:
                found.append(change)
    return found


def unavailable(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, operation)


@dataclass
class Channel:
    """A scripted SNS or EventBridge client: down while `down`, else it records what it was sent."""

    down: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, **params: Any) -> dict[str, Any]:
        if self.down:
            raise unavailable("Publish")
        self.sent.append(copy.deepcopy(params))
        return {"MessageId": f"m-{len(self.sent)}"}

    def put_events(self, **params: Any) -> dict[str, Any]:
        if self.down:
            raise unavailable("PutEvents")
        self.sent.append(copy.deepcopy(params))
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e-{len(self.sent)}"}]}


@dataclass
class Surroundings:
    sns: Channel
    events: Channel
    sqs: Any
    queue_url: str
    counted: list[StatusChange]
    delivery: NotificationDelivery

    def queue(self) -> list[dict[str, Any]]:
        """The dead letters in the queue, left there (visible again at once)."""
        bodies, handles = [], []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", []):
            bodies.extend(json.loads(m["Body"]) for m in batch)
            handles.extend(m["ReceiptHandle"] for m in batch)
        for handle in handles:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        return bodies

    def subjects(self) -> list[str]:
        return [str(p["Subject"]) for p in self.sns.sent]

    def event_statuses(self) -> list[str]:
        return [json.loads(p["Entries"][0]["Detail"])["status"] for p in self.events.sent]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[Surroundings]:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "drs-orchestrator-NotificationFormatterFunction")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(**dynamodb_table_kwargs(load_template(), "IdempotencyTable", "idempotency"))
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        sns, events, counted = Channel(), Channel(), []
        delivery = NotificationDelivery(
            SnsPublisher(sns, "arn:aws:sns:us-east-1:123456789012:notifications"),
            EventBusPublisher(events, "default"),
            DeadLetterQueue(sqs, url),
            DynamoDBPersistenceLayer(table_name="idempotency", boto3_client=ddb),
            on_delivered=counted.append,
        )
        # As the handler does for each invocation (an in-progress delivery's expiry follows it).
        delivery.register_context(FakeLambdaContext())  # type: ignore[arg-type]
        yield Surroundings(sns, events, sqs, url, counted, delivery)


def test_an_sns_outage_dead_letters_the_message_and_still_puts_the_event(world: Surroundings) -> None:
    # Given SNS is down (its client's retries spent)
    world.sns.down = True
    change = changes("completed.json")[0]

    # When the status change is delivered
    outcome = world.delivery.deliver(change)

    # Then the event is on the bus, and the message waits in full in the dead-letter queue
    assert outcome == {SNS: DEAD_LETTERED, EVENTBRIDGE: DELIVERED}
    assert world.event_statuses() == ["COMPLETED"]
    [letter] = world.queue()
    assert letter["channel"] == SNS
    assert letter["transition"] == change.transition_key()
    assert letter["payload"] == SnsPublisher(None, "").payload(change)
    assert letter["error"]["code"] == "SERVICE_UNAVAILABLE" and letter["deadLetteredAt"].endswith("Z")
    # And the transition is handled: counted once in the metrics
    assert world.counted == [change]


def test_an_event_bus_outage_dead_letters_the_event_and_still_emails(world: Surroundings) -> None:
    # Given EventBridge is down
    world.events.down = True
    change = changes("failed_with_failed_servers.json")[0]

    # When the status change is delivered
    outcome = world.delivery.deliver(change)

    # Then the email went out and the event waits in the dead-letter queue
    assert outcome == {SNS: DELIVERED, EVENTBRIDGE: DEAD_LETTERED}
    assert len(world.sns.sent) == 1 and world.events.sent == []
    [letter] = world.queue()
    assert (letter["channel"], json.loads(letter["payload"]["Detail"])["status"]) == (EVENTBRIDGE, "FAILED")


def test_the_replay_delivers_each_dead_letter_once_and_empties_the_queue(world: Surroundings) -> None:
    # Given three status changes delivered while SNS was down
    world.sns.down = True
    delivered = changes("started.json", "paused.json", "completed.json")
    for change in delivered:
        world.delivery.deliver(change)
    assert len(world.queue()) == 3 and world.sns.sent == []

    # When SNS is back and the queue is replayed, twice
    world.sns.down = False
    first = world.delivery.replay().to_dict()
    second = world.delivery.replay().to_dict()

    # Then each message was published once, the queue is empty, and the bus got nothing again
    assert first == {"delivered": 3, "failed": 0, "notReplayable": 0}
    assert second == {"delivered": 0, "failed": 0, "notReplayable": 0}
    assert sorted(world.subjects()) == sorted(SnsPublisher(None, "").payload(c)["Subject"] for c in delivered)
    assert world.queue() == []
    assert world.event_statuses() == ["IN_PROGRESS", "PAUSED", "COMPLETED"]


def test_a_replay_of_a_message_delivered_since_does_not_send_it_twice(world: Surroundings) -> None:
    # Given a message dead-lettered during an outage, then delivered by a redelivery of its record
    world.sns.down = True
    change = changes("cancelled.json")[0]
    world.delivery.deliver(change)
    world.sns.down = False
    assert world.delivery.deliver(change) == {SNS: DELIVERED, EVENTBRIDGE: DELIVERED}
    assert len(world.sns.sent) == 1

    # When the dead-letter queue is replayed
    result = world.delivery.replay().to_dict()

    # Then the dead letter is found delivered under its key: removed, nothing sent again
    assert result == {"delivered": 1, "failed": 0, "notReplayable": 0}
    assert len(world.sns.sent) == 1 and len(world.events.sent) == 1
    assert world.queue() == []


def test_a_replay_leaves_what_still_fails_and_the_stream_pointers_on_the_queue(world: Surroundings) -> None:
    # Given a dead-lettered message, and a pointer the stream's on-failure destination wrote
    world.sns.down = True
    world.delivery.deliver(changes("resumed.json")[0])
    pointer = {"version": "1.0", "DDBStreamBatchInfo": {"shardId": "shardId-1", "batchSize": 1}}
    world.sqs.send_message(QueueUrl=world.queue_url, MessageBody=json.dumps(pointer))

    # When the queue is replayed while SNS is still down
    result = world.delivery.replay().to_dict()

    # Then nothing was lost: both messages are still on the queue (hidden until the replay's
    # visibility timeout ends), and the replay says why
    assert result == {"delivered": 0, "failed": 1, "notReplayable": 1}
    attributes = world.sqs.get_queue_attributes(
        QueueUrl=world.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "2"}
    assert world.sns.sent == []


def test_when_the_dead_letter_cannot_be_written_the_record_fails_after_both_channels_were_tried(
    world: Surroundings,
) -> None:
    # Given SNS is down and the dead-letter queue cannot be written either
    world.sns.down = True
    world.delivery.dead_letters.queue_url = world.queue_url + "-gone"
    change = changes("completed.json")[0]

    # When the status change is delivered
    with pytest.raises(DependencyError, match="SQS SendMessage"):
        world.delivery.deliver(change)

    # Then the record fails (the stream retries it, then names it in its on-failure destination),
    # the event was put all the same, and the transition is not counted yet
    assert world.event_statuses() == ["COMPLETED"]
    assert world.counted == []
    # And once the queue is reachable, the retried record dead-letters the message and sends no event twice
    world.delivery.dead_letters.queue_url = world.queue_url
    assert world.delivery.deliver(change) == {SNS: DEAD_LETTERED, EVENTBRIDGE: DELIVERED}
    assert world.event_statuses() == ["COMPLETED"]
    assert world.counted == [change]
