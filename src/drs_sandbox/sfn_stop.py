"""StopExecution as Step Functions does it, for executions waiting on a task token.

moto's interpreter marks the execution stopped but leaves the thread of a `.waitForTaskToken` task
blocked until the task's own timeout (a paused execution: hours), so DescribeExecution keeps
answering RUNNING. In AWS a stopped execution is ABORTED at once. While a stack runs, the sandbox
also interrupts the execution's pending callbacks, which lets moto's interpreter end the execution
as stopped. Nothing in lambda/ knows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.stepfunctions.parser.backend.execution import Execution


@contextmanager
def installed() -> Iterator[None]:
    original = Execution.stop

    def stop(self: Any, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        original(self, stop_date=stop_date, error=error, cause=cause)
        worker = getattr(self, "exec_worker", None)
        env = getattr(worker, "env", None)
        pool = getattr(getattr(env, "callback_pool_manager", None), "_pool", {})
        for endpoint in list(pool.values()):
            endpoint.interrupt_all()

    Execution.stop = stop  # type: ignore[method-assign]
    try:
        yield
    finally:
        Execution.stop = original  # type: ignore[method-assign]
