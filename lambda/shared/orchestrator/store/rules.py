"""What both store backends (DynamoDB and memory) say and build alike: the conflicts they answer
with, and the bookkeeping fields of a catalog entity."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orchestrator.exceptions import ConflictError, NotFoundError
from orchestrator.store.ports import HeldLocks, Kind


def add_held(found: dict[str, HeldLocks], holder: str, lock_id: str, since: str) -> None:
    held = found.setdefault(holder, HeldLocks([], since))
    held.lock_ids.append(lock_id)
    held.since = min(held.since, since)


def lock_conflict(
    holder_of: Callable[[str], str | None], lock_ids: Sequence[str], execution_id: str
) -> ConflictError:
    """The conflict naming the first lock of ``lock_ids`` another execution holds."""
    for lock_id in lock_ids:
        holder = holder_of(lock_id)
        if holder and holder != execution_id:
            kind, _, ident = lock_id.partition("#")
            what = "recovery plan" if kind == "PLAN" else "source server"
            return ConflictError(
                f"{what} {ident} is already in active execution {holder}",
                code="PLAN_ALREADY_RUNNING" if kind == "PLAN" else "SERVER_IN_ACTIVE_EXECUTION",
                details={"lockId": lock_id, "executionId": holder},
            )
    return ConflictError("another execution took a lock at the same time; try again", code="LOCK_CONFLICT")


def name_conflict(kind: Kind, name: str) -> ConflictError:
    return ConflictError(f"a {kind.label} named {name!r} already exists", code="NAME_ALREADY_EXISTS")


def concurrent_update(kind: Kind, entity_id: str, what: str) -> ConflictError:
    return ConflictError(
        f"{kind.label} {entity_id} changed while it was being {what}; read it again", code="CONCURRENT_UPDATE"
    )


def not_found(kind: Kind, entity_id: str) -> NotFoundError:
    return NotFoundError(f"{kind.label} {entity_id} not found", code=kind.not_found_code)


def new_entity(kind: Kind, fields: Mapping[str, Any], now: str) -> dict[str, Any]:
    return {**fields, kind.key: str(uuid.uuid4()), "createdTime": now, "updatedTime": now, "version": 1}


def next_version(
    kind: Kind, current: Mapping[str, Any], fields: Mapping[str, Any], now: str
) -> dict[str, Any]:
    return {
        **fields,
        kind.key: str(current[kind.key]),
        "createdTime": current.get("createdTime"),
        "updatedTime": now,
        "version": int(current.get("version", 0)) + 1,
    }
