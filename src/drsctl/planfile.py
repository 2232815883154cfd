"""`drsctl plans apply -f FILE`: protection groups and recovery plans declared in YAML or JSON,
created or updated by name (groups first, their names resolved to ids for the plans).

    protectionGroups:
      - name: DatabaseServers
        serverSelectionTags: {Tier: db}        # or sourceServerIds: [s-..., ...]
    recoveryPlans:
      - name: 3TierRecoveryPlan
        waves:
          - {waveName: DB, protectionGroupNames: [DatabaseServers]}
          - {waveName: Web, protectionGroupNames: [WebServers], pauseBeforeWave: true}
        options: {readinessCheck: EC2_RUNNING, waveTimeoutMinutes: 120}
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from drsctl.client import ApiClient, DrsctlError
from orchestrator import text_patterns
from orchestrator.api import schemas

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

GROUP_FIELDS = tuple(schemas.PROTECTION_GROUP["properties"])
PLAN_FIELDS = tuple(schemas.RECOVERY_PLAN["properties"])
MESSAGES = "x-messages"  # per keyword, what a failure means (jsonschema ignores unknown keywords)
_WAVE: dict[str, Any] = schemas.WAVE

# The API's schemas, extended with what only a plan file has: waves that name their groups
# (protectionGroupNames, resolved to ids on apply) and the two top-level lists.
PLAN_FILE_GROUP: dict[str, Any] = {
    **schemas.PROTECTION_GROUP,
    "oneOf": [{"required": ["sourceServerIds"]}, {"required": ["serverSelectionTags"]}],
    MESSAGES: {"oneOf": "needs exactly one of sourceServerIds and serverSelectionTags"},
}
PLAN_FILE_WAVE: dict[str, Any] = {
    **_WAVE,
    "required": ["waveName"],
    "properties": {
        **_WAVE["properties"],
        "protectionGroupNames": {**_WAVE["properties"]["protectionGroupIds"], "items": schemas.NAME},
    },
    "oneOf": [{"required": ["protectionGroupNames"]}, {"required": ["protectionGroupIds"]}],
    MESSAGES: {"oneOf": "needs exactly one of protectionGroupNames and protectionGroupIds"},
}
PLAN_FILE_PLAN: dict[str, Any] = {
    **schemas.RECOVERY_PLAN,
    "properties": {
        **schemas.RECOVERY_PLAN["properties"],
        "waves": {**schemas.RECOVERY_PLAN["properties"]["waves"], "items": PLAN_FILE_WAVE},
    },
}
PLAN_FILE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "PlanFile",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "protectionGroups": {"type": "array", "items": PLAN_FILE_GROUP},
        "recoveryPlans": {"type": "array", "items": PLAN_FILE_PLAN},
    },
    "anyOf": [
        {"required": ["protectionGroups"], "properties": {"protectionGroups": {"minItems": 1}}},
        {"required": ["recoveryPlans"], "properties": {"recoveryPlans": {"minItems": 1}}},
    ],
    MESSAGES: {
        "type": "the file must hold a mapping with protectionGroups and/or recoveryPlans",
        "anyOf": "the file declares no protectionGroups and no recoveryPlans",
    },
}


class PlanFileError(DrsctlError):
    """The plan file is malformed: names the file and the field."""


@dataclass(frozen=True)
class ApplyResult:
    kind: str  # "protection group" | "recovery plan"
    name: str
    action: str  # created | updated | unchanged; with --dry-run: create | update | unchanged
    id: str | None  # None for one a dry run would create
    diff: str | None = None  # a dry run's unified diff (current -> plan file); None otherwise

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.diff is None:
            data.pop("diff")
        return data


def _yaml_lines(item: dict[str, Any] | None, fields: tuple[str, ...]) -> list[str]:
    if item is None:
        return []
    shown = {f: item[f] for f in fields if item.get(f) is not None}
    text = yaml.safe_dump(shown, sort_keys=True, allow_unicode=True, width=float("inf"))
    return text.splitlines()


def diff_of(
    name: str, current: dict[str, Any] | None, wanted: dict[str, Any], fields: tuple[str, ...]
) -> str:
    """A unified diff of what the API holds and what the plan file declares (the fields apply writes)."""
    return "\n".join(
        difflib.unified_diff(
            _yaml_lines(current, fields),
            _yaml_lines(wanted, fields),
            fromfile=f"{name} (current)" if current is not None else "/dev/null",
            tofile=f"{name} (plan file)",
            lineterm="",
        )
    )


def load_document(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise PlanFileError(f"cannot read {file}: {e.strerror}") from e
    try:
        document = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise PlanFileError(f"{file} is not valid {'JSON' if file.suffix == '.json' else 'YAML'}: {e}") from e
    try:
        check_document(document)
    except PlanFileError as e:
        raise PlanFileError(f"{file}: {e}") from e
    return dict(document)


@cache
def _validator() -> Draft202012Validator:
    # Imported here: only `plans apply` needs jsonschema, every other command starts faster.
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(PLAN_FILE)
    return Draft202012Validator(PLAN_FILE)


def _where(path: Iterable[Any]) -> str:
    where = ""
    for part in path:
        where += f"[{part}]" if isinstance(part, int) else f"{'.' if where else ''}{part}"
    return where


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError) -> str:
    """One line: the document path and the problem, worded as the API words its own."""
    where = _where(error.absolute_path)
    keyword = str(error.validator)
    custom = (error.schema.get(MESSAGES) or {}).get(keyword) if isinstance(error.schema, dict) else None
    if custom:
        return f"{where}: {custom}" if where else str(custom)
    if keyword == "required":
        missing = next(f for f in error.validator_value if f not in error.instance)
        return f"{_where([*error.absolute_path, missing])}: is required"
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties") or {})
        unknown = sorted(str(k) for k in error.instance if k not in allowed)[0]
        return f"{_where([*error.absolute_path, unknown])}: unknown field (allowed: {', '.join(allowed)})"
    if keyword == "pattern" and error.validator_value in text_patterns.PATTERN_RULES:
        return f"{where}: {text_patterns.PATTERN_RULES[error.validator_value]}"
    if keyword in ("oneOf", "anyOf") and error.context:
        from jsonschema.exceptions import best_match

        return _describe(best_match(error.context))
    return f"{where or 'the file'}: {_shorten(error.message)}"


def _check_unique_names(document: dict[str, Any]) -> None:
    """Names are unique, case-insensitively (a JSON Schema cannot say so)."""
    for key in ("protectionGroups", "recoveryPlans"):
        seen: set[str] = set()
        for index, item in enumerate(document.get(key) or []):
            if item["name"].lower() in seen:
                raise PlanFileError(f"{key}[{index}].name: {item['name']!r} is declared twice")
            seen.add(item["name"].lower())


def check_document(document: Any) -> None:
    """The plan file against the API's own JSON Schemas (extended for plan files); the first
    problem, shallowest first, as one line naming the document path."""
    from jsonschema.exceptions import relevance

    errors = list(_validator().iter_errors(document))
    if errors:
        raise PlanFileError(_describe(max(errors, key=relevance)))
    _check_unique_names(document)


def _check_group_references(document: dict[str, Any], existing: set[str]) -> None:
    """Every protectionGroupNames entry names a group of the file or of the API, checked before
    anything is written."""
    known = existing | {g["name"].lower() for g in document.get("protectionGroups") or []}
    for index, plan in enumerate(document.get("recoveryPlans") or []):
        for number, wave in enumerate(plan["waves"]):
            for name in wave.get("protectionGroupNames") or []:
                if name.lower() not in known:
                    raise PlanFileError(
                        f"recoveryPlans[{index}].waves[{number}].protectionGroupNames: "
                        f"no protection group named {name!r} in the file or the API"
                    )


# What the API assumes of a field left out, so that a plan file leaving it out is "unchanged".
ACTION_DEFAULTS: dict[str, Any] = {"timeoutSeconds": 900, "maxAttempts": 1, "onFailure": "FAIL"}
OPTION_DEFAULTS: dict[str, Any] = {"onWaveFailure": "STOP"}


def _with_defaults(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan with the runbook's defaults filled in (for comparison only, never sent)."""
    waves = [
        {
            **wave,
            **{
                stage: [{**ACTION_DEFAULTS, **action} for action in wave.get(stage) or []]
                for stage in ("preActions", "postActions")
            },
        }
        for wave in plan.get("waves") or []
    ]
    options = {**OPTION_DEFAULTS, **(plan.get("options") or {})}
    return {**plan, "waves": waves, "options": options}


