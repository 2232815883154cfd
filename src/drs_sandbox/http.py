"""The sandbox's HTTP front: the REST API (requests turned into API Gateway proxy events for the real
execution-handler), the control API under /_sandbox/ (never deployed) and the operator console's built
files under /console/ (same origin as the API: no CORS, no sign-in)."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from drs_sandbox import cfn
from drs_sandbox.actions import ActionSpecError, parse_automation, parse_function, parse_list
from drs_sandbox.console_users import HEADER as COGNITO_USER_HEADER
from drs_sandbox.console_users import ConsoleUserError
from drs_sandbox.faults import FaultSpecError
from drs_sandbox.stack import ACCOUNT_ID, Stack

# The sandbox signs nobody in: every request is made by the IAM user "sandbox", unless it names
# another with this header (an IAM user name), so that tests can stage several operators at once.
CALLER_HEADER = "X-Sandbox-Caller"
_IAM_USER_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")

logger = logging.getLogger(__name__)
CONTROL_PREFIX = "/_sandbox/"
HEALTH_PATH = "/health"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
CONSOLE_PREFIX = "/console"
# What the console reads at start: the API on the same origin, no sign-in (deployed, the stack writes
# the API URL and the Cognito ids instead).
CONSOLE_CONFIG = {"apiUrl": "", "auth": "none"}
CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def console_dir() -> Path:
    """Where the built console is: frontend/dist of the project (``make console`` builds it)."""
    from drs_sandbox.cfn import repo_root

    return repo_root() / "frontend" / "dist"


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": {"code": code, "message": message}})


class ControlError(Exception):
    def __init__(self, message: str, code: str = "BAD_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class Route:
    """One REST route of the template: matches a path and names its parameters."""

    def __init__(self, method: str, resource: str) -> None:
        self.method, self.resource = method, resource
        pattern = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        self.regex = re.compile(f"^{pattern}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.regex.match(path)
        return found.groupdict() if found and method == self.method else None


class SandboxApp:
    """The WSGI application serving both APIs."""

    def __init__(self, stack: Stack, console: Path | None = None) -> None:
        self.stack = stack
        self.console = console if console is not None else console_dir()
        # Set once the scenario (servers, groups, plans) is loaded: until then /health answers 503
        # STARTING, so whoever waits for it can use the scenario's plans at once. Only /health is
        # held back: loading the scenario itself goes through this API.
        self.ready = threading.Event()
        # One API request in the handler at a time: a Lambda environment serves one request at once,
        # and the handler's REST resolver (Powertools) keeps the request it serves in the process,
        # so two requests of this threaded server must not share it. Step Functions' operations, the
        # stream and the schedules still run beside the API, as they do on AWS.
        self._api_lock = threading.Lock()
        self.routes = [Route(m, p) for m, p, _auth in cfn.api_routes(stack.template)]
        self.control: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("POST", "source-servers"): self._add_servers,
            ("POST", "faults"): self._faults,
            ("GET", "faults"): lambda _r: _json(200, self.armed_faults()),
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "notifications"): lambda _r: _json(200, self.stack.capture.notifications()),
            ("GET", "events"): lambda _r: _json(200, self.stack.capture.all_events()),
            ("GET", "dead-letters"): lambda _r: _json(200, {"messages": self.stack.dead_letters()}),
            ("POST", "dead-letters/replay"): lambda _r: _json(200, self.stack.replay_notifications()),
            ("GET", "drs-calls"): lambda _r: _json(200, self.stack.sim.call_counts()),
            ("DELETE", "drs-calls"): self._reset_calls,
            ("POST", "functions"): self._register_functions,
            ("GET", "functions"): lambda _r: _json(
                200, {"functions": self.stack.action_functions.declared()}
            ),
            ("POST", "automations"): self._declare_automations,
            ("GET", "automations"): lambda _r: _json(
                200, {"documents": self.stack.ssm.declared_automations()}
            ),
            ("GET", "invocations"): lambda _r: _json(200, {"invocations": self.stack.action_log.entries()}),
            ("DELETE", "invocations"): self._clear_invocations,
            ("POST", "find"): lambda _r: _json(200, self.stack.run_schedule()),
            # The scheduled readiness check (its rule's daily firing), now.
            ("POST", "readiness-check"): lambda _r: _json(
                200, self.stack.run_scheduled_input("ReadinessSchedule")
            ),
            ("POST", "replication"): self._stage_replication,
            # EventBridge Scheduler, simulated: the stack's schedules with their next (real) firing,
            # and one fired now.
            ("GET", "schedules"): lambda _r: _json(200, {"schedules": self.stack.scheduler.listing()}),
            ("POST", "schedules/fire"): self._fire_schedule,
            ("GET", "info"): lambda _r: _json(200, self.info()),
            ("POST", "users"): self._create_users,
            ("GET", "users"): lambda _r: _json(
                200, {"users": self.stack.console_users.all() if self.stack.console_users else []}
            ),
        }

    def info(self) -> dict[str, Any]:
        stack = self.stack
        return {
            "awsEndpoint": stack.moto_endpoint,
            "drsEndpoint": stack.drs_endpoint,
            "ssmEndpoint": stack.ssm_endpoint,
            "region": "us-east-1",
            "accountId": ACCOUNT_ID,
            "timeScale": stack.time_scale,
            "tables": stack.table_names,
            "functions": stack.function_names,
            "stateMachineArn": stack.state_machine_arn,
            "topicArn": stack.topic_arn,
            "queues": stack.queue_urls,
            "stream": stack.stream_stats(),
            "parameters": stack.resolver.parameters,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            if request.path.startswith(CONTROL_PREFIX):
                response = self._control(request)
            elif request.path == CONSOLE_PREFIX or request.path.startswith(CONSOLE_PREFIX + "/"):
                response = self._console(request)
            elif request.path.rstrip("/") == HEALTH_PATH and not self.ready.is_set():
                response = _json(503, {"status": "STARTING"})
                response.headers["Retry-After"] = "1"
            else:
                response = self._proxy(request)
        except HTTPException as e:
            response = _error(e.code or 400, "BAD_REQUEST", e.description or "bad request")
        return response(environ, start_response)

    # ------------------------------------------------------------------ control API
    def _control(self, request: Request) -> Response:
        name = request.path[len(CONTROL_PREFIX) :].strip("/")
        action = self.control.get((request.method, name))
        if action is None:
            known = sorted({n for _m, n in self.control})
            if any(n == name for _m, n in self.control):
                return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}")
            return _error(404, "NOT_FOUND", f"no control endpoint {request.path}; known: {', '.join(known)}")
        try:
            return action(request)
        except ControlError as e:
            return _error(e.status, e.code, str(e))

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError as e:
            raise ControlError(f"the body is not JSON: {e}", "MALFORMED_JSON") from e
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object", "MALFORMED_JSON")
        return body

    def _fire_schedule(self, request: Request) -> Response:
        name = self._body(request).get("name")
        if not isinstance(name, str) or not name:
            raise ControlError("name (a schedule's name) is required", "VALIDATION_FAILED", 422)
        try:
            firing = self.stack.scheduler.fire_now(name)
        except KeyError:
            raise ControlError(f"no schedule {name!r} in the stack's groups", "NOT_FOUND", 404) from None
        return _json(
            200,
            {"name": firing.name, "scheduledTime": firing.scheduled_time, "errored": firing.errored},
        )

    def _add_servers(self, request: Request) -> Response:
        """`{"servers": [spec, ...]}` adds DRS source servers (all or none): 201 and their
        DescribeSourceServers items. Each spec may carry `commandResult` {exitCode, output,
        durationSeconds}: what SSM commands sent to its recovery instance do. Re-posting an
        existing sourceServerId *with* a commandResult updates that server's commandResult (every
        other field it gives must agree with the server); any other re-post of an existing id is
        a 400, as before. A body that only updates answers 200 instead of 201."""
        servers = self._body(request).get("servers")
        if not isinstance(servers, list) or not servers:
            raise ControlError('expected {"servers": [{"sourceServerId", "hostname", ...}, ...]}')
        try:
            items, created = self.stack.sim.put_source_servers(servers)
        except ValueError as e:
            raise ControlError(str(e), "INVALID_SERVER") from e
        return _json(201 if created else 200, {"servers": items})

    def _stage_replication(self, request: Request) -> Response:
        """{sourceServerId, replicationState?, lagSeconds?}: how a source server replicates from now
        on (a lag that grows, a replication that stops). Answers its DescribeSourceServers item."""
        body = self._body(request)
        server_id = body.get("sourceServerId")
        if not isinstance(server_id, str):
            raise ControlError("sourceServerId (a string) is required")
        unknown = sorted(set(body) - {"sourceServerId", "replicationState", "lagSeconds"})
        if unknown:
            raise ControlError(
                f"unknown field {unknown[0]}; expected sourceServerId, replicationState, lagSeconds"
            )
        state, lag = body.get("replicationState"), body.get("lagSeconds")
        if state is not None and not isinstance(state, str):
            raise ControlError("replicationState must be a string")
        if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int | float)):
            raise ControlError("lagSeconds must be a number")
        try:
            return _json(200, self.stack.sim.stage_replication(server_id, state=state, lag_seconds=lag))
        except ValueError as e:
            raise ControlError(
                str(e),
                "NOT_FOUND" if "no source server" in str(e) else "BAD_REQUEST",
                404 if "no source server" in str(e) else 400,
            ) from e

    def _register_functions(self, request: Request) -> Response:
        """`{"functions": [{"name", "outcome", "output", "durationSeconds", "timeoutSeconds"}]}`
        creates (or re-declares) custom action functions in moto's Lambda, simulated as declared
        (all or none): 200 and every declared function."""
        raw = self._body(request).get("functions")
        if not isinstance(raw, list) or not raw:
            raise ControlError(
                'expected {"functions": [{"name", "outcome": "SUCCEEDED"|"FAILED"|"TIMEOUT", "output": {...}, '
                '"durationSeconds": n}, ...]}',
                "INVALID_FUNCTION",
            )
        try:
            functions = parse_list(raw, parse_function, "functions")
            self.stack.register_functions(functions)
        except (ActionSpecError, ValueError) as e:
            raise ControlError(str(e), "INVALID_FUNCTION") from e
        return _json(200, {"functions": self.stack.action_functions.declared()})

    def _declare_automations(self, request: Request) -> Response:
        """`{"documents": [{"name", "outcome", "output", "durationSeconds", "failureMessage"}]}`
        declares how SSM Automation documents' executions end (all or none): 200 and every
        declared document."""
        raw = self._body(request).get("documents")
        if not isinstance(raw, list) or not raw:
            raise ControlError(
                'expected {"documents": [{"name", "outcome": "SUCCEEDED"|"FAILED"|"TIMEOUT", '
                '"output": {"key": ["value"]}, "durationSeconds": n}, ...]}',
                "INVALID_AUTOMATION",
            )
        try:
            documents = parse_list(raw, parse_automation, "documents")
        except ActionSpecError as e:
            raise ControlError(str(e), "INVALID_AUTOMATION") from e
        self.stack.declare_automations(documents)
        return _json(200, {"documents": self.stack.ssm.declared_automations()})

    def _create_users(self, request: Request) -> Response:
        """`{"users": [{"username", "email", "group"}]}` creates console users in the template's
        Cognito user pool (moto), each in one of its groups (all or none): 201 and each user's sub
        and role. A request with `X-Sandbox-Cognito-User: <username>` then acts as that user."""
        users = self.stack.console_users
        if users is None:
            raise ControlError("the sandbox has no user pool", "INVALID_USER")
        try:
            created = users.create(self._body(request).get("users"))
        except ConsoleUserError as e:
            raise ControlError(str(e), "INVALID_USER") from e
        return _json(201, {"users": created})

    def _request_identity(self, request: Request) -> dict[str, Any]:
        """``requestContext.identity``: the sandbox's IAM user, or the console user that
        ``X-Sandbox-Cognito-User`` names (as the identity pool's credentials make it deployed)."""
        identity: dict[str, Any] = {
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent"),
        }
        name = request.headers.get(COGNITO_USER_HEADER)
        if name is None:
            # An IAM caller: the sandbox's own user, or the one `X-Sandbox-Caller` names.
            named = request.headers.get(CALLER_HEADER) or ""
            caller = named if _IAM_USER_NAME.fullmatch(named) else "sandbox"
            return {
                **identity,
                "caller": caller,
                "user": caller,
                "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/{caller}",
                "accountId": ACCOUNT_ID,
            }
        if self.stack.console_users is None:
            raise ControlError(f"{COGNITO_USER_HEADER}: the sandbox has no user pool", "UNKNOWN_USER", 403)
        try:
            return {**identity, **self.stack.console_users.request_identity(name)}
        except ConsoleUserError as e:
            # As API Gateway answers a request whose credentials it does not accept.
            raise ControlError(str(e), "UNKNOWN_USER", 403) from e

    def _clear_invocations(self, _request: Request) -> Response:
        self.stack.action_log.clear()
        return Response(status=204)

    def armed_faults(self) -> dict[str, Any]:
        """What is still armed: DRS throttling and denied calls, and the handlers' failOperations."""
        return {**self.stack.sim.faults(), "failOperations": self.stack.faults.armed()}

    def _faults(self, request: Request) -> Response:
        body = self._body(request)
        unknown = sorted(set(body) - {"throttleRate", "denyOperations", "failOperations"})
        if unknown or not body:
            raise ControlError(
                'expected {"throttleRate": 0..1}, {"denyOperations": {"DescribeJobs": N}} and/or '
                '{"failOperations": {"dynamodb:GetItem": {"count": N, "error": "ThrottlingException"}}}'
                + (f"; unknown field {unknown[0]!r}" if unknown else "")
            )
        deny = body.get("denyOperations") or {}
        if not isinstance(deny, dict):
            raise ControlError(
                f"denyOperations must map DRS operations to counts, got {deny!r}", "INVALID_FAULT"
            )
        try:
            # failOperations first: it is validated as a whole, so a bad entry arms nothing.
            if "failOperations" in body:
                self.stack.faults.arm(body["failOperations"])
            if "throttleRate" in body:
                self.stack.sim.set_throttle_rate(body["throttleRate"])
            for operation, times in deny.items():
                self.stack.sim.deny_operation(operation, times)
        except FaultSpecError as e:
            raise ControlError(f"failOperations: {e}", "INVALID_FAULT") from e
        except (ValueError, TypeError, AttributeError) as e:
            raise ControlError(str(e), "INVALID_FAULT") from e
        return _json(200, self.armed_faults())

    def _clear_faults(self, _request: Request) -> Response:
        self.stack.sim.clear_faults()
        self.stack.faults.clear()
        return _json(200, self.armed_faults())

    def _reset_calls(self, _request: Request) -> Response:
        self.stack.sim.reset_call_counts()
        return Response(status=204)

    # ------------------------------------------------------------------ console
    @property
    def console_built(self) -> bool:
        return (self.console / "index.html").is_file()

    def _console(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}")
        if request.path == CONSOLE_PREFIX:
            return Response(status=308, headers={"Location": CONSOLE_PREFIX + "/"})
        name = request.path[len(CONSOLE_PREFIX) + 1 :] or "index.html"
        if name == "config.json":
            response = _json(200, CONSOLE_CONFIG)
        elif not self.console_built:
            response = Response(
                "<!doctype html><title>Console not built</title><p>The console was not built: run "
                "<code>make console</code> (or <code>make sandbox</code>, which builds it) and reload.</p>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        else:
            path = safe_join(str(self.console), name)
            if path is None or not Path(path).is_file():
                return _error(404, "NOT_FOUND", f"no console file {request.path}")
            response = send_file(path, request.environ, max_age=None if name == "index.html" else 3600)
            if name.startswith("assets/"):
                # Vite names assets by their content hash: they never change under one name.
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        response.headers.update(CONSOLE_HEADERS)
        return response

    # ------------------------------------------------------------------ REST API -> Lambda
    def proxy_event(self, request: Request) -> dict[str, Any]:
        """An API Gateway REST (v1) proxy event for the request, as API Gateway builds it."""
        resource, path_parameters = request.path, None
        for route in self.routes:
            params = route.match(request.method, request.path)
            if params is not None:
                resource, path_parameters = route.resource, params or None
                break
        raw = request.get_data()
        try:
            body: str | None = raw.decode("utf-8") if raw else None
            encoded = False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(raw).decode(), True
        query = {k: request.args.getlist(k) for k in request.args}
        identity = self._request_identity(request)
        # The simulated sign-in is the sandbox's business: the function never sees the header.
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != COGNITO_USER_HEADER.lower()]
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(headers) or None,
            "multiValueHeaders": {k: [v for n, v in headers if n == k] for k, _v in headers} or None,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": path_parameters,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": resource,
                "httpMethod": request.method,
                "path": f"/prod{request.path}",
                "stage": "prod",
                "accountId": ACCOUNT_ID,
                "apiId": "sandbox",
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(time.time() * 1000),
                "domainName": request.host,
                "identity": identity,
            },
            "body": body,
            "isBase64Encoded": encoded,
        }

    def _proxy(self, request: Request) -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _json(413, {"message": "Request Too Long"})
        try:
            event = self.proxy_event(request)
        except ControlError as e:
            return _error(e.status, e.code, str(e))
        with self._api_lock:
            payload, errored = self.stack.runtime.invoke(self.stack.handler_name(), event)
        if errored:
            logger.error("the API handler raised", extra={"error": payload[:2000]})
            return _json(502, {"message": "Internal server error"})
        result = json.loads(payload)
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        response = Response(data, status=int(result.get("statusCode", 200)))
        headers = result.get("headers") or {}
        multi = result.get("multiValueHeaders") or {}
        # As API Gateway does: the function's values replace the default ones, each value once.
        for key in {*headers, *multi}:
            values = ([str(headers[key])] if key in headers else []) + [str(v) for v in multi.get(key, [])]
            response.headers.remove(key)
            for value in dict.fromkeys(values):
                response.headers.add(key, value)
        return response
