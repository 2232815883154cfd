"""The action registry: every action type is one kind in one module, the request schema of an action
is the registry's, and a new type is one new kind: registered here in a test, it is validated,
started and checked by the unchanged operations on in-memory ports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import fastjsonschema
import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import ActionStatus, ActionType
from orchestrator import actions
from orchestrator.actions.base import (
    ActionContext,
    ActionKind,
    ActionPorts,
    OperatorKind,
    Outcome,
    Problem,
    Runner,
    RunnerKind,
)
from orchestrator.api import schemas
from orchestrator.config import Config
from orchestrator.exceptions import ValidationFailedError
from orchestrator.model import ActionRecord
from orchestrator.operations import catalog

ROOT = Path(__file__).resolve().parents[2]


def test_every_action_type_has_exactly_one_registered_kind() -> None:
    """Given the ActionType enum; when the registry is read; then each type has one kind, whose own
    ``type`` is that type, each kind of its own class, in the enum's order (the schema's order)."""
    assert list(actions.registry) == list(ActionType)
    for action_type, kind in actions.registry.items():
        assert kind.type == action_type
    assert len({type(kind) for kind in actions.registry.values()}) == len(ActionType)


def test_the_action_schema_is_the_one_the_registry_builds() -> None:
    """Given the registry; when the request schema of an action is read (as validated and as the
    OpenAPI document publishes it); then its types are the registry's and its fields are the common
    ones followed by each kind's own, with the kind's schema for each."""
    assert schemas.action_schema() == schemas.ACTION
    properties = schemas.ACTION["properties"]
    assert properties["type"] == {"enum": [str(t) for t in actions.registry]}
    common = ["name", "type", "timeoutSeconds", "maxAttempts", "onFailure"]
    own = list(actions.action_fields())
    assert list(properties) == common + own
    for kind in actions.registry.values():
        assert set(kind.required) <= set(kind.fields)
        for field, schema in kind.fields.items():
            assert properties[field] == schema
    published = json.loads((ROOT / "docs" / "openapi.json").read_text())
    wave = published["components"]["schemas"]["RecoveryPlan"]["properties"]["waves"]["items"]
    assert wave["properties"]["preActions"]["items"] == json.loads(json.dumps(schemas.ACTION))


def test_two_kinds_giving_one_field_two_schemas_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a kind that declares ``documentName`` unlike the SSM kinds; when the schema's fields are
    built; then the registry refuses (one field, one schema)."""

    class Clashing(ActionKind):
        type = "CLASHING"
        fields: ClassVar[dict[str, dict[str, Any]]] = {"documentName": {"type": "integer"}}

    monkeypatch.setitem(actions.registry, "CLASHING", Clashing())
    with pytest.raises(ValueError, match="documentName of CLASHING"):
        actions.action_fields()


# A sixth type, written the way a new module would be: fields, a default, a plan rule and a runner.
class CheckpointRunner:
    """Starts at once and answers on the next check: the wave and the note it was given."""

    def start(self, action: ActionRecord, context: ActionContext) -> Outcome:
        return Outcome(ActionStatus.RUNNING, handle={"noted": action["note"]}, check_in_seconds=7)

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome:
        handle = action.get("handle") or {}
        return Outcome(ActionStatus.SUCCEEDED, output=f"{context.event['waveName']}: {handle['noted']}")


