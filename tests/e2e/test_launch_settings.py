"""Launch settings as code: a protection group's launchSettings become each server's DRS launch
configuration and a new default version of its EC2 launch template; a drill's instances land where
they say (read from EC2, as on AWS); a change made by hand is reported as drift by the API and by
`drsctl groups drift`, and re-applying repairs it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sandbox_api import Api, drsctl, finished

from drs_sandbox.server import Sandbox


@pytest.fixture(scope="module")
def network(sandbox: Sandbox) -> dict[str, str]:
    """A production VPC with an application subnet and security group, and a second VPC whose
    security group must not be mixed with the first's subnet."""
    ec2 = sandbox.stack.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]
    app_sg = ec2.create_security_group(GroupName="prod-app", Description="app", VpcId=vpc)["GroupId"]
    web_sg = ec2.create_security_group(GroupName="prod-web", Description="web", VpcId=vpc)["GroupId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    other_sg = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=other_vpc)["GroupId"]
    return {"vpc": vpc, "subnet": subnet, "appSg": app_sg, "webSg": web_sg, "otherSg": other_sg}


def settings(network: dict[str, str], static: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instanceType": "m5.xlarge",
        "subnetId": network["subnet"],
        "securityGroupIds": [network["appSg"], network["webSg"]],
        "copyPrivateIp": False,
        "copyTags": True,
        "tags": {"Environment": "dr"},
        "licensing": {"osByol": False},
        "launchDisposition": "STARTED",
        **extra,
    }
    if static:
        body["serverOverrides"] = {sid: {"privateIpAddress": ip} for sid, ip in static.items()}
    return body


def template_of(sandbox: Sandbox, source_server_id: str) -> str:
    config = sandbox.stack.client("drs").get_launch_configuration(sourceServerID=source_server_id)
    return str(config["ec2LaunchTemplateID"])


def versions(sandbox: Sandbox, template_id: str) -> dict[int, dict[str, Any]]:
    ec2 = sandbox.stack.client("ec2")
    found = ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
    return {int(v["VersionNumber"]): v for v in found}


def default_number(sandbox: Sandbox, template_id: str) -> int:
    ec2 = sandbox.stack.client("ec2")
    template = ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"][0]
    return int(template["DefaultVersionNumber"])


def group_with_settings(api: Api, ids: list[str], launch: dict[str, Any]) -> dict[str, Any]:
    body = {"name": f"launch-{uuid.uuid4().hex[:8]}", "sourceServerIds": ids, "launchSettings": launch}
    return dict(api.call("POST", "/protection-groups", body, expect=201))


def test_saving_a_group_makes_a_new_default_launch_template_version_and_keeps_the_previous(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given two DRS source servers, each with the launch template DRS made for it (version 1)
    ids = api.servers(2)
    templates = {sid: template_of(sandbox, sid) for sid in ids}
    before = {sid: versions(sandbox, t)[1]["LaunchTemplateData"] for sid, t in templates.items()}
    tags = sandbox.stack.client("ec2").describe_launch_templates(LaunchTemplateIds=[templates[ids[0]]])[
        "LaunchTemplates"
    ][0]["Tags"]
    assert {"Key": "AWSElasticDisasterRecoveryManaged", "Value": "drs.amazonaws.com"} in tags

    # When a group of them is saved with launch settings (a static IP for the first server)
    group = group_with_settings(api, ids, settings(network, {ids[0]: "10.40.1.50"}))

    # Then the answer says both servers were changed
    outcome = group["launchSettingsOutcome"]
    assert sorted(a["sourceServerId"] for a in outcome["applied"]) == sorted(ids)
    assert outcome["failed"] == [] and outcome["servers"] == 2
    for sid in ids:
        # and each template has a new version 2, the default, while version 1 is as it was
        found = versions(sandbox, templates[sid])
        assert sorted(found) == [1, 2]
        assert default_number(sandbox, templates[sid]) == 2
        assert found[1]["LaunchTemplateData"] == before[sid]
        data = found[2]["LaunchTemplateData"]
        interface = data["NetworkInterfaces"][0]
        assert data["InstanceType"] == "m5.xlarge"
        assert interface["SubnetId"] == network["subnet"]
        assert sorted(interface["Groups"]) == sorted([network["appSg"], network["webSg"]])
        assert interface.get("PrivateIpAddress") == ("10.40.1.50" if sid == ids[0] else None)
        # and DRS holds the launch configuration fields
        config = sandbox.stack.client("drs").get_launch_configuration(sourceServerID=sid)
        assert config["licensing"] == {"osByol": False}
        assert config["copyPrivateIp"] is False
        assert config["targetInstanceTypeRightSizingMethod"] == "NONE"

    # And the group's launch settings show no drift
    view = api.call("GET", f"/protection-groups/{group['groupId']}/launch-settings", expect=200)
    assert view["driftedServers"] == 0 and [i["drift"] for i in view["items"]] == [[], []]
    assert {i["defaultVersion"] for i in view["items"]} == {2}

    # When they are applied again, Then nothing changes (no third version)
    again = api.call("POST", f"/protection-groups/{group['groupId']}/launch-settings/apply", {}, expect=200)
    assert sorted(again["unchanged"]) == sorted(ids) and again["applied"] == []
    assert all(sorted(versions(sandbox, t)) == [1, 2] for t in templates.values())


def test_a_drills_instances_land_where_the_launch_settings_say(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given a group whose launch settings place its servers in the production subnet, the first
    # with a static IP
    ids = api.servers(2)
    group = group_with_settings(api, ids, settings(network, {ids[0]: "10.40.1.60"}))
    plan = api.call(
        "POST",
        "/recovery-plans",
        {
            "name": f"plan-{uuid.uuid4().hex[:8]}",
            "waves": [{"waveName": "App", "protectionGroupIds": [group["groupId"]]}],
        },
        expect=201,
    )

    # When a drill of the plan runs to its end
    execution_id = api.start(plan["planId"])
    record, _ = api.watch(execution_id, finished)
    assert record["status"] == "COMPLETED"

    # Then EC2 says each instance is in that subnet, with those groups, of that type, with the tag
    instance_ids = {s["sourceServerId"]: s["ec2InstanceId"] for s in api.server_items(execution_id)}
    ec2 = sandbox.stack.client("ec2")
    reservations = ec2.describe_instances(InstanceIds=list(instance_ids.values()))["Reservations"]
    instances = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    for sid, instance_id in instance_ids.items():
        instance = instances[instance_id]
        assert instance["SubnetId"] == network["subnet"]
        assert instance["VpcId"] == network["vpc"]
        assert sorted(g["GroupId"] for g in instance["SecurityGroups"]) == sorted(
            [network["appSg"], network["webSg"]]
        )
        assert instance["InstanceType"] == "m5.xlarge"
        assert {"Key": "Environment", "Value": "dr"} in instance["Tags"]
        if sid == ids[0]:
            # and the first server has its static IP
            assert instance["PrivateIpAddress"] == "10.40.1.60"
    api.call("POST", f"/executions/{execution_id}/terminate-instances", {}, expect=202)


def test_drift_made_by_hand_is_reported_by_the_api_and_drsctl_and_repaired_by_apply(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given a group whose launch settings were applied (nothing drifted: drsctl exits 0)
    ids = api.servers(2)
    group = group_with_settings(api, ids, settings(network))
    clean = drsctl(sandbox, "groups", "drift", group["name"])
    assert clean.returncode == 0, clean.stderr
    assert "0 drifted" in clean.stdout

    # When someone makes a new default template version with another instance type by hand, and
    # turns DRS's copyTags off for the other server
    ec2, drs = sandbox.stack.client("ec2"), sandbox.stack.client("drs")
    template = template_of(sandbox, ids[0])
    made = ec2.create_launch_template_version(
        LaunchTemplateId=template,
        SourceVersion="2",
        LaunchTemplateData={
            **versions(sandbox, template)[2]["LaunchTemplateData"],
            "InstanceType": "t3.small",
        },
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(LaunchTemplateId=template, DefaultVersion=str(made))
    drs.update_launch_configuration(sourceServerID=ids[1], copyTags=False)

    # Then the API reports each drifted field on its server
    view = api.call("GET", f"/protection-groups/{group['groupId']}/launch-settings", expect=200)
    drift = {i["sourceServerId"]: i["drift"] for i in view["items"]}
    assert drift[ids[0]] == [{"field": "instanceType", "desired": "m5.xlarge", "actual": "t3.small"}]
    assert drift[ids[1]] == [{"field": "copyTags", "desired": True, "actual": False}]
    assert view["driftedServers"] == 2

    # And drsctl prints one line per drifted field and exits 2
    found = drsctl(sandbox, "groups", "drift", group["name"])
    assert found.returncode == 2, found.stderr
    lines = [line for line in found.stdout.splitlines() if ": desired " in line]
    assert len(lines) == 2
    assert any(
        ids[0] in line and "instanceType: desired m5.xlarge, actual t3.small" in line for line in lines
    )
    assert any(ids[1] in line and "copyTags: desired true, actual false" in line for line in lines)
    as_json = json.loads(drsctl(sandbox, "--output", "json", "groups", "drift", group["groupId"]).stdout)
    assert as_json["driftedFields"] == 2

    # When the settings are applied again, Then the drift is repaired (a new default version, the
    # hand-made one kept) and drsctl exits 0
    repaired = api.call(
        "POST", f"/protection-groups/{group['groupId']}/launch-settings/apply", {}, expect=200
    )
    assert sorted(a["sourceServerId"] for a in repaired["applied"]) == sorted(ids)
    assert default_number(sandbox, template) == made + 1 and made in versions(sandbox, template)
    assert drsctl(sandbox, "groups", "drift", group["groupId"]).returncode == 0


def test_launch_settings_that_cannot_apply_are_refused_naming_the_server_and_field_and_nothing_changes(
    sandbox: Sandbox, api: Api, network: dict[str, str]
) -> None:
    # Given two servers whose templates have only DRS's version 1
    ids = api.servers(2)
    templates = [template_of(sandbox, sid) for sid in ids]
    name = f"refused-{uuid.uuid4().hex[:8]}"
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        # a static IP outside the subnet
        (
            settings(network, {ids[1]: "10.99.0.10"}),
            f"launchSettings.serverOverrides.{ids[1]}.privateIpAddress",
            ids[1],
        ),
        # a security group of another VPC
        (
            settings(network, securityGroupIds=[network["otherSg"]]),
            "launchSettings.securityGroupIds",
            None,
        ),
        # a subnet that does not exist
        (settings(network, subnetId="subnet-0123456789abcdef0"), "launchSettings.subnetId", None),
        # an instance type the Region does not offer
        (settings(network, instanceType="zz9.mega"), "launchSettings.instanceType", None),
    ]
    for launch, field, server in cases:
        # When a group is saved with them
        body = {"name": name, "sourceServerIds": ids, "launchSettings": launch}
        answer = api.call("POST", "/protection-groups", body, expect=422)
        # Then the 422 names the field and the server
        assert answer["error"]["code"] == "LAUNCH_SETTINGS_INVALID"
        assert answer["error"]["details"]["field"] == field
        assert answer["error"]["details"]["sourceServerId"] == server
        if server:
            assert server in answer["error"]["message"]
    # And nothing was stored or changed
    assert name not in [g["name"] for g in api.call("GET", "/protection-groups", expect=200)["items"]]
    assert all(sorted(versions(sandbox, t)) == [1] and default_number(sandbox, t) == 1 for t in templates)
