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

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from drsctl.client import ApiClient, DrsctlError

GROUP_FIELDS = (
    "name",
    "description",
    "region",
    "sourceServerIds",
    "serverSelectionTags",
    "serverImpactLevels",
)
PLAN_FIELDS = ("name", "description", "waves", "options")
WAVE_FIELDS = ("waveName", "protectionGroupNames", "protectionGroupIds", "pauseBeforeWave")


class PlanFileError(DrsctlError):
    """The plan file is malformed: names the file and the field."""


@dataclass(frozen=True)
class ApplyResult:
    kind: str  # "protection group" | "recovery plan"
    name: str
    action: str  # created | updated | unchanged
    id: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


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


def _fail(where: str, message: str) -> PlanFileError:
    return PlanFileError(f"{where}: {message}")


def _check_fields(item: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _fail(where, "must be a mapping")
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", f"unknown field (allowed: {', '.join(allowed)})")
    if (
        not isinstance(item.get("name", item.get("waveName")), str)
        or not str(item.get("name", item.get("waveName"))).strip()
    ):
        raise _fail(f"{where}.{'waveName' if 'waveName' in allowed else 'name'}", "is required")
    return item


def check_document(document: Any) -> None:
    """Structure only; the API validates the rest and names the field it refuses."""
    if not isinstance(document, dict):
        raise PlanFileError("the file must hold a mapping with protectionGroups and/or recoveryPlans")
    unknown = sorted(set(document) - {"protectionGroups", "recoveryPlans"})
    if unknown:
        raise _fail(unknown[0], "unknown top-level key (allowed: protectionGroups, recoveryPlans)")
    if not document.get("protectionGroups") and not document.get("recoveryPlans"):
        raise PlanFileError("the file declares no protectionGroups and no recoveryPlans")
    seen: set[str] = set()
    for index, group in enumerate(document.get("protectionGroups") or []):
        where = f"protectionGroups[{index}]"
        _check_fields(group, where, GROUP_FIELDS)
        if ("sourceServerIds" in group) == ("serverSelectionTags" in group):
            raise _fail(where, "needs exactly one of sourceServerIds and serverSelectionTags")
        if group["name"].lower() in seen:
            raise _fail(f"{where}.name", f"{group['name']!r} is declared twice")
        seen.add(group["name"].lower())
    for index, plan in enumerate(document.get("recoveryPlans") or []):
        where = f"recoveryPlans[{index}]"
        _check_fields(plan, where, PLAN_FIELDS)
        waves = plan.get("waves")
        if not isinstance(waves, list) or not waves:
            raise _fail(f"{where}.waves", "must be a non-empty list")
        for number, wave in enumerate(waves):
            wave_where = f"{where}.waves[{number}]"
            _check_fields(wave, wave_where, WAVE_FIELDS)
            names, ids = wave.get("protectionGroupNames"), wave.get("protectionGroupIds")
            if (names is None) == (ids is None):
                raise _fail(wave_where, "needs exactly one of protectionGroupNames and protectionGroupIds")
            refs = names if names is not None else ids
            if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
                raise _fail(
                    wave_where, "protectionGroupNames/protectionGroupIds must be a non-empty list of strings"
                )


def _same(existing: dict[str, Any], body: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return all(existing.get(f) == body.get(f) for f in fields)


def apply_document(client: ApiClient, document: dict[str, Any]) -> list[ApplyResult]:
    """Create or update every group, then every plan, by name. Returns what was done to each."""
    check_document(document)
    results: list[ApplyResult] = []
    groups = {g["name"].lower(): g for g in client.groups()}
    for group in document.get("protectionGroups") or []:
        body = {k: group[k] for k in GROUP_FIELDS if k in group}
        existing = groups.get(group["name"].lower())
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
    for index, plan in enumerate(document.get("recoveryPlans") or []):
        waves = []
        for number, wave in enumerate(plan["waves"]):
            ids = wave.get("protectionGroupIds")
            if ids is None:
                ids = []
                for name in wave["protectionGroupNames"]:
                    if name.lower() not in groups:
                        raise _fail(
                            f"recoveryPlans[{index}].waves[{number}].protectionGroupNames",
                            f"no protection group named {name!r} in the file or the API",
                        )
                    ids.append(groups[name.lower()]["groupId"])
            waves.append(
                {
                    "waveName": wave["waveName"],
                    "protectionGroupIds": ids,
                    "pauseBeforeWave": bool(wave.get("pauseBeforeWave", False)),
                }
            )
        body = {k: plan[k] for k in PLAN_FIELDS if k in plan and k != "waves"}
        body["waves"] = waves
        existing = plans.get(plan["name"].lower())
        if existing is None:
            saved, action = client.post("/recovery-plans", body), "created"
        elif _same(existing, body, PLAN_FIELDS):
            saved, action = existing, "unchanged"
        else:
            saved, action = client.put(f"/recovery-plans/{existing['planId']}", body), "updated"
        results.append(ApplyResult("recovery plan", saved["name"], action, saved["planId"]))
    return results
