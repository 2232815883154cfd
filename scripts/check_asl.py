"""Structural check of Amazon States Language files, then the asl-validator npm package.

Usage: python scripts/check_asl.py cfn/statemachine/*.asl.json

For every file: valid JSON; StartAt exists; every Next / Default / Choice Next / Catch Next
names a state of the same scope (nested Parallel branches and Map processors are scopes of
their own); every state is reachable from StartAt; no non-terminal state is a dead end and
every state can still reach an end; every ``*.$`` field and every path field is well-formed
JSONPath; every ``${...}`` placeholder is listed in the DefinitionSubstitutions of the
template.yaml state machine that uses the file. Then ``node_modules/.bin/asl-validator`` checks
the definition with the placeholders replaced by plausible ARNs (it validates ARNs).

One line per problem, ``FILE: LOCATION: message``; exit status 1 on any problem.
``check_definition(definition, substitutions)`` is importable for unit tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # run with any interpreter, not only the project venv
    sys.path.insert(0, str(ROOT / "src"))

from drs_sandbox import cfn  # noqa: E402

ASL_VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"
STATE_TYPES = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
TERMINAL_TYPES = {"Succeed", "Fail"}
# Fields whose value is a path (reference path or JSONPath); null is allowed where AWS allows it.
PATH_FIELDS = (
    "InputPath",
    "OutputPath",
    "ResultPath",
    "SecondsPath",
    "TimestampPath",
    "ItemsPath",
    "MaxConcurrencyPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "ErrorPath",
    "CausePath",
)
NULLABLE_PATH_FIELDS = {"InputPath", "OutputPath", "ResultPath"}
# Objects in which keys ending in ".$" hold paths or intrinsic functions.
PAYLOAD_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Arguments", "Output")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_PATH_TOKEN = re.compile(
    r"""
      \.\.?(?:[A-Za-z0-9_$@-]+|\*)      # .name  ..name  .*
    | \[\s*(?:
          \*                             # [*]
        | -?\d+(?:\s*:\s*-?\d*)?(?:\s*,\s*-?\d+)*   # [0] [1:3] [0,2]
        | '(?:[^'\\]|\\.)*'              # ['name']
        | "(?:[^"\\]|\\.)*"              # ["name"]
        | \?\(.*?\)                      # [?(@.x == 1)]
      )\s*\]
    """,
    re.VERBOSE,
)


# --------------------------------------------------------------------------- JSONPath


def jsonpath_error(path: Any, *, reference: bool = False) -> str | None:
    """Why ``path`` is not a well-formed JSONPath, or None. ``reference``: a reference path
    (ResultPath): no ``$$`` context object, no wildcards or filters."""
    if not isinstance(path, str):
        return f"must be a string, got {type(path).__name__}"
    if not path.startswith("$"):
        return f"{path!r} must start with '$' or '$$'"
    body = path[2:] if path.startswith("$$") else path[1:]
    if reference and path.startswith("$$"):
        return f"{path!r}: a reference path cannot use the context object '$$'"
    if not _brackets_balanced(path):
        return f"{path!r} has unbalanced brackets or quotes"
    position = 0
    while position < len(body):
        match = _PATH_TOKEN.match(body, position)
        if match is None:
            return f"{path!r}: unexpected {body[position:]!r}"
        position = match.end()
    if reference and re.search(r"\*|\?\(|\.\.", body):
        return f"{path!r}: a reference path cannot use wildcards, filters or '..'"
    return None


def _brackets_balanced(text: str) -> bool:
    depth: list[str] = []
    pairs = {")": "(", "]": "["}
    quote: str | None = None
    escaped = False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "'\"" and depth:
            quote = char
        elif char in "([":
            depth.append(char)
        elif char in ")]" and (not depth or depth.pop() != pairs[char]):
            return False
    return not depth and quote is None


def dollar_field_error(value: Any) -> str | None:
    """A ``"key.$"`` value: a path, or an intrinsic function such as ``States.Format(...)``."""
    if isinstance(value, str) and value.startswith("States."):
        if not re.match(r"^States\.[A-Za-z][A-Za-z0-9.]*\(.*\)$", value, re.DOTALL):
            return f"{value!r} is not a well-formed intrinsic function call"
        if not _brackets_balanced(value):
            return f"{value!r} has unbalanced parentheses, brackets or quotes"
        return None
    return jsonpath_error(value)


# --------------------------------------------------------------------------- structure


def _walk_dollar_fields(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(".$"):
                yield f"{where}.{key}", item
            else:
                yield from _walk_dollar_fields(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_dollar_fields(item, f"{where}[{index}]")


def _choice_rule_paths(rule: Any, where: str) -> Iterator[tuple[str, str, Any]]:
    """(location, field, value) of every path in a Choice rule, nested And/Or/Not included."""
    if not isinstance(rule, dict):
        return
    for key, value in rule.items():
        if key == "Variable" or (key.endswith("Path") and key != "Next"):
            yield f"{where}.{key}", key, value
    for key in ("And", "Or"):
        for index, sub in enumerate(rule.get(key) or []):
            yield from _choice_rule_paths(sub, f"{where}.{key}[{index}]")
    if isinstance(rule.get("Not"), dict):
        yield from _choice_rule_paths(rule["Not"], f"{where}.Not")


def _edges(state: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(field, target) of every transition out of ``state``."""
    if "Next" in state:
        yield "Next", state["Next"]
    if state.get("Type") == "Choice":
        for index, rule in enumerate(state.get("Choices") or []):
            if isinstance(rule, dict) and "Next" in rule:
                yield f"Choices[{index}].Next", rule["Next"]
        if "Default" in state:
            yield "Default", state["Default"]
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield f"Catch[{index}].Next", catcher["Next"]


