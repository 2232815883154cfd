"""A group's launch settings per server, pure: what is desired, what is actual, the drift, the changes
that apply them, and the validation against what EC2 says exists."""

from __future__ import annotations

from typing import Any

from drsctl.drift import drift_exit_code, drift_rows
from orchestrator.launch import settings as launch

S1, S2 = "s-0000000000000000a", "s-0000000000000000b"
SUBNET = {"SubnetId": "subnet-0aaa", "VpcId": "vpc-1", "CidrBlock": "10.40.1.0/24"}
GROUPS = {
    "sg-0app": {"GroupId": "sg-0app", "VpcId": "vpc-1"},
    "sg-0other": {"GroupId": "sg-0other", "VpcId": "vpc-2"},
}
DRS_DEFAULTS = {
    "copyPrivateIp": False,
    "copyTags": True,
    "licensing": {"osByol": True},
    "launchDisposition": "STARTED",
    "targetInstanceTypeRightSizingMethod": "BASIC",
}
DRS_TEMPLATE = {
    "InstanceType": "m5.large",
    "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0default", "Groups": ["sg-0default"]}],
}


def group_settings(**extra: Any) -> dict[str, Any]:
    return {
        "instanceType": "m5.xlarge",
        "subnetId": "subnet-0aaa",
        "securityGroupIds": ["sg-0app"],
        "licensing": {"osByol": False},
        "tags": {"Environment": "dr"},
        **extra,
    }


def test_a_server_override_wins_over_the_group_and_right_sizing_leaves_the_type_to_drs() -> None:
    # Given a group with a type and a server with its own static IP, another with RIGHT_SIZING
    settings = group_settings(
        serverOverrides={S1: {"privateIpAddress": "10.40.1.50"}, S2: {"instanceType": "RIGHT_SIZING"}}
    )
    # When each server's desired fields are computed
    first, second = launch.desired_for(settings, S1), launch.desired_for(settings, S2)
    # Then the first has the group's type (right-sizing off) and its IP
    assert first["instanceType"] == "m5.xlarge" and first["targetInstanceTypeRightSizingMethod"] == "NONE"
    assert first["privateIpAddress"] == "10.40.1.50" and first["osByol"] is False
    # And the second leaves the type to DRS, and no static IP (the group places it in a subnet)
    assert "instanceType" not in second and second["targetInstanceTypeRightSizingMethod"] == "BASIC"
    assert second["privateIpAddress"] is None


def test_applying_changes_only_what_differs_and_a_second_apply_changes_nothing() -> None:
    # Given a server with DRS's defaults and the template DRS made
    desired = launch.desired_for(group_settings(serverOverrides={S1: {"privateIpAddress": "10.40.1.50"}}), S1)
    actual = launch.actual_of(DRS_DEFAULTS, DRS_TEMPLATE)
    # When the changes are computed
    changes = launch.drs_changes(desired, actual)
    data = launch.template_data(desired, DRS_TEMPLATE)
    # Then DRS gets the licensing and right-sizing only, and the template a new version's data
    assert changes == {"licensing": {"osByol": False}, "targetInstanceTypeRightSizingMethod": "NONE"}
    assert data is not None
    assert data["InstanceType"] == "m5.xlarge"
    assert data["NetworkInterfaces"] == [
        {"DeviceIndex": 0, "SubnetId": "subnet-0aaa", "Groups": ["sg-0app"], "PrivateIpAddress": "10.40.1.50"}
    ]
    assert data["TagSpecifications"] == [
        {"ResourceType": "instance", "Tags": [{"Key": "Environment", "Value": "dr"}]}
    ]
    # And the source data is left as it was (a new version, never an edit)
    assert DRS_TEMPLATE["InstanceType"] == "m5.large"
    # When the result is read back, Then nothing differs any more
    applied = launch.actual_of({**DRS_DEFAULTS, **changes}, data)
    assert launch.drift(desired, applied) == []
    assert launch.drs_changes(desired, applied) == {} and launch.template_data(desired, data) is None


