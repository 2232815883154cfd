"""The DRS adapter's Describe* calls walk every page through boto3's paginators (the simulator
answers at most 3 items a page here), keep the batching by id chunks, and translate the errors
that paginators raise only while iterating."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from drs_sandbox.drs import DrsLimits, DrsSimulator
from orchestrator.aws import drs as drs_module
from orchestrator.aws.drs import Drs
from orchestrator.exceptions import PermissionDeniedError

if TYPE_CHECKING:
    from drs_fixtures import DrsWire, FakeClock

# The fixtures (moto, the simulator's app, boto3 clients) live in drs_fixtures.py.
pytest_plugins = ["drs_fixtures"]
HOUR = 3600
PAGE = 3


@pytest.fixture
def drs_sim(drs_ec2_client: Any, drs_clock: FakeClock) -> DrsSimulator:
    return DrsSimulator(
        drs_ec2_client,
        clock=drs_clock,
        rng=random.Random(20260101),
        limits=DrsLimits(max_results_per_page=PAGE),
    )


def test_every_describe_call_returns_all_pages_and_id_chunks(
    drs_client: Any,
    drs_sim: DrsSimulator,
    drs_clock: FakeClock,
    drs_wire: DrsWire,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given 10 servers (4 pages), 4 launched jobs of 2-3 servers and id chunks of 2 ids
    ids = [
        s["sourceServerID"] for s in drs_sim.add_source_servers([{"hostname": f"pg{i}"} for i in range(10)])
    ]
    drs = Drs(drs_client)
    jobs = [drs.start_recovery(ids[i : i + 3], is_drill=True, tags={})["jobID"] for i in range(0, 10, 3)]
    drs_clock.advance(HOUR)
    monkeypatch.setattr(drs_module, "MAX_FILTER_JOB_IDS", 2)
    monkeypatch.setattr(drs_module, "MAX_FILTER_RECOVERY_INSTANCE_IDS", 2)
    # When the adapter describes servers, jobs, a job's log and the recovery instances
    servers = drs.all_source_servers()
    described_jobs = drs.jobs(jobs)
    since = drs.jobs_since("2000-01-01T00:00:00Z")
    log = drs.job_log_items(jobs[0])
    instance_ids = [i["recoveryInstanceID"] for i in _walk(drs_client, "describe_recovery_instances")]
    instances = drs.recovery_instances([*instance_ids, instance_ids[0]])
    # Then every item comes exactly once, over several pages and several chunks
    assert [s["sourceServerID"] for s in servers] == ids
    assert sorted(j["jobID"] for j in described_jobs) == sorted(jobs)
    assert sorted(j["jobID"] for j in since) == sorted(jobs)
    assert len(log) > PAGE
    assert log == _walk(drs_client, "describe_job_log_items", jobID=jobs[0])
    assert len(instance_ids) == 10
    assert sorted(i["recoveryInstanceID"] for i in instances) == sorted(instance_ids)
    calls = [e.operation for e in drs_wire.exchanges]
    assert calls.count("DescribeSourceServers") == 4  # 10 servers, 3 a page
    assert calls.count("DescribeJobs") >= 2 * 2  # 2 chunks of 2 ids, and jobs_since's pages


def _walk(drs_client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    pages = drs_client.get_paginator(operation).paginate(**kwargs)
    return [item for page in pages for item in page["items"]]


def test_an_error_raised_while_paging_is_translated(drs_client: Any, drs_sim: DrsSimulator) -> None:
    # Given DRS that denies the next DescribeJobs call
    drs_sim.deny_operation("DescribeJobs")
    # When the adapter reads the jobs (the paginator sends the request only while iterating)
    with pytest.raises(PermissionDeniedError) as caught:
        Drs(drs_client).jobs_since("2000-01-01T00:00:00Z")
    # Then the domain error names the call
    assert "DRS DescribeJobs" in str(caught.value)
    assert isinstance(caught.value.__cause__, Exception)
