"""AWS Price List Query API adapter: the hourly on-demand price of an EC2 instance type.

The Query API answers in a few Regions only (us-east-1 among them): the client is made for the
Region aws/clients.py names (``PRICING_REGION``, default us-east-1) whatever the stack's Region;
the Region priced is a filter (``regionCode``). Each answer is kept in memory for the life of the
container (``MEMORY_SECONDS``): a drill's page asks for the same few types again and again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import translate
from orchestrator.exceptions import OrchestratorError

SERVICE_CODE = "AmazonEC2"
# List prices change a few times a year; a container lives hours at most.
MEMORY_SECONDS = 6 * 3600
# After a failed call, the Price List is not asked again for this long (answers meanwhile: the same
# error at once), so an outage does not make every execution detail wait for its timeouts.
FAILURE_SECONDS = 60


def product_filters(instance_type: str, region: str, operating_system: str) -> list[dict[str, str]]:
    """The one product an on-demand recovery instance is billed as: shared tenancy, no pre-installed
    software, licence included in the price (or none needed), capacity used (not a reservation)."""
    values = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": operating_system,
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in values.items()]


def on_demand_hourly_usd(product: Mapping[str, Any]) -> float | None:
    """The hourly USD price in a Price List product's OnDemand terms (None without one)."""
    prices = [
        float(dimension["pricePerUnit"]["USD"])
        for term in (product.get("terms", {}).get("OnDemand") or {}).values()
        for dimension in (term.get("priceDimensions") or {}).values()
        if dimension.get("unit") == "Hrs" and "USD" in (dimension.get("pricePerUnit") or {})
    ]
    positive = [p for p in prices if p > 0]
    return min(positive) if positive else None


class Pricing:
    """``hourly_price``: GetProducts with the filters above, answers kept in memory."""

    # The client is untyped: the boto3 stubs the project installs do not include the Price List.
    def __init__(self, client: Any, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str, str], tuple[float | None, float]] = {}
        self._failed: tuple[OrchestratorError, float] | None = None

    def hourly_price(self, instance_type: str, region: str, operating_system: str) -> float | None:
        """USD per hour, on demand; None when the Price List has no such product (an unknown type, a
        licence it cannot price). Errors arrive as domain errors; a price is not remembered after
        one, and for FAILURE_SECONDS every ask fails at once with it."""
        key = (instance_type, region, operating_system)
        with self._lock:
            found = self._known.get(key)
            failed = self._failed
        if found is not None and found[1] > self._monotonic():
            return found[0]
        if failed is not None and failed[1] > self._monotonic():
            raise failed[0]
        try:
            price = self._ask(instance_type, region, operating_system)
        except OrchestratorError as e:
            with self._lock:
                self._failed = (e, self._monotonic() + FAILURE_SECONDS)
            raise
        with self._lock:
            self._known[key] = (price, self._monotonic() + MEMORY_SECONDS)
        return price

    def _ask(self, instance_type: str, region: str, operating_system: str) -> float | None:
        try:
            page = self.client.get_products(
                ServiceCode=SERVICE_CODE,
                Filters=product_filters(instance_type, region, operating_system),
                FormatVersion="aws_v1",
                MaxResults=10,
            )
        except (ClientError, BotoCoreError) as e:
            raise translate(e, "Pricing", "GetProducts") from e
        prices = [
            p for p in (on_demand_hourly_usd(json.loads(item)) for item in page.get("PriceList", [])) if p
        ]
        # Several products may match (the list splits a type by marketoption and the like): the
        # on-demand price they agree on, or the lowest, never a sum.
        return min(prices) if prices else None
