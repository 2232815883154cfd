"""`drsctl drill`: drills of many plans, one after another, continuing past failures; the exit
status says whether all (0), some (2) or none (1) succeeded."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from drsctl.client import ApiClient, DrsctlError
from execution_utils import TERMINAL_STATUSES


@dataclass
class DrillResult:
    plan: str
    succeeded: bool
    status: str | None = None
    execution_id: str | None = None
    error: str | None = None
    duration_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "succeeded": self.succeeded,
            "status": self.status,
            "executionId": self.execution_id,
            "error": self.error,
            "durationSeconds": round(self.duration_seconds, 1),
        }


def run_drill(
    client: ApiClient,
    plan: dict[str, Any],
    *,
    timeout: float,
    poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> DrillResult:
    started = clock()
    result = DrillResult(plan=plan["name"], succeeded=False)
    try:
        result.execution_id = client.post(
            f"/recovery-plans/{plan['planId']}/executions", {"executionType": "DRILL"}
        )["executionId"]
        while True:
            execution = client.get(f"/executions/{result.execution_id}")
            result.status = execution["status"]
            if execution["status"] in TERMINAL_STATUSES:
                result.succeeded = execution["status"] == "COMPLETED"
                if not result.succeeded:
                    result.error = execution.get("error") or execution["statusLabel"]
                break
            if clock() - started >= timeout:
                result.error = (
                    f"timed out after {timeout:g} s in {execution['status']}; the execution was cancelled"
                )
                try:
                    client.post(f"/executions/{result.execution_id}/cancel", {})
                except DrsctlError as e:
                    result.error += f" (cancel failed: {e})"
                break
            sleep(poll_seconds)
    except DrsctlError as e:
        result.error = str(e)
    result.duration_seconds = clock() - started
    return result


def run_drills(
    client: ApiClient,
    plans: list[dict[str, Any]],
    *,
    parallel: int,
    timeout: float,
    poll_seconds: float = 5.0,
    on_done: Callable[[DrillResult], None] = lambda _r: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[DrillResult]:
    """Every plan's drill, at most `parallel` at once; one plan's failure never stops the others."""
    results: list[DrillResult] = []
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [
            pool.submit(
                run_drill, client, plan, timeout=timeout, poll_seconds=poll_seconds, sleep=sleep, clock=clock
            )
            for plan in plans
        ]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            on_done(result)
    order = {p["name"]: i for i, p in enumerate(plans)}
    return sorted(results, key=lambda r: order.get(r.plan, 0))


def batch_exit_code(results: list[DrillResult]) -> int:
    succeeded = sum(r.succeeded for r in results)
    if results and succeeded == len(results):
        return 0
    return 1 if succeeded == 0 else 2
