"""The DRS simulator's model, driven in-process with a fake clock and a fake EC2 client (no sockets)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from drs_fakes import (
    LAUNCH_DONE,
    PHASES,
    FakeClock,
    FakeEc2,
    add_servers,
    api_error,
    events,
    job_of,
    start,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_sandbox.drs import DrsApiError, DrsLimits, DrsSimulator
from drs_sandbox.drs.jobs import PENDING_SECONDS, TERMINATE_SECONDS


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ec2() -> FakeEc2:
    return FakeEc2()


@pytest.fixture
def sim(clock: FakeClock, ec2: FakeEc2) -> DrsSimulator:
    return DrsSimulator(ec2, clock=clock, rng=random.Random(7))


# ---------------------------------------------------------------------- launch jobs


def test_drill_job_goes_pending_then_started_then_completed(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given two replicating source servers
    ids = add_servers(sim, 2)
    # When a drill starts and time passes
    job = start(sim, ids)
    statuses = [job["status"]]
    for seconds in (PENDING_SECONDS, 100, LAUNCH_DONE):
        clock.advance(seconds)
        statuses.append(job_of(sim, job["jobID"])["status"])
    # Then the job is PENDING, then STARTED, then COMPLETED with an end time
    assert statuses == ["PENDING", "STARTED", "STARTED", "COMPLETED"]
    assert job["type"] == "LAUNCH" and job["initiatedBy"] == "START_DRILL"
    assert "endDateTime" in job_of(sim, job["jobID"])


def test_participating_servers_go_pending_in_progress_launched(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given a drill of one server
    ids = add_servers(sim, 1)
    job = start(sim, ids)
    seen = [job["participatingServers"][0]["launchStatus"]]
    # When the clock passes the start of the job and the end of its launch
    for seconds in (PENDING_SECONDS, LAUNCH_DONE - PENDING_SECONDS):
        clock.advance(seconds)
        seen.append(job_of(sim, job["jobID"])["participatingServers"][0]["launchStatus"])
    # Then its launchStatus goes PENDING -> IN_PROGRESS -> LAUNCHED with a recovery instance id
    assert seen == ["PENDING", "IN_PROGRESS", "LAUNCHED"]
    assert job_of(sim, job["jobID"])["participatingServers"][0]["recoveryInstanceID"].startswith("i-")


def test_launched_server_gets_an_ec2_instance_with_drs_tags(
    sim: DrsSimulator, clock: FakeClock, ec2: FakeEc2
) -> None:
    # Given a tagged server with an instance type
    (server_id,) = add_servers(sim, 1, tags={"Tier": "db"}, instanceType="r6i.large")
    # When its drill (with job tags) completes
    start(sim, [server_id], tags={"ExecutionId": "exec-1"})
    clock.advance(LAUNCH_DONE)
    sim.advance()
    # Then exactly one EC2 instance was run from a discovered image, with DRS's tags
    assert len(ec2.runs) == 1 and ec2.describe_images_calls == 1
    run = ec2.runs[0]
    assert run["InstanceType"] == "r6i.large" and run["ImageId"] == "ami-0123456789abcdef0"
    assert ec2.tags_of(run) == {
        "Tier": "db",
        "Name": "host000",
        "ExecutionId": "exec-1",
        "AWSElasticDisasterRecoveryManaged": "drs.amazonaws.com",
        "AWSElasticDisasterRecoverySourceServerID": server_id,
    }


def test_recovery_instance_reports_job_drill_flag_and_boot_state(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given a launched drill instance that has not finished booting
    (server_id,) = add_servers(sim, 1)
    job = start(sim, [server_id])
    clock.advance(LAUNCH_DONE)
    booting = sim.dispatch("DescribeRecoveryInstances", {})["items"][0]
    # When its boot time passes
    clock.advance(PHASES["boot"])
    running = sim.dispatch("DescribeRecoveryInstances", {})["items"][0]
    # Then it is PENDING then RUNNING, and carries the job, the source server and isDrill
    assert (booting["ec2InstanceState"], running["ec2InstanceState"]) == ("PENDING", "RUNNING")
    assert running["jobID"] == job["jobID"] and running["sourceServerID"] == server_id
    assert running["isDrill"] is True
    assert running["recoveryInstanceID"] == running["ec2InstanceID"]
    assert running["recoveryInstanceProperties"]["identificationHints"]["hostname"] == "host000"


def test_failing_server_ends_failed_with_launch_failed_log_item(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given a server that fails in the LAUNCH phase, next to one that launches
    (bad,) = add_servers(sim, 1, launchOutcome="FAILED", failPhase="LAUNCH", failureMessage="boom")
    (good,) = add_servers(sim, 1, hostname="ok")
    job = start(sim, [bad, good])
    # When the job runs to its end
    clock.advance(3600)
    final = job_of(sim, job["jobID"])
    # Then the job completes, the server is FAILED, and the log holds LAUNCH_FAILED with the error
    assert final["status"] == "COMPLETED"
    assert {p["sourceServerID"]: p["launchStatus"] for p in final["participatingServers"]}[bad] == "FAILED"
    failed = [e for e in events(sim, job["jobID"]) if e["event"] == "LAUNCH_FAILED"]
    assert [e["eventData"] for e in failed] == [{"sourceServerID": bad, "rawError": "boom"}]
    server = sim.dispatch("DescribeSourceServers", {"filters": {"sourceServerIDs": [bad]}})["items"][0]
    assert server["lastLaunchResult"] == "FAILED"


@pytest.mark.parametrize(
    ("phase", "events_seen"),
    [
        ("SNAPSHOT", ("SNAPSHOT_FAIL", "CONVERSION_START")),
        ("CONVERSION", ("CONVERSION_FAIL", "LAUNCH_START")),
    ],
)
def test_server_failing_in_an_earlier_phase_logs_that_phase_failure(
    sim: DrsSimulator, clock: FakeClock, ec2: FakeEc2, phase: str, events_seen: tuple[str, str]
) -> None:
    # Given a server that fails in the snapshot or the conversion phase
    fail_event, never = events_seen
    (server_id,) = add_servers(sim, 1, launchOutcome="FAILED", failPhase=phase)
    job = start(sim, [server_id])
    # When the job ends
    clock.advance(3600)
    names = [e["event"] for e in events(sim, job["jobID"])]
    # Then the phase's failure is logged, later phases never start and no instance is run
    assert fail_event in names and never not in names
    assert job_of(sim, job["jobID"])["participatingServers"][0]["launchStatus"] == "FAILED"
    assert ec2.runs == []


def test_job_log_holds_drs_events_in_order(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given a completed drill of one server
    (server_id,) = add_servers(sim, 1)
    job = start(sim, [server_id])
    clock.advance(3600)
    log = events(sim, job["jobID"])
    # Then the log is DRS's sequence of events with times and event data
    assert [e["event"] for e in log] == [
        "JOB_START",
        "SNAPSHOT_START",
        "SNAPSHOT_END",
        "CONVERSION_START",
        "CONVERSION_END",
        "LAUNCH_START",
        "JOB_END",
    ]
    conversion = next(e for e in log if e["event"] == "CONVERSION_START")
    assert conversion["eventData"]["sourceServerID"] == server_id
    assert conversion["eventData"]["conversionServerID"].startswith("i-")
    assert [e["logDateTime"] for e in log] == sorted(e["logDateTime"] for e in log)


def test_time_scale_shrinks_real_durations_but_not_wall_clock_timestamps(
    clock: FakeClock, ec2: FakeEc2
) -> None:
    # Given a simulator at 60 simulated seconds per real second
    sim = DrsSimulator(ec2, clock=clock, time_scale=60, rng=random.Random(1))
    (server_id,) = add_servers(sim, 1)
    job = start(sim, [server_id])
    # When a little more than LAUNCH_DONE / 60 real seconds pass
    clock.advance(LAUNCH_DONE / 60 + 0.01)
    final = job_of(sim, job["jobID"])
    # Then the job is done, and its timestamps are the clock's times
    assert final["status"] == "COMPLETED"
    assert final["creationDateTime"] == "2026-01-01T00:00:00.000000Z"
    assert final["endDateTime"] == "2026-01-01T00:00:06.666667Z"


def test_jitter_spreads_durations_deterministically() -> None:
    # Given two simulators with the same seed and servers with 25 % jitter
    def launch_times() -> list[str]:
        own_clock = FakeClock()
        sim = DrsSimulator(FakeEc2(), clock=own_clock, rng=random.Random(3))
        ids = add_servers(sim, 5, durationJitter=0.25)
        job = start(sim, ids)
        own_clock.advance(3600)
        return [e["logDateTime"] for e in events(sim, job["jobID"]) if e["event"] == "LAUNCH_START"]

    # Then launches are spread, and the same on both runs
    first, second = launch_times(), launch_times()
    assert first == second and len(set(first)) == 5


def test_server_without_a_snapshot_is_skipped(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given a server still in initial sync
    (server_id,) = add_servers(sim, 1, replicationState="INITIAL_SYNC")
    job = start(sim, [server_id])
    clock.advance(3600)
    # Then the job skips it and it ends FAILED
    assert "SERVER_SKIPPED" in [e["event"] for e in events(sim, job["jobID"])]
    assert job_of(sim, job["jobID"])["participatingServers"][0]["launchStatus"] == "FAILED"


def test_ec2_launch_error_fails_the_server(sim: DrsSimulator, clock: FakeClock, ec2: FakeEc2) -> None:
    # Given EC2 refuses to run instances
    ec2.fail_runs = True
    (server_id,) = add_servers(sim, 1)
    job = start(sim, [server_id])
    clock.advance(3600)
    # Then the server fails with the EC2 error in its LAUNCH_FAILED event
    failed = [e for e in events(sim, job["jobID"]) if e["event"] == "LAUNCH_FAILED"]
    assert "InsufficientInstanceCapacity" in failed[0]["eventData"]["rawError"]
    assert job_of(sim, job["jobID"])["participatingServers"][0]["launchStatus"] == "FAILED"


def test_previous_snapshot_is_used_when_a_recovery_snapshot_is_given(
    sim: DrsSimulator, clock: FakeClock
) -> None:
    (server_id,) = add_servers(sim, 1)
    body = {"sourceServers": [{"sourceServerID": server_id, "recoverySnapshotID": "pit-0123456789abcdef0"}]}
    job = sim.dispatch("StartRecovery", body)["job"]
    clock.advance(3600)
    names = [e["event"] for e in events(sim, job["jobID"])]
    assert "USING_PREVIOUS_SNAPSHOT" in names and "SNAPSHOT_START" not in names
    assert job["initiatedBy"] == "START_RECOVERY"


def test_relaunch_replaces_the_previous_recovery_instance(
    sim: DrsSimulator, clock: FakeClock, ec2: FakeEc2
) -> None:
    # Given a server with a recovery instance from an earlier drill
    (server_id,) = add_servers(sim, 1)
    start(sim, [server_id])
    clock.advance(3600)
    first = sim.dispatch("DescribeRecoveryInstances", {})["items"][0]["recoveryInstanceID"]
    # When it is launched again
    start(sim, [server_id])
    clock.advance(3600)
    # Then the old instance is terminated and only the new one is listed
    items = sim.dispatch("DescribeRecoveryInstances", {})["items"]
    assert [i["recoveryInstanceID"] for i in items] != [first] and len(items) == 1
    assert ec2.terminated == [first]


def test_source_server_reports_its_last_launch(sim: DrsSimulator, clock: FakeClock) -> None:
    (server_id,) = add_servers(sim, 1)
    before = sim.dispatch("DescribeSourceServers", {})["items"][0]
    job = start(sim, [server_id], drill=False)
    during = sim.dispatch("DescribeSourceServers", {})["items"][0]
    clock.advance(3600)
    after = sim.dispatch("DescribeSourceServers", {})["items"][0]
    assert (before["lastLaunchResult"], during["lastLaunchResult"], after["lastLaunchResult"]) == (
        "NOT_STARTED",
        "PENDING",
        "SUCCEEDED",
    )
    assert after["lifeCycle"]["lastLaunch"]["initiated"] == {
        "apiCallDateTime": "2026-01-01T00:00:00.000000Z",
        "jobID": job["jobID"],
        "type": "RECOVERY",
    }
    assert after["lifeCycle"]["lastLaunch"]["status"] == "LAUNCHED"
    assert after["recoveryInstanceId"].startswith("i-")


# ---------------------------------------------------------------------- limits and errors


def test_unknown_source_server_is_a_conflict_as_start_recovery_declares(sim: DrsSimulator) -> None:
    error = api_error(lambda: start(sim, ["s-0000000000000dead"]))
    assert (error.code, error.http_status) == ("ConflictException", 409)
    assert error.extra["resourceId"] == "s-0000000000000dead"


def test_server_in_an_active_job_is_a_conflict(sim: DrsSimulator) -> None:
    # Given a server in a running job
    ids = add_servers(sim, 2)
    start(sim, ids[:1])
    # When another job asks for it
    error = api_error(lambda: start(sim, ids))
    # Then DRS answers ConflictException (409)
    assert (error.code, error.http_status) == ("ConflictException", 409)


def test_completed_job_frees_its_servers(sim: DrsSimulator, clock: FakeClock) -> None:
    ids = add_servers(sim, 1)
    start(sim, ids)
    clock.advance(3600)
    assert start(sim, ids)["status"] == "PENDING"


def test_more_servers_than_one_job_holds_is_service_quota_exceeded(clock: FakeClock, ec2: FakeEc2) -> None:
    # Given jobs limited to 3 servers
    sim = DrsSimulator(ec2, clock=clock, limits=DrsLimits(max_servers_per_job=3))
    ids = add_servers(sim, 4)
    # When a StartRecovery asks for 4
    error = api_error(lambda: start(sim, ids))
    # Then it is refused with DRS's 402 quota error, not split
    assert (error.code, error.http_status) == ("ServiceQuotaExceededException", 402)
    assert error.extra["quotaCode"] == "MaxSourceServersPerJob"


def test_concurrent_jobs_limit_is_service_quota_exceeded(clock: FakeClock, ec2: FakeEc2) -> None:
    sim = DrsSimulator(ec2, clock=clock, limits=DrsLimits(max_concurrent_jobs=2))
    ids = add_servers(sim, 3)
    start(sim, ids[:1])
    start(sim, ids[1:2])
    error = api_error(lambda: start(sim, ids[2:]))
    assert error.code == "ServiceQuotaExceededException"
    assert error.extra["quotaCode"] == "MaxConcurrentJobs"


def test_servers_in_active_jobs_limit_is_service_quota_exceeded(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given the default limits and 500 servers in five running jobs
    ids = add_servers(sim, 501)
    for chunk in range(5):
        start(sim, ids[chunk * 100 : (chunk + 1) * 100])
    # When one more server is asked for, then quota exceeded; once they complete, it is accepted
    error = api_error(lambda: start(sim, ids[500:]))
    assert error.extra["quotaCode"] == "MaxSourceServersInActiveJobs"
    clock.advance(3600)
    assert start(sim, ids[500:])["status"] == "PENDING"


def test_start_recovery_size_outside_the_limit_is_refused_with_a_declared_error(
    clock: FakeClock, ec2: FakeEc2
) -> None:
    # (StartRecovery declares no ValidationException: botocore checks the list's size itself)
    sim = DrsSimulator(ec2, clock=clock, limits=DrsLimits(max_servers_per_start_recovery=2))
    ids = add_servers(sim, 3)
    too_many = api_error(lambda: start(sim, ids))
    empty = api_error(lambda: sim.dispatch("StartRecovery", {"sourceServers": []}))
    assert (too_many.code, too_many.http_status) == ("ConflictException", 409)
    assert "between 1 and 2" in too_many.message
    assert empty.code == "ConflictException"


def test_duplicate_server_in_one_request_is_a_conflict(sim: DrsSimulator) -> None:
    ids = add_servers(sim, 1)
    assert api_error(lambda: start(sim, ids * 2)).code == "ConflictException"


def test_malformed_ids_are_validation_errors_with_a_field_list(sim: DrsSimulator) -> None:
    error = api_error(lambda: sim.dispatch("DescribeJobLogItems", {"jobID": "job-1"}))
    assert error.code == "ValidationException" and error.extra["reason"] == "fieldValidationFailed"
    assert error.extra["fieldList"][0]["name"] == "DescribeJobLogItems.jobID"


def test_unknown_job_is_an_error_each_operation_declares(sim: DrsSimulator) -> None:
    missing = "drsjob-00000000000000000"
    error = api_error(lambda: sim.dispatch("DescribeJobLogItems", {"jobID": missing}))
    assert (error.code, error.http_status) == ("ValidationException", 400)
    assert (
        api_error(lambda: sim.dispatch("DeleteJob", {"jobID": missing})).code == "ResourceNotFoundException"
    )


def test_describe_jobs_with_unknown_ids_returns_fewer_items(sim: DrsSimulator) -> None:
    ids = add_servers(sim, 1)
    job = start(sim, ids)
    body = {"filters": {"jobIDs": [job["jobID"], "drsjob-00000000000000000"]}}
    assert [j["jobID"] for j in sim.dispatch("DescribeJobs", body)["items"]] == [job["jobID"]]


def test_describe_jobs_is_latest_first_and_filters_by_date(sim: DrsSimulator, clock: FakeClock) -> None:
    ids = add_servers(sim, 2)
    first = start(sim, ids[:1])
    clock.advance(60)
    second = start(sim, ids[1:])
    listed = [j["jobID"] for j in sim.dispatch("DescribeJobs", {})["items"]]
    recent = sim.dispatch("DescribeJobs", {"filters": {"fromDate": "2026-01-01T00:00:30Z"}})["items"]
    assert listed == [second["jobID"], first["jobID"]]
    assert [j["jobID"] for j in recent] == [second["jobID"]]


def test_deleting_an_active_job_is_a_conflict_and_a_completed_one_goes(
    sim: DrsSimulator, clock: FakeClock
) -> None:
    ids = add_servers(sim, 1)
    job = start(sim, ids)
    assert api_error(lambda: sim.dispatch("DeleteJob", {"jobID": job["jobID"]})).code == "ConflictException"
    clock.advance(3600)
    assert sim.dispatch("DeleteJob", {"jobID": job["jobID"]}) == {}
    assert sim.dispatch("DescribeJobs", {})["items"] == []


def test_uninitialized_account_answers_uninitialized_account_exception(sim: DrsSimulator) -> None:
    sim.set_initialized(False)
    assert api_error(lambda: sim.dispatch("DescribeJobs", {})).code == "UninitializedAccountException"


# ---------------------------------------------------------------------- termination


def test_terminate_runs_a_terminate_job_that_terminates_ec2_and_removes_instances(
    sim: DrsSimulator, clock: FakeClock, ec2: FakeEc2
) -> None:
    # Given two launched recovery instances
    ids = add_servers(sim, 2)
    start(sim, ids)
    clock.advance(3600)
    instances = [i["recoveryInstanceID"] for i in sim.dispatch("DescribeRecoveryInstances", {})["items"]]
    # When they are terminated
    job = sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": instances})["job"]
    clock.advance(PENDING_SECONDS)
    shutting = {i["ec2InstanceState"] for i in sim.dispatch("DescribeRecoveryInstances", {})["items"]}
    clock.advance(TERMINATE_SECONDS)
    final = job_of(sim, job["jobID"])
    # Then a TERMINATE job ends with TERMINATED servers, EC2 terminated them, DRS forgot them
    assert (job["type"], job["initiatedBy"]) == ("TERMINATE", "TERMINATE_RECOVERY_INSTANCES")
    assert shutting == {"SHUTTING-DOWN"}
    assert final["status"] == "COMPLETED"
    assert {p["launchStatus"] for p in final["participatingServers"]} == {"TERMINATED"}
    assert sorted(ec2.terminated) == sorted(instances)
    assert sim.dispatch("DescribeRecoveryInstances", {})["items"] == []
    assert [e["event"] for e in events(sim, job["jobID"])] == [
        "JOB_START",
        "CLEANUP_START",
        "CLEANUP_START",
        "CLEANUP_END",
        "CLEANUP_END",
        "JOB_END",
    ]
    server = sim.dispatch("DescribeSourceServers", {})["items"][0]
    assert server["lifeCycle"]["lastLaunch"]["status"] == "TERMINATED" and "recoveryInstanceId" not in server


def test_terminate_unknown_instance_is_a_conflict(sim: DrsSimulator) -> None:
    error = api_error(
        lambda: sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": ["i-0123456789"]})
    )
    assert (error.code, error.extra["resourceType"]) == ("ConflictException", "RECOVERY_INSTANCE")


def test_terminating_twice_while_the_first_job_runs_is_a_conflict(
    sim: DrsSimulator, clock: FakeClock
) -> None:
    ids = add_servers(sim, 1)
    start(sim, ids)
    clock.advance(3600)
    instance = sim.dispatch("DescribeRecoveryInstances", {})["items"][0]["recoveryInstanceID"]
    sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": [instance]})
    error = api_error(lambda: sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": [instance]}))
    assert error.code == "ConflictException"


def test_describe_recovery_instances_filters_by_source_server(sim: DrsSimulator, clock: FakeClock) -> None:
    ids = add_servers(sim, 3)
    start(sim, ids)
    clock.advance(3600)
    body = {"filters": {"sourceServerIDs": [ids[2], "s-0000000000000dead"]}}
    assert [i["sourceServerID"] for i in sim.dispatch("DescribeRecoveryInstances", body)["items"]] == [ids[2]]


# ---------------------------------------------------------------------- pagination, throttling, counts


@settings(max_examples=25, deadline=None)
@given(total=st.integers(min_value=0, max_value=30), page_size=st.integers(min_value=1, max_value=12))
def test_pagination_returns_every_source_server_once(total: int, page_size: int) -> None:
    # Given any number of servers, when paging with any maxResults, then each appears exactly once
    sim = DrsSimulator(FakeEc2(), clock=FakeClock(), rng=random.Random(total))
    ids = add_servers(sim, total)
    seen: list[str] = []
    body: dict[str, Any] = {"maxResults": page_size}
    while True:
        page = sim.dispatch("DescribeSourceServers", body)
        assert len(page["items"]) <= page_size
        seen += [s["sourceServerID"] for s in page["items"]]
        if "nextToken" not in page:
            break
        body = {"maxResults": page_size, "nextToken": page["nextToken"]}
    assert seen == ids


def test_job_log_pagination_and_bad_tokens(sim: DrsSimulator, clock: FakeClock) -> None:
    ids = add_servers(sim, 3)
    job = start(sim, ids)
    clock.advance(3600)
    first = sim.dispatch("DescribeJobLogItems", {"jobID": job["jobID"], "maxResults": 4})
    rest = sim.dispatch("DescribeJobLogItems", {"jobID": job["jobID"], "nextToken": first["nextToken"]})
    assert first["items"] + rest["items"] == events(sim, job["jobID"]) and "nextToken" not in rest
    bad = api_error(lambda: sim.dispatch("DescribeJobs", {"nextToken": "not-a-token"}))
    assert bad.code == "ValidationException"


def test_throttling_answers_429_with_retry_after_and_counts_the_call(sim: DrsSimulator) -> None:
    # Given every call is throttled
    sim.set_throttle_rate(1.0)
    # When a call is made
    error = api_error(lambda: sim.dispatch("DescribeJobs", {}))
    # Then it is a ThrottlingException with Retry-After, counted under its operation
    assert (error.code, error.http_status, error.retry_after) == ("ThrottlingException", 429, 1)
    assert sim.call_counts() == {"DescribeJobs": 1}


def test_partial_throttle_rate_throttles_about_that_share(sim: DrsSimulator) -> None:
    sim.set_throttle_rate(0.3)
    throttled = 0
    for _ in range(1000):
        try:
            sim.dispatch("DescribeJobs", {})
        except DrsApiError:
            throttled += 1
    assert 200 < throttled < 400
    assert sim.call_counts() == {"DescribeJobs": 1000}


def test_call_counts_are_per_operation_and_reset(sim: DrsSimulator) -> None:
    sim.dispatch("DescribeJobs", {})
    sim.dispatch("DescribeJobs", {})
    sim.dispatch("DescribeSourceServers", {})
    assert sim.call_counts() == {"DescribeJobs": 2, "DescribeSourceServers": 1}
    sim.reset_call_counts()
    assert sim.call_counts() == {}


def test_bad_control_values_are_refused(sim: DrsSimulator) -> None:
    with pytest.raises(ValueError, match="throttle rate"):
        sim.set_throttle_rate(1.5)
    with pytest.raises(ValueError, match="max_servers_per_job"):
        DrsLimits(max_servers_per_job=0)
    with pytest.raises(ValueError, match="time_scale"):
        DrsSimulator(FakeEc2(), time_scale=0)
