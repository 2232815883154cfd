"""Scenario files: the DRS source servers a sandbox starts with, and the groups and plans to create.

A scenario is a YAML (or JSON) mapping:

```yaml
name: three-tier                # optional; defaults to the file name
description: ...                # optional
timeScale: 60                   # optional; simulated seconds per real second
serverDefaults:                 # optional; merged under every server (tags are merged too)
  phaseDurations: {snapshot: 120, conversion: 420, launch: 180, boot: 60, statusChecks: 60}
sourceServers:
  - hostname: db01              # a DRS source server spec (DrsSimulator.add_source_servers)
    tags: {Tier: db}
    launchOutcome: FAILED       # LAUNCHED (default) | FAILED
    failPhase: LAUNCH           # SNAPSHOT | CONVERSION | LAUNCH
  - hostname: app01
    statusChecks: IMPAIRED      # OK (default) | IMPAIRED: EC2's instance status check fails
    commandResult: {exitCode: 0, output: "ok", durationSeconds: 5}  # what SSM commands sent to
                                # its recovery instance do (default: exit 0, no output, 2 s)
  - hostname: "web{n:03d}"      # `count` repeats an entry: web001 .. web100; `{n}` is
    count: 100                  # formatted into hostname, fqdn, sourceServerId and tag values
    start: 1                    # optional first n (default 1)
protectionGroups:               # passed through to `plans apply`
  - {name: DB, description: ..., serverSelectionTags: {Tier: db}}
recoveryPlans:                  # passed through to `plans apply`
  - name: 3TierRecoveryPlan
    waves:
      - {waveName: DB, protectionGroupNames: [DB]}
functions:                      # custom action functions (POST /_sandbox/functions)
  - {name: drs-actions-freeze-writes, outcome: SUCCEEDED, output: {status: SUCCEEDED}, durationSeconds: 1}
automations:                    # SSM Automation documents (POST /_sandbox/automations)
  - {name: Shop-FailoverDns, outcome: SUCCEEDED, output: {dnsRecord: [shop.example.internal]}}
networks:                       # VPCs made in EC2 (drs_sandbox.network); a group's launchSettings
  - name: production            # name their parts as "{subnet:prod-app-a}", "{securityGroup:prod-app}"
    cidrBlock: 10.10.0.0/16
    subnets: [{name: prod-app-a, cidrBlock: 10.10.2.0/24, availabilityZone: us-east-1a}]
    securityGroups: [{name: prod-app}]
```

Servers without a `sourceServerId` get one derived from their hostname, so a scenario always
yields the same ids. `functions` and `automations` take the shapes of drs_sandbox.actions (outcome
SUCCEEDED | FAILED | TIMEOUT, durations in simulated seconds). Snake-case spellings of the top-level
keys (`time_scale`, `source_servers`, `server_defaults`, `protection_groups`, `recovery_plans`) are
accepted too. Errors raise
ScenarioError naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from drs_sandbox.actions import (
    ActionFunction,
    ActionSpecError,
    AutomationDocument,
    parse_automation,
    parse_function,
    parse_list,
)
from drs_sandbox.drs.servers import SpecError, derive_server_id, parse_spec
from drs_sandbox.network import parse_networks

MAX_COUNT = 10_000
_TOP_LEVEL = {
    "name": "name",
    "description": "description",
    "timeScale": "timeScale",
    "time_scale": "timeScale",
    "serverDefaults": "serverDefaults",
    "server_defaults": "serverDefaults",
    "sourceServers": "sourceServers",
    "source_servers": "sourceServers",
    "protectionGroups": "protectionGroups",
    "protection_groups": "protectionGroups",
    "recoveryPlans": "recoveryPlans",
    "recovery_plans": "recoveryPlans",
    "functions": "functions",
    "automations": "automations",
    "networks": "networks",
}
_FORMATTED = ("hostname", "fqdn", "sourceServerId")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the field."""


Fail = Callable[[str, str], ScenarioError]


