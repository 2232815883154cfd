"""Pre-flight: a plan's waves resolved to DRS source servers, with every problem named."""

from __future__ import annotations

import pytest

from orchestrator.exceptions import ValidationFailedError
from orchestrator.operations.create import resolve_waves
from orchestrator.operations.finalize import error_message


def _server(sid: str, tier: str, state: str = "CONTINUOUS", **tags: str) -> dict[str, object]:
    return {
        "sourceServerID": sid,
        "tags": {"Tier": tier, **tags},
        "sourceProperties": {"identificationHints": {"hostname": f"{tier}-{sid[-3:]}"}},
        "dataReplicationInfo": {"dataReplicationState": state},
    }


SERVERS = [
    _server("s-00000000000000001", "db"),
    _server("s-00000000000000002", "app", ImpactLevel="OPTIONAL"),
    _server("s-00000000000000003", "web"),
]
GROUPS = {
    "g-db": {"groupId": "g-db", "sourceServerIds": ["s-00000000000000001"]},
    "g-app": {"groupId": "g-app", "serverSelectionTags": {"Tier": "app"}},
    "g-web": {"groupId": "g-web", "serverSelectionTags": {"Tier": "web"}, "serverImpactLevels": {}},
}


def _plan(*waves: list[str]) -> dict[str, object]:
    return {"waves": [{"waveName": f"W{i}", "protectionGroupIds": g} for i, g in enumerate(waves, start=1)]}


def test_groups_resolve_by_ids_and_by_tags_with_impact_levels() -> None:
    # Given a plan with a group by ids and groups by tags
    waves = resolve_waves(_plan(["g-db"], ["g-app"], ["g-web"]), GROUPS, SERVERS)
    # Then each wave holds its servers, and a server tagged OPTIONAL is optional
    assert [[s.source_server_id for s in w.servers] for w in waves] == [
        ["s-00000000000000001"],
        ["s-00000000000000002"],
        ["s-00000000000000003"],
    ]
    assert waves[1].servers[0].impact_level == "OPTIONAL"
    assert waves[0].servers[0].impact_level == "CRITICAL"
    assert waves[0].servers[0].hostname == "db-001"


def test_unknown_servers_unhealthy_replication_and_empty_waves_are_all_reported() -> None:
    # Given a group naming a missing server, a stalled server and a tag matching nothing
    servers = [*SERVERS[:2], _server("s-00000000000000003", "web", state="STALLED")]
    groups = {
        **GROUPS,
        "g-missing": {"groupId": "g-missing", "sourceServerIds": ["s-0000000000000dead"]},
        "g-none": {"groupId": "g-none", "serverSelectionTags": {"Tier": "nothing"}},
    }
    # When the plan is resolved
    with pytest.raises(ValidationFailedError) as caught:
        resolve_waves(_plan(["g-missing", "g-db"], ["g-web"], ["g-none"]), groups, servers)
    # Then one refusal names every problem
    problems = caught.value.details["problems"]
    assert any("s-0000000000000dead" in p for p in problems)
    assert any("STALLED" in p for p in problems)
    assert any("wave 3" in p and "no source servers" in p for p in problems)
    assert caught.value.http_status == 422


def test_a_server_in_two_waves_is_refused() -> None:
    # Given the same group in waves 1 and 2
    with pytest.raises(ValidationFailedError, match="both wave 1 and wave 2"):
        resolve_waves(_plan(["g-db"], ["g-db"]), GROUPS, SERVERS)


def test_a_lambda_error_caught_by_the_state_machine_reads_as_type_and_message() -> None:
    # Given the Catch result Step Functions records for a Lambda that raised
    caught = {"Error": "RuntimeError", "Cause": '{"errorMessage": "boom", "errorType": "RuntimeError"}'}
    # Then the execution records a readable error
    assert error_message(caught) == "RuntimeError: boom"
    assert error_message({"Error": "States.Timeout", "Cause": ""}) == "States.Timeout"
    assert error_message(None) is None
