"""A server's phase in the status model: live while DRS launches it, settled once it is ready, failed,
or left behind by the end of its wave; never "pending" after the end, never LAUNCHING once ready."""

from __future__ import annotations

from typing import Any

import pytest

from execution_utils import (
    LIVE_SERVER_PHASES,
    SETTLED_SERVER_PHASES,
    ServerPhase,
    WavePhase,
    server_phase,
    server_phase_settled,
    wave_phase,
)


def server(**fields: Any) -> dict[str, Any]:
    return {"sourceServerId": "s-1", "impactLevel": "CRITICAL", "launchStatus": "PENDING", **fields}


RUNNING = {"launchStatus": "LAUNCHED", "phase": "LAUNCHING", "ec2InstanceId": "i-1", "ec2State": "running"}


def test_a_ready_server_reads_ready_not_launching() -> None:
    # Given DRS launched the server and EC2 runs it; When its phase is computed; Then READY
    assert server_phase(server(**RUNNING)) is ServerPhase.READY


def test_readiness_decides_when_a_launched_server_is_ready() -> None:
    # Given a launched, running instance whose status checks are still initializing
    booting = server(**RUNNING, statusChecksOk=False)
    # Then it is ready for EC2_RUNNING, still launching for EC2_STATUS_OK, and ready once checks pass
    assert server_phase(booting, "EC2_RUNNING") is ServerPhase.READY
    assert server_phase(booting, "EC2_STATUS_OK") is ServerPhase.LAUNCHING
    assert server_phase({**booting, "statusChecksOk": True}, "EC2_STATUS_OK") is ServerPhase.READY


@pytest.mark.parametrize(
    "fields",
    [
        {"launchStatus": "FAILED", "phase": "CONVERTING", "error": "CONVERSION_FAIL: disk"},
        {"launchStatus": "LAUNCHED", "phase": "LAUNCHING", "ec2InstanceId": "i-1", "ec2State": "stopped"},
    ],
)
def test_a_failed_launch_or_an_instance_gone_before_ready_reads_failed(fields: dict[str, Any]) -> None:
    assert server_phase(server(**fields)) is ServerPhase.FAILED


def test_while_drs_launches_the_phase_is_the_one_its_job_log_gives() -> None:
    # Given servers at each point of a launch, in a wave still running
    assert server_phase(server()) is None  # not in a DRS job yet: nothing to show
    assert server_phase(server(launchStatus="IN_PROGRESS", phase="SNAPSHOT")) is ServerPhase.SNAPSHOT
    assert server_phase(server(launchStatus="IN_PROGRESS", phase="CONVERTING")) is ServerPhase.CONVERTING
    # DRS launched it, EC2 still pending: launching (the log's last phase may be missing)
    launched = server(launchStatus="LAUNCHED", ec2InstanceId="i-1", ec2State="pending")
    assert server_phase(launched) is ServerPhase.LAUNCHING


def test_when_the_wave_ended_every_server_has_a_settled_phase() -> None:
    # Given the wave ended (completed, failed, cancelled) with no DRS job of it still running
    never_launched = server()
    not_ready = server(launchStatus="LAUNCHED", ec2InstanceId="i-2", ec2State="pending")
    ready = server(**RUNNING)
    failed = server(launchStatus="FAILED", error="LAUNCH_FAILED: quota")
    # When the phases settle
    settled = [server_phase(s, wave_ended=True) for s in (never_launched, not_ready, ready, failed)]
    # Then a server never launched is NOT_LAUNCHED (not "pending"), a launched one never ready is
    # NOT_READY, and ready and failed ones keep their outcome
    assert settled == [ServerPhase.NOT_LAUNCHED, ServerPhase.NOT_READY, ServerPhase.READY, ServerPhase.FAILED]
    assert all(p in SETTLED_SERVER_PHASES for p in settled)


def test_settled_and_live_phases_partition_the_server_phases() -> None:
    assert set(ServerPhase) == LIVE_SERVER_PHASES | SETTLED_SERVER_PHASES
    assert not LIVE_SERVER_PHASES & SETTLED_SERVER_PHASES
    assert server_phase_settled({"phase": "READY"}) and server_phase_settled({"phase": "NOT_LAUNCHED"})
    assert not server_phase_settled({"phase": "LAUNCHING"}) and not server_phase_settled({})


def test_a_wave_retried_from_scratch_reads_its_not_launched_servers_as_submitted() -> None:
    # Given a wave whose servers settled NOT_LAUNCHED, launched again by a retry (jobs still running)
    servers = [
        server(phase="NOT_LAUNCHED"),
        server(sourceServerId="s-2", phase="SNAPSHOT", launchStatus="IN_PROGRESS"),
    ]
    # Then the wave's phase is computed from launch phases only
    assert wave_phase(servers, jobs_finished=False) is WavePhase.SUBMITTED
