"""The bench gate (bench.gate) on synthetic measurements: it ignores the machine's load and still
catches real regressions."""

from __future__ import annotations

from typing import Any

import pytest

from bench import console_refresh, gate
from bench.calibration import sample, workload

REF = gate.CALIBRATION_REFERENCE_MS / 1000  # calibration seconds on the reference machine


def measured(
    servers: int,
    *,
    poll_cpu_s: float,
    finalize_cpu_s: float = 0.015,
    calibration_s: float = REF,
    gc_s: float = 0.0,
    calls_per_poll_max: int | None = None,
    calls_per_execution: int | None = None,
    drs_first_last: tuple[int, int] = (11, 1),
    max_item_kb: float = 1.1,
    status: str = "COMPLETED",
    report_cpu_s: float = 0.2,
    action_step_cpu_s: float = 0.2,
    calls_per_action_step_max: int | None = None,
) -> dict[str, Any]:
    """One size's result as bench.run builds it, from raw thread CPU seconds and calibration."""
    jobs = max(1, servers // 100)
    return {
        "servers": servers,
        "status": status,
        # Measured shape: about one BatchWriteItem per 25 changed servers plus a few describes.
        "aws_calls_per_poll_max": calls_per_poll_max
        if calls_per_poll_max is not None
        else 4 + jobs + servers // 20,
        "aws_calls_per_execution": calls_per_execution
        if calls_per_execution is not None
        else 40 + servers // 4,
        "drs_calls_per_poll_first_last": list(drs_first_last),
        "max_item_kb": max_item_kb,
        "poll_cpu_p95_ms": round(1000 * poll_cpu_s, 1),
        "poll_cpu_p95_ref_ms": gate.calibrated_ms(poll_cpu_s, gc_s, calibration_s),
        "finalize_cpu_p95_ref_ms": gate.calibrated_ms(finalize_cpu_s, 0.0, calibration_s),
        "report_cpu_p95_ref_ms": gate.calibrated_ms(report_cpu_s, 0.0, calibration_s),
        # Measured shape of a runbook step: a command (or a result page) per 50 instances, plus the
        # step's own reads and writes.
        "aws_calls_per_action_step_max": calls_per_action_step_max
        if calls_per_action_step_max is not None
        else 5 + servers // 50,
        "run_action_cpu_p95_ref_ms": gate.calibrated_ms(action_step_cpu_s, 0.0, calibration_s),
    }


def failed(result: dict[str, Any]) -> list[str]:
    return [c.name for c in gate.judge(result) if not c.passed]


def test_the_code_as_measured_passes() -> None:
    # 2-core reference machine, nothing else running: poll p95 about 300 ms at 1,000 servers.
    assert failed(measured(1000, poll_cpu_s=0.30)) == []
    assert failed(measured(100, poll_cpu_s=0.07, drs_first_last=(2, 2))) == []
    assert failed(measured(10, poll_cpu_s=0.02, drs_first_last=(2, 2))) == []


@pytest.mark.parametrize("slowdown", [1.8, 2.5, 4.0])
def test_a_loaded_or_slower_machine_passes_when_the_code_is_fine(slowdown: float) -> None:
    # Everything in the handler's thread, the calibration workload included, runs `slowdown` times
    # slower: the absolute poll CPU misses 500 ms, the calibrated figure does not move.
    result = measured(1000, poll_cpu_s=0.30 * slowdown, calibration_s=REF * slowdown)
    assert result["poll_cpu_p95_ms"] > 500
    assert result["poll_cpu_p95_ref_ms"] == pytest.approx(300)
    assert failed(result) == []


def test_a_collection_of_the_sandboxs_heap_paid_by_the_handler_thread_is_not_counted() -> None:
    result = measured(1000, poll_cpu_s=1.10, gc_s=0.80)
    assert result["poll_cpu_p95_ref_ms"] == pytest.approx(300)
    assert failed(result) == []


@pytest.mark.parametrize("slowdown", [1.0, 1.6, 3.0])
def test_doubled_per_server_cpu_fails_whatever_the_load(slowdown: float) -> None:
    # About 20 ms of a 1,000-server poll is fixed, the rest per server; double the per-server part.
    doubled = 0.02 + 2 * (0.30 - 0.02)
    result = measured(1000, poll_cpu_s=doubled * slowdown, calibration_s=REF * slowdown)
    assert failed(result) == ["poll_cpu_p95_ref_ms"]


def test_finalize_cpu_is_judged_too() -> None:
    assert failed(measured(1000, poll_cpu_s=0.30, finalize_cpu_s=1.2)) == ["finalize_cpu_p95_ref_ms"]


def test_cpu_is_judged_at_1000_servers_only() -> None:
    assert failed(measured(100, poll_cpu_s=0.9, drs_first_last=(2, 2))) == []


@pytest.mark.parametrize("servers", [100, 1000])
def test_an_extra_aws_call_per_server_in_every_poll_fails(servers: int) -> None:
    fine = measured(servers, poll_cpu_s=0.1)
    polls = 4
    regressed = measured(
        servers,
        poll_cpu_s=0.1,
        calls_per_poll_max=fine["aws_calls_per_poll_max"] + servers,
        calls_per_execution=fine["aws_calls_per_execution"] + polls * servers,
    )
    assert failed(regressed) == ["AWS calls, largest poll", "AWS calls, execution"]


def test_an_extra_aws_call_per_server_once_per_execution_fails() -> None:
    fine = measured(1000, poll_cpu_s=0.3)
    regressed = measured(1000, poll_cpu_s=0.3, calls_per_execution=fine["aws_calls_per_execution"] + 1000)
    assert failed(regressed) == ["AWS calls, execution"]


def test_drs_calls_that_grow_while_servers_settle_fail() -> None:
    assert failed(measured(1000, poll_cpu_s=0.3, drs_first_last=(11, 12))) == ["DRS calls, last poll"]


def test_item_size_and_outcome_are_judged_at_every_size() -> None:
    assert failed(measured(10, poll_cpu_s=0.02, drs_first_last=(2, 2), max_item_kb=65)) == ["max item KB"]
    assert failed(measured(10, poll_cpu_s=0.02, drs_first_last=(2, 2), status="FAILED")) == ["status"]


def test_missing_cpu_figures_fail_at_1000_servers() -> None:
    result = measured(1000, poll_cpu_s=0.3)
    del result["poll_cpu_p95_ref_ms"]
    assert failed(result) == ["poll_cpu_p95_ref_ms"]


def test_judged_by_names_the_gates_of_each_row() -> None:
    checks = gate.judge_all([measured(10, poll_cpu_s=0.02), measured(1000, poll_cpu_s=0.3)])
    assert gate.judged_by(checks, 10) == "status+item+calls"
    assert gate.judged_by(checks, 1000) == "status+item+calls+cpu/cal"
    assert all(c.line() for c in checks)


def test_calibrated_ms_reads_as_reference_machine_ms() -> None:
    assert gate.calibrated_ms(0.3, 0.0, REF) == pytest.approx(300)
    assert gate.calibrated_ms(0.6, 0.0, 2 * REF) == pytest.approx(300)
    assert gate.calibrated_ms(0.3, 0.1, REF) == pytest.approx(200)
    assert gate.calibrated_ms(0.3, 0.0, 0.0) == pytest.approx(300)  # no calibration: absolute


def test_the_calibration_workload_is_deterministic_and_timed() -> None:
    assert workload() == workload()
    assert 0 < sample(reps=1) < 1.0


def test_a_report_that_takes_more_than_a_second_at_1000_servers_fails() -> None:
    assert failed(measured(1000, poll_cpu_s=0.30, report_cpu_s=1.3)) == ["report_cpu_p95_ref_ms"]


def test_a_runbook_step_with_a_call_per_instance_or_a_slow_step_fails() -> None:
    """Given a runbook step that sends one command per instance instead of one per 50, or a step
    that takes more than half a second of reference CPU at 1,000 servers; then the gate fails it."""
    assert "AWS calls, largest action step" in failed(
        measured(1000, poll_cpu_s=0.3, calls_per_action_step_max=1005)
    )
    assert "AWS calls, largest action step" in failed(
        measured(100, poll_cpu_s=0.07, drs_first_last=(2, 2), calls_per_action_step_max=105)
    )
    assert "run_action_cpu_p95_ref_ms" in failed(measured(1000, poll_cpu_s=0.3, action_step_cpu_s=0.6))


def refresh_result(idle: int | None) -> dict[str, Any]:
    return {"servers": 1000, "status": "IN_PROGRESS", "full_refresh_items": 2050, "idle_refresh_items": idle}


def test_an_idle_console_refresh_that_reads_a_few_items_passes_and_one_reading_every_server_fails() -> None:
    """Given the refresh of a running 1,000-server execution when nothing changed: three items (the
    record, two empty cursor reads) pass; a refresh that reads the servers again fails, and so does
    one that never found a quiet moment to measure."""
    (passed,) = gate.judge_refresh(refresh_result(3))
    assert passed.passed and passed.limit == gate.REFRESH_ITEMS_LIMIT and passed.judged_by == "item count"
    assert not gate.judge_refresh(refresh_result(1001))[0].passed
    assert not gate.judge_refresh(refresh_result(None))[0].passed
    assert gate.judge_refresh({"skipped": "no sandbox"}) == []


def test_items_read_are_counted_from_dynamodbs_answers() -> None:
    """A Query counts the items it scanned (before any filter), a GetItem its item, a BatchGetItem
    every item it answered; a write reads nothing."""
    assert console_refresh.items_read("Query", {"Count": 2, "ScannedCount": 7}) == 7
    assert console_refresh.items_read("GetItem", {"Item": {"k": {"S": "v"}}}) == 1
    assert console_refresh.items_read("GetItem", {}) == 0
    assert console_refresh.items_read("BatchGetItem", {"Responses": {"a": [{}, {}], "b": [{}]}}) == 3
    assert console_refresh.items_read("PutItem", {}) == 0
