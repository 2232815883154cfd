"""Protection groups: /protection-groups."""

from __future__ import annotations

from orchestrator.api.contract import new_router
from orchestrator.api.routes.catalog import Entity, declare_catalog
from orchestrator.operations import catalog

router = new_router()
TAGS = ("protection groups",)

GROUPS = Entity(
    name="group",
    noun="protection group",
    path="/protection-groups",
    id_param="groupId",
    schema="ProtectionGroup",
    tags=TAGS,
    store=lambda deps: deps.stores.groups,
    delete=catalog.delete_group,
    delete_rule=" not used by any plan",
)
declare_catalog(router, GROUPS)
