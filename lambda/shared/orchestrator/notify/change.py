"""A status change of an execution, read from the executions stream, and the values every message
about it shares: the limits of each text, the waves and progress, the plan's name and the kind of
execution, text cleaned to one line. Pure: no clients, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from execution_utils import (
    ExecutionStatus,
    PauseReason,
    merge_progress,
    normalize_wave_status,
)
from orchestrator.model import ExecutionRecord

SOURCE = "drs-orchestrator"

DETAIL_TYPE = "Execution Status Change"

PRODUCT = "DRS Orchestrator"

SUBJECT_MAX_CHARS = 99  # SNS: "less than 100 characters"

SMS_MAX_CHARS = 140

MAX_FAILED_SERVERS_LISTED = 20

MAX_ERROR_CHARS = 500

MAX_COMMENT_CHARS = 300

MAX_PRINCIPAL_CHARS = 200

# Terminal escape sequences (an action's error may carry a command's colours): dropped.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")

# Control characters (C0, DEL, C1), the Unicode line and paragraph separators and the bidirectional
# controls: none may start a line of its own or make a text read otherwise than it is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True)
class StatusChange:
    """A stream record in which the execution's status changed (or the execution was created)."""

    execution: ExecutionRecord
    status: ExecutionStatus
    previous_status: ExecutionStatus | None
    marker: str

    @property
    def execution_id(self) -> str:
        return str(self.execution["executionId"])

    def transition_key(self) -> dict[str, str]:
        """What makes this transition unique: redelivering the record gives the same key."""
        return {
            "executionId": self.execution_id,
            "previousStatus": str(self.previous_status or "NONE"),
            "status": str(self.status),
            "marker": self.marker,
        }


def waves_of(execution: Mapping[str, Any]) -> list[dict[str, Any]]:
    waves = []
    for number, wave in enumerate(execution.get("waves") or [], start=1):
        status = normalize_wave_status(str(wave.get("status") or "NOT_STARTED"))
        waves.append({**wave, "waveNumber": wave.get("waveNumber", number), "status": str(status)})
    return waves


def wave_progress(waves: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return merge_progress((w.get("progress") or {}) for w in waves)


def one_line(value: Any) -> str:
    """User or remote text on one line of plain text: no line breaks, controls or escapes."""
    return _CONTROL.sub(" ", _ANSI.sub("", str(value))).strip()


def pause_reason(execution: Mapping[str, Any]) -> str | None:
    """Why a PAUSED execution waits; records older than pause reasons paused before a wave."""
    try:
        return str(PauseReason(str(execution.get("pauseReason"))))
    except ValueError:
        return str(PauseReason.BEFORE_WAVE) if execution.get("pausedBeforeWave") else None


def paused_wave(execution: Mapping[str, Any]) -> Any:
    return execution.get("pausedWave") or execution.get("pausedBeforeWave")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def plan_name(execution: Mapping[str, Any]) -> str:
    return one_line(execution.get("planName") or execution.get("planId") or "unknown plan")


def kind_of(execution: Mapping[str, Any]) -> str:
    kind = str(execution.get("executionType") or "").strip().lower()
    return kind if kind in ("drill", "recovery") else "execution"