def _check_scope(machine: Any, where: str, errors: list[str]) -> None:
    """One StartAt/States scope (the top level, a Parallel branch or a Map processor)."""
    if not isinstance(machine, dict):
        errors.append(f"{where}: must be an object with StartAt and States")
        return
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        errors.append(f"{where}.States: missing or empty")
        return
    start = machine.get("StartAt")
    if not isinstance(start, str):
        errors.append(f"{where}.StartAt: missing")
    elif start not in states:
        errors.append(f"{where}.StartAt: state {start!r} does not exist")

    graph: dict[str, set[str]] = {name: set() for name in states}
    terminal: set[str] = set()
    for name, state in states.items():
        here = f"{where}.States.{name}"
        if not isinstance(state, dict):
            errors.append(f"{here}: must be an object")
            continue
        kind = state.get("Type")
        if kind not in STATE_TYPES:
            errors.append(f"{here}.Type: {kind!r} is not a state type")
            continue
        for field, target in _edges(state):
            if not isinstance(target, str) or target not in states:
                errors.append(f"{here}.{field}: target {target!r} does not exist")
            else:
                graph[name].add(target)
        ends = state.get("End") is True
        if kind in TERMINAL_TYPES:
            terminal.add(name)
            if "Next" in state or "End" in state:
                errors.append(f"{here}: a {kind} state has no Next or End")
        elif kind == "Choice":
            if not state.get("Choices"):
                errors.append(f"{here}.Choices: a Choice state needs at least one rule")
            if "End" in state or "Next" in state:
                errors.append(f"{here}: a Choice state has no Next or End (rules and Default do)")
        elif ends and "Next" in state:
            errors.append(f"{here}: has both Next and End")
        elif ends:
            terminal.add(name)
        elif "Next" not in state:
            errors.append(f"{here}: dead end (a {kind} state needs Next or End: true)")
        _check_state_paths(state, here, errors)
        if kind == "Parallel":
            for index, branch in enumerate(state.get("Branches") or []):
                _check_scope(branch, f"{here}.Branches[{index}]", errors)
        if kind == "Map":
            processor = state.get("ItemProcessor", state.get("Iterator"))
            _check_scope(processor, f"{here}.ItemProcessor", errors)

    if isinstance(start, str) and start in states:
        reached = _reachable(graph, {start})
        for name in states:
            if name not in reached:
                errors.append(f"{where}.States.{name}: unreachable from StartAt {start!r}")
        # Every reachable state must still be able to reach an end (no closed loops).
        reverse: dict[str, set[str]] = {name: set() for name in states}
        for source, targets in graph.items():
            for target in targets:
                reverse[target].add(source)
        can_finish = _reachable(reverse, terminal)
        for name in states:
            if name in reached and name not in can_finish:
                errors.append(f"{where}.States.{name}: no path from here reaches an end state")


