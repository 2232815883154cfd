"""The console's execution page at 1,000 servers, in headless Chromium (issue 13: under 2 s).

Runs a one-wave drill of 1,000 servers in a sandbox of its own (quick phases, a high time scale,
DRS limits raised as bench.run raises them), waits for it to be COMPLETED, then opens
/console/#/executions/<id> in a fresh Chromium profile (nothing cached) and measures, from the
navigation's start to the frame in which both are on screen, the time until the execution's status
label is shown and the server table shows its first page. Several cold loads; the median is judged
(bench.gate.judge_console). Also prints the built bundle's size gzipped (each file of
frontend/dist/assets gzipped, summed).

    .venv/bin/python -m bench.console_page
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from drs_sandbox.chromium import CHROMIUM_FLAGS, chromium_path
from drs_sandbox.drs import DrsLimits
from drs_sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "frontend" / "dist"
PHASES = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}
# True once the status label and the server table's first row are both in the document and shown:
# then the time since the navigation started (performance.now()).
OPENED = """(label) => {
  const status = document.querySelector('[data-testid="execution-status"]');
  const row = document.querySelector('[data-testid="server-table"] tbody tr');
  const shown = (e) => e && e.getClientRects().length > 0;
  return shown(status) && status.textContent.includes(label) && shown(row) && row.textContent.includes('bench-')
    ? performance.now() : 0;
}"""


def missing() -> str | None:
    """Why the page cannot be measured here, or None."""
    if not chromium_path():
        return "chromium is not installed (make chromium)"
    if not (DIST / "index.html").is_file():
        return "the console is not built (make console)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make setup)"
    return None


def bundle_gzip_bytes() -> tuple[int, int]:
    """(raw, gzipped) bytes of every file of frontend/dist/assets, each gzipped on its own."""
    files = [f for f in sorted((DIST / "assets").rglob("*")) if f.is_file()]
    raw = sum(f.stat().st_size for f in files)
    return raw, sum(len(gzip.compress(f.read_bytes(), compresslevel=9)) for f in files)


def completed_drill(sandbox: Sandbox, servers: int) -> dict[str, Any]:
    """A one-wave drill of `servers` fresh servers, followed to its end; its record."""
    http = requests.Session()
    url = sandbox.url
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(servers)]
    specs = [
        {"sourceServerId": i, "hostname": f"bench-{n:04d}", "phaseDurations": PHASES}
        for n, i in enumerate(ids)
    ]
    http.post(f"{url}/_sandbox/source-servers", json={"servers": specs}, timeout=120).raise_for_status()
    group = http.post(
        f"{url}/protection-groups", json={"name": "console-bench", "sourceServerIds": ids}, timeout=60
    ).json()["groupId"]
    plan = http.post(
        f"{url}/recovery-plans",
        json={"name": "console-bench", "waves": [{"waveName": "All", "protectionGroupIds": [group]}]},
        timeout=60,
    ).json()["planId"]
    execution_id = http.post(
        f"{url}/recovery-plans/{plan}/executions", json={"executionType": "DRILL"}, timeout=120
    ).json()["executionId"]
    deadline = time.monotonic() + 600
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        record = http.get(f"{url}/executions/{execution_id}", timeout=60).json()
        if record["status"] in {"COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}:
            break
        time.sleep(0.25)
    return record


def open_page(chromium: str, url: str, label: str, loads: int) -> list[float]:
    """Seconds from the navigation's start until the page shows `label` and the server table, each
    load in a fresh profile (cold cache)."""
    from playwright.sync_api import sync_playwright

    seconds: list[float] = []
    with sync_playwright() as playwright:
        for _ in range(loads):
            profile = tempfile.mkdtemp(prefix="console-bench-")
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                args=CHROMIUM_FLAGS,
                headless=True,
                viewport={"width": 1440, "height": 900},
            )
            try:
                page = context.new_page()
                page.goto("about:blank")
                page.goto(url, wait_until="commit")
                opened = page.wait_for_function(OPENED, arg=label, polling="raf", timeout=60_000)
                seconds.append(float(opened.json_value()) / 1000)
            finally:
                context.close()
                shutil.rmtree(profile, ignore_errors=True)
    return seconds


def measure(servers: int = 1000, loads: int = 3, time_scale: float = 6000.0) -> dict[str, Any]:
    """The page's opening time at `servers` servers and the bundle's size; {"skipped": reason} when
    Chromium or the built console is missing."""
    reason = missing()
    if reason:
        return {"skipped": reason}
    raw, gzipped = bundle_gzip_bytes()
    parameters = {
        "PollMinSeconds": "1",
        "PollMaxSeconds": "3",
        "DrsMaxServersInActiveJobs": str(max(500, servers)),
    }
    started = time.monotonic()
    with Sandbox(port=0, time_scale=time_scale, find_interval=3600, parameters=parameters) as sandbox:
        sandbox.stack.sim.set_limits(DrsLimits(max_servers_in_active_jobs=max(500, servers)))
        record = completed_drill(sandbox, servers)
        drill_s = time.monotonic() - started
        url = f"{sandbox.console_url}#/executions/{record['executionId']}"
        seconds = open_page(str(chromium_path()), url, str(record["statusLabel"]), loads)
    return {
        "servers": servers,
        "status": record["status"],
        "open_s": [round(s, 3) for s in seconds],
        "open_median_s": round(statistics.median(seconds), 3),
        "bundle_kb": round(raw / 1024, 1),
        "bundle_gzip_kb": round(gzipped / 1024, 1),
        "drill_s": round(drill_s, 1),
        "total_s": round(time.monotonic() - started, 1),
    }


def line(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"console page: skipped: {result['skipped']}"
    return (
        f"console page, execution of {result['servers']} servers ({result['status']}): opens in "
        f"{result['open_median_s']} s (median of {len(result['open_s'])} cold loads: "
        f"{', '.join(f'{s} s' for s in result['open_s'])}); bundle {result['bundle_gzip_kb']} KB gzipped "
        f"({result['bundle_kb']} KB raw, frontend/dist/assets); drill {result['drill_s']} s, "
        f"total {result['total_s']} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.console_page", description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=3, help="cold page loads (the median is judged)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.servers, args.loads)
    print(json.dumps(result, indent=2) if args.json else line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
