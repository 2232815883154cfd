"""A conditional change of a stored item, said once and applied by either backend.

The stores' intent methods (``claim_wave``, ``record_poll``, ``request_cancel``, ...) each build a
``Change``: what to set, remove or append, and the conditions under which it applies. The DynamoDB
backend turns it into an UpdateExpression and a ConditionExpression; the in-memory backend applies
it to a dict. So each rule about what may change when is written once, and one contract suite
checks that both backends honour it.

Paths use the item's own names: ``status``, ``waves[2].jobIds``.
"""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


@dataclass(frozen=True)
class _OnPath(ABC):
    """A condition on the value at ``path``: ``holds`` says, in memory, whether the value found there
    (or _ABSENT) meets it; the DynamoDB backend says the same as a ConditionExpression."""

    path: str

    @abstractmethod
    def holds(self, found: Any) -> bool: ...


@dataclass(frozen=True)
class _OnValue(_OnPath):
    value: Any


class Equals(_OnValue):
    def holds(self, found: Any) -> bool:
        return found is not _ABSENT and found == self.value


@dataclass(frozen=True)
class OneOf(_OnPath):
    values: tuple[Any, ...]

    def holds(self, found: Any) -> bool:
        return found is not _ABSENT and found in self.values


class Missing(_OnPath):
    def holds(self, found: Any) -> bool:
        return found is _ABSENT


class MissingOrEquals(_OnValue):
    def holds(self, found: Any) -> bool:
        return found is _ABSENT or found == self.value


class NotContains(_OnValue):
    def holds(self, found: Any) -> bool:
        return found is _ABSENT or self.value not in found


class MissingOrEmpty(_OnPath):
    def holds(self, found: Any) -> bool:
        return found is _ABSENT or len(found) == 0


Condition = Equals | OneOf | Missing | MissingOrEquals | NotContains | MissingOrEmpty


@dataclass
class Change:
    """Sets (a None value removes), removals, list appends, sets-if-missing, counters, conditions.
    Every change also requires the item to exist."""

    sets: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    appends: dict[str, list[Any]] = field(default_factory=dict)
    if_missing: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, int] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)

    def set(self, path: str, value: Any) -> Change:
        if value is None:
            return self.remove(path)
        self.sets[path] = value
        return self

    def remove(self, *paths: str) -> Change:
        self.removes.extend(paths)
        return self

    def when(self, *conditions: Condition) -> Change:
        self.conditions.extend(conditions)
        return self

    def versioned(self, version: int) -> Change:
        """Applies only to the version read, and makes a new one (every status change does)."""
        self.adds["version"] = 1
        return self.when(Equals("version", version))


# --- the in-memory application -----------------------------------------------------------------------


def _segments(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.fullmatch(segment)
        if not match:
            raise ValueError(f"bad attribute path {path!r}")
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return parts


_ABSENT = object()


def read(item: Any, path: str) -> Any:
    """The value at ``path``, or _ABSENT."""
    node = item
    for part in _segments(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _ABSENT
        elif not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _parent(item: Any, path: str) -> tuple[Any, str | int]:
    parts = _segments(path)
    node = item
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def holds(item: dict[str, Any], condition: Condition) -> bool:
    return condition.holds(read(item, condition.path))


def apply(item: dict[str, Any], change: Change) -> dict[str, Any] | None:
    """The item after the change, or None when a condition does not hold (the item is not touched)."""
    if not all(holds(item, c) for c in change.conditions):
        return None
    new = copy.deepcopy(item)
    for path, value in change.sets.items():
        parent, key = _parent(new, path)
        parent[key] = copy.deepcopy(value)
    for path, value in change.if_missing.items():
        if read(new, path) is _ABSENT:
            parent, key = _parent(new, path)
            parent[key] = copy.deepcopy(value)
    for path, values in change.appends.items():
        current = read(new, path)
        parent, key = _parent(new, path)
        parent[key] = [*([] if current is _ABSENT else current), *copy.deepcopy(values)]
    for path, amount in change.adds.items():
        current = read(new, path)
        parent, key = _parent(new, path)
        parent[key] = (0 if current is _ABSENT else current) + amount
    for path in change.removes:
        if read(new, path) is not _ABSENT:
            parent, key = _parent(new, path)
            del parent[key]
    return new
