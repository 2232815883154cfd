"""Scenario files: the shipped examples, `count` expansion, and errors that name the file and field."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from drs_sandbox.drs import DrsSimulator
from drs_sandbox.scenario import ScenarioError, builtin_scenarios, load_scenario, resolve_scenario


class NoEc2:
    """Scenario tests never launch anything."""


def write(tmp_path: Path, data: Any, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shipped_scenarios_load_and_feed_the_simulator() -> None:
    # Given the scenarios shipped with the package
    shipped = builtin_scenarios()
    assert {"three-tier", "failing-server", "hundred-servers"} <= set(shipped)
    for name, path in shipped.items():
        # When each is loaded and its servers are added to a simulator
        scenario = load_scenario(path)
        sim = DrsSimulator(NoEc2(), rng=random.Random(0))
        added = sim.add_source_servers(scenario.source_servers)
        # Then every server is accepted, with the ids the scenario derived
        assert [s["sourceServerID"] for s in added] == [s["sourceServerId"] for s in scenario.source_servers]
        assert scenario.name == name and scenario.time_scale


def test_three_tier_has_six_servers_three_groups_and_a_runbook_with_an_approval_before_web() -> None:
    scenario = load_scenario(resolve_scenario("three-tier"))
    tiers = [s["tags"]["Tier"] for s in scenario.source_servers]
    plan = scenario.recovery_plans[0]
    assert tiers == ["db", "db", "app", "app", "web", "web"]
    assert plan["name"] == "3TierRecoveryPlan"
    runbook = [
        (
            w["waveName"],
            [a["name"] for a in w.get("preActions", [])],
            [a["name"] for a in w.get("postActions", [])],
        )
        for w in plan["waves"]
    ]
    assert runbook == [
        ("DB", ["freeze-writes"], ["db-accepts-connections"]),
        ("App", [], []),
        ("Web", ["app-owner-sign-off"], ["flip-dns", "http-health-check"]),
    ]
    assert plan["options"]["onWaveFailure"] == "PAUSE"


def test_failing_server_scenario_has_one_critical_server_failing_at_launch() -> None:
    scenario = load_scenario(resolve_scenario("failing-server"))
    failing = [s for s in scenario.source_servers if s["launchOutcome"] == "FAILED"]
    assert [(s["hostname"], s["failPhase"]) for s in failing] == [("billing-app01", "LAUNCH")]
    levels = {k: v for g in scenario.protection_groups for k, v in g.get("serverImpactLevels", {}).items()}
    assert levels[failing[0]["sourceServerId"]] == "CRITICAL"
    assert len(scenario.recovery_plans[0]["waves"]) == 3


def test_hundred_servers_expands_counts_into_numbered_hostnames() -> None:
    scenario = load_scenario(resolve_scenario("hundred-servers"))
    hostnames = [s["hostname"] for s in scenario.source_servers]
    assert len(hostnames) == len(set(hostnames)) == 100
    assert hostnames[:2] == ["portal-db01", "portal-db02"] and hostnames[-1] == "portal-web060"


def test_count_formats_n_into_hostname_ids_and_tags(tmp_path: Path) -> None:
    # Given a template repeated three times from n = 7
    path = write(
        tmp_path,
        {
            "serverDefaults": {"tags": {"Team": "ops"}},
            "sourceServers": [
                {"hostname": "web{n:02d}", "count": 3, "start": 7, "tags": {"Slot": "slot-{n}"}},
            ],
        },
    )
    # When it loads
    servers = load_scenario(path).source_servers
    # Then n is formatted into each server, and defaults are merged (tags included)
    assert [s["hostname"] for s in servers] == ["web07", "web08", "web09"]
    assert servers[0]["tags"] == {"Team": "ops", "Slot": "slot-7"}
    assert len({s["sourceServerId"] for s in servers}) == 3


def test_ids_derived_from_hostnames_are_stable(tmp_path: Path) -> None:
    path = write(tmp_path, {"sourceServers": [{"hostname": "db01"}]})
    assert (
        load_scenario(path).source_servers[0]["sourceServerId"]
        == load_scenario(path).source_servers[0]["sourceServerId"]
    )


def test_json_scenarios_are_read_too(tmp_path: Path) -> None:
    path = write(tmp_path, {"time_scale": 10, "source_servers": [{"hostname": "a"}]}, name="s.json")
    scenario = load_scenario(path)
    assert scenario.time_scale == 10.0 and scenario.source_servers[0]["hostname"] == "a"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (
            {"sourceServers": [{"hostname": "a", "launchOutcome": "NOPE"}]},
            r"sourceServers\[0\]\.launchOutcome",
        ),
        (
            {"sourceServers": [{"hostname": "a"}, {"hostname": "a"}]},
            r"sourceServers\[1\]: .*already declared",
        ),
        ({"sourceServers": [{"hostname": "web", "count": 2}]}, r"sourceServers\[0\]\.hostname: must contain"),
        (
            {"sourceServers": [{"hostname": "w{n}", "count": 2, "cpus": 0}]},
            r"sourceServers\[0\] \(n=1\)\.cpus",
        ),
        ({"timeScale": -1}, "timeScale: must be a positive number"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"protectionGroups": [{"name": "G"}]}, r"protectionGroups\[0\]: needs exactly one"),
        (
            {"recoveryPlans": [{"name": "P", "waves": [{"waveName": "W", "protectionGroupNames": ["X"]}]}]},
            r"recoveryPlans\[0\]\.waves\[0\]\.protectionGroupNames: protection group 'X' is not declared",
        ),
        ({"recoveryPlans": [{"name": "P", "waves": []}]}, r"recoveryPlans\[0\]\.waves: must be a non-empty"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, data: dict[str, Any], where: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError, match=f"^{re.escape(str(path))}: {where}"):
        load_scenario(path)


def test_unreadable_or_invalid_files_are_scenario_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("sourceServers: [", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="not a shipped scenario"):
        resolve_scenario("no-such-scenario")
