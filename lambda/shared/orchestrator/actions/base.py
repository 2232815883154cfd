"""What every action kind shares: the interface a kind implements (ActionKind), the runner interface
behind it (``start(action, context)`` begins an attempt and returns its outcome: RUNNING with a
handle to check later (SSM, WAIT), or already ended (LAMBDA, invoked synchronously); ``check(action,
context)`` looks at a RUNNING attempt again), the context an action runs against, and the
substitution of that context into SSM parameters.

Runners never write anything: operations/actions.py records outcomes, counts attempts and applies
timeouts, retries and the wave's fate, asking the action's kind (never its type name) what differs.
"""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Protocol, TypeVar

from execution_utils import ActionStatus
from orchestrator.aws.ports import FunctionsPort, SsmPort
from orchestrator.config import Config
from orchestrator.exceptions import OrchestratorError, TransientError
from orchestrator.model import ActionRecord

# The context every action gets (a LAMBDA action as its event, merged with its payload, whose keys
# may not shadow these): built by operations/actions.py, documented in the README.
ACTION_CONTEXT_KEYS = frozenset(
    {
        "executionId",
        "planId",
        "planName",
        "executionType",
        "waveNumber",
        "waveName",
        "stage",
        "actionName",
        "attempt",
        "servers",
    }
)


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    status: ActionStatus  # RUNNING, SUCCEEDED, FAILED or TIMED_OUT
    output: str | None = None
    error: str | None = None
    handle: dict[str, Any] | None = None
    # When to look again (RUNNING only); None: the operation's adaptive interval.
    check_in_seconds: int | None = None

    @property
    def ended(self) -> bool:
        return self.status is not ActionStatus.RUNNING


def call_service(call: Callable[[], T], *, passing: Outcome | None = None) -> T | Outcome:
    """A runner's call to its service, its errors taken as every runner takes them: a refusal (a
    domain error but a passing one) is the attempt's FAILED outcome, with its message; a passing
    failure (TransientError) is raised (at a start: run_action gives the attempt back and tries it
    again later), or answered with ``passing`` (at a check: still RUNNING, asked again next turn)."""
    try:
        return call()
    except TransientError:
        if passing is None:
            raise
        return passing
    except OrchestratorError as e:
        return Outcome(ActionStatus.FAILED, error=e.message)


class ActionContext:
    """What an action runs against: ``event``, the documented context a LAMBDA action receives
    (README, "The recovery runbook"), and ``instances``, the wave's recovered EC2 instances (id ->
    hostname). Both come from the wave's server items, read only when a runner asks (a check of a
    running command does not, until it ended)."""

    def __init__(
        self,
        load: Callable[[], tuple[dict[str, Any], Mapping[str, str]]],
        now: datetime | None = None,
    ) -> None:
        self._load = load
        self.now = now

    @cached_property
    def _loaded(self) -> tuple[dict[str, Any], Mapping[str, str]]:
        return self._load()

    @property
    def event(self) -> dict[str, Any]:
        return self._loaded[0]

    @property
    def instances(self) -> Mapping[str, str]:
        return self._loaded[1]

    @property
    def instance_ids(self) -> list[str]:
        return sorted(self.instances)


class Runner(Protocol):
    def start(self, action: ActionRecord, context: ActionContext) -> Outcome: ...

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome: ...


class ActionPorts(Protocol):
    """The services a runner may call (Deps is one)."""

    @property
    def functions(self) -> FunctionsPort: ...

    @property
    def ssm(self) -> SsmPort: ...


# A problem with an action's definition: (the field, relative to the action, e.g. ``payload.stage``;
# what is wrong with it). The plan rules report the first as 422 VALIDATION_ERROR
# ``invalid waves[w].preActions[a].<field>: <message>``.
Problem = tuple[str, str]


