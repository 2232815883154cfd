"""A plan's readiness verdict changed: the SNS message and the EventBridge event that announce it
(pure), and the announcer that sends both (the scheduled readiness check calls it once per change)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.notify.change import PRODUCT, SOURCE, SUBJECT_MAX_CHARS, clip, one_line
from orchestrator.notify.chat import readiness_chat_message, sns_publish

DETAIL_TYPE = "Recovery Plan Readiness Change"
# Worse first: a change towards NOT_READY is "worse".
_RANK = {"READY": 0, "AT_RISK": 1, "NOT_READY": 2}


@dataclass(frozen=True)
class ReadinessChange:
    plan_id: str
    plan_name: str
    previous: str
    verdict: str
    changed_at: str
    # The checks that did not pass: {check, status, message, sourceServerId?}
    problems: tuple[Mapping[str, Any], ...] = ()

    @property
    def direction(self) -> str:
        return "WORSE" if _RANK.get(self.verdict, 0) > _RANK.get(self.previous, 0) else "BETTER"


def subject(change: ReadinessChange) -> str:
    """``[DRS Orchestrator] <plan>: readiness AT_RISK (was READY)`` under SNS's 100 characters."""
    head, tail = f"[{PRODUCT}] ", f": readiness {change.verdict} (was {change.previous})"
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    return clip(f"{head}{clip(one_line(change.plan_name), max(room, 8))}{tail}", SUBJECT_MAX_CHARS)


def sentence(change: ReadinessChange) -> str:
    return (
        f"Recovery plan {one_line(change.plan_name)} ({change.plan_id}) is {change.verdict}, "
        f"{'down' if change.direction == 'WORSE' else 'up'} from {change.previous}, at {change.changed_at}."
    )


def body(change: ReadinessChange) -> str:
    """Plain text: the change, then one line per problem (user and DRS text kept on one line)."""
    lines = [sentence(change), ""]
    if change.problems:
        lines.append("What did not pass:")
        lines.extend(f"  {p['status']:4}  {p['check']}: {one_line(p['message'])}" for p in change.problems)
    else:
        lines.append("Every check passed.")
    lines += ["", f"Details: drsctl readiness {change.plan_id}"]
    return "\n".join(lines)


def chat(change: ReadinessChange, console_url: str = "") -> dict[str, Any]:
    """The change as Amazon Q Developer in chat applications' custom notification (notify/chat.py)."""
    return readiness_chat_message(
        plan_id=change.plan_id,
        plan=change.plan_name,
        verdict=change.verdict,
        previous=change.previous,
        changed_at=change.changed_at,
        problems=change.problems,
        console_url=console_url,
    )


def sns_payload(change: ReadinessChange, console_url: str = "") -> dict[str, Any]:
    """The Publish parameters but the topic: the text for e-mail (and any protocol without its own),
    the chat message for HTTPS subscribers (Amazon Q Developer in chat applications)."""
    return sns_publish(
        subject(change),
        body(change),
        chat(change, console_url),
        {
            "eventType": "READINESS_CHANGE",
            "planId": change.plan_id,
            "verdict": change.verdict,
            "previousVerdict": change.previous,
        },
    )


def event_detail(change: ReadinessChange) -> dict[str, Any]:
    return {
        "planId": change.plan_id,
        "planName": change.plan_name,
        "verdict": change.verdict,
        "previousVerdict": change.previous,
        "direction": change.direction,
        "changedAt": change.changed_at,
        "problems": [dict(p) for p in change.problems],
    }


def event_entry(change: ReadinessChange) -> dict[str, Any]:
    """The PutEvents entry but the bus."""
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(event_detail(change))}


SNS = "SNS"
EVENTBRIDGE = "EVENTBRIDGE"


class Announcer(Protocol):
    """Sends a change on each of its channels, one at a time (so that one sent is not sent again
    when another fails)."""

    channels: tuple[str, ...]

    def send(self, channel: str, change: ReadinessChange) -> None:
        """Send the change on ``channel``; raise a domain error when it fails."""


class Channel(Protocol):
    def send(self, payload: dict[str, Any]) -> str: ...


class ReadinessAnnouncer:
    """SNS and EventBridge, each through its publisher of notify/publisher.py."""

    channels: tuple[str, ...] = (SNS, EVENTBRIDGE)

    def __init__(self, sns: Channel, events: Channel, console_url: str = "") -> None:
        self.sns, self.events = sns, events
        self.console_url = console_url

    def send(self, channel: str, change: ReadinessChange) -> None:
        if channel == SNS:
            self.sns.send(sns_payload(change, self.console_url))
        else:
            self.events.send(event_entry(change))


def problems_of(checks: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(c for c in checks if c.get("status") != "PASS")
