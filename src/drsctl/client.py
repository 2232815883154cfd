"""The REST API client: JSON over HTTP, SigV4-signed for AWS endpoints, one exception per failure."""

from __future__ import annotations

import difflib
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
DEFAULT_TIMEOUT = 30.0
FULL_EXECUTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ID_PREFIX = re.compile(r"^[0-9a-f]{4}[0-9a-f-]{0,31}$")  # like git: at least 4 characters

# Retries of a throttled (429) or failed (5xx) answer: exponential backoff with full jitter, bounded
# in attempts and in each wait; a Retry-After the API sends is honoured (up to RETRY_AFTER_CAP).
# A POST (it starts or changes something) is retried only when the API says it did nothing: 429, 503.
MAX_ATTEMPTS = 4
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 30.0
RETRIED_STATUSES = {429, 500, 502, 503, 504}
RETRIED_POST_STATUSES = {429, 503}

log = logging.getLogger("drsctl")


class DrsctlError(Exception):
    """Anything that stops a command: printed as one line, exit status 1."""

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CLIENT_ERROR", "message": str(self)}}


class ConnectionFailed(DrsctlError):
    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CONNECTION_FAILED", "message": str(self)}}


class AmbiguousId(DrsctlError):
    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "AMBIGUOUS_ID", "message": str(self)}}


