"""A plan's drill network: the option validated against what EC2 says exists, the subnet each server
gets (its zone's), the drill version's data (drill subnet and groups, no private IP), the override
records in the execution store, and readiness reporting a server left with drill settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from orchestrator.exceptions import StaleWriteError
from orchestrator.launch import drill_network as net
from orchestrator.model import DrillOverride
from orchestrator.operations import readiness as ready

SUBNETS = {
    "subnet-0a": {"SubnetId": "subnet-0a", "VpcId": "vpc-drill", "AvailabilityZone": "us-east-1a"},
    "subnet-0b": {"SubnetId": "subnet-0b", "VpcId": "vpc-drill", "AvailabilityZone": "us-east-1b"},
    "subnet-0prod": {"SubnetId": "subnet-0prod", "VpcId": "vpc-prod", "AvailabilityZone": "us-east-1a"},
}
GROUPS = {
    "sg-0drill": {"GroupId": "sg-0drill", "VpcId": "vpc-drill"},
    "sg-0prod": {"GroupId": "sg-0prod", "VpcId": "vpc-prod"},
}
PRODUCTION = {
    "InstanceType": "m5.large",
    "NetworkInterfaces": [
        {"DeviceIndex": 0, "SubnetId": "subnet-0prod", "Groups": ["sg-0prod"], "PrivateIpAddress": "10.0.0.9"}
    ],
    "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "erp"}]}],
}


def test_a_valid_drill_network_has_no_problems() -> None:
    network = {"subnetIds": ["subnet-0a", "subnet-0b"], "securityGroupIds": ["sg-0drill"]}
    assert net.problems(network, SUBNETS, GROUPS) == []


@pytest.mark.parametrize(
    ("network", "field", "words"),
    [
        ({"subnetIds": ["subnet-0gone"], "securityGroupIds": ["sg-0drill"]}, "subnetIds", "does not exist"),
        (
            {"subnetIds": ["subnet-0a"], "securityGroupIds": ["sg-0gone"]},
            "securityGroupIds",
            "does not exist",
        ),
        (
            {"subnetIds": ["subnet-0a", "subnet-0prod"], "securityGroupIds": ["sg-0drill"]},
            "subnetIds",
            "more than one VPC",
        ),
        (
            {"subnetIds": ["subnet-0a"], "securityGroupIds": ["sg-0prod"]},
            "securityGroupIds",
            "not in the drill network's VPC",
        ),
    ],
)
def test_a_drill_network_problem_names_its_field(network: dict[str, Any], field: str, words: str) -> None:
    found = net.problems(network, SUBNETS, GROUPS)
    assert found and found[0][0] == f"options.drillNetwork.{field}" and words in found[0][1]


def test_each_server_gets_the_drill_subnet_of_its_zone_else_the_first() -> None:
    ids = ["subnet-0b", "subnet-0a"]
    assert net.subnet_for(ids, SUBNETS, "us-east-1a") == "subnet-0a"
    assert net.subnet_for(ids, SUBNETS, "us-east-1b") == "subnet-0b"
    assert net.subnet_for(ids, SUBNETS, "eu-west-1c") == "subnet-0b"
    assert net.subnet_for(ids, SUBNETS, None) == "subnet-0b"


def test_the_drill_version_moves_the_interface_and_drops_the_private_ip_keeping_the_rest() -> None:
    data = net.drill_data(PRODUCTION, "subnet-0a", ["sg-0drill"])
    interface = data["NetworkInterfaces"][0]
    assert interface["SubnetId"] == "subnet-0a" and interface["Groups"] == ["sg-0drill"]
    assert "PrivateIpAddress" not in interface
    assert data["InstanceType"] == "m5.large" and data["TagSpecifications"] == PRODUCTION["TagSpecifications"]
    # the production data is not touched
    assert PRODUCTION["NetworkInterfaces"][0]["SubnetId"] == "subnet-0prod"
    assert net.is_drill_data(data, ["subnet-0a"]) and not net.is_drill_data(PRODUCTION, ["subnet-0a"])


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def override(sid: str, status: str = "MADE") -> DrillOverride:
    return {
        "sourceServerId": sid,
        "waveNumber": 1,
        "status": status,
        "launchTemplateId": "lt-0123",
        "productionVersion": 2,
        "productionCopyPrivateIp": False,
        "subnetId": "subnet-0a",
        "securityGroupIds": ["sg-0drill"],
        "recordedTime": "2026-01-01T00:00:00Z",
        "drillVersion": 3,
    }


def drilled(orc: Orchestration) -> tuple[str, list[str], str]:
    ids = orc.servers(2, phaseDurations={"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10})
    plan_id = orc.add_plan([("App", [orc.add_group("app", ids)], False)])
    execution = orc.run_to_end(orc.start(plan_id)["executionId"])
    return plan_id, ids, str(execution["executionId"])


def test_the_override_flag_stays_until_the_last_override_is_restored(orc: Orchestration) -> None:
    # Given an ended drill holding two overrides (recorded through the store, as start_wave does)
    _, ids, execution_id = drilled(orc)
    store = orc.deps.stores.executions
    record = store.record_drill_override(store.get(execution_id), override(ids[0]))
    record = store.record_drill_override(record, override(ids[1]))
    assert [e["executionId"] for e in store.with_overrides_pending()] == [execution_id]
    # When a write was made from a stale read, Then it is refused (the caller reads again)
    with pytest.raises(StaleWriteError):
        store.record_drill_override(store.get(execution_id) | {"drillOverrides": []}, override(ids[0]))
    # When the first is restored, Then the execution still holds one
    record = store.update_drill_override(record, 0, {**override(ids[0]), "status": "RESTORED"})
    assert [e["executionId"] for e in store.with_overrides_pending()] == [execution_id]
    # When the second is, Then none is held any more
    store.update_drill_override(record, 1, {**override(ids[1]), "status": "RESTORED"})
    assert list(store.with_overrides_pending()) == []


def test_a_server_left_with_drill_settings_makes_the_plan_not_ready(orc: Orchestration) -> None:
    # Given a plan drilled, whose first server's override was never restored (its handler died)
    plan_id, ids, execution_id = drilled(orc)
    store = orc.deps.stores.executions
    store.record_drill_override(store.get(execution_id), override(ids[0]))

    # When readiness is checked, Then that server fails DRILL_NETWORK and the plan is NOT_READY
    result = ready.readiness(orc.deps, plan_id)
    failing = [c for c in result["checks"] if c["check"] == "DRILL_NETWORK"]
    assert [(c["status"], c["sourceServerId"]) for c in failing] == [("FAIL", ids[0])]
    assert execution_id in failing[0]["message"] and "lt-0123" in failing[0]["message"]
    assert result["verdict"] == "NOT_READY"
