"""The durable cache of hourly prices (store/prices.py), one contract on both stores: DynamoDB (the
readiness table built from template.yaml in moto) and the in-memory one the unit tests use."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from stack_tables import stack_tables

from orchestrator.config import Config
from orchestrator.store import Stores
from orchestrator.store.prices import price_item

pytest_plugins = ["drs_fixtures"]

NOW = 1_790_000_000


@pytest.fixture(params=["dynamodb", "memory"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield Stores.in_memory()
        return
    endpoint = request.getfixturevalue("drs_moto_endpoint")
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    with stack_tables(ddb) as names:
        config = Config(state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:x", **names)
        yield Stores.from_config(config, dynamodb=ddb)


def test_a_cached_price_reads_back_until_it_expires_and_an_unknown_one_reads_as_none(stores: Stores) -> None:
    # Given a known price kept an hour and an unknown one kept a minute
    known, unknown = "us-east-1/t3.medium/Linux", "us-east-1/c6i.large/Linux"
    stores.prices.remember(
        [
            price_item(known, 0.0416, "2026-12-01T10:00:00.000Z", NOW + 3600),
            price_item(unknown, None, "2026-12-01T10:00:00.000Z", NOW + 60),
        ]
    )
    # When they are read now, with a key never cached
    found = stores.prices.cached([known, unknown, "us-east-1/m6i.large/Linux"], NOW)
    # Then the price comes back exactly, the unknown one as None, the other not at all
    assert found == {known: 0.0416, unknown: None}
    # And once an item's expiry passed (DynamoDB's TTL removes it later), it is not read
    assert stores.prices.cached([known, unknown], NOW + 61) == {known: 0.0416}
    assert stores.prices.cached([known], NOW + 3600) == {}


def test_remembering_nothing_writes_nothing(stores: Stores) -> None:
    stores.prices.remember([])
    assert stores.prices.cached([], NOW) == {}
