"""The SSM simulator over HTTP: a WSGI app speaking SSM's awsJson1.1 protocol as boto3 expects it.

Point boto3 at it with `AWS_ENDPOINT_URL_SSM=http://127.0.0.1:PORT` (or `endpoint_url=`). Every
operation is `POST /` with `X-Amz-Target: AmazonSSM.<Operation>` and a JSON body
(`application/x-amz-json-1.1`); signatures are not checked. Errors are a 4xx/5xx with
`{"__type": code, "Message": ...}`, so botocore raises ClientError with SSM's codes (an operation
the simulator does not implement: 400 UnknownOperationException). Timestamps are epoch seconds,
which botocore parses for awsJson.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from drs_sandbox.ssm.model import SUPPORTED_OPERATIONS, SsmApiError, SsmSimulator, service_model

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AmazonSSM"


def _error_response(error: SsmApiError, request_id: str) -> Response:
    body = {"__type": error.code, "Message": error.message}
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.code}
    return Response(json.dumps(body), status=error.http_status, headers=headers, content_type=CONTENT_TYPE)


def create_ssm_app(sim: SsmSimulator) -> WSGIApplication:
    """A WSGI application serving `sim`."""
    known = set(service_model().operation_names)

    @Request.application
    def app(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target", "")
        prefix, _, operation = target.partition(".")
        try:
            if request.method != "POST" or request.path != "/" or prefix != TARGET_PREFIX or not operation:
                raise SsmApiError(
                    "UnknownOperationException",
                    f"No SSM operation at {request.method} {request.path} with X-Amz-Target {target!r}",
                )
            if operation not in SUPPORTED_OPERATIONS:
                message = (
                    f"Operation {operation} is not supported by the SSM simulator "
                    f"(supported: {', '.join(SUPPORTED_OPERATIONS)})"
                    if operation in known
                    else f"Unknown operation {operation}"
                )
                raise SsmApiError("UnknownOperationException", message)
            raw = request.get_data(cache=False)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SsmApiError(
                    "SerializationException", f"Could not parse the request body: {exc}"
                ) from exc
            result = sim.dispatch(operation, body)
        except SsmApiError as error:
            logger.debug("SSM error", extra={"target": target, "code": error.code, "error": error.message})
            return _error_response(error, request_id)
        except Exception:
            logger.exception("SSM operation failed", extra={"target": target})
            return _error_response(
                SsmApiError("InternalServerError", "An internal error occurred", 500), request_id
            )
        return Response(
            json.dumps(result),
            status=200,
            headers={"x-amzn-RequestId": request_id},
            content_type=CONTENT_TYPE,
        )

    return app
