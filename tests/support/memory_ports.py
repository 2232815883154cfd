"""In-memory versions of the orchestrator's AWS ports, for unit tests with sockets disabled.

The production DRS and EC2 adapters (orchestrator.aws.drs.Drs, orchestrator.aws.ec2.Ec2) run unchanged
over in-process clients: DRS calls go to the DRS simulator's `dispatch` (errors become botocore
ClientErrors, as on the wire), and EC2 is a small in-memory EC2 that the simulator launches
recovery instances into. Step Functions is a recording stand-in.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from drs_sandbox.drs import DrsApiError, DrsSimulator
from orchestrator.aws.ports import Command


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


class InProcessDrsClient:
    """boto3's `drs` client shape (methods and paginators) over `DrsSimulator.dispatch`."""

    def __init__(self, sim: DrsSimulator) -> None:
        self.sim = sim

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        operation = _operation_name(method)
        try:
            return dict(self.sim.dispatch(operation, kwargs))
        except DrsApiError as e:
            raise ClientError({"Error": {"Code": e.code, "Message": str(e)}}, operation) from e

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda **kwargs: self._call(method, **kwargs)

    def get_paginator(self, method: str) -> Any:
        client = self

        class Paginator:
            def paginate(
                self, PaginationConfig: dict[str, Any] | None = None, **kwargs: Any
            ) -> Iterator[dict[str, Any]]:
                size = (PaginationConfig or {}).get("PageSize")
                token = None
                while True:
                    page = client._call(
                        method,
                        **kwargs,
                        **({"maxResults": size} if size else {}),
                        **({"nextToken": token} if token else {}),
                    )
                    yield page
                    token = page.get("nextToken")
                    if not token:
                        return

        return Paginator()


@dataclass
class MemoryInstance:
    instance_id: str
    instance_type: str
    tags: dict[str, str]
    launch_time: datetime
    private_ip: str
    terminated: bool = False


