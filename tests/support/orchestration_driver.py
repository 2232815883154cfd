"""Drives the orchestration operations the way the state machine calls them, over any Deps (the
in-memory ports in unit tests, DynamoDB in moto and the DRS simulator in integration tests)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memory_ports import RecordingStepFunctions

from drs_sandbox.drs import DrsSimulator
from orchestrator.deps import Deps
from orchestrator.operations import actions, control, create, finalize, poll, waves

# What to do when the execution pauses (any reason): given the execution id and its record.
OnPause = Callable[[str, dict[str, Any]], None]


@dataclass
class Orchestration:
    deps: Deps
    sim: DrsSimulator
    clock: Any
    sfn: RecordingStepFunctions

    def add_group(self, name: str, server_ids: list[str], **extra: Any) -> str:
        group = self.deps.stores.groups.create(
            {"name": f"{name}-{uuid.uuid4().hex[:8]}", "sourceServerIds": server_ids, **extra},
            now=self.deps.clock.iso(),
        )
        return str(group["groupId"])

    def add_plan(
        self,
        waves_spec: list[tuple[str, list[str], bool]],
        runbook: dict[int, dict[str, list[dict[str, Any]]]] | None = None,
        **options: Any,
    ) -> str:
        """A plan of (wave name, group ids, pause before); ``runbook``: wave number -> its
        preActions and postActions."""
        plan_waves = [
            {"waveName": n, "protectionGroupIds": g, "pauseBeforeWave": p, **(runbook or {}).get(i, {})}
            for i, (n, g, p) in enumerate(waves_spec, start=1)
        ]
        item: dict[str, Any] = {"name": f"plan-{uuid.uuid4().hex[:8]}", "waves": plan_waves}
        if options:
            item["options"] = options
        return str(self.deps.stores.plans.create(item, now=self.deps.clock.iso())["planId"])

    def servers(self, count: int, **spec: Any) -> list[str]:
        specs = [
            {
                "hostname": f"host-{uuid.uuid4().hex[:6]}",
                "phaseDurations": {"snapshot": 60, "conversion": 120, "launch": 60, "boot": 30},
                **spec,
            }
            for _ in range(count)
        ]
        return [s["sourceServerID"] for s in self.sim.add_source_servers(specs)]

    def start(self, plan_id: str, execution_type: str = "DRILL") -> dict[str, Any]:
        return create.create_execution(self.deps, plan_id, execution_type)

    def get(self, execution_id: str) -> dict[str, Any]:
        return self.deps.stores.executions.get(execution_id)

    def run_wave(
        self, state: dict[str, Any], *, step_seconds: float = 60, max_polls: int = 100
    ) -> dict[str, Any]:
        """start_wave, then poll with the simulator's clock moved between polls, until done."""
        return self.poll_wave(dict(waves.start_wave(self.deps, state)), step_seconds, max_polls)

    def poll_wave(
        self, state: dict[str, Any], step_seconds: float = 60, max_polls: int = 100
    ) -> dict[str, Any]:
        """Poll with the simulator's clock moved between polls until the wave is done."""
        for _ in range(max_polls):
            self.clock.advance(step_seconds)
            state = dict(poll.poll(self.deps, state))
            if state["waveDone"]:
                return state
        raise AssertionError("the wave did not finish")

    def run_actions(self, state: dict[str, Any], on_pause: OnPause | None = None) -> dict[str, Any] | None:
        """RunAction until the stage is done, moving the clock by each wait; None when an approval
        paused the execution and ``on_pause`` is None (the caller stops there)."""
        for _ in range(500):
            state = dict(actions.run_action(self.deps, state))
            if state["next"] == "ACTIONS":
                self.clock.advance(max(1, state["pollIntervalSeconds"]))
                continue
            if state["next"] == "APPROVAL":
                actions.await_approval(self.deps, state, f"token-{uuid.uuid4().hex}")
                if on_pause is None:
                    return None
                on_pause(state["executionId"], self.get(state["executionId"]))
                continue
            return state
        raise AssertionError("the actions did not finish")

    def run_to_end(
        self, execution_id: str, *, resume: bool = True, on_pause: OnPause | None = None
    ) -> dict[str, Any]:
        """Drive the operations as the state machine does, until finalize. At a pause, ``on_pause``
        decides (default: resume); with resume=False the run stops at the first pause recorded."""

        def default(eid: str, _record: dict[str, Any]) -> None:
            control.resume(self.deps, eid, actor="tester")

        decide = on_pause or default
        state: dict[str, Any] = {"executionId": execution_id, "waveIndex": 0, "pollCount": 0}
        for _ in range(100):
            state = dict(waves.advance(self.deps, state))
            if state["next"] == "FINALIZE":
                finalize.finalize(self.deps, state)
                return self.get(execution_id)
            if state["next"] == "PAUSE":
                waves.pause(self.deps, state, f"token-{uuid.uuid4().hex}")
                if not resume:
                    return self.get(execution_id)
                decide(execution_id, self.get(execution_id))
                continue
            if state["next"] == "ACTIONS":
                after = self.run_actions(state, decide if resume else None)
                if after is None:
                    return self.get(execution_id)
                state = after
                continue
            state = self.run_wave(state)
        raise AssertionError("the execution did not finish")
