"""A thin typed layer over the DynamoDB low-level client: (de)serialisation, update expressions,
pagination and batching. Stores build on it; nothing here knows about executions."""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, WriteRequestTypeDef

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from orchestrator.aws import errors as aws_errors
from orchestrator.exceptions import (
    DependencyError,
    OrchestratorError,
    StaleWriteError,
    TransientError,
    ValidationFailedError,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# Concurrent BatchWriteItem calls of one bulk write (boto3 clients are thread-safe).
BATCH_WRITE_CONCURRENCY = 8
# CancellationReasons codes of a cancelled transaction worth retrying.
_TRANSIENT_REASONS = {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"}
_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")

Item = dict[str, Any]


def to_python(value: Any) -> Any:
    """Decimals to int/float, sets to sorted lists: plain JSON-able Python."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, set):
        return sorted(to_python(v) for v in value)
    return value


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> Item:
    return {k: to_python(_deserializer.deserialize(v)) for k, v in item.items()}


def translate(error: ClientError) -> OrchestratorError:
    """The domain error of a DynamoDB ClientError (callers ``raise translate(e) from e``; the
    ClientError itself is never returned, so it stays the __cause__ and never reaches a caller).

    A ValidationException (an item over 400 KB, a key over its size, a value DynamoDB cannot
    encode, a start key outside the query) means the request carried data DynamoDB refuses:
    retrying cannot help, so it is a 422 ValidationFailedError (``DYNAMODB_VALIDATION``), never a
    500. Throttling and the like are TransientError (retried by Step Functions); the rest is what
    aws_errors makes of it (PermissionDeniedError, else a DependencyError ``DYNAMODB_ERROR``).
    """
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    if code == "ConditionalCheckFailedException":
        return StaleWriteError("the item changed since it was read")
    if code == "TransactionCanceledException":
        reasons = [str(r.get("Code")) for r in error.response.get("CancellationReasons", [])]
        if "ConditionalCheckFailed" in reasons:
            return StaleWriteError(
                "a conditional write in the transaction failed", details={"reasons": reasons}
            )
        if "ValidationError" in reasons:
            return ValidationFailedError(
                "DynamoDB refused a value of the request (too large or not storable)",
                code="DYNAMODB_VALIDATION",
                details={"reasons": reasons},
            )
        if set(reasons) & _TRANSIENT_REASONS:
            return TransientError(f"DynamoDB cancelled the transaction ({', '.join(reasons)})")
        return DependencyError(
            "DynamoDB cancelled the transaction", code="DYNAMODB_ERROR", details={"reasons": reasons}
        )
    if code == "TransactionConflictException":
        return TransientError(f"DynamoDB is busy ({code})")
    if code == "ValidationException":
        return ValidationFailedError(
            "DynamoDB refused a value of the request (too large or not storable)",
            code="DYNAMODB_VALIDATION",
        )
    # Throttling and 5xx, denied calls and the rest, as every adapter translates them.
    return aws_errors.translate(error, "DynamoDB", error.operation_name or "call")


class Expression:
    """Builds an UpdateExpression with placeholders for every name and value."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._sets: list[str] = []
        self._removes: list[str] = []
        self._adds: list[str] = []

    def name(self, path: str) -> str:
        """`waves[2].status` -> `#n0[2].#n1` with the names registered."""
        parts = []
        for segment in path.split("."):
            match = _SEGMENT.match(segment)
            if not match:
                raise ValueError(f"bad attribute path {path!r}")
            placeholder = f"#n{len(self.names)}"
            for existing, attr in self.names.items():
                if attr == match.group(1):
                    placeholder = existing
                    break
            self.names[placeholder] = match.group(1)
            parts.append(placeholder + match.group(2))
        return ".".join(parts)

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(_to_dynamo(value))
        return placeholder

    def set(self, path: str, value: Any) -> Expression:
        if value is None:
            return self.remove(path)
        self._sets.append(f"{self.name(path)} = {self.value(value)}")
        return self

    def set_if_missing(self, path: str, value: Any) -> Expression:
        ref = self.name(path)
        self._sets.append(f"{ref} = if_not_exists({ref}, {self.value(value)})")
        return self

    def append(self, path: str, items: Sequence[Any]) -> Expression:
        """Append to a list attribute, creating it when missing."""
        ref = self.name(path)
        self._sets.append(
            f"{ref} = list_append(if_not_exists({ref}, {self.value([])}), {self.value(list(items))})"
        )
        return self

    def add(self, path: str, amount: int) -> Expression:
        self._adds.append(f"{self.name(path)} {self.value(amount)}")
        return self

    def remove(self, path: str) -> Expression:
        self._removes.append(self.name(path))
        return self

    def update_expression(self) -> str:
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        if self._adds:
            clauses.append("ADD " + ", ".join(self._adds))
        return " ".join(clauses)


class Table:
    """One DynamoDB table through the low-level client."""

    def __init__(self, name: str, client: DynamoDBClient):
        self.name = name
        self.client = client

    def get(self, key: Mapping[str, Any], *, consistent: bool = True) -> Item | None:
        try:
            response = self.client.get_item(
                TableName=self.name, Key=serialize(key), ConsistentRead=consistent
            )
        except ClientError as e:
            raise translate(e) from e
        found = response.get("Item")
        return deserialize(found) if found else None

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        try:
            self.client.put_item(**kwargs)
        except ClientError as e:
            raise translate(e) from e

    def update(self, key: Mapping[str, Any], expr: Expression, *, condition: str | None = None) -> Item:
        """Apply ``expr``; ``condition`` may use ``expr``'s placeholders. Returns the new item."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize(key),
            "UpdateExpression": expr.update_expression(),
            "ExpressionAttributeNames": expr.names,
            "ReturnValues": "ALL_NEW",
        }
        if expr.values:
            kwargs["ExpressionAttributeValues"] = expr.values
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            response = self.client.update_item(**kwargs)
        except ClientError as e:
            raise translate(e) from e
        return deserialize(response["Attributes"])

    def query_page(
        self,
        *,
        key_condition: str,
        names: dict[str, str],
        values: Mapping[str, Any],
        index: str | None = None,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
        forward: bool = True,
        filter_expression: str | None = None,
        consistent: bool = False,
        projection: str | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        if projection:
            kwargs["ProjectionExpression"] = projection
        return self._read_page(self.client.query, kwargs, limit, start_key, filter_expression)

    def _read_page(
        self,
        read: Any,
        kwargs: dict[str, Any],
        limit: int | None,
        start_key: Mapping[str, Any] | None,
        filter_expression: str | None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a Query or Scan: the items and the key to start the next page from."""
        kwargs["TableName"] = self.name
        if limit:
            kwargs["Limit"] = limit
        if start_key:
            kwargs["ExclusiveStartKey"] = serialize(start_key)
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        try:
            response = read(**kwargs)
        except ClientError as e:
            raise translate(e) from e
        last = response.get("LastEvaluatedKey")
        return [deserialize(i) for i in response.get("Items", [])], (deserialize(last) if last else None)

    def query_all(self, **kwargs: Any) -> Iterator[Item]:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.query_page(start_key=start, **kwargs)
            yield from items
            if not start:
                return

    def scan_page(
        self,
        *,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
        filter_expression: str | None = None,
        names: dict[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        kwargs: dict[str, Any] = {}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        return self._read_page(self.client.scan, kwargs, limit, start_key, filter_expression)

    def batch_get(self, keys: Sequence[Mapping[str, Any]]) -> list[Item]:
        """BatchGetItem (strongly consistent) in chunks of 100, unprocessed keys asked again."""
        found: list[Item] = []
        for start in range(0, len(keys), 100):
            pending: list[dict[str, Any]] = [serialize(k) for k in keys[start : start + 100]]
            for attempt in range(8):
                if attempt:
                    time.sleep(min(1.0, 0.05 * 2**attempt))
                try:
                    response = self.client.batch_get_item(
                        RequestItems={self.name: {"Keys": pending, "ConsistentRead": True}}
                    )
                except ClientError as e:
                    raise translate(e) from e
                found.extend(deserialize(i) for i in response.get("Responses", {}).get(self.name, []))
                unprocessed = response.get("UnprocessedKeys", {}).get(self.name)
                pending = [dict(k) for k in unprocessed["Keys"]] if unprocessed else []
                if not pending:
                    break
            else:
                raise TransientError(f"DynamoDB left {len(pending)} reads unprocessed in {self.name}")
        return found

    def batch_put(self, items: Sequence[Mapping[str, Any]]) -> None:
        self._batch([{"PutRequest": {"Item": serialize(i)}} for i in items])

    def batch_delete(self, keys: Sequence[Mapping[str, Any]]) -> None:
        self._batch([{"DeleteRequest": {"Key": serialize(k)}} for k in keys])

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem in chunks of 25, a few chunks at a time (a 1,000-server wave writes 40)."""
        chunks = [requests[start : start + 25] for start in range(0, len(requests), 25)]
        if len(chunks) <= 1:
            for chunk in chunks:
                self._write_chunk(chunk)
            return
        with ThreadPoolExecutor(max_workers=min(BATCH_WRITE_CONCURRENCY, len(chunks))) as pool:
            # Each chunk runs in the caller's context (contextvars: log keys, tracing, call accounting).
            futures = [
                pool.submit(contextvars.copy_context().run, self._write_chunk, chunk) for chunk in chunks
            ]
            for future in futures:
                future.result()

    def _write_chunk(self, pending: list[dict[str, Any]]) -> None:
        for attempt in range(8):
            if attempt:
                time.sleep(min(1.0, 0.05 * 2**attempt))  # DynamoDB's advice for unprocessed items
            try:
                response = self.client.batch_write_item(
                    RequestItems={self.name: cast("list[WriteRequestTypeDef]", pending)}
                )
            except ClientError as e:
                raise translate(e) from e
            pending = [dict(r) for r in response.get("UnprocessedItems", {}).get(self.name, [])]
            if not pending:
                return
        raise TransientError(f"DynamoDB left {len(pending)} writes unprocessed in {self.name}")

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems; each operation is a {"Put"|"Delete"|"Update"|"ConditionCheck": {...}} with
        serialised fields. At most 100 operations."""
        try:
            self.client.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", operations))
        except ClientError as e:
            raise translate(e) from e
