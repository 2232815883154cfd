"""The answers of the routes every catalog entity has (routes/catalog.py: list, create, get, replace,
delete): a protection group or a recovery plan as stored, and their lists."""

from __future__ import annotations

from typing import Any

from orchestrator.api import schemas
from orchestrator.api.responses.common import INTEGER, STRING, TIME, closed, item_list, nullable, ref

STORED = {"createdTime": nullable(TIME), "updatedTime": TIME, "version": INTEGER}


def stored(title: str, request: dict[str, Any], key: str) -> dict[str, Any]:
    """A catalog entity as stored: the request's fields, its id, its times and version."""
    return closed(
        title,
        {**request["properties"], key: STRING, **STORED},
        [*request["required"], key],
        f"A {request['title']} as stored: the fields given, {key}, createdTime, updatedTime, version.",
    )


# The answer of a save that applied launch settings also carries what that did (not stored).
STORED_PROTECTION_GROUP = stored("StoredProtectionGroup", schemas.PROTECTION_GROUP, "groupId")
STORED_PROTECTION_GROUP["properties"]["launchSettingsOutcome"] = ref("LaunchSettingsOutcome")
PROTECTION_GROUP_LIST = item_list("ProtectionGroupList", "StoredProtectionGroup")
STORED_RECOVERY_PLAN = stored("StoredRecoveryPlan", schemas.RECOVERY_PLAN, "planId")
RECOVERY_PLAN_LIST = item_list("RecoveryPlanList", "StoredRecoveryPlan")
