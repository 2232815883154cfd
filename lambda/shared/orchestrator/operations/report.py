"""The drill report of an execution: built on demand from its record, servers and timeline, and
written to the reports bucket when the execution ends (the state machine's WriteReport step)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    is_terminal,
    normalize_execution_status,
    price_keys,
    recovery_time,
    status_label,
    verdict,
)
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, TransientError
from orchestrator.model import ExecutionRecord
from orchestrator.operations.cost import prices
from orchestrator.operations.finalize import expected_events, record_end
from orchestrator.operations.state import MachineState, machine_state
from orchestrator.operations.timeline import all_events, note
from orchestrator.reports.html import render_html
from orchestrator.reports.model import build_report
from orchestrator.timeutil import iso

logger = logging.getLogger(__name__)


def report(deps: Deps, execution_id: str) -> dict[str, Any]:
    """The report as it stands now (final once the execution ended)."""
    return _built(deps, deps.stores.executions.get(execution_id))


def _built(deps: Deps, execution: ExecutionRecord) -> dict[str, Any]:
    """The report from one read of the record and one of its servers."""
    servers = list(deps.stores.servers.all(execution["executionId"]))
    events = all_events(deps, execution["executionId"], servers)
    return build_report(execution, servers, events, deps.clock.iso(), prices(deps, price_keys(servers)))


def report_html(deps: Deps, execution_id: str) -> str:
    return render_html(report(deps, execution_id))


def history(deps: Deps, plan_id: str, *, limit: int) -> dict[str, Any]:
    """A plan's last executions with their outcome and recovery time against the target, the success
    rate of those that ended, the last successful drill, and the trend of recovery time."""
    plan = deps.stores.plans.get(plan_id)
    items, _ = deps.stores.executions.list_page(plan_id=plan_id, limit=limit)
    now = deps.clock.iso()
    runs: list[dict[str, Any]] = []
    for execution in items:
        record: Mapping[str, Any] = execution
        measured = recovery_time(record, now)
        runs.append(
            {
                "executionId": execution["executionId"],
                "executionType": execution["executionType"],
                "status": str(normalize_execution_status(execution["status"])),
                "statusLabel": status_label(record),
                "startTime": execution["startTime"],
                "endTime": execution.get("endTime"),
                "recoveryTime": measured,
                "verdict": verdict(measured),
            }
        )
    ended = [r for r in runs if r["status"] in TERMINAL_STATUSES]
    succeeded = [r for r in ended if r["status"] == "COMPLETED"]
    drills = [str(r["startTime"]) for r in succeeded if r["executionType"] == "DRILL"]
    return {
        "planId": plan_id,
        "planName": plan["name"],
        "executions": runs,
        "ended": len(ended),
        "successRate": round(len(succeeded) / len(ended), 3) if ended else None,
        "lastSuccessfulDrill": max(drills) if drills else None,
        "recoveryTimeTrend": [
            {"startTime": r["startTime"], "seconds": r["recoveryTime"]["seconds"]}
            for r in reversed(succeeded)
            if r["recoveryTime"]["seconds"] is not None
        ],
    }


def write_report(deps: Deps, state: dict[str, Any]) -> MachineState:
    """Step Functions operation after finalize: both renderings to the bucket, the location recorded.
    Idempotent (the same keys are written again)."""
    execution_id = str(state["executionId"])
    execution = deps.stores.executions.get(execution_id)
    if is_terminal(execution["status"]):
        # Write again whatever the record implies and the timeline lacks, then make sure of it: a
        # report is built only from a complete timeline (else TransientError: Step Functions retries).
        record_end(deps, execution)
        if missing := deps.stores.timeline.missing(execution_id, expected_events(execution)):
            raise TransientError(
                f"the timeline lacks {len(missing)} event(s) ({', '.join(missing[:5])}): report not written yet"
            )
    store_report(deps, execution)
    return machine_state(state, next_step="FINALIZE", wave_done=True)


def store_report(deps: Deps, execution: ExecutionRecord, *, why: str | None = None) -> str:
    """Both renderings of the report as it stands to the bucket (the same keys: a newer version
    replaces the older), the location recorded, and a timeline event (one per ``why``)."""
    execution_id = execution["executionId"]
    built = _built(deps, execution)
    location = deps.reports.put(
        execution["planId"],
        execution_id,
        json_body=json.dumps(built, indent=2, ensure_ascii=False),
        html_body=render_html(built),
    )
    deps.stores.executions.record_report(
        execution, location=location, now=deps.clock.iso(), cost=built.get("cost")
    )
    event_id = "REPORT_WRITTEN" + (f"#{why}" if why else "")
    message = f"drill report written to {location}" + (f" ({why.lower()})" if why else "")
    note(deps, execution_id, event_id, "REPORT_WRITTEN", message)
    logger.info("report written", extra={"executionId": execution_id, "location": location})
    return location


# How long a shared link to a report reads it: long enough to open or pass on, short enough that
# a forwarded link stops working soon after (whoever needs it later asks the API for a new one).
REPORT_LINK_SECONDS = 300


def report_link(deps: Deps, execution_id: str) -> dict[str, Any]:
    """A short-lived link to the stored HTML report of an ended execution (S3: a presigned GET made
    with the function's credentials): ``{url, expiresAt, expiresInSeconds}``. 409 REPORT_NOT_READY
    while no report is stored (the execution runs, or its report is not written yet)."""
    execution = deps.stores.executions.get(execution_id)
    location = execution.get("reportLocation")
    url = deps.reports.link(location, expires_seconds=REPORT_LINK_SECONDS) if location else None
    if url is None:
        raise ConflictError(
            "no report is stored for this execution yet: it is written when the execution ends "
            "(GET /executions/{id}/report builds one as it stands)",
            code="REPORT_NOT_READY",
        )
    expires = deps.clock.now() + timedelta(seconds=REPORT_LINK_SECONDS)
    return {"url": url, "expiresAt": iso(expires), "expiresInSeconds": REPORT_LINK_SECONDS}
