"""The JSON Schemas of the API's responses, as views.py, the stores and the operations shape them.

Published in the OpenAPI document (components/schemas); the e2e suite validates every response it
receives against them. The report's schema is the report model's own (reports/report.schema.json,
also at docs/report.schema.json): its $defs become components named Report<Def>.

Split by resource as the routes are (routes/): common.py (what they are built from), service.py,
catalog.py, groups.py, plans.py, executions.py, report.py.
"""

from __future__ import annotations

from typing import Any

from orchestrator.api.responses import catalog, executions, groups, plans, service
from orchestrator.api.responses.common import ERROR, ref
from orchestrator.api.responses.report import cap, report_schema

__all__ = ["components", "ref", "report_schema"]


def components() -> dict[str, dict[str, Any]]:
    """Every response schema by component name (the report's $defs included), in the document's order."""
    report = {k: v for k, v in report_schema().items() if k not in ("$schema", "$id", "$defs")}
    found: dict[str, dict[str, Any]] = {
        f"Report{cap(name)}": schema for name, schema in report_schema()["$defs"].items()
    }
    found.update(
        {
            "Error": ERROR,
            "Health": service.HEALTH,
            "OpenApiDocument": service.OPENAPI_DOCUMENT,
            "SourceServer": service.SOURCE_SERVER,
            "SourceServerList": service.SOURCE_SERVER_LIST,
            "StoredProtectionGroup": catalog.STORED_PROTECTION_GROUP,
            "ProtectionGroupList": catalog.PROTECTION_GROUP_LIST,
            "StoredRecoveryPlan": catalog.STORED_RECOVERY_PLAN,
            "RecoveryPlanList": catalog.RECOVERY_PLAN_LIST,
            "ExecutionStarted": executions.EXECUTION_STARTED,
            "PlanHistoryExecution": plans.HISTORY_RUN,
            "PlanHistory": plans.PLAN_HISTORY,
            "ReadinessCheckResult": plans.READINESS_CHECK,
            "PlanReadiness": plans.READINESS,
            "ScheduledDrillRun": plans.DRILL_RUN,
            "PlanDrillSchedule": plans.DRILL_SCHEDULE,
            "RecoveryTimeStats": plans.RECOVERY_TIME_STATS,
            "DrillHistory": plans.DRILL_HISTORY,
            "Progress": executions.PROGRESS,
            "CanTerminate": executions.CAN_TERMINATE,
            "WaveAction": executions.WAVE_ACTION,
            "Wave": executions.WAVE,
            "Execution": executions.EXECUTION,
            "ExecutionSummary": executions.EXECUTION_SUMMARY,
            "ExecutionList": executions.EXECUTION_LIST,
            "ExecutionServer": executions.EXECUTION_SERVER,
            "ServerPage": executions.SERVER_PAGE,
            "TimelineEvent": ref("ReportEvent"),
            "TimelineEntry": executions.timeline_entry(report_schema()["$defs"]["event"]),
            "TimelinePage": executions.TIMELINE_PAGE,
            "Report": report,
            "GroupServer": groups.GROUP_SERVER,
            "GroupServerList": groups.GROUP_SERVER_LIST,
            "GroupUsage": groups.GROUP_USAGE,
            "LaunchSettingsOutcome": groups.LAUNCH_OUTCOME,
            "LaunchSettingsApplied": groups.LAUNCH_APPLIED,
            "LaunchSettingsServer": groups.LAUNCH_SERVER,
            "GroupLaunchSettings": groups.LAUNCH_SETTINGS_VIEW,
            "ReportLink": executions.REPORT_LINK,
            "RunningInstance": executions.RUNNING_INSTANCE,
            "RunningInstanceList": executions.RUNNING_INSTANCE_LIST,
        }
    )
    return found
