"""`drsctl sandbox` / `python -m drs_sandbox`: the whole system on one machine, in the foreground.

with Sandbox(port=0, scenario="three-tier") as sandbox:
    requests.get(sandbox.url + "/health")
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug.serving import BaseWSGIServer

from drs_sandbox.http import SandboxApp
from drs_sandbox.network import create_networks, resolve
from drs_sandbox.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario, resolve_scenario
from drs_sandbox.stack import Stack, serve_wsgi

logger = logging.getLogger(__name__)
DEFAULT_PORT = 8787
DEFAULT_TIME_SCALE = 60.0


def scenario_documents(scenario: Scenario | None) -> list[str]:
    """The SSM Automation documents the shipped scenarios and `scenario` declare: the sandbox's
    stack allows its runbooks to run them (stack parameter AllowedSsmAutomationDocuments)."""
    names: list[str] = []
    for path in sorted(builtin_scenarios().values()):
        try:
            names += [d.name for d in load_scenario(path).automations]
        except ScenarioError:
            logger.warning("a shipped scenario does not load", extra={"path": str(path)})
    if scenario is not None:
        names += [d.name for d in scenario.automations]
    return list(dict.fromkeys(names))


class SandboxError(RuntimeError):
    """The sandbox cannot start (port taken, bad scenario, ...)."""


def port_is_free(port: int) -> bool:
    """Whether the sandbox can listen on `port`, probed as its server binds (SO_REUSEADDR): the
    connections a stopped sandbox closed (a console left open in a browser) linger in TIME_WAIT for a
    minute, and they must not keep the next sandbox off the port."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Sandbox:
    """The local stack plus its HTTP front; a context manager that leaves nothing running."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        scenario: str | Path | None = None,
        time_scale: float | None = None,
        find_interval: float = 5.0,
        parameters: dict[str, str] | None = None,
        *,
        create_plans: bool = True,
        seed: int | None = None,
    ) -> None:
        self.requested_port = port
        self.scenario: Scenario | None = None
        if scenario is not None:
            try:
                self.scenario = load_scenario(resolve_scenario(scenario))
            except (ScenarioError, FileNotFoundError, ValueError) as e:
                raise SandboxError(str(e)) from e
        scale = time_scale or (self.scenario.time_scale if self.scenario else None) or DEFAULT_TIME_SCALE
        self.stack = Stack(
            time_scale=scale,
            find_interval=find_interval,
            parameters=parameters,
            seed=seed,
            ssm_documents=scenario_documents(self.scenario),
        )
        self.create_plans = create_plans
        self._server: BaseWSGIServer | None = None
        self.app: SandboxApp | None = None
        self.port = 0
        # what `drsctl plans apply` did to the scenario's groups and plans (its JSON output)
        self.applied: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def console_url(self) -> str:
        """The operator console, served on the API's own port (built by `make console`)."""
        return f"{self.url}/console/"

    @property
    def console_built(self) -> bool:
        return self.app is not None and self.app.console_built

    def start(self) -> Sandbox:
        if not port_is_free(self.requested_port):
            raise SandboxError(
                f"port {self.requested_port} on 127.0.0.1 is already in use; choose another with --port"
            )
        self.stack.start()
        try:
            try:
                self.app = SandboxApp(self.stack)
                self._server, _ = serve_wsgi(self.app, self.requested_port)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    raise SandboxError(f"port {self.requested_port} on 127.0.0.1 is already in use") from e
                raise
            self.port = self._server.server_port
            if self.scenario is not None:
                self._load_scenario(self.scenario)
            # /health answers 200 from now on: the scenario's groups and plans exist.
            self.app.ready.set()
        except BaseException:
            self.stop()
            raise
        return self

    def _load_scenario(self, scenario: Scenario) -> None:
        network_ids = create_networks(self.stack.client("ec2"), scenario.networks)
        if scenario.source_servers:
            self.stack.sim.add_source_servers(scenario.source_servers)
        if scenario.functions:
            try:
                self.stack.register_functions(scenario.functions)
            except ValueError as e:
                raise SandboxError(f"scenario {scenario.name}: functions: {e}") from e
        if scenario.automations:
            self.stack.declare_automations(scenario.automations)
        if self.create_plans and (scenario.protection_groups or scenario.recovery_plans):
            self._apply_plans(scenario, network_ids)

    def _apply_plans(self, scenario: Scenario, network_ids: dict[str, str]) -> None:
        """The scenario's groups and plans (their network placeholders resolved to the ids of the
        networks it made), created as an operator would: ``drsctl plans apply -f``, run as a program
        (the sandbox imports none of drsctl but its client)."""
        document: dict[str, Any] = {}
        for key, entries in (
            ("protectionGroups", scenario.protection_groups),
            ("recoveryPlans", scenario.recovery_plans),
        ):
            try:
                document[key] = resolve(entries, network_ids)
            except KeyError as e:
                raise SandboxError(f"scenario {scenario.name}: {key}: {e.args[0]}") from e
        with tempfile.TemporaryDirectory(prefix="drs-sandbox-") as folder:
            plan_file = Path(folder) / "plans.json"
            plan_file.write_text(json.dumps(document), encoding="utf-8")
            argv = [sys.executable, "-m", "drsctl", "--endpoint", self.url, "--output", "json"]
            done = subprocess.run(
                [*argv, "plans", "apply", "-f", str(plan_file)], capture_output=True, text=True, check=False
            )
        if done.returncode != 0:
            # drsctl --output json answers an error as {"error": {"code", "message"}} on stdout
            try:
                why = str(json.loads(done.stdout)["error"]["message"]).removeprefix(f"{plan_file}: ")
            except (ValueError, KeyError, TypeError):
                why = (done.stderr.strip().splitlines() or [f"drsctl exited {done.returncode}"])[-1]
            raise SandboxError(f"scenario {scenario.name}: its groups and plans: {why}")
        self.applied = json.loads(done.stdout)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.stack.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="drsctl sandbox", description="Serve the whole system on 127.0.0.1 until interrupted (Ctrl-C)."
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port of the REST API (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--scenario", help="a scenario file, or a built-in name (three-tier, failing-server, hundred-servers)"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        help="simulated seconds per real second (default: the scenario's, else 60)",
    )
    parser.add_argument(
        "--find-interval", type=float, default=5.0, help="seconds between scheduled `find` runs"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        with Sandbox(args.port, args.scenario, args.time_scale, args.find_interval) as sandbox:
            scenario = sandbox.scenario
            what = (
                f"scenario {scenario.name}: {len(scenario.source_servers)} source servers, "
                f"{len(scenario.protection_groups)} protection groups, {len(scenario.recovery_plans)} recovery plans"
                if scenario
                else "no scenario: add source servers with POST /_sandbox/source-servers"
            )
            print(
                f"DRS Orchestrator sandbox serving {sandbox.url} (started in {time.monotonic() - started:.1f} s, "
                f"time scale x{sandbox.stack.time_scale:g}); {what}. Ctrl-C stops it.",
                flush=True,
            )
            if sandbox.console_built:
                print(f"operator console: {sandbox.console_url}", flush=True)
            else:
                print(
                    f"operator console: not built (run `make console`, then open {sandbox.console_url})",
                    flush=True,
                )
            stop.wait()
            print("stopping the sandbox", flush=True)
    except SandboxError as e:
        print(f"drsctl sandbox: error: {e}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
