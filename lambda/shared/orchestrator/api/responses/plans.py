"""The answers of the plan routes (routes/plans.py): a plan's history, readiness and drill history."""

from __future__ import annotations

from orchestrator.api.responses.common import BOOLEAN, INTEGER, STRING, TIME, closed, fields_of, nullable, ref
from orchestrator.api.responses.executions import EXECUTION_FIELD_SCHEMAS, STATUS

HISTORY_RUN = closed(
    "PlanHistoryExecution",
    {
        **fields_of(("executionId", "executionType"), EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "statusLabel": STRING,
        "startTime": TIME,
        "endTime": nullable(TIME),
        "recoveryTime": ref("ReportRecoveryTime"),
        "verdict": {"enum": ["MET", "MISSED", "NO_TARGET", "IN_PROGRESS"]},
    },
    ["executionId", "executionType", "status", "statusLabel", "startTime", "recoveryTime", "verdict"],
)
PLAN_HISTORY = closed(
    "PlanHistory",
    {
        "planId": STRING,
        "planName": STRING,
        "executions": {"type": "array", "items": ref("PlanHistoryExecution")},
        "ended": INTEGER,
        "successRate": nullable({"type": "number"}),
        "lastSuccessfulDrill": nullable(TIME),
        "recoveryTimeTrend": {
            "type": "array",
            "items": closed("RecoveryTimePoint", {"startTime": TIME, "seconds": INTEGER}),
        },
    },
    description="GET /recovery-plans/{planId}/history (operations.report.history).",
)

READINESS_CHECK = closed(
    "ReadinessCheckResult",
    {
        "check": {
            "enum": [
                "SERVERS_REPLICATE",
                "REPLICATION_LAG",
                "RECOVERY_POINT",
                "LAUNCH_SETTINGS",
                "DRILL_NETWORK",
                "QUOTA_HEADROOM",
                "SERVER_LOCKS",
                "LAST_DRILL_RTO",
                "DRILL_AGE",
            ]
        },
        "status": {"enum": ["PASS", "WARN", "FAIL"]},
        "message": STRING,
        "sourceServerId": STRING,
    },
    ["check", "status", "message"],
)
READINESS = closed(
    "PlanReadiness",
    {
        "planId": STRING,
        "planName": STRING,
        "verdict": {"enum": ["READY", "AT_RISK", "NOT_READY"]},
        "checkedAt": TIME,
        "checks": {"type": "array", "items": ref("ReadinessCheckResult")},
    },
    description="GET /recovery-plans/{planId}/readiness (operations.readiness.readiness): any FAIL makes the plan "
    "NOT_READY, else any WARN AT_RISK, else it is READY.",
)

DRILL_RUN = closed(
    "ScheduledDrillRun",
    {
        "scheduledTime": TIME,
        "firedAt": TIME,
        "outcome": {"enum": ["STARTED", "SKIPPED"]},
        "executionId": STRING,
        "reasonCode": STRING,
        "reason": STRING,
        "notified": BOOLEAN,
    },
    ["scheduledTime", "firedAt", "outcome"],
    "One firing of a plan's drill schedule: the DRILL it started, or why it was skipped (notified).",
)
DRILL_SCHEDULE = closed(
    "PlanDrillSchedule",
    {
        "planId": STRING,
        "drillSchedule": nullable(
            closed("DrillScheduleSettings", {"expression": STRING, "timezone": STRING, "enabled": BOOLEAN})
        ),
        "scheduleName": STRING,
        "inPlace": BOOLEAN,
        "problem": nullable(STRING),
        "nextRunTime": nullable(TIME),
        "runs": {"type": "array", "items": ref("ScheduledDrillRun")},
    },
    description="GET /recovery-plans/{planId}/drill-schedule (operations.drill_schedule.view): the plan's "
    "schedule, whether EventBridge Scheduler holds it as saved (inPlace), the next run and the "
    "recent runs, newest first.",
)

RECOVERY_TIME_STATS = closed(
    "RecoveryTimeStats",
    {"drills": INTEGER, "p50Seconds": nullable(INTEGER), "p95Seconds": nullable(INTEGER)},
    description="Nearest-rank percentiles of the recovery time of completed drills (execution_utils.percentile).",
)
DRILL_HISTORY = closed(
    "DrillHistory",
    {
        "planId": STRING,
        "planName": STRING,
        "last": INTEGER,
        "drills": {
            "type": "array",
            "items": closed(
                "DrillHistoryDrill",
                {
                    "executionId": STRING,
                    "status": STATUS,
                    "statusLabel": STRING,
                    "startTime": TIME,
                    "endTime": nullable(TIME),
                    "recoveryTime": ref("ReportRecoveryTime"),
                    "pausedSeconds": INTEGER,
                    "verdict": {"enum": ["MET", "MISSED", "NO_TARGET", "IN_PROGRESS"]},
                },
                [
                    "executionId",
                    "status",
                    "statusLabel",
                    "startTime",
                    "recoveryTime",
                    "pausedSeconds",
                    "verdict",
                ],
            ),
        },
        "recoveryTime": ref("RecoveryTimeStats"),
        "previousRecoveryTime": ref("RecoveryTimeStats"),
        "trend": {"enum": ["FASTER", "SLOWER", "STEADY", "UNKNOWN"]},
        "servers": {
            "type": "array",
            "items": closed(
                "DrillHistoryServer",
                {
                    "sourceServerId": STRING,
                    "lastDrilledTime": nullable(TIME),
                    "lastDrillOutcome": nullable({"enum": ["RECOVERED", "FAILED"]}),
                    "lastDrillExecutionId": nullable(STRING),
                },
            ),
        },
    },
    description="GET /recovery-plans/{planId}/drill-history (operations.drill_history): drills newest first; "
    "recoveryTime over the last N measured drills, previousRecoveryTime over the N before them.",
)