class ActionKind:
    """Everything an action type means, in one place: its fields (JSON Schema properties and which of
    them are required), its defaults, limits and plan rules, and how an action of it is carried out:
    by a runner (RunnerKind: an attempt starts and is checked) or by an operator (OperatorKind: the
    execution pauses until someone completes it). The operations, the plan rules and the request
    schema ask the registry (actions/__init__.py) for the action's kind; none of them names a type."""

    type: ClassVar[str]
    # JSON Schema properties of the fields only this type's actions carry (besides name, type,
    # timeoutSeconds, maxAttempts and onFailure), and those of them an action must have.
    fields: ClassVar[dict[str, dict[str, Any]]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # The longest an attempt may run whatever timeoutSeconds says (None: timeoutSeconds alone).
    max_timeout_seconds: ClassVar[int | None] = None

    def defaults(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Values for fields the definition leaves out, from the plan's ``options``, beyond the
        defaults every action gets (model.new_action)."""
        return {}

    def validate(self, action: Mapping[str, Any], config: Config) -> list[Problem]:
        """The plan rules the schema cannot say (allow-lists, limits of the service called, ...)."""
        return []

    def limit_seconds(self, action: Mapping[str, Any]) -> int:
        """How long an attempt of ``action`` may run before it is TIMED_OUT."""
        seconds = int(action["timeoutSeconds"])
        return min(seconds, self.max_timeout_seconds) if self.max_timeout_seconds is not None else seconds

    def timeout_error(self, action: Mapping[str, Any]) -> str:
        """The error of an attempt that ran out of time without a result of its own."""
        return f"no result within {self.limit_seconds(action)} s"


class RunnerKind(ActionKind, ABC):
    """An action a runner carries out: ``start`` begins an attempt (RUNNING with a handle, or already
    ended), ``check`` looks at a RUNNING one again (operations/actions.run_action)."""

    # The attempt runs to its end inside start (a synchronous call): a start recorded without its
    # result is counted lost only once the attempt's limit has passed too.
    synchronous: ClassVar[bool] = False

    @abstractmethod
    def runner(self, ports: ActionPorts) -> Runner: ...

    def start(self, action: ActionRecord, context: ActionContext, ports: ActionPorts) -> Outcome:
        return self.runner(ports).start(action, context)

    def check(self, action: ActionRecord, context: ActionContext, ports: ActionPorts) -> Outcome:
        return self.runner(ports).check(action, context)


class OperatorKind(ActionKind):
    """An action an operator completes: nothing runs; the state machine pauses on a task token
    (operations/actions.await_approval) until a resume completes the action (control.resume) or
    its time runs out (approval_expired)."""

    def request_words(self, action: Mapping[str, Any], wave_number: int) -> str:
        """The timeline's words when the action starts waiting for its operator."""
        return f"waiting for {action['name']} in wave {wave_number}: resume to go on"


# An action type's kind is one or the other.
Kind = RunnerKind | OperatorKind


# Context values a plan may place in SSM parameters: "{{instanceIds}}" as a whole list item expands
# into every recovered instance id; the others are replaced inside any string.
_SCALARS = ("executionId", "planId", "planName", "executionType", "waveName", "waveNumber")
# PowerShell takes these as single quotes too; inside a single-quoted string each is doubled.
_POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def quote_posix(value: str) -> str:
    """``value`` as one word of a POSIX shell line, whatever it holds."""
    return shlex.quote(value)


def quote_powershell(value: str) -> str:
    """``value`` as a PowerShell single-quoted (verbatim) string: no variable, no subexpression."""
    return "'" + "".join(c * 2 if c in _POWERSHELL_QUOTES else c for c in value) + "'"


def shell_quote_for(document_name: str) -> Callable[[str], str]:
    """How a Command document's shell reads a substituted value literally: PowerShell documents
    (AWS-RunPowerShellScript and those named like it) single-quote, every other one is a POSIX shell."""
    return quote_powershell if "powershell" in document_name.lower() else quote_posix


def render_parameters(
    parameters: Mapping[str, Sequence[str]],
    context: ActionContext,
    quote: Callable[[str], str] | None = None,
) -> dict[str, list[str]]:
    """The action's parameters with the context substituted. ``quote``, given for Command documents
    (whose parameters end up in a shell line), makes each substituted value one literal word, so a
    plan or wave name is never run as shell code."""
    rendered: dict[str, list[str]] = {}
    for key, values in parameters.items():
        items: list[str] = []
        for value in values:
            if value.strip() == "{{instanceIds}}":
                items.extend(context.instance_ids)
                continue
            text = value
            for name in _SCALARS:
                marker = "{{" + name + "}}"
                if marker in text:
                    substituted = str(context.event.get(name, ""))
                    text = text.replace(marker, quote(substituted) if quote else substituted)
            items.append(text)
        rendered[key] = items
    return rendered
