"""A route stated once: method and path, request body, query and response schemas, and its handler.

`declare(router, ROUTE)` registers the handler with a Powertools router and records the route for the
OpenAPI document. Before the handler runs, the query is parsed against the route's spec (400), the
path ids are checked (404) and the body is validated against its schema (400/422); the handler gets
them in a `Request` and returns the body of the route's success status (or a whole `Response`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from orchestrator import identity
from orchestrator.api import http
from orchestrator.api.http import QueryParam
from orchestrator.deps import Deps, default_deps
from orchestrator.identity import Actor

JSON = "application/json"

# What each path parameter names, and the 404 an id no stored entity can have gets.
PATH_IDS: dict[str, tuple[str, str]] = {
    "groupId": ("protection group", "GROUP_NOT_FOUND"),
    "planId": ("recovery plan", "PLAN_NOT_FOUND"),
    "executionId": ("execution", "EXECUTION_NOT_FOUND"),
}


@dataclass(frozen=True)
class Route:
    """One operation of the API. ``responses``: the success status and the name of its response
    schema (responses.RESPONSE_SCHEMAS; None for no body). ``errors``: the error statuses besides
    400 (always), 404 (a path id) and 422 (a body), all answered with the Error schema."""

    method: str
    path: str
    summary: str
    status: int
    response: str | None
    body: str | None = None  # a schema name of schemas.REQUEST_SCHEMAS
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    auth: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Other media types of the success response (e.g. text/html for ?format=html).
    alternatives: tuple[str, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    @property
    def rule(self) -> str:
        """The path as Powertools writes it: ``/executions/<executionId>``."""
        return re.sub(r"{([^}]+)}", r"<\1>", self.path)

    @property
    def error_statuses(self) -> list[int]:
        codes = {400, *self.errors}
        if self.path_params:
            codes.add(404)
        if self.body:
            codes.add(422)
        return sorted(codes)


ROUTES: list[Route] = []


@dataclass(frozen=True)
class Request:
    """What a handler reads: the checked path ids, the parsed query and the validated body."""

    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    request_context: Mapping[str, Any]

    @property
    def deps(self) -> Deps:
        return default_deps()

    def actor(self) -> Actor:
        """Who makes the request: a console user (the stack's user pool user, with the role beside
        it) or an IAM caller by ARN (API Gateway's IAM authorization sets requestContext.identity)."""
        deps = self.deps
        return identity.from_request(
            self.request_context.get("identity") or {}, deps.users, deps.config.user_pool_id
        )


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=JSON, body=json.dumps(body, default=str))


Handler = Callable[[Request], Any]


def new_router() -> Router:
    """A Powertools Router for one resource's routes (app.py includes it)."""
    return Router()  # type: ignore[no-untyped-call]


def declare(router: Router, route: Route) -> Callable[[Handler], Handler]:
    """Register ``route``'s handler with ``router`` and record the route (see the module doc)."""

    def register(handler: Handler) -> Handler:
        def endpoint(**path: str) -> Response[str]:
            event = router.current_event
            given = http.query_params(
                event.query_string_parameters, route.query, event.multi_value_query_string_parameters
            )
            query = http.parse_query(given, route.query)
            ids = {name: http.path_id(value, *PATH_IDS[name]) for name, value in path.items()}
            body = (
                http.parse_body(event.body, bool(event.is_base64_encoded), route.body) if route.body else {}
            )
            context = event.raw_event.get("requestContext") or {}
            result = handler(Request(ids, query, body, context))
            if isinstance(result, Response):
                return result
            if route.response is None:
                return Response(status_code=route.status, content_type=JSON, body="")
            return json_response(route.status, result)

        endpoint.__name__ = handler.__name__
        router.route(route.rule, route.method)(endpoint)
        ROUTES.append(route)
        return handler

    return register


def declare_reader(router: Router, route: Route, read: Callable[..., Any]) -> None:
    """Declare ``route`` answered by ``read(deps, <its path ids>, **<its query>)``: a route that only
    hands its checked ids and parsed query (each parameter by its name) to one operation."""

    def handler(request: Request) -> Any:
        return read(request.deps, *request.path.values(), **request.query)

    handler.__name__ = read.__name__
    declare(router, route)(handler)
