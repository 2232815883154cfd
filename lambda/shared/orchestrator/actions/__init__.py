"""Runbook actions: one module per action type (lambda_action, ssm_command, ssm_automation, wait,
approval), each owning its kind (base.ActionKind: fields, defaults, limits, plan rules; carried out by
a runner, base.RunnerKind, or by an operator, base.OperatorKind), and
the registry the operations, the plan rules and the request schema ask. A new type is one new
module whose kind is listed in ``registry``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.actions.approval import ApprovalKind
from orchestrator.actions.base import (
    ACTION_CONTEXT_KEYS,
    ActionContext,
    Kind,
    OperatorKind,
    Outcome,
    RunnerKind,
)
from orchestrator.actions.lambda_action import LAMBDA_MAX_TIMEOUT_SECONDS, LambdaKind
from orchestrator.actions.ssm_automation import AutomationKind
from orchestrator.actions.ssm_command import CommandKind
from orchestrator.actions.wait import WaitKind

__all__ = [
    "ACTION_CONTEXT_KEYS",
    "LAMBDA_MAX_TIMEOUT_SECONDS",
    "ActionContext",
    "OperatorKind",
    "Outcome",
    "RunnerKind",
    "action_fields",
    "kind_of",
    "registry",
]

# Every action type's kind, by its type (ActionType values; the order is the one the schema lists).
registry: dict[str, Kind] = {
    kind.type: kind for kind in (LambdaKind(), CommandKind(), AutomationKind(), WaitKind(), ApprovalKind())
}


def kind_of(action: Mapping[str, Any]) -> Kind:
    """The kind of an action (a plan's definition or an execution's record)."""
    return registry[str(action["type"])]


def action_fields() -> dict[str, dict[str, Any]]:
    """The JSON Schema properties of every type's own fields, in registry order. Two types may share
    a field (the SSM documents) only with one schema for it."""
    merged: dict[str, dict[str, Any]] = {}
    for kind in registry.values():
        for name, schema in kind.fields.items():
            if merged.setdefault(name, schema) != schema:
                raise ValueError(f"field {name} of {kind.type} actions differs from another type's")
    return merged
