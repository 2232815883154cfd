"""Chat notifications: every status change the e-mail covers also goes out as Amazon Q Developer in
chat applications' custom notification (the ``https`` text of the same SNS publish), validated
against the documented event format, with user text that cannot become links or markup."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from chat_schema import CUSTOM_NOTIFICATION
from markdown_it import MarkdownIt
from report_records import paused_for_approval, paused_for_failed_wave

from orchestrator.aws.dynamo import serialize
from orchestrator.notify import cleanup as cleanup_notices
from orchestrator.notify import drill_schedule as schedule_notices
from orchestrator.notify.change import StatusChange
from orchestrator.notify.chat import chat_message, literal
from orchestrator.notify.email import email_body, next_steps
from orchestrator.notify.messages import build_notification, status_change_from_record
from orchestrator.notify.readiness import ReadinessChange, body, sns_payload

STREAMS = Path(__file__).resolve().parents[1] / "fixtures" / "streams"
CONSOLE = "https://d111111abcdef8.cloudfront.net/"


def fixture_change(name: str) -> StatusChange:
    event = json.loads((STREAMS / name).read_text(encoding="utf-8"))
    change = status_change_from_record(event["Records"][0])
    assert change is not None
    return change


def stream_change(execution: Mapping[str, Any], previous: str) -> StatusChange:
    new = {**copy.deepcopy(dict(execution)), "version": 9}
    old = {**copy.deepcopy(dict(execution)), "status": previous, "version": 8}
    record = {"eventName": "MODIFY", "dynamodb": {"OldImage": serialize(old), "NewImage": serialize(new)}}
    change = status_change_from_record(record)
    assert change is not None
    return change


# Every kind of event the e-mail covers: each status, and each reason a drill pauses.
EVENTS = {
    "accepted (PENDING)": lambda: fixture_change("created.json"),
    "started": lambda: fixture_change("started.json"),
    "paused before a wave": lambda: fixture_change("paused.json"),
    "paused: a wave failed": lambda: stream_change(paused_for_failed_wave().execution, "IN_PROGRESS"),
    "paused: an approval waits": lambda: stream_change(paused_for_approval().execution, "IN_PROGRESS"),
    "resumed": lambda: fixture_change("resumed.json"),
    "cancelling": lambda: fixture_change("cancelling.json"),
    "cancelled": lambda: fixture_change("cancelled.json"),
    "completed": lambda: fixture_change("completed.json"),
    "failed": lambda: fixture_change("failed_with_failed_servers.json"),
    "partial success": lambda: fixture_change("partial_success_after_cancel.json"),
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_every_status_change_is_a_valid_custom_notification_with_what_to_run_next(event: str) -> None:
    # Given a status change of each kind the e-mail covers
    change = EVENTS[event]()
    # When its SNS message is built
    structure = build_notification(change, CONSOLE).per_protocol()
    # Then its https text (what Q Developer's HTTPS subscription receives) is the documented format
    message = json.loads(structure["https"])
    jsonschema.validate(message, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
    content = message["content"]
    # And it carries the status, the plan, what to run next and the console page of the execution
    assert literal(change.execution["planName"]) in content["title"]
    assert str(change.status) in content["keywords"]
    assert f"({literal(change.execution['planId'])})" in content["description"]
    link = f"{CONSOLE}#/executions/{change.execution_id}"
    assert f"]({link})" in content["description"]
    assert link in message["metadata"]["relatedResources"]
    # (the e-mail's next steps, each drsctl command as inline code)
    assert content["nextSteps"], "a chat message says what to run next"
    commands = [line.strip() for line in next_steps(change) if line.strip().startswith("drsctl ")]
    shown = " ".join(content["nextSteps"])
    assert all(f"`{c}`" in shown for c in commands), (commands, shown)
    # And every message of one execution goes in one thread
    assert message["metadata"]["threadId"] == change.execution_id
    # And e-mail subscribers keep their text
    assert structure["email"] == email_body(change)


def _links(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parseInline(markdown)
    return [
        str(child.attrGet("href"))
        for token in tokens
        for child in token.children or []
        if child.type == "link_open"
    ]


def test_a_plan_named_like_markdown_and_links_shows_as_its_own_text() -> None:
    # Given a plan whose name is Markdown: a link, emphasis, a mention, an autolink and HTML
    hostile = "[Click me](https://evil.example/x) **now** @channel <https://evil.example> <b>hi</b> `x`"
    execution = {**fixture_change("failed_with_failed_servers.json").execution, "planName": hostile}
    execution["error"] = "see [details](https://evil.example/e) _here_"
    change = stream_change(execution, "IN_PROGRESS")
    # When its chat message is built and rendered as CommonMark
    message = chat_message(change, CONSOLE)
    rendered = MarkdownIt("commonmark").render(message["content"]["description"])
    # Then the only link is ours, to the console, and no markup or HTML comes from the name
    assert _links(message["content"]["description"]) == [f"{CONSOLE}#/executions/{change.execution_id}"]
    assert _links(message["content"]["title"]) == []
    assert "<strong>" not in rendered and "<b>" not in rendered and "<em>[" not in rendered
    # And the name and the error read as written, as code (a backtick as its look-alike)
    assert (
        "<code>[Click me](https://evil.example/x) **now** @channel &lt;https://evil.example&gt; "
        "&lt;b&gt;hi&lt;/b&gt; \u02cbx\u02cb</code>"
    ) in rendered
    assert "<code>see [details](https://evil.example/e) _here_</code>" in rendered
    title = MarkdownIt("commonmark").renderInline(message["content"]["title"])
    assert "<code>[Click me](https://evil.example/x)" in title and "<a " not in title


def test_without_a_console_the_message_has_no_link() -> None:
    # Given no console address (CONSOLE_URL unset) When the message is built
    message = chat_message(fixture_change("completed.json"), "")
    # Then it is still valid, without a link
    jsonschema.validate(message, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
    assert _links(message["content"]["description"]) == []


@pytest.mark.parametrize(
    ("previous", "verdict"), [("READY", "AT_RISK"), ("AT_RISK", "NOT_READY"), ("NOT_READY", "READY")]
)
def test_a_readiness_change_reaches_chat_in_the_documented_format(previous: str, verdict: str) -> None:
    # Given a plan, named like a link, whose readiness verdict changed (the e-mail's other event)
    problems = (
        ()
        if verdict == "READY"
        else (
            {
                "check": "REPLICATION_LAG",
                "status": "WARN",
                "message": "lag of s-1 is 45 minutes [see](https://x.example)",
            },
        )
    )
    change = ReadinessChange(
        "p-1", "[web](https://evil.example)", previous, verdict, "2026-12-01T03:00:00.000Z", problems
    )
    # When its SNS message is built
    payload = sns_payload(change, CONSOLE)
    structure = json.loads(payload["Message"])
    message = json.loads(structure["https"])
    # Then e-mail keeps the text, and chat gets the documented format with the plan's page and the command
    assert payload["MessageStructure"] == "json" and structure["email"] == structure["default"] == body(
        change
    )
    jsonschema.validate(message, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
    assert _links(message["content"]["description"]) == [f"{CONSOLE}#/recovery-plans/p-1"]
    assert f"readiness {verdict} (was {previous})" in message["content"]["title"]
    assert "<code>[web](https://evil.example)</code>" in MarkdownIt("commonmark").renderInline(
        message["content"]["title"]
    )
    assert message["content"]["nextSteps"] == ["See every check: `drsctl readiness p-1`"]
    assert message["metadata"]["threadId"] == "readiness-p-1"
    rendered = MarkdownIt("commonmark").render(message["content"]["description"])
    assert ("<code>lag of s-1 is 45 minutes [see](https://x.example)</code>" in rendered) is (
        verdict != "READY"
    )


HOSTILE_PLAN = "[web](https://evil.example) *now*"


@pytest.mark.parametrize("kind", [cleanup_notices.WARNING, cleanup_notices.DONE])
def test_a_drills_automatic_cleanup_reaches_chat_in_the_documented_format(kind: str) -> None:
    # Given the warning (an hour before) and the end of a drill's automatic cleanup, its plan named
    # like a link
    notice = cleanup_notices.CleanupNotice(
        kind, "e-1", "p-1", HOSTILE_PLAN, "2026-12-08T03:00:00.000Z", None if kind == "WARNING" else 3
    )
    # When its SNS message is built
    payload = cleanup_notices.sns_payload(notice, CONSOLE)
    structure = json.loads(payload["Message"])
    message = json.loads(structure["https"])
    # Then e-mail keeps its text, and chat gets the documented format: what happens, how to
    # postpone (or follow the termination), the drill's page, the plan's name as its own text
    assert payload["MessageStructure"] == "json"
    assert structure["email"] == structure["default"] == cleanup_notices.body(notice)
    jsonschema.validate(message, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
    assert _links(message["content"]["description"]) == [f"{CONSOLE}#/executions/e-1"]
    command = "drsctl cleanup e-1 --postpone HOURS" if kind == "WARNING" else "drsctl status e-1"
    assert any(f"`{command}`" in step for step in message["content"]["nextSteps"])
    assert f"<code>{HOSTILE_PLAN}</code>" in MarkdownIt("commonmark").renderInline(
        message["content"]["title"]
    )
    assert message["metadata"]["threadId"] == "e-1"


def test_a_skipped_scheduled_drill_reaches_chat_in_the_documented_format() -> None:
    # Given a scheduled firing skipped because the plan was running, the plan named like a link
    run = {
        "scheduledTime": "2026-12-12T02:00:00Z",
        "outcome": "SKIPPED",
        "reasonCode": "ACTIVE_EXECUTION",
        "reason": "execution e-9 [runs](https://x.example)",
    }
    # When its SNS message is built
    payload = schedule_notices.sns_payload("p-1", HOSTILE_PLAN, run, CONSOLE)
    structure = json.loads(payload["Message"])
    message = json.loads(structure["https"])
    # Then e-mail keeps its text, and chat gets the documented format with the reason as text
    assert structure["email"] == structure["default"] == schedule_notices.body("p-1", HOSTILE_PLAN, run)
    jsonschema.validate(message, CUSTOM_NOTIFICATION, cls=jsonschema.Draft202012Validator)
    assert _links(message["content"]["description"]) == [f"{CONSOLE}#/recovery-plans/p-1"]
    assert message["content"]["nextSteps"] == ["See the schedule and its runs: `drsctl schedule p-1`"]
    rendered = MarkdownIt("commonmark").render(message["content"]["description"])
    assert "<code>execution e-9 [runs](https://x.example)</code>" in rendered
