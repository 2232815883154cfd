"""What a drill cost, through the sandbox: the real handlers launch and terminate recovery instances
of known types, the sandbox's fixed price list (drs_sandbox.pricing, one type deliberately absent)
prices them, and the API's execution detail, the JSON report, the HTML report in Chromium and
drsctl all show the same numbers. And the chat message of each of a drill's status changes, as
the sandbox's topic received it."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from browser_tests import chromium_context, console_or_skip, watched_page
from chat_schema import CUSTOM_NOTIFICATION
from sandbox_api import Api, drsctl, finished, until

from drs_sandbox.pricing import PRICES, UNPRICED_INSTANCE_TYPE
from drs_sandbox.server import Sandbox
from execution_utils import cost_text, format_usd, whole_second

PRICED_TYPE = "t3.medium"


def without_moment(cost: dict[str, Any]) -> dict[str, Any]:
    """A cost but the moment it was computed at (each surface computes it when asked)."""
    return {k: v for k, v in cost.items() if k != "asOf"}


def terminated_drill(api: Api) -> tuple[str, list[dict[str, Any]]]:
    """A finished drill of two priced and one unpriced instance, its instances terminated."""
    priced = api.servers(2, instanceType=PRICED_TYPE)
    unpriced = api.servers(1, instanceType=UNPRICED_INSTANCE_TYPE)
    plan_id = api.plan([(priced, False), (unpriced, False)])
    final, _ = api.watch(api.start(plan_id), finished)
    assert final["status"] == "COMPLETED", final
    execution_id = str(final["executionId"])
    # While they run, the cost its report states (recorded with the report, written after the end)
    # counts every instance to then, marked as running
    running = until(lambda: api.execution(execution_id)["cost"], what="the report's cost to be recorded")
    assert running["runningInstances"] == 3, running
    assert cost_text(running).endswith(f"3 instance(s) still running, counted to {running['asOf']}")
    api.call("POST", f"/executions/{execution_id}/terminate-instances", {}, expect=202)
    # (the scheduled find follows the TERMINATE jobs; the test runs the schedule itself)
    until(
        lambda: (
            api.call("POST", "/_sandbox/find", expect=200) is not None
            and api.execution(execution_id).get("instancesTerminated")
        ),
        what="the termination to be recorded",
    )
    # (the report, and the cost it states, is written again once the termination ended)
    until(
        lambda: api.execution(execution_id)["cost"]["runningInstances"] == 0,
        what="the rewritten report's cost to be recorded",
    )
    return execution_id, api.server_items(execution_id)


def test_a_drills_cost_is_the_same_in_its_report_and_its_api_detail(api: Api, sandbox: Sandbox) -> None:
    # Given a drill of two t3.medium and one c6i.large (absent from the price list), terminated
    execution_id, servers = terminated_drill(api)
    # When its detail and its report are read
    detail = api.execution(execution_id)["cost"]
    report = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)["cost"]
    # Then both carry the same numbers
    assert without_moment(detail) == without_moment(report)
    # And each instance's hours run from its launch to the end of its TERMINATE job
    assert all(s.get("terminatedTime") for s in servers), servers
    seconds = {
        kind: sum(
            whole_second(s["terminatedTime"]) - whole_second(s["launchTime"])
            for s in servers
            if s["instanceType"] == kind
        )
        for kind in (PRICED_TYPE, UNPRICED_INSTANCE_TYPE)
    }
    assert seconds[PRICED_TYPE] > 0 and seconds[UNPRICED_INSTANCE_TYPE] > 0, seconds
    by_type = {t["instanceType"]: t for t in report["types"]}
    assert by_type[PRICED_TYPE]["instanceHours"] == round(seconds[PRICED_TYPE] / 3600, 3)
    assert by_type[UNPRICED_INSTANCE_TYPE]["instanceHours"] == round(
        seconds[UNPRICED_INSTANCE_TYPE] / 3600, 3
    )
    # And the priced type carries the price list's price; the unpriced one its hours only, out of the total
    price = float(PRICES[(PRICED_TYPE, "Linux")])
    assert by_type[PRICED_TYPE]["hourlyPrice"] == price
    assert by_type[PRICED_TYPE]["estimatedCost"] == round(seconds[PRICED_TYPE] / 3600 * price, 4)
    assert by_type[UNPRICED_INSTANCE_TYPE]["hourlyPrice"] is None
    assert by_type[UNPRICED_INSTANCE_TYPE]["estimatedCost"] is None
    assert report["estimatedTotal"] == by_type[PRICED_TYPE]["estimatedCost"]
    assert report["unpricedTypes"] == [UNPRICED_INSTANCE_TYPE]
    assert report["runningInstances"] == 0 and report["estimate"] is True and report["complete"] is False

    # And drsctl prints the same summary in status and in the Markdown report
    status = drsctl(sandbox, "status", execution_id)
    assert status.returncode == 0, status.stderr
    assert cost_text(report) in " ".join(status.stdout.split())
    markdown = drsctl(sandbox, "report", execution_id)
    assert markdown.returncode == 0, markdown.stderr
    assert "## Cost (estimate)" in markdown.stdout
    assert cost_text(report) in markdown.stdout


def test_the_html_report_shows_the_cost_in_chromium(api: Api, sandbox: Sandbox) -> None:
    from playwright.sync_api import expect

    # Given a terminated drill with one unpriced type
    execution_id, _ = terminated_drill(api)
    cost = api.call("GET", f"/executions/{execution_id}/report?format=json", expect=200)["cost"]
    # When its HTML report opens in Chromium
    with chromium_context((1280, 1000)) as context, watched_page(context) as page:
        response = page.goto(f"{sandbox.url}/executions/{execution_id}/report?format=html")
        assert response is not None and response.ok
        # Then the cost section shows the total, a row per type, and the unpriced type left out
        section = page.locator("section[aria-labelledby=cost]")
        expect(section.locator("h2")).to_have_text("Cost (estimate)")
        expect(section.locator("p.cost-summary")).to_have_text(cost_text(cost))
        expect(section.locator("table.cost tbody tr")).to_have_count(2)
        expect(section.locator("table.cost caption")).to_have_text(
            f"Estimated cost (USD): {format_usd(cost['estimatedTotal'])}"
        )
        unpriced = section.locator("table.cost tbody tr", has_text=UNPRICED_INSTANCE_TYPE)
        expect(unpriced).to_contain_text("not in the total")
        expect(unpriced).to_contain_text("unknown")


def test_each_status_change_of_a_drill_reaches_chat_in_the_documented_format(api: Api) -> None:
    # Given a drill paused before its second wave, then resumed to the end (the real formatter
    # publishing every status change to the sandbox's topic)
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call("POST", f"/executions/{execution_id}/resume", {}, expect=200)
    final, _ = api.watch(execution_id, finished)

    # When the messages published about it are read
    def published() -> list[dict[str, Any]]:
        texts = [json.loads(m["message"]) for m in api.call("GET", "/_sandbox/notifications", expect=200)]
        return [json.loads(t["https"]) for t in texts if execution_id in t.get("default", "")]

    def ended(chats: list[dict[str, Any]]) -> bool:
        return any(c["metadata"]["additionalContext"]["status"] == "COMPLETED" for c in chats)

    chats = until(
        lambda: (found := published()) and ended(found) and found, what="the drill's last chat message"
    )
    # Then each one's https text is a custom notification of the documented format, one thread
    for chat in chats:
        jsonschema.validate(chat, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
        assert chat["metadata"]["threadId"] == execution_id
        assert chat["metadata"]["relatedResources"][-1].endswith(f"/#/executions/{execution_id}")
    statuses = [c["metadata"]["additionalContext"]["status"] for c in chats]
    assert statuses[-1] == final["status"] == "COMPLETED"
    assert {"IN_PROGRESS", "PAUSED"} <= set(statuses)
    paused = next(c for c in chats if c["metadata"]["additionalContext"]["status"] == "PAUSED")
    assert any(f"`drsctl resume {execution_id}`" in step for step in paused["content"]["nextSteps"])


def test_the_console_execution_page_shows_the_same_cost(api: Api, sandbox: Sandbox) -> None:
    from playwright.sync_api import expect

    console_or_skip()
    # Given a terminated drill with one unpriced type
    execution_id, _ = terminated_drill(api)
    cost = api.execution(execution_id)["cost"]
    # When its page opens in the console
    with chromium_context((1440, 1000)) as context, watched_page(context) as page:
        page.goto(f"{sandbox.console_url}#/executions/{execution_id}")
        # Then the cost panel shows the API's total and hours, formatted as the report writes them
        panel = page.get_by_test_id("execution-cost")
        expect(page.get_by_test_id("cost-total")).to_have_text(
            f"{format_usd(cost['estimatedTotal'])} for {cost['instanceHours']:g} instance-hours"
        )
        expect(panel).to_contain_text(f"Price unknown for {UNPRICED_INSTANCE_TYPE}: left out of the total.")
        for entry in cost["types"]:
            expect(panel).to_contain_text(entry["instanceType"])
