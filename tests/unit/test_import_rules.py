"""The import rules of the code map (docs/internals.md, "Wings and what each may import"), read from
the source: every module is parsed (ast), every import (also inside functions and TYPE_CHECKING
blocks) is checked against its layer. A module may import its own layer and those below:

    execution_utils < core (model, config, exceptions, timeutil, identity, text_patterns, views, version)
    < wings (aws, store, actions, reports, notify) < operations (and deps, the wiring)
    < api < handlers (lambda/*/index.py)

and, within the wings, aws/ imports no other wing and store/ uses only the DynamoDB layer of aws/.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "lambda" / "shared"
SRC = ROOT / "src"

CORE = {"model", "config", "exceptions", "timeutil", "identity", "text_patterns", "views", "version"}
WINGS = {"aws", "store", "actions", "reports", "notify", "launch"}
LAYERS = {"execution_utils": 0, "core": 1, "wing": 2, "operations": 3, "api": 4, "handler": 5}
# What store/ may use of aws/: the clients, the typed DynamoDB layer and the error translation.
STORE_MAY_USE_OF_AWS = {
    "orchestrator.aws",
    "orchestrator.aws.clients",
    "orchestrator.aws.dynamo",
    "orchestrator.aws.errors",
}
# What the sandbox may use of drsctl: its API client, nothing more (it runs `drsctl plans apply` as
# a program for a scenario's groups and plans).
SANDBOX_MAY_USE_OF_DRSCTL = {"drsctl.client"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(root: Path, package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((root / package).rglob("*.py")):
        yield module_name(path, root), path


def shared_modules() -> list[tuple[str, Path]]:
    return [("execution_utils", SHARED / "execution_utils.py"), *modules_under(SHARED, "orchestrator")]


def handlers() -> list[tuple[str, Path]]:
    return [(f"handler:{p.parent.name}", p) for p in sorted((ROOT / "lambda").glob("*/index.py"))]


def known_module(name: str) -> bool:
    """Whether `name` is a module (or package) of the shared layer."""
    relative = Path(*name.split("."))
    return (SHARED / relative).with_suffix(".py").exists() or (SHARED / relative / "__init__.py").exists()


def imports_of(path: Path, importer: str) -> set[str]:
    """Every module the file imports; `from pkg import name` counts as pkg.name when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = importer.split(".")[: -node.level]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            for alias in node.names:
                if known_module(f"{module}.{alias.name}"):
                    found.add(f"{module}.{alias.name}")
    return found


def layer_of(module: str) -> int | None:
    """The layer of a module of the shared code, or None for anything else (stdlib, packages)."""
    if module == "execution_utils":
        return LAYERS["execution_utils"]
    if module.startswith("handler:"):
        return LAYERS["handler"]
    parts = module.split(".")
    if parts[0] != "orchestrator":
        return None
    if len(parts) == 1 or parts[1] in CORE:
        return LAYERS["core"]
    if parts[1] in WINGS:
        return LAYERS["wing"]
    if parts[1] in ("operations", "deps"):
        return LAYERS["operations"]
    if parts[1] == "api":
        return LAYERS["api"]
    raise AssertionError(f"{module} is in no layer of the code map: add it to one")


def wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "orchestrator" and parts[1] in WINGS else None


ALL = shared_modules() + handlers()


@pytest.mark.parametrize(("module", "path"), ALL, ids=[m for m, _ in ALL])
def test_a_module_imports_nothing_above_its_layer(module: str, path: Path) -> None:
    # Given a module of the shared code or a handler, When its imports are read,
    # Then none is of a higher layer
    mine = layer_of(module)
    assert mine is not None
    upward = sorted(m for m in imports_of(path, module) if (layer_of(m) or 0) > mine)
    assert not upward, f"{module} (layer {mine}) imports {upward}"


def test_execution_utils_imports_nothing_of_the_orchestrator() -> None:
    imported = imports_of(SHARED / "execution_utils.py", "execution_utils")
    assert not {m for m in imported if m.split(".")[0] == "orchestrator"}


@pytest.mark.parametrize(("module", "path"), ALL, ids=[m for m, _ in ALL])
def test_production_code_never_imports_the_sandbox_the_cli_or_the_tests(module: str, path: Path) -> None:
    roots = {m.split(".")[0] for m in imports_of(path, module)}
    assert not roots & {"drs_sandbox", "drsctl", "tests", "memory_ports", "in_memory", "sandbox_api"}


@pytest.mark.parametrize(("module", "path"), ALL, ids=[m for m, _ in ALL])
def test_the_wings_keep_to_their_own_imports(module: str, path: Path) -> None:
    # Given a module of a wing, Then: aws/ uses no other wing; store/ uses only the DynamoDB layer,
    # the clients and the error translation of aws/
    wing = wing_of(module)
    imported = imports_of(path, module)
    if wing == "aws":
        others = sorted(m for m in imported if wing_of(m) not in (None, "aws"))
        assert not others, f"{module} imports {others}"
    if wing == "store":
        adapters = sorted(m for m in imported if wing_of(m) == "aws" and m not in STORE_MAY_USE_OF_AWS)
        assert not adapters, f"{module} imports AWS adapters {adapters}"
        others = sorted(m for m in imported if wing_of(m) not in (None, "aws", "store"))
        assert not others, f"{module} imports {others}"


def test_operations_never_import_the_api() -> None:
    for module, path in modules_under(SHARED, "orchestrator/operations"):
        api = sorted(m for m in imports_of(path, module) if m.startswith("orchestrator.api"))
        assert not api, f"{module} imports {api}"


@pytest.mark.parametrize("path", sorted((SRC / "drsctl").rglob("*.py")), ids=str)
def test_drsctl_never_imports_the_sandbox(path: Path) -> None:
    # drsctl starts the sandbox as a program (python -m drs_sandbox.server), never as a library
    imported = imports_of(path, module_name(path, SRC))
    assert not {m for m in imported if m.split(".")[0] == "drs_sandbox"}


@pytest.mark.parametrize("path", sorted((SRC / "drs_sandbox").rglob("*.py")), ids=str)
def test_the_sandbox_uses_no_more_of_drsctl_than_its_client(path: Path) -> None:
    imported = imports_of(path, module_name(path, SRC))
    beyond = sorted(
        m
        for m in imported
        if m.split(".")[0] == "drsctl" and m != "drsctl" and m not in SANDBOX_MAY_USE_OF_DRSCTL
    )
    assert not beyond, f"{path.name} imports {beyond}"


@pytest.mark.parametrize(
    "path", sorted((SRC / "drsctl").rglob("*.py")) + sorted((SRC / "drs_sandbox").rglob("*.py")), ids=str
)
def test_neither_drsctl_nor_the_sandbox_imports_the_demo(path: Path) -> None:
    # The demo (drs_demo) stands above both: it starts the sandbox and drives it with drsctl's views
    imported = imports_of(path, module_name(path, SRC))
    assert not {m for m in imported if m.split(".")[0] == "drs_demo"}


def test_every_module_is_in_a_layer() -> None:
    # A new top-level module or package must be placed in the code map before it is used
    for module, _ in ALL:
        assert layer_of(module) is not None


@pytest.mark.parametrize(("module", "path"), ALL, ids=[m for m, _ in ALL])
def test_operations_and_the_api_never_touch_the_dynamodb_layer(module: str, path: Path) -> None:
    # Records cross modules typed: only the stores (and the stream reader of notify/) read DynamoDB items
    if module.startswith(("orchestrator.operations", "orchestrator.api")):
        assert "orchestrator.aws.dynamo" not in imports_of(path, module)
