"""The SSM simulator: Run Command on the DRS simulator's recovery instances, and Automation
executions, in pure Python.

No HTTP here (see app.py) and no threads: time comes from an injectable clock, and every answer is
computed from it. Durations are simulated seconds; real elapsed time is simulated / time_scale (the
DRS simulator's rule). Timestamps in responses are the clock's (wall-clock) times.

- SendCommand: every instance must be a *managed* instance, which in the sandbox means a running
  EC2 instance the DRS simulator launched as a recovery instance (`lookup` says which; any other id
  is InvalidInstanceId, as SSM answers for instances without its agent). Each invocation is
  InProgress for its source server's `commandResult.durationSeconds`, then Success (exitCode 0) or
  Failed (ResponseCode = exitCode); TimedOut if the command's timeout (TimeoutSeconds, or the
  document's `executionTimeout` parameter when smaller) ends first; Cancelled by CancelCommand.
- ListCommandInvocations (newest command first, paginated by MaxResults <= 50 and NextToken),
  GetCommandInvocation: the plugin `aws:runShellScript`; Output is cut to SSM's 2,500 characters,
  StandardOutputContent to 24,000, StandardErrorContent to 8,000.
- StartAutomationExecution / GetAutomationExecution: each document behaves as declared
  (drs_sandbox.actions.AutomationDocument); an undeclared one succeeds after 2 s with no outputs.

Every public method takes the simulator's lock, so one simulator may serve several threads.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from drs_sandbox.actions import ActionLog, AutomationDocument, iso_now
from drs_sandbox.drs.servers import CommandResult
from drs_sandbox.drs.wire import check_shape, decode_token, encode_token

logger = logging.getLogger(__name__)

PLUGIN_NAME = "aws:runShellScript"
MAX_PLUGIN_OUTPUT = 2500
MAX_STANDARD_OUTPUT = 24000
MAX_STANDARD_ERROR = 8000
MAX_INSTANCES = 50
MAX_RESULTS = 50
DEFAULT_TIMEOUT_SECONDS = 3600
DOCUMENT_VERSION = "$DEFAULT"
TERMINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})

_METHODS: dict[str, str] = {
    "SendCommand": "send_command",
    "ListCommandInvocations": "list_command_invocations",
    "GetCommandInvocation": "get_command_invocation",
    "CancelCommand": "cancel_command",
    "StartAutomationExecution": "start_automation_execution",
    "GetAutomationExecution": "get_automation_execution",
}
SUPPORTED_OPERATIONS: tuple[str, ...] = tuple(_METHODS)


@functools.cache
def service_model() -> ServiceModel:
    """botocore's SSM service model (the authority on wire shapes)."""
    return botocore.session.get_session().get_service_model("ssm")


class SsmApiError(Exception):
    """An error answered by the SSM API (awsJson: `__type` and `Message`)."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.http_status = code, message, http_status


@dataclass(frozen=True)
class CommandTarget:
    """A managed instance: the recovery instance and what commands run on it do."""

    instance_id: str
    result: CommandResult
    instance_name: str = ""


Lookup = Callable[[str], CommandTarget | None]


@dataclass
class Invocation:
    """One instance's share of a command; its status follows the clock."""

    instance_id: str
    instance_name: str
    result: CommandResult
    requested_at: float
    ends_at: float
    timeout_at: float
    cancelled_at: float | None = None

    def status(self, now: float) -> str:
        settles = min(self.ends_at, self.timeout_at)
        if self.cancelled_at is not None and self.cancelled_at < settles:
            return "Cancelled"
        if self.timeout_at < self.ends_at and now >= self.timeout_at:
            return "TimedOut"
        if now >= self.ends_at:
            return "Success" if self.result.exit_code == 0 else "Failed"
        return "InProgress"

    def finished_at(self, status: str) -> float | None:
        if status == "Cancelled":
            return self.cancelled_at
        if status == "TimedOut":
            return self.timeout_at
        return self.ends_at if status in TERMINAL else None

    def response_code(self, status: str) -> int:
        return self.result.exit_code if status in ("Success", "Failed") else -1

    def stderr(self, status: str) -> str:
        if status == "Failed":
            return f"failed to run commands: exit status {self.result.exit_code}"
        if status == "TimedOut":
            return "Command execution timed out"
        return ""

    def stdout(self, status: str) -> str:
        return self.result.output if status in ("Success", "Failed", "TimedOut") else ""

    def plugin_output(self, status: str) -> str:
        """Standard output, then standard error after SSM's separator, cut to 2,500 characters."""
        out, err = self.stdout(status), self.stderr(status)
        text = f"{out}\n----------ERROR-------\n{err}" if err else out
        return text[:MAX_PLUGIN_OUTPUT]


