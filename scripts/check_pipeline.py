"""Check the pipeline example beyond what cfn-lint sees: each CodeBuild project's buildspec exists,
is a version 0.2 buildspec, and every `make TARGET` it runs is a target of the Makefile; each
samconfig environment a deploy action names exists.

python scripts/check_pipeline.py [pipeline/codepipeline.yaml]   (exit 1 and one line per problem)
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from drs_sandbox.cfn import load_template  # noqa: E402
from scripts.samconfig import environments  # noqa: E402


def make_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    text = makefile.read_text(encoding="utf-8").replace("$(STAMP)", ".stamps")
    return set(re.findall(r"^([A-Za-z0-9_./-]+):(?!=)", text, re.M))


def make_calls(command: str) -> list[str]:
    """The targets of every `make ...` in one shell command (options and VAR=value left out)."""
    targets: list[str] = []
    for part in re.split(r"&&|\|\||;", command):
        words = shlex.split(part)
        if words and words[0] == "make":
            targets += [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    return targets


def problems(template_path: Path = ROOT / "pipeline" / "codepipeline.yaml") -> list[str]:
    template = load_template(template_path)
    found: list[str] = []
    targets = make_targets()
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CodeBuild::Project":
            continue
        spec_path = resource["Properties"]["Source"].get("BuildSpec")
        if not spec_path or not (ROOT / spec_path).is_file():
            found.append(f"{name}: buildspec {spec_path!r} is not a file of the repository")
            continue
        spec: dict[str, Any] = yaml.safe_load((ROOT / spec_path).read_text(encoding="utf-8"))
        if str(spec.get("version")) != "0.2":
            found.append(f"{spec_path}: version must be 0.2 (commands of a phase share one shell)")
        for phase, body in (spec.get("phases") or {}).items():
            for command in body.get("commands") or []:
                found += [
                    f"{spec_path}: {phase}: make {t}: no such target in the Makefile"
                    for t in make_calls(command)
                    if t not in targets
                ]
    envs = set(environments())
    for stage in template["Resources"]["Pipeline"]["Properties"]["Stages"]:
        for action in stage["Actions"]:
            variables = action.get("Configuration", {}).get("EnvironmentVariables")
            for variable in json.loads(variables) if variables else []:
                if variable["name"] == "DEPLOY_ENV" and variable["value"] not in envs:
                    found.append(
                        f"{stage['Name']}: DEPLOY_ENV {variable['value']!r} is no samconfig.toml environment"
                    )
    return found


def main(argv: list[str]) -> int:
    found = problems(Path(argv[0])) if argv else problems()
    for problem in found:
        print(f"check_pipeline: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
