"""Properties of the status model that must hold for any sequence of events (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from execution_utils import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ExecutionStatus,
    IllegalTransitionError,
    UnknownStatusError,
    WaveStatus,
    can_terminate_execution,
    decide_final_status,
    normalize_execution_status,
    transition,
)

statuses = st.sampled_from(list(ExecutionStatus))
wave_statuses = st.sampled_from(list(WaveStatus))
waves = st.lists(
    st.fixed_dictionaries(
        {"status": wave_statuses, "recoveryInstances": st.integers(min_value=0, max_value=5)}
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=300)
@given(start=statuses, targets=st.lists(statuses, max_size=12))
def test_no_sequence_of_transitions_leaves_a_terminal_status(
    start: ExecutionStatus, targets: list[ExecutionStatus]
) -> None:
    current = start
    for target in targets:
        was_terminal = current in TERMINAL_STATUSES
        try:
            current = transition(current, target)
        except IllegalTransitionError:
            continue
        assert not was_terminal, f"left terminal status for {target}"


@settings(max_examples=300)
@given(waves=waves, cancel=st.booleans(), error=st.one_of(st.none(), st.text(min_size=1, max_size=10)))
def test_completed_only_when_every_wave_completed(
    waves: list[dict[str, Any]], cancel: bool, error: str | None
) -> None:
    final = decide_final_status(waves, cancel_requested=cancel, error=error)
    assert final in TERMINAL_STATUSES
    if final is ExecutionStatus.COMPLETED:
        assert all(w["status"] == WaveStatus.COMPLETED for w in waves)
    if final is ExecutionStatus.PARTIAL_SUCCESS:
        assert any(w["status"] == WaveStatus.COMPLETED and w["recoveryInstances"] for w in waves)


@settings(max_examples=300)
@given(status=statuses, waves=waves, terminated=st.booleans())
def test_terminate_never_for_active_executions_or_without_instances(
    status: ExecutionStatus, waves: list[dict[str, Any]], terminated: bool
) -> None:
    verdict = can_terminate_execution({"status": status, "waves": waves, "instancesTerminated": terminated})
    has_instances = any(w["recoveryInstances"] for w in waves)
    assert verdict["hasRecoveryInstances"] is has_instances
    if status in ACTIVE_STATUSES or not has_instances or terminated:
        assert verdict["canTerminate"] is False and verdict["reason"]


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_normalisation_is_total_and_idempotent(raw: str) -> None:
    try:
        status = normalize_execution_status(raw)
    except UnknownStatusError:
        return
    assert normalize_execution_status(str(status)) is status
    assert normalize_execution_status(str(status).lower()) is status