def _same(existing: dict[str, Any], body: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return all(existing.get(f) == body.get(f) for f in fields)


def apply_document(
    client: ApiClient, document: dict[str, Any], *, dry_run: bool = False
) -> list[ApplyResult]:
    """Create or update every group, then every plan, by name. Returns what was done to each; with
    `dry_run`, what would be done (and a diff of each), and nothing is written."""
    check_document(document)
    results: list[ApplyResult] = []
    groups = {g["name"].lower(): g for g in client.groups()}
    _check_group_references(document, set(groups))
    for group in document.get("protectionGroups") or []:
        body = {k: group[k] for k in GROUP_FIELDS if k in group}
        existing = groups.get(group["name"].lower())
        if dry_run:
            same = existing is not None and _same(existing, body, GROUP_FIELDS)
            results.append(
                ApplyResult(
                    "protection group",
                    group["name"],
                    "create" if existing is None else "unchanged" if same else "update",
                    existing["groupId"] if existing else None,
                    "" if same else diff_of(group["name"], existing, body, GROUP_FIELDS),
                )
            )
            # A group the file would create is named by a placeholder in the plans' diffs.
            groups.setdefault(group["name"].lower(), {"groupId": f"<new group {group['name']}>"})
            continue
        if existing is None:
            saved = client.post("/protection-groups", body)
            action = "created"
        elif _same(existing, body, GROUP_FIELDS):
            saved, action = existing, "unchanged"
        else:
            saved = client.put(f"/protection-groups/{existing['groupId']}", body)
            action = "updated"
        groups[saved["name"].lower()] = saved
        results.append(ApplyResult("protection group", saved["name"], action, saved["groupId"]))
    plans = {p["name"].lower(): p for p in client.plans()}
    for plan in document.get("recoveryPlans") or []:
        waves = []
        for wave in plan["waves"]:
            ids = wave.get("protectionGroupIds")
            if ids is None:
                ids = [groups[name.lower()]["groupId"] for name in wave["protectionGroupNames"]]
            # Every field of the wave as written (preActions, postActions, whatever the API's wave
            # schema allows), its groups named by id.
            body_wave = {k: v for k, v in wave.items() if k != "protectionGroupNames"}
            body_wave.update(protectionGroupIds=ids, pauseBeforeWave=bool(wave.get("pauseBeforeWave", False)))
            waves.append(body_wave)
        body = {k: plan[k] for k in PLAN_FIELDS if k in plan and k != "waves"}
        body["waves"] = waves
        existing = plans.get(plan["name"].lower())
        if dry_run:
            same = existing is not None and _same(_with_defaults(existing), _with_defaults(body), PLAN_FIELDS)
            results.append(
                ApplyResult(
                    "recovery plan",
                    plan["name"],
                    "create" if existing is None else "unchanged" if same else "update",
                    existing["planId"] if existing else None,
                    ""
                    if same
                    else diff_of(
                        plan["name"],
                        _with_defaults(existing) if existing else None,
                        _with_defaults(body),
                        PLAN_FIELDS,
                    ),
                )
            )
            continue
        if existing is None:
            saved, action = client.post("/recovery-plans", body), "created"
        elif _same(_with_defaults(existing), _with_defaults(body), PLAN_FIELDS):
            saved, action = existing, "unchanged"
        else:
            saved, action = client.put(f"/recovery-plans/{existing['planId']}", body), "updated"
        results.append(ApplyResult("recovery plan", saved["name"], action, saved["planId"]))
    return results
