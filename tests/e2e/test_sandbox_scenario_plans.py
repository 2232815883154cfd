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
