"""The product's version, as GET /health, the OpenAPI document and the console show it.

pyproject.toml's [project].version is the one source: the Lambda package carries no pyproject.toml
to read at run time, so this copy (and the stack's `Version` output in template.yaml) is kept equal
to it by tests/unit/test_versions.py. Bump all three in one commit, with a CHANGELOG.md entry.
"""

from __future__ import annotations

VERSION = "0.1.0"
