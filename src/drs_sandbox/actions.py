"""Runbook actions in the sandbox: the custom Lambda functions and SSM Automation documents a recovery
plan's waves run before and after their servers, and the log of every action invocation.

Production code calls them through plain boto3 clients (`lambda` at AWS_ENDPOINT_URL, moto;
`ssm` at AWS_ENDPOINT_URL_SSM, drs_sandbox.ssm) and never knows the sandbox exists. What each does
is declared here, by the control API (`POST /_sandbox/functions`, `POST /_sandbox/automations`) or a
scenario's `functions:` and `automations:` lists:

    {"name": "drs-actions-freeze-writes", "outcome": "SUCCEEDED" | "FAILED" | "TIMEOUT",
     "output": {...}, "durationSeconds": 1, "timeoutSeconds": 60}            # a function
    {"name": "Shop-FailoverDns", "outcome": "SUCCEEDED" | "FAILED" | "TIMEOUT",
     "output": {"dnsRecord": ["shop.example.internal"]}, "durationSeconds": 2,
     "failureMessage": "..."}                                                 # an automation document

Durations are simulated seconds: real time is simulated / the sandbox's time scale, as for the DRS
simulator's phases.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OUTCOMES: tuple[str, ...] = ("SUCCEEDED", "FAILED", "TIMEOUT")
FUNCTION_KEYS = frozenset({"name", "outcome", "output", "durationSeconds", "timeoutSeconds"})
AUTOMATION_KEYS = frozenset({"name", "outcome", "output", "durationSeconds", "failureMessage"})
# Lambda's function names (the short form), and SSM's document names.
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
DOCUMENT_NAME = re.compile(r"[a-zA-Z0-9_\-.]{3,128}")
DEFAULT_FUNCTION_SECONDS = 1.0
DEFAULT_FUNCTION_TIMEOUT = 60
MAX_FUNCTION_TIMEOUT = 900  # Lambda's limit
DEFAULT_AUTOMATION_SECONDS = 2.0
KINDS = ("FUNCTION", "COMMAND", "AUTOMATION")


class ActionSpecError(ValueError):
    """A bad function or automation declaration; `field` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ---------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ActionFunction:
    """A custom action function: what invoking it answers, after how long."""

    name: str
    outcome: str = "SUCCEEDED"
    output: dict[str, Any] = field(default_factory=lambda: {"status": "SUCCEEDED"})
    duration_seconds: float = DEFAULT_FUNCTION_SECONDS
    timeout_seconds: int = DEFAULT_FUNCTION_TIMEOUT

    @property
    def times_out(self) -> bool:
        """TIMEOUT, or a run longer than the function's timeout (Lambda stops it then)."""
        return self.outcome == "TIMEOUT" or self.duration_seconds > self.timeout_seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "output": self.output,
            "durationSeconds": self.duration_seconds,
            "timeoutSeconds": self.timeout_seconds,
        }


@dataclass(frozen=True)
class AutomationDocument:
    """An SSM Automation document: how its executions end, after how long, with which outputs."""

    name: str
    outcome: str = "SUCCEEDED"
    outputs: dict[str, list[str]] = field(default_factory=dict)
    duration_seconds: float = DEFAULT_AUTOMATION_SECONDS
    failure_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "outcome": self.outcome,
            "output": self.outputs,
            "durationSeconds": self.duration_seconds,
        }
        if self.failure_message:
            out["failureMessage"] = self.failure_message
        return out