@dataclass
class InMemoryEc2:
    """The EC2 calls the simulator makes (RunInstances, TerminateInstances, DescribeImages) and those
    the orchestrator makes (DescribeInstances by instance-id filter, DescribeInstanceStatus). An
    instance runs as soon as it exists; `stopped` instance ids report `stopped`."""

    instances: dict[str, MemoryInstance] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)
    # Launch templates by id ({name, subnetId, groupIds}); subnets and security groups that exist.
    launch_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    subnets: set[str] = field(default_factory=lambda: {"subnet-0a1b2c3d4e5f60718"})
    security_groups: set[str] = field(default_factory=lambda: {"sg-0a1b2c3d4e5f60718"})
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def describe_images(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Images": [{"ImageId": "ami-0123456789abcdef0", "CreationDate": "2026-01-01T00:00:00Z"}]}

    def run_instances(self, **kwargs: Any) -> dict[str, Any]:
        number = next(self._ids)
        instance_id = f"i-{number:017x}"
        tags = {t["Key"]: t["Value"] for spec in kwargs.get("TagSpecifications", []) for t in spec["Tags"]}
        self.instances[instance_id] = MemoryInstance(
            instance_id,
            kwargs.get("InstanceType", "m5.large"),
            tags,
            datetime.now(UTC),
            f"10.0.{number // 250}.{number % 250}",
        )
        return {"Instances": [{"InstanceId": instance_id}]}

    def terminate_instances(self, InstanceIds: list[str], **_kwargs: Any) -> dict[str, Any]:
        for instance_id in InstanceIds:
            if instance_id in self.instances:
                self.instances[instance_id].terminated = True
        return {}

    def _state(self, instance: MemoryInstance) -> str:
        if instance.terminated:
            return "terminated"
        return "stopped" if instance.instance_id in self.stopped else "running"

    def describe_instances(self, Filters: list[dict[str, Any]], **_kwargs: Any) -> dict[str, Any]:
        wanted = {v for f in Filters if f["Name"] == "instance-id" for v in f["Values"]}
        found = [
            {
                "InstanceId": i.instance_id,
                "State": {"Name": self._state(i)},
                "PrivateIpAddress": i.private_ip,
                "PrivateDnsName": f"ip-{re.sub(r'[.]', '-', i.private_ip)}.ec2.internal",
                "InstanceType": i.instance_type,
                "LaunchTime": i.launch_time,
            }
            for i in self.instances.values()
            if i.instance_id in wanted
        ]
        return {"Reservations": [{"Instances": found}] if found else []}

    def describe_launch_templates(self, Filters: list[dict[str, Any]], **_kwargs: Any) -> dict[str, Any]:
        names = {v for f in Filters for v in f["Values"]}
        return {
            "LaunchTemplates": [
                {"LaunchTemplateId": i, "LaunchTemplateName": t["name"]}
                for i, t in self.launch_templates.items()
                if t["name"] in names
            ]
        }

    def describe_subnets(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Subnets": [{"SubnetId": s} for s in sorted(self.subnets)]}

    def describe_security_groups(self, Filters: list[dict[str, Any]], **_kwargs: Any) -> dict[str, Any]:
        if any(f["Name"] == "group-name" for f in Filters):
            return {"SecurityGroups": [{"GroupId": g} for g in sorted(self.security_groups)][:1]}
        wanted = {v for f in Filters for v in f["Values"]}
        return {"SecurityGroups": [{"GroupId": g} for g in sorted(self.security_groups & wanted)]}

    def create_launch_template(
        self, LaunchTemplateName: str, LaunchTemplateData: dict[str, Any], **_kwargs: Any
    ) -> dict[str, Any]:
        template_id = f"lt-{len(self.launch_templates) + 1:017x}"
        interface = (LaunchTemplateData.get("NetworkInterfaces") or [{}])[0]
        self.launch_templates[template_id] = {
            "name": LaunchTemplateName,
            "subnetId": interface.get("SubnetId"),
            "groupIds": list(interface.get("Groups") or []),
        }
        return {"LaunchTemplate": {"LaunchTemplateId": template_id}}

    def describe_launch_template_versions(self, LaunchTemplateId: str, **_kwargs: Any) -> dict[str, Any]:
        template = self.launch_templates.get(LaunchTemplateId)
        if template is None:
            raise ClientError(
                {"Error": {"Code": "InvalidLaunchTemplateId.NotFound", "Message": "not found"}},
                "DescribeLaunchTemplateVersions",
            )
        interface = {"DeviceIndex": 0, "SubnetId": template["subnetId"], "Groups": template["groupIds"]}
        return {"LaunchTemplateVersions": [{"LaunchTemplateData": {"NetworkInterfaces": [interface]}}]}

    def describe_instance_status(self, InstanceIds: list[str], **_kwargs: Any) -> dict[str, Any]:
        return {
            "InstanceStatuses": [
                {
                    "InstanceId": i,
                    "InstanceStatus": {"Status": "ok"},
                    "SystemStatus": {"Status": "ok"},
                }
                for i in InstanceIds
                if i in self.instances and self._state(self.instances[i]) == "running"
            ]
        }


@dataclass
class RecordingStepFunctions:
    """Stands in for the state machine's API: records starts and the actions sent to tokens."""

    state_machine_arn: str = "arn:aws:states:us-east-1:123456789012:stateMachine:test-execution"
    started: list[str] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)

    def start(self, execution_id: str) -> str:
        self.started.append(execution_id)
        self.status[execution_id] = "RUNNING"
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + execution_id

    def send_action(self, token: str, action: str) -> None:
        self.actions.append((token, action))

    def describe(self, arn: str) -> dict[str, Any]:
        return {"status": self.status.get(arn.rsplit(":", 1)[-1], "DOES_NOT_EXIST")}


@dataclass
class InMemoryFunctions:
    """Lambda for runbook actions: each function is a Python callable of the event; calls recorded."""

    functions: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, name: str, event: Any) -> Any:
        import json

        from orchestrator.aws.functions import Invocation
        from orchestrator.exceptions import NotFoundError

        self.calls.append((name, dict(event)))
        if name not in self.functions:
            raise NotFoundError(f"Lambda Invoke: function {name} not found", code="FUNCTION_NOT_FOUND")
        try:
            result = self.functions[name](dict(event))
        except TimeoutError:
            return Invocation(
                body='{"errorMessage": "Task timed out after 3.00 seconds"}',
                function_error="Unhandled",
                timed_out=True,
            )
        except Exception as error:  # a raising function: Lambda's error payload
            body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)})
            return Invocation(body=body, function_error="Unhandled")
        return Invocation(body=json.dumps(result))


