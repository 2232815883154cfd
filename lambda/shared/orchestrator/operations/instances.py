"""The console's "Instances still running": ended drills whose recovery instances still run.

Access pattern: the executions table's sparse InstancesIndex (instancesPending, startTime) holds
only the DRILLs that ended with recovery instances (finalize sets instancesPending) until they are
terminated (the termination's end removes it); each is read with its servers (one query of the
servers table by executionId) for when its instances were launched. No scan: the cost grows with
the drills whose instances are left running, not with the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from execution_utils import (
    can_terminate_execution,
    duration_seconds,
    instance_standing,
    instances_still_running,
    normalize_execution_status,
    running_since,
    server_label,
)
from orchestrator import timeutil
from orchestrator.deps import Deps


def still_running(deps: Deps, now: datetime) -> dict[str, Any]:
    """Each ended drill whose instances run and may be terminated now, newest first, with when the
    first of them was launched and how long since (whole seconds, ``duration_seconds``)."""
    at = timeutil.iso(now)
    items = []
    for execution in deps.stores.executions.with_instances_left():
        normalised = {**execution, "status": str(normalize_execution_status(str(execution["status"])))}
        if not instances_still_running(normalised):
            continue
        servers = list(deps.stores.servers.all(execution["executionId"]))
        standing = [s for s in servers if instance_standing(s)]
        since = running_since(servers)
        items.append(
            {
                "executionId": execution["executionId"],
                "planId": execution["planId"],
                "planName": execution["planName"],
                "executionType": execution["executionType"],
                "status": normalised["status"],
                "startTime": execution["startTime"],
                "endTime": execution.get("endTime"),
                "runningSince": since,
                "runningSeconds": duration_seconds(since, at) if since else None,
                "instanceCount": len(standing),
                "servers": [
                    {
                        "sourceServerId": s["sourceServerId"],
                        "hostname": s.get("hostname"),
                        "label": server_label(s),
                        "ec2InstanceId": s.get("ec2InstanceId"),
                        "ec2State": s.get("ec2State"),
                        "launchTime": s.get("launchTime"),
                    }
                    for s in standing
                ],
                "canTerminate": can_terminate_execution(normalised),
            }
        )
    return {"items": items, "generatedAt": at}
