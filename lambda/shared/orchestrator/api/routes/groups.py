"""Protection groups: /protection-groups, and what the group page shows of one (its servers as DRS
reports them, the plans that use it, its executions)."""

from __future__ import annotations

from orchestrator.api import http
from orchestrator.api.contract import Route, declare_reader, new_router
from orchestrator.api.routes.catalog import Entity, declare_catalog
from orchestrator.operations import groups, launch_settings

router = new_router()
GROUPS = Entity("group", "/protection-groups", delete_rule=" not used by any plan")
declare_catalog(router, GROUPS)

GROUP_SERVERS = Route(
    "GET",
    "/protection-groups/{groupId}/servers",
    "The group's servers as DRS reports them now: replication state and lag",
    200,
    "GroupServerList",
    tags=GROUPS.tags,
)
GROUP_USAGE = Route(
    "GET",
    "/protection-groups/{groupId}/usage",
    "The plans that use the group and its newest executions (by the plans' PlanIndex, no scan)",
    200,
    "GroupUsage",
    query=(http.limit_query(10, 50, "executions shown"),),
    tags=GROUPS.tags,
)
GROUP_LAUNCH_SETTINGS = Route(
    "GET",
    "/protection-groups/{groupId}/launch-settings",
    "Per server of the group: the launch settings it wants, those DRS and the default launch template "
    "version hold now, and the drift between them (a field changed by hand)",
    200,
    "GroupLaunchSettings",
    tags=GROUPS.tags,
)
APPLY_LAUNCH_SETTINGS = Route(
    "POST",
    "/protection-groups/{groupId}/launch-settings/apply",
    "Apply the group's launch settings again to every server (validated first: 422 naming the server "
    "and field); the outcome per server",
    200,
    "LaunchSettingsApplied",
    "Empty",
    errors=(422,),
    tags=GROUPS.tags,
)


declare_reader(router, GROUP_SERVERS, groups.group_servers)
declare_reader(router, GROUP_USAGE, groups.group_usage)
declare_reader(router, GROUP_LAUNCH_SETTINGS, launch_settings.launch_settings)
declare_reader(router, APPLY_LAUNCH_SETTINGS, launch_settings.reapply)
