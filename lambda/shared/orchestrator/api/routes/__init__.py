"""The API's routes, one module per resource, each with its Powertools Router (app.py includes them)."""

from orchestrator.api.routes import executions, groups, plans, service

ROUTERS = (service.router, groups.router, plans.router, executions.router)
