"""Where status-change notifications go: an SNS topic and an EventBridge bus, each over an injected
client, and the delivery of one transition on both channels.

Each channel is delivered once per transition (Powertools idempotency keyed on the transition, one
record per channel), and independently: a channel that still fails after its client's retries is
dead-lettered (the full message, its channel and idempotency key, on the stack's SQS queue) while
the other channel is delivered all the same. ``replay`` drains that queue: each message is sent
again under its own key (one already delivered is not sent twice), deleted on success and left on
the queue on failure."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext

from orchestrator.aws import clients
from orchestrator.aws.errors import TRANSIENT_CODES, translated
from orchestrator.config import ConfigError
from orchestrator.exceptions import DependencyError, OrchestratorError, TransientError
from orchestrator.notify.change import DETAIL_TYPE, SOURCE, StatusChange
from orchestrator.notify.messages import build_notification, event_detail
from orchestrator.timeutil import iso, system_clock

logger = logging.getLogger(__name__)

# Stream records live 24 hours and may be retried for as long; remember deliveries a little longer.
# A dead letter is replayed within the queue's retention (14 days): its key is remembered from then.
IDEMPOTENCY_SECONDS = 2 * 24 * 3600
SNS = "SNS"
EVENTBRIDGE = "EVENTBRIDGE"
CHANNELS = (SNS, EVENTBRIDGE)
DELIVERED = "DELIVERED"
DEAD_LETTERED = "DEAD_LETTERED"
# A message being replayed stays invisible this long; one whose channel still fails reappears then.
REPLAY_VISIBILITY_SECONDS = 120


@dataclass(frozen=True)
class NotifierConfig:
    """The notification-formatter's environment, read once."""

    topic_arn: str
    event_bus_name: str
    idempotency_table: str
    dead_letter_queue_url: str
    # The console's address (https://...), for the chat message's link; "" without one.
    console_url: str = ""

    @classmethod
    def from_env(cls) -> NotifierConfig:
        def required(name: str) -> str:
            value = os.environ.get(name)
            if not value:
                raise ConfigError(f"environment variable {name} is required")
            return value

        return cls(
            topic_arn=required("TOPIC_ARN"),
            event_bus_name=os.environ.get("EVENT_BUS_NAME") or "default",
            idempotency_table=required("IDEMPOTENCY_TABLE"),
            dead_letter_queue_url=required("DEAD_LETTER_QUEUE_URL"),
            console_url=os.environ.get("CONSOLE_URL") or "",
        )


class _Channel:
    """A channel a status change goes out on: an injected client and where it sends (the topic, the
    event bus). ``payload(change)`` is what a dead letter keeps to send it again; ``send(payload)``
    delivers one, raising a domain error when the service refuses."""

    def __init__(self, client: Any, target: str):
        self.client = client
        self.target = target


class SnsPublisher(_Channel):
    """Publishes a status change to the topic (the target): a per-protocol JSON message with
    attributes (the e-mail's text for e-mail, the chat message for HTTPS subscribers such as Amazon Q
    Developer in chat applications; ``console_url`` for its link to the execution's page)."""

    def __init__(self, client: Any, target: str, console_url: str = ""):
        super().__init__(client, target)
        self.console_url = console_url

    def payload(self, change: StatusChange) -> dict[str, Any]:
        """The Publish parameters but the topic: what a dead letter keeps to send again."""
        message = build_notification(change, self.console_url)
        return {
            "Subject": message.subject,
            "Message": json.dumps(message.per_protocol(), ensure_ascii=False),
            "MessageStructure": "json",
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.attributes.items()
            },
        }

    def send(self, payload: dict[str, Any]) -> str:
        with translated("SNS", "Publish"):
            response = self.client.publish(TopicArn=self.target, **payload)
        return str(response["MessageId"])


