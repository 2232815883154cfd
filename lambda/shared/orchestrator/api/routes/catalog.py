"""The five routes of a catalog entity (a protection group, a recovery plan), declared once for both:
list, create, get, replace as a whole, and delete under the entity's own rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from orchestrator.api.contract import Request, Route, declare
from orchestrator.deps import Deps
from orchestrator.operations import catalog
from orchestrator.store.ports import CatalogStore


@dataclass(frozen=True)
class Entity:
    """``name`` as operations.catalog knows it; ``noun`` as people read it; ``schema`` the request
    schema (its stored form is ``Stored<schema>``, its list ``<schema>List``)."""

    name: str
    noun: str
    path: str
    id_param: str
    schema: str
    tags: tuple[str, ...]
    store: Callable[[Deps], CatalogStore]
    delete: Callable[[Deps, str], None]
    replace_note: str = ""
    delete_rule: str = ""


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
