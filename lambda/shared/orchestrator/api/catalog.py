"""Protection groups and recovery plans in DynamoDB, with unique names.

A name is claimed by an item whose key is ``NAME#<lower-case name>``, written in the same
transaction as the entity, so two creates with one name cannot both win. Every update is
conditional on the version read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator import timeutil
from orchestrator.api.http import path_id
from orchestrator.dynamo import Table, serialize
from orchestrator.exceptions import ConflictError, NotFoundError, StaleWriteError

NAME_PREFIX = "NAME#"


@dataclass(frozen=True)
class Kind:
    key: str  # the id attribute
    label: str  # for messages
    not_found_code: str


GROUP = Kind("groupId", "protection group", "GROUP_NOT_FOUND")
PLAN = Kind("planId", "recovery plan", "PLAN_NOT_FOUND")


def name_key(name: str) -> str:
    return NAME_PREFIX + name.strip().lower()


class Catalog:
    def __init__(self, table: Table, kind: Kind) -> None:
        self.table = table
        self.kind = kind

    # ------------------------------------------------------------------ reads
    def get(self, entity_id: str) -> dict[str, Any]:
        entity_id = path_id(entity_id, self.kind.label, self.kind.not_found_code)
        item = None if entity_id.startswith(NAME_PREFIX) else self.table.get({self.kind.key: entity_id})
        if item is None:
            raise NotFoundError(f"{self.kind.label} {entity_id} not found", code=self.kind.not_found_code)
        return item

    def find(self, entity_id: str) -> dict[str, Any] | None:
        try:
            return self.get(entity_id)
        except NotFoundError:
            return None

    def all(self) -> list[dict[str, Any]]:
        """Every entity, by name (a catalog holds hundreds of entries, not millions)."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page, start = self.table.scan_page(
                start_key=start,
                filter_expression="NOT begins_with(#k, :p)",
                names={"#k": self.kind.key},
                values={":p": NAME_PREFIX},
            )
            items += page
            if not start:
                return sorted(items, key=lambda i: str(i.get("name", "")).lower())

    # ------------------------------------------------------------------ writes
    def _name_conflict(self, name: str) -> ConflictError:
        return ConflictError(f"a {self.kind.label} named {name!r} already exists", code="NAME_ALREADY_EXISTS")

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        now = timeutil.iso()
        item = {
            **fields,
            self.kind.key: str(uuid.uuid4()),
            "createdTime": now,
            "updatedTime": now,
            "version": 1,
        }
        try:
            self.table.transact(
                [
                    self._put_name(str(fields["name"]), item[self.kind.key]),
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": serialize(item),
                            "ConditionExpression": "attribute_not_exists(#k)",
                            "ExpressionAttributeNames": {"#k": self.kind.key},
                        }
                    },
                ]
            )
        except StaleWriteError as e:
            raise self._name_conflict(str(fields["name"])) from e
        return item

    def update(self, current: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
        entity_id = str(current[self.kind.key])
        item = {
            **fields,
            self.kind.key: entity_id,
            "createdTime": current.get("createdTime"),
            "updatedTime": timeutil.iso(),
            "version": int(current.get("version", 0)) + 1,
        }
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": serialize(item),
                    "ConditionExpression": "attribute_exists(#k) AND #v = :v",
                    "ExpressionAttributeNames": {"#k": self.kind.key, "#v": "version"},
                    "ExpressionAttributeValues": serialize({":v": int(current.get("version", 0))}),
                }
            }
        ]
        renamed = name_key(str(fields["name"])) != name_key(str(current["name"]))
        if renamed:
            operations.append(self._put_name(str(fields["name"]), entity_id))
            operations.append(self._delete_name(str(current["name"]), entity_id))
        try:
            self.table.transact(operations)
        except StaleWriteError as e:
            if renamed and self.table.get({self.kind.key: name_key(str(fields["name"]))}):
                raise self._name_conflict(str(fields["name"])) from e
            raise ConflictError(
                f"{self.kind.label} {entity_id} changed while it was being updated; read it again",
                code="CONCURRENT_UPDATE",
            ) from e
        return item

    def delete(self, current: Mapping[str, Any]) -> None:
        entity_id = str(current[self.kind.key])
        try:
            self.table.transact(
                [
                    {
                        "Delete": {
                            "TableName": self.table.name,
                            "Key": serialize({self.kind.key: entity_id}),
                            "ConditionExpression": "#v = :v",
                            "ExpressionAttributeNames": {"#v": "version"},
                            "ExpressionAttributeValues": serialize({":v": int(current.get("version", 0))}),
                        }
                    },
                    self._delete_name(str(current["name"]), entity_id),
                ]
            )
        except StaleWriteError as e:
            raise ConflictError(
                f"{self.kind.label} {entity_id} changed while it was being deleted; read it again",
                code="CONCURRENT_UPDATE",
            ) from e

    def _put_name(self, name: str, entity_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table.name,
                "Item": serialize({self.kind.key: name_key(name), "ownerId": entity_id, "name": name}),
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": self.kind.key},
            }
        }

    def _delete_name(self, name: str, entity_id: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table.name,
                "Key": serialize({self.kind.key: name_key(name)}),
                "ConditionExpression": "attribute_not_exists(#k) OR ownerId = :o",
                "ExpressionAttributeNames": {"#k": self.kind.key},
                "ExpressionAttributeValues": serialize({":o": entity_id}),
            }
        }