@dataclass
class InMemorySsm:
    """SSM for runbook actions: a command's result per instance comes from ``results`` (instance id ->
    (exit code, output)), default success; it ends ``command_seconds`` after it was sent, by ``clock``."""

    clock: Callable[[], float]
    results: dict[str, tuple[int, str]] = field(default_factory=dict)
    automations: dict[str, tuple[str, dict[str, list[str]]]] = field(default_factory=dict)
    command_seconds: float = 5
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def send_command(self, command: Command) -> list[str]:
        command_id = f"cmd-{next(self._ids):04d}"
        self.commands[command_id] = {
            "document": command.document,
            "instanceIds": list(command.instance_ids),
            "parameters": dict(command.parameters),
            "sent": self.clock(),
            "results": {i: self.results.get(i, (0, "ok")) for i in command.instance_ids},
        }
        return [command_id]

    def command_results(self, command_ids: Any) -> list[dict[str, Any]]:
        out = []
        for command_id in command_ids:
            command = self.commands[command_id]
            done = self.clock() - command["sent"] >= self.command_seconds
            for instance_id, (code, output) in command["results"].items():
                status = ("Success" if code == 0 else "Failed") if done else "InProgress"
                out.append(
                    {
                        "instanceId": instance_id,
                        "status": status,
                        "responseCode": code if done else -1,
                        "output": output if done else "",
                    }
                )
        return out

    def start_automation(self, *, document: str, parameters: Any) -> str:
        automation_id = f"auto-{next(self._ids):04d}"
        self.started[automation_id] = {
            "document": document,
            "parameters": dict(parameters),
            "sent": self.clock(),
        }
        return automation_id

    def automation(self, automation_id: str) -> dict[str, Any]:
        run = self.started[automation_id]
        status, outputs = self.automations.get(run["document"], ("Success", {}))
        if self.clock() - run["sent"] < self.command_seconds:
            return {"status": "InProgress", "outputs": {}, "failureMessage": None}
        return {
            "status": status,
            "outputs": outputs,
            "failureMessage": None if status == "Success" else "step failed",
        }


@dataclass
class InMemorySchedules:
    """EventBridge Scheduler's ``Schedules`` port in memory: name -> the schedule as put (expression,
    payload, timezone, enabled, one_time, description); every put and delete is recorded in ``calls``.
    ``fail_next`` makes the next call raise that error (a Scheduler failure after a plan write)."""

    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: Exception | None = None

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def put(
        self,
        name: str,
        *,
        expression: str,
        payload: Any,
        timezone: str | None = None,
        enabled: bool = True,
        one_time: bool = False,
        description: str = "",
    ) -> None:
        self.calls.append(("put", name))
        self._maybe_fail()
        if one_time != expression.startswith("at("):
            raise ValueError(f"schedule {name}: one_time={one_time} does not match {expression!r}")
        self.schedules[name] = {
            "expression": expression,
            "payload": dict(payload),
            "timezone": timezone or "UTC",
            "enabled": enabled,
            "one_time": one_time,
            "description": description,
        }

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        self._maybe_fail()
        self.schedules.pop(name, None)
