"""Runs the template's Lambda handlers in-process when moto invokes a function.

moto executes Lambda code only in Docker, which this machine (and many laptops) does not have. This
module replaces moto's one invocation hook, ``LambdaFunction._invoke_lambda``, with a call of the
real ``index.handler`` loaded from the function's code folder (the shared layer on ``sys.path`` as in
Lambda). A handler's exception becomes a Lambda error payload (``errorType`` = the exception's
class name), so the state machine's Retry and Catch see the same error names as in AWS.
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import logging
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaFunction

from drs_sandbox.cfn import FunctionSpec

logger = logging.getLogger(__name__)
Handler = Callable[[Any, Any], Any]
# A simulated function: event -> (payload, errored).
Responder = Callable[[Any], tuple[str, bool]]
# The function whose handler runs in this thread (None outside handlers): lets the sandbox tell the
# handlers' AWS calls from its own (drs_sandbox.faults).
current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sandbox_current_function", default=None
)


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object the handlers (and Powertools) read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str
    invoked_function_arn: str
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "sandbox"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


def load_handler(spec: FunctionSpec) -> Handler:
    """Import ``<code_dir>/<module>.py`` under a unique module name and return its handler."""
    module_name, _, function_name = spec.handler.rpartition(".")
    for layer in spec.layer_dirs:
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
    unique = f"_sandbox_{spec.logical_id}_{module_name}"
    module_spec = importlib.util.spec_from_file_location(unique, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    sys.modules[unique] = module
    module_spec.loader.exec_module(module)
    handler: Handler = getattr(module, function_name)
    return handler


def error_payload(error: BaseException) -> dict[str, Any]:
    """What Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class InProcessLambda:
    """Registry of handlers by function name, and the replacement of moto's invocation."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, LambdaContext]] = {}
        self._simulated: dict[str, Responder] = {}
        self._lock = threading.Lock()
        self.invocations = 0

    def register(self, function_name: str, arn: str, handler: Handler, spec: FunctionSpec) -> None:
        context = LambdaContext(
            function_name=function_name,
            memory_limit_in_mb=spec.memory,
            timeout_seconds=spec.timeout,
            aws_request_id="",
            invoked_function_arn=arn,
            log_group_name=f"/aws/lambda/{function_name}",
        )
        with self._lock:
            self._handlers[function_name] = (handler, context)

    def register_simulated(self, function_name: str, respond: Responder) -> None:
        """Answer the invocations of `function_name` with `respond(event) -> (payload, errored)`
        (replacing a previous responder)."""
        with self._lock:
            self._simulated[function_name] = respond

    def answers(self, function_name: str) -> bool:
        """True when the runtime answers this function's invocations (handler or simulated)."""
        with self._lock:
            return function_name in self._handlers or function_name in self._simulated

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool]:
        """(payload, errored) of one invocation, as Lambda's runtime would answer."""
        with self._lock:
            simulated = self._simulated.get(function_name) if function_name not in self._handlers else None
        if simulated is not None:
            return simulated(event)
        with self._lock:
            handler, template = self._handlers[function_name]
            self.invocations += 1
        context = LambdaContext(**{**template.__dict__, "aws_request_id": str(uuid.uuid4())})
        token = current_function.set(function_name)
        try:
            result = handler(event, context)
        except Exception as error:  # every handler error becomes Lambda's error payload
            logger.warning(
                "handler raised", extra={"function": function_name, "errorType": type(error).__name__}
            )
            return json.dumps(error_payload(error)), True
        finally:
            current_function.reset(token)
        return json.dumps(result, default=str), False

    @contextmanager
    def installed(self) -> Iterator[InProcessLambda]:
        """Route moto's Lambda invocations to the registered handlers while the block runs."""
        original = LambdaFunction._invoke_lambda
        original_invoke = LambdaFunction.invoke
        runtime = self

        def _invoke_lambda(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            if not runtime.answers(function.function_name):
                return original(function, event)
            payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
            body, errored = runtime.invoke(function.function_name, payload)
            return body, errored, ""

        def invoke(function: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> Any:
            result = original_invoke(function, body, request_headers, response_headers)
            if runtime.answers(function.function_name) and "x-amz-function-error" in response_headers:
                # Lambda's Python runtime reports an uncaught exception (and a timeout) as Unhandled.
                response_headers["x-amz-function-error"] = "Unhandled"
            return result

        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign,assignment]
        LambdaFunction.invoke = invoke  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]
            LambdaFunction.invoke = original_invoke  # type: ignore[method-assign]
