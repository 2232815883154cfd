"""Readiness of a plan on in-memory ports: each check on its own, the verdict rule, and the scheduled
check that records verdicts and notifies once per change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from orchestrator import timeutil
from orchestrator.exceptions import TransientError
from orchestrator.notify.readiness import ReadinessChange
from orchestrator.operations import readiness as ready
from orchestrator.operations.readiness import CheckResult, CheckStatus, Verdict, verdict_of
from orchestrator.store.readiness import verdict_record

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def two_wave_plan(orc: Orchestration, **options: Any) -> tuple[str, list[str]]:
    first, second = orc.servers(2, phaseDurations=QUICK), orc.servers(1, phaseDurations=QUICK)
    plan_id = orc.add_plan(
        [("DB", [orc.add_group("db", first)], False), ("App", [orc.add_group("app", second)], False)],
        **options,
    )
    return plan_id, first + second


def by_check(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in result["checks"] if c["check"] == name]


def drill(orc: Orchestration, plan_id: str) -> dict[str, Any]:
    return orc.run_to_end(orc.start(plan_id)["executionId"])


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Verdict.READY),
        (["PASS", "PASS"], Verdict.READY),
        (["PASS", "WARN"], Verdict.AT_RISK),
        (["WARN", "FAIL", "PASS"], Verdict.NOT_READY),
    ],
)
def test_the_verdict_is_the_worst_check(statuses: list[str], expected: Verdict) -> None:
    # Given checks with these statuses / When judged / Then FAIL -> NOT_READY, WARN -> AT_RISK.
    results = [CheckResult("X", CheckStatus(s), "m") for s in statuses]
    assert verdict_of(results) is expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("PT5M30S", 330),
        ("P1DT2H", 93600),
        ("PT1.5S", 1.5),
        ("P2W", 1209600),
        ("bad", None),
        ("5 minutes", None),
        ("", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
    ],
)
def test_drs_lag_durations_are_read_as_iso_8601(text: str, seconds: float | None) -> None:
    assert timeutil.duration_seconds(text) == seconds


def test_a_plan_never_drilled_is_at_risk_with_every_other_check_passing(orc: Orchestration) -> None:
    # Given a plan whose servers replicate, with launch settings and recovery points, never drilled
    plan_id, _ = two_wave_plan(orc)
    # When its readiness is checked
    result = ready.readiness(orc.deps, plan_id)
    # Then only the drill checks warn, and it is AT_RISK
    problems = {c["check"] for c in result["checks"] if c["status"] != "PASS"}
    assert problems == {"LAST_DRILL_RTO", "DRILL_AGE"}
    assert result["verdict"] == "AT_RISK" and result["checkedAt"] == orc.deps.clock.iso()


def test_a_freshly_drilled_healthy_plan_is_ready(orc: Orchestration) -> None:
    plan_id, _ = two_wave_plan(orc, rtoTargetMinutes=120)
    assert drill(orc, plan_id)["status"] == "COMPLETED"
    result = ready.readiness(orc.deps, plan_id)
    assert result["verdict"] == "READY", result["checks"]
    assert "met the recovery time objective" in by_check(result, "LAST_DRILL_RTO")[0]["message"]


def test_lag_over_the_plans_limit_warns_and_a_stopped_server_fails(orc: Orchestration) -> None:
    plan_id, ids = two_wave_plan(orc, maxReplicationLagMinutes=30)
    drill(orc, plan_id)
    # Given one server lagging 45 minutes (limit 30)
    orc.sim.stage_replication(ids[0], lag_seconds=45 * 60)
    lagging = ready.readiness(orc.deps, plan_id)
    assert lagging["verdict"] == "AT_RISK"
    assert by_check(lagging, "REPLICATION_LAG") == [
        {
            "check": "REPLICATION_LAG",
            "status": "WARN",
            "message": f"replication lag of {ids[0]} is 45 minutes (at most 30)",
            "sourceServerId": ids[0],
        }
    ]
    # When another server stops replicating
    orc.sim.stage_replication(ids[2], state="STOPPED")
    stopped = ready.readiness(orc.deps, plan_id)
    # Then the plan is NOT_READY, naming the server
    assert stopped["verdict"] == "NOT_READY"
    failing = by_check(stopped, "SERVERS_REPLICATE")
    assert [(c["status"], c.get("sourceServerId")) for c in failing] == [("FAIL", ids[2])]


def test_a_server_unknown_to_drs_fails_and_is_not_asked_about_again(orc: Orchestration) -> None:
    ghost = "s-0000000000000dead"
    group = orc.add_group("ghost", [ghost])
    plan_id = orc.add_plan([("W", [group], False)])
    result = ready.readiness(orc.deps, plan_id)
    assert result["verdict"] == "NOT_READY"
    assert [c["sourceServerId"] for c in result["checks"] if c["status"] == "FAIL"] == [ghost]


def test_an_old_recovery_point_warns(orc: Orchestration) -> None:
    plan_id, ids = two_wave_plan(orc)
    orc.sim.stage_replication(ids[1], state="STOPPED")
    orc.clock.advance(30 * 3600)
    result = ready.readiness(orc.deps, plan_id)
    point = [c for c in by_check(result, "RECOVERY_POINT") if c["status"] != "PASS"]
    assert [(c["status"], c["sourceServerId"]) for c in point] == [("WARN", ids[1])]
    assert "30 hours old" in point[0]["message"]


def test_a_launch_template_whose_subnet_is_gone_fails_launch_settings(orc: Orchestration) -> None:
    plan_id, ids = two_wave_plan(orc)
    ready.readiness(orc.deps, plan_id)  # the templates exist from the first look
    ec2: Any = orc.deps.ec2.client  # type: ignore[attr-defined]
    ec2.subnets.clear()
    result = ready.readiness(orc.deps, plan_id)
    failing = [c for c in by_check(result, "LAUNCH_SETTINGS") if c["status"] == "FAIL"]
    assert sorted(c["sourceServerId"] for c in failing) == sorted(ids)
    assert all("subnet" in c["message"] and "does not exist" in c["message"] for c in failing)
    assert result["verdict"] == "NOT_READY"


def test_a_wave_larger_than_drs_allows_fails_quota_headroom() -> None:
    orc = in_memory_orchestration(drs_max_servers_in_active_jobs=1)
    plan_id, _ = two_wave_plan(orc)
    result = ready.readiness(orc.deps, plan_id)
    assert [c["status"] for c in by_check(result, "QUOTA_HEADROOM")] == ["FAIL"]
    assert "split the wave" in by_check(result, "QUOTA_HEADROOM")[0]["message"]


def test_servers_held_by_a_running_execution_warn(orc: Orchestration) -> None:
    plan_id, ids = two_wave_plan(orc)
    execution_id = orc.start(plan_id)["executionId"]
    result = ready.readiness(orc.deps, plan_id)
    held = by_check(result, "SERVER_LOCKS")
    assert sorted(c["sourceServerId"] for c in held) == sorted(ids)
    assert all(c["status"] == "WARN" and execution_id in c["message"] for c in held)


def test_a_missed_rto_and_an_old_drill_warn(orc: Orchestration) -> None:
    plan_id, _ = two_wave_plan(orc, rtoTargetMinutes=1, maxDaysBetweenDrills=7)
    drill(orc, plan_id)
    orc.clock.advance(8 * 86400)
    result = ready.readiness(orc.deps, plan_id)
    assert by_check(result, "LAST_DRILL_RTO")[0]["status"] == "WARN"
    assert "missed the recovery time objective" in by_check(result, "LAST_DRILL_RTO")[0]["message"]
    age = by_check(result, "DRILL_AGE")[0]
    assert age["status"] == "WARN" and "8 days ago (at most 7)" in age["message"]


class RecordingAnnouncer:
    """Records each change sent per channel; fails the next ``fail[channel]`` sends (an outage)."""

    channels: tuple[str, ...] = ("SNS", "EVENTBRIDGE")

    def __init__(self) -> None:
        self.sent: list[tuple[str, ReadinessChange]] = []
        self.fail: dict[str, int] = {}

    def send(self, channel: str, change: ReadinessChange) -> None:
        if self.fail.get(channel):
            self.fail[channel] -= 1
            raise TransientError(f"{channel} is throttling")
        self.sent.append((channel, change))

    def on(self, channel: str) -> list[ReadinessChange]:
        return [c for ch, c in self.sent if ch == channel]

    @property
    def changes(self) -> list[ReadinessChange]:
        return self.on("SNS")


@pytest.fixture
def announced(orc: Orchestration) -> RecordingAnnouncer:
    announcer = RecordingAnnouncer()
    object.__setattr__(orc.deps, "announcer", announcer)
    return announcer


def test_the_scheduled_check_announces_each_change_once(
    orc: Orchestration, announced: RecordingAnnouncer
) -> None:
    plan_id, ids = two_wave_plan(orc)
    drill(orc, plan_id)
    # Given a first check (a baseline: nothing to announce) and a repeat (EventBridge redelivers)
    first = ready.check_all(orc.deps)
    ready.check_all(orc.deps)
    assert first["plans"] == [{"planId": plan_id, "verdict": "READY", "changed": False, "notified": False}]
    assert announced.changes == []
    # When a server's lag grows, then it stops replicating, each checked twice
    orc.sim.stage_replication(ids[0], lag_seconds=2 * 3600)
    ready.check_all(orc.deps)
    ready.check_all(orc.deps)
    orc.sim.stage_replication(ids[0], state="STOPPED")
    ready.check_all(orc.deps)
    ready.check_all(orc.deps)
    # Then each change was announced once, worse each time, with what did not pass
    assert [(c.previous, c.verdict, c.direction) for c in announced.changes] == [
        ("READY", "AT_RISK", "WORSE"),
        ("AT_RISK", "NOT_READY", "WORSE"),
    ]
    assert {p["check"] for p in announced.changes[1].problems} >= {"SERVERS_REPLICATE"}
    assert announced.on("EVENTBRIDGE") == announced.changes
    stored = orc.deps.stores.readiness.plan_verdict(plan_id)
    assert stored is not None and stored["verdict"] == "NOT_READY" and "notifyPending" not in stored


def test_an_announcement_that_failed_is_sent_by_the_next_check(
    orc: Orchestration, announced: RecordingAnnouncer
) -> None:
    plan_id, ids = two_wave_plan(orc)
    drill(orc, plan_id)
    ready.check_all(orc.deps)
    orc.sim.stage_replication(ids[1], state="STOPPED")
    # When SNS went out but EventBridge failed: the check raises (EventBridge retries the rule)
    announced.fail = {"EVENTBRIDGE": 1}
    with pytest.raises(TransientError):
        ready.check_all(orc.deps)
    assert len(announced.on("SNS")) == 1 and announced.on("EVENTBRIDGE") == []
    # Then the retry sends the event only, and nothing more after
    ready.check_all(orc.deps)
    ready.check_all(orc.deps)
    assert [(c.previous, c.verdict) for c in announced.on("SNS")] == [("READY", "NOT_READY")]
    assert [(c.previous, c.verdict) for c in announced.on("EVENTBRIDGE")] == [("READY", "NOT_READY")]


def test_two_checks_at_once_record_one_verdict(orc: Orchestration) -> None:
    plan_id, _ = two_wave_plan(orc)
    store = orc.deps.stores.readiness
    record = verdict_record(plan_id, "READY", "2026-01-01T00:00:00Z", None, "8 PASS")
    assert store.record_verdict(record, None) is True
    assert store.record_verdict(record, None) is False  # the second first-check loses
    stale = {**record, "verdict": "AT_RISK", "checkedAt": "2026-01-01T00:00:00Z"}
    later = verdict_record(plan_id, "NOT_READY", "2026-01-01T01:00:00Z", record, "1 FAIL")
    assert store.record_verdict(later, record) is True
    assert store.record_verdict(later, stale) is False


def test_a_deleted_protection_group_makes_the_plan_not_ready(orc: Orchestration) -> None:
    plan_id, _ = two_wave_plan(orc)
    plan = orc.deps.stores.plans.get(plan_id)
    gone = plan["waves"][1]["protectionGroupIds"][0]
    orc.deps.stores.groups.delete(orc.deps.stores.groups.get(gone))
    result = ready.readiness(orc.deps, plan_id)
    assert result["verdict"] == "NOT_READY"
    assert f"protection group {gone} of the plan does not exist" in [c["message"] for c in result["checks"]]


def test_the_scheduled_check_reads_each_server_once_across_plans(orc: Orchestration) -> None:
    # Given two plans sharing their servers
    ids = orc.servers(3, phaseDurations=QUICK)
    group = orc.add_group("shared", ids)
    orc.add_plan([("A", [group], False)])
    orc.add_plan([("B", [group], False)])
    orc.sim.reset_call_counts()
    # When the scheduled check runs
    checked = ready.check_all(orc.deps)
    # Then both plans were checked, each server's settings read once
    assert len(checked["plans"]) == 2 and checked["failed"] == []
    calls = orc.sim.call_counts()
    assert calls["GetLaunchConfiguration"] == 3 and calls["DescribeRecoverySnapshots"] == 3
    assert calls["DescribeSourceServers"] == 1


def test_of_two_checks_at_once_only_the_one_that_recorded_announces(
    orc: Orchestration, announced: RecordingAnnouncer, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id, ids = two_wave_plan(orc)
    drill(orc, plan_id)
    ready.check_all(orc.deps)
    orc.sim.stage_replication(ids[0], state="STOPPED")
    store = orc.deps.stores.readiness
    # Given a check that read the stored verdict, then lost the race to another check
    stale = store.plan_verdict(plan_id)
    assert ready.check_and_record(orc.deps, plan_id)["notified"] is True
    monkeypatch.setattr(store, "plan_verdict", lambda _plan_id: stale)
    late = ready.check_and_record(orc.deps, plan_id)
    # Then the late check records nothing and sends nothing: the change went out once
    assert late == {"planId": plan_id, "verdict": "NOT_READY", "changed": False, "notified": False}
    assert [(c.previous, c.verdict) for c in announced.changes] == [("READY", "NOT_READY")]
