"""Evidence across drills on in-memory ports: percentiles and trend, every drill's recovery time as
the execution view computes it, and each server's last drill recorded once when a drill ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import percentile, recovery_time, recovery_time_trend
from orchestrator.operations import drill_history as history
from orchestrator.operations.finalize import finalize_execution
from orchestrator.store.readiness import server_drill_item
from orchestrator.views import execution_view

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


@pytest.mark.parametrize(
    ("values", "p50", "p95"),
    [([], None, None), ([7], 7, 7), ([30, 10, 20], 20, 30), (list(range(1, 21)), 10, 19)],
)
def test_percentiles_are_nearest_rank(values: list[int], p50: int | None, p95: int | None) -> None:
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (p50, p95)


@pytest.mark.parametrize(
    ("recent", "previous", "trend"),
    [
        (None, 100, "UNKNOWN"),
        (100, None, "UNKNOWN"),
        (120, 100, "SLOWER"),
        (80, 100, "FASTER"),
        (105, 100, "STEADY"),
    ],
)
def test_the_trend_compares_medians_beyond_a_tenth(
    recent: int | None, previous: int | None, trend: str
) -> None:
    assert recovery_time_trend(recent, previous) == trend


def drill(orc: Orchestration, plan_id: str) -> dict[str, Any]:
    return orc.run_to_end(orc.start(plan_id)["executionId"])


def test_three_drills_give_percentiles_the_execution_views_agree_with_and_an_undrilled_server(
    orc: Orchestration,
) -> None:
    # Given a plan of two servers, and another plan sharing them plus a server no drill ever recovers
    drilled = orc.servers(2, phaseDurations=QUICK)
    plan_id = orc.add_plan([("DB", [orc.add_group("db", drilled)], False)], rtoTargetMinutes=60)
    other = orc.servers(1, phaseDurations=QUICK)
    other_plan = orc.add_plan(
        [("DB", [orc.add_group("db2", drilled)], False), ("Web", [orc.add_group("web", other)], False)]
    )
    # When the plan is drilled three times
    records = [drill(orc, plan_id) for _ in range(3)]
    assert [r["status"] for r in records] == ["COMPLETED"] * 3
    result = history.drill_history(orc.deps, plan_id, last=2)
    # Then every drill is listed newest first with the execution view's own recovery time
    assert [d["executionId"] for d in result["drills"]] == [r["executionId"] for r in reversed(records)]
    for row in result["drills"]:
        view = execution_view(orc.get(row["executionId"]), orc.deps.clock.now())
        assert (
            row["recoveryTime"]
            == view["recoveryTime"]
            == recovery_time(orc.get(row["executionId"]), orc.deps.clock.iso())
        )
        assert row["pausedSeconds"] == view["recoveryTime"]["pausedSeconds"] and row["verdict"] == "MET"
    seconds = [d["recoveryTime"]["seconds"] for d in result["drills"]]
    assert result["recoveryTime"] == {
        "drills": 2,
        "p50Seconds": percentile(seconds[:2], 0.5),
        "p95Seconds": percentile(seconds[:2], 0.95),
    }
    assert result["previousRecoveryTime"]["drills"] == 1
    assert result["trend"] in {"FASTER", "SLOWER", "STEADY"}
    # And the other plan's server, never drilled, shows so there
    servers = {
        s["sourceServerId"]: s for s in history.drill_history(orc.deps, other_plan, last=10)["servers"]
    }
    assert servers[other[0]]["lastDrilledTime"] is None and servers[other[0]]["lastDrillOutcome"] is None
    last = records[-1]
    assert {(servers[s]["lastDrillExecutionId"], servers[s]["lastDrillOutcome"]) for s in drilled} == {
        (last["executionId"], "RECOVERED")
    }
    assert servers[drilled[0]]["lastDrilledTime"] == last["endTime"]


def test_a_repeated_finalize_records_each_server_once_and_an_older_drill_never_wins(
    orc: Orchestration,
) -> None:
    ids = orc.servers(1, phaseDurations=QUICK)
    plan_id = orc.add_plan([("W", [orc.add_group("g", ids)], False)])
    first, second = drill(orc, plan_id), drill(orc, plan_id)
    store = orc.deps.stores.readiness
    # When finalize runs again for the first drill (Step Functions repeats it)
    finalize_execution(orc.deps, first["executionId"])
    # Then the server keeps its later drill
    assert store.server_drills(ids)[ids[0]]["lastDrillExecutionId"] == second["executionId"]
    again = server_drill_item(ids[0], second["executionId"], second["endTime"], "RECOVERED")
    assert store.record_server_drills([again]) == 0


def test_a_failed_server_records_a_failed_last_drill(orc: Orchestration) -> None:
    bad = orc.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = orc.add_plan([("W", [orc.add_group("g", bad)], False)])
    record = drill(orc, plan_id)
    assert record["status"] == "FAILED"
    found = orc.deps.stores.readiness.server_drills(bad)[bad[0]]
    assert (found["lastDrillOutcome"], found["lastDrillExecutionId"]) == ("FAILED", record["executionId"])
