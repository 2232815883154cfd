"""The REST API client: JSON over HTTP, SigV4-signed for AWS endpoints, one exception per failure."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
DEFAULT_TIMEOUT = 30.0


class DrsctlError(Exception):
    """Anything that stops a command: printed as one line, exit status 1."""

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CLIENT_ERROR", "message": str(self)}}


class ConnectionFailed(DrsctlError):
    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CONNECTION_FAILED", "message": str(self)}}


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

    def __init__(self, region: str, credentials: Any = None) -> None:
        self.region = region
        self._credentials = credentials

    def headers(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import Session

        credentials = self._credentials or Session().get_credentials()
        if credentials is None:
            raise DrsctlError(
                "no AWS credentials found to sign the request (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
            )
        request = AWSRequest(
            method=method, url=url, data=body or b"", headers={"Content-Type": "application/json"}
        )
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        return dict(request.headers.items())


class ApiClient:
    def __init__(
        self,
        endpoint: str,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        signer: SigV4Signer | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise DrsctlError(f"the endpoint must be an http(s) URL, got {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        local = parts.hostname in LOCAL_HOSTS
        self.signer = (
            signer if signer is not None else (None if local else SigV4Signer(region_of(parts.hostname)))
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
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.signer is not None:
            headers.update(self.signer.headers(method, url, data))
        try:
            response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout)
        except requests.exceptions.Timeout as e:
            raise ConnectionFailed(f"{self.endpoint} did not answer within {self.timeout:g} s") from e
        except requests.exceptions.RequestException as e:
            raise ConnectionFailed(f"cannot reach {self.endpoint}: {type(e).__name__}") from e
        if response.status_code >= 400:
            raise self._error(response)
        return response

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


def _resolve(items: list[dict[str, Any]], name_or_id: str, key: str, label: str) -> dict[str, Any]:
    for item in items:
        if item[key] == name_or_id:
            return item
    matches = [i for i in items if str(i.get("name", "")).lower() == name_or_id.lower()]
    if not matches:
        raise DrsctlError(f"no {label} named or with id {name_or_id!r}")
    return matches[0]
