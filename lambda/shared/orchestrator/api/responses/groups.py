"""The answers of the protection-group routes (routes/groups.py): a group's servers, the plans and
executions that use it."""

from __future__ import annotations

from orchestrator.api.responses.common import BOOLEAN, INTEGER, STRING, closed, nullable, ref

GROUP_SERVER = closed(
    "GroupServer",
    {
        "sourceServerId": STRING,
        "hostname": nullable(STRING),
        "found": {"type": "boolean", "description": "false: a listed id DRS does not know"},
        "impactLevel": {"enum": ["CRITICAL", "OPTIONAL"]},
        "replicationState": nullable(STRING),
        "replicationHealthy": BOOLEAN,
        "lagDuration": nullable({"type": "string", "description": "ISO-8601 duration, as DRS reports it"}),
        "lagSeconds": nullable(INTEGER),
        "lastLaunchResult": nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
    },
)
GROUP_SERVER_LIST = closed(
    "GroupServerList",
    {"groupId": STRING, "items": {"type": "array", "items": ref("GroupServer")}},
)
GROUP_USAGE = closed(
    "GroupUsage",
    {
        "groupId": STRING,
        "plans": {
            "type": "array",
            "items": closed(
                "GroupPlan",
                {
                    "planId": STRING,
                    "name": STRING,
                    "waves": {
                        "type": "array",
                        "items": closed(
                            "GroupPlanWave",
                            {"waveNumber": INTEGER, "waveName": STRING},
                        ),
                    },
                },
            ),
        },
        "executions": {"type": "array", "items": ref("ExecutionSummary")},
    },
)
