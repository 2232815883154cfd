"""The chat message about a status change: Amazon Q Developer in chat applications' (formerly AWS
Chatbot) documented custom notification format, which it renders in Slack, Microsoft Teams and
Amazon Chime without a transformer. Pure: no clients, no I/O.

It is delivered by the same SNS publish as the e-mail: a ``MessageStructure="json"`` message whose
``https`` text is this document (Q Developer subscribes to a topic over HTTPS), so e-mail
subscribers keep their text and a chat channel gets this. The same events as the e-mail: what
happened (in our own words), the status, the plan and the execution, the waves, what to run
next and a link to the execution's page in the console.

Everything a user or AWS wrote (a plan's or a wave's name, an error, an approval's name) is shown as
inline code (``literal``): Slack, Teams and Chime, whose Markdown dialects differ (Slack's has no
backslash escapes), all show a code span as its characters, never as a link, emphasis or mention,
and never turn an address inside it into a link. A backtick in such text becomes a look-alike
(U+02CB), the one character a code span cannot hold. Our own words carry no user text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    ExecutionStatus,
    PauseReason,
    completed_wave_count,
    execution_duration,
    format_duration,
    status_label,
    warning_count,
    wave_summary,
)
from orchestrator.notify.change import (
    MAX_COMMENT_CHARS,
    MAX_ERROR_CHARS,
    PRODUCT,
    StatusChange,
    clip,
    kind_of,
    one_line,
    pause_reason,
    paused_wave,
    plan_name,
    waves_of,
)
from orchestrator.notify.email import next_steps

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
EVENT_TYPE = "ExecutionStatusChange"
# Titles stay short in a chat client's notification list: a long plan name is shortened.
TITLE_PLAN_CHARS = 80
_ICONS = {
    ExecutionStatus.PENDING: "⏳",
    ExecutionStatus.IN_PROGRESS: "▶️",
    ExecutionStatus.PAUSED: "⏸️",
    ExecutionStatus.CANCELLING: "⏹️",
    ExecutionStatus.COMPLETED: "✅",
    ExecutionStatus.PARTIAL_SUCCESS: "⚠️",
    ExecutionStatus.FAILED: "❌",
    ExecutionStatus.CANCELLED: "🚫",
}


def literal(value: Any) -> str:
    """User or AWS text as inline code: one line, shown as written (a backtick as U+02CB)."""
    text = one_line(value).replace("`", "\u02cb")
    return f"`{text}`" if text else "-"


def code(command: str) -> str:
    """A command as inline code (no user text goes in a command: the e-mail's use placeholders)."""
    return "`" + one_line(command).replace("`", "'") + "`"


def console_link(console_url: str, execution_id: str, page: str = "executions") -> str | None:
    """The page of an execution (or, ``page="recovery-plans"``, of a plan) in the console (its hash
    route), or None without a console."""
    if not console_url.startswith("https://"):
        return None
    return f"{console_url.rstrip('/')}/#/{page}/{execution_id}"


def chat_next_steps(change: StatusChange) -> list[str]:
    """The e-mail's next steps, one item per heading with its drsctl command as inline code."""
    steps: list[str] = []
    for line in next_steps(change):
        text = line.strip()
        if not text or text.startswith("(or "):
            continue
        if line.startswith("  ") and steps:
            steps[-1] += " " + code(text)
        else:
            steps.append(text)
    return steps


def _wave(execution: Mapping[str, Any], number: Any) -> Mapping[str, Any] | None:
    return next((w for w in waves_of(execution) if w["waveNumber"] == number), None)


def headline(change: StatusChange) -> list[str]:
    """What happened, in our words (a wave by its number; its name, an error or an approval's name
    follow as ``literal`` text)."""
    execution = change.execution
    kind = kind_of(execution)
    status = change.status
    if status is ExecutionStatus.PENDING:
        return [f"The {kind} was accepted and waits to start."]
    if status is ExecutionStatus.IN_PROGRESS:
        resumed = change.previous_status is ExecutionStatus.PAUSED
        return [f"The {kind} goes on." if resumed else f"The {kind} has started."]
    if status is ExecutionStatus.PAUSED:
        reason = pause_reason(execution)
        number = paused_wave(execution) or execution.get("pausedBeforeWave")
        wave = _wave(execution, number)
        named = f"Wave {number} ({literal(wave.get('waveName'))})" if wave else "A wave"
        if reason == PauseReason.WAVE_FAILED:
            lines = [f"{named} failed: retry it, skip it or cancel the {kind}."]
            if wave and wave.get("error"):
                lines.append(f"*Wave error:* {literal(clip(one_line(wave['error']), MAX_ERROR_CHARS))}")
            return lines
        if reason == PauseReason.APPROVAL:
            approval = literal(
                clip(one_line(execution.get("pausedAction") or "an approval"), MAX_COMMENT_CHARS)
            )
            return [f"{named} waits for an operator to approve {approval}."]
        return [f"Paused before {named[0].lower()}{named[1:]}: it waits for an operator."]
    if status is ExecutionStatus.CANCELLING:
        return [
            "A cancel was requested: waves not started are cancelled; a wave whose DRS jobs run is "
            "followed to the end."
        ]
    if status is ExecutionStatus.COMPLETED:
        warnings = warning_count(waves_of(execution))
        extra = f", with {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        return [f"Every wave recovered{extra}."]
    if status is ExecutionStatus.PARTIAL_SUCCESS:
        return ["Some waves completed and left recovery instances; the others did not."]
    if status is ExecutionStatus.FAILED:
        return [f"The {kind} failed."]
    return [f"The {kind} was cancelled."]


def chat_message(change: StatusChange, console_url: str = "") -> dict[str, Any]:
    """The custom notification of a status change (``version`` 1.0, ``source`` custom)."""
    execution = change.execution
    waves = waves_of(execution)
    label = status_label(execution)
    kind = kind_of(execution)
    summary = wave_summary(waves)
    lines = [
        *headline(change),
        "",
        f"*Status:* {label}",
        f"*Recovery plan:* {literal(plan_name(execution))} ({literal(execution.get('planId') or '-')})",
        f"*Execution:* {literal(change.execution_id)} ({str(execution.get('executionType') or '-').upper()})",
        f"*Waves:* {completed_wave_count(waves)} of {len(waves)} completed"
        + (f" ({summary})" if summary else ""),
    ]
    if change.status in TERMINAL_STATUSES:
        lines.append(f"*Duration:* {format_duration(execution_duration(execution))}")
    if execution.get("error"):
        lines.append(f"*Error:* {literal(clip(one_line(execution['error']), MAX_ERROR_CHARS))}")
    link = console_link(console_url, change.execution_id)
    if link:
        lines += ["", f"[Open the {kind} in the console]({link})"]
    related = [change.execution_id, str(execution.get("planId") or ""), *([link] if link else [])]
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": f"{change.execution_id}:{change.marker}",
        "content": {
            "textType": TEXT_TYPE,
            "title": f"{_ICONS[change.status]} {literal(clip(plan_name(execution), TITLE_PLAN_CHARS))}: {label}",
            "description": "\n".join(lines),
            "nextSteps": chat_next_steps(change),
            "keywords": [
                str(change.status),
                str(execution.get("executionType") or "EXECUTION").upper(),
                PRODUCT,
            ],
        },
        "metadata": {
            # every message about one execution in one thread
            "threadId": change.execution_id,
            # plain text in a notification's preview: our words and ids only
            "summary": f"{PRODUCT} {kind} {change.execution_id}: {label}",
            "eventType": EVENT_TYPE,
            "relatedResources": [r for r in related if r],
            "additionalContext": {
                "executionId": change.execution_id,
                "planId": str(execution.get("planId") or ""),
                "status": str(change.status),
                "previousStatus": str(change.previous_status or ""),
            },
        },
    }


