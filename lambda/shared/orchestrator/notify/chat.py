"""The chat message about a status change: Amazon Q Developer in chat applications' (formerly AWS
Chatbot) documented custom notification format, which it renders in Slack, Microsoft Teams and
Amazon Chime without a transformer. Pure: no clients, no I/O.

It is delivered by the same SNS publish as the e-mail: a ``MessageStructure="json"`` message whose
``https`` text is this document (Q Developer subscribes to a topic over HTTPS), so e-mail
subscribers keep their text and a chat channel gets this. The same events as the e-mail: what
happened (its opening sentence), the status, the plan and the execution, the waves, what to run
next and a link to the execution's page in the console.

Everything a user or AWS wrote (a plan's name, an error, who acted) is escaped for Markdown: each
ASCII punctuation character is backslash-escaped (CommonMark), so ``[x](https://...)``, ``*``,
``<...>``, ``@channel`` and bare ``https://`` addresses show as the characters they are, never as
links, emphasis or mentions."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    ExecutionStatus,
    completed_wave_count,
    execution_duration,
    format_duration,
    status_label,
    wave_summary,
)
from orchestrator.notify.change import (
    MAX_ERROR_CHARS,
    PRODUCT,
    StatusChange,
    clip,
    kind_of,
    one_line,
    plan_name,
    waves_of,
)
from orchestrator.notify.email import intro, next_steps

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
EVENT_TYPE = "ExecutionStatusChange"
# Titles stay short in a chat client's notification list: a long plan name is shortened.
TITLE_PLAN_CHARS = 80
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
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


def md(value: Any) -> str:
    """Plain text (a user's, AWS's, or our own) as Markdown that renders as exactly that text: one
    line, every ASCII punctuation character backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", one_line(value))


def _code(command: str) -> str:
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
            steps[-1] += " " + _code(text)
        else:
            steps.append(md(text))
    return steps


def chat_message(change: StatusChange, console_url: str = "") -> dict[str, Any]:
    """The custom notification of a status change (``version`` 1.0, ``source`` custom)."""
    execution = change.execution
    waves = waves_of(execution)
    label = status_label(execution)
    kind = kind_of(execution)
    lines = [
        md(intro(change)),
        "",
        f"*Status:* {md(label)}",
        f"*Recovery plan:* {md(plan_name(execution))} ({md(execution.get('planId') or '-')})",
        f"*Execution:* {md(change.execution_id)} ({md(str(execution.get('executionType') or '-').upper())})",
        f"*Waves:* {completed_wave_count(waves)} of {len(waves)} completed"
        + (f" ({md(summary)})" if (summary := wave_summary(waves)) else ""),
    ]
    if change.status in TERMINAL_STATUSES:
        lines.append(f"*Duration:* {md(format_duration(execution_duration(execution)))}")
    if execution.get("error"):
        lines.append(f"*Error:* {md(clip(one_line(execution['error']), MAX_ERROR_CHARS))}")
    link = console_link(console_url, change.execution_id)
    if link:
        lines += ["", f"[Open the {kind} in the console]({link})"]
    metadata: dict[str, Any] = {
        # every message about one execution in one thread
        "threadId": change.execution_id,
        "summary": md(f"{PRODUCT}: {plan_name(execution)} {kind} {label}"),
        "eventType": EVENT_TYPE,
        "relatedResources": [change.execution_id, str(execution.get("planId") or "")],
        "additionalContext": {
            "executionId": change.execution_id,
            "planId": str(execution.get("planId") or ""),
            "status": str(change.status),
            "previousStatus": str(change.previous_status or ""),
        },
    }
    if link:
        metadata["relatedResources"].append(link)
    metadata["relatedResources"] = [r for r in metadata["relatedResources"] if r]
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": f"{change.execution_id}:{change.marker}",
        "content": {
            "textType": TEXT_TYPE,
            "title": f"{_ICONS[change.status]} {md(clip(plan_name(execution), TITLE_PLAN_CHARS))}: {md(label)}",
            "description": "\n".join(lines),
            "nextSteps": chat_next_steps(change),
            "keywords": [
                str(change.status),
                str(execution.get("executionType") or "EXECUTION").upper(),
                PRODUCT,
            ],
        },
        "metadata": metadata,
    }


READINESS_EVENT_TYPE = "RecoveryPlanReadinessChange"
_VERDICT_ICONS = {"READY": "✅", "AT_RISK": "⚠️", "NOT_READY": "❌"}


def readiness_chat_message(
    *,
    plan_id: str,
    plan: str,
    verdict: str,
    previous: str,
    changed_at: str,
    sentence: str,
    problems: Sequence[Mapping[str, Any]],
    console_url: str = "",
) -> dict[str, Any]:
    """The custom notification of a plan's changed readiness verdict (notify/readiness.py): the
    change, each check that did not pass, the command that shows the details, the plan's page."""
    lines = [md(sentence), ""]
    lines += [
        f"• *{md(p['status'])}* {md(p['check'])}: {md(clip(one_line(p['message']), MAX_ERROR_CHARS))}"
        for p in problems
    ] or [md("Every check passed.")]
    link = console_link(console_url, plan_id, "recovery-plans")
    if link:
        lines += ["", f"[Open the plan in the console]({link})"]
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": f"readiness:{plan_id}:{changed_at}",
        "content": {
            "textType": TEXT_TYPE,
            "title": f"{_VERDICT_ICONS.get(verdict, '')} {md(clip(one_line(plan), TITLE_PLAN_CHARS))}: "
            f"readiness {md(verdict)} (was {md(previous)})".strip(),
            "description": "\n".join(lines),
            "nextSteps": [f"See every check: {_code(f'drsctl readiness {plan_id}')}"],
            "keywords": [verdict, "READINESS", PRODUCT],
        },
        "metadata": {
            "threadId": f"readiness-{plan_id}",
            "summary": md(f"{PRODUCT}: {plan} readiness {verdict} (was {previous})"),
            "eventType": READINESS_EVENT_TYPE,
            "relatedResources": [plan_id, *([link] if link else [])],
            "additionalContext": {"planId": plan_id, "verdict": verdict, "previousVerdict": previous},
        },
    }
