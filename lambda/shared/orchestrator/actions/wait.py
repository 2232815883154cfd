"""WAIT: let durationSeconds pass (a settle time); the state machine's Wait state does the waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from execution_utils import ActionStatus, ActionType
from orchestrator import timeutil
from orchestrator.actions.base import ActionContext, ActionPorts, Outcome, Runner, RunnerKind
from orchestrator.model import ActionRecord


class WaitRunner:
    def start(self, action: ActionRecord, context: ActionContext) -> Outcome:
        assert context.now is not None
        duration = int(action.get("durationSeconds") or 0)
        until = timeutil.iso(context.now + timedelta(seconds=duration))
        return Outcome(ActionStatus.RUNNING, handle={"until": until}, check_in_seconds=duration)

    def check(self, action: ActionRecord, context: ActionContext) -> Outcome:
        assert context.now is not None
        until = (action.get("handle") or {}).get("until")
        left = timeutil.seconds_between(timeutil.iso(context.now), until) if until else 0
        if left <= 0:
            return Outcome(ActionStatus.SUCCEEDED, output=f"waited {action.get('durationSeconds')} s")
        return Outcome(ActionStatus.RUNNING, check_in_seconds=max(1, int(left + 0.999)))


class WaitKind(RunnerKind):
    type = ActionType.WAIT
    fields: ClassVar[dict[str, dict[str, Any]]] = {
        "durationSeconds": {"type": "integer", "minimum": 60, "maximum": 7200}
    }
    required = ("durationSeconds",)

    def runner(self, ports: ActionPorts) -> Runner:
        return WaitRunner()
