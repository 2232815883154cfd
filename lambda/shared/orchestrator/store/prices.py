"""The durable cache of hourly on-demand prices, in the readiness table (``recordId`` =
``PRICE#<region>/<instanceType>/<operatingSystem>``), each item expiring (DynamoDB TTL on
``expiresAt``, epoch seconds; an item past it and not yet removed is ignored on read).

Why there: a container's memory forgets with every cold start, and the Price List Query API
answers from one far Region with a low request rate; the readiness table is the stack's small
table of derived, re-computable records, so a price lost is only asked again. An unknown price
(no such product) is cached too, for less time; a failed call is not cached."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.aws.dynamo import Table

PRICE_PREFIX = "PRICE#"
_KEY = "recordId"


def price_item(key: str, price: float | None, fetched_at: str, expires_at: int) -> dict[str, Any]:
    """A price as stored: ``hourlyPrice`` absent when the Price List has none."""
    item: dict[str, Any] = {_KEY: PRICE_PREFIX + key, "priceKey": key, "fetchedAt": fetched_at}
    item["expiresAt"] = expires_at
    if price is not None:
        item["hourlyPrice"] = price
    return item


def _fresh(items: Sequence[Mapping[str, Any]], now_epoch: int) -> dict[str, float | None]:
    return {
        str(i["priceKey"]): (float(i["hourlyPrice"]) if i.get("hourlyPrice") is not None else None)
        for i in items
        if int(i.get("expiresAt") or 0) > now_epoch
    }


class DynamoPrices:
    def __init__(self, table: Table) -> None:
        self.table = table

    def cached(self, keys: Sequence[str], now_epoch: int) -> dict[str, float | None]:
        """The unexpired prices of ``keys`` (a key missing from the answer: not cached)."""
        wanted = [{_KEY: PRICE_PREFIX + k} for k in dict.fromkeys(keys)]
        return _fresh(self.table.batch_get(wanted), now_epoch) if wanted else {}

    def remember(self, items: Sequence[Mapping[str, Any]]) -> None:
        if items:
            self.table.batch_put(list(items))


class MemoryPrices:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def cached(self, keys: Sequence[str], now_epoch: int) -> dict[str, float | None]:
        with self._lock:
            found = [
                copy.deepcopy(self._items[PRICE_PREFIX + k]) for k in keys if PRICE_PREFIX + k in self._items
            ]
        return _fresh(found, now_epoch)

    def remember(self, items: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            for item in items:
                self._items[str(item[_KEY])] = dict(item)
