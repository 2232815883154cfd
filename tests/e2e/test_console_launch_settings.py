"""Launch settings in the console, in a real browser (headless Chromium driven by Playwright) against
the sandbox: the group editor sets a group's launch settings (a refused subnet is named on its field),
and the group's page shows per server whether its launch settings are as set or what drifted, and
applies them again.

Needs the built console (`make console`) and `chromium`: skipped when missing, unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets) turns that into a failure."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from browser_tests import console_fixtures

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow
QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


sandbox, page = console_fixtures(time_scale=600, viewport=(1280, 1000))


def test_the_group_editor_sets_launch_settings_and_the_group_page_shows_drift_and_applies_them_again(
    page: Any, sandbox: Sandbox
) -> None:
    """Given two servers in DRS and a production subnet and security group in EC2; when the operator
    creates a group with launch settings in the editor, first with a subnet that does not exist;
    then the Subnet field names the problem; with the right subnet the group is saved and its page
    shows each server as set on launch template version 2; when an instance type is changed by hand
    (a new default version in EC2), the page shows that drift on that server, and "Apply again"
    repairs it."""
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:6]
    hosts = [f"lt1-{tag}", f"lt2-{tag}"]
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in hosts]
    servers = [
        {"sourceServerId": i, "hostname": h, "phaseDurations": QUICK} for i, h in zip(ids, hosts, strict=True)
    ]
    assert requests.post(f"{sandbox.url}/_sandbox/source-servers", json={"servers": servers}, timeout=30).ok
    ec2 = sandbox.stack.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    group_sg = ec2.create_security_group(GroupName=f"prod-{tag}", Description="prod", VpcId=vpc)["GroupId"]

    # The group, its two servers picked, its launch settings with a subnet that does not exist.
    page.goto(sandbox.console_url + "#/protection-groups/new")
    page.get_by_test_id("group-name").locator("input").fill(f"launch-{tag}")
    picker = page.get_by_test_id("server-picker")
    picker.get_by_placeholder("Find by hostname, id or tag").fill(tag)
    for host in hosts:
        picker.get_by_role("row").filter(has_text=host).get_by_role("checkbox").check()
    editor = page.get_by_test_id("launch-settings-editor")
    editor.get_by_text("Manage the launch settings of this group's servers").click()
    editor.get_by_test_id("launch-instance-type").locator("input").fill("m5.xlarge")
    editor.get_by_test_id("launch-subnet").locator("input").fill("subnet-0123456789abcdef0")
    editor.get_by_test_id("launch-security-groups").locator("input").fill(group_sg)
    page.get_by_test_id("save-group").click()
    expect(page.get_by_test_id("field-launch-subnet")).to_contain_text(
        "subnet-0123456789abcdef0 does not exist"
    )

    # With the right subnet the group saves, and its page shows both servers as set.
    editor.get_by_test_id("launch-subnet").locator("input").fill(subnet)
    page.get_by_test_id("save-group").click()
    page.get_by_test_id("groups-table").get_by_role("link", name=f"launch-{tag}").click()
    drift = page.get_by_test_id("launch-drift")
    for host in hosts:
        row = drift.get_by_role("row").filter(has_text=host)
        expect(row).to_contain_text("As set")
        expect(row).to_contain_text("2")

    # An instance type changed by hand: a new default launch template version in EC2.
    template = sandbox.stack.client("drs").get_launch_configuration(sourceServerID=ids[0])[
        "ec2LaunchTemplateID"
    ]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["$Default"])[
        "LaunchTemplateVersions"
    ][0]["LaunchTemplateData"]
    made = ec2.create_launch_template_version(
        LaunchTemplateId=template, SourceVersion="2", LaunchTemplateData={**data, "InstanceType": "t3.small"}
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(LaunchTemplateId=template, DefaultVersion=str(made))
    page.reload()
    drifted = page.get_by_test_id("launch-drift").get_by_role("row").filter(has_text=hosts[0])
    expect(drifted).to_contain_text("instanceType: set m5.xlarge, found t3.small")
    expect(page.get_by_test_id("launch-drift").get_by_role("row").filter(has_text=hosts[1])).to_contain_text(
        "As set"
    )
    expect(page.get_by_test_id("launch-drift")).to_contain_text("(1 drifted)")

    # "Apply again" makes a new default version with the group's type: the drift is gone.
    page.get_by_test_id("apply-launch-settings").click()
    expect(page.get_by_text("Launch settings applied: 1 changed, 1 already as set, 0 failed")).to_be_visible()
    expect(drifted).to_contain_text("As set")
    expect(page.get_by_test_id("launch-drift")).to_contain_text("(0 drifted)")