@dataclass
class Command:
    command_id: str
    seq: int
    document_name: str
    comment: str
    parameters: dict[str, list[str]]
    timeout_seconds: int
    requested_at: float
    expires_at: float
    invocations: list[Invocation]

    def status(self, now: float) -> str:
        statuses = [i.status(now) for i in self.invocations]
        if any(s not in TERMINAL for s in statuses):
            return "InProgress"
        for status in ("Failed", "TimedOut", "Cancelled"):
            if status in statuses:
                return status
        return "Success"


@dataclass
class AutomationExecution:
    execution_id: str
    document: AutomationDocument
    document_name: str
    parameters: dict[str, list[str]]
    started_at: float
    ends_at: float

    def status(self, now: float) -> str:
        if now < self.ends_at:
            return "InProgress"
        return {"SUCCEEDED": "Success", "FAILED": "Failed", "TIMEOUT": "TimedOut"}[self.document.outcome]


@dataclass
class _State:
    commands: dict[str, Command] = field(default_factory=dict)
    automations: dict[str, AutomationExecution] = field(default_factory=dict)
    documents: dict[str, AutomationDocument] = field(default_factory=dict)


class SsmSimulator:
    """Simulates the SSM API: `dispatch(operation, body)` answers as SSM does, in wire shape."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        log: ActionLog | None = None,
        account_id: str = "123456789012",
        region: str = "us-east-1",
    ) -> None:
        if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not time_scale > 0:
            raise ValueError(f"time_scale must be a positive number, got {time_scale!r}")
        self._lookup = lookup
        self._clock = clock
        self._time_scale = float(time_scale)
        self._log = log if log is not None else ActionLog(clock)
        self._account_id = account_id
        self._region = region
        self._lock = threading.RLock()
        self._seq = 0
        self._state = _State()

    # ------------------------------------------------------------------ control (sandbox, tests)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def time_scale(self) -> float:
        return self._time_scale

    def declare_automations(self, documents: list[AutomationDocument]) -> None:
        """Declare (or re-declare) how these Automation documents' executions end."""
        with self._lock:
            for document in documents:
                self._state.documents[document.name] = document

    def declared_automations(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.to_dict() for d in self._state.documents.values()]

    def _real(self, simulated_seconds: float) -> float:
        return simulated_seconds / self._time_scale

    # ------------------------------------------------------------------ API

    def dispatch(self, operation: str, body: Any) -> dict[str, Any]:
        """Answer one request (raises SsmApiError)."""
        method = _METHODS.get(operation)
        if method is None:
            raise SsmApiError(
                "UnknownOperationException", f"Operation {operation} is not supported by the SSM simulator"
            )
        if not isinstance(body, dict):
            raise SsmApiError("SerializationException", "The request body must be a JSON object")
        shape = service_model().operation_model(operation).input_shape
        problems = check_shape(body, shape, operation, allow_unknown=True) if shape is not None else []
        if problems:
            raise SsmApiError(
                "ValidationException", f"{len(problems)} validation error(s) detected: {'; '.join(problems)}"
            )
        with self._lock:
            result: dict[str, Any] = getattr(self, method)(body)
            return result

    def send_command(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            ids: list[str] = list(body.get("InstanceIds") or [])
            if not ids:
                targets = " (the sandbox sends commands to InstanceIds only, not Targets)"
                raise SsmApiError(
                    "ValidationException",
                    "InstanceIds must hold 1 to 50 instance ids" + (targets if body.get("Targets") else ""),
                )
            if len(ids) > MAX_INSTANCES:
                raise SsmApiError("ValidationException", f"InstanceIds must hold at most {MAX_INSTANCES} ids")
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise SsmApiError("DuplicateInstanceId", f"Instance {duplicates[0]} is given more than once")
            targets_found = {i: self._lookup(i) for i in ids}
            unmanaged = [i for i, target in targets_found.items() if target is None]
            if unmanaged:
                listed = ", ".join(f"[{i}]" for i in unmanaged)
                raise SsmApiError(
                    "InvalidInstanceId",
                    f"Instances [{listed}] not in a valid state for account {self._account_id}",
                )
            parameters = {k: list(v) for k, v in (body.get("Parameters") or {}).items()}
            timeout = int(body.get("TimeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
            execution_timeout = _execution_timeout(parameters)
            run_timeout = min(timeout, execution_timeout) if execution_timeout else timeout
            invocations = []
            for instance_id in ids:
                target = targets_found[instance_id]
                assert target is not None
                invocations.append(
                    Invocation(
                        instance_id=instance_id,
                        instance_name=target.instance_name,
                        result=target.result,
                        requested_at=now,
                        ends_at=now + self._real(target.result.duration_seconds),
                        timeout_at=now + self._real(run_timeout),
                    )
                )
            command = Command(
                command_id=str(uuid.uuid4()),
                seq=self._next_seq(),
                document_name=str(body["DocumentName"]),
                comment=str(body.get("Comment") or ""),
                parameters=parameters,
                timeout_seconds=timeout,
                requested_at=now,
                expires_at=now + self._real(timeout),
                invocations=invocations,
            )
            self._state.commands[command.command_id] = command
            extra = {"comment": command.comment} if command.comment else {}
            self._log.record(
                "COMMAND",
                command.document_name,
                command.command_id,
                parameters=parameters,
                instanceIds=ids,
                **extra,
            )
            logger.info("command sent", extra={"commandId": command.command_id, "instances": len(ids)})
            wire = self._command_wire(command, now)
            wire.update(Status="Pending", StatusDetails="Pending")
            return {"Command": wire}

    def list_command_invocations(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            if body.get("Filters"):
                raise SsmApiError("InvalidFilterKey", "The SSM simulator does not filter command invocations")
            if body.get("CommandId"):
                commands = [self._command(body["CommandId"])]
            else:
                commands = sorted(self._state.commands.values(), key=lambda c: -c.seq)
            rows: list[tuple[tuple[int, int], Command, Invocation]] = [
                ((-command.seq, index), command, invocation)
                for command in commands
                for index, invocation in enumerate(command.invocations)
                if not body.get("InstanceId") or invocation.instance_id == body["InstanceId"]
            ]
            start = 0
            if body.get("NextToken"):
                try:
                    after = tuple(decode_token(body["NextToken"])["after"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise SsmApiError("InvalidNextToken", "The specified token is not valid.") from exc
                while start < len(rows) and rows[start][0] <= after:
                    start += 1
            size = min(int(body.get("MaxResults") or MAX_RESULTS), MAX_RESULTS)
            page = rows[start : start + size]
            details = bool(body.get("Details"))
            response: dict[str, Any] = {
                "CommandInvocations": [self._invocation_wire(c, i, now, details) for _k, c, i in page]
            }
            if start + size < len(rows):
                response["NextToken"] = encode_token({"after": list(page[-1][0])})
            return response

    def get_command_invocation(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            command = self._command(body["CommandId"])
            plugin = body.get("PluginName")
            if plugin is not None and plugin != PLUGIN_NAME:
                raise SsmApiError("InvalidPluginName", f"The plugin {plugin} is not part of this command")
            invocation = next((i for i in command.invocations if i.instance_id == body["InstanceId"]), None)
            if invocation is None:
                raise SsmApiError(
                    "InvocationDoesNotExist",
                    f"Command {command.command_id} has no invocation on instance {body['InstanceId']}",
                )
            status = invocation.status(now)
            finished = invocation.finished_at(status)
            elapsed = (finished if finished is not None else now) - invocation.requested_at
            response: dict[str, Any] = {
                "CommandId": command.command_id,
                "InstanceId": invocation.instance_id,
                "Comment": command.comment,
                "DocumentName": command.document_name,
                "DocumentVersion": DOCUMENT_VERSION,
                "PluginName": PLUGIN_NAME,
                "ResponseCode": invocation.response_code(status),
                "ExecutionStartDateTime": iso_now(invocation.requested_at),
                "ExecutionElapsedTime": f"PT{elapsed:.3f}S",
                "Status": status,
                "StatusDetails": _details(status),
                "StandardOutputContent": invocation.stdout(status)[:MAX_STANDARD_OUTPUT],
                "StandardOutputUrl": "",
                "StandardErrorContent": invocation.stderr(status)[:MAX_STANDARD_ERROR],
                "StandardErrorUrl": "",
                "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
            }
            if finished is not None:
                response["ExecutionEndDateTime"] = iso_now(finished)
            return response

    def cancel_command(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            command = self._command(body["CommandId"])
            wanted = set(body.get("InstanceIds") or [i.instance_id for i in command.invocations])
            unknown = sorted(wanted - {i.instance_id for i in command.invocations})
            if unknown:
                raise SsmApiError("InvalidInstanceId", f"Instance {unknown[0]} is not part of this command")
            for invocation in command.invocations:
                if invocation.instance_id in wanted and invocation.status(now) not in TERMINAL:
                    invocation.cancelled_at = now
            return {}

    def start_automation_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            name = str(body["DocumentName"])
            short = name.rsplit("document/", 1)[-1] if name.startswith("arn:") else name
            document = self._state.documents.get(short) or AutomationDocument(name=short)
            parameters = {k: list(v) for k, v in (body.get("Parameters") or {}).items()}
            execution = AutomationExecution(
                execution_id=str(uuid.uuid4()),
                document=document,
                document_name=short,
                parameters=parameters,
                started_at=now,
                ends_at=now + self._real(document.duration_seconds),
            )
            self._state.automations[execution.execution_id] = execution
            self._log.record("AUTOMATION", short, execution.execution_id, parameters=parameters)
            logger.info("automation started", extra={"executionId": execution.execution_id})
            return {"AutomationExecutionId": execution.execution_id}

    def get_automation_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            execution_id = body["AutomationExecutionId"]
            execution = self._state.automations.get(execution_id)
            if execution is None:
                raise SsmApiError(
                    "AutomationExecutionNotFoundException",
                    f"Automation Execution with id {execution_id} does not exist.",
                )
            status = execution.status(now)
            document = execution.document
            wire: dict[str, Any] = {
                "AutomationExecutionId": execution.execution_id,
                "DocumentName": execution.document_name,
                "DocumentVersion": "1",
                "ExecutionStartTime": execution.started_at,
                "AutomationExecutionStatus": status,
                "Mode": "Auto",
                "ExecutedBy": f"arn:aws:sts::{self._account_id}:assumed-role/sandbox/sandbox",
            }
            if execution.parameters:
                wire["Parameters"] = execution.parameters
            if status == "InProgress":
                return {"AutomationExecution": wire}
            wire["ExecutionEndTime"] = execution.ends_at
            if status == "Success" and document.outputs:
                wire["Outputs"] = {k: list(v) for k, v in document.outputs.items()}
            elif status == "Failed":
                wire["FailureMessage"] = document.failure_message or (
                    f"Step fails when it is executing. The automation document {document.name} is "
                    "declared to fail in the sandbox."
                )
            elif status == "TimedOut":
                wire["FailureMessage"] = document.failure_message or (
                    f"Step timed out while step is executing. The automation document {document.name} "
                    "is declared to time out in the sandbox."
                )
            return {"AutomationExecution": wire}

    # ------------------------------------------------------------------ wire forms

    def _command(self, command_id: str) -> Command:
        command = self._state.commands.get(command_id)
        if command is None:
            raise SsmApiError("InvalidCommandId", f"Command {command_id} does not exist")
        return command

    def _command_wire(self, command: Command, now: float) -> dict[str, Any]:
        statuses = [i.status(now) for i in command.invocations]
        status = command.status(now)
        wire: dict[str, Any] = {
            "CommandId": command.command_id,
            "DocumentName": command.document_name,
            "DocumentVersion": DOCUMENT_VERSION,
            "Comment": command.comment,
            "ExpiresAfter": command.expires_at,
            "InstanceIds": [i.instance_id for i in command.invocations],
            "Targets": [],
            "RequestedDateTime": command.requested_at,
            "Status": status,
            "StatusDetails": _details(status),
            "OutputS3Region": self._region,
            "MaxConcurrency": "50",
            "MaxErrors": "0",
            "TargetCount": len(statuses),
            "CompletedCount": sum(1 for s in statuses if s in TERMINAL),
            "ErrorCount": sum(1 for s in statuses if s in ("Failed", "TimedOut")),
            "DeliveryTimedOutCount": 0,
            "ServiceRole": "",
            "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
            "TimeoutSeconds": command.timeout_seconds,
        }
        if command.parameters:
            wire["Parameters"] = command.parameters
        return wire

    def _invocation_wire(
        self, command: Command, invocation: Invocation, now: float, details: bool
    ) -> dict[str, Any]:
        status = invocation.status(now)
        wire: dict[str, Any] = {
            "CommandId": command.command_id,
            "InstanceId": invocation.instance_id,
            "InstanceName": invocation.instance_name,
            "Comment": command.comment,
            "DocumentName": command.document_name,
            "DocumentVersion": DOCUMENT_VERSION,
            "RequestedDateTime": invocation.requested_at,
            "Status": status,
            "StatusDetails": _details(status),
            "TraceOutput": "",
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
            "CommandPlugins": [],
            "ServiceRole": "",
            "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
        }
        if details:
            plugin: dict[str, Any] = {
                "Name": PLUGIN_NAME,
                "Status": status,
                "StatusDetails": _details(status),
                "ResponseCode": invocation.response_code(status),
                "ResponseStartDateTime": invocation.requested_at,
                "Output": invocation.plugin_output(status),
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
                "OutputS3Region": self._region,
            }
            finished = invocation.finished_at(status)
            if finished is not None:
                plugin["ResponseFinishDateTime"] = finished
            wire["CommandPlugins"] = [plugin]
        return wire

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq


def _details(status: str) -> str:
    return "ExecutionTimedOut" if status == "TimedOut" else status


def _execution_timeout(parameters: dict[str, list[str]]) -> int | None:
    """The `executionTimeout` parameter of AWS-RunShellScript and its kin, when it is a number."""
    values = parameters.get("executionTimeout") or []
    try:
        seconds = int(values[0]) if values else 0
    except ValueError:
        return None
    return seconds if seconds > 0 else None
