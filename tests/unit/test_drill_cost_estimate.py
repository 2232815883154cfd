"""What a drill cost: instance-hours per instance type from launch to termination, priced from the
AWS Price List (cached in memory and in the readiness table), an estimate that never guesses."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from in_memory import in_memory_orchestration

from drs_sandbox.pricing import UNPRICED_INSTANCE_TYPE, get_products
from execution_utils import cost_text, drill_cost, instance_usage, price_key, price_keys
from orchestrator.aws.ec2 import platform_of
from orchestrator.aws.pricing import Pricing, on_demand_hourly_usd, product_filters
from orchestrator.deps import Deps
from orchestrator.exceptions import TransientError
from orchestrator.operations import cost
from orchestrator.operations.terminate import termination_ends
from orchestrator.store.prices import MemoryPrices
from orchestrator.timeutil import Clock

LAUNCH = "2026-12-01T10:00:00.000Z"
NOW = "2026-12-01T14:00:00.000Z"


def server(sid: str, instance_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "sourceServerId": sid,
        "ec2InstanceId": f"i-{sid}",
        "instanceType": instance_type,
        "launchTime": LAUNCH,
        "ec2State": "running",
        **fields,
    }


def test_hours_run_from_launch_to_the_termination_and_running_ones_to_now() -> None:
    """Given two t3.medium instances terminated after 1 h and 2 h, and one still running for 4 h
    When the cost is computed at NOW
    Then t3.medium has 3 instance-hours, m6i.large 4 (marked running), each priced by its type."""
    servers = [
        server("s-1", "t3.medium", ec2State="terminated", terminatedTime="2026-12-01T11:00:00.000Z"),
        server("s-2", "t3.medium", ec2State="terminated", terminatedTime="2026-12-01T12:00:00.000Z"),
        server("s-3", "m6i.large"),
        {"sourceServerId": "s-4", "launchStatus": "FAILED"},  # never launched: costs nothing
    ]
    prices = {price_key("t3.medium", "Linux"): 0.0416, price_key("m6i.large", "Linux"): 0.096}
    result = drill_cost(servers, prices, NOW)
    by_type = {t["instanceType"]: t for t in result["types"]}
    assert by_type["t3.medium"] == {
        "instanceType": "t3.medium",
        "operatingSystem": "Linux",
        "instances": 2,
        "runningInstances": 0,
        "instanceHours": 3.0,
        "hourlyPrice": 0.0416,
        "estimatedCost": round(3 * 0.0416, 4),
    }
    assert by_type["m6i.large"]["instanceHours"] == 4.0
    assert by_type["m6i.large"]["runningInstances"] == 1
    assert result["runningInstances"] == 1
    assert result["instanceHours"] == 7.0
    assert result["estimatedTotal"] == round(3 * 0.0416 + 4 * 0.096, 4)
    assert result["estimate"] is True and result["complete"] is True and result["asOf"] == NOW
    assert "1 instance(s) still running" in cost_text(result)


def test_a_type_whose_price_is_unknown_keeps_its_hours_and_stays_out_of_the_total() -> None:
    """Given one priced and one unpriced type When the cost is computed
    Then the unpriced type is listed with its hours, no price, no cost, and named as left out."""
    servers = [
        server("s-1", "t3.medium", ec2State="terminated", terminatedTime="2026-12-01T12:00:00.000Z"),
        server(
            "s-2", UNPRICED_INSTANCE_TYPE, ec2State="terminated", terminatedTime="2026-12-01T11:30:00.000Z"
        ),
    ]
    result = drill_cost(
        servers,
        {price_key("t3.medium", "Linux"): 0.0416, price_key(UNPRICED_INSTANCE_TYPE, "Linux"): None},
        NOW,
    )
    unknown = next(t for t in result["types"] if t["instanceType"] == UNPRICED_INSTANCE_TYPE)
    assert unknown["instanceHours"] == 1.5
    assert unknown["hourlyPrice"] is None and unknown["estimatedCost"] is None
    assert result["estimatedTotal"] == round(2 * 0.0416, 4)
    assert result["unpricedTypes"] == [UNPRICED_INSTANCE_TYPE]
    assert result["complete"] is False
    assert f"price unknown for {UNPRICED_INSTANCE_TYPE}, left out of the total" in cost_text(result)


def test_a_terminated_instance_without_its_own_end_ends_with_the_termination() -> None:
    """Given an instance EC2 shows terminated but whose end was not recorded (an older record)
    When the cost is computed with the execution's termination end
    Then its hours stop there; without one, where the orchestrator saw it terminated."""
    gone = server("s-1", "t3.medium", ec2State="terminated", updatedAt="2026-12-01T13:00:00.000Z")
    assert instance_usage([gone], NOW, termination_end="2026-12-01T12:00:00.000Z")[0]["seconds"] == 7200
    assert instance_usage([gone], NOW)[0]["seconds"] == 3 * 3600
    assert price_keys([gone, server("s-2", "m6i.large", platform="Windows")]) == [
        "m6i.large/Windows",
        "t3.medium/Linux",
    ]


def test_each_instance_ends_where_its_terminate_job_ended() -> None:
    """Given two TERMINATE jobs ending at different times When their ends are read
    Then each source server gets its own job's end; a server not terminated gets none."""
    jobs = [
        {
            "endDateTime": "2026-12-01T12:00:05.123456+00:00",
            "participatingServers": [
                {"sourceServerID": "s-1", "launchStatus": "TERMINATED"},
                {"sourceServerID": "s-3", "launchStatus": "LAUNCHED"},
            ],
        },
        {
            "endDateTime": "2026-12-01T12:10:00Z",
            "participatingServers": [{"sourceServerID": "s-2", "launchStatus": "TERMINATED"}],
        },
        {"participatingServers": [{"sourceServerID": "s-4", "launchStatus": "TERMINATED"}]},
    ]
    assert termination_ends(jobs) == {"s-1": "2026-12-01T12:00:05.123Z", "s-2": "2026-12-01T12:10:00.000Z"}


