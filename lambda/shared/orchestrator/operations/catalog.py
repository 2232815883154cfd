"""Protection groups and recovery plans: the rules around the catalog stores (a group selects its
servers one way, in the stack's Region; a plan names groups that exist; nothing in use is deleted)."""

from __future__ import annotations

from typing import Any

from execution_utils import ActionType
from orchestrator.actions import ACTION_CONTEXT_KEYS, LAMBDA_MAX_TIMEOUT_SECONDS
from orchestrator.config import Config
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, NotFoundError, ValidationFailedError
from orchestrator.store.ports import plan_lock_id


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
    return body


# The fields each action type needs, and those it may carry besides the common ones.
_ACTION_FIELDS: dict[ActionType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ActionType.LAMBDA: (("functionName",), ("payload",)),
    ActionType.SSM_COMMAND: (("documentName",), ("parameters",)),
    # An Automation always takes parameters (see _check_automation_parameters).
    ActionType.SSM_AUTOMATION: (("documentName", "parameters"), ()),
    ActionType.WAIT: (("durationSeconds",), ()),
    ActionType.APPROVAL: ((), ()),
}
_COMMON_ACTION_FIELDS = frozenset({"name", "type", "timeoutSeconds", "maxAttempts", "onFailure"})


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"invalid {field}: {message}", code="VALIDATION_ERROR", details={"field": field}
    )


def check_actions(config: Config, waves: list[dict[str, Any]]) -> None:
    """The runbook rules the schema cannot say: each type's fields, names unique in their wave, and
    only the functions and SSM documents the stack allows (its IAM policy allows no others)."""
    for w, wave in enumerate(waves):
        names: set[str] = set()
        for stage in ("preActions", "postActions"):
            for a, action in enumerate(wave.get(stage) or []):
                path = f"waves[{w}].{stage}[{a}]"
                kind = ActionType(action["type"])
                required, optional = _ACTION_FIELDS[kind]
                for field in required:
                    if field not in action:
                        raise _invalid(f"{path}.{field}", f"a {kind} action needs {field}")
                for field in action:
                    if field not in _COMMON_ACTION_FIELDS and field not in required + optional:
                        raise _invalid(f"{path}.{field}", f"{field} does not apply to a {kind} action")
                key = action["name"].strip().lower()
                if key in names:
                    raise _invalid(
                        f"{path}.name", f"action name {action['name']!r} is used twice in wave {w + 1}"
                    )
                names.add(key)
                if kind is ActionType.LAMBDA:
                    _check_lambda(config, action, path)
                elif kind in _DOCUMENT_LISTS:
                    _check_document(config, kind, action, path)
                if kind is ActionType.SSM_AUTOMATION:
                    _check_automation_parameters(action, path)


# Which allow-list (config attribute, stack parameter) an SSM action's document must be on: a
# Command document cannot be started as an Automation, nor the reverse, so each type has its own.
_DOCUMENT_LISTS: dict[ActionType, tuple[str, str]] = {
    ActionType.SSM_COMMAND: ("allowed_ssm_command_documents", "AllowedSsmCommandDocuments"),
    ActionType.SSM_AUTOMATION: ("allowed_ssm_automation_documents", "AllowedSsmAutomationDocuments"),
}

# StartAutomationExecution's limits (botocore's AutomationParameterMap): 1 to 200 parameters, names
# of 1 to 50 characters, at most 50 values of 1 to 512 characters. botocore refuses any call outside
# them before it is sent, so an automation that breaks them would fail every time it runs.
AUTOMATION_MAX_PARAMETERS = 200
AUTOMATION_MAX_NAME = 50
AUTOMATION_MAX_VALUES = 50
AUTOMATION_MAX_VALUE = 512


def _check_document(config: Config, kind: ActionType, action: dict[str, Any], path: str) -> None:
    attribute, parameter = _DOCUMENT_LISTS[kind]
    allowed: tuple[str, ...] = getattr(config, attribute)
    if action["documentName"] not in allowed:
        listed = f"allowed: {', '.join(allowed)}" if allowed else "this stack allows none"
        raise _invalid(
            f"{path}.documentName",
            f"{kind} document {action['documentName']!r} is not allowed; {listed} (stack parameter {parameter})",
        )


