"""One writer of an execution's status: the execution store, through one helper that applies the
status model's transition rule. Checked on the source itself (so a new write elsewhere fails here)
and on the in-memory store (the contract suite checks the same promise on DynamoDB too)."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest

from execution_utils import ExecutionStatus, IllegalTransitionError, PauseReason
from orchestrator.model import ExecutionRecord, new_progress
from orchestrator.store import Stores
from orchestrator.store.ports import Pause

SHARED = Path(__file__).resolve().parents[2] / "lambda" / "shared" / "orchestrator"
STORE = SHARED / "store" / "executions.py"
OPERATIONS = SHARED / "operations"
HELPER = "_set_status"
NOW = "2026-11-26T10:00:00.000Z"
LATER = "2026-11-26T10:05:00.000Z"


def _status_writes(tree: ast.AST) -> list[tuple[str, int]]:
    """(enclosing function, line) of every write of the top-level ``status`` field: a
    ``.set("status", ...)``, a ``sets["status"] = ...``/``if_missing["status"] = ...`` or a
    ``Change(sets={"status": ...})``-style keyword."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "set"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "status"
        ):
            found.append((function, node.lineno))
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "status"
                ):
                    found.append((function, node.lineno))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Change":
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Dict) and any(
                    isinstance(k, ast.Constant) and k.value == "status" for k in keyword.value.keys
                ):
                    found.append((function, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def _calls_transition(tree: ast.AST) -> list[int]:
    """Lines that call ``transition(...)`` (by name or as an attribute) or import it."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "transition":
                lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and any(alias.name == "transition" for alias in node.names):
            lines.append(node.lineno)
    return lines


def test_the_store_writes_an_execution_status_only_in_its_one_helper() -> None:
    # Given the execution store's source
    tree = ast.parse(STORE.read_text(encoding="utf-8"))
    # When every write of the status field is found
    writes = _status_writes(tree)
    # Then there is exactly one, inside the helper, and the helper asks the model's transition rule
    assert [function for function, _ in writes] == [HELPER], writes
    helper = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == HELPER)
    assert _calls_transition(helper), "the helper must apply transition()"


def test_the_finder_sees_each_way_of_writing_the_status() -> None:
    # Given code that writes the status in each way the finder knows, outside the helper
    source = (
        "def a(c):\n    c.set('status', 'X')\n"
        "def b(c):\n    c.sets['status'] = 'X'\n"
        "def d():\n    return Change(sets={'status': 'X'})\n"
        "def e(c):\n    c.set('waves[0].status', 'X')\n"
    )
    # Then each write of the top-level status is found, a wave's status is not
    assert [f for f, _ in _status_writes(ast.parse(source))] == ["a", "b", "d"]


def test_no_operation_checks_a_transition_itself() -> None:
    # Given every module of the operations
    modules = sorted(OPERATIONS.glob("*.py"))
    assert modules
    # Then none calls (or imports) transition(): the store applies it where the status is written
    offenders = {
        m.name: lines
        for m in modules
        if (lines := _calls_transition(ast.parse(m.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def _stored(stores: Stores, status: str) -> ExecutionRecord:
    return stores.executions.create(
        {
            "executionId": str(uuid.uuid4()),
            "planId": "plan-1",
            "planName": "shop",
            "executionType": "DRILL",
            "status": status,
            "startTime": NOW,
            "initiatedBy": "test",
            "totalWaves": 1,
            "completedWaves": 0,
            "currentWave": 0,
            "totalServers": 1,
            "options": {},
            "waves": [
                {
                    "waveNumber": 1,
                    "waveName": "W1",
                    "protectionGroupIds": ["g"],
                    "pauseBeforeWave": False,
                    "status": "NOT_STARTED",
                    "jobIds": [],
                    "serverCount": 1,
                    "recoveryInstances": 0,
                    "progress": new_progress(1),
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("status", "write"),
    [
        ("COMPLETED", "running"),
        ("CANCELLED", "cancel"),
        ("CANCELLING", "running"),
        ("IN_PROGRESS", "running"),  # a status does not "change" to itself
        ("FAILED", "final"),
    ],
)
def test_the_store_refuses_a_status_change_the_model_forbids_and_changes_nothing(
    status: str, write: str
) -> None:
    # Given an execution stored with ``status``
    stores = Stores.in_memory()
    record = _stored(stores, status)
    # When the store is asked for a change the status model forbids from there
    with pytest.raises(IllegalTransitionError):
        if write == "running":
            stores.executions.record_running(record)
        elif write == "cancel":
            stores.executions.request_cancel(record, actor="bob", reason=None, now=NOW, paused_seconds=None)
        else:
            stores.executions.record_final(
                record,
                status=ExecutionStatus.COMPLETED,
                waves=record["waves"],
                now=NOW,
                duration_seconds=1,
                completed_waves=0,
                error=None,
                jobs_pending=False,
            )
    # Then nothing stored changed
    assert stores.executions.get(record["executionId"]) == record


def test_a_pause_while_paused_keeps_the_status_and_the_time_the_pause_began() -> None:
    # Given an execution paused before its first wave
    stores = Stores.in_memory()
    paused = stores.executions.record_paused(
        _stored(stores, "IN_PROGRESS"), Pause(token="t1", reason=PauseReason.BEFORE_WAVE, wave=1, now=NOW)
    )
    # When the same pause is recorded again later (a repeated step, a new token)
    again = stores.executions.record_paused(
        paused, Pause(token="t2", reason=PauseReason.BEFORE_WAVE, wave=1, now=LATER)
    )
    # Then it is still PAUSED since the first moment, with the new token
    assert (again["status"], again["pausedTime"], again["taskToken"]) == ("PAUSED", NOW, "t2")
