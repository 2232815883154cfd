"""SSM_COMMAND: Run Command on every recovered instance of the wave; each must succeed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from execution_utils import ActionStatus, ActionType
from orchestrator.actions import base
from orchestrator.actions.ssm_documents import DOCUMENT_NAME, PARAMETERS, document_problems
from orchestrator.aws.ports import Command, SsmPort
from orchestrator.aws.ssm import COMMAND_ENDED
from orchestrator.config import Config
from orchestrator.model import ActionRecord

# Run Command appends what failed after this marker, below the command's own output.
_ERROR_MARKER = "----------ERROR-------"


def _last_word(output: str) -> str:
    """What a failed command said last: the last line of its own output, else the first of the
    error section SSM appends (``failed to run commands: exit status 3``)."""
    own, _, failure = output.partition(_ERROR_MARKER)
    lines = own.strip().splitlines() or failure.strip().splitlines()
    return (lines[-1] if own.strip() else lines[0]).strip() if lines else ""


class CommandRunner:
    def __init__(self, ssm: SsmPort):
        self.ssm = ssm

    def start(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        if not context.instance_ids:
            return base.Outcome(
                ActionStatus.FAILED, error="the wave has no recovered instance to run the command on"
            )
        command_ids = base.call_service(
            lambda: self.ssm.send_command(
                Command(
                    document=action["documentName"],
                    instance_ids=context.instance_ids,
                    parameters=base.render_parameters(
                        action.get("parameters") or {}, context, base.shell_quote_for(action["documentName"])
                    ),
                    timeout_seconds=action["timeoutSeconds"],
                    comment=f"drs-orchestrator {context.event['executionId'][:8]} {action['name']}",
                )
            )
        )
        if isinstance(command_ids, base.Outcome):
            return command_ids
        return base.Outcome(ActionStatus.RUNNING, handle={"commandIds": command_ids})

    def check(self, action: ActionRecord, context: base.ActionContext) -> base.Outcome:
        handle = action.get("handle") or {}
        results = base.call_service(
            lambda: self.ssm.command_results(handle.get("commandIds") or []),
            passing=base.Outcome(ActionStatus.RUNNING),
        )
        if isinstance(results, base.Outcome):
            return results
        if not results or any(r["status"] not in COMMAND_ENDED for r in results):
            return base.Outcome(ActionStatus.RUNNING)

        def name(instance_id: str) -> str:
            host = context.instances.get(instance_id)
            return f"{instance_id} ({host})" if host else instance_id

        lines = [
            f"--- {name(r['instanceId'])}: {r['status']}"
            + (f" (exit code {r['responseCode']})" if r.get("responseCode") not in (None, 0, -1) else "")
            + "\n"
            + str(r.get("output") or "").rstrip()
            for r in sorted(results, key=lambda r: str(r["instanceId"]))
        ]
        output = "\n".join(lines)
        bad = [r for r in results if r["status"] != "Success"]
        if not bad:
            return base.Outcome(ActionStatus.SUCCEEDED, output=output)
        first = bad[0]
        detail = (
            f"exit code {first['responseCode']}"
            if first["status"] == "Failed" and first.get("responseCode") not in (None, -1)
            else first["status"]
        )
        error = f"{detail} on {name(first['instanceId'])}" + (
            f" and {len(bad) - 1} more instance(s)" if len(bad) > 1 else ""
        )
        if said := _last_word(str(first.get("output") or "")):
            error += f": {said[:200]}"
        status = (
            ActionStatus.TIMED_OUT if all(r["status"] == "TimedOut" for r in bad) else ActionStatus.FAILED
        )
        return base.Outcome(status, output=output, error=error)


class CommandKind(base.RunnerKind):
    type = ActionType.SSM_COMMAND
    fields: ClassVar[dict[str, dict[str, Any]]] = {"documentName": DOCUMENT_NAME, "parameters": PARAMETERS}
    required = ("documentName",)

    def validate(self, action: Mapping[str, Any], config: Config) -> list[base.Problem]:
        return document_problems(
            action, self.type, config.allowed_ssm_command_documents, "AllowedSsmCommandDocuments"
        )

    def runner(self, ports: base.ActionPorts) -> base.Runner:
        return CommandRunner(ports.ssm)