def test_the_operating_system_is_named_as_the_price_list_names_it() -> None:
    assert platform_of({"PlatformDetails": "Linux/UNIX"}) == "Linux"
    assert platform_of({"PlatformDetails": "Red Hat Enterprise Linux"}) == "RHEL"
    assert (
        platform_of({"PlatformDetails": "Windows with SQL Server Standard"})
        == "Windows with SQL Server Standard"
    )
    assert platform_of({"Platform": "windows"}) == "Windows"
    assert platform_of({}) == "Linux"


class PriceListClient:
    """A pricing client answering from the sandbox's fixed list, counting the calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = False

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.fail:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetProducts"
            )
        return get_products(kwargs)


def test_the_price_list_product_of_an_on_demand_instance_is_read_from_its_terms() -> None:
    """Given the Price List's answer for t3.medium Linux in us-east-1 When it is read
    Then its hourly USD price comes back; the filters ask for shared tenancy and no licence."""
    fields = {f["Field"]: f["Value"] for f in product_filters("t3.medium", "us-east-1", "Linux")}
    assert fields["tenancy"] == "Shared" and fields["regionCode"] == "us-east-1"
    answer = get_products(
        {"ServiceCode": "AmazonEC2", "Filters": product_filters("t3.medium", "us-east-1", "Linux")}
    )
    assert [on_demand_hourly_usd(json.loads(p)) for p in answer["PriceList"]] == [0.0416]
    assert on_demand_hourly_usd({"terms": {}}) is None


def test_the_adapter_remembers_an_answer_for_the_life_of_the_container() -> None:
    """Given the adapter with an injected monotonic clock When one price is asked twice
    Then the Price List is called once; after MEMORY_SECONDS it is asked again."""
    client, moment = PriceListClient(), [0.0]
    pricing = Pricing(client, monotonic=lambda: moment[0])
    assert pricing.hourly_price("m6i.large", "us-east-1", "Linux") == 0.096
    assert pricing.hourly_price("m6i.large", "us-east-1", "Linux") == 0.096
    assert pricing.hourly_price(UNPRICED_INSTANCE_TYPE, "us-east-1", "Linux") is None
    assert len(client.calls) == 2
    moment[0] += 6 * 3600 + 1
    pricing.hourly_price("m6i.large", "us-east-1", "Linux")
    assert len(client.calls) == 3


def test_a_price_list_that_fails_is_a_domain_error_and_is_not_asked_again_for_a_minute() -> None:
    """Given the Price List failing When a price is asked Then a domain error, no price remembered;
    asks within a minute fail at once without a call (an outage costs no request its timeouts);
    after it, the Price List is asked again."""
    client, moment = PriceListClient(), [0.0]
    pricing = Pricing(client, monotonic=lambda: moment[0])
    client.fail = True
    with pytest.raises(TransientError):
        pricing.hourly_price("t3.medium", "us-east-1", "Linux")
    client.fail = False
    with pytest.raises(TransientError):
        pricing.hourly_price("m6i.large", "us-east-1", "Linux")
    assert len(client.calls) == 1
    moment[0] += 61
    assert pricing.hourly_price("t3.medium", "us-east-1", "Linux") == 0.0416
    assert len(client.calls) == 2


def deps_with(client: PriceListClient, at: list[float]) -> Deps:
    deps = in_memory_orchestration(region="us-east-1").deps
    clock = Clock(lambda: datetime.fromtimestamp(at[0], UTC))
    # A new adapter per container: the durable cache is what outlives it.
    return dataclasses.replace(deps, pricing=Pricing(client), clock=clock)


def test_prices_outlive_a_container_in_the_durable_cache_until_they_expire() -> None:
    """Given a price asked in one container (the Price List called once, the answer cached)
    When a new container asks for it Then it is read from the cache, no call;
    When the cached item has expired Then the Price List is asked again."""
    client, at = PriceListClient(), [1_790_000_000.0]
    first = deps_with(client, at)
    keys = [price_key("t3.medium", "Linux"), price_key(UNPRICED_INSTANCE_TYPE, "Linux")]
    assert cost.prices(first, keys) == {keys[0]: 0.0416, keys[1]: None}
    assert len(client.calls) == 2
    second = dataclasses.replace(first, pricing=Pricing(client))
    assert cost.prices(second, keys) == {keys[0]: 0.0416, keys[1]: None}
    assert len(client.calls) == 2
    # the unknown price is kept a day, the known one a week
    at[0] += cost.UNKNOWN_SECONDS + 1
    third = dataclasses.replace(
        first, pricing=Pricing(client), clock=Clock(lambda: datetime.fromtimestamp(at[0], UTC))
    )
    cost.prices(third, keys)
    assert [c["Filters"][0]["Value"] for c in client.calls[2:]] == [UNPRICED_INSTANCE_TYPE]


def test_a_failing_price_list_leaves_the_price_unknown_and_uncached() -> None:
    """Given the Price List failing When the prices are asked Then they are unknown (the request
    goes on) and nothing is cached, so the next ask calls again."""
    client, at = PriceListClient(), [1_790_000_000.0]
    deps = deps_with(client, at)
    client.fail = True
    key = price_key("t3.medium", "Linux")
    assert cost.prices(deps, [key]) == {key: None}
    assert isinstance(deps.stores.prices, MemoryPrices)
    assert deps.stores.prices.cached(["us-east-1/" + key], int(at[0])) == {}
    client.fail = False
    assert cost.prices(dataclasses.replace(deps, pricing=Pricing(client)), [key]) == {key: 0.0416}
