"""Protection groups: /protection-groups, and what the group page shows of one (its servers as DRS
reports them, the plans that use it, its executions)."""

from __future__ import annotations

from typing import Any

from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, new_router
from orchestrator.operations import catalog, groups

router = new_router()
TAGS = ("protection groups",)

LIST_GROUPS = Route(
    "GET", "/protection-groups", "List protection groups", 200, "ProtectionGroupList", tags=TAGS
)
CREATE_GROUP = Route(
    "POST",
    "/protection-groups",
    "Create a protection group",
    201,
    "StoredProtectionGroup",
    "ProtectionGroup",
    errors=(409,),
    tags=TAGS,
)
GET_GROUP = Route(
    "GET", "/protection-groups/{groupId}", "Get a protection group", 200, "StoredProtectionGroup", tags=TAGS
)
PUT_GROUP = Route(
    "PUT",
    "/protection-groups/{groupId}",
    "Replace a protection group",
    200,
    "StoredProtectionGroup",
    "ProtectionGroup",
    errors=(409,),
    tags=TAGS,
)
DELETE_GROUP = Route(
    "DELETE",
    "/protection-groups/{groupId}",
    "Delete a protection group not used by any plan",
    204,
    None,
    errors=(409,),
    tags=TAGS,
)


@declare(router, LIST_GROUPS)
def list_groups(request: Request) -> dict[str, Any]:
    return {"items": request.deps.stores.groups.all()}


@declare(router, CREATE_GROUP)
def create_group(request: Request) -> dict[str, Any]:
    return catalog.create_group(request.deps, request.body)


@declare(router, GET_GROUP)
def get_group(request: Request) -> dict[str, Any]:
    return request.deps.stores.groups.get(request.path["groupId"])


@declare(router, PUT_GROUP)
def put_group(request: Request) -> dict[str, Any]:
    return catalog.replace_group(request.deps, request.path["groupId"], request.body)


@declare(router, DELETE_GROUP)
def delete_group(request: Request) -> None:
    catalog.delete_group(request.deps, request.path["groupId"])


GROUP_SERVERS = Route(
    "GET",
    "/protection-groups/{groupId}/servers",
    "The group's servers as DRS reports them now: replication state and lag",
    200,
    "GroupServerList",
    tags=TAGS,
)
GROUP_USAGE = Route(
    "GET",
    "/protection-groups/{groupId}/usage",
    "The plans that use the group and its newest executions (by the plans' PlanIndex, no scan)",
    200,
    "GroupUsage",
    query=(http.limit_query(10, 50, "executions shown"),),
    tags=TAGS,
)


@declare(router, GROUP_SERVERS)
def get_group_servers(request: Request) -> dict[str, Any]:
    return groups.group_servers(request.deps, request.path["groupId"])


@declare(router, GROUP_USAGE)
def get_group_usage(request: Request) -> dict[str, Any]:
    return groups.group_usage(request.deps, request.path["groupId"], limit=request.query["limit"])
