"""Protection groups and recovery plans: the rules around the catalog stores (a group selects its
servers one way, in the stack's Region; a plan names groups that exist; nothing in use is deleted)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from orchestrator.actions import kind_of
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, NotFoundError, ValidationFailedError
from orchestrator.operations import launch_settings
from orchestrator.store.ports import CatalogStore, plan_lock_id


def require_plan_name(given: str, expected: object, whose: str) -> None:
    """An act on production (a real recovery, terminating its instances) is confirmed by typing the
    plan's name again, exactly: 422 CONFIRMATION_MISMATCH otherwise."""
    if given != expected:
        raise ValidationFailedError(
            f"confirmPlanName does not match the name of {whose}",
            code="CONFIRMATION_MISMATCH",
            details={"field": "confirmPlanName"},
        )


def check_group(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    if ("sourceServerIds" in body) == ("serverSelectionTags" in body):
        raise ValidationFailedError(
            "a protection group needs exactly one of sourceServerIds and serverSelectionTags",
            code="VALIDATION_ERROR",
            details={"field": "sourceServerIds"},
        )
    # One Region until several are supported: a group is recovered in the stack's Region, so a group
    # naming another one would be silently recovered in the wrong place.
    region, stack_region = body.get("region"), deps.config.region
    if region is not None and stack_region and region != stack_region:
        raise ValidationFailedError(
            f"invalid region: this stack recovers in {stack_region} only; omit region or use {stack_region}",
            code="VALIDATION_ERROR",
            details={"field": "region", "supportedRegions": [stack_region]},
        )
    launch_settings.validate(deps, body)
    return body


_COMMON_ACTION_FIELDS = frozenset({"name", "type", "timeoutSeconds", "maxAttempts", "onFailure"})


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"invalid {field}: {message}", code="VALIDATION_ERROR", details={"field": field}
    )


def check_actions(config: Config, waves: list[dict[str, Any]]) -> None:
    """The runbook rules the schema cannot say: the fields of each action's type, names unique in
    their wave, then the type's own rules (its kind's ``validate``: e.g. only the functions and SSM
    documents the stack allows, as its IAM policy allows no others)."""
    for w, wave in enumerate(waves):
        names: set[str] = set()
        for stage in ("preActions", "postActions"):
            for a, action in enumerate(wave.get(stage) or []):
                path = f"waves[{w}].{stage}[{a}]"
                kind = kind_of(action)
                for field in kind.required:
                    if field not in action:
                        raise _invalid(f"{path}.{field}", f"a {kind.type} action needs {field}")
                for field in action:
                    if field not in _COMMON_ACTION_FIELDS and field not in kind.fields:
                        raise _invalid(f"{path}.{field}", f"{field} does not apply to a {kind.type} action")
                key = action["name"].strip().lower()
                if key in names:
                    raise _invalid(
                        f"{path}.name", f"action name {action['name']!r} is used twice in wave {w + 1}"
                    )
                names.add(key)
                if problems := kind.validate(action, config):
                    field, message = problems[0]
                    raise _invalid(f"{path}.{field}", message)


def check_plan(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    # Imported here: drill_schedule starts drills through operations.create, which imports this module.
    from orchestrator.operations import drill_network, drill_schedule

    check_actions(deps.config, body["waves"])
    drill_schedule.check(deps, body)
    drill_network.check_plan(deps, body)
    wanted = sorted({g for wave in body["waves"] for g in wave["protectionGroupIds"]})
    missing = []
    for group_id in wanted:
        try:
            deps.stores.groups.get(group_id)
        except NotFoundError:
            missing.append(group_id)
    if missing:
        raise ValidationFailedError(
            "the plan references unknown protection groups: " + ", ".join(missing),
            code="UNKNOWN_PROTECTION_GROUP",
            details={"protectionGroupIds": missing},
        )
    for wave in body["waves"]:
        wave.setdefault("pauseBeforeWave", False)
    return body


def delete_group(deps: Deps, group_id: str) -> None:
    """Refused (GROUP_IN_USE) while a plan names the group or an active execution recovers it."""
    current = deps.stores.groups.get(group_id)
    checks: list[tuple[Iterable[Mapping[str, Any]], str, str, str]] = [
        (
            deps.stores.plans.all(),
            "name",
            "plans",
            "is used by recovery plan(s) {}; remove it from them first",
        ),
        (deps.stores.executions.active(), "executionId", "executions", "is in use by active execution(s) {}"),
    ]
    for users, field, key, words in checks:
        using = [u[field] for u in users if any(group_id in w["protectionGroupIds"] for w in u["waves"])]
        if using:
            raise ConflictError(
                f"protection group {group_id} " + words.format(", ".join(using)),
                code="GROUP_IN_USE",
                details={key: using},
            )
    deps.stores.groups.delete(current)


# Each catalog entity: its store and the rules a body must pass before it is stored.
_ENTITIES: dict[
    str, tuple[Callable[[Deps], CatalogStore], Callable[[Deps, dict[str, Any]], dict[str, Any]]]
] = {
    "group": (lambda deps: deps.stores.groups, check_group),
    "plan": (lambda deps: deps.stores.plans, check_plan),
}


def save(deps: Deps, entity: str, body: dict[str, Any], entity_id: str | None = None) -> dict[str, Any]:
    """Create (``entity_id`` None) or replace a protection group or recovery plan once its body
    passes the entity's rules; the store's conditional writes refuse a duplicate name (409)."""
    store_of, check = _ENTITIES[entity]
    store = store_of(deps)
    if entity_id is None:
        saved = store.create(check(deps, body), now=deps.clock.iso())
    else:
        current = store.get(entity_id)
        saved = store.update(current, check(deps, body), now=deps.clock.iso())
    if entity == "plan":
        from orchestrator.operations import drill_schedule

        # After the write: the plan's drill schedule follows what was saved (an error here says the
        # plan was saved and its schedule was not; saving again repairs it).
        drill_schedule.apply(deps, saved)
    if entity == "group" and saved.get("launchSettings"):
        # Saving a group applies its launch settings (validated by check_group before anything was stored).
        return {**saved, "launchSettingsOutcome": launch_settings.apply_group(deps, saved)}
    return saved


def delete_plan(deps: Deps, plan_id: str) -> None:
    """Refused (PLAN_IN_USE) while an execution of the plan is active."""
    current = deps.stores.plans.get(plan_id)
    holder = deps.stores.locks.holder(plan_lock_id(plan_id))
    if holder:
        raise ConflictError(
            f"recovery plan {plan_id} has an active execution ({holder}); cancel it or wait for its end",
            code="PLAN_IN_USE",
            details={"executionId": holder},
        )
    from orchestrator.operations import drill_schedule

    # The schedule first: a plan that failed to go keeps its record and can be deleted again.
    drill_schedule.remove(deps, plan_id)
    deps.stores.plans.delete(current)
