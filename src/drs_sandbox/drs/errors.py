"""DRS API errors, raised by the simulator and rendered by the WSGI app in DRS's wire format."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session

# HTTP status of each error code, as botocore's DRS service model declares it.
ERROR_STATUS: dict[str, int] = {
    "ValidationException": 400,
    "UninitializedAccountException": 400,
    "ServiceQuotaExceededException": 402,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}


class DrsApiError(Exception):
    """An error answered by the DRS API.

    `extra` holds the modeled members of the error shape other than `message`
    (`reason`/`fieldList` for ValidationException, `resourceId`/`resourceType` for
    ResourceNotFoundException and ConflictException, `serviceCode`/`quotaCode` for
    ServiceQuotaExceededException). `retry_after` becomes the `Retry-After` header.
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
        self.extra: dict[str, Any] = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON error body: `message` plus the modeled members."""
        return {"message": self.message, **self.extra}


def validation_error(
    message: str,
    reason: str = "fieldValidationFailed",
    fields: list[dict[str, str]] | None = None,
) -> DrsApiError:
    extra: dict[str, Any] = {"code": "ValidationException", "reason": reason}
    if fields:
        extra["fieldList"] = fields
    return DrsApiError("ValidationException", message, 400, extra=extra)


def not_found(resource_type: str, resource_id: str, message: str | None = None) -> DrsApiError:
    return DrsApiError(
        "ResourceNotFoundException",
        message or f"{resource_type} {resource_id} not found",
        404,
        extra={"code": "ResourceNotFoundException", "resourceId": resource_id, "resourceType": resource_type},
    )


def conflict(resource_type: str, resource_id: str, message: str) -> DrsApiError:
    return DrsApiError(
        "ConflictException",
        message,
        409,
        extra={"code": "ConflictException", "resourceId": resource_id, "resourceType": resource_type},
    )


def quota_exceeded(message: str, quota_code: str, resource_type: str = "JOB") -> DrsApiError:
    return DrsApiError(
        "ServiceQuotaExceededException",
        message,
        402,
        extra={
            "code": "ServiceQuotaExceededException",
            "serviceCode": "drs",
            "quotaCode": quota_code,
            "resourceType": resource_type,
        },
    )


def throttled(retry_after: int = 1) -> DrsApiError:
    return DrsApiError(
        "ThrottlingException",
        "Rate exceeded",
        429,
        retry_after=retry_after,
        extra={"serviceCode": "drs"},
    )


def uninitialized() -> DrsApiError:
    return DrsApiError(
        "UninitializedAccountException",
        "Account is not initialized. Initialize AWS Elastic Disaster Recovery in this Region first.",
        400,
        extra={"code": "UninitializedAccountException"},
    )


def internal_error(message: str = "An internal error occurred") -> DrsApiError:
    return DrsApiError("InternalServerException", message, 500)


def access_denied(operation_name: str) -> DrsApiError:
    return DrsApiError(
        "AccessDeniedException",
        f"User is not authorized to perform: drs:{operation_name}",
        403,
        extra={"code": "AccessDeniedException"},
    )


# Errors every AWS API may answer whatever its model lists (IAM's refusal: AWS's "common errors").
COMMON_ERRORS = frozenset({"AccessDeniedException"})


@cache
def declared_errors(operation: str) -> frozenset[str]:
    """The error codes botocore's DRS model declares for ``operation``, plus the common ones."""
    model = botocore.session.get_session().get_service_model("drs")
    return COMMON_ERRORS | {shape.name for shape in model.operation_model(operation).error_shapes}


def as_declared(operation: str, error: DrsApiError) -> DrsApiError:
    """The error as ``operation`` may answer it: itself when its model declares the code, else the
    declared error that says the same to a caller. DRS answers an unknown id in a request (a source
    server to recover, a job to read, an instance to terminate) with the errors of the operation:
    ValidationException where it has one, else ConflictException (the request conflicts with what
    the account holds); it never answers an error botocore's model lacks for the operation."""
    declared = declared_errors(operation)
    if error.code in declared:
        return error
    resource = {k: error.extra[k] for k in ("resourceId", "resourceType") if k in error.extra}
    if "ValidationException" in declared:
        fields = error.extra.get("fieldList") or (
            [{"name": str(resource["resourceType"]), "message": error.message}] if resource else None
        )
        return validation_error(
            error.message, str(error.extra.get("reason") or "fieldValidationFailed"), fields
        )
    if "ConflictException" in declared:
        return conflict(
            str(resource.get("resourceType", "REQUEST")), str(resource.get("resourceId", "")), error.message
        )
    return internal_error(error.message)