def _reachable(graph: Mapping[str, Collection[str]], start: set[str]) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _check_state_paths(state: dict[str, Any], here: str, errors: list[str]) -> None:
    for field in PATH_FIELDS:
        if field not in state:
            continue
        value = state[field]
        if value is None and field in NULLABLE_PATH_FIELDS:
            continue
        problem = jsonpath_error(value, reference=field == "ResultPath")
        if problem:
            errors.append(f"{here}.{field}: {problem}")
    for field in PAYLOAD_FIELDS:
        for location, value in _walk_dollar_fields(state.get(field), f"{here}.{field}"):
            problem = dollar_field_error(value)
            if problem:
                errors.append(f"{location}: {problem}")
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and catcher.get("ResultPath") is not None:
            problem = jsonpath_error(catcher["ResultPath"], reference=True)
            if problem:
                errors.append(f"{here}.Catch[{index}].ResultPath: {problem}")
    if state.get("Type") == "Choice":
        for index, rule in enumerate(state.get("Choices") or []):
            for location, _key, value in _choice_rule_paths(rule, f"{here}.Choices[{index}]"):
                problem = jsonpath_error(value)
                if problem:
                    errors.append(f"{location}: {problem}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_definition(definition: Any, substitutions: Collection[str]) -> list[str]:
    """Every structural problem of an ASL definition (parsed JSON), as ``LOCATION: message``.

    ``substitutions``: the placeholder names the template's DefinitionSubstitutions provide (a
    mapping's keys work too).
    """
    errors: list[str] = []
    _check_scope(definition, "$", errors)
    known = set(substitutions)
    for name in sorted({m.group(1) for text in _strings(definition) for m in PLACEHOLDER.finditer(text)}):
        if name not in known:
            errors.append(f"${{{name}}}: placeholder not listed in DefinitionSubstitutions")
    return errors


# --------------------------------------------------------------------------- the template


def template_substitutions(template: Mapping[str, Any], asl_file: Path) -> dict[str, str] | None:
    """Placeholder -> plausible value for the state machine that uses ``asl_file``, or None
    when no state machine of the template uses it."""
    resolver = cfn.Resolver(template)
    base = template.base_dir if isinstance(template, cfn.CfnTemplate) else ROOT
    for logical_id in cfn.state_machine_logical_ids(template):
        props = template["Resources"][logical_id].get("Properties") or {}
        uri = props.get("DefinitionUri")
        if isinstance(uri, str) and (base / uri).resolve() == asl_file.resolve():
            values: dict[str, str] = {}
            for name, raw in (props.get("DefinitionSubstitutions") or {}).items():
                try:
                    values[name] = str(resolver.resolve(raw))
                except (cfn.ResolveError, KeyError, ValueError):
                    values[name] = _plausible_value(name)
            return values
    return None


def _plausible_value(name: str) -> str:
    lowered = name.lower()
    account = "arn:aws:{}:us-east-1:123456789012:{}"
    if "statemachine" in lowered:
        return account.format("states", "stateMachine:placeholder")
    if "topic" in lowered:
        return account.format("sns", "placeholder")
    if "queue" in lowered:
        return account.format("sqs", "placeholder")
    if "table" in lowered:
        return account.format("dynamodb", "table/placeholder") if lowered.endswith("arn") else "placeholder"
    return account.format("lambda", "function:placeholder")


def run_asl_validator(text: str) -> list[str]:
    """asl-validator's complaints about a definition (JSON text), one per line."""
    if not ASL_VALIDATOR.exists():
        return [f"{ASL_VALIDATOR.relative_to(ROOT)} is missing: run `make setup` (npm ci)"]
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-definition", text],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode == 0:
        return []
    lines = [
        line.strip()
        for line in (result.stdout + "\n" + result.stderr).splitlines()
        if line.strip() and "is invalid" not in line
    ]
    return [f"asl-validator: {line}" for line in lines] or [f"asl-validator: exit status {result.returncode}"]


def check_file(path: Path, template: Mapping[str, Any] | None) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
        definition = json.loads(text)
    except (OSError, json.JSONDecodeError) as error:
        return [f"not valid JSON: {error}"]
    substitutions: dict[str, str] = {}
    errors: list[str] = []
    if template is not None:
        found = template_substitutions(template, path)
        if found is None:
            errors.append("no state machine in template.yaml uses this file (DefinitionUri)")
        else:
            substitutions = found
    errors.extend(check_definition(definition, substitutions))
    if errors:
        return errors
    concrete = PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    return run_asl_validator(json.dumps(json.loads(concrete)))


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: check_asl.py FILE.asl.json...", file=sys.stderr)
        return 2
    try:
        template: Mapping[str, Any] | None = cfn.load_template(ROOT / "template.yaml")
    except (OSError, ValueError) as error:
        print(f"template.yaml: cannot read it: {error}", file=sys.stderr)
        return 1
    failed = False
    for name in argv:
        path = Path(name)
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        problems = check_file(path, template)
        for problem in problems:
            print(f"{shown}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
        if not problems:
            print(f"{shown}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
