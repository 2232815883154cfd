"""Runbook actions: one runner per action type behind one small interface.

``start(action, context)`` begins an attempt and returns its outcome: RUNNING with a handle to
check later (SSM, WAIT), or already ended (LAMBDA, invoked synchronously). ``check(action,
context)`` looks at a RUNNING attempt again. Runners never write anything: operations/actions.py
records outcomes, counts attempts and applies timeouts, retries and the wave's fate.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from execution_utils import ActionStatus, ActionType
from orchestrator.model import ActionRecord
from orchestrator.ports import FunctionsPort, SsmPort

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
# A LAMBDA action is invoked synchronously inside the execution handler, whose limit is 900 s.
LAMBDA_MAX_TIMEOUT_SECONDS = 840


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


def runners(functions: FunctionsPort, ssm: SsmPort) -> dict[ActionType, Runner]:
    from orchestrator.actions.approval import ApprovalRunner
    from orchestrator.actions.lambda_action import LambdaRunner
    from orchestrator.actions.ssm_automation import AutomationRunner
    from orchestrator.actions.ssm_command import CommandRunner
    from orchestrator.actions.wait import WaitRunner

    return {
        ActionType.LAMBDA: LambdaRunner(functions),
        ActionType.SSM_COMMAND: CommandRunner(ssm),
        ActionType.SSM_AUTOMATION: AutomationRunner(ssm),
        ActionType.WAIT: WaitRunner(),
        ActionType.APPROVAL: ApprovalRunner(),
    }
