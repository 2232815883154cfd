"""The DRS simulator over HTTP, driven only through plain boto3 clients (DRS on the simulator, EC2 on
moto), with the simulator's clock advanced by the tests instead of waiting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from drs_sandbox.drs import DrsLimits, DrsSimulator
from drs_sandbox.scenario import load_scenario, resolve_scenario

if TYPE_CHECKING:
    from drs_fixtures import DrsWire, FakeClock

# The fixtures (moto, the simulator's app, boto3 clients) live in drs_fixtures.py.
pytest_plugins = ["drs_fixtures"]

HOUR = 3600


def add_scenario(sim: DrsSimulator, name: str) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = load_scenario(resolve_scenario(name)).source_servers
    sim.add_source_servers(servers)
    return servers


def start(drs: Any, ids: list[str], **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = drs.start_recovery(
        sourceServers=[{"sourceServerID": i} for i in ids], isDrill=True, **extra
    )["job"]
    return job


def job_of(drs: Any, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
    return job


def error_of(call: Any) -> tuple[str, int, dict[str, Any]]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], dict(response)


def test_drill_of_six_servers_completes_with_instances_visible_in_ec2(
    drs_client: Any, drs_sim: DrsSimulator, drs_clock: FakeClock, drs_ec2_client: Any
) -> None:
    # Given the six servers of the three-tier scenario
    servers = add_scenario(drs_sim, "three-tier")
    ids = [s["sourceServerId"] for s in servers]
    # When a drill of all six starts and an hour passes
    job = start(drs_client, ids, tags={"DrillId": "drill-1"})
    assert job["status"] == "PENDING" and job["initiatedBy"] == "START_DRILL"
    drs_clock.advance(HOUR)
    final = job_of(drs_client, job["jobID"])
    # Then the job completed with every server launched into a recovery instance
    assert final["status"] == "COMPLETED"
    assert {p["launchStatus"] for p in final["participatingServers"]} == {"LAUNCHED"}
    instances = drs_client.describe_recovery_instances(filters={"sourceServerIDs": ids})["items"]
    assert sorted(i["sourceServerID"] for i in instances) == sorted(ids)
    assert all(i["isDrill"] and i["jobID"] == job["jobID"] for i in instances)
    # And EC2 shows the real instances, with their types and DRS's tags
    described = drs_ec2_client.describe_instances(InstanceIds=[i["ec2InstanceID"] for i in instances])
    ec2 = [i for r in described["Reservations"] for i in r["Instances"]]
    by_name = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in ec2}
    assert sorted(by_name) == sorted(s["hostname"] for s in servers)
    db01 = by_name["db01"]
    tags = {t["Key"]: t["Value"] for t in db01["Tags"]}
    assert db01["InstanceType"] == "r6i.xlarge" and db01["State"]["Name"] in ("pending", "running")
    assert tags["AWSElasticDisasterRecoveryManaged"] == "drs.amazonaws.com"
    assert tags["AWSElasticDisasterRecoverySourceServerID"] == servers[0]["sourceServerId"]
    assert (tags["Tier"], tags["DrillId"]) == ("db", "drill-1")


def test_failing_server_ends_failed_with_launch_failed_log_item(
    drs_client: Any, drs_sim: DrsSimulator, drs_clock: FakeClock
) -> None:
    # Given the application tier of the failing-server scenario (app01 fails to launch)
    add_scenario(drs_sim, "failing-server")
    app01, app02 = "s-00000000000000a01", "s-00000000000000a02"
    # When the wave's job runs to its end
    job = start(drs_client, [app01, app02])
    drs_clock.advance(HOUR)
    final = job_of(drs_client, job["jobID"])
    # Then app01 is FAILED, app02 LAUNCHED, and the log says why app01 failed
    assert final["status"] == "COMPLETED"
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in final["participatingServers"]}
    assert statuses == {app01: "FAILED", app02: "LAUNCHED"}
    log = drs_client.describe_job_log_items(jobID=job["jobID"])["items"]
    failed = [item for item in log if item["event"] == "LAUNCH_FAILED"]
    assert [item["eventData"]["sourceServerID"] for item in failed] == [app01]
    assert "InsufficientInstanceCapacity" in failed[0]["eventData"]["rawError"]
    assert (log[0]["event"], log[-1]["event"]) == ("JOB_START", "JOB_END")
    source = drs_client.describe_source_servers(filters={"sourceServerIDs": [app01]})["items"][0]
    assert source["lastLaunchResult"] == "FAILED"


def test_limits_answer_with_drs_error_codes(
    drs_client: Any, drs_sim: DrsSimulator, drs_wire: DrsWire
) -> None:
    # Given small limits: 2 servers per job, 2 concurrent jobs
    drs_sim.set_limits(DrsLimits(max_servers_per_job=2, max_concurrent_jobs=2))
    ids = [s["sourceServerID"] for s in drs_sim.add_source_servers([{"hostname": f"h{i}"} for i in range(5)])]
    # Then too many servers in one job is ServiceQuotaExceededException (HTTP 402)
    code, status, response = error_of(lambda: start(drs_client, ids[:3]))
    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert response["quotaCode"] == "MaxSourceServersPerJob"
    # And a server already in an active job is a ConflictException (409)
    start(drs_client, ids[:1])
    assert error_of(lambda: start(drs_client, ids[:2]))[:2] == ("ConflictException", 409)
    # And a third concurrent job is ServiceQuotaExceededException
    start(drs_client, ids[1:2])
    assert error_of(lambda: start(drs_client, ids[2:3]))[:2] == ("ServiceQuotaExceededException", 402)
    # And unknown ids are ConflictException (409: StartRecovery declares no ResourceNotFoundException),
    # malformed ones ValidationException (400)
    assert error_of(lambda: start(drs_client, ["s-0000000000000beef"]))[:2] == ("ConflictException", 409)
    drs_wire.send_invalid_request_next()
    code, status, response = error_of(
        lambda: drs_client.describe_jobs(filters={"fromDate": "2026-13-45T99:00:00Z"})
    )
    assert (code, status, response["reason"]) == ("ValidationException", 400, "fieldValidationFailed")
    assert response["fieldList"][0]["name"] == "DescribeJobs.filters.fromDate"
    # And deleting an active job is a ConflictException
    active = drs_client.describe_jobs()["items"][0]["jobID"]
    assert error_of(lambda: drs_client.delete_job(jobID=active))[:2] == ("ConflictException", 409)


def test_throttling_answers_429_with_retry_after(drs_client_no_retries: Any, drs_sim: DrsSimulator) -> None:
    # Given every call is throttled and botocore does not retry
    drs_sim.set_throttle_rate(1.0)
    # When DescribeJobs is called
    code, status, response = error_of(drs_client_no_retries.describe_jobs)
    # Then it is DRS's ThrottlingException: HTTP 429 with a Retry-After header, and it was counted
    assert (code, status) == ("ThrottlingException", 429)
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert response["retryAfterSeconds"] == "1"
    assert drs_sim.call_counts() == {"DescribeJobs": 1}


def test_termination_terminates_the_ec2_instances(
    drs_client: Any, drs_sim: DrsSimulator, drs_clock: FakeClock, drs_ec2_client: Any
) -> None:
    # Given two launched recovery instances
    ids = [s["sourceServerID"] for s in drs_sim.add_source_servers([{"hostname": "t1"}, {"hostname": "t2"}])]
    start(drs_client, ids)
    drs_clock.advance(HOUR)
    instances = [i["recoveryInstanceID"] for i in drs_client.describe_recovery_instances()["items"]]
    # When they are terminated and the TERMINATE job has had time to run
    job = drs_client.terminate_recovery_instances(recoveryInstanceIDs=instances)["job"]
    drs_clock.advance(HOUR)
    final = job_of(drs_client, job["jobID"])
    # Then the job completed, the EC2 instances are terminated, and DRS no longer lists them
    assert (final["type"], final["status"]) == ("TERMINATE", "COMPLETED")
    assert {p["launchStatus"] for p in final["participatingServers"]} == {"TERMINATED"}
    described = drs_ec2_client.describe_instances(InstanceIds=instances)["Reservations"]
    assert {i["State"]["Name"] for r in described for i in r["Instances"]} == {"terminated"}
    assert drs_client.describe_recovery_instances(filters={"recoveryInstanceIDs": instances})["items"] == []
    events = [item["event"] for item in drs_client.describe_job_log_items(jobID=job["jobID"])["items"]]
    assert events.count("CLEANUP_END") == 2


def test_paginators_walk_every_page(drs_client: Any, drs_sim: DrsSimulator, drs_clock: FakeClock) -> None:
    # Given 25 source servers and three completed jobs
    ids = [
        s["sourceServerID"] for s in drs_sim.add_source_servers([{"hostname": f"p{i}"} for i in range(25)])
    ]
    jobs = [start(drs_client, ids[i * 5 : (i + 1) * 5])["jobID"] for i in range(3)]
    drs_clock.advance(HOUR)

    def walk(operation: str, page_size: int, **kwargs: Any) -> list[list[dict[str, Any]]]:
        paginator = drs_client.get_paginator(operation)
        pages = paginator.paginate(PaginationConfig={"PageSize": page_size}, **kwargs)
        return [page["items"] for page in pages]

    # When boto3's paginators walk them with small pages
    server_pages = walk("describe_source_servers", 7)
    job_pages = walk("describe_jobs", 2)
    log_pages = walk("describe_job_log_items", 10, jobID=jobs[0])
    instance_pages = walk("describe_recovery_instances", 4, filters={"sourceServerIDs": ids})
    # Then every item comes exactly once, in DRS's order
    assert [len(p) for p in server_pages] == [7, 7, 7, 4]
    assert [s["sourceServerID"] for p in server_pages for s in p] == ids
    assert [j["jobID"] for p in job_pages for j in p] == list(reversed(jobs))
    assert sum(len(p) for p in log_pages) == len(drs_client.describe_job_log_items(jobID=jobs[0])["items"])
    assert len({i["recoveryInstanceID"] for p in instance_pages for i in p}) == 15


def test_every_request_and_response_matches_the_botocore_model(
    drs_client: Any, drs_sim: DrsSimulator, drs_clock: FakeClock, drs_wire: DrsWire
) -> None:
    # Given servers that launch, fail, and are skipped
    add_scenario(drs_sim, "failing-server")
    drs_sim.add_source_servers([{"hostname": "syncing", "replicationState": "INITIAL_SYNC"}])
    ids = [s["sourceServerID"] for s in drs_client.describe_source_servers()["items"]]
    # When every supported operation is called, including some that fail
    job = start(drs_client, ids, tags={"k": "v"})
    drs_clock.advance(30)
    drs_client.describe_jobs(filters={"jobIDs": [job["jobID"]]})
    drs_clock.advance(HOUR)
    drs_client.describe_jobs(filters={"fromDate": "2000-01-01T00:00:00Z", "toDate": "2999-01-01T00:00:00Z"})
    drs_client.describe_job_log_items(jobID=job["jobID"], maxResults=5)
    instances = drs_client.describe_recovery_instances()["items"]
    terminate = drs_client.terminate_recovery_instances(
        recoveryInstanceIDs=[instances[0]["recoveryInstanceID"]]
    )
    drs_clock.advance(HOUR)
    drs_client.describe_job_log_items(jobID=terminate["job"]["jobID"])
    drs_client.delete_job(jobID=job["jobID"])
    error_of(lambda: drs_client.delete_job(jobID=job["jobID"]))
    error_of(lambda: start(drs_client, ids[:1] * 2))
    drs_client.get_launch_configuration(sourceServerID=ids[0])
    error_of(lambda: drs_client.get_launch_configuration(sourceServerID="s-0000000000000dead"))
    drs_client.describe_recovery_snapshots(sourceServerID=ids[0], order="DESC", maxResults=1)
    drs_client.describe_recovery_snapshots(sourceServerID=ids[-1])  # still syncing: none yet
    error_of(drs_client.describe_launch_configuration_templates)
    # Then boto3 parsed every answer, and the recorded traffic matches the model (checked by
    # the drs_wire fixture); operations outside the simulator's scope say so
    operations = {exchange.operation for exchange in drs_wire.exchanges}
    assert operations >= {
        "DescribeSourceServers",
        "StartRecovery",
        "DescribeJobs",
        "DescribeJobLogItems",
        "DescribeRecoveryInstances",
        "TerminateRecoveryInstances",
        "DeleteJob",
        "GetLaunchConfiguration",
        "DescribeRecoverySnapshots",
    }
    unsupported = drs_wire.exchanges[-1]
    assert unsupported.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert drs_wire.problems() == []
