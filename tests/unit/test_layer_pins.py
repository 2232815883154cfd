"""The layer's requirements are the versions pinned in pyproject.toml, the one place pins live."""

from __future__ import annotations

from pathlib import Path

from scripts.pin import pins

ROOT = Path(__file__).resolve().parents[2]


def test_every_layer_requirement_is_the_version_pinned_in_pyproject() -> None:
    lines = (ROOT / "lambda" / "shared" / "requirements.txt").read_text().splitlines()
    wanted = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    pinned = pins("runtime")
    assert wanted, "the layer lists its packages"
    for requirement in wanted:
        name = requirement.split("==")[0].lower()
        assert pinned.get(name) == requirement, f"{requirement} is not pyproject's {pinned.get(name)}"
