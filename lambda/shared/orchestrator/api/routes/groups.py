"""Protection groups: /protection-groups."""

from __future__ import annotations

from orchestrator.api.contract import new_router
from orchestrator.api.routes.catalog import Entity, declare_catalog

router = new_router()
declare_catalog(router, Entity("group", "/protection-groups", delete_rule=" not used by any plan"))
