"""One version, pyproject.toml's [project].version, shown everywhere: GET /health (and the console
that reads it), the OpenAPI document, the stack's `Version` output, drsctl --version (the installed
distribution's metadata) and CHANGELOG.md. The Lambda package cannot read pyproject.toml at run time,
so its copy and the template's are held equal to it here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from drs_sandbox.cfn import load_template
from orchestrator.api.openapi import build_document
from orchestrator.api.routes.service import health
from orchestrator.version import VERSION

ROOT = Path(__file__).resolve().parents[2]


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        version: str = tomllib.load(f)["project"]["version"]
    return version


def test_the_lambda_code_carries_pyprojects_version() -> None:
    # Given pyproject.toml's version, Then the layer's copy is the same string
    assert project_version() == VERSION, "set VERSION in lambda/shared/orchestrator/version.py to pyproject's"


def test_health_and_the_openapi_document_answer_that_version() -> None:
    # When GET /health is answered and the OpenAPI document is built, Then both carry the version
    assert health(None) == {"status": "ok", "version": project_version()}  # type: ignore[arg-type]
    assert build_document()["info"]["version"] == project_version()


def test_the_stack_outputs_that_version() -> None:
    # Given template.yaml, Then its Version output is pyproject.toml's version
    output = load_template()["Outputs"]["Version"]
    assert output["Value"] == project_version(), "set template.yaml's Outputs.Version.Value to pyproject's"
    assert output["Description"]


def test_the_changelog_has_a_section_for_that_version() -> None:
    # Given CHANGELOG.md (Keep a Changelog), Then the current version has a dated section of its own
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(project_version())}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
    assert re.search(r"^## \[Unreleased\]$", text, re.M)
