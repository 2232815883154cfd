"""Domain errors. Adapters turn AWS ClientErrors into these at the edge (``raise ... from e``)."""

from __future__ import annotations

from typing import Any


class OrchestratorError(Exception):
    """Base class: carries an error code and the HTTP status the API answers with. A subclass states
    its own in its header: ``class NotFoundError(OrchestratorError, http_status=404, code="NOT_FOUND")``."""

    http_status = 500
    code = "INTERNAL_ERROR"

    def __init_subclass__(
        cls, *, http_status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if http_status is not None:
            cls.http_status = http_status
        if code is not None:
            cls.code = code

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


class BadRequestError(OrchestratorError, http_status=400, code="BAD_REQUEST"):
    """The request is malformed (400)."""


class NotFoundError(OrchestratorError, http_status=404, code="NOT_FOUND"):
    """The addressed resource does not exist (404)."""


class ConflictError(OrchestratorError, http_status=409, code="CONFLICT"):
    """The request conflicts with the current state (409)."""


class ValidationFailedError(OrchestratorError, http_status=422, code="VALIDATION_FAILED"):
    """Well-formed but invalid (422)."""


class TransientError(OrchestratorError, http_status=503, code="SERVICE_UNAVAILABLE"):
    """A dependency failed in a way worth retrying (throttling, timeouts, 5xx).

    Step Functions retries this error name (see the ASL Retry blocks).
    """


class DependencyError(OrchestratorError, http_status=502, code="DEPENDENCY_FAILED"):
    """A dependency refused the request for a reason retrying will not fix."""


class CapacityError(DependencyError, code="DRS_QUOTA_EXCEEDED"):
    """DRS has no room for more jobs or servers now (a service quota); waiting frees it."""


class PermissionDeniedError(DependencyError, code="PERMISSION_DENIED"):
    """A call was denied by IAM. Not a passing fault: the message names the call."""


class StaleWriteError(OrchestratorError, http_status=409, code="CONFLICT"):
    """A conditional write lost a race: the item changed since it was read."""