READINESS_EVENT_TYPE = "RecoveryPlanReadinessChange"
_VERDICT_ICONS = {"READY": "✅", "AT_RISK": "⚠️", "NOT_READY": "❌"}
_RANK = {"READY": 0, "AT_RISK": 1, "NOT_READY": 2}


def notice_message(
    *,
    key: str,
    thread: str,
    title: str,
    lines: Sequence[str],
    next_steps: Sequence[str],
    keywords: Sequence[str],
    event_type: str,
    summary: str,
    link: tuple[str, str] | None,
    related: Sequence[str],
    context: Mapping[str, str],
) -> dict[str, Any]:
    """A custom notification about anything but an execution's status change (a readiness verdict,
    a drill's automatic cleanup, a skipped scheduled drill): ``title`` and ``lines`` in our words
    with user text as ``literal``; ``link``: (its words, the console page) or None."""
    description = list(lines)
    if link:
        description += ["", f"[{link[0]}]({link[1]})"]
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": key,
        "content": {
            "textType": TEXT_TYPE,
            "title": title,
            "description": "\n".join(description),
            "nextSteps": list(next_steps),
            "keywords": [*keywords, PRODUCT],
        },
        "metadata": {
            "threadId": thread,
            "summary": summary,
            "eventType": event_type,
            "relatedResources": [*related, *([link[1]] if link else [])],
            "additionalContext": dict(context),
        },
    }


