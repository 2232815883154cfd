"""One translator from botocore errors to domain errors, for every adapter (DRS, EC2, Step Functions).

Passing faults (throttling, 5xx (by code or HTTP status), timeouts, connection errors) become TransientError, which the state
machine retries; a denied call becomes PermissionDeniedError naming the call; service-specific codes
are mapped by the adapter; anything else is a DependencyError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.exceptions import DependencyError, OrchestratorError, PermissionDeniedError, TransientError

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "InternalException",
        "InternalErrorException",
        "KMSThrottlingException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure", "UnauthorizedException"}
)

# code -> a factory of the domain error, given the message to use.
SpecificErrors = Mapping[str, Callable[[str], OrchestratorError]]


def translate(
    error: ClientError | BotoCoreError, service: str, operation: str, specific: SpecificErrors | None = None
) -> OrchestratorError:
    """The domain error for a failed call of ``service`` ``operation``; always a new exception
    (raise it ``from error``)."""
    call = f"{service} {operation}"
    if isinstance(error, BotoCoreError):
        return TransientError(f"{call} could not be reached: {error}")
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code in TRANSIENT_CODES:
        return TransientError(f"{call} is throttled or unavailable ({code})")
    if code in DENIED_CODES:
        return PermissionDeniedError(
            f"permission denied: {call} ({code}){': ' + message if message else ''}",
            details={"service": service, "operation": operation, "errorCode": code},
        )
    if specific and code in specific:
        return specific[code](f"{call}: {message or code}")
    if int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500:
        # A service's own fault, whatever it calls it: passing, like the codes above.
        return TransientError(f"{call} is unavailable ({code or 'HTTP 5xx'})")
    return DependencyError(
        f"{call} failed ({code}){': ' + message if message else ''}",
        code=f"{service.upper().replace(' ', '_')}_ERROR",
    )


@contextmanager
def translated(service: str, operation: str, specific: SpecificErrors | None = None) -> Iterator[None]:
    """The block calls ``service`` ``operation``: a botocore error it raises leaves it as the domain
    error ``translate`` makes of it (raised from the botocore one)."""
    try:
        yield
    except (ClientError, BotoCoreError) as e:
        raise translate(e, service, operation, specific) from e
