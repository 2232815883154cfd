"""Lazily created, cached boto3 clients.

Endpoints come only from the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
variables that botocore reads itself; nothing here knows where they point.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

_RETRIES = BotoConfig(
    retries={"mode": "adaptive", "max_attempts": 8},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=20,
)
# A runbook's LAMBDA action is invoked synchronously and may run for minutes; an invocation is
# never repeated by botocore (a retry would run the action twice: attempts are the runbook's).
_INVOKE = BotoConfig(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=5, read_timeout=870)
# Who acted is looked up in the user pool during an operator's request: a short wait, a few tries
# (the request records the user by sub and role if the pool cannot be asked).
_USERS = BotoConfig(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5, max_pool_connections=5
)
# A notification is published from a stream consumer: a few quick attempts, then the delivery is
# dead-lettered (orchestrator.notify.publisher) rather than holding the shard for minutes of backoff.
_DELIVERY = BotoConfig(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=5, read_timeout=10
)
# Prices are asked while an API request waits (the execution detail): a short wait, few tries; an
# unanswered price is "unknown" for that answer, never cached, and asked again next time.
_PRICING = BotoConfig(
    retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=5, max_pool_connections=5
)
# Reports: presigned links are signed with Signature Version 4 (what every Region accepts).
_S3 = _RETRIES.merge(BotoConfig(signature_version="s3v4"))
_CONFIGS = {
    "s3": _S3,
    "lambda": _INVOKE,
    "cognito-idp": _USERS,
    "sns": _DELIVERY,
    "events": _DELIVERY,
    "sqs": _DELIVERY,
    "pricing": _PRICING,
}
# The Price List Query API answers in a few Regions only (us-east-1 and ap-south-1 among them): its
# client is made there whatever the stack's Region (AWS_ENDPOINT_URL_PRICING still wins).
_REGIONS = {"pricing": lambda: os.environ.get("PRICING_REGION") or "us-east-1"}
_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The process-wide client for ``service``, created at first use. Each adapter states the type of
    the client it takes (the boto3 stubs' DrsClient, SFNClient, ...), which types its calls."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            config = _CONFIGS.get(service, _RETRIES)
            region = _REGIONS[service]() if service in _REGIONS else None
            _clients[service] = boto3.session.Session().client(  # type: ignore[call-overload]
                service, config=config, region_name=region
            )
        return _clients[service]


def reset() -> None:
    """Forget every client, so the next use reads the environment again (after it changed)."""
    with _lock:
        _clients.clear()