class EventBusPublisher(_Channel):
    """Puts a status change on the event bus (the target, by name) as source ``drs-orchestrator``."""

    @staticmethod
    def payload(change: StatusChange) -> dict[str, Any]:
        """The PutEvents entry but the bus: what a dead letter keeps to send again."""
        return {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(event_detail(change), ensure_ascii=False),
        }

    def send(self, payload: dict[str, Any]) -> str:
        with translated("EventBridge", "PutEvents"):
            response = self.client.put_events(Entries=[{**payload, "EventBusName": self.target}])
        result = (response.get("Entries") or [{}])[0]
        if response.get("FailedEntryCount") or result.get("ErrorCode"):
            code = str(result.get("ErrorCode") or "Unknown")
            message = f"EventBridge rejected the event ({code}: {result.get('ErrorMessage', '')})"
            if code in TRANSIENT_CODES:
                raise TransientError(message)
            raise DependencyError(message, details={"code": code})
        return str(result.get("EventId", ""))


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that failed: everything needed to send it again, under the same idempotency key."""

    channel: str
    transition: dict[str, str]
    payload: dict[str, Any]
    error: dict[str, str]
    dead_lettered_at: str

    def delivery(self) -> dict[str, Any]:
        """The argument of the channel's idempotent send (its key: ``transition``)."""
        return {"transition": self.transition, "channel": self.channel, "payload": self.payload}

    def body(self) -> str:
        return json.dumps(
            {
                "channel": self.channel,
                "transition": self.transition,
                "payload": self.payload,
                "error": self.error,
                "deadLetteredAt": self.dead_lettered_at,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_body(cls, body: str) -> DeadLetter:
        """ValueError for a message that is not one (e.g. the stream's on-failure pointers)."""
        try:
            data = json.loads(body)
        except ValueError as e:
            raise ValueError("not JSON") from e
        if not isinstance(data, dict) or data.get("channel") not in CHANNELS:
            raise ValueError("not a dead-lettered notification")
        transition, payload = data.get("transition"), data.get("payload")
        if not isinstance(transition, dict) or not isinstance(payload, dict):
            raise ValueError("a dead-lettered notification without its transition or payload")
        return cls(
            channel=str(data["channel"]),
            transition={str(k): str(v) for k, v in transition.items()},
            payload=payload,
            error=dict(data.get("error") or {}),
            dead_lettered_at=str(data.get("deadLetteredAt", "")),
        )


@dataclass(frozen=True)
class QueuedMessage:
    receipt_handle: str
    body: str
    message_id: str


class DeadLetterQueue:
    """The stack's notification dead-letter queue (SQS) over an injected client."""

    def __init__(self, client: Any, queue_url: str):
        self.client = client
        self.queue_url = queue_url

    def send(self, letter: DeadLetter) -> str:
        with translated("SQS", "SendMessage"):
            response = self.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=letter.body(),
                MessageAttributes={"channel": {"DataType": "String", "StringValue": letter.channel}},
            )
        return str(response["MessageId"])

    def receive(self, visibility_timeout: int = REPLAY_VISIBILITY_SECONDS) -> list[QueuedMessage]:
        """Up to 10 messages, hidden from other readers for ``visibility_timeout`` seconds. Long
        polling (1 s) asks every SQS server, so an empty answer means an empty queue."""
        with translated("SQS", "ReceiveMessage"):
            response = self.client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=visibility_timeout,
                WaitTimeSeconds=1,
            )
        return [
            QueuedMessage(str(m["ReceiptHandle"]), str(m.get("Body", "")), str(m.get("MessageId", "")))
            for m in response.get("Messages", [])
        ]

    def delete(self, message: QueuedMessage) -> None:
        with translated("SQS", "DeleteMessage"):
            self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle)


@dataclass
class ReplayResult:
    """What a replay did: messages sent again (or found already delivered) and deleted, messages
    whose channel still failed (left on the queue), and messages that are no dead-lettered
    notification (left on the queue: the stream's on-failure pointers, see the README)."""

    delivered: int = 0
    failed: int = 0
    not_replayable: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "notReplayable": self.not_replayable}


