"""Domain errors. Adapters turn AWS ClientErrors into these at the edge (``raise ... from e``)."""

from __future__ import annotations

from typing import Any


class OrchestratorError(Exception):
    """Base class: carries an error code and the HTTP status the API answers with."""

    http_status = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class BadRequestError(OrchestratorError):
    """The request is malformed (400)."""

    http_status = 400
    code = "BAD_REQUEST"


class NotFoundError(OrchestratorError):
    """The addressed resource does not exist (404)."""

    http_status = 404
    code = "NOT_FOUND"


class ConflictError(OrchestratorError):
    """The request conflicts with the current state (409)."""

    http_status = 409
    code = "CONFLICT"


class ValidationFailedError(OrchestratorError):
    """Well-formed but invalid (422)."""

    http_status = 422
    code = "VALIDATION_FAILED"


class TransientError(OrchestratorError):
    """A dependency failed in a way worth retrying (throttling, timeouts, 5xx).

    Step Functions retries this error name (see the ASL Retry blocks).
    """

    http_status = 503
    code = "SERVICE_UNAVAILABLE"


class DependencyError(OrchestratorError):
    """A dependency refused the request for a reason retrying will not fix."""

    http_status = 502
    code = "DEPENDENCY_FAILED"


class CapacityError(DependencyError):
    """DRS has no room for more jobs or servers now (a service quota); waiting frees it."""

    code = "DRS_QUOTA_EXCEEDED"


class PermissionDeniedError(DependencyError):
    """A call was denied by IAM. Not a passing fault: the message names the call."""

    code = "PERMISSION_DENIED"


class StaleWriteError(OrchestratorError):
    """A conditional write lost a race: the item changed since it was read."""

    http_status = 409
    code = "CONFLICT"
