"""A small, fixed AWS Price List for the sandbox (moto has no Price List API).

A WSGI app speaking the Price List Query API's awsJson1.1 protocol as boto3's ``pricing`` client
does (``POST /`` with ``X-Amz-Target: AWSPriceListService.GetProducts``); point the handlers at it
with ``AWS_ENDPOINT_URL_PRICING``. It answers GetProducts for the EC2 on-demand products below,
matching every TERM_MATCH filter against the product's attributes, in the Price List's own shape
(each ``PriceList`` entry a JSON string with ``product.attributes`` and ``terms.OnDemand``).

The prices are illustrative, not AWS's: enough to see a drill's cost computed. One instance type
the sandbox's scenarios may launch, ``c6i.large``, is deliberately absent, so a drill shows an
"unknown price" the way a type missing from the real list would.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET = "AWSPriceListService.GetProducts"
REGIONS = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "EU (Ireland)"}
# (instance type, operating system) -> USD per hour, the same in each Region above.
PRICES: dict[tuple[str, str], str] = {
    ("t3.medium", "Linux"): "0.0416000000",
    ("t3.medium", "Windows"): "0.0600000000",
    ("m6i.large", "Linux"): "0.0960000000",
    ("m6i.large", "Windows"): "0.1880000000",
    ("r6i.large", "Linux"): "0.1260000000",
    ("r6i.xlarge", "Linux"): "0.2520000000",
}
UNPRICED_INSTANCE_TYPE = "c6i.large"


def _product(region: str, instance_type: str, operating_system: str, price: str) -> dict[str, Any]:
    sku = uuid.uuid5(uuid.NAMESPACE_URL, f"{region}/{instance_type}/{operating_system}").hex[:16].upper()
    return {
        "product": {
            "productFamily": "Compute Instance",
            "sku": sku,
            "attributes": {
                "servicecode": "AmazonEC2",
                "instanceType": instance_type,
                "regionCode": region,
                "location": REGIONS[region],
                "operatingSystem": operating_system,
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "licenseModel": "No License required",
            },
        },
        "serviceCode": "AmazonEC2",
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "sku": sku,
                    "offerTermCode": "JRTCKXETXF",
                    "priceDimensions": {
                        f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                            "unit": "Hrs",
                            "pricePerUnit": {"USD": price},
                            "description": f"${price} per On Demand {operating_system} {instance_type} Instance Hour",
                        }
                    },
                }
            }
        },
        "version": "sandbox",
        "publicationDate": "2026-01-01T00:00:00Z",
    }


def products() -> list[dict[str, Any]]:
    return [
        _product(region, instance_type, operating_system, price)
        for region in REGIONS
        for (instance_type, operating_system), price in PRICES.items()
    ]


def get_products(body: dict[str, Any]) -> dict[str, Any]:
    """GetProducts over the fixed list: every TERM_MATCH filter must match (case-insensitively,
    as the Price List matches)."""
    if body.get("ServiceCode") != "AmazonEC2":
        return {"FormatVersion": "aws_v1", "PriceList": []}
    filters = [(str(f["Field"]), str(f["Value"]).lower()) for f in body.get("Filters") or []]
    found = [
        p
        for p in products()
        if all(str(p["product"]["attributes"].get(field, "")).lower() == value for field, value in filters)
    ]
    return {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in found]}


def create_pricing_app() -> WSGIApplication:
    @Request.application
    def app(request: Request) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if request.method != "POST" or request.headers.get("X-Amz-Target") != TARGET:
            error = {"__type": "InvalidParameterException", "Message": "only GetProducts is served here"}
            return Response(json.dumps(error), status=400, headers=headers, content_type=CONTENT_TYPE)
        raw = request.get_data(cache=False)
        body = json.loads(raw) if raw.strip() else {}
        return Response(
            json.dumps(get_products(body)), status=200, headers=headers, content_type=CONTENT_TYPE
        )

    return app
