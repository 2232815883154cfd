"""A scheduled drill was skipped: the SNS message and the EventBridge event that say so (pure), and
the notifier that sends both through the publishers of notify/publisher.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator.notify.change import PRODUCT, SOURCE, SUBJECT_MAX_CHARS, clip, one_line

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


def sns_payload(plan_id: str, plan_name: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """The Publish parameters but the topic."""
    return {
        "Subject": subject(plan_name),
        "Message": body(plan_id, plan_name, run),
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value}
            for name, value in {
                "eventType": EVENT_TYPE,
                "planId": plan_id,
                "reasonCode": str(run.get("reasonCode", "SKIPPED")),
            }.items()
        },
    }


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

    def __init__(self, sns: Channel, events: Channel) -> None:
        self.sns, self.events = sns, events

    def skipped(self, plan_id: str, plan_name: str, run: Mapping[str, Any]) -> None:
        """Send both; raise the domain error of the first channel that failed, after trying both."""
        errors = []
        for channel, payload in (
            (self.sns, sns_payload(plan_id, plan_name, run)),
            (self.events, event_entry(plan_id, plan_name, run)),
        ):
            try:
                channel.send(payload)
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]
