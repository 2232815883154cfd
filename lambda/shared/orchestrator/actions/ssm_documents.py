"""What the two SSM action types share: the document and parameters fields, and the stack's
allow-list a document must be on (its IAM policy allows no other document)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.actions.base import Problem
from orchestrator.text_patterns import DESCRIPTION_PATTERN

DOCUMENT_NAME: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9_.:/-]{3,128}$"}
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "maxProperties": 50,
    "propertyNames": {"pattern": "^[A-Za-z0-9_.-]{1,128}$"},
    "additionalProperties": {
        "type": "array",
        "maxItems": 100,
        "items": {"type": "string", "maxLength": 4096, "pattern": DESCRIPTION_PATTERN},
    },
}


def document_problems(
    action: Mapping[str, Any], kind: str, allowed: tuple[str, ...], stack_parameter: str
) -> list[Problem]:
    """The document is on its type's allow-list: a Command document cannot be started as an
    Automation, nor the reverse, so each type has its own list (and stack parameter)."""
    if action["documentName"] in allowed:
        return []
    listed = f"allowed: {', '.join(allowed)}" if allowed else "this stack allows none"
    return [
        (
            "documentName",
            f"{kind} document {action['documentName']!r} is not allowed; {listed} "
            f"(stack parameter {stack_parameter})",
        )
    ]