class CheckpointKind(RunnerKind):
    type = "CHECKPOINT"
    fields: ClassVar[dict[str, dict[str, Any]]] = {"note": {"type": "string", "maxLength": 200}}
    required = ("note",)

    def defaults(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {"timeoutSeconds": int(options["waveTimeoutMinutes"]) * 60}

    def validate(self, action: Mapping[str, Any], config: Config) -> list[Problem]:
        return [("note", "a checkpoint needs words")] if not action["note"].strip() else []

    def runner(self, ports: ActionPorts) -> Runner:
        return CheckpointRunner()


@pytest.fixture
def checkpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[Orchestration]:
    monkeypatch.setitem(actions.registry, "CHECKPOINT", CheckpointKind())
    yield in_memory_orchestration()


def refusal(config: Config, action: dict[str, Any]) -> str:
    with pytest.raises(ValidationFailedError) as refused:
        catalog.check_actions(config, [{"waveName": "W1", "preActions": [action]}])
    assert refused.value.code == "VALIDATION_ERROR"
    return refused.value.message


def test_a_sixth_kind_is_validated_by_the_schema_and_the_plan_rules(checkpoint: Orchestration) -> None:
    """Given a CHECKPOINT kind registered (no other change); when plans with CHECKPOINT actions are
    checked; then the registry's schema accepts the type and its field and refuses a wrong value, and
    the plan rules name a missing field, a field of another type and the kind's own rule."""
    validate = fastjsonschema.compile(schemas.action_schema())
    good = {"name": "mark", "type": "CHECKPOINT", "note": "web tier up"}
    assert validate(dict(good)) == good
    with pytest.raises(fastjsonschema.JsonSchemaException):
        validate({**good, "note": 3})
    config = checkpoint.deps.config
    catalog.check_actions(config, [{"waveName": "W1", "preActions": [good]}])
    assert refusal(config, {"name": "mark", "type": "CHECKPOINT"}) == (
        "invalid waves[0].preActions[0].note: a CHECKPOINT action needs note"
    )
    assert refusal(config, {**good, "functionName": "drs-actions-x"}) == (
        "invalid waves[0].preActions[0].functionName: functionName does not apply to a CHECKPOINT action"
    )
    assert refusal(config, {**good, "note": "  "}) == (
        "invalid waves[0].preActions[0].note: a checkpoint needs words"
    )


def test_a_sixth_kind_runs_through_the_unchanged_operations(checkpoint: Orchestration) -> None:
    """Given a plan whose wave 1 has a CHECKPOINT after its launch; when the execution runs as the state
    machine drives it; then the action got the kind's default timeout, was started and checked by the
    kind's runner with the wave's context, and the execution is COMPLETED."""
    group = checkpoint.add_group(
        "g1",
        checkpoint.servers(1, phaseDurations={"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}),
    )
    plan_id = checkpoint.add_plan(
        [("Web", [group], False)],
        {1: {"postActions": [{"name": "mark", "type": "CHECKPOINT", "note": "web tier up"}]}},
        waveTimeoutMinutes=30,
    )
    execution = checkpoint.start(plan_id)
    (created,) = checkpoint.get(execution["executionId"])["waves"][0]["actions"]
    assert (created["timeoutSeconds"], created["status"]) == (1800, "PENDING")

    final = checkpoint.run_to_end(execution["executionId"])

    assert final["status"] == "COMPLETED"
    (mark,) = final["waves"][0]["actions"]
    assert (mark["status"], mark["attempts"], mark["output"]) == ("SUCCEEDED", 1, "Web: web tier up")


def test_every_action_type_is_carried_out_by_a_runner_or_by_an_operator() -> None:
    """Given the registry; then each kind is one of the two ways an action happens: a runner's
    (start and check), or an operator's (APPROVAL: no runner, the execution waits for a resume); a
    runner's kind cannot be declared without its runner."""
    operators = sorted(t for t, k in actions.registry.items() if isinstance(k, OperatorKind))
    runners = sorted(t for t, k in actions.registry.items() if isinstance(k, RunnerKind))
    assert operators == ["APPROVAL"]
    assert runners == ["LAMBDA", "SSM_AUTOMATION", "SSM_COMMAND", "WAIT"]
    assert not hasattr(actions.registry["APPROVAL"], "start")

    class NoRunner(RunnerKind):
        type = "NO_RUNNER"

    with pytest.raises(TypeError, match="abstract"):
        NoRunner()  # type: ignore[abstract]
