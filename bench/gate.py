"""What `make bench` passes or fails on: only figures that do not depend on how loaded the machine is.

- AWS calls per poll (the largest) and per execution, against budgets that grow by a fraction of a
  call per server: batching makes a poll's calls grow by about one per 25 changed servers, so one
  extra call per server (an O(n) regression) breaks them by an order of magnitude at 1,000 servers;
- DRS calls in the last poll no more than in the first (settled servers cost nothing);
- the largest DynamoDB item (bytes, DynamoDB's own size rules);
- DynamoDB items read by a console refresh of a running 1,000-server execution when nothing changed
  (bench.console_refresh, at most REFRESH_ITEMS_LIMIT);
- every drill COMPLETED;
- at 1,000 servers the handler's CPU time for poll and finalize (p95), *calibrated*: each call's
  thread CPU time, less the garbage collections of the sandbox's shared heap that its thread
  happened to pay, divided by the CPU time of a fixed pure-Python workload timed in the same thread
  right before and after that call, times what that workload costs on the reference machine
  (CALIBRATION_REFERENCE_MS). A loaded or slower machine slows both alike; a regression in the
  handler slows only the first. The result reads as "ms on the reference machine" and is held to
  the issue-4 targets (poll 500 ms, finalize 1 s).

Absolute times (CPU and wall) are printed but never judged: they depend on the machine and its load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Median CPU time of bench.calibration.workload() in the handler's thread during a 1,000-server
# drill on the reference machine (2-core KVM Xeon, Python 3.11) with nothing else running.
CALIBRATION_REFERENCE_MS = 2.5
# Issue 4, at 1,000 servers, in reference-machine ms.
CPU_TARGETS_MS = {
    "poll_cpu_p95_ref_ms": 500.0,
    "finalize_cpu_p95_ref_ms": 1000.0,
    # The report (built from the record, every server and the timeline, written to S3) after finalize.
    "report_cpu_p95_ref_ms": 1000.0,
    # One step of the runbook (start a command on every instance, check it, invoke a function).
    "run_action_cpu_p95_ref_ms": 500.0,
}
CPU_GATE_MIN_SERVERS = 1000
MAX_ITEM_KB = 64.0
# (fixed, per server): the largest poll and a whole execution.
POLL_CALLS_BUDGET = (20, 0.1)
# A runbook step: SendCommand or ListCommandInvocations per 50 instances, plus the step's own reads
# and writes.
ACTION_STEP_CALLS_BUDGET = (10, 0.05)
EXECUTION_CALLS_BUDGET = (100, 0.45)
# (check, result key, budget) of every call-count gate.
CALL_BUDGETS = (
    ("AWS calls, largest poll", "aws_calls_per_poll_max", POLL_CALLS_BUDGET),
    ("AWS calls, largest action step", "aws_calls_per_action_step_max", ACTION_STEP_CALLS_BUDGET),
    ("AWS calls, execution", "aws_calls_per_execution", EXECUTION_CALLS_BUDGET),
)


@dataclass(frozen=True)
class Check:
    servers: int
    name: str
    value: Any
    limit: Any
    judged_by: str
    passed: bool

    def line(self) -> str:
        verdict = "ok  " if self.passed else "FAIL"
        return f"{verdict} {self.servers:>5} servers  {self.name:<28} {self.value!s:>10} vs {self.limit!s:<12} [{self.judged_by}]"


def calibrated_ms(cpu_seconds: float, gc_seconds: float, calibration_seconds: float) -> float:
    """One call's handler CPU in reference-machine ms (see the module docstring)."""
    own = max(0.0, cpu_seconds - gc_seconds)
    if calibration_seconds <= 0:
        return 1000 * own
    return own / calibration_seconds * CALIBRATION_REFERENCE_MS


def calls_budget(servers: int, budget: tuple[int, float]) -> int:
    fixed, per_server = budget
    return int(fixed + per_server * servers)


def judge(result: dict[str, Any]) -> list[Check]:
    """Every check one size's result is judged by."""
    n = int(result["servers"])
    checks = [
        Check(n, "status", result["status"], "COMPLETED", "outcome", result["status"] == "COMPLETED"),
        Check(
            n,
            "max item KB",
            result["max_item_kb"],
            MAX_ITEM_KB,
            "bytes",
            result["max_item_kb"] <= MAX_ITEM_KB,
        ),
    ]
    for check, key, budget in CALL_BUDGETS:
        calls = calls_budget(n, budget)
        checks.append(Check(n, check, result[key], calls, "call count", result[key] <= calls))
    first_last = result.get("drs_calls_per_poll_first_last") or []
    if len(first_last) == 2:
        first, last = first_last
        checks.append(Check(n, "DRS calls, last poll", last, f"<= {first}", "call count", last <= first))
    if n >= CPU_GATE_MIN_SERVERS:
        for name, limit in CPU_TARGETS_MS.items():
            value = result.get(name)
            checks.append(
                Check(n, name, value, limit, "calibrated CPU", value is not None and value <= limit)
            )
    return checks


# Issue 13: an execution of 1,000 servers opens in the console in under 2 s in headless Chromium on
# this machine (bench.console_page; the median of cold loads). The one absolute time judged: it is
# the issue's own target, measured where it is asked for.
CONSOLE_OPEN_LIMIT_S = 2.0


def judge_console(result: dict[str, Any]) -> list[Check]:
    """The console page's check (none when bench.console_page skipped the measurement)."""
    if "skipped" in result:
        return []
    value = result["open_median_s"]
    return [
        Check(
            int(result["servers"]),
            "console page opens (s)",
            value,
            CONSOLE_OPEN_LIMIT_S,
            "browser",
            result["status"] == "COMPLETED" and value < CONSOLE_OPEN_LIMIT_S,
        )
    ]


# Issue 22: DynamoDB items a console refresh of a running 1,000-server execution reads when nothing
# changed (bench.console_refresh): the record and two empty cursor reads, never the servers.
REFRESH_ITEMS_LIMIT = 50


def judge_refresh(result: dict[str, Any]) -> list[Check]:
    """The console refresh's check (none when bench.console_refresh was skipped)."""
    if "skipped" in result:
        return []
    value = result["idle_refresh_items"]
    return [
        Check(
            int(result["servers"]),
            "items read, idle refresh",
            value,
            REFRESH_ITEMS_LIMIT,
            "item count",
            value is not None and value <= REFRESH_ITEMS_LIMIT,
        )
    ]


def judge_all(results: Sequence[dict[str, Any]]) -> list[Check]:
    return [check for result in results for check in judge(result)]


def judged_by(checks: Sequence[Check], servers: int) -> str:
    """The gates one size's row is judged by, for the table."""
    kinds = {
        "outcome": "status",
        "bytes": "item",
        "call count": "calls",
        "calibrated CPU": "cpu/cal",
        "browser": "console",
        "item count": "items",
    }
    seen: list[str] = []
    for check in checks:
        if check.servers == servers and kinds[check.judged_by] not in seen:
            seen.append(kinds[check.judged_by])
    return "+".join(seen)
