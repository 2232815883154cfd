"""The poll's pure decisions: adaptive interval with a history budget, phases from DRS job logs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from execution_utils import HISTORY_BUDGET_SECONDS, HISTORY_BURST_POLLS, WavePhase, within_history_budget
from orchestrator.operations.poll import _server_updates_from_jobs, next_poll_interval

PROGRESS_EMPTY = {"totalServers": 10, "launched": 0, "converting": 0, "ready": 0, "failed": 0}


def _interval(phase: WavePhase | None, progress: dict[str, int] = PROGRESS_EMPTY, polls: int = 1) -> int:
    return next_poll_interval(
        min_seconds=15,
        max_seconds=120,
        phase=phase,
        progress=progress,
        poll_count=polls,
        execution_elapsed_seconds=600,
    )


def test_polls_slowly_while_snapshots_are_taken_and_fast_near_the_end_of_the_wave() -> None:
    # Given a wave early in its snapshot phase and one whose servers are launching
    early = _interval(WavePhase.SNAPSHOT)
    late = _interval(WavePhase.LAUNCHING)
    verifying = _interval(WavePhase.VERIFYING)
    # Then the interval shrinks as the wave nears its end, down to the minimum
    assert early > late > 15
    assert verifying == 15


def test_most_servers_launched_means_polling_at_the_minimum_pace() -> None:
    # Given 9 of 10 servers launched while the wave still reports converting
    progress = {**PROGRESS_EMPTY, "launched": 9}
    # Then the interval is near the minimum
    assert _interval(WavePhase.CONVERTING, progress) <= 30


def test_the_history_budget_slows_polling_once_the_burst_is_spent() -> None:
    # Given an execution that has polled more than its burst allows for its age
    polls = HISTORY_BURST_POLLS + 600 // HISTORY_BUDGET_SECONDS + 1
    # When the wave is at its fastest pace
    interval = _interval(WavePhase.VERIFYING, polls=polls)
    # Then the interval is at least the budget pace
    assert interval >= HISTORY_BUDGET_SECONDS


@given(
    elapsed=st.integers(min_value=0, max_value=24 * 3600),
    phase=st.sampled_from([None, *WavePhase]),
    launched=st.integers(min_value=0, max_value=10),
)
def test_an_execution_polling_for_24_hours_stays_under_the_history_limit(
    elapsed: int, phase: WavePhase | None, launched: int
) -> None:
    # Given polls made as fast as the function allows from time 0 to `elapsed`
    t, polls = 0.0, 0
    progress = {**PROGRESS_EMPTY, "launched": launched}
    while t <= elapsed and polls < 5000:
        polls += 1
        t += next_poll_interval(
            min_seconds=1,
            max_seconds=120,
            phase=phase,
            progress=progress,
            poll_count=polls,
            execution_elapsed_seconds=t,
        )
    # Then 9 history events per poll plus 20 waves of fixed states fit in 25,000 events
    assert polls * 9 + 20 * 40 < 25_000


# The fixed cost of a plan at the contract's size: 20 waves (advance, route, start, the last poll:
# about 40 events each) and 5 runbook actions per wave, each of which may also wait for an approval
# (WaitForApproval and ApprovalExpired: 10 events). Every other turn of a loop (a poll, an action's
# start, check or end) is 9 events and shares the budget.
WAVES, ACTIONS_PER_WAVE = 20, 5
FIXED_EVENTS = WAVES * 40 + WAVES * ACTIONS_PER_WAVE * 10


@given(
    turns=st.lists(
        st.tuples(st.sampled_from(["poll", "action"]), st.integers(min_value=0, max_value=120)),
        min_size=1,
        max_size=60,
    )
)
def test_a_runbook_plan_polling_and_running_actions_for_24_hours_stays_under_the_history_limit(
    turns: list[tuple[str, int]],
) -> None:
    # Given a 20-wave plan with 5 actions a wave whose loops turn as fast as they may ask (an action
    # step asks 0 s: the next action starts at once; a poll at least 1 s), the pattern repeated
    t, steps = 0.0, 0
    while t <= 24 * 3600 and steps < 5000:
        kind, asked = turns[steps % len(turns)]
        steps += 1
        interval = within_history_budget(asked if kind == "action" else max(1, asked), steps, t)
        t += max(interval, 0.001)
    # Then every turn (9 events) plus the plan's fixed states fit in 25,000 events
    assert steps * 9 + FIXED_EVENTS < 25_000


def test_phases_and_errors_come_from_job_log_events() -> None:
    # Given a DRS job with one launched and one failed server and their log items
    jobs = [
        {
            "jobID": "drsjob-11111111111111111",
            "participatingServers": [
                {
                    "sourceServerID": "s-aaaaaaaaaaaaaaaaa",
                    "launchStatus": "LAUNCHED",
                    "recoveryInstanceID": "i-1",
                },
                {"sourceServerID": "s-bbbbbbbbbbbbbbbbb", "launchStatus": "FAILED"},
            ],
        }
    ]
    logs = {
        "drsjob-11111111111111111": [
            {"event": "SNAPSHOT_START", "eventData": {"sourceServerID": "s-aaaaaaaaaaaaaaaaa"}},
            {"event": "CONVERSION_START", "eventData": {"sourceServerID": "s-aaaaaaaaaaaaaaaaa"}},
            {"event": "LAUNCH_START", "eventData": {"sourceServerID": "s-aaaaaaaaaaaaaaaaa"}},
            {"event": "SNAPSHOT_START", "eventData": {"sourceServerID": "s-bbbbbbbbbbbbbbbbb"}},
            {
                "event": "LAUNCH_FAILED",
                "eventData": {"sourceServerID": "s-bbbbbbbbbbbbbbbbb", "rawError": "no capacity"},
            },
        ]
    }
    # When the updates are derived
    updates = _server_updates_from_jobs(jobs, logs)
    # Then each server carries its launch status, phase and error
    assert updates["s-aaaaaaaaaaaaaaaaa"]["phase"] == "LAUNCHING"
    assert updates["s-aaaaaaaaaaaaaaaaa"]["recoveryInstanceId"] == "i-1"
    assert updates["s-bbbbbbbbbbbbbbbbb"]["launchStatus"] == "FAILED"
    assert updates["s-bbbbbbbbbbbbbbbbb"]["error"] == "LAUNCH_FAILED: no capacity"
