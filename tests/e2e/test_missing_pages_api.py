"""The API behind the console's missing pages, through the sandbox (the real state machine and
handlers, the DRS simulator, moto): a protection group's servers with replication state and lag, the
plans that use it and its executions; the Gantt chart carried by the JSON report, bar for bar the
page's; a short-lived report link that a plain HTTP client (a colleague's browser) can open; the
ended drills whose instances still run, until they are terminated; and servers named by hostname
with their id beside it in a wave's error and the timeline."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sandbox_api import QUICK, Api, finished, until

pytestmark = pytest.mark.slow

TERMINATION_TIMEOUT = 90.0


def _server(api: Api, hostname: str, **spec: Any) -> str:
    sid = f"s-{uuid.uuid4().hex[:17]}"
    body = {"sourceServerId": sid, "hostname": hostname, "phaseDurations": QUICK, **spec}
    api.call("POST", "/_sandbox/source-servers", {"servers": [body]}, expect=201)
    return sid


def _plan(api: Api, group_id: str) -> dict[str, Any]:
    body = {
        "name": f"plan-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "Database", "protectionGroupIds": [group_id], "pauseBeforeWave": False}],
    }
    return dict(api.call("POST", "/recovery-plans", body, expect=201))


@pytest.fixture(scope="module")
def ended_drill(sandbox: Any) -> dict[str, Any]:
    """Given a group of two servers (db01-…, db02-…) in a one-wave plan, and a drill of it that
    completed, with its report stored."""
    api = Api(sandbox.url)
    tag = uuid.uuid4().hex[:6]
    hosts = [f"db01-{tag}", f"db02-{tag}"]
    # (each phase lasts 5 real seconds, so that polls 1 to 3 s apart see every one even on a loaded
    # machine: the chart's phases are what the polls saw)
    seen = {"snapshot": 300, "conversion": 300, "launch": 300, "boot": 120}
    ids = [_server(api, h, phaseDurations=seen) for h in hosts]
    group_id = api.group(ids)
    plan = _plan(api, group_id)
    execution_id = api.start(plan["planId"])
    record, _ = api.watch(execution_id, finished)
    assert record["status"] == "COMPLETED"
    api.watch(execution_id, lambda r: bool(r.get("reportLocation")))
    return {"groupId": group_id, "plan": plan, "executionId": execution_id, "ids": ids, "hosts": hosts}


def test_a_group_page_shows_its_servers_replication_state_and_lag(
    api: Api, ended_drill: dict[str, Any]
) -> None:
    """Given the group of the drill; when its servers are asked for; then each is named by hostname
    with its id, replicating CONTINUOUS, healthy, with a lag of 0 s as DRS reports it (PT0S)."""
    answer = api.call("GET", f"/protection-groups/{ended_drill['groupId']}/servers", expect=200)
    by_id = {s["sourceServerId"]: s for s in answer["items"]}
    assert sorted(by_id) == sorted(ended_drill["ids"])
    for sid, host in zip(ended_drill["ids"], ended_drill["hosts"], strict=True):
        assert by_id[sid]["hostname"] == host
        assert by_id[sid]["found"] is True
        assert by_id[sid]["replicationState"] == "CONTINUOUS"
        assert by_id[sid]["replicationHealthy"] is True
        assert (by_id[sid]["lagDuration"], by_id[sid]["lagSeconds"]) == ("PT0S", 0)


def test_a_lagging_server_and_an_unknown_id_read_as_such(api: Api) -> None:
    """Given a group of a server still in its initial sync and an id DRS does not know; then the
    first reads INITIAL_SYNC, unhealthy, with the lag DRS reports in seconds; the second not found."""
    lagging = _server(api, f"slow-{uuid.uuid4().hex[:6]}", replicationState="INITIAL_SYNC")
    unknown = f"s-{uuid.uuid4().hex[:17]}"
    group_id = api.group([lagging, unknown])
    items = api.call("GET", f"/protection-groups/{group_id}/servers", expect=200)["items"]
    by_id = {s["sourceServerId"]: s for s in items}
    assert by_id[lagging]["replicationState"] == "INITIAL_SYNC"
    assert by_id[lagging]["replicationHealthy"] is False
    assert by_id[lagging]["lagSeconds"] >= 300
    assert by_id[lagging]["lagDuration"] == f"PT{by_id[lagging]['lagSeconds']}S"
    assert by_id[unknown]["found"] is False
    assert by_id[unknown]["replicationState"] is None


def test_a_group_page_shows_the_plans_that_use_it_and_its_recent_executions(
    api: Api, ended_drill: dict[str, Any]
) -> None:
    """Given the group of the drill; when its usage is asked for; then its plan is listed with the
    wave that recovers it, and the drill among its executions, newest first."""
    usage = api.call("GET", f"/protection-groups/{ended_drill['groupId']}/usage?limit=5", expect=200)
    assert usage["plans"] == [
        {
            "planId": ended_drill["plan"]["planId"],
            "name": ended_drill["plan"]["name"],
            "waves": [{"waveNumber": 1, "waveName": "Database"}],
        }
    ]
    assert [e["executionId"] for e in usage["executions"]] == [ended_drill["executionId"]]
    assert usage["executions"][0]["status"] == "COMPLETED"
    # An unknown group is a 404, as for its other routes
    missing = api.call("GET", "/protection-groups/no-such-group/usage", expect=404)
    assert missing["error"]["code"] == "GROUP_NOT_FOUND"


def test_the_json_report_carries_the_chart_the_page_draws(api: Api, ended_drill: dict[str, Any]) -> None:
    """Given the ended drill; when its report is fetched as JSON and as HTML; then every bar of the
    page (wave bars, server phases) has the start and end of the JSON report's gantt, in order."""
    execution_id = ended_drill["executionId"]
    report = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)
    page = requests.get(f"{api.url}/executions/{execution_id}/report?format=html", timeout=30).text
    gantt = report["gantt"]
    expected_waves = [(w["start"], w["end"]) for w in gantt["waves"]]
    drawn_waves = re.findall(r'class="wave-bar"[^>]*data-start="([^"]*)" data-end="([^"]*)"', page)
    assert drawn_waves == expected_waves
    expected_phases = [
        (p["start"], p["end"] or "") for w in gantt["waves"] for s in w["servers"] for p in s["phases"]
    ]
    drawn_phases = re.findall(
        r'class="(?:phase|mark) [^"]*"[^>]*data-start="([^"]*)" data-end="([^"]*)"', page
    )
    assert drawn_phases == expected_phases
    assert len(expected_phases) >= 2 * 4  # two servers, snapshot to ready
    assert {s["label"] for w in gantt["waves"] for s in w["servers"]} == {
        f"{h} ({sid})" for h, sid in zip(ended_drill["hosts"], ended_drill["ids"], strict=True)
    }


