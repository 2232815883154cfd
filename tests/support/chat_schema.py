"""The JSON Schema of Amazon Q Developer in chat applications' custom notifications, written from
its documentation, for the tests that check the chat messages the notification formatter sends."""

from __future__ import annotations

from typing import Any

# The custom notification event format as the Amazon Q Developer in chat applications
# administrator guide documents it ("Custom notifications", Event schema and Parameter details):
# version (required, "1.0"), source (required, "custom"), id, content (textType "client-markdown",
# title, description (required), nextSteps, keywords), metadata (threadId, summary, eventType,
# relatedResources, additionalContext: a map of strings). No other top-level key is documented.
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string", "minLength": 1}}
CUSTOM_NOTIFICATION: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "source", "content"],
    "properties": {
        "version": {"const": "1.0"},
        "source": {"const": "custom"},
        "id": {"type": "string", "minLength": 1},
        "content": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description"],
            "properties": {
                "textType": {"const": "client-markdown"},
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
                "nextSteps": STRINGS,
                "keywords": STRINGS,
            },
        },
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "threadId": {"type": "string", "minLength": 1},
                "summary": {"type": "string"},
                "eventType": {"type": "string", "minLength": 1},
                "relatedResources": STRINGS,
                "additionalContext": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    },
}
