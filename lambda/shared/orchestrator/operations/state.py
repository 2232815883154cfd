"""The small payload that travels through the state machine: ids and counters only."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# What the state machine does next: at a wave boundary (Advance's Route) PAUSE, ACTIONS (run the
# wave's pre- or post-actions, ``stage``), START_WAVE or FINALIZE; after RunAction, ACTIONS (wait
# pollIntervalSeconds and run again), APPROVAL (wait for a resume) or ADVANCE.
Next = Literal["PAUSE", "ACTIONS", "START_WAVE", "FINALIZE", "APPROVAL", "ADVANCE"]
DEFAULT_PAUSE_TIMEOUT_SECONDS = 1440 * 60


class MachineState(TypedDict):
    executionId: str
    waveIndex: int
    totalWaves: int
    pollCount: int
    pollIntervalSeconds: int
    next: str
    waveDone: bool
    pauseTimeoutSeconds: int
    capacityQueued: bool
    stage: str


def machine_state(
    previous: dict[str, Any],
    *,
    wave_index: int | None = None,
    total_waves: int | None = None,
    poll_count: int | None = None,
    interval: int = 0,
    next_step: Next = "START_WAVE",
    wave_done: bool = False,
    pause_timeout_seconds: int | None = None,
    capacity_queued: bool = False,
    stage: str | None = None,
) -> MachineState:
    return {
        "executionId": str(previous["executionId"]),
        "waveIndex": int(previous.get("waveIndex", 0) if wave_index is None else wave_index),
        "totalWaves": int(previous.get("totalWaves", 0) if total_waves is None else total_waves),
        "pollCount": int(previous.get("pollCount", 0) if poll_count is None else poll_count),
        "pollIntervalSeconds": max(0, int(interval)),
        "next": next_step,
        "waveDone": wave_done,
        # The WaitForResume state's TimeoutSecondsPath: a forgotten pause ends in a cancel.
        "pauseTimeoutSeconds": max(
            1,
            int(
                previous.get("pauseTimeoutSeconds", DEFAULT_PAUSE_TIMEOUT_SECONDS)
                if pause_timeout_seconds is None
                else pause_timeout_seconds
            ),
        ),
        "capacityQueued": capacity_queued,
        "stage": str(previous.get("stage") or "PRE") if stage is None else stage,
    }
