"""`pip install -e .` (what `make setup` runs) prints no setuptools warning: the license is an SPDX
expression (PEP 639), not the deprecated table. Built as pip builds it, in an isolated environment
with the setuptools the build-system table allows, into a throwaway virtual environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_an_editable_install_prints_no_setuptools_warning(tmp_path: Path) -> None:
    # Given a fresh virtual environment with the newest pip, as `make setup` makes it (a recent pip
    # shows the build backend's warnings even when quiet)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    # When the project is installed as `make setup` does (its dependencies apart), verbosely so that
    # the build backend's own output is shown
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-v", "--no-deps", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = install.stdout + install.stderr
    assert install.returncode == 0, output[-2000:]
    # Then the build says nothing about the license, nor any deprecation
    assert "SetuptoolsDeprecationWarning" not in output
    assert "License classifiers are deprecated" not in output
    assert "project.license" not in output
    assert "license" not in output.lower()
