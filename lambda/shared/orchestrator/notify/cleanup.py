"""The automatic cleanup of a drill's recovery instances: the SNS message and the EventBridge event
of its warning (an hour before) and of its end (after the termination started), pure; and the
announcer that sends each on SNS and EventBridge through the publishers of notify/publisher.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestrator.notify.change import PRODUCT, SOURCE, SUBJECT_MAX_CHARS, clip, one_line
from orchestrator.notify.chat import (
    TITLE_PLAN_CHARS,
    code,
    console_link,
    literal,
    notice_message,
    sns_publish,
)
from orchestrator.notify.readiness import EVENTBRIDGE, SNS, Channel

WARNING = "WARNING"
DONE = "DONE"
DETAIL_TYPES = {WARNING: "Drill Cleanup Warning", DONE: "Drill Cleanup"}
EVENT_TYPES = {WARNING: "CLEANUP_WARNING", DONE: "CLEANUP_DONE"}


@dataclass(frozen=True)
class CleanupNotice:
    kind: str  # WARNING | DONE
    execution_id: str
    plan_id: str
    plan_name: str
    cleanup_at: str
    # DONE: how many recovery instances the termination asked DRS to terminate.
    instances: int | None = None

    @property
    def postpone_command(self) -> str:
        return f"drsctl cleanup {self.execution_id} --postpone HOURS"


def subject(notice: CleanupNotice) -> str:
    """``[DRS Orchestrator] <plan>: drill instances terminated at <time>`` (or "terminated"), under
    SNS's 100 characters."""
    head = f"[{PRODUCT}] "
    tail = (
        f": drill instances terminated at {notice.cleanup_at[:16].replace('T', ' ')} UTC"
        if notice.kind == WARNING
        else ": drill instances terminated (automatic cleanup)"
    )
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    return clip(f"{head}{clip(one_line(notice.plan_name), max(room, 8))}{tail}", SUBJECT_MAX_CHARS)


def body(notice: CleanupNotice) -> str:
    """Plain text: which drill, when, and how to postpone (a warning) or what was done (the end)."""
    plan = f"{one_line(notice.plan_name)} ({notice.plan_id})"
    if notice.kind == WARNING:
        lines = [
            f"The recovery instances of drill {notice.execution_id} of recovery plan {plan} will be "
            f"terminated at {notice.cleanup_at} (automatic cleanup).",
            "",
            "To keep them longer, postpone the cleanup (1 to 168 hours):",
            f"  {notice.postpone_command}",
            "or use Postpone cleanup on the execution's page in the console.",
        ]
    else:
        lines = [
            f"The automatic cleanup of drill {notice.execution_id} of recovery plan {plan} started the "
            f"termination of its {notice.instances or 0} recovery instances (due at {notice.cleanup_at}).",
            "",
            f"Follow it: drsctl status {notice.execution_id}",
        ]
    return "\n".join(lines)


def chat(notice: CleanupNotice, console_url: str = "") -> dict[str, Any]:
    """The notice as Amazon Q Developer in chat applications' custom notification (notify/chat.py):
    which drill, when, how to postpone (the warning) or follow the termination (the end)."""
    plan = f"{literal(notice.plan_name)} ({literal(notice.plan_id)})"
    drill = literal(notice.execution_id)
    when = notice.cleanup_at[:16].replace("T", " ") + " UTC"
    if notice.kind == WARNING:
        title = f"⏰ {literal(clip(one_line(notice.plan_name), TITLE_PLAN_CHARS))}: drill instances terminated at {when}"
        lines = [
            f"The recovery instances of drill {drill} of recovery plan {plan} will be terminated at "
            f"{notice.cleanup_at} (automatic cleanup)."
        ]
        steps = [f"Keep them longer (1 to 168 hours): {code(notice.postpone_command)}"]
    else:
        title = (
            f"🧹 {literal(clip(one_line(notice.plan_name), TITLE_PLAN_CHARS))}: drill instances terminated"
        )
        lines = [
            f"The automatic cleanup of drill {drill} of recovery plan {plan} started the termination "
            f"of its {notice.instances or 0} recovery instances (due at {notice.cleanup_at})."
        ]
        steps = [f"Follow it: {code(f'drsctl status {notice.execution_id}')}"]
    link = console_link(console_url, notice.execution_id)
    return notice_message(
        key=f"{notice.execution_id}:cleanup:{notice.kind}:{notice.cleanup_at}",
        thread=notice.execution_id,
        title=title,
        lines=lines,
        next_steps=steps,
        keywords=[EVENT_TYPES[notice.kind], "DRILL"],
        event_type=DETAIL_TYPES[notice.kind].replace(" ", ""),
        summary=f"{PRODUCT} drill {notice.execution_id}: "
        + ("cleanup at " + when if notice.kind == WARNING else "instances terminated"),
        link=("Open the drill in the console", link) if link else None,
        related=[notice.execution_id, notice.plan_id],
        context={
            "executionId": notice.execution_id,
            "planId": notice.plan_id,
            "cleanupAt": notice.cleanup_at,
        },
    )


def sns_payload(notice: CleanupNotice, console_url: str = "") -> dict[str, Any]:
    """The Publish parameters but the topic: the text for e-mail, the chat message for HTTPS."""
    return sns_publish(
        subject(notice),
        body(notice),
        chat(notice, console_url),
        {
            "eventType": EVENT_TYPES[notice.kind],
            "executionId": notice.execution_id,
            "planId": notice.plan_id,
            "cleanupAt": notice.cleanup_at,
        },
    )


def event_detail(notice: CleanupNotice) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "executionId": notice.execution_id,
        "planId": notice.plan_id,
        "planName": notice.plan_name,
        "cleanupAt": notice.cleanup_at,
    }
    if notice.kind == WARNING:
        detail["postpone"] = notice.postpone_command
    else:
        detail["instances"] = notice.instances or 0
        detail["terminatedBy"] = "automatic cleanup"
    return detail


def event_entry(notice: CleanupNotice) -> dict[str, Any]:
    """The PutEvents entry but the bus."""
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPES[notice.kind],
        "Detail": json.dumps(event_detail(notice)),
    }


class CleanupAnnouncer:
    """SNS and EventBridge, one channel at a time (a channel sent is recorded, so a retried firing
    sends only what did not go out)."""

    channels: tuple[str, ...] = (SNS, EVENTBRIDGE)

    def __init__(self, sns: Channel, events: Channel, console_url: str = "") -> None:
        self.sns, self.events, self.console_url = sns, events, console_url

    def send(self, channel: str, notice: CleanupNotice) -> None:
        if channel == SNS:
            self.sns.send(sns_payload(notice, self.console_url))
        else:
            self.events.send(event_entry(notice))
