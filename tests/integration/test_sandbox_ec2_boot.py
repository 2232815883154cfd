"""The sandbox's EC2 instances boot on the DRS simulator's timeline: moto's EC2 reports them
pending, then running, their status checks initializing, then ok (or impaired), and DRS'
ec2InstanceState agrees with EC2 at every step. The simulator and EC2 share a fake clock."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from drs_sandbox.drs import DrsSimulator
from drs_sandbox.drs.jobs import PENDING_SECONDS, TERMINATE_SECONDS
from drs_sandbox.ec2_boot import Ec2Boot

if TYPE_CHECKING:
    from drs_fixtures import FakeClock

# moto's server (in-process: ec2_boot reaches its backend) and the fake clock: drs_fixtures.py.
pytest_plugins = ["drs_fixtures"]

PHASES = {"snapshot": 60, "conversion": 60, "launch": 60, "boot": 120, "statusChecks": 90}
LAUNCHED_AFTER = PENDING_SECONDS + 180


@pytest.fixture
def sim(drs_ec2_client: Any, drs_clock: FakeClock) -> DrsSimulator:
    return DrsSimulator(
        drs_ec2_client,
        clock=drs_clock,
        rng=random.Random(7),
        on_instance_launched=Ec2Boot("123456789012", "us-east-1", clock=drs_clock),
    )


def _ec2_view(ec2: Any, instance_id: str) -> tuple[str, str, str]:
    """(state, instance status check, system status check) as the orchestrator reads them."""
    reservations = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [instance_id]}])
    described = reservations["Reservations"][0]["Instances"][0]
    assert described["InstanceId"] == instance_id
    state = described["State"]["Name"]
    status = ec2.describe_instance_status(InstanceIds=[instance_id], IncludeAllInstances=True)
    item = status["InstanceStatuses"][0]
    assert item["InstanceId"] == instance_id
    assert item["InstanceState"]["Name"] == state
    return state, item["InstanceStatus"]["Status"], item["SystemStatus"]["Status"]


def _drs_states(sim: DrsSimulator) -> dict[str, str]:
    items = sim.dispatch("DescribeRecoveryInstances", {})["items"]
    return {i["sourceServerID"]: i["ec2InstanceState"] for i in items}


def test_recovery_instances_boot_then_pass_or_fail_their_status_checks(
    sim: DrsSimulator, drs_clock: FakeClock, drs_ec2_client: Any
) -> None:
    # Given a server whose checks pass and one declared with impaired status checks
    ok_id, bad_id = "s-00000000000000b01", "s-00000000000000b02"
    sim.add_source_servers(
        [
            {"sourceServerId": ok_id, "phaseDurations": PHASES},
            {"sourceServerId": bad_id, "phaseDurations": PHASES, "statusChecks": "IMPAIRED"},
        ]
    )
    sim.dispatch(
        "StartRecovery",
        {"sourceServers": [{"sourceServerID": ok_id}, {"sourceServerID": bad_id}], "isDrill": True},
    )
    # When DRS has launched their instances
    drs_clock.advance(LAUNCHED_AFTER + 1)
    instances = {
        i["sourceServerID"]: i["ec2InstanceID"]
        for i in sim.dispatch("DescribeRecoveryInstances", {})["items"]
    }
    ok, bad = instances[ok_id], instances[bad_id]
    # Then EC2 reports them pending, without status checks yet, and DRS agrees
    assert _ec2_view(drs_ec2_client, ok) == ("pending", "not-applicable", "not-applicable")
    assert _drs_states(sim) == {ok_id: "PENDING", bad_id: "PENDING"}
    # And pending instances are not among the running ones
    running = drs_ec2_client.describe_instances(
        Filters=[
            {"Name": "instance-id", "Values": [ok, bad]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )
    assert running["Reservations"] == []
    # When the boot ends: running, checks initializing, DRS agrees
    drs_clock.advance(PHASES["boot"])
    assert _ec2_view(drs_ec2_client, ok) == ("running", "initializing", "initializing")
    assert _ec2_view(drs_ec2_client, bad) == ("running", "initializing", "initializing")
    assert _drs_states(sim) == {ok_id: "RUNNING", bad_id: "RUNNING"}
    # When the status checks settle: ok for one, the instance check impaired for the other
    drs_clock.advance(PHASES["statusChecks"])
    assert _ec2_view(drs_ec2_client, ok) == ("running", "ok", "ok")
    assert _ec2_view(drs_ec2_client, bad) == ("running", "impaired", "ok")
    # And running instances stay running
    drs_clock.advance(3600)
    assert _ec2_view(drs_ec2_client, ok) == ("running", "ok", "ok")
    # When DRS terminates one, EC2 terminates it for good
    sim.dispatch("TerminateRecoveryInstances", {"recoveryInstanceIDs": [ok]})
    drs_clock.advance(PENDING_SECONDS + 1)
    assert _drs_states(sim)[ok_id] == "SHUTTING-DOWN"
    assert _ec2_view(drs_ec2_client, ok) == ("shutting-down", "not-applicable", "not-applicable")
    drs_clock.advance(TERMINATE_SECONDS)
    sim.advance()
    assert _ec2_view(drs_ec2_client, ok) == ("terminated", "not-applicable", "not-applicable")
    drs_clock.advance(3600)
    assert _ec2_view(drs_ec2_client, ok)[0] == "terminated"
    assert ok_id not in _drs_states(sim)


def test_instances_not_launched_by_drs_run_at_once(drs_ec2_client: Any, sim: DrsSimulator) -> None:
    image = drs_ec2_client.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    launched = drs_ec2_client.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    assert _ec2_view(drs_ec2_client, launched["InstanceId"]) == ("running", "ok", "ok")


def test_zero_durations_run_and_pass_at_launch(
    sim: DrsSimulator, drs_clock: FakeClock, drs_ec2_client: Any
) -> None:
    server = "s-00000000000000b03"
    sim.add_source_servers(
        [{"sourceServerId": server, "phaseDurations": {**PHASES, "boot": 0, "statusChecks": 0}}]
    )
    sim.dispatch("StartRecovery", {"sourceServers": [{"sourceServerID": server}], "isDrill": True})
    drs_clock.advance(LAUNCHED_AFTER + 1)
    instance = sim.dispatch("DescribeRecoveryInstances", {"filters": {"sourceServerIDs": [server]}})
    assert _ec2_view(drs_ec2_client, instance["items"][0]["ec2InstanceID"]) == ("running", "ok", "ok")
