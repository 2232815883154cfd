"""A scheduled drill was skipped: the SNS message and the EventBridge event that say so (pure), and
the notifier that sends both through the publishers of notify/publisher.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator.notify.change import MAX_ERROR_CHARS, PRODUCT, SOURCE, SUBJECT_MAX_CHARS, clip, one_line
from orchestrator.notify.chat import (
    TITLE_PLAN_CHARS,
    code,
    console_link,
    literal,
    notice_message,
    sns_publish,
)

DETAIL_TYPE = "Scheduled Drill Skipped"
EVENT_TYPE = "SCHEDULED_DRILL_SKIPPED"


def subject(plan_name: str) -> str:
    """``[DRS Orchestrator] <plan>: scheduled drill skipped`` under SNS's 100 characters."""
    head, tail = f"[{PRODUCT}] ", ": scheduled drill skipped"
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    return clip(f"{head}{clip(one_line(plan_name), max(room, 8))}{tail}", SUBJECT_MAX_CHARS)


def body(plan_id: str, plan_name: str, run: Mapping[str, Any]) -> str:
    """Plain text: which firing, why it was skipped, where to look (user text kept on one line)."""
    return "\n".join(
        [
            f"The scheduled drill of recovery plan {one_line(plan_name)} ({plan_id}) due at "
            f"{run['scheduledTime']} was skipped.",
            "",
            f"Reason ({run.get('reasonCode', 'SKIPPED')}): {one_line(run.get('reason', ''))}",
            "",
            f"Details: drsctl schedule {plan_id}",
        ]
    )


def chat(plan_id: str, plan_name: str, run: Mapping[str, Any], console_url: str = "") -> dict[str, Any]:
    """The skipped run as Amazon Q Developer in chat applications' custom notification (notify/chat.py)."""
    reason_code = str(run.get("reasonCode", "SKIPPED"))
    link = console_link(console_url, plan_id, "recovery-plans")
    return notice_message(
        key=f"schedule:{plan_id}:{run['scheduledTime']}",
        thread=f"schedule-{plan_id}",
        title=f"⏭️ {literal(clip(one_line(plan_name), TITLE_PLAN_CHARS))}: scheduled drill skipped",
        lines=[
            f"The scheduled drill of recovery plan {literal(plan_name)} ({literal(plan_id)}) due at "
            f"{run['scheduledTime']} was skipped.",
            f"*Reason ({one_line(reason_code)}):* {literal(clip(one_line(run.get('reason', '')), MAX_ERROR_CHARS))}",
        ],
        next_steps=[f"See the schedule and its runs: {code(f'drsctl schedule {plan_id}')}"],
        keywords=[EVENT_TYPE, "DRILL"],
        event_type=DETAIL_TYPE.replace(" ", ""),
        summary=f"{PRODUCT} plan {plan_id}: scheduled drill skipped ({reason_code})",
        link=("Open the plan in the console", link) if link else None,
        related=[plan_id],
        context={"planId": plan_id, "scheduledTime": str(run["scheduledTime"]), "reasonCode": reason_code},
    )


def sns_payload(
    plan_id: str, plan_name: str, run: Mapping[str, Any], console_url: str = ""
) -> dict[str, Any]:
    """The Publish parameters but the topic: the text for e-mail, the chat message for HTTPS."""
    return sns_publish(
        subject(plan_name),
        body(plan_id, plan_name, run),
        chat(plan_id, plan_name, run, console_url),
        {"eventType": EVENT_TYPE, "planId": plan_id, "reasonCode": str(run.get("reasonCode", "SKIPPED"))},
    )


def event_entry(plan_id: str, plan_name: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """The PutEvents entry but the bus."""
    detail = {
        "planId": plan_id,
        "planName": plan_name,
        "scheduledTime": run["scheduledTime"],
        "reasonCode": run.get("reasonCode"),
        "reason": run.get("reason"),
        "executionId": run.get("executionId"),
    }
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail, ensure_ascii=False)}


class Channel(Protocol):
    def send(self, payload: dict[str, Any]) -> str: ...


class DrillScheduleNotifier:
    """SNS and EventBridge (the stack's topic and bus)."""

    def __init__(self, sns: Channel, events: Channel, console_url: str = "") -> None:
        self.sns, self.events, self.console_url = sns, events, console_url

    def skipped(self, plan_id: str, plan_name: str, run: Mapping[str, Any]) -> None:
        """Send both; raise the domain error of the first channel that failed, after trying both."""
        errors = []
        for channel, payload in (
            (self.sns, sns_payload(plan_id, plan_name, run, self.console_url)),
            (self.events, event_entry(plan_id, plan_name, run)),
        ):
            try:
                channel.send(payload)
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]