@dataclass
class Scenario:
    time_scale: float | None
    source_servers: list[dict[str, Any]]
    protection_groups: list[dict[str, Any]] = field(default_factory=list)
    recovery_plans: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    description: str = ""
    functions: list[ActionFunction] = field(default_factory=list)
    automations: list[AutomationDocument] = field(default_factory=list)
    # VPCs, subnets and security groups to make in EC2 (drs_sandbox.network).
    networks: list[dict[str, Any]] = field(default_factory=list)


def builtin_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the package, by name (`three-tier`, ...)."""
    folder = resources.files("drs_sandbox") / "scenarios"
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith((".yaml", ".yml", ".json"))
    }


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A path to a scenario file, or the name of a shipped one."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = builtin_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise ScenarioError(
        f"{name_or_path}: no such scenario file, and not a shipped scenario ({', '.join(sorted(shipped))})"
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML, or JSON by its .json suffix)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc
    return parse_scenario(data, source=str(path), default_name=path.stem)


def parse_scenario(data: Any, *, source: str = "<scenario>", default_name: str = "") -> Scenario:
    """Validate an already-parsed scenario mapping."""

    def fail(where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{source}: {where}: {message}")

    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping, got {type(data).__name__}")
    top: dict[str, Any] = {}
    for key, value in data.items():
        canonical = _TOP_LEVEL.get(key)
        if canonical is None:
            raise fail(key, f"unknown field; expected one of {', '.join(sorted(set(_TOP_LEVEL.values())))}")
        if canonical in top:
            raise fail(key, f"given twice (as {canonical} and {key})")
        top[canonical] = value

    time_scale = top.get("timeScale")
    if time_scale is not None and (
        isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or time_scale <= 0
    ):
        raise fail("timeScale", f"must be a positive number, got {time_scale!r}")
    for text_field in ("name", "description"):
        if text_field in top and not isinstance(top[text_field], str):
            raise fail(text_field, "must be a string")

    defaults = top.get("serverDefaults") or {}
    if not isinstance(defaults, dict):
        raise fail("serverDefaults", "must be a mapping of source server fields")
    servers = _expand_servers(top.get("sourceServers"), defaults, fail)
    groups = _check_groups(top.get("protectionGroups"), fail)
    plans = _check_plans(top.get("recoveryPlans"), {g["name"].lower() for g in groups}, fail)
    try:
        functions = parse_list(top.get("functions") or [], parse_function, "functions")
        automations = parse_list(top.get("automations") or [], parse_automation, "automations")
    except ActionSpecError as exc:
        raise fail(exc.field, exc.message) from exc
    networks = parse_networks(top.get("networks"), fail)
    return Scenario(
        networks=networks,
        time_scale=float(time_scale) if time_scale is not None else None,
        source_servers=servers,
        protection_groups=groups,
        recovery_plans=plans,
        name=top.get("name") or default_name,
        description=top.get("description") or "",
        functions=functions,
        automations=automations,
    )


def _format(value: Any, n: int, where: str, fail: Fail) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return value.format(n=n)
    except (KeyError, IndexError, ValueError) as exc:
        raise fail(where, f"bad {{n}} placeholder in {value!r}: {exc}") from exc


def _expand_servers(raw: Any, defaults: dict[str, Any], fail: Fail) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail("sourceServers", "must be a list of source servers")
    out: list[dict[str, Any]] = []
    origin: dict[str, str] = {}
    for index, raw_entry in enumerate(raw):
        where = f"sourceServers[{index}]"
        if not isinstance(raw_entry, dict):
            raise fail(where, "must be a mapping")
        entry = dict(raw_entry)
        count, start = entry.pop("count", None), entry.pop("start", 1)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise fail(f"{where}.count", f"must be a positive integer, got {count!r}")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise fail(f"{where}.start", f"must be a non-negative integer, got {start!r}")
        if count is not None and count > MAX_COUNT:
            raise fail(f"{where}.count", f"must be at most {MAX_COUNT}")
        if count is not None and count > 1 and "{n" not in str(entry.get("hostname", "")):
            raise fail(f"{where}.hostname", "must contain an {n} placeholder (e.g. web{n:03d}) with count")
        merged = {**defaults, **entry}
        if isinstance(defaults.get("tags"), dict) and isinstance(entry.get("tags"), dict):
            merged["tags"] = {**defaults["tags"], **entry["tags"]}
        for n in range(start, start + (count or 1)):
            label = where if count is None else f"{where} (n={n})"
            spec = dict(merged)
            if count is not None:
                for key in _FORMATTED:
                    if key in spec:
                        spec[key] = _format(spec[key], n, f"{label}.{key}", fail)
                if isinstance(spec.get("tags"), dict):
                    tags = spec["tags"].items()
                    spec["tags"] = {k: _format(v, n, f"{label}.tags.{k}", fail) for k, v in tags}
            if "sourceServerId" not in spec and isinstance(spec.get("hostname"), str):
                spec["sourceServerId"] = derive_server_id(spec["hostname"])
            try:
                parsed = parse_spec(spec)
            except SpecError as exc:
                raise fail(f"{label}.{exc.field}", exc.message) from exc
            if parsed.source_server_id in origin:
                raise fail(
                    label,
                    f"source server {parsed.source_server_id} ({parsed.hostname}) is already declared by "
                    f"{origin[parsed.source_server_id]}",
                )
            origin[parsed.source_server_id] = label
            out.append(parsed.to_dict())
    return out


def _name(item: dict[str, Any], where: str, fail: Fail) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{where}.name", "is required (a non-empty string)")
    return name


def _check_groups(raw: Any, fail: Fail) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail("protectionGroups", "must be a list of protection groups")
    seen: set[str] = set()
    for index, group in enumerate(raw):
        where = f"protectionGroups[{index}]"
        if not isinstance(group, dict):
            raise fail(where, "must be a mapping")
        name = _name(group, where, fail)
        if name.lower() in seen:
            raise fail(f"{where}.name", f"protection group {name!r} is declared twice")
        seen.add(name.lower())
        has_ids, has_tags = "sourceServerIds" in group, "serverSelectionTags" in group
        if has_ids == has_tags:
            raise fail(where, "needs exactly one of sourceServerIds and serverSelectionTags")
        if has_ids and not (
            isinstance(group["sourceServerIds"], list)
            and all(isinstance(i, str) for i in group["sourceServerIds"])
        ):
            raise fail(f"{where}.sourceServerIds", "must be a list of source server ids")
        if has_tags and not isinstance(group["serverSelectionTags"], dict):
            raise fail(f"{where}.serverSelectionTags", "must be a mapping of tag keys to values")
    return list(raw)


def _check_plans(raw: Any, group_names: set[str], fail: Fail) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail("recoveryPlans", "must be a list of recovery plans")
    for index, plan in enumerate(raw):
        where = f"recoveryPlans[{index}]"
        if not isinstance(plan, dict):
            raise fail(where, "must be a mapping")
        _name(plan, where, fail)
        waves = plan.get("waves")
        if not isinstance(waves, list) or not waves:
            raise fail(f"{where}.waves", "must be a non-empty list of waves")
        for wave_index, wave in enumerate(waves):
            wave_where = f"{where}.waves[{wave_index}]"
            if not isinstance(wave, dict):
                raise fail(wave_where, "must be a mapping")
            if not isinstance(wave.get("waveName"), str) or not wave["waveName"].strip():
                raise fail(f"{wave_where}.waveName", "is required (a non-empty string)")
            names, ids = wave.get("protectionGroupNames"), wave.get("protectionGroupIds")
            if (names is None) == (ids is None):
                raise fail(wave_where, "needs exactly one of protectionGroupNames and protectionGroupIds")
            refs = names if names is not None else ids
            if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
                field_name = "protectionGroupNames" if names is not None else "protectionGroupIds"
                raise fail(f"{wave_where}.{field_name}", "must be a non-empty list of strings")
            for ref in names or []:
                if ref.lower() not in group_names:
                    raise fail(
                        f"{wave_where}.protectionGroupNames",
                        f"protection group {ref!r} is not declared in this scenario's protectionGroups",
                    )
            pause = wave.get("pauseBeforeWave", False)
            if not isinstance(pause, bool):
                raise fail(f"{wave_where}.pauseBeforeWave", f"must be true or false, got {pause!r}")
    return list(raw)