def _check_automation_parameters(action: dict[str, Any], path: str) -> None:
    """An Automation always gets parameters: StartAutomationExecution refuses an empty map, and the
    parameters are what ties the automation to the wave (``{{instanceIds}}``)."""
    parameters = action.get("parameters") or {}
    if not parameters:
        raise _invalid(
            f"{path}.parameters",
            "an SSM_AUTOMATION action needs parameters (at least one): Automation refuses an "
            "execution without any",
        )
    if len(parameters) > AUTOMATION_MAX_PARAMETERS:
        raise _invalid(
            f"{path}.parameters", f"Automation takes at most {AUTOMATION_MAX_PARAMETERS} parameters"
        )
    for name, values in parameters.items():
        where = f"{path}.parameters.{name}"
        if len(name) > AUTOMATION_MAX_NAME:
            raise _invalid(
                where, f"an Automation parameter name has at most {AUTOMATION_MAX_NAME} characters"
            )
        if len(values) > AUTOMATION_MAX_VALUES:
            raise _invalid(where, f"an Automation parameter has at most {AUTOMATION_MAX_VALUES} values")
        for i, value in enumerate(values):
            if not value or len(value) > AUTOMATION_MAX_VALUE:
                raise _invalid(
                    f"{where}[{i}]",
                    f"an Automation parameter value has 1 to {AUTOMATION_MAX_VALUE} characters",
                )


def _check_lambda(config: Config, action: dict[str, Any], path: str) -> None:
    prefix = config.action_function_prefix
    name = action["functionName"]
    # The prefix names a family of functions; the prefix alone is no function of it.
    if not name.startswith(prefix) or len(name) == len(prefix):
        raise _invalid(
            f"{path}.functionName",
            f"this stack may invoke only functions whose name is {prefix!r} followed by at least one "
            "character (stack parameter ActionFunctionPrefix)",
        )
    reserved = sorted(ACTION_CONTEXT_KEYS & set(action.get("payload") or {}))
    if reserved:
        raise _invalid(
            f"{path}.payload.{reserved[0]}",
            f"{reserved[0]} is part of the context every function receives; use another key",
        )
    if int(action.get("timeoutSeconds") or 0) > LAMBDA_MAX_TIMEOUT_SECONDS:
        raise _invalid(
            f"{path}.timeoutSeconds",
            f"a LAMBDA action runs at most {LAMBDA_MAX_TIMEOUT_SECONDS} s (it is invoked synchronously)",
        )


def check_plan(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    check_actions(deps.config, body["waves"])
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


def create_group(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    return deps.stores.groups.create(check_group(deps, body), now=deps.clock.iso())


def replace_group(deps: Deps, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    current = deps.stores.groups.get(group_id)
    return deps.stores.groups.update(current, check_group(deps, body), now=deps.clock.iso())


def delete_group(deps: Deps, group_id: str) -> None:
    """Refused (GROUP_IN_USE) while a plan names the group or an active execution recovers it."""
    current = deps.stores.groups.get(group_id)
    using = [
        p["name"]
        for p in deps.stores.plans.all()
        if any(group_id in w["protectionGroupIds"] for w in p["waves"])
    ]
    if using:
        raise ConflictError(
            f"protection group {group_id} is used by recovery plan(s) {', '.join(using)}; remove it from them first",
            code="GROUP_IN_USE",
            details={"plans": using},
        )
    running = [
        e["executionId"]
        for e in deps.stores.executions.active()
        if any(group_id in w["protectionGroupIds"] for w in e["waves"])
    ]
    if running:
        raise ConflictError(
            f"protection group {group_id} is in use by active execution(s) {', '.join(running)}",
            code="GROUP_IN_USE",
            details={"executions": running},
        )
    deps.stores.groups.delete(current)


def create_plan(deps: Deps, body: dict[str, Any]) -> dict[str, Any]:
    return deps.stores.plans.create(check_plan(deps, body), now=deps.clock.iso())


def replace_plan(deps: Deps, plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    current = deps.stores.plans.get(plan_id)
    return deps.stores.plans.update(current, check_plan(deps, body), now=deps.clock.iso())


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
    deps.stores.plans.delete(current)
