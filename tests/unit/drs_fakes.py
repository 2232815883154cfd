"""Fakes and helpers shared by the DRS simulator's unit tests: a clock the tests move and an EC2
client that records calls (no sockets)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from drs_sandbox.drs import DrsApiError, DrsSimulator
from drs_sandbox.drs.jobs import PENDING_SECONDS

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
PHASES = {"snapshot": 60, "conversion": 240, "launch": 90, "boot": 30}
LAUNCH_DONE = PENDING_SECONDS + 60 + 240 + 90  # simulated seconds from StartRecovery to LAUNCHED


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeEc2:
    """Records the EC2 calls the simulator makes; can be told to fail RunInstances."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.runs: list[dict[str, Any]] = []
        self.terminated: list[str] = []
        self.describe_images_calls = 0
        self.fail_runs = False

    def describe_images(self, **kwargs: Any) -> dict[str, Any]:
        self.describe_images_calls += 1
        return {"Images": [{"ImageId": "ami-0123456789abcdef0", "CreationDate": "2026-01-01T00:00:00Z"}]}

    def run_instances(self, **kwargs: Any) -> dict[str, Any]:
        if self.fail_runs:
            raise RuntimeError("InsufficientInstanceCapacity")
        self.runs.append(kwargs)
        return {"Instances": [{"InstanceId": f"i-{next(self._ids):017x}"}]}

    def terminate_instances(self, **kwargs: Any) -> dict[str, Any]:
        self.terminated.extend(kwargs["InstanceIds"])
        return {}

    def tags_of(self, run: dict[str, Any]) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in run["TagSpecifications"][0]["Tags"]}


def add_servers(sim: DrsSimulator, count: int, **spec: Any) -> list[str]:
    specs = [{"hostname": f"host{i:03d}", "phaseDurations": PHASES, **spec} for i in range(count)]
    return [s["sourceServerID"] for s in sim.add_source_servers(specs)]


def start(sim: DrsSimulator, ids: list[str], drill: bool = True, **extra: Any) -> dict[str, Any]:
    body = {"sourceServers": [{"sourceServerID": i} for i in ids], "isDrill": drill, **extra}
    job: dict[str, Any] = sim.dispatch("StartRecovery", body)["job"]
    return job


def job_of(sim: DrsSimulator, job_id: str) -> dict[str, Any]:
    item: dict[str, Any] = sim.dispatch("DescribeJobs", {"filters": {"jobIDs": [job_id]}})["items"][0]
    return item


def events(sim: DrsSimulator, job_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = sim.dispatch("DescribeJobLogItems", {"jobID": job_id})["items"]
    return items


def api_error(call: Any) -> DrsApiError:
    with pytest.raises(DrsApiError) as caught:
        call()
    return caught.value
