"""The REST API on Powertools' REST resolver: the paths, bodies and errors README.md states as the
contract (scripts/gen_openapi.py writes them out as docs/openapi.json).

The routes live in api/routes/, one module (and Powertools Router) per resource, each declared once
with its schemas (api/contract.py). Every error is `{"error": {"code", "message"}}` with 400, 404,
409 or 422.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from orchestrator.api.contract import json_response
from orchestrator.api.routes import ROUTERS
from orchestrator.exceptions import OrchestratorError

logger = logging.getLogger(__name__)

app = APIGatewayRestResolver()
for _router in ROUTERS:
    app.include_router(_router)


def _error(status: int, code: str, message: str) -> Response[str]:
    return json_response(status, {"error": {"code": code, "message": message}})


@app.exception_handler(OrchestratorError)  # type: ignore[untyped-decorator]
def _domain_error(error: OrchestratorError) -> Response[str]:
    if error.http_status >= 500:
        logger.warning("dependency failure", extra={"code": error.code, "error": error.message})
    return json_response(error.http_status, error.to_body())


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return _error(500, "INTERNAL_ERROR", "the request could not be completed; see the function's logs")


@app.not_found
def _not_found(_exc: Exception) -> Response[str]:
    event = app.current_event
    return _error(404, "ROUTE_NOT_FOUND", f"no route {event.http_method} {event.path}")


def resolve_api_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point of execution-handler for API Gateway proxy events."""
    return app.resolve(event, context)
