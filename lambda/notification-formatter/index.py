"""notification-formatter: executions-table stream -> SNS message and EventBridge event per status change.

Records whose status did not change (poll progress, version bumps, termination bookkeeping) send
nothing. Each transition is delivered once per channel (idempotency keyed on the transition), each
channel independently: one that still fails after its retries goes, as a full message, to the
dead-letter queue, and the record counts as handled; then the transition is counted in the
CloudWatch metrics (EMF, orchestrator.notify.metrics), once too. Only a record whose dead letter could not
be written either is reported in ``batchItemFailures`` (the others are not held back); after the
event source's retries it is named (shard and sequence range) in the same queue.

Invoked with ``{"operation": "replay_notifications"}`` it drains the dead-letter queue instead: each
message is sent again under its own idempotency key, deleted on success, left on failure.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from orchestrator.notify.change import StatusChange
from orchestrator.notify.messages import status_change_from_record
from orchestrator.notify.metrics import emit_status_change
from orchestrator.notify.publisher import NotificationDelivery, NotifierConfig
from orchestrator.timeutil import iso, system_clock

logger = Logger()
tracer = Tracer()  # X-Ray segments with the SNS, EventBridge and DynamoDB calls; off outside Lambda
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
REPLAY = "replay_notifications"
# A replay stops taking messages when less than this is left of the invocation.
REPLAY_MARGIN_MS = 15_000


def record_metrics(change: StatusChange) -> None:
    """Called by the delivery once per transition, after both channels delivered it. A metric that
    cannot be emitted is logged, never a reason to retry a delivered notification."""
    try:
        emit_status_change(change, iso(system_clock()))
    except Exception:
        logger.exception("metrics not emitted", extra=change.transition_key())


@cache
def delivery() -> NotificationDelivery:
    """Built at first use, so the environment (table, topic, endpoints) is read then, not at import."""
    return NotificationDelivery.from_config(NotifierConfig.from_env(), on_delivered=record_metrics)


def record_handler(record: DynamoDBRecord) -> None:
    change = status_change_from_record(record.raw_event)
    if change is None:
        logger.debug("no status change", extra={"eventId": record.event_id})
        return
    logger.append_keys(executionId=change.execution_id)
    try:
        delivery().deliver(change)
    finally:
        logger.remove_keys(["executionId"])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | dict[str, int]:
    delivery().register_context(context)
    if event.get("operation") == REPLAY:
        result = delivery().replay(lambda: context.get_remaining_time_in_millis() > REPLAY_MARGIN_MS)
        return result.to_dict()
    if "Records" not in event:
        raise ValueError(f'expected a DynamoDB stream batch or {{"operation": "{REPLAY}"}}')
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
