"""Applying a group's launch settings to many servers when some calls fail (moto's EC2 and the DRS
simulator, the production adapter over both): the outcome says honestly what was applied and what
was not, the others are applied regardless, and applying again repairs what was left."""

from __future__ import annotations

import dataclasses
import random
import uuid
from typing import Any

import pytest
from in_memory import FakeClock, in_memory_orchestration
from memory_ports import InProcessDrsClient

from drs_sandbox.drs import DrsSimulator
from orchestrator.aws.drs import Drs
from orchestrator.aws.launch import LaunchAws
from orchestrator.deps import Deps
from orchestrator.exceptions import ValidationFailedError
from orchestrator.operations import catalog, launch_settings

# The fixtures (moto, the simulator's app, boto3 clients) live in drs_fixtures.py.
pytest_plugins = ["drs_fixtures"]


@pytest.fixture
def world(drs_ec2_client: Any) -> dict[str, Any]:
    """Three DRS source servers (each with the launch template DRS made) and a production subnet and
    security group in EC2; the operations' dependencies over both."""
    sim = DrsSimulator(drs_ec2_client, clock=FakeClock(), rng=random.Random(5), launch_templates=True)
    # Ids of their own: moto's EC2 (and the templates named after the servers) lasts the session.
    specs = [{"sourceServerId": f"s-{uuid.uuid4().hex[:17]}", "hostname": f"app{n}"} for n in range(3)]
    ids = [s["sourceServerID"] for s in sim.add_source_servers(specs)]
    vpc = drs_ec2_client.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnet = drs_ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24")["Subnet"]["SubnetId"]
    group_sg = drs_ec2_client.create_security_group(GroupName=f"app-{vpc}", Description="app", VpcId=vpc)[
        "GroupId"
    ]
    drs = InProcessDrsClient(sim)
    deps: Deps = dataclasses.replace(
        in_memory_orchestration().deps, drs=Drs(drs), launch=LaunchAws(drs, drs_ec2_client)
    )
    settings = {
        "instanceType": "m5.xlarge",
        "subnetId": subnet,
        "securityGroupIds": [group_sg],
        "copyTags": False,
    }
    return {"sim": sim, "ids": ids, "deps": deps, "settings": settings}


def test_a_server_whose_update_is_refused_is_reported_the_others_applied_and_apply_again_repairs_it(
    world: dict[str, Any],
) -> None:
    # Given DRS refusing the next UpdateLaunchConfiguration (the first server's)
    deps, ids, sim = world["deps"], world["ids"], world["sim"]
    sim.deny_operation("UpdateLaunchConfiguration", 1)
    # When a group of the three servers is saved with launch settings
    saved = catalog.save(
        deps, "group", {"name": "app", "sourceServerIds": ids, "launchSettings": world["settings"]}
    )
    # Then the outcome names the refused server (not retryable) and the other two as applied
    outcome = saved["launchSettingsOutcome"]
    assert [(f["sourceServerId"], f["code"], f["retryable"]) for f in outcome["failed"]] == [
        (ids[0], "PERMISSION_DENIED", False)
    ]
    assert sorted(a["sourceServerId"] for a in outcome["applied"]) == sorted(ids[1:])
    # And the group is stored (its settings are the desired state), with the refused server drifting
    view = launch_settings.launch_settings(deps, saved["groupId"])
    drift = {i["sourceServerId"]: [d["field"] for d in i["drift"]] for i in view["items"]}
    assert drift == {
        ids[0]: [
            "copyTags",
            "targetInstanceTypeRightSizingMethod",
            "instanceType",
            "subnetId",
            "securityGroupIds",
        ],
        ids[1]: [],
        ids[2]: [],
    }
    # When the settings are applied again, Then only that server is changed, and nothing drifts
    again = launch_settings.reapply(deps, saved["groupId"])
    assert [a["sourceServerId"] for a in again["applied"]] == [ids[0]]
    assert sorted(again["unchanged"]) == sorted(ids[1:]) and again["failed"] == []
    assert launch_settings.launch_settings(deps, saved["groupId"])["driftedServers"] == 0


def test_a_throttled_drs_is_reported_retryable_and_nothing_is_lost(world: dict[str, Any]) -> None:
    # Given a stored group with launch settings, and DRS throttling every call from now on
    deps, ids, sim = world["deps"], world["ids"], world["sim"]
    group = deps.stores.groups.create(
        {"name": "throttled", "sourceServerIds": ids, "launchSettings": world["settings"]},
        now=deps.clock.iso(),
    )
    sim.set_throttle_rate(1.0)
    # When the settings are applied, Then nothing was applied and the outcome says the error is passing
    outcome = launch_settings.apply_group(deps, group)
    assert outcome["applied"] == [] and outcome["error"]["retryable"] is True
    # When DRS answers again, Then applying repairs every server
    sim.set_throttle_rate(0.0)
    repaired = launch_settings.apply_group(deps, group)
    assert (
        sorted(a["sourceServerId"] for a in repaired["applied"]) == sorted(ids) and repaired["failed"] == []
    )


def test_invalid_settings_change_nothing(world: dict[str, Any], drs_ec2_client: Any) -> None:
    # Given servers whose templates have only DRS's version 1
    deps, ids = world["deps"], world["ids"]
    templates = [deps.launch.launch_configuration(sid)["ec2LaunchTemplateID"] for sid in ids]
    # When a group names a static IP outside the subnet for the second server
    body = {
        "name": "bad",
        "sourceServerIds": ids,
        "launchSettings": {
            **world["settings"],
            "serverOverrides": {ids[1]: {"privateIpAddress": "192.168.0.10"}},
        },
    }
    with pytest.raises(ValidationFailedError) as refused:
        catalog.save(deps, "group", body)
    # Then the error names that server and field, and nothing was stored or changed
    assert refused.value.details["sourceServerId"] == ids[1]
    assert refused.value.details["field"] == f"launchSettings.serverOverrides.{ids[1]}.privateIpAddress"
    assert deps.stores.groups.all() == []
    for template in templates:
        versions = drs_ec2_client.describe_launch_template_versions(LaunchTemplateId=template)[
            "LaunchTemplateVersions"
        ]
        assert [v["VersionNumber"] for v in versions] == [1]
