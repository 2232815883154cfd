"""Drills in an isolated network: a plan's drillNetwork puts every drill instance into the drill
subnets with the drill security groups (read from EC2, as on AWS) without copying a production
address, and each server's production launch settings are the default again afterwards; a RECOVERY
of the same servers launches into production; an override left behind is repaired by find."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sandbox_api import Api, drsctl, finished, until

from drs_sandbox.server import Sandbox


@pytest.fixture(scope="module")
def network(sandbox: Sandbox) -> dict[str, str]:
    """A production VPC with a subnet in each of two Availability Zones, and an isolated drill VPC
    with a subnet in each of the same zones and its own security group."""
    ec2 = sandbox.stack.client("ec2")
    prod = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    drill = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]

    def subnet(vpc: str, cidr: str, zone: str) -> str:
        return str(ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"])

    return {
        "prodA": subnet(prod, "10.60.1.0/24", "us-east-1a"),
        "prodB": subnet(prod, "10.60.2.0/24", "us-east-1b"),
        "prodSg": ec2.create_security_group(GroupName="prod-app", Description="app", VpcId=prod)["GroupId"],
        # the drill subnets listed in the other order than the zones, so the choice by zone shows
        "drillB": subnet(drill, "10.70.2.0/24", "us-east-1b"),
        "drillA": subnet(drill, "10.70.1.0/24", "us-east-1a"),
        "drillSg": ec2.create_security_group(GroupName="drill-only", Description="drill", VpcId=drill)[
            "GroupId"
        ],
    }


def drill_network(network: dict[str, str]) -> dict[str, list[str]]:
    return {"subnetIds": [network["drillB"], network["drillA"]], "securityGroupIds": [network["drillSg"]]}


def production_group(
    api: Api, network: dict[str, str], ids: list[str], *, copy_private_ip: bool, static_ip: str | None = None
) -> str:
    """A group placing its first server in zone a (at ``static_ip`` when given), its second in zone b
    (production)."""
    overrides: dict[str, Any] = {ids[1]: {"subnetId": network["prodB"]}}
    if static_ip:
        overrides[ids[0]] = {"privateIpAddress": static_ip}
    launch = {
        "subnetId": network["prodA"],
        "securityGroupIds": [network["prodSg"]],
        "copyPrivateIp": copy_private_ip,
        "serverOverrides": overrides,
    }
    body = {"name": f"prod-{uuid.uuid4().hex[:8]}", "sourceServerIds": ids, "launchSettings": launch}
    group = api.call("POST", "/protection-groups", body, expect=201)
    assert group["launchSettingsOutcome"]["failed"] == []
    return str(group["groupId"])


def plan_of(api: Api, group_id: str, **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"plan-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "App", "protectionGroupIds": [group_id]}],
    }
    if options:
        body["options"] = options
    return dict(api.call("POST", "/recovery-plans", body, expect=201))


def production_settings(sandbox: Sandbox, ids: list[str]) -> dict[str, tuple[int, bool]]:
    """Per server: its launch template's default version number and DRS's copyPrivateIp."""
    drs, ec2 = sandbox.stack.client("drs"), sandbox.stack.client("ec2")
    found: dict[str, tuple[int, bool]] = {}
    for sid in ids:
        config = drs.get_launch_configuration(sourceServerID=sid)
        template = ec2.describe_launch_templates(LaunchTemplateIds=[config["ec2LaunchTemplateID"]])
        found[sid] = (
            int(template["LaunchTemplates"][0]["DefaultVersionNumber"]),
            bool(config["copyPrivateIp"]),
        )
    return found


def instances_of(sandbox: Sandbox, api: Api, execution_id: str) -> dict[str, dict[str, Any]]:
    """Source server id -> its recovery instance as EC2 describes it."""
    by_server = {s["sourceServerId"]: s["ec2InstanceId"] for s in api.server_items(execution_id)}
    reservations = sandbox.stack.client("ec2").describe_instances(InstanceIds=list(by_server.values()))
    described = {i["InstanceId"]: i for r in reservations["Reservations"] for i in r["Instances"]}
    return {sid: described[instance_id] for sid, instance_id in by_server.items()}


def test_a_drill_launches_into_the_drill_network_and_production_settings_come_back(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given two servers placed in production (one per zone) that copy their private IP, which lies
    # outside every subnet here: a launch that copied it could not start at all
    ids = api.servers(2)
    group_id = production_group(api, network, ids, copy_private_ip=True)
    before = production_settings(sandbox, ids)
    assert all(copy for _, copy in before.values())
    # and a plan with a drill network
    plan = plan_of(api, group_id, drillNetwork=drill_network(network))

    # (drsctl lists where the plan's drills launch)
    listed = drsctl(sandbox, "plans", "list")
    line = next(ln for ln in listed.stdout.splitlines() if plan["planId"] in ln)
    assert f"{network['drillB']}, {network['drillA']} / {network['drillSg']}" in line

    # When a drill of the plan runs to its end
    execution_id = api.start(plan["planId"])
    record, _ = api.watch(execution_id, finished)

    # Then every instance launched, in the drill subnet of its zone, with only the drill security group
    assert record["status"] == "COMPLETED", record
    instances = instances_of(sandbox, api, execution_id)
    assert instances[ids[0]]["SubnetId"] == network["drillA"]
    assert instances[ids[1]]["SubnetId"] == network["drillB"]
    for instance in instances.values():
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [network["drillSg"]]
        assert instance["PrivateIpAddress"].startswith("10.70.")

    # And each server's default launch template version and copyPrivateIp are production's again
    assert production_settings(sandbox, ids) == before
    # And each server says what was overridden and that it was restored, as does the timeline
    for server in api.server_items(execution_id):
        override = server["drillOverride"]
        assert override["status"] == "RESTORED"
        assert override["productionVersion"] == before[server["sourceServerId"]][0]
        assert override["drillVersion"] > override["productionVersion"]
    events = api.call("GET", f"/executions/{execution_id}/timeline", expect=200)["items"]
    kinds = [e["type"] for e in events]
    assert kinds.count("DRILL_NETWORK_OVERRIDE") == 2 and kinds.count("DRILL_NETWORK_RESTORED") == 2
    assert kinds.index("DRILL_NETWORK_OVERRIDE") < kinds.index("JOB_SUBMITTED")


def test_a_recovery_of_the_same_servers_launches_into_production(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given servers placed in production (the first at a static IP) and a plan with a drill network,
    # drilled once
    ids = api.servers(2)
    group_id = production_group(api, network, ids, copy_private_ip=False, static_ip="10.60.1.50")
    plan = plan_of(api, group_id, drillNetwork=drill_network(network))
    drill_id = api.start(plan["planId"])
    assert api.watch(drill_id, finished)[0]["status"] == "COMPLETED"

    # When a RECOVERY of the plan runs
    started = api.call(
        "POST", f"/recovery-plans/{plan['planId']}/recovery", {"confirmPlanName": plan["name"]}, expect=202
    )
    record, _ = api.watch(started["executionId"], finished)

    # Then its instances are in the production subnets with the production group, never overridden
    assert record["status"] == "COMPLETED", record
    instances = instances_of(sandbox, api, started["executionId"])
    assert instances[ids[0]]["SubnetId"] == network["prodA"]
    assert instances[ids[1]]["SubnetId"] == network["prodB"]
    assert all([g["GroupId"] for g in i["SecurityGroups"]] == [network["prodSg"]] for i in instances.values())
    assert all("drillOverride" not in s for s in api.server_items(started["executionId"]))
    # And the server with a static IP has it in production, while its drill's instance did not
    assert instances[ids[0]]["PrivateIpAddress"] == "10.60.1.50"
    assert instances_of(sandbox, api, drill_id)[ids[0]]["PrivateIpAddress"] != "10.60.1.50"


def test_a_drill_network_that_does_not_exist_is_refused_naming_the_field(
    api: Api, network: dict[str, str]
) -> None:
    # Given a group
    group_id = api.group(api.servers(1))
    # When a plan names a drill subnet that does not exist, Then 422 names the field, nothing stored
    body = {
        "name": f"plan-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "App", "protectionGroupIds": [group_id]}],
        "options": {
            "drillNetwork": {
                "subnetIds": ["subnet-0123456789abcdef0"],
                "securityGroupIds": [network["drillSg"]],
            }
        },
    }
    answer = api.call("POST", "/recovery-plans", body, expect=422)
    assert answer["error"]["code"] == "DRILL_NETWORK_INVALID"
    assert "options.drillNetwork.subnetIds" in answer["error"]["message"]
    # And a security group of another VPC than the drill subnets is refused too
    body["options"]["drillNetwork"] = {
        "subnetIds": [network["drillA"]],
        "securityGroupIds": [network["prodSg"]],
    }
    answer = api.call("POST", "/recovery-plans", body, expect=422)
    assert "options.drillNetwork.securityGroupIds" in answer["error"]["message"]
    assert all(p["name"] != body["name"] for p in api.call("GET", "/recovery-plans", expect=200)["items"])


def test_an_override_left_behind_is_restored_by_find(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given a drill whose servers' overrides were made, and a restore that cannot happen: EC2
    # refuses every ModifyLaunchTemplate of the handlers from then on (as if the handler died)
    ids = api.servers(1, phaseDurations={"snapshot": 20, "conversion": 600, "launch": 30, "boot": 10})
    group_id = production_group(api, network, [*ids, *api.servers(1)], copy_private_ip=False)
    plan = plan_of(api, group_id, drillNetwork=drill_network(network))
    before = production_settings(sandbox, ids)
    execution_id = api.start(plan["planId"])
    until(
        lambda: any(
            (s.get("drillOverride") or {}).get("status") == "MADE" for s in api.server_items(execution_id)
        ),
        what="the drill network override made",
    )
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"ec2:ModifyLaunchTemplate": {"count": 1000, "error": "UnauthorizedOperation"}}},
        expect=200,
    )
    try:
        api.watch(execution_id, finished)
        # Then the drill ended with its overrides still in place
        assert production_settings(sandbox, ids)[ids[0]] != before[ids[0]]
    finally:
        api.call("DELETE", "/_sandbox/faults", expect=200)

    # When the scheduled find runs, Then the production version is the default again
    found = api.call("POST", "/_sandbox/find", expect=200)
    assert production_settings(sandbox, ids) == before, found
    servers = {s["sourceServerId"]: s for s in api.server_items(execution_id)}
    assert servers[ids[0]]["drillOverride"]["status"] == "RESTORED"
    assert servers[ids[0]]["drillOverride"]["restoredBy"] == "find"


def test_a_recovery_cancels_a_drill_holding_an_override_only_when_asked_and_restores_it_first(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given a drill of a plan with a drill network whose server's override is made and whose
    # launch is still converting
    ids = api.servers(1, phaseDurations={"snapshot": 20, "conversion": 600, "launch": 30, "boot": 10})
    group_id = production_group(api, network, [*ids, *api.servers(1)], copy_private_ip=False)
    plan = plan_of(api, group_id, drillNetwork=drill_network(network))
    before = production_settings(sandbox, ids)
    drill_id = api.start(plan["planId"])
    until(
        lambda: any(
            (s.get("drillOverride") or {}).get("status") == "MADE" for s in api.server_items(drill_id)
        ),
        what="the drill network override made",
    )
    route = f"/recovery-plans/{plan['planId']}/recovery"

    # When a RECOVERY of the plan is started without cancelConflictingDrills
    refused = api.call("POST", route, {"confirmPlanName": plan["name"]}, expect=409)

    # Then the 409 names the drill and the command that cancels it, and the drill runs on untouched
    # (drsctl says the same, exit 1)
    cli = drsctl(sandbox, "execute", plan["name"], "--recovery", "--confirm", plan["name"])
    assert cli.returncode == 1 and f"drsctl cancel {drill_id}" in cli.stderr, cli
    assert refused["error"]["code"] == "DRILL_STILL_RUNNING"
    assert (
        drill_id in refused["error"]["message"] and f"drsctl cancel {drill_id}" in refused["error"]["message"]
    )
    assert api.execution(drill_id)["status"] == "IN_PROGRESS"

    # When it is started with cancelConflictingDrills (drsctl execute --cancel-conflicting-drills)
    cli = drsctl(
        sandbox,
        "execute",
        plan["name"],
        "--recovery",
        "--confirm",
        plan["name"],
        "--cancel-conflicting-drills",
        "--output",
        "json",
    )
    assert cli.returncode == 0, cli
    started = json.loads(cli.stdout)

    # Then the drill was cancelled and its override restored before the recovery started
    assert api.execution(drill_id)["status"] in ("CANCELLING", "CANCELLED")
    assert production_settings(sandbox, ids) == before
    override = next(s for s in api.server_items(drill_id) if s["sourceServerId"] == ids[0])["drillOverride"]
    assert override["status"] == "RESTORED" and override["restoredBy"] == f"RECOVERY {started['executionId']}"
    # And the recovery says so on its timeline, then launches into production
    record, _ = api.watch(started["executionId"], finished)
    assert record["status"] == "COMPLETED", record
    kinds = [e["type"] for e in api.call("GET", f"/executions/{started['executionId']}/timeline")["items"]]
    assert "DRILL_CANCELLED" in kinds and "DRILL_NETWORK_RESTORED" in kinds
    assert instances_of(sandbox, api, started["executionId"])[ids[0]]["SubnetId"] == network["prodA"]
    # (a cancelled drill whose started wave went on to launch ends PARTIAL_SUCCESS, see statuses.md)
    assert api.watch(drill_id, finished)[0]["status"] in ("CANCELLED", "PARTIAL_SUCCESS")
