"""A drill network override over moto's EC2 and the DRS simulator (the production adapter over
both): recorded before it is made, made once even when the step that made it died before saying so,
restored to the production version and copyPrivateIp, and restoring again changes nothing."""

from __future__ import annotations

import dataclasses
import random
import uuid
from typing import Any

import pytest
from in_memory import FakeClock, in_memory_orchestration
from memory_ports import InProcessDrsClient

from drs_sandbox.drs import DrsSimulator
from orchestrator.aws.drs import Drs
from orchestrator.aws.launch import LaunchAws, TemplateVersion
from orchestrator.deps import Deps
from orchestrator.model import ExecutionRecord, ServerRecord, server_key
from orchestrator.operations import drill_network

pytest_plugins = ["drs_fixtures"]


class Killed(Exception):
    """The handler died here (its Lambda ended mid-step)."""


class DiesAfterMaking(LaunchAws):
    """The production adapter, whose handler dies right after its first new default version."""

    died = False

    def new_default_version(self, *args: Any, **kwargs: Any) -> TemplateVersion:
        made = super().new_default_version(*args, **kwargs)
        if not self.died:
            self.died = True
            raise Killed
        return made


@pytest.fixture
def world(drs_ec2_client: Any) -> dict[str, Any]:
    sim = DrsSimulator(drs_ec2_client, clock=FakeClock(), rng=random.Random(7), launch_templates=True)
    specs = [{"sourceServerId": f"s-{uuid.uuid4().hex[:17]}", "hostname": "app"}]
    sid = sim.add_source_servers(specs)[0]["sourceServerID"]
    drs = InProcessDrsClient(sim)
    drs.update_launch_configuration(sourceServerID=sid, copyPrivateIp=True)
    vpc = drs_ec2_client.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnet = drs_ec2_client.create_subnet(VpcId=vpc, CidrBlock="10.80.1.0/24")["Subnet"]["SubnetId"]
    group = drs_ec2_client.create_security_group(GroupName=f"drill-{vpc}", Description="d", VpcId=vpc)[
        "GroupId"
    ]
    port = DiesAfterMaking(drs, drs_ec2_client)
    deps: Deps = dataclasses.replace(in_memory_orchestration().deps, drs=Drs(drs), launch=port)
    execution_id = str(uuid.uuid4())
    record: ExecutionRecord = {
        "executionId": execution_id,
        "planId": "p-1",
        "planName": "Plan",
        "executionType": "DRILL",
        "status": "IN_PROGRESS",
        "startTime": deps.clock.iso(),
        "initiatedBy": "tester",
        "totalWaves": 1,
        "completedWaves": 0,
        "currentWave": 1,
        "totalServers": 1,
        "options": {
            "readinessCheck": "LAUNCHED",
            "waveTimeoutMinutes": 60,
            "pauseTimeoutMinutes": 60,
            "capacityWaitMinutes": 60,
            "onWaveFailure": "STOP",
            "drillNetwork": {"subnetIds": [subnet], "securityGroupIds": [group]},
        },
        "waves": [],
    }
    deps.stores.executions.create(record)
    server: ServerRecord = {
        "executionId": execution_id,
        "serverKey": server_key(1, sid),
        "waveNumber": 1,
        "sourceServerId": sid,
        "launchStatus": "PENDING",
        "ready": False,
    }
    deps.stores.servers.put_many([server])
    return {"deps": deps, "sid": sid, "execution_id": execution_id, "subnet": subnet, "group": group}


def test_an_override_made_by_a_step_that_died_is_adopted_not_made_twice_and_restores_once(
    world: dict[str, Any],
) -> None:
    deps, sid, execution_id = world["deps"], world["sid"], world["execution_id"]
    port = deps.launch
    config = port.launch_configuration(sid)
    template_id = config["ec2LaunchTemplateID"]
    production = port.default_version(template_id).number

    # Given a launch step that recorded the override, made it, and died before recording MADE
    servers = deps.stores.servers.wave(execution_id, 1)
    with pytest.raises(Killed):
        drill_network.override_servers(deps, deps.stores.executions.get(execution_id), 1, servers)
    recorded = deps.stores.executions.get(execution_id)["drillOverrides"][0]
    assert recorded["status"] == "RECORDED" and recorded["productionVersion"] == production
    assert port.default_version(template_id).number == production + 1

    # When Step Functions runs the step again
    record, fresh = drill_network.override_servers(deps, deps.stores.executions.get(execution_id), 1, servers)

    # Then the version the dead step made is adopted (no third version), and the server says so
    entry = record["drillOverrides"][0]
    assert entry["status"] == "MADE" and entry["drillVersion"] == production + 1
    assert port.default_version(template_id).number == production + 1
    interface = port.default_version(template_id).data["NetworkInterfaces"][0]
    assert interface["SubnetId"] == world["subnet"] and interface["Groups"] == [world["group"]]
    assert fresh[0]["drillOverride"]["status"] == "MADE"
    # and the private IP is not copied (the dead step had not turned it off yet)
    assert port.launch_configuration(sid)["copyPrivateIp"] is False

    # When the drill ends (finalize restores every override), Then production is back
    ended = drill_network.restore_all(deps, record)
    assert port.default_version(template_id).number == production
    assert port.launch_configuration(sid)["copyPrivateIp"] is True
    assert ended["drillOverrides"][0]["status"] == "RESTORED"
    assert list(deps.stores.executions.with_overrides_pending()) == []
    # And restoring again (find, a retried finalize) changes nothing
    again = drill_network.restore_all(deps, deps.stores.executions.get(execution_id))
    assert again["drillOverrides"] == ended["drillOverrides"]
    assert port.default_version(template_id).number == production
