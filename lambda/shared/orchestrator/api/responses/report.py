"""The report's schema: the report model's own (reports/report.schema.json, also at
docs/report.schema.json), its $defs published as components named Report<Def>."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPORT_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "reports" / "report.schema.json"


def report_schema() -> dict[str, Any]:
    """The report model's schema with its $defs as components (``#/$defs/x`` -> ``ReportX``)."""
    text = REPORT_SCHEMA_PATH.read_text(encoding="utf-8")
    text = text.replace('"#/$defs/', '"#/components/schemas/Report')
    for name in json.loads(REPORT_SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]:
        text = text.replace(
            f'"#/components/schemas/Report{name}"', f'"#/components/schemas/Report{cap(name)}"'
        )
    document: dict[str, Any] = json.loads(text)
    return document


def cap(name: str) -> str:
    return name[0].upper() + name[1:]
