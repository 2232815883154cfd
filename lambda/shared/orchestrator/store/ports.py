"""The store ports: per-server data, locks, the catalog of protection groups and recovery plans,
the timeline of each execution and the reports (the executions' own backend port is
store.executions.ExecutionBackend). Each store has a DynamoDB implementation (store.dynamodb,
store.timeline) and an in-memory one (store.memory); tests/integration/test_store_contract.py runs
one suite over both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from execution_utils import PauseReason
from orchestrator.identity import ActorLike
from orchestrator.model import ActionRecord, PendingEvent, ServerRecord, TimelineEvent

PLAN_LOCK = "PLAN#"
SERVER_LOCK = "SERVER#"
NAME_PREFIX = "NAME#"


def execution_lock_ids(plan_id: str, server_ids: Sequence[str]) -> list[str]:
    """The locks an execution holds while active: its plan and every server it recovers."""
    return [plan_lock_id(plan_id), *(f"{SERVER_LOCK}{sid}" for sid in server_ids)]


def plan_lock_id(plan_id: str) -> str:
    return f"{PLAN_LOCK}{plan_id}"


def name_key(name: str) -> str:
    """The key that makes a name unique, case-insensitively."""
    return NAME_PREFIX + name.strip().lower()


@dataclass(frozen=True)
class Pause:
    """The state machine waits on ``token``: before wave ``wave`` (1-based; BEFORE_WAVE, OPERATOR), on
    an approval in it (APPROVAL, the action's name ``action``), or after it failed (WAVE_FAILED)."""

    token: str
    reason: PauseReason
    wave: int
    now: str
    action: str | None = None


@dataclass(frozen=True)
class ActionWrite:
    """An action's new state at ``waves[index].actions[position]``, written with a pause or a resume
    (an APPROVAL asked, approved); ``was``: the action as read."""

    index: int
    position: int
    action: ActionRecord
    was: ActionRecord


@dataclass(frozen=True)
class PauseDecision:
    """An operator's word on a pause: ``kind`` RESUME, APPROVE, RETRY or SKIP; who, with what comment,
    when; the paused total up to then; and its timeline event, written in the same write."""

    kind: str
    actor: ActorLike
    comment: str | None
    now: str
    paused_seconds: int
    event: PendingEvent | None = None


@dataclass
class HeldLocks:
    lock_ids: list[str]
    since: str


@dataclass(frozen=True)
class Kind:
    """What a catalog holds: protection groups or recovery plans."""

    key: str  # the id attribute
    label: str  # for messages
    not_found_code: str


GROUP = Kind("groupId", "protection group", "GROUP_NOT_FOUND")
PLAN = Kind("planId", "recovery plan", "PLAN_NOT_FOUND")


class ServerStore(Protocol):
    def put_many(self, items: Sequence[ServerRecord]) -> None: ...

    def wave(self, execution_id: str, wave_number: int) -> list[ServerRecord]: ...

    def all(self, execution_id: str) -> Iterator[ServerRecord]: ...

    def source_server_ids(self, execution_id: str) -> list[str]: ...

    def page(
        self, execution_id: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]: ...

    def changed(
        self, execution_id: str, since: str, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[ServerRecord], dict[str, Any] | None]:
        """A page of the servers written at ``since`` (a ``changedAt`` stamp) or later."""
        ...


class LockStore(Protocol):
    def acquire(self, lock_ids: Sequence[str], execution_id: str, held_since: str) -> None:
        """All or nothing; ConflictError naming the lock and its holder (PLAN_ALREADY_RUNNING or
        SERVER_IN_ACTIVE_EXECUTION)."""

    def release_held(self, lock_ids: Sequence[str], execution_id: str) -> None:
        """Release those of ``lock_ids`` that ``execution_id`` holds, never another's."""

    def holder(self, lock_id: str) -> str | None: ...

    def holders(self) -> dict[str, HeldLocks]:
        """Every lock by its holder."""


class CatalogStore(Protocol):
    """Groups or plans with unique names (case-insensitive); writes conditional on the version read."""

    kind: Kind

    def get(self, entity_id: str) -> dict[str, Any]:
        """NotFoundError (the kind's code) when missing."""

    def all(self) -> list[dict[str, Any]]: ...

    def create(self, fields: Mapping[str, Any], *, now: str) -> dict[str, Any]: ...

    def update(
        self, current: Mapping[str, Any], fields: Mapping[str, Any], *, now: str
    ) -> dict[str, Any]: ...

    def delete(self, current: Mapping[str, Any]) -> None: ...


class TimelineStore(Protocol):
    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        """Record the event once; False when an event with that id was already recorded."""

    def page(
        self, execution_id: str, *, limit: int, after: str | None = None
    ) -> tuple[list[TimelineEvent], str | None]:
        """Oldest first, ``limit`` events after the ``eventKey`` ``after``; the last key when more follow."""

    def recorded(self, execution_id: str, since: str | None = None) -> list[tuple[str, TimelineEvent]]:
        """(eventId, event) of every event recorded (by time), or of those written at ``since`` (a
        ``changedAt`` stamp) or later."""
        ...

    def missing(self, execution_id: str, event_ids: Sequence[str]) -> list[str]:
        """Those of ``event_ids`` not recorded (a strongly consistent read), in the order given."""


class ReportStore(Protocol):
    def put(self, plan_id: str, execution_id: str, *, json_body: str, html_body: str) -> str:
        """Store both renderings; returns the location of the HTML page."""

    def link(self, location: str, *, expires_seconds: int) -> str | None:
        """A URL that reads the page at ``location`` for ``expires_seconds`` (S3: presigned GET);
        None when ``location`` is not a report of this store."""


class ReadinessStore(Protocol):
    """Each plan's last readiness verdict and each source server's last drill (store/readiness.py)."""

    def plan_verdict(self, plan_id: str) -> dict[str, Any] | None: ...

    def record_verdict(self, record: Mapping[str, Any], previous: Mapping[str, Any] | None) -> bool:
        """Write a verdict if the stored one is still ``previous`` (False: another check won)."""

    def mark_announced(self, plan_id: str, changed_at: str, channel: str) -> bool: ...

    def clear_pending(self, plan_id: str, changed_at: str) -> bool: ...

    def record_server_drills(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Record many servers' drills at once, each only if later than the one recorded."""

    def server_drills(self, source_server_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...


class PriceStore(Protocol):
    """The durable cache of hourly on-demand prices (store/prices.py), by execution_utils.price_key
    prefixed with the Region."""

    def cached(self, keys: Sequence[str], now_epoch: int) -> dict[str, float | None]:
        """The unexpired prices of ``keys``; a key left out is not cached (None: no such product)."""

    def remember(self, items: Sequence[Mapping[str, Any]]) -> None: ...