def _seconds(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise ActionSpecError(path, f"must be a non-negative number of seconds, got {value!r}")
    return float(value)


def _common(raw: Any, keys: frozenset[str], pattern: re.Pattern[str], what: str) -> tuple[str, str]:
    if not isinstance(raw, dict):
        raise ActionSpecError("(entry)", f"must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise ActionSpecError(unknown[0], f"unknown field; expected one of {', '.join(sorted(keys))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ActionSpecError("name", "is required (a non-empty string)")
    if not pattern.fullmatch(name):
        raise ActionSpecError("name", f"{name!r} is not a valid {what} name ({pattern.pattern})")
    outcome = raw.get("outcome", "SUCCEEDED")
    if outcome not in OUTCOMES:
        raise ActionSpecError("outcome", f"must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    return name, str(outcome)


def parse_function(raw: Any) -> ActionFunction:
    """Validate one function declaration. Raises ActionSpecError naming the field."""
    name, outcome = _common(raw, FUNCTION_KEYS, FUNCTION_NAME, "Lambda function")
    output = raw.get("output", {"status": "SUCCEEDED"})
    if not isinstance(output, dict):
        raise ActionSpecError("output", f"must be a JSON object, got {output!r}")
    try:
        output = json.loads(json.dumps(output))
    except (TypeError, ValueError) as exc:
        raise ActionSpecError("output", f"must be JSON: {exc}") from exc
    timeout = raw.get("timeoutSeconds", DEFAULT_FUNCTION_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_FUNCTION_TIMEOUT:
        raise ActionSpecError(
            "timeoutSeconds", f"must be an integer between 1 and {MAX_FUNCTION_TIMEOUT}, got {timeout!r}"
        )
    return ActionFunction(
        name=name,
        outcome=outcome,
        output=output,
        duration_seconds=_seconds(raw.get("durationSeconds", DEFAULT_FUNCTION_SECONDS), "durationSeconds"),
        timeout_seconds=timeout,
    )


def parse_automation(raw: Any) -> AutomationDocument:
    """Validate one automation document declaration. Raises ActionSpecError naming the field."""
    name, outcome = _common(raw, AUTOMATION_KEYS, DOCUMENT_NAME, "SSM document")
    output = raw.get("output", {})
    if not isinstance(output, dict):
        raise ActionSpecError(
            "output", f"must be a mapping of output names to strings or lists, got {output!r}"
        )
    outputs: dict[str, list[str]] = {}
    for key, value in output.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or not key or not all(isinstance(v, str) for v in values):
            raise ActionSpecError(f"output.{key}", f"must be a string or a list of strings, got {value!r}")
        outputs[key] = list(values)
    failure = raw.get("failureMessage")
    if failure is not None and not isinstance(failure, str):
        raise ActionSpecError("failureMessage", f"must be a string, got {failure!r}")
    return AutomationDocument(
        name=name,
        outcome=outcome,
        outputs=outputs,
        duration_seconds=_seconds(raw.get("durationSeconds", DEFAULT_AUTOMATION_SECONDS), "durationSeconds"),
        failure_message=failure,
    )


def parse_list(raw: Any, parse: Callable[[Any], Any], what: str) -> list[Any]:
    """A list of declarations (all or none), each error naming `what[index].field`; a name
    given twice is refused."""
    if not isinstance(raw, list):
        raise ActionSpecError(what, "must be a list")
    out: list[Any] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        try:
            parsed = parse(entry)
        except ActionSpecError as exc:
            raise ActionSpecError(f"{what}[{index}].{exc.field}", exc.message) from exc
        if parsed.name in seen:
            raise ActionSpecError(f"{what}[{index}].name", f"{parsed.name!r} is declared twice")
        seen.add(parsed.name)
        out.append(parsed)
    return out


# ---------------------------------------------------------------------- the invocation log


def iso_now(ts: float | None = None) -> str:
    """`2026-01-02T03:04:05.678Z` (Lambda's log timestamps)."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ActionLog:
    """Every action invocation, in call order: functions invoked, commands sent, automations
    started (`GET /_sandbox/invocations`). Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(self, kind: str, name: str, invocation_id: str, **fields: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown invocation kind {kind!r}")
        entry = {"kind": kind, "time": iso_now(self._clock()), "name": name, "id": invocation_id, **fields}
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# ---------------------------------------------------------------------- the functions' answers


class ActionFunctions:
    """The declared functions and what invoking one answers, as Lambda's runtime would: the
    output (SUCCEEDED), an unhandled error (FAILED: errorType ActionFailed), or Lambda's timeout
    error (TIMEOUT, or a duration beyond the function's timeout). Each invocation takes its
    duration (simulated seconds / time_scale of real time, through `sleep`) and is logged."""

    def __init__(
        self,
        log: ActionLog,
        *,
        time_scale: float = 1.0,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.log = log
        self.time_scale = time_scale
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._functions: dict[str, ActionFunction] = {}

    def register(self, functions: list[ActionFunction]) -> None:
        with self._lock:
            for function in functions:
                self._functions[function.name] = function

    def get(self, name: str) -> ActionFunction | None:
        with self._lock:
            return self._functions.get(name)

    def declared(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._functions.values()]

    def invoke(self, name: str, payload: Any) -> tuple[str, bool]:
        """(payload, errored) of one invocation of a declared function (KeyError if undeclared)."""
        function = self.get(name)
        if function is None:
            raise KeyError(name)
        request_id = str(uuid.uuid4())
        self.log.record("FUNCTION", name, request_id, payload=payload)
        if function.times_out:
            self._sleep(function.timeout_seconds / self.time_scale)
            message = (
                f"{iso_now(self._clock())} {request_id} Task timed out after "
                f"{function.timeout_seconds:.2f} seconds"
            )
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}), True
        self._sleep(function.duration_seconds / self.time_scale)
        if function.outcome == "FAILED":
            message = function.output.get("message") or "the function failed"
            error = {"errorMessage": str(message), "errorType": "ActionFailed", "requestId": request_id}
            return json.dumps({**error, "stackTrace": []}), True
        return json.dumps(function.output), False