def readiness_chat_message(
    *,
    plan_id: str,
    plan: str,
    verdict: str,
    previous: str,
    changed_at: str,
    problems: Sequence[Mapping[str, Any]],
    console_url: str = "",
) -> dict[str, Any]:
    """The custom notification of a plan's changed readiness verdict (notify/readiness.py): the
    change, each check that did not pass, the command that shows the details, the plan's page."""
    direction = "down" if _RANK.get(verdict, 0) > _RANK.get(previous, 0) else "up"
    lines = [
        f"Recovery plan {literal(plan)} ({literal(plan_id)}) is {verdict}, {direction} from {previous}, at {changed_at}.",
        "",
    ]
    lines += [
        f"• *{one_line(p['status'])}* {one_line(p['check'])}: {literal(clip(one_line(p['message']), MAX_ERROR_CHARS))}"
        for p in problems
    ] or ["Every check passed."]
    link = console_link(console_url, plan_id, "recovery-plans")
    return notice_message(
        key=f"readiness:{plan_id}:{changed_at}",
        thread=f"readiness-{plan_id}",
        title=f"{_VERDICT_ICONS.get(verdict, '')} {literal(clip(one_line(plan), TITLE_PLAN_CHARS))}: "
        f"readiness {verdict} (was {previous})".strip(),
        lines=lines,
        next_steps=[f"See every check: {code(f'drsctl readiness {plan_id}')}"],
        keywords=[verdict, "READINESS"],
        event_type=READINESS_EVENT_TYPE,
        summary=f"{PRODUCT} plan {plan_id}: readiness {verdict} (was {previous})",
        link=("Open the plan in the console", link) if link else None,
        related=[plan_id],
        context={"planId": plan_id, "verdict": verdict, "previousVerdict": previous},
    )


def per_protocol(text: str, chat: Mapping[str, Any]) -> str:
    """A ``MessageStructure="json"`` message: the text for e-mail (and any protocol without its
    own), the chat message for HTTPS subscribers (Amazon Q Developer in chat applications)."""
    return json.dumps(
        {"default": text, "email": text, "https": json.dumps(chat, ensure_ascii=False)}, ensure_ascii=False
    )


def sns_publish(
    subject: str, text: str, chat: Mapping[str, Any], attributes: Mapping[str, str]
) -> dict[str, Any]:
    """The Publish parameters but the topic of a notice: its subject, the text for e-mail and the
    chat message for HTTPS subscribers (``per_protocol``), its string attributes (for filter policies)."""
    return {
        "Subject": subject,
        "Message": per_protocol(text, chat),
        "MessageStructure": "json",
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        },
    }
