"""The logic behind the console's missing pages, on in-memory ports (no sockets): servers named by
hostname with their id; DRS's lag read in seconds; the drills listed as "instances still running"
(from the end of a drill that left instances to their termination); a group's servers, plans and
executions; a report link only once a report is stored; and the chart the report's JSON carries is
the one its page draws."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import (
    decide_wave_outcome,
    drill_left_instances,
    instances_still_running,
    name_with_id,
    running_since,
)
from orchestrator.exceptions import ConflictError
from orchestrator.operations import find, groups, instances, terminate
from orchestrator.operations import report as report_op
from orchestrator.reports.gantt import gantt_model
from orchestrator.reports.html import render_html

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def _one_wave_plan(orc: Orchestration, count: int = 2, **spec: Any) -> tuple[str, str, list[str]]:
    ids = orc.servers(count, phaseDurations=QUICK, **spec)
    group_id = orc.add_group("g", ids)
    return orc.add_plan([("W1", [group_id], False)]), group_id, ids


@pytest.mark.parametrize(
    ("hostname", "sid", "shown"),
    [
        ("db01", "s-5d3bf5b6e7dac85d1", "db01 (s-5d3bf5b6e7dac85d1)"),
        (None, "s-5d3bf5b6e7dac85d1", "s-5d3bf5b6e7dac85d1"),
        ("  ", "s-1", "s-1"),
        ("s-1", "s-1", "s-1"),
        ("web01", None, "web01 (unknown server)"),
    ],
)
def test_a_server_is_named_by_hostname_with_its_id_beside_it(hostname: Any, sid: Any, shown: str) -> None:
    assert name_with_id(hostname, sid) == shown


def test_a_wave_error_names_each_failed_critical_server_by_hostname_and_id() -> None:
    """Given a wave whose CRITICAL db01 failed and OPTIONAL web01 failed; then its error names db01
    only, by hostname with its id."""
    servers = [
        {"sourceServerId": "s-5d3bf5b6e7dac85d1", "hostname": "db01", "launchStatus": "FAILED"},
        {"sourceServerId": "s-2", "hostname": "web01", "launchStatus": "FAILED", "impactLevel": "OPTIONAL"},
    ]
    status, error = decide_wave_outcome(
        jobs_finished=True, servers=servers, readiness="EC2_RUNNING", elapsed_seconds=10, timeout_minutes=60
    )
    assert (str(status), error) == ("FAILED", "critical servers failed: db01 (s-5d3bf5b6e7dac85d1)")


def test_running_since_is_the_first_launch_of_an_instance_still_standing() -> None:
    servers = [
        {"ec2InstanceId": "i-1", "launchTime": "2026-01-01T10:05:00.000Z", "ec2State": "terminated"},
        {"ec2InstanceId": "i-2", "launchTime": "2026-01-01T10:07:00.000Z", "ec2State": "running"},
        {"ec2InstanceId": "i-3", "launchTime": "2026-01-01T10:06:00.000Z", "ec2State": "stopped"},
        {"launchTime": "2026-01-01T10:01:00.000Z"},
    ]
    assert running_since(servers) == "2026-01-01T10:06:00.000Z"
    assert running_since([]) is None


def test_only_an_ended_drill_that_left_instances_is_listed() -> None:
    waves = [{"status": "COMPLETED", "recoveryInstances": 2, "jobIds": ["j-1"], "jobsFinished": True}]
    drill = {"executionType": "DRILL", "status": "COMPLETED", "waves": waves}
    assert drill_left_instances(drill, waves) is True
    assert instances_still_running(drill) is True
    assert drill_left_instances({**drill, "executionType": "RECOVERY"}, waves) is False
    assert instances_still_running({**drill, "executionType": "RECOVERY"}) is False
    assert instances_still_running({**drill, "status": "IN_PROGRESS"}) is False
    assert instances_still_running({**drill, "instancesTerminated": True}) is False
    assert instances_still_running({**drill, "terminationStatus": "IN_PROGRESS"}) is False
    nothing = [{"status": "FAILED", "recoveryInstances": 0}]
    assert drill_left_instances(drill, nothing) is False


def test_a_drill_is_listed_with_its_running_instances_until_they_are_terminated(orc: Orchestration) -> None:
    """Given a drill that completed with two instances; then it is listed with both, since the first
    launch (EC2's launch time), for the whole seconds from it to now (10 minutes and a half later);
    once its termination ended it is not listed any more."""
    plan_id, _group, ids = _one_wave_plan(orc)
    execution_id = orc.run_to_end(orc.start(plan_id)["executionId"])["executionId"]
    assert orc.get(execution_id)["instancesPending"] == "PENDING"
    launches = sorted(s["launchTime"] for s in orc.deps.stores.servers.all(execution_id))
    first = datetime.fromisoformat(launches[0].replace("Z", "+00:00"))
    now = first.replace(microsecond=0) + timedelta(seconds=630, microseconds=500_000)
    listed = instances.still_running(orc.deps, now)["items"]
    assert [i["executionId"] for i in listed] == [execution_id]
    item = listed[0]
    assert item["runningSince"] == launches[0]
    assert item["instanceCount"] == 2 and sorted(s["sourceServerId"] for s in item["servers"]) == sorted(ids)
    assert item["runningSeconds"] == 630
    terminate.start_termination(orc.deps, execution_id, actor="ops")
    # While the termination runs, the drill cannot be terminated again: it is not offered
    assert instances.still_running(orc.deps, orc.deps.clock.now())["items"] == []
    for _ in range(20):
        orc.clock.advance(60)
        if execution_id in find.find(orc.deps)["terminationsFinished"]:
            break
    record = orc.get(execution_id)
    assert record["instancesTerminated"] is True and "instancesPending" not in record
    assert list(orc.deps.stores.executions.with_instances_left()) == []


def test_a_recovery_is_never_listed_among_running_instances(orc: Orchestration) -> None:
    plan_id, _group, _ids = _one_wave_plan(orc, 1)
    execution_id = orc.run_to_end(orc.start(plan_id, "RECOVERY")["executionId"])["executionId"]
    assert "instancesPending" not in orc.get(execution_id)
    assert instances.still_running(orc.deps, orc.deps.clock.now())["items"] == []


def test_a_group_lists_its_servers_plans_and_executions(orc: Orchestration) -> None:
    """Given a group in a plan drilled twice, and another plan not using it; then its servers show
    their replication state and lag, its plan and wave, and both drills, newest first."""
    plan_id, group_id, ids = _one_wave_plan(orc)
    orc.add_plan([("Other", [orc.add_group("x", orc.servers(1, phaseDurations=QUICK))], False)])
    first = orc.run_to_end(orc.start(plan_id)["executionId"])["executionId"]
    orc.clock.advance(60)
    second = orc.run_to_end(orc.start(plan_id)["executionId"])["executionId"]
    servers = groups.group_servers(orc.deps, group_id)["items"]
    assert sorted(s["sourceServerId"] for s in servers) == sorted(ids)
    assert all(s["found"] and s["replicationState"] == "CONTINUOUS" and s["lagSeconds"] == 0 for s in servers)
    usage = groups.group_usage(orc.deps, group_id, limit=10)
    assert [(p["planId"], p["waves"]) for p in usage["plans"]] == [
        (plan_id, [{"waveNumber": 1, "waveName": "W1"}])
    ]
    assert [e["executionId"] for e in usage["executions"]] == [second, first]
    assert [e["executionId"] for e in groups.group_usage(orc.deps, group_id, limit=1)["executions"]] == [
        second
    ]


def test_a_report_link_is_given_only_once_a_report_is_stored(orc: Orchestration) -> None:
    plan_id = orc.add_plan([("W1", [orc.add_group("g", orc.servers(1, phaseDurations=QUICK))], True)])
    execution_id = orc.start(plan_id)["executionId"]
    with pytest.raises(ConflictError) as refused:
        report_op.report_link(orc.deps, execution_id)
    assert refused.value.code == "REPORT_NOT_READY"
    orc.run_to_end(execution_id)
    report_op.store_report(orc.deps, orc.get(execution_id))
    link = report_op.report_link(orc.deps, execution_id)
    assert link["expiresInSeconds"] == 300
    assert link["url"].startswith("memory://reports/") and link["url"].endswith("report.html?expires=300")


def test_the_chart_in_the_json_report_is_the_one_the_page_draws(orc: Orchestration) -> None:
    """Given a drill with a pause; then the JSON report's gantt is gantt_model of the report, and
    every wave bar, server phase and pause of the page carries the gantt's moments, in order."""
    plan_id = orc.add_plan(
        [
            ("W1", [orc.add_group("a", orc.servers(2, phaseDurations=QUICK))], False),
            ("W2", [orc.add_group("b", orc.servers(1, phaseDurations=QUICK))], True),
        ]
    )
    execution_id = orc.run_to_end(orc.start(plan_id)["executionId"])["executionId"]
    built = report_op.report(orc.deps, execution_id)
    gantt = built["gantt"]
    assert gantt == gantt_model({k: v for k, v in built.items() if k != "gantt"})
    page = render_html(built)
    bars = re.findall(r'class="wave-bar"[^>]*data-start="([^"]*)" data-end="([^"]*)"', page)
    assert bars == [(w["start"], w["end"]) for w in gantt["waves"]]
    phases = re.findall(r'class="(?:phase|mark) [^"]*"[^>]*data-start="([^"]*)" data-end="([^"]*)"', page)
    assert phases == [
        (p["start"], p["end"] or "") for w in gantt["waves"] for s in w["servers"] for p in s["phases"]
    ]
    pauses = re.findall(r'<g class="pause"[^>]*data-start="([^"]*)" data-end="([^"]*)"', page)
    assert pauses == [(p["start"], p["end"] or "") for p in gantt["pauses"]] and len(pauses) == 1
    assert [w["label"] for w in gantt["waves"]] == ["Wave 1 \u00b7 W1", "Wave 2 \u00b7 W2"]


def _hostname_of(orc: Orchestration, sid: str) -> str:
    (server,) = [s for s in orc.deps.drs.all_source_servers() if s["sourceServerID"] == sid]
    return str(server["sourceProperties"]["identificationHints"]["hostname"])


def test_a_start_refused_for_a_server_in_a_drs_job_names_it_by_hostname_and_id(orc: Orchestration) -> None:
    """Given a drill whose instances are being terminated; when its plan starts again at once; then
    the 409 names the busy server as hostname (id), and its id stays in details."""
    plan_id, _group, ids = _one_wave_plan(orc, 1)
    first = orc.run_to_end(orc.start(plan_id)["executionId"])
    terminate.start_termination(orc.deps, first["executionId"], actor="ops")
    with pytest.raises(ConflictError) as refused:
        orc.start(plan_id)
    assert (
        f"source server {_hostname_of(orc, ids[0])} ({ids[0]}) is in active DRS job" in refused.value.message
    )
    assert refused.value.details["sourceServerId"] == ids[0]


def test_a_wave_queued_behind_a_drs_job_names_the_server_by_hostname_and_id(orc: Orchestration) -> None:
    """Given a drill started before the previous drill's termination job appeared; when its wave
    starts; then it waits QUEUED_FOR_CAPACITY with a reason naming the server as hostname (id)."""
    from orchestrator.operations import waves

    plan_id, _group, ids = _one_wave_plan(orc, 1)
    earlier = orc.run_to_end(orc.start(plan_id)["executionId"])
    execution_id = orc.start(plan_id)["executionId"]
    terminate.start_termination(orc.deps, earlier["executionId"], actor="ops")
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0}))
    waves.start_wave(orc.deps, state)
    reason = str(orc.get(execution_id)["waves"][0].get("queuedReason"))
    assert reason.startswith(f"source server {_hostname_of(orc, ids[0])} ({ids[0]}) is in active DRS job")
