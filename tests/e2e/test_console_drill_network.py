"""The drill network in the console's plan editor, in a real browser (headless Chromium driven by
Playwright): an unknown subnet is refused on its field with the API's message, the drill network's
subnets and security group are saved with the plan, and shown again when the plan is edited.

Needs the built console (`make console`) and `chromium`; skipped when missing unless
CONSOLE_E2E_REQUIRED=1 (as `make test` sets)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from browser_tests import chromium_context, console_or_skip, watched_page
from test_console_conventions import _axe_violations

from drs_sandbox.server import Sandbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return console_or_skip()


@pytest.fixture(scope="module")
def sandbox(chromium_path: str) -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


@pytest.fixture
def page(chromium_path: str, sandbox: Sandbox) -> Iterator[Any]:
    with chromium_context((1440, 1000)) as context, watched_page(context) as page:
        yield page


def a_plan(sandbox: Sandbox, name: str) -> str:
    server = f"s-{uuid.uuid4().hex[:17]}"
    added = requests.post(
        f"{sandbox.url}/_sandbox/source-servers",
        json={"servers": [{"sourceServerId": server, "hostname": f"web-{name}"}]},
        timeout=10,
    )
    assert added.status_code == 201, added.text
    group = requests.post(
        f"{sandbox.url}/protection-groups",
        json={"name": f"{name}-g", "sourceServerIds": [server]},
        timeout=10,
    )
    assert group.status_code == 201, group.text
    plan = requests.post(
        f"{sandbox.url}/recovery-plans",
        json={"name": name, "waves": [{"waveName": "W1", "protectionGroupIds": [group.json()["groupId"]]}]},
        timeout=10,
    )
    assert plan.status_code == 201, plan.text
    return str(plan.json()["planId"])


def test_an_operator_sets_the_drill_network_in_the_plan_editor(page: Any, sandbox: Sandbox) -> None:
    """Given a plan and an isolated VPC with two subnets and a security group, when an operator types
    a subnet that does not exist, then the field says so (the API's 422) and nothing is saved; when
    they type the two subnets and the group, then the plan is saved with them and the editor shows
    them again."""
    from playwright.sync_api import expect

    ec2 = sandbox.stack.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.90.{n}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for n, zone in ((1, "us-east-1a"), (2, "us-east-1b"))
    ]
    group = ec2.create_security_group(GroupName="drill", Description="drill", VpcId=vpc)["GroupId"]
    name = f"DrillNet-{uuid.uuid4().hex[:6]}"
    plan_id = a_plan(sandbox, name)

    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}/edit")
    subnet_field = page.get_by_test_id("plan-drill-subnets").locator("input")
    group_field = page.get_by_test_id("plan-drill-security-groups").locator("input")
    expect(subnet_field).to_have_value("")
    subnet_field.fill("subnet-0123456789abcdef0")
    group_field.fill(group)
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_test_id("field-drill-subnets")).to_contain_text(
        "subnet-0123456789abcdef0 does not exist"
    )
    assert "drillNetwork" not in (
        requests.get(f"{sandbox.url}/recovery-plans/{plan_id}", timeout=10).json().get("options") or {}
    )
    assert _axe_violations(page) == []

    subnet_field.fill(f"{subnets[0]}, {subnets[1]}")
    page.get_by_test_id("save-plan").click()
    # saved: the editor goes to the plan's page
    page.wait_for_url(re.compile(rf"#/recovery-plans/{plan_id}$"))
    saved = requests.get(f"{sandbox.url}/recovery-plans/{plan_id}", timeout=10).json()
    assert saved["options"]["drillNetwork"] == {"subnetIds": subnets, "securityGroupIds": [group]}

    page.goto(f"{sandbox.console_url}#/recovery-plans/{plan_id}/edit")
    expect(page.get_by_test_id("plan-drill-subnets").locator("input")).to_have_value(
        f"{subnets[0]}, {subnets[1]}"
    )
    expect(page.get_by_test_id("plan-drill-security-groups").locator("input")).to_have_value(group)
