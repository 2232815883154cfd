"""The sandbox's EC2 instances boot: the one place where moto's EC2 is made to follow the DRS
simulator's timeline.

moto creates instances `running` with both status checks `ok` at once. For the instances the DRS
simulator launches (and only those), this module swaps in a state that follows the simulated boot:

- DescribeInstances (and every other EC2 view of the state: filters, DescribeInstanceStatus'
  InstanceState): `pending` (code 0) until the boot ends (`running_at`), then `running` (16);
  `shutting-down` (32) while a DRS TERMINATE job cleans the recovery instance up, until EC2
  terminates it (DRS reports SHUTTING-DOWN meanwhile);
- DescribeInstanceStatus: InstanceStatus and SystemStatus `not-applicable` while pending,
  `initializing` from running until `checks_at`, then `ok`; for a server declared
  `statusChecks: IMPAIRED`, InstanceStatus `impaired` (reachability `failed`) and SystemStatus `ok`,
  as when a recovered OS does not boot.

The state is computed from the clock whenever moto reads it, so nothing has to tick. Once moto
itself changes the state (TerminateInstances, StopInstances, ...), that state wins for good: an
instance that is running stays running until it is stopped or terminated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance, InstanceState

from drs_sandbox.drs.instances import RecoveryInstance

logger = logging.getLogger(__name__)

PENDING = ("pending", 0)
RUNNING = ("running", 16)
SHUTTING_DOWN = ("shutting-down", 32)
STATUS_CHECKS = ("OK", "IMPAIRED")


@dataclass(frozen=True)
class BootTimeline:
    """Real (clock) times: the instance runs from `running_at`; its checks settle at `checks_at`."""

    running_at: float
    checks_at: float
    status_checks: str = "OK"  # OK | IMPAIRED
    clock: Callable[[], float] = time.time
    # True while DRS terminates the recovery instance (its TERMINATE job's cleanup) until EC2
    # terminates the instance, so EC2 says shutting-down when DRS says SHUTTING-DOWN.
    shutting_down: Callable[[], bool] = lambda: False

    def current(self) -> tuple[str, int]:
        if self.shutting_down():
            return SHUTTING_DOWN
        return RUNNING if self.clock() >= self.running_at else PENDING


class BootingState(InstanceState):
    """moto's InstanceState, `pending` then `running` by the clock until moto assigns a state."""

    def __init__(self, timeline: BootTimeline) -> None:  # no super().__init__: it would assign
        self.timeline = timeline
        self._name: str | None = None
        self._code: int | None = None

    @property
    def name(self) -> str:
        if self._name is not None:
            return self._name
        return self.timeline.current()[0]

    @name.setter
    def name(self, value: str) -> None:
        if self._name is None and self._code is None:
            self._code = self.code  # keep the pair consistent while moto assigns one then the other
        self._name = value

    @property
    def code(self) -> int:
        if self._code is not None:
            return self._code
        return self.timeline.current()[1]

    @code.setter
    def code(self, value: int) -> None:
        if self._name is None and self._code is None:
            self._name = self.name
        self._code = value


class BootingInstance(Instance):
    """A moto Instance whose status checks follow its BootTimeline (set by `boot()`)."""

    _sandbox_boot: BootTimeline

    def _check(self, kind: str) -> dict[str, Any]:
        if self.state_code != RUNNING[1]:
            return {"Status": "not-applicable"}
        timeline = self._sandbox_boot
        if timeline.clock() < timeline.checks_at:
            return {"Status": "initializing", "Details": [{"Name": "reachability", "Status": "initializing"}]}
        if kind == "instance" and timeline.status_checks == "IMPAIRED":
            since = datetime.fromtimestamp(timeline.checks_at, UTC)
            return {
                "Status": "impaired",
                "Details": [{"Name": "reachability", "Status": "failed", "ImpairedSince": since}],
            }
        return {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}

    @property
    def instance_status(self) -> dict[str, Any]:
        return self._check("instance")

    @property
    def system_status(self) -> dict[str, Any]:
        return self._check("system")


# moto's serializer derives some response keys from the class name (`InstanceId` is read from
# `Instance.id`): the subclasses must keep moto's class names.
BootingState.__name__ = BootingState.__qualname__ = "InstanceState"
BootingInstance.__name__ = BootingInstance.__qualname__ = "Instance"


def boot(instance: Instance, timeline: BootTimeline) -> None:
    """Make one moto instance follow `timeline` (it must not have been stopped or terminated)."""
    instance._sandbox_boot = timeline  # type: ignore[attr-defined]
    instance._state = BootingState(timeline)
    instance.__class__ = BootingInstance  # type: ignore[type-abstract]


class Ec2Boot:
    """Given to the DRS simulator as its `on_instance_launched`: boots the moto instance behind a
    recovery instance on the recovery instance's own timeline (so DRS' ec2InstanceState agrees)."""

    def __init__(self, account_id: str, region: str, clock: Callable[[], float] = time.time) -> None:
        self.account_id, self.region, self.clock = account_id, region, clock

    def __call__(self, recovery: RecoveryInstance) -> None:
        backend = ec2_backends[self.account_id][self.region]
        found = backend.get_instance(recovery.recovery_instance_id)
        timeline = BootTimeline(
            running_at=recovery.running_at,
            checks_at=max(recovery.checks_at, recovery.running_at),
            status_checks=recovery.status_checks,
            clock=self.clock,
            shutting_down=lambda: recovery.terminating,
        )
        boot(found, timeline)
