"""CloudWatch metrics of execution status changes (Powertools Metrics, embedded metric format).

``status_change_metrics`` is pure: a status change in, the metric points it stands for out. ``emit``
is the thin Powertools plumbing: one EMF blob per dimension set, printed to stdout (the function's
log), where CloudWatch turns it into metrics of the ``DRSOrchestrator`` namespace.

Dimensions are low-cardinality only: ``ExecutionType`` (DRILL, RECOVERY, or UNKNOWN) and, on
``ExecutionsFinished``, ``Outcome`` (a terminal status). Execution ids and plan names travel as EMF
metadata (searchable in CloudWatch Logs Insights), never as dimensions. The alarms and the dashboard
of template.yaml name these metrics; tests/unit/test_dashboard_alarms.py checks they agree with
``CATALOGUE``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import EphemeralMetrics

from execution_utils import (
    TERMINAL_STATUSES,
    duration_seconds,
    merge_progress,
    recovery_time,
)
from orchestrator.notify.change import StatusChange

NAMESPACE = "DRSOrchestrator"
EXECUTION_TYPES = ("DRILL", "RECOVERY")
UNKNOWN_TYPE = "UNKNOWN"
OUTCOMES = tuple(sorted(str(s) for s in TERMINAL_STATUSES))


class MetricSpec(NamedTuple):
    unit: str
    dimensions: tuple[str, ...]


# Every metric this module emits: its unit and its dimension names (always all of them, in this order).
CATALOGUE: dict[str, MetricSpec] = {
    "ExecutionsStarted": MetricSpec("Count", ("ExecutionType",)),
    "ExecutionsFinished": MetricSpec("Count", ("ExecutionType", "Outcome")),
    "RecoveryTimeSeconds": MetricSpec("Seconds", ("ExecutionType",)),
    "RecoveryTimeTargetSeconds": MetricSpec("Seconds", ("ExecutionType",)),
    "PausedSeconds": MetricSpec("Seconds", ("ExecutionType",)),
    "RtoMissed": MetricSpec("Count", ("ExecutionType",)),
    "WaveDurationSeconds": MetricSpec("Seconds", ("ExecutionType",)),
    "ServersLaunched": MetricSpec("Count", ("ExecutionType",)),
    "ServersFailed": MetricSpec("Count", ("ExecutionType",)),
    # The runbook: actions that failed or timed out (with CONTINUE too), waves skipped and retries.
    "ActionsFailed": MetricSpec("Count", ("ExecutionType",)),
    "WavesSkipped": MetricSpec("Count", ("ExecutionType",)),
    "WaveRetries": MetricSpec("Count", ("ExecutionType",)),
}
# The values each dimension may take (so its cardinality is bounded).
DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "ExecutionType": (*EXECUTION_TYPES, UNKNOWN_TYPE),
    "Outcome": OUTCOMES,
}


class MetricPoint(NamedTuple):
    name: str
    unit: str
    value: float
    dimensions: dict[str, str]


def execution_type(execution: Mapping[str, Any]) -> str:
    kind = str(execution.get("executionType") or "").strip().upper()
    return kind if kind in EXECUTION_TYPES else UNKNOWN_TYPE


def _point(name: str, value: float, **dimensions: str) -> MetricPoint:
    spec = CATALOGUE[name]
    if tuple(dimensions) != spec.dimensions:
        raise ValueError(f"{name} takes the dimensions {spec.dimensions}, not {tuple(dimensions)}")
    return MetricPoint(name, spec.unit, float(value), dimensions)


def status_change_metrics(change: StatusChange, now_iso: str) -> list[MetricPoint]:
    """The metric points of one status change, in a stable order.

    - the execution was created (no previous status, normally PENDING): ``ExecutionsStarted`` 1;
    - it ended (a terminal status): ``ExecutionsFinished`` 1 by Outcome; ``RecoveryTimeSeconds`` (only
      when measured, i.e. COMPLETED) and ``RecoveryTimeTargetSeconds`` (only with a target);
      ``PausedSeconds``; ``RtoMissed`` 1 when the target was missed, 0 when met, nothing without a
      target; one ``WaveDurationSeconds`` per wave that started and ended; ``ServersLaunched`` and
      ``ServersFailed`` from the waves' progress counts; ``ActionsFailed`` (runbook actions that
      ended FAILED or TIMED_OUT), ``WavesSkipped`` and ``WaveRetries``;
    - any other transition: nothing.
    """
    execution = change.execution
    kind = execution_type(execution)
    points: list[MetricPoint] = []
    if change.previous_status is None:
        points.append(_point("ExecutionsStarted", 1, ExecutionType=kind))
    if change.status not in TERMINAL_STATUSES:
        return points
    points.append(_point("ExecutionsFinished", 1, ExecutionType=kind, Outcome=str(change.status)))
    measured = recovery_time({**execution, "status": str(change.status)}, now_iso)
    if measured["seconds"] is not None:
        points.append(_point("RecoveryTimeSeconds", measured["seconds"], ExecutionType=kind))
    if measured["targetSeconds"] is not None:
        points.append(_point("RecoveryTimeTargetSeconds", measured["targetSeconds"], ExecutionType=kind))
    points.append(_point("PausedSeconds", measured["pausedSeconds"], ExecutionType=kind))
    if measured["met"] is not None:
        points.append(_point("RtoMissed", 0 if measured["met"] else 1, ExecutionType=kind))
    waves = [w for w in execution.get("waves") or [] if isinstance(w, Mapping)]
    for wave in waves:
        seconds = duration_seconds(wave.get("startTime"), wave.get("endTime"))
        if seconds is not None:
            points.append(_point("WaveDurationSeconds", seconds, ExecutionType=kind))
    progress = merge_progress((w.get("progress") or {}) for w in waves)
    points.append(_point("ServersLaunched", progress["launched"], ExecutionType=kind))
    points.append(_point("ServersFailed", progress["failed"], ExecutionType=kind))
    failed_actions = sum(
        1 for w in waves for a in w.get("actions") or [] if a.get("status") in ("FAILED", "TIMED_OUT")
    )
    points.append(_point("ActionsFailed", failed_actions, ExecutionType=kind))
    points.append(
        _point("WavesSkipped", sum(1 for w in waves if w.get("status") == "SKIPPED"), ExecutionType=kind)
    )
    points.append(_point("WaveRetries", sum(int(w.get("retries") or 0) for w in waves), ExecutionType=kind))
    return points


def status_change_metadata(change: StatusChange) -> dict[str, str]:
    """What identifies the change in the EMF blob without being a dimension."""
    execution = change.execution
    values = {
        "executionId": change.execution_id,
        "planId": execution.get("planId"),
        "planName": execution.get("planName"),
        "status": str(change.status),
        "previousStatus": str(change.previous_status) if change.previous_status else None,
    }
    return {key: str(value) for key, value in values.items() if value}


def namespace() -> str:
    """``POWERTOOLS_METRICS_NAMESPACE`` (set in template.yaml's Globals), else ``DRSOrchestrator``."""
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE


def emit(points: Iterable[MetricPoint], metadata: Mapping[str, str] | None = None) -> int:
    """Print the points as EMF, one blob per dimension set; returns the number of blobs.

    Each blob gets its own EphemeralMetrics (no state shared with other blobs or invocations). Its
    ``service`` is empty on purpose: Powertools would otherwise add ``service`` as a dimension, and
    the alarms name the exact dimension sets of CATALOGUE.
    """
    groups: dict[tuple[tuple[str, str], ...], list[MetricPoint]] = {}
    for point in points:
        groups.setdefault(tuple(point.dimensions.items()), []).append(point)
    for dimensions, group in groups.items():
        blob = EphemeralMetrics(namespace=namespace(), service="")
        for name, value in dimensions:
            blob.add_dimension(name=name, value=value)
        for key, text in (metadata or {}).items():
            blob.add_metadata(key=key, value=text)
        for point in group:
            blob.add_metric(name=point.name, unit=point.unit, value=point.value)
        blob.flush_metrics(raise_on_empty_metrics=True)
    return len(groups)


def emit_status_change(change: StatusChange, now_iso: str) -> int:
    """Emit the metrics of one delivered status change; returns the number of EMF blobs printed."""
    points = status_change_metrics(change, now_iso)
    return emit(points, status_change_metadata(change)) if points else 0


__all__ = [
    "CATALOGUE",
    "DIMENSION_VALUES",
    "NAMESPACE",
    "MetricPoint",
    "emit",
    "emit_status_change",
    "execution_type",
    "status_change_metrics",
]
