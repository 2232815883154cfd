"""The DRS simulator answers each operation only with the errors botocore's DRS model declares for
it (plus AccessDeniedException, common to every AWS API), as DRS does: a caller's error handling
written against the simulator holds against DRS."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from drs_fakes import FakeClock, FakeEc2, add_servers, start

from drs_sandbox.drs import DrsApiError, DrsLimits, DrsSimulator
from drs_sandbox.drs.errors import COMMON_ERRORS, as_declared, not_found
from drs_sandbox.drs.model import SUPPORTED_OPERATIONS

MODEL = botocore.session.get_session().get_service_model("drs")
UNKNOWN_JOB = "drsjob-00000000000000000"
UNKNOWN_SERVER = "s-0000000000000dead"
UNKNOWN_INSTANCE = "i-0123456789abcdef0"


def declared(operation: str) -> set[str]:
    return {shape.name for shape in MODEL.operation_model(operation).error_shapes} | set(COMMON_ERRORS)


def bad_requests(sim: DrsSimulator, clock: FakeClock) -> dict[str, list[Callable[[], Any]]]:
    """Every way each operation can be refused: malformed bodies, unknown and busy ids, quotas,
    bad tokens and dates, throttling, an uninitialized account, a denied call."""
    ids = add_servers(sim, 4)
    job = start(sim, ids[:1])["jobID"]
    return {
        "DescribeSourceServers": [
            lambda: sim.dispatch("DescribeSourceServers", {"nextToken": "garbage"}),
            lambda: sim.dispatch("DescribeSourceServers", {"filters": {"sourceServerIDs": ["x"]}}),
            lambda: sim.dispatch("DescribeSourceServers", {"maxResults": "many"}),
        ],
        "StartRecovery": [
            lambda: start(sim, [UNKNOWN_SERVER]),
            lambda: start(sim, ids[:1]),  # already in an active job
            lambda: start(sim, [ids[1], ids[1]]),
            lambda: sim.dispatch("StartRecovery", {"sourceServers": []}),
            lambda: sim.dispatch("StartRecovery", {"sourceServers": [{"sourceServerID": "bad"}]}),
            lambda: sim.dispatch("StartRecovery", {}),
        ],
        "DescribeJobs": [
            lambda: sim.dispatch("DescribeJobs", {"filters": {"fromDate": "2026-13-45T99:00:00Z"}}),
            lambda: sim.dispatch("DescribeJobs", {"nextToken": "garbage"}),
            lambda: sim.dispatch("DescribeJobs", {"filters": {"jobIDs": ["job-1"]}}),
        ],
        "DescribeJobLogItems": [
            lambda: sim.dispatch("DescribeJobLogItems", {"jobID": UNKNOWN_JOB}),
            lambda: sim.dispatch("DescribeJobLogItems", {"jobID": "job-1"}),
            lambda: sim.dispatch("DescribeJobLogItems", {"jobID": job, "nextToken": "garbage"}),
            lambda: sim.dispatch("DescribeJobLogItems", {}),
        ],
        "DescribeRecoveryInstances": [
            lambda: sim.dispatch("DescribeRecoveryInstances", {"nextToken": "garbage"}),
            lambda: sim.dispatch("DescribeRecoveryInstances", {"filters": {"recoveryInstanceIDs": ["x"]}}),
        ],
        "TerminateRecoveryInstances": [
            lambda: sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": [UNKNOWN_INSTANCE]}),
            lambda: sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": []}),
            lambda: sim.dispatch("TerminateRecoveryInstances", {}),
        ],
        "DeleteJob": [
            lambda: sim.dispatch("DeleteJob", {"jobID": UNKNOWN_JOB}),
            lambda: sim.dispatch("DeleteJob", {"jobID": job}),  # still active
            lambda: sim.dispatch("DeleteJob", {"jobID": "job-1"}),
        ],
        "GetLaunchConfiguration": [
            lambda: sim.dispatch("GetLaunchConfiguration", {"sourceServerID": UNKNOWN_SERVER}),
            lambda: sim.dispatch("GetLaunchConfiguration", {"sourceServerID": "bad"}),
            lambda: sim.dispatch("GetLaunchConfiguration", {}),
        ],
        "UpdateLaunchConfiguration": [
            lambda: sim.dispatch("UpdateLaunchConfiguration", {"sourceServerID": UNKNOWN_SERVER}),
            lambda: sim.dispatch(
                "UpdateLaunchConfiguration", {"sourceServerID": ids[0], "launchDisposition": "x"}
            ),
            lambda: sim.dispatch("UpdateLaunchConfiguration", {}),
        ],
        "DescribeRecoverySnapshots": [
            lambda: sim.dispatch("DescribeRecoverySnapshots", {"sourceServerID": "bad"}),
            lambda: sim.dispatch("DescribeRecoverySnapshots", {"sourceServerID": ids[0], "order": "UP"}),
            lambda: sim.dispatch("DescribeRecoverySnapshots", {}),
        ],
    }


def refusals(call: Callable[[], Any]) -> str | None:
    try:
        call()
    except DrsApiError as error:
        return error.code
    return None


def test_every_error_the_simulator_answers_is_declared_for_its_operation() -> None:
    # Given a simulator with servers, a running job, and tight limits (so quotas are reachable)
    clock = FakeClock()
    sim = DrsSimulator(
        FakeEc2(),
        clock=clock,
        rng=random.Random(3),
        limits=DrsLimits(max_concurrent_jobs=2, max_servers_per_job=2),
    )
    calls = bad_requests(sim, clock)
    assert set(calls) == set(SUPPORTED_OPERATIONS)
    # When every operation is refused in every way it can be, then throttled, denied, uninitialized
    seen: dict[str, set[str]] = defaultdict(set)
    for operation, attempts in calls.items():
        for attempt in attempts:
            if code := refusals(attempt):
                seen[operation].add(code)
        sim.set_throttle_rate(1.0)
        seen[operation].add(str(refusals(attempts[0])))
        sim.set_throttle_rate(0.0)
        sim.deny_operation(operation)
        seen[operation].add(str(refusals(attempts[0])))
        sim.set_initialized(False)
        seen[operation].add(str(refusals(attempts[0])))
        sim.set_initialized(True)
    # Then each code is one botocore's model declares for that operation
    for operation, codes in seen.items():
        assert codes <= declared(operation), (operation, codes - declared(operation))
    # And the refusals that matter to a caller are there: busy and unknown servers, unknown jobs
    assert "ConflictException" in seen["StartRecovery"]
    assert "ValidationException" in seen["DescribeJobLogItems"]
    assert "ResourceNotFoundException" in seen["DeleteJob"]


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("StartRecovery", "ConflictException"),
        ("TerminateRecoveryInstances", "ConflictException"),
        ("DescribeJobLogItems", "ValidationException"),
        ("DeleteJob", "ResourceNotFoundException"),
    ],
)
def test_an_unknown_resource_is_answered_with_the_operations_own_error(operation: str, expected: str) -> None:
    error = as_declared(operation, not_found("JOB", UNKNOWN_JOB, f"Job {UNKNOWN_JOB} not found"))
    assert error.code == expected
    assert error.code in declared(operation)
    assert UNKNOWN_JOB in error.message
