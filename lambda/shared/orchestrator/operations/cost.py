"""What an execution's recovery instances cost: the prices its instance types need (from memory,
the durable cache, then the AWS Price List) and the one computation (reports.model.execution_cost,
over execution_utils.drill_cost) that the report and the execution detail both show."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from orchestrator.deps import Deps
from orchestrator.exceptions import OrchestratorError
from orchestrator.store.prices import price_item

logger = logging.getLogger(__name__)
# A known price is kept a week (list prices change a few times a year); an unknown one a day (a new
# instance type appears in the list soon after its launch).
KNOWN_SECONDS = 7 * 24 * 3600
UNKNOWN_SECONDS = 24 * 3600


def prices(deps: Deps, keys: Iterable[str]) -> dict[str, float | None]:
    """``price_key`` -> USD per hour (None: unknown) in the stack's Region. The durable cache is
    read in one batch; a key it lacks is asked of the Price List and remembered. A Price List or
    cache that cannot be reached leaves the price unknown for this answer (logged, not cached):
    a cost is evidence, never a reason for a request to fail."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    region = deps.config.region or "us-east-1"
    scoped = {f"{region}/{k}": k for k in wanted}
    now = deps.clock.now()
    epoch = int(now.timestamp())
    try:
        cached = deps.stores.prices.cached(list(scoped), epoch)
    except OrchestratorError as e:
        logger.warning("price cache not read", extra={"error": e.message})
        cached = {}
    found: dict[str, float | None] = {scoped[k]: v for k, v in cached.items() if k in scoped}
    fresh: list[dict[str, Any]] = []
    for scoped_key, key in scoped.items():
        if key in found or deps.pricing is None:
            found.setdefault(key, None)
            continue
        instance_type, _, operating_system = key.partition("/")
        try:
            price = deps.pricing.hourly_price(instance_type, region, operating_system)
        except OrchestratorError as e:
            logger.warning("price not known", extra={"priceKey": key, "error": e.message})
            found[key] = None
            continue
        found[key] = price
        keep = KNOWN_SECONDS if price is not None else UNKNOWN_SECONDS
        fresh.append(price_item(scoped_key, price, deps.clock.iso(), epoch + keep))
    try:
        deps.stores.prices.remember(fresh)
    except OrchestratorError as e:
        logger.warning("prices not cached", extra={"error": e.message})
    return found
