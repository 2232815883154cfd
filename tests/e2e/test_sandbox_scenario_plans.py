"""A scenario's protection groups and plans are created by `drsctl plans apply`, run as a program by
the sandbox (which imports no more of drsctl than its client): what they are, and how a bad one stops
the sandbox with the problem named."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from drs_sandbox.server import Sandbox, SandboxError

SCENARIO = """\
name: two-groups
sourceServers:
  - {sourceServerId: s-00000000000000001, hostname: db01, tags: {Tier: db}}
  - {sourceServerId: s-00000000000000002, hostname: web01, tags: {Tier: web}}
protectionGroups:
  - {name: Db, serverSelectionTags: {Tier: db}}
  - {name: Web, serverSelectionTags: {Tier: web}}
recoveryPlans:
  - name: TwoTier
    waves:
      - {waveName: DB, protectionGroupNames: [Db]}
      - {waveName: Web, protectionGroupNames: [Web], pauseBeforeWave: true}
    options: {readinessCheck: %s}
"""


def test_a_scenarios_groups_and_plans_exist_once_the_sandbox_has_started(tmp_path: Path) -> None:
    # Given a scenario file declaring two groups and a plan whose waves name them
    scenario = tmp_path / "two-groups.yaml"
    scenario.write_text(SCENARIO % "EC2_RUNNING", encoding="utf-8")
    # When the sandbox starts with it
    with Sandbox(port=0, scenario=str(scenario), find_interval=3600) as sandbox:
        groups = requests.get(f"{sandbox.url}/protection-groups", timeout=10).json()["items"]
        plans = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()["items"]
        # Then the groups exist, and the plan's waves name them by id
        ids = {g["name"]: g["groupId"] for g in groups}
        assert set(ids) == {"Db", "Web"}
        [plan] = plans
        assert plan["name"] == "TwoTier"
        assert [w["protectionGroupIds"] for w in plan["waves"]] == [[ids["Db"]], [ids["Web"]]]
        assert [w["pauseBeforeWave"] for w in plan["waves"]] == [False, True]
        # And the sandbox says what drsctl did to each
        assert sorted((a["kind"], a["name"], a["action"]) for a in sandbox.applied) == [
            ("protection group", "Db", "created"),
            ("protection group", "Web", "created"),
            ("recovery plan", "TwoTier", "created"),
        ]


def test_a_scenario_plan_drsctl_refuses_stops_the_sandbox_with_the_field_named(tmp_path: Path) -> None:
    # Given a scenario whose plan has an option the API does not know (the scenario loader passes
    # plans through; drsctl checks them with the API's schemas)
    scenario = tmp_path / "two-groups.yaml"
    scenario.write_text(SCENARIO % "SOMETIMES", encoding="utf-8")
    # When the sandbox starts with it, Then it refuses, naming the scenario, the field and the value
    with pytest.raises(SandboxError) as refused, Sandbox(port=0, scenario=str(scenario), find_interval=3600):
        pass
    message = str(refused.value)
    assert message.startswith("scenario two-groups: ")
    assert "recoveryPlans[0].options.readinessCheck" in message
    assert "SOMETIMES" in message


NETWORKED = """\
name: networked
networks:
  - name: production
    cidrBlock: 10.10.0.0/16
    subnets: [{name: prod-a, cidrBlock: 10.10.1.0/24, availabilityZone: us-east-1a}]
    securityGroups: [{name: prod, description: production}]
  - name: drills
    cidrBlock: 10.99.0.0/16
    subnets: [{name: drill-a, cidrBlock: 10.99.1.0/24, availabilityZone: us-east-1a}]
    securityGroups: [{name: isolated, description: drills}]
sourceServers:
  - {sourceServerId: s-00000000000000003, hostname: app01, tags: {Tier: app}}
protectionGroups:
  - name: App
    serverSelectionTags: {Tier: app}
    launchSettings: {subnetId: "{subnet:prod-a}", securityGroupIds: ["{securityGroup:prod}"]}
recoveryPlans:
  - name: Isolated
    waves: [{waveName: App, protectionGroupNames: [App]}]
    options:
      drillNetwork: {subnetIds: ["{subnet:drill-a}"], securityGroupIds: ["{securityGroup:isolated}"]}
"""


def test_a_scenario_names_its_production_and_drill_networks_in_groups_and_plans(tmp_path: Path) -> None:
    # Given a scenario with a production VPC and a drill VPC, a group launched into production and
    # a plan whose drills go to the drill VPC, each named by placeholder
    scenario = tmp_path / "networked.yaml"
    scenario.write_text(NETWORKED, encoding="utf-8")
    # When the sandbox starts with it
    with Sandbox(port=0, scenario=str(scenario), find_interval=3600) as sandbox:
        ec2 = sandbox.stack.client("ec2")
        subnets = {
            t["Value"]: s["SubnetId"]
            for s in ec2.describe_subnets()["Subnets"]
            for t in s.get("Tags", [])
            if t["Key"] == "Name"
        }
        [group] = requests.get(f"{sandbox.url}/protection-groups", timeout=10).json()["items"]
        [plan] = requests.get(f"{sandbox.url}/recovery-plans", timeout=10).json()["items"]
        # Then the placeholders became the ids of the subnets the sandbox made in EC2
        assert group["launchSettings"]["subnetId"] == subnets["prod-a"]
        assert plan["options"]["drillNetwork"]["subnetIds"] == [subnets["drill-a"]]