class ApiError(DrsctlError):
    """The API answered with an error: its HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{message} (HTTP {status} {code})")
        self.status, self.code, self.message, self.details = status, code, message, details

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def region_of(host: str) -> str:
    found = EXECUTE_API_HOST.search(host)
    if found:
        return found.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class SigV4Signer:
    """Signs requests to API Gateway with the caller's AWS credentials (botocore's default chain)."""

    def __init__(self, region: str, credentials: Any = None, aws_profile: str | None = None) -> None:
        self.region = region
        self._credentials = credentials
        self.aws_profile = aws_profile

    def headers(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import BotoCoreError
        from botocore.session import Session

        from drsctl.settings import credentials_problem

        try:
            credentials = self._credentials or Session(profile=self.aws_profile).get_credentials()
            if credentials is None:
                raise DrsctlError(
                    "no AWS credentials found to sign the request: run `aws configure` (or `aws sso "
                    "login`), or set AWS_PROFILE or --profile"
                )
            frozen = credentials.get_frozen_credentials()
        except BotoCoreError as e:
            problem = credentials_problem(e, self.aws_profile)
            if problem is None:
                raise DrsctlError(f"cannot load AWS credentials: {e}") from e
            raise problem from e
        request = AWSRequest(
            method=method, url=url, data=body or b"", headers={"Content-Type": "application/json"}
        )
        SigV4Auth(frozen, "execute-api", self.region).add_auth(request)
        return dict(request.headers.items())


class ApiClient:
    def __init__(
        self,
        endpoint: str,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        signer: SigV4Signer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        max_attempts: int = MAX_ATTEMPTS,
        region: str | None = None,
        aws_profile: str | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise DrsctlError(f"the endpoint must be an http(s) URL, got {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        local = parts.hostname in LOCAL_HOSTS
        self.sleep, self.jitter, self.max_attempts = sleep, jitter, max(1, max_attempts)
        host_region = EXECUTE_API_HOST.search(parts.hostname)
        self.signer = (
            signer
            if signer is not None
            else None
            if local
            else SigV4Signer(
                host_region.group(1) if host_region else region or region_of(parts.hostname),
                aws_profile=aws_profile,
            )
        )

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._send(method, path, body, params, "application/json")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as e:
            raise ApiError(
                response.status_code, "BAD_RESPONSE", "the API answered with something that is not JSON"
            ) from e

    def get_text(self, path: str, params: dict[str, Any] | None = None) -> str:
        """A GET whose answer is not JSON (the HTML report)."""
        return self._send("GET", path, None, params, "text/html").text

    def _send(
        self, method: str, path: str, body: Any, params: dict[str, Any] | None, accept: str
    ) -> requests.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.endpoint + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        retried = RETRIED_POST_STATUSES if method == "POST" else RETRIED_STATUSES
        attempt = 1
        while True:
            headers = {"Content-Type": "application/json", "Accept": accept}
            if self.signer is not None:  # signed again for each attempt (the signature has a time)
                headers.update(self.signer.headers(method, url, data))
            started = time.monotonic()
            try:
                response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout)
            except requests.exceptions.Timeout as e:
                raise ConnectionFailed(
                    f"{self.endpoint} did not answer within {self.timeout:g} s: check the endpoint "
                    "(--endpoint, --stack, --profile) and your network"
                ) from e
            except requests.exceptions.RequestException as e:
                raise ConnectionFailed(
                    f"cannot reach {self.endpoint} ({type(e).__name__}): check the endpoint "
                    "(--endpoint, --stack or the config file) and your network, or start the sandbox "
                    "(drsctl sandbox)"
                ) from e
            log.debug(
                "%s %s -> %s in %.2f s (attempt %d)",
                method,
                url,
                response.status_code,
                time.monotonic() - started,
                attempt,
            )
            if response.status_code in retried and attempt < self.max_attempts:
                delay = self.backoff(attempt, response.headers.get("Retry-After"))
                log.debug("retrying %s %s in %.2f s", method, url, delay)
                self.sleep(delay)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise self._error(response)
            return response

    def backoff(self, attempt: int, retry_after: str | None) -> float:
        """How long to wait before attempt `attempt + 1`: the API's Retry-After when it sends one,
        else a random share (full jitter) of an exponentially growing, capped wait."""
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            return min(asked, RETRY_AFTER_CAP)
        return float(self.jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1)))

    @staticmethod
    def _error(response: requests.Response) -> ApiError:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if error.get("code"):
            return ApiError(
                response.status_code, str(error["code"]), str(error.get("message", "")), error.get("details")
            )
        if response.status_code >= 500:
            return ApiError(response.status_code, "SERVER_ERROR", "the API failed to answer; try again later")
        # API Gateway's refusal of an expired signature: its error type header when it sends one, else
        # its {"message"} body (it has no error code of ours).
        error_type = response.headers.get("x-amzn-ErrorType", "")
        if response.status_code == 403 and (
            error_type.startswith("ExpiredToken") or "expired" in _gateway_message(response).lower()
        ):
            return ApiError(
                403,
                "EXPIRED_CREDENTIALS",
                "your AWS credentials have expired: renew them (`aws sso login`, or new keys) and try again",
            )
        if response.status_code == 403:
            return ApiError(
                403,
                "FORBIDDEN",
                "the API refused the request: check your AWS credentials and IAM permissions",
            )
        return ApiError(response.status_code, "HTTP_ERROR", response.reason or "request failed")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    # ---------------------------------------------------------------- lookups
    def plans(self) -> list[dict[str, Any]]:
        return list(self.get("/recovery-plans")["items"])

    def groups(self) -> list[dict[str, Any]]:
        return list(self.get("/protection-groups")["items"])

    def resolve_plan(self, name_or_id: str) -> dict[str, Any]:
        return _resolve(self.plans(), name_or_id, "planId", "recovery plan")

    def resolve_group(self, name_or_id: str) -> dict[str, Any]:
        return _resolve(self.groups(), name_or_id, "groupId", "protection group")

    def executions(self, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every execution of GET /executions (all its pages), newest first."""
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.get("/executions", {**(params or {}), "limit": 100, "nextToken": token})
            found += page["items"]
            token = page.get("nextToken")
            if not token:
                return found

    def resolve_execution(self, id_or_prefix: str) -> str:
        """A whole execution id, or the one id a prefix starts (like git); an ambiguous prefix is one
        line naming the candidates."""
        given = id_or_prefix.strip().lower()
        if FULL_EXECUTION_ID.match(given) or not ID_PREFIX.match(given):
            return id_or_prefix
        candidates = [e["executionId"] for e in self.executions() if e["executionId"].startswith(given)]
        if not candidates:  # the API says what it knows of it (404 EXECUTION_NOT_FOUND)
            return id_or_prefix
        if len(candidates) > 1:
            shown = ", ".join(candidates[:10]) + (
                f" and {len(candidates) - 10} more" if len(candidates) > 10 else ""
            )
            raise AmbiguousId(
                f"execution id prefix {id_or_prefix!r} is ambiguous: {len(candidates)} executions start "
                f"with it ({shown}); give more characters"
            )
        return str(candidates[0])


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number of seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _gateway_message(response: requests.Response) -> str:
    """API Gateway's own refusals are {"message": "..."} (no error code)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message") or body.get("Message") or "") if isinstance(body, dict) else ""


def did_you_mean(name: str, names: list[str]) -> str:
    """``; did you mean 3TierRecoveryPlan?`` for a near miss (difflib), "" otherwise."""
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(by_lower[c]) for c in close) + "?"


def _resolve(items: list[dict[str, Any]], name_or_id: str, key: str, label: str) -> dict[str, Any]:
    for item in items:
        if item[key] == name_or_id:
            return item
    matches = [i for i in items if str(i.get("name", "")).lower() == name_or_id.lower()]
    if not matches:
        hint = did_you_mean(name_or_id, [str(i.get("name", "")) for i in items])
        raise DrsctlError(f"no {label} named or with id {name_or_id!r}{hint}")
    return matches[0]