def test_drift_names_each_field_changed_by_hand_and_each_tag() -> None:
    # Given the applied state, then a type changed by hand and a tag removed
    desired = launch.desired_for(group_settings(), S1)
    data = launch.template_data(desired, DRS_TEMPLATE)
    assert data is not None
    by_hand = {**data, "InstanceType": "t3.small", "TagSpecifications": []}
    config = {**DRS_DEFAULTS, "licensing": {"osByol": False}, "targetInstanceTypeRightSizingMethod": "NONE"}
    # When the drift is computed, Then both are named with desired and actual values
    assert launch.drift(desired, launch.actual_of(config, by_hand)) == [
        {"field": "instanceType", "desired": "m5.xlarge", "actual": "t3.small"},
        {"field": "tags.Environment", "desired": "dr", "actual": None},
    ]


def test_fields_the_group_does_not_name_are_never_drift() -> None:
    # Given a group managing only copyTags
    desired = launch.desired_for({"copyTags": True}, S1)
    # When the template and other DRS fields differ from anything, Then there is no drift
    assert launch.drift(desired, launch.actual_of(DRS_DEFAULTS, {"InstanceType": "x1e.32xlarge"})) == []
    assert launch.template_data(desired, DRS_TEMPLATE) is None


def problems_of(
    settings: dict[str, Any], members: tuple[str, ...] = (S1, S2)
) -> list[tuple[str, str | None]]:
    found = launch.problems(settings, members, {"subnet-0aaa": SUBNET}, GROUPS, {"m5.xlarge"})
    return [(p.field, p.source_server_id) for p in found]


def test_valid_settings_have_no_problem() -> None:
    settings = group_settings(serverOverrides={S1: {"privateIpAddress": "10.40.1.50"}})
    assert problems_of(settings) == []


def test_each_problem_names_its_field_and_server() -> None:
    # Given settings with one problem each, When validated, Then the field and server are named
    cases: list[tuple[dict[str, Any], list[tuple[str, str | None]]]] = [
        (group_settings(subnetId="subnet-0nope"), [("launchSettings.subnetId", None)]),
        (group_settings(instanceType="zz9.mega"), [("launchSettings.instanceType", None)]),
        (group_settings(securityGroupIds=["sg-0nope"]), [("launchSettings.securityGroupIds", None)]),
        (group_settings(securityGroupIds=["sg-0other"]), [("launchSettings.securityGroupIds", None)]),
        (
            group_settings(serverOverrides={S2: {"privateIpAddress": "10.40.2.9"}}),
            [(f"launchSettings.serverOverrides.{S2}.privateIpAddress", S2)],
        ),
        (
            # the first four addresses of a subnet are AWS's
            group_settings(serverOverrides={S2: {"privateIpAddress": "10.40.1.3"}}),
            [(f"launchSettings.serverOverrides.{S2}.privateIpAddress", S2)],
        ),
        (
            group_settings(copyPrivateIp=True, serverOverrides={S1: {"privateIpAddress": "10.40.1.9"}}),
            [(f"launchSettings.serverOverrides.{S1}.privateIpAddress", S1)],
        ),
        (
            group_settings(serverOverrides={"s-00000000000000ccc": {"instanceType": "m5.xlarge"}}),
            [("launchSettings.serverOverrides.s-00000000000000ccc.sourceServerId", "s-00000000000000ccc")],
        ),
        (
            group_settings(serverOverrides={S1: {"securityGroupIds": ["sg-0other"]}}),
            [(f"launchSettings.serverOverrides.{S1}.securityGroupIds", S1)],
        ),
    ]
    for settings, expected in cases:
        assert problems_of(settings) == expected, settings


def test_drsctl_drift_lines_and_exit_codes() -> None:
    # Given a group's launch settings view with one drifted field
    view = {
        "items": [
            {
                "sourceServerId": S1,
                "hostname": "db01",
                "drift": [{"field": "copyTags", "desired": True, "actual": False}],
            },
            {"sourceServerId": S2, "hostname": None, "drift": []},
        ]
    }
    # When drsctl turns it into lines, Then one line per drifted field, JSON values
    assert drift_rows({"name": "DB"}, view) == [("DB", f"{S1} (db01)", "copyTags", "true", "false")]
    # And the exit code is 2 with drift, 1 when nothing drifted but a server was unreadable, else 0
    assert (drift_exit_code(1, 0), drift_exit_code(0, 1), drift_exit_code(0, 0)) == (2, 1, 0)