def test_a_report_link_opens_the_stored_report_for_a_few_minutes(
    api: Api, ended_drill: dict[str, Any]
) -> None:
    """Given the ended drill with its stored report; when a link is asked for; then it is a presigned
    GET valid 300 s (expiresAt agrees) that a plain HTTP client opens: the HTML page of that drill."""
    execution_id = ended_drill["executionId"]
    link = api.call("GET", f"/executions/{execution_id}/report-link", expect=200)
    assert link["expiresInSeconds"] == 300
    assert link["url"].startswith("http://127.0.0.1:")
    query = parse_qs(urlsplit(link["url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    opened = requests.get(link["url"], timeout=30)
    assert opened.status_code == 200, opened.text[:300]
    assert opened.headers["Content-Type"].startswith("text/html")
    assert execution_id in opened.text and 'class="gantt"' in opened.text


def test_a_running_execution_has_no_report_link_yet(api: Api) -> None:
    """Given a drill paused before its first wave; when a link is asked for; then 409
    REPORT_NOT_READY, and the execution is unchanged."""
    ids = api.servers(1)
    group_id = api.group(ids)
    body = {
        "name": f"plan-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "W", "protectionGroupIds": [group_id], "pauseBeforeWave": True}],
    }
    plan_id = api.call("POST", "/recovery-plans", body, expect=201)["planId"]
    execution_id = api.start(plan_id)
    before, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    refused = api.call("GET", f"/executions/{execution_id}/report-link", expect=409)
    assert refused["error"]["code"] == "REPORT_NOT_READY"
    assert api.execution(execution_id)["status"] == "PAUSED"
    api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    api.watch(execution_id, finished)
    assert before["status"] == "PAUSED"


def test_an_ended_drill_is_listed_with_its_running_instances_until_they_are_terminated(
    api: Api, ended_drill: dict[str, Any]
) -> None:
    """Given the ended drill whose two instances run; when the running instances are asked for; then
    it is listed with both servers (hostname and id), when they were launched and for how long they
    have run; when its instances are terminated to the end; then it is no longer listed."""
    execution_id = ended_drill["executionId"]
    answer = api.call("GET", "/running-instances", expect=200)
    listed = {i["executionId"]: i for i in answer["items"]}
    assert execution_id in listed
    item = listed[execution_id]
    assert item["instanceCount"] == 2
    assert item["canTerminate"]["canTerminate"] is True
    assert sorted(s["label"] for s in item["servers"]) == sorted(
        f"{h} ({sid})" for h, sid in zip(ended_drill["hosts"], ended_drill["ids"], strict=True)
    )
    launches = sorted(s["launchTime"] for s in api.server_items(execution_id))
    assert item["runningSince"] == launches[0]
    assert item["runningSeconds"] >= 0
    assert item["startTime"] <= item["runningSince"] <= answer["generatedAt"]

    api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=202)

    def ended() -> bool:
        api.call("POST", "/_sandbox/find", {}, expect=200)
        return api.execution(execution_id).get("terminationStatus") not in (None, "IN_PROGRESS")

    until(ended, TERMINATION_TIMEOUT, what="the termination to end")
    assert api.execution(execution_id)["instancesTerminated"] is True
    after = api.call("GET", "/running-instances", expect=200)
    assert execution_id not in {i["executionId"] for i in after["items"]}


def test_a_wave_error_names_the_failed_server_by_hostname_with_its_id(api: Api) -> None:
    """Given a CRITICAL server db-fail-… that fails to launch; when its drill ends; then the wave's
    error reads "critical servers failed: db-fail-… (s-…)", and so does the timeline's server event."""
    host = f"db-fail-{uuid.uuid4().hex[:6]}"
    sid = _server(api, host, launchOutcome="FAILED", failPhase="LAUNCH")
    plan = _plan(api, api.group([sid]))
    execution_id = api.start(plan["planId"])
    record, _ = api.watch(execution_id, finished)
    assert record["status"] == "FAILED"
    assert record["waves"][0]["error"] == f"critical servers failed: {host} ({sid})"
    timeline = api.call("GET", f"/executions/{execution_id}/timeline?limit=500", expect=200)["items"]
    failed = [e for e in timeline if e.get("sourceServerId") == sid and e["type"] == "SERVER_FAILED"]
    assert failed and failed[0]["message"].startswith(f"server {host} ({sid}):")
    # A failed drill that launched nothing is not among the running instances
    listed = api.call("GET", "/running-instances", expect=200)["items"]
    assert execution_id not in {i["executionId"] for i in listed}


def test_an_expired_report_link_is_refused_as_s3_refuses_it(api: Api, ended_drill: dict[str, Any]) -> None:
    """Given a report link; when it is used after its expiry (its signing time moved 301 s back, as if
    opened five minutes later); then 403 AccessDenied "Request has expired", as S3 answers."""
    link = api.call("GET", f"/executions/{ended_drill['executionId']}/report-link", expect=200)["url"]
    signed = parse_qs(urlsplit(link).query)["X-Amz-Date"][0]
    moment = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) - timedelta(seconds=301)
    late = link.replace(f"X-Amz-Date={signed}", f"X-Amz-Date={moment.strftime('%Y%m%dT%H%M%SZ')}")
    refused = requests.get(late, timeout=30)
    assert refused.status_code == 403
    assert "<Code>AccessDenied</Code>" in refused.text and "Request has expired" in refused.text
