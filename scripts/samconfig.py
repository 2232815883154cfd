"""Read the deploy settings of one samconfig.toml environment, as `sam deploy --config-env ENV` does.

Usage: python scripts/samconfig.py ENV KEY     (e.g. `prod region`; prints the value)

The Makefile takes the stack name and the Region of `make deploy`, `make deploy-console` and `make
admin` from here, so that one setting in samconfig.toml serves the stack and the console upload.
A key of [ENV.deploy.parameters] wins over the same key of [ENV.global.parameters]; an environment
inherits nothing from `default` (neither does sam).
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMCONFIG = ROOT / "samconfig.toml"


class SamconfigError(ValueError):
    """An environment or a setting that samconfig.toml does not have."""


def environments(path: Path = SAMCONFIG) -> dict[str, Any]:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: table for name, table in document.items() if isinstance(table, dict)}


def deploy_settings(env: str, path: Path = SAMCONFIG) -> dict[str, Any]:
    """What `sam deploy --config-env ENV` reads: the global parameters, then the deploy ones."""
    found = environments(path)
    if env not in found:
        raise SamconfigError(f"{path.name} has no environment {env!r} (it has: {', '.join(found)})")
    table = found[env]
    return {
        **(table.get("global", {}).get("parameters", {})),
        **(table.get("deploy", {}).get("parameters", {})),
    }


def parameter_overrides(env: str, path: Path = SAMCONFIG) -> dict[str, str]:
    """The environment's `parameter_overrides` ("Key=Value Key2=Value2", or a list of them) by key."""
    raw = deploy_settings(env, path).get("parameter_overrides", "")
    words = shlex.split(raw) if isinstance(raw, str) else [str(w) for w in raw]
    overrides: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise SamconfigError(f"{env}: parameter_overrides: {word!r} is not Key=Value")
        overrides[key] = value
    return overrides


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    env, key = argv
    try:
        settings = deploy_settings(env)
    except SamconfigError as e:
        print(f"samconfig: {e}", file=sys.stderr)
        return 2
    if key not in settings:
        print(f"samconfig: environment {env!r} sets no {key}", file=sys.stderr)
        return 2
    print(settings[key])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
