"""The DRS simulator over HTTP: a WSGI app speaking DRS's REST-JSON protocol as boto3 expects it.

Point boto3 at it with `AWS_ENDPOINT_URL_DRS=http://127.0.0.1:PORT` (or `endpoint_url=`). Each
operation is `POST <requestUri>` from botocore's service model with a JSON body. Errors carry the
`x-amzn-ErrorType` header and a `{"message": ...}` body (plus the error shape's members), and
ThrottlingException a `Retry-After` header, so botocore raises ClientError with DRS's codes.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from drs_sandbox.drs.errors import DrsApiError, internal_error
from drs_sandbox.drs.model import DrsSimulator
from drs_sandbox.drs.wire import SUPPORTED_OPERATIONS, operation_model, service_model

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger(__name__)


def _routes() -> dict[str, tuple[str, int]]:
    """requestUri -> (operation, success status) for the supported operations."""
    routes: dict[str, tuple[str, int]] = {}
    for name in SUPPORTED_OPERATIONS:
        http = operation_model(name).http
        routes[http["requestUri"]] = (name, int(http.get("responseCode", 200)))
    return routes


def _error_response(error: DrsApiError, request_id: str) -> Response:
    headers = {"x-amzn-ErrorType": error.code, "x-amzn-RequestId": request_id}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return Response(
        json.dumps(error.body()), status=error.http_status, headers=headers, content_type="application/json"
    )


def create_drs_app(sim: DrsSimulator) -> WSGIApplication:
    """A WSGI application serving `sim`; requests are serialized on the simulator's lock."""
    routes = _routes()
    # Every operation the DRS model knows, so an unsupported one gets a clear answer.
    known = {
        service_model().operation_model(n).http["requestUri"]: n for n in service_model().operation_names
    }

    @Request.application
    def app(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        route = routes.get(request.path) if request.method == "POST" else None
        if route is None:
            operation = known.get(request.path)
            message = (
                f"Operation {operation} is not supported by the DRS simulator"
                if operation
                else f"No DRS operation at {request.method} {request.path}"
            )
            return _error_response(DrsApiError("UnknownOperationException", message, 404), request_id)
        operation, status = route
        try:
            raw = request.get_data(cache=False)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DrsApiError(
                    "ValidationException",
                    f"Could not parse the request body as JSON: {exc}",
                    400,
                    extra={"reason": "cannotParse"},
                ) from exc
            with sim.lock:
                result = sim.dispatch(operation, body)
        except DrsApiError as error:
            logger.debug(
                "DRS error", extra={"operation": operation, "code": error.code, "error": error.message}
            )
            return _error_response(error, request_id)
        except Exception:
            logger.exception("DRS operation failed", extra={"operation": operation})
            return _error_response(internal_error(), request_id)
        headers = {"x-amzn-RequestId": request_id}
        if status == 204:
            return Response(status=204, headers=headers)
        return Response(json.dumps(result), status=status, headers=headers, content_type="application/json")

    return app
