"""Injected DRS failures other than throttling: revoked permissions on one operation."""

from __future__ import annotations

import random

import pytest
from drs_fakes import FakeClock, FakeEc2, api_error

from drs_sandbox.drs import DrsSimulator


@pytest.fixture
def sim() -> DrsSimulator:
    return DrsSimulator(FakeEc2(), clock=FakeClock(), rng=random.Random(3))


def test_denied_operation_answers_access_denied_the_given_number_of_times(sim: DrsSimulator) -> None:
    # Given DescribeJobs is denied twice
    sim.deny_operation("DescribeJobs", times=2)
    # When it is called three times
    first = api_error(lambda: sim.dispatch("DescribeJobs", {}))
    second = api_error(lambda: sim.dispatch("DescribeJobs", {}))
    third = sim.dispatch("DescribeJobs", {})
    # Then the first two are AccessDeniedException (403) and the third answers normally
    assert (first.code, first.http_status) == ("AccessDeniedException", 403)
    assert "drs:DescribeJobs" in second.message
    assert third["items"] == []
    # And other operations were never affected
    assert sim.dispatch("DescribeSourceServers", {})["items"] == []


def test_clearing_a_denied_operation_restores_it(sim: DrsSimulator) -> None:
    sim.deny_operation("DescribeJobs", times=5)
    sim.deny_operation("DescribeJobs", times=0)
    assert sim.dispatch("DescribeJobs", {})["items"] == []


@pytest.mark.parametrize(("operation", "times"), [("Nope", 1), ("DescribeJobs", -1), ("DescribeJobs", True)])
def test_bad_fault_requests_are_refused(sim: DrsSimulator, operation: str, times: int) -> None:
    with pytest.raises(ValueError):
        sim.deny_operation(operation, times=times)
