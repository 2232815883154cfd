"""Execution metrics (orchestrator.notify.metrics): the EMF the notification-formatter prints for each
delivered status change, driven through the real handler as in test_notifications_handler.py."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from test_notifications_handler import Stack, stream_records
from test_notifications_handler import stack as handler_stack  # noqa: F401  (a fixture, used below)

from orchestrator.notify.messages import status_change_from_record
from orchestrator.notify.metrics import CATALOGUE, DIMENSION_VALUES, NAMESPACE, status_change_metrics

NOW = "2026-11-22T12:00:00.000Z"


@pytest.fixture
def formatter(request: pytest.FixtureRequest) -> Stack:
    """The notification-formatter in moto, as test_notifications_handler.py drives it."""
    stack: Stack = request.getfixturevalue("handler_stack")
    return stack


def emf_blobs(text: str) -> list[dict[str, Any]]:
    """The EMF blobs among the lines printed to stdout (the Logger's JSON lines are not EMF)."""
    blobs = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def metrics_of(blobs: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    """{(metric name, ((dimension, value), ...)): [values]} over the blobs, checking each blob's shape."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    for blob in blobs:
        [directive] = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        [dimension_names] = directive["Dimensions"]
        dimensions = tuple((name, blob[name]) for name in dimension_names)
        for metric in directive["Metrics"]:
            name = metric["Name"]
            assert (metric["Unit"], tuple(dimension_names)) == CATALOGUE[name]
            key = (name, dimensions)
            assert key not in found, f"{key} printed twice"
            found[key] = blob[name]
    return found


DRILL = (("ExecutionType", "DRILL"),)


def test_a_completed_execution_emits_its_outcome_recovery_time_waves_and_servers(
    formatter: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stream record of a 2-wave drill that COMPLETED (one optional server failed)
    records = stream_records("completed.json")
    capsys.readouterr()

    # When the formatter delivers it
    assert formatter.invoke(records) == {"batchItemFailures": []}

    # Then the EMF blobs carry the outcome by type, the recovery time, each wave and the servers
    blobs = emf_blobs(capsys.readouterr().out)
    assert metrics_of(blobs) == {
        ("ExecutionsFinished", (("ExecutionType", "DRILL"), ("Outcome", "COMPLETED"))): [1.0],
        ("RecoveryTimeSeconds", DRILL): [930.0],  # 11:00:00 to the last wave's end, 11:15:30
        ("PausedSeconds", DRILL): [0.0],
        ("WaveDurationSeconds", DRILL): [539.0, 389.0],
        ("ServersLaunched", DRILL): [2.0],
        ("ServersFailed", DRILL): [1.0],
        ("ActionsFailed", DRILL): [0.0],
        ("WavesSkipped", DRILL): [0.0],
        ("WaveRetries", DRILL): [0.0],
    }
    # And no RtoMissed without a target; ids and names are metadata, never dimensions
    for blob in blobs:
        assert blob["executionId"] == "1d2e3f40-aaaa-4bbb-8ccc-ddddeeeeffff"
        assert (blob["planName"], blob["status"], blob["previousStatus"]) == (
            "intranet",
            "COMPLETED",
            "IN_PROGRESS",
        )
        assert "service" not in blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]


def test_a_partial_success_emits_its_outcome_and_no_recovery_time(
    formatter: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a drill cancelled after its first wave completed
    records = stream_records("cancelling.json", "partial_success_after_cancel.json")
    capsys.readouterr()

    # When the formatter delivers the batch
    assert formatter.invoke(records) == {"batchItemFailures": []}

    # Then only the terminal transition counts, as PARTIAL_SUCCESS, without a recovery time
    assert metrics_of(emf_blobs(capsys.readouterr().out)) == {
        ("ExecutionsFinished", (("ExecutionType", "DRILL"), ("Outcome", "PARTIAL_SUCCESS"))): [1.0],
        ("PausedSeconds", DRILL): [0.0],
        ("WaveDurationSeconds", DRILL): [300.0],
        ("ServersLaunched", DRILL): [2.0],
        ("ServersFailed", DRILL): [0.0],
        ("ActionsFailed", DRILL): [0.0],
        ("WavesSkipped", DRILL): [0.0],
        ("WaveRetries", DRILL): [0.0],
    }


def test_an_execution_slower_than_its_target_emits_rto_missed(
    formatter: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the completed drill, whose plan set a 10-minute RTO target (it took 15m 30s)
    [record] = stream_records("completed.json")
    record["dynamodb"]["NewImage"]["options"]["M"]["rtoTargetMinutes"] = {"N": "10"}
    capsys.readouterr()

    # When the formatter delivers it
    assert formatter.invoke([record]) == {"batchItemFailures": []}

    # Then RtoMissed is 1, next to the recovery time and its target
    found = metrics_of(emf_blobs(capsys.readouterr().out))
    assert found[("RtoMissed", DRILL)] == [1.0]
    assert found[("RecoveryTimeSeconds", DRILL)] == [930.0]
    assert found[("RecoveryTimeTargetSeconds", DRILL)] == [600.0]


def test_a_redelivered_batch_emits_nothing_twice(
    formatter: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a batch (created, started, completed) delivered once
    records = stream_records("created.json", "started.json", "completed.json")
    capsys.readouterr()
    assert formatter.invoke(records) == {"batchItemFailures": []}
    first = metrics_of(emf_blobs(capsys.readouterr().out))
    assert first[("ExecutionsStarted", DRILL)] == [1.0]
    assert ("ExecutionsFinished", (("ExecutionType", "DRILL"), ("Outcome", "COMPLETED"))) in first

    # When the stream delivers the same batch again
    assert formatter.invoke(copy.deepcopy(records)) == {"batchItemFailures": []}

    # Then nothing is counted again
    assert emf_blobs(capsys.readouterr().out) == []


def test_a_retry_after_a_failed_delivery_counts_the_transition_once(
    formatter: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given SNS refuses the deliveries of a FAILED transition (the batch's creation record goes through)
    from orchestrator.aws import clients

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params["MessageAttributes"]["status"]["StringValue"] == "FAILED":
            raise RuntimeError("SNS is down")

    sns = clients.client("sns")
    sns.meta.events.register("provide-client-params.sns.Publish", refuse, unique_id="refuse")
    records = stream_records("created.json", "failed_with_failed_servers.json")
    capsys.readouterr()
    failed = {"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}
    assert formatter.invoke(records) == {"batchItemFailures": [failed]}
    # (only the creation, delivered, was counted)
    assert list(metrics_of(emf_blobs(capsys.readouterr().out))) == [("ExecutionsStarted", DRILL)]

    # When SNS recovers and the records are retried, twice
    sns.meta.events.unregister("provide-client-params.sns.Publish", unique_id="refuse")
    assert formatter.invoke(copy.deepcopy(records)) == {"batchItemFailures": []}
    assert formatter.invoke(copy.deepcopy(records)) == {"batchItemFailures": []}

    # Then the transition was counted once, when it was delivered
    found = metrics_of(emf_blobs(capsys.readouterr().out))
    assert found[("ExecutionsFinished", (("ExecutionType", "RECOVERY"), ("Outcome", "FAILED")))] == [1.0]


@pytest.mark.parametrize(
    "fixture",
    [
        "created",
        "started",
        "paused",
        "resumed",
        "cancelling",
        "cancelled",
        "completed",
        "failed_with_failed_servers",
    ],
)
def test_every_point_has_the_dimensions_of_its_catalogue_entry_and_bounded_values(fixture: str) -> None:
    for record in stream_records(f"{fixture}.json"):
        change = status_change_from_record(record)
        assert change is not None
        for point in status_change_metrics(change, NOW):
            assert (point.unit, tuple(point.dimensions)) == CATALOGUE[point.name]
            for name, value in point.dimensions.items():
                assert value in DIMENSION_VALUES[name]


def test_only_creation_and_terminal_transitions_have_metrics() -> None:
    changes = [
        status_change_from_record(r) for r in stream_records("started.json", "paused.json", "resumed.json")
    ]
    assert [status_change_metrics(c, NOW) for c in changes if c] == [[], [], []]


def test_a_runbook_execution_counts_its_failed_actions_skipped_waves_and_retries() -> None:
    """Given a drill whose wave 1 was retried once (its check failed, then passed after the fix) and
    whose wave 2 was skipped after its gate timed out; then the runbook's metrics say so."""
    from datetime import UTC, datetime

    from orchestrator.notify.change import StatusChange

    execution = {
        "executionId": "e-1",
        "executionType": "DRILL",
        "status": "PARTIAL_SUCCESS",
        "startTime": "2026-11-26T10:00:00.000Z",
        "waves": [
            {"status": "COMPLETED", "retries": 1, "actions": [{"status": "SUCCEEDED"}, {"status": "FAILED"}]},
            {"status": "SKIPPED", "actions": [{"status": "TIMED_OUT"}, {"status": "SKIPPED"}]},
        ],
    }
    from execution_utils import ExecutionStatus

    change = StatusChange(
        execution=execution,  # type: ignore[arg-type]
        status=ExecutionStatus.PARTIAL_SUCCESS,
        previous_status=ExecutionStatus.IN_PROGRESS,
        marker="m",
    )
    points = {
        p.name: p.value
        for p in status_change_metrics(change, datetime(2026, 11, 26, 11, tzinfo=UTC).isoformat())
    }
    assert (points["ActionsFailed"], points["WavesSkipped"], points["WaveRetries"]) == (2.0, 1.0, 1.0)
