"""Where status-change notifications go: an SNS topic and an EventBridge bus, each over an injected
client, and the exactly-once delivery of one transition (Powertools idempotency, one record per
channel, so a retry after a half-done delivery does not send the first half again)."""

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
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from orchestrator import clients
from orchestrator.aws_errors import TRANSIENT_CODES, translate
from orchestrator.config import ConfigError
from orchestrator.exceptions import DependencyError, TransientError
from orchestrator.notifications import (
    DETAIL_TYPE,
    SOURCE,
    StatusChange,
    build_notification,
    event_detail,
)

logger = logging.getLogger(__name__)

# Stream records live 24 hours and may be retried for as long; remember deliveries a little longer.
IDEMPOTENCY_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class NotifierConfig:
    """The notification-formatter's environment, read once."""

    topic_arn: str
    event_bus_name: str
    idempotency_table: str

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
        )


class SnsPublisher:
    """Publishes a status change to the topic: a per-protocol JSON message with attributes."""

    def __init__(self, client: Any, topic_arn: str):
        self.client = client
        self.topic_arn = topic_arn

    def publish(self, change: StatusChange) -> str:
        message = build_notification(change)
        attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in message.attributes.items()
        }
        try:
            response = self.client.publish(
                TopicArn=self.topic_arn,
                Subject=message.subject,
                Message=json.dumps(message.per_protocol(), ensure_ascii=False),
                MessageStructure="json",
                MessageAttributes=attributes,
            )
        except (ClientError, BotoCoreError) as e:
            raise translate(e, "SNS", "Publish") from e
        return str(response["MessageId"])


class EventBusPublisher:
    """Puts a status change on the event bus as source ``drs-orchestrator``."""

    def __init__(self, client: Any, event_bus_name: str):
        self.client = client
        self.event_bus_name = event_bus_name

    def entry(self, change: StatusChange) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(event_detail(change), ensure_ascii=False),
            "EventBusName": self.event_bus_name,
        }

    def put(self, change: StatusChange) -> str:
        try:
            response = self.client.put_events(Entries=[self.entry(change)])
        except (ClientError, BotoCoreError) as e:
            raise translate(e, "EventBridge", "PutEvents") from e
        result = (response.get("Entries") or [{}])[0]
        if response.get("FailedEntryCount") or result.get("ErrorCode"):
            code = str(result.get("ErrorCode") or "Unknown")
            message = f"EventBridge rejected the event ({code}: {result.get('ErrorMessage', '')})"
            if code in TRANSIENT_CODES:
                raise TransientError(message)
            raise DependencyError(message, details={"code": code})
        return str(result.get("EventId", ""))


class NotificationDelivery:
    """Delivers each transition once per channel: a redelivered stream batch, a retried invocation or
    a second consumer finds the transition's idempotency record and sends nothing again."""

    def __init__(
        self,
        sns: SnsPublisher,
        events: EventBusPublisher,
        persistence: BasePersistenceLayer,
        idempotency: IdempotencyConfig | None = None,
        on_delivered: Callable[[StatusChange], None] | None = None,
    ):
        self.sns = sns
        self.events = events
        self.on_delivered = on_delivered
        self.idempotency = idempotency or IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_SECONDS)
        once = idempotent_function(
            data_keyword_argument="transition", persistence_store=persistence, config=self.idempotency
        )
        self._publish_message: Callable[..., dict[str, str]] = once(self.publish_message)
        self._publish_event: Callable[..., dict[str, str]] = once(self.publish_event)
        self._after_delivery: Callable[..., dict[str, str]] = once(self.after_delivery)

    @classmethod
    def from_config(
        cls, config: NotifierConfig, on_delivered: Callable[[StatusChange], None] | None = None
    ) -> NotificationDelivery:
        return cls(
            SnsPublisher(clients.client("sns"), config.topic_arn),
            EventBusPublisher(clients.client("events"), config.event_bus_name),
            DynamoDBPersistenceLayer(
                table_name=config.idempotency_table, boto3_client=clients.client("dynamodb")
            ),
            on_delivered=on_delivered,
        )

    def register_context(self, context: LambdaContext) -> None:
        """Lets an invocation that times out mid-delivery be retried at once, not after the expiry."""
        self.idempotency.register_lambda_context(context)

    def publish_message(self, *, transition: dict[str, str], change: StatusChange) -> dict[str, str]:
        return {"messageId": self.sns.publish(change)}

    def publish_event(self, *, transition: dict[str, str], change: StatusChange) -> dict[str, str]:
        return {"eventId": self.events.put(change)}

    def after_delivery(self, *, transition: dict[str, str], change: StatusChange) -> dict[str, str]:
        if self.on_delivered is not None:
            self.on_delivered(change)
        return {}

    def deliver(self, change: StatusChange) -> dict[str, str]:
        """Both channels, then ``on_delivered`` (the metrics): each once per transition, so a
        redelivered transition neither notifies nor counts twice."""
        key = change.transition_key()
        result = {
            **self._publish_message(transition=key, change=change),
            **self._publish_event(transition=key, change=change),
        }
        if self.on_delivered is not None:
            self._after_delivery(transition=key, change=change)
        logger.info("status change delivered", extra={**key, **result})
        return result