class NotificationDelivery:
    """Delivers each transition once per channel: a redelivered stream batch, a retried invocation, a
    replay or a second consumer finds the channel's idempotency record and sends nothing again.
    The channels are independent: one that fails is dead-lettered and never costs the other."""

    def __init__(
        self,
        sns: SnsPublisher,
        events: EventBusPublisher,
        dead_letters: DeadLetterQueue,
        persistence: BasePersistenceLayer,
        *,
        idempotency: IdempotencyConfig | None = None,
        on_delivered: Callable[[StatusChange], None] | None = None,
        clock: Callable[[], Any] = system_clock,
    ):
        self.sns = sns
        self.events = events
        self.dead_letters = dead_letters
        self.on_delivered = on_delivered
        self.clock = clock
        # The key is the transition alone (not the payload): a dead letter replayed days later, with
        # the same transition, finds the record of a delivery that went through in the meantime.
        self.idempotency = idempotency or IdempotencyConfig(
            expires_after_seconds=IDEMPOTENCY_SECONDS, event_key_jmespath="transition"
        )
        once = idempotent_function(
            data_keyword_argument="delivery", persistence_store=persistence, config=self.idempotency
        )
        self._send: dict[str, Callable[..., dict[str, str]]] = {
            SNS: once(self.publish_message),
            EVENTBRIDGE: once(self.publish_event),
        }
        self._after_delivery: Callable[..., dict[str, str]] = once(self.after_delivery)

    @classmethod
    def from_config(
        cls, config: NotifierConfig, on_delivered: Callable[[StatusChange], None] | None = None
    ) -> NotificationDelivery:
        return cls(
            SnsPublisher(clients.client("sns"), config.topic_arn, config.console_url),
            EventBusPublisher(clients.client("events"), config.event_bus_name),
            DeadLetterQueue(clients.client("sqs"), config.dead_letter_queue_url),
            DynamoDBPersistenceLayer(
                table_name=config.idempotency_table, boto3_client=clients.client("dynamodb")
            ),
            on_delivered=on_delivered,
        )

    def register_context(self, context: LambdaContext) -> None:
        """Lets an invocation that times out mid-delivery be retried at once, not after the expiry."""
        self.idempotency.register_lambda_context(context)

    # The idempotent sends: their names are part of the idempotency key (one record per channel).
    def publish_message(self, *, delivery: dict[str, Any]) -> dict[str, str]:
        return {"messageId": self.sns.send(delivery["payload"])}

    def publish_event(self, *, delivery: dict[str, Any]) -> dict[str, str]:
        return {"eventId": self.events.send(delivery["payload"])}

    def after_delivery(self, *, delivery: dict[str, Any], change: StatusChange) -> dict[str, str]:
        if self.on_delivered is not None:
            self.on_delivered(change)
        return {}

    def deliver(self, change: StatusChange) -> dict[str, str]:
        """Both channels, each once per transition, then ``on_delivered`` (the metrics) once.

        A channel that still fails after its client's retries is dead-lettered and the transition
        counts as handled (``{"SNS": "DEAD_LETTERED", ...}``); the other channel is attempted all the
        same. Only when a dead letter cannot be written either does this raise (after trying both
        channels), so the stream retries the record: nothing is dropped without a trace."""
        key = change.transition_key()
        payloads = {SNS: self.sns.payload(change), EVENTBRIDGE: self.events.payload(change)}
        outcome: dict[str, str] = {}
        unrecorded: list[Exception] = []
        for channel in CHANNELS:
            try:
                outcome[channel] = self._deliver_or_dead_letter(channel, key, payloads[channel])
            except Exception as error:  # tried the other channel first; raised below
                unrecorded.append(error)
        if unrecorded:
            raise unrecorded[0]
        if self.on_delivered is not None:
            self._after_delivery(delivery={"transition": key}, change=change)
        logger.info("status change handled", extra={**key, **outcome})
        return outcome

    def _deliver_or_dead_letter(self, channel: str, key: dict[str, str], payload: dict[str, Any]) -> str:
        delivery = {"transition": key, "channel": channel, "payload": payload}
        try:
            self._send[channel](delivery=delivery)
            return DELIVERED
        except OrchestratorError as error:
            letter = DeadLetter(
                channel=channel,
                transition=key,
                payload=payload,
                error={"code": error.code, "message": error.message},
                dead_lettered_at=iso(self.clock()),
            )
            message_id = self.dead_letters.send(letter)
            logger.warning(
                "delivery dead-lettered",
                extra={**key, "channel": channel, "error": error.message, "deadLetterId": message_id},
            )
            return DEAD_LETTERED

    def replay(self, time_left: Callable[[], bool] = lambda: True) -> ReplayResult:
        """Drain the dead-letter queue: send each dead letter again under its own idempotency key
        (one already delivered is not sent twice), delete it once delivered, leave it on failure.
        Stops when the queue has nothing more to give or ``time_left()`` turns false."""
        result = ReplayResult()
        while time_left():
            messages = self.dead_letters.receive()
            if not messages:
                break
            for message in messages:
                try:
                    letter = DeadLetter.from_body(message.body)
                except ValueError:
                    result.not_replayable += 1
                    logger.warning(
                        "not a dead-lettered notification", extra={"messageId": message.message_id}
                    )
                    continue
                try:
                    self._send[letter.channel](delivery=letter.delivery())
                except (OrchestratorError, IdempotencyAlreadyInProgressError) as error:
                    result.failed += 1
                    logger.warning(
                        "replay failed; left on the queue",
                        extra={**letter.transition, "channel": letter.channel, "error": str(error)},
                    )
                    continue
                self.dead_letters.delete(message)
                result.delivered += 1
        logger.info("dead letters replayed", extra=result.to_dict())
        return result
