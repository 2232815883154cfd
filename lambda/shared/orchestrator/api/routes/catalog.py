"""The five routes of a catalog entity (a protection group, a recovery plan), declared once for both:
list, create, get, replace as a whole, and delete under the entity's own rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from orchestrator.api.contract import Request, Route, declare
from orchestrator.deps import Deps
from orchestrator.operations import catalog
from orchestrator.store.ports import CatalogStore


@dataclass(frozen=True)
class Entity:
    """A catalog entity, named once: ``name`` as operations.catalog and the stores know it
    (``group``: ``deps.stores.groups``, ``catalog.delete_group``), its collection ``path``; its noun,
    schemas (``ProtectionGroup``, ``StoredProtectionGroup``, ``ProtectionGroupList``), path id and tag
    follow from them."""

    name: str
    path: str
    replace_note: str = ""
    delete_rule: str = ""

    @property
    def noun(self) -> str:
        return self.path.strip("/").removesuffix("s").replace("-", " ")

    @property
    def schema(self) -> str:
        return self.noun.title().replace(" ", "")

    @property
    def id_param(self) -> str:
        return f"{self.name}Id"

    @property
    def tags(self) -> tuple[str, ...]:
        return (f"{self.noun}s",)

    def store(self, deps: Deps) -> CatalogStore:
        store: CatalogStore = getattr(deps.stores, f"{self.name}s")
        return store

    def delete(self, deps: Deps, entity_id: str) -> None:
        getattr(catalog, f"delete_{self.name}")(deps, entity_id)


def declare_catalog(router: Router, entity: Entity) -> tuple[Route, ...]:
    item = f"{entity.path}/{{{entity.id_param}}}"
    stored = f"Stored{entity.schema}"
    routes = (
        Route("GET", entity.path, f"List {entity.noun}s", 200, f"{entity.schema}List", tags=entity.tags),
        Route(
            "POST",
            entity.path,
            f"Create a {entity.noun}",
            201,
            stored,
            entity.schema,
            (),
            (409,),
            tags=entity.tags,
        ),
        Route("GET", item, f"Get a {entity.noun}", 200, stored, tags=entity.tags),
        Route(
            "PUT",
            item,
            f"Replace a {entity.noun}{entity.replace_note}",
            200,
            stored,
            entity.schema,
            (),
            (409,),
            tags=entity.tags,
        ),
        Route(
            "DELETE",
            item,
            f"Delete a {entity.noun}{entity.delete_rule}",
            204,
            None,
            errors=(409,),
            tags=entity.tags,
        ),
    )
    list_route, create_route, get_route, put_route, delete_route = routes

    @declare(router, list_route)
    def list_items(request: Request) -> dict[str, Any]:
        return {"items": entity.store(request.deps).all()}

    @declare(router, create_route)
    def create_item(request: Request) -> dict[str, Any]:
        return catalog.save(request.deps, entity.name, request.body)

    @declare(router, get_route)
    def get_item(request: Request) -> dict[str, Any]:
        return entity.store(request.deps).get(request.path[entity.id_param])

    @declare(router, put_route)
    def put_item(request: Request) -> dict[str, Any]:
        return catalog.save(request.deps, entity.name, request.body, request.path[entity.id_param])

    @declare(router, delete_route)
    def delete_item(request: Request) -> None:
        entity.delete(request.deps, request.path[entity.id_param])

    return routes
