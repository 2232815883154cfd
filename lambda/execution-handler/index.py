"""execution-handler: one entry point for API Gateway, Step Functions and the EventBridge schedule.

Routing is by the event's shape; the work happens in the shared layer.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orchestrator.api.app import resolve_api_event
from orchestrator.deps import default_deps
from orchestrator.exceptions import TransientError
from orchestrator.operations.dispatch import run_operation

logger = Logger()
# X-Ray: a segment per invocation, a subsegment per AWS call (botocore patched), annotated with the
# operation and the execution so that traces are found by them. Off outside Lambda.
tracer = Tracer()


def _is_api_event(event: dict[str, Any]) -> bool:
    return "httpMethod" in event and "requestContext" in event


def _is_schedule_event(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def _execution_id(event: dict[str, Any]) -> str | None:
    """A Step Functions task's state.executionId, or an execution route's {executionId}."""
    state, path = event.get("state") or {}, event.get("pathParameters") or {}
    found = state.get("executionId") or path.get("executionId")
    return str(found) if found else None


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    execution_id = _execution_id(event)
    if execution_id:
        tracer.put_annotation("executionId", execution_id)
    if _is_api_event(event):
        tracer.put_annotation("operation", "api")
        return resolve_api_event(event, context)
    if _is_schedule_event(event):
        logger.append_keys(operation="find")
        tracer.put_annotation("operation", "find")
        return run_operation(default_deps(), {"operation": "find"})
    if "operation" in event:
        logger.append_keys(operation=event["operation"], executionId=execution_id)
        tracer.put_annotation("operation", str(event["operation"]))
        try:
            return run_operation(default_deps(), event)
        except TransientError:
            # Raised by name so the state machine's Retry on "TransientError" applies.
            logger.warning("transient failure", exc_info=True)
            raise
    logger.error("unrecognised event", extra={"keys": sorted(event)})
    raise ValueError("unrecognised event: expected an API Gateway request, a scheduled event or an operation")
