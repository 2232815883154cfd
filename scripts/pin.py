"""Print a pinned requirement from pyproject.toml, the one place versions are pinned.

Usage: python scripts/pin.py GROUP PACKAGE   (GROUP is "runtime" or an optional-dependencies group)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins(group: str) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    out: dict[str, str] = {}
    for req in reqs:
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(.+)$", req)
        if not match:
            raise SystemExit(f"unpinned requirement in pyproject.toml: {req}")
        out[match.group(1).lower()] = req
    return out


if __name__ == "__main__":
    group, package = sys.argv[1], sys.argv[2].lower()
    print(pins(group)[package])
