"""The DRS simulator's wire side without sockets: source server specs, responses against botocore's
output shapes, the WSGI app through werkzeug's test client, and the cost of 1,000 servers."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from drs_fakes import FakeClock, FakeEc2, add_servers, start
from werkzeug.test import Client

from drs_sandbox.drs import DrsLimits, DrsSimulator, create_drs_app
from drs_sandbox.drs.wire import check_response


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ec2() -> FakeEc2:
    return FakeEc2()


@pytest.fixture
def sim(clock: FakeClock, ec2: FakeEc2) -> DrsSimulator:
    return DrsSimulator(ec2, clock=clock, rng=random.Random(7))


# ---------------------------------------------------------------------- source server specs


def test_added_servers_get_valid_generated_ids(sim: DrsSimulator) -> None:
    added = sim.add_source_servers([{"hostname": "a"}, {"hostname": "b"}])
    assert all(len(s["sourceServerID"]) == 19 and s["sourceServerID"].startswith("s-") for s in added)
    assert check_response("DescribeSourceServers", {"items": added}) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"hostname": "a", "sourceServerId": "s-1"}, "sourceServerId"),
        ({"hostname": "a", "launchOutcome": "MAYBE"}, "launchOutcome"),
        ({"hostname": "a", "failPhase": "LAUNCH"}, "failPhase: only applies"),
        ({"hostname": "a", "phaseDurations": {"boot": -1}}, "phaseDurations.boot"),
        ({"hostname": "a", "phaseDurations": {"reboot": 1}}, "phaseDurations.reboot"),
        ({"hostname": "a", "replicationState": "HAPPY"}, "replicationState"),
        ({"hostname": "a", "tags": {"aws:x": "y"}}, "tags.aws:x"),
        ({"hostname": "a", "colour": "red"}, "colour: unknown field"),
        ({"tags": {}}, "hostname: is required"),
    ],
)
def test_bad_specs_are_refused_naming_the_field(
    sim: DrsSimulator, spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"source server 0: {message}"):
        sim.add_source_servers([spec])
    assert sim.dispatch("DescribeSourceServers", {})["items"] == []


def test_duplicate_source_server_ids_are_refused(sim: DrsSimulator) -> None:
    sim.add_source_servers([{"sourceServerId": "s-0123456789abcdef0"}])
    with pytest.raises(ValueError, match="already exists"):
        sim.add_source_servers([{"sourceServerId": "s-0123456789abcdef0"}])


def test_source_servers_filter_by_hardware_and_staging_account(sim: DrsSimulator) -> None:
    added = sim.add_source_servers([{"hostname": "a"}, {"hostname": "b", "stagingAccountId": "111122223333"}])
    mac = added[0]["sourceProperties"]["networkInterfaces"][0]["macAddress"]
    by_mac = sim.dispatch("DescribeSourceServers", {"filters": {"hardwareId": mac}})["items"]
    staged = sim.dispatch("DescribeSourceServers", {"filters": {"stagingAccountIDs": ["111122223333"]}})
    assert [s["sourceServerID"] for s in by_mac] == [added[0]["sourceServerID"]]
    assert [s["sourceServerID"] for s in staged["items"]] == [added[1]["sourceServerID"]]


# ---------------------------------------------------------------------- wire shapes


def test_every_response_matches_botocore_output_shapes(sim: DrsSimulator, clock: FakeClock) -> None:
    # Given servers in every state: launched, failed, skipped, terminated
    ids = add_servers(sim, 2)
    ids += add_servers(sim, 1, hostname="x", launchOutcome="FAILED", failPhase="CONVERSION")
    ids += [sim.add_source_servers([{"hostname": "y", "replicationState": "STALLED"}])[0]["sourceServerID"]]
    ids += [
        sim.add_source_servers([{"hostname": "z", "replicationState": "INITIAL_SYNC"}])[0]["sourceServerID"]
    ]
    launch = start(sim, ids, tags={"k": "v"})
    responses: list[tuple[str, dict[str, Any]]] = [("StartRecovery", {"job": launch})]
    clock.advance(200)
    responses.append(("DescribeJobs", sim.dispatch("DescribeJobs", {})))
    clock.advance(3600)
    instances = sim.dispatch("DescribeRecoveryInstances", {"maxResults": 1})
    responses.append(("DescribeRecoveryInstances", instances))
    terminate = sim.dispatch(
        "TerminateRecoveryInstances", {"recoveryInstanceIDs": [instances["items"][0]["recoveryInstanceID"]]}
    )
    responses.append(("TerminateRecoveryInstances", terminate))
    clock.advance(3600)
    for op, body in [
        ("DescribeSourceServers", {}),
        ("DescribeJobs", {"maxResults": 1}),
        ("DescribeJobLogItems", {"jobID": launch["jobID"]}),
        ("DescribeJobLogItems", {"jobID": terminate["job"]["jobID"]}),
        ("DeleteJob", {"jobID": launch["jobID"]}),
    ]:
        responses.append((op, sim.dispatch(op, body)))
    # Then every one of them validates against botocore's own output shapes
    assert [(op, check_response(op, body)) for op, body in responses] == [(op, []) for op, _ in responses]


# ---------------------------------------------------------------------- the WSGI app (no sockets)


def test_app_answers_with_model_status_codes_and_drs_error_format(sim: DrsSimulator) -> None:
    client = Client(create_drs_app(sim))
    ids = add_servers(sim, 1)
    started = client.post("/StartRecovery", json={"sourceServers": [{"sourceServerID": ids[0]}]})
    missing = client.post("/DescribeJobLogItems", json={"jobID": "drsjob-00000000000000000"})
    garbage = client.post("/DescribeJobs", data="{not json")
    unknown = client.post("/NoSuchThing", json={})
    assert started.status_code == 202 and started.json is not None and "job" in started.json
    assert (missing.status_code, missing.headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert missing.json is not None and "not found" in missing.json["message"]
    assert (garbage.status_code, garbage.headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert unknown.status_code == 404


def test_app_sends_retry_after_when_throttling_and_204_for_delete(
    sim: DrsSimulator, clock: FakeClock
) -> None:
    client = Client(create_drs_app(sim))
    ids = add_servers(sim, 1)
    job = start(sim, ids)
    clock.advance(3600)
    deleted = client.post("/DeleteJob", data=json.dumps({"jobID": job["jobID"]}))
    sim.set_throttle_rate(1.0)
    throttled = client.post("/DescribeJobs", json={})
    assert (deleted.status_code, deleted.data) == (204, b"")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    assert throttled.headers["x-amzn-ErrorType"] == "ThrottlingException"


def test_thousand_servers_stay_cheap(clock: FakeClock, ec2: FakeEc2) -> None:
    # Given 1,000 servers launched in ten jobs of 100
    sim = DrsSimulator(ec2, clock=clock, limits=DrsLimits(max_servers_in_active_jobs=1000))
    ids = add_servers(sim, 1000, durationJitter=0.2)
    for chunk in range(10):
        start(sim, ids[chunk * 100 : (chunk + 1) * 100])
    clock.advance(3600)
    sim.advance()
    # When all of them are described, then it takes milliseconds of CPU, not seconds (the CPU time of
    # this thread: what other processes on a loaded machine take is not counted)
    began = time.thread_time()
    servers = sim.dispatch("DescribeSourceServers", {})["items"]
    jobs = sim.dispatch("DescribeJobs", {})["items"]
    instances = sim.dispatch("DescribeRecoveryInstances", {})["items"]
    elapsed = time.thread_time() - began
    assert (len(servers), len(jobs), len(instances)) == (1000, 10, 1000)
    # (typically 0.1 s; the bound leaves room for a CPU shared by four test workers: a quadratic
    # regression costs tens of seconds; the timed gates live in `make bench`)
    assert elapsed < 2.0, f"describing 1,000 servers took {elapsed:.3f}s of CPU"
