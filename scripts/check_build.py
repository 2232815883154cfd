"""Import every built function's handler from the `sam build` output alone.

Usage: python scripts/check_build.py BUILD_DIR      (e.g. .aws-sam/build)

For every AWS::Serverless::Function of BUILD_DIR/template.yaml, a fresh interpreter of the
function's runtime (python3.13: $CHECK_BUILD_PYTHON, `pyenv which python3.13` under
PYENV_VERSION, an installed pyenv 3.13, or python3.13 on PATH) is started with `-I -S -B`:
isolated mode (no PYTHON* variables, no script folder, no user site), no `site` (so no
site-packages at all) and no .pyc written into the build output. Its environment is empty except for the function's own variables (from the
built template, intrinsics resolved to placeholder values), a region and fake credentials.
Its sys.path is set, in the Lambda runtime's order, to:

  1. the function's build folder                     (/var/task in Lambda)
  2. each layer's build folder + /python             (/opt/python)
  3. a temporary "runtime" folder                     (/var/runtime in Lambda)
  4. the interpreter's standard library

The runtime folder stands for what Lambda itself provides and the build rightly leaves out:
it holds symlinks to boto3, botocore, s3transfer, jmespath, dateutil, urllib3 and six as
installed in the interpreter running this script (the project venv), and nothing else. Neither
the repository nor any site-packages folder is on the path, so a module the build forgot cannot
be found elsewhere. Sockets are disabled in the child: importing a handler must not touch the
network.

The child imports `execution_utils`, `orchestrator` and `aws_lambda_powertools` and checks that
each comes from a layer of the function, imports the handler module and takes the handler
attribute (`getattr(module, name)`, never called), and finally checks that every imported
module came from one of the folders above. A function without a layer, a layer missing from
the build, or a native extension module (the layer must stay pure Python, but for the optional
speedups of OPTIONAL_NATIVE) fails the check.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from drs_sandbox import cfn  # noqa: E402

# What the Lambda Python runtime provides besides the standard library (top-level names).
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# What every function must get from its layer.
LAYER_MODULES = ("execution_utils", "orchestrator", "aws_lambda_powertools")
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
# Native modules that are optional speedups of a pure-Python package: the build (arm64 here) may
# carry them because the package falls back to its Python code when they cannot load, which the
# import of every handler below proves on this machine. Any other native module fails the check.
OPTIONAL_NATIVE = {"wrapt": ("_wrappers",)}

CHILD = r"""
import importlib, json, os, socket, sys
spec = json.loads(sys.argv[1])

def refuse(*args, **kwargs):
    raise OSError("network access while importing the handler")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

stdlib = [p for p in sys.path if p and os.path.isdir(p) or p.endswith(".zip")]
sys.path[:] = spec["code"] + spec["layers"] + [spec["runtime"]] + stdlib
roots = [os.path.realpath(p) for p in spec["code"] + spec["layers"]] + [spec["runtime"]]
stdlib_roots = [os.path.realpath(p) for p in stdlib]
problems = []

def origin(module):
    path = getattr(module, "__file__", None)
    if path is None:
        paths = list(getattr(module, "__path__", []))
        path = paths[0] if paths else None
    return path

def under(path, folders):
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f.rstrip(os.sep) + os.sep) for f in folders)

def runtime_path(path):
    return os.path.abspath(path).startswith(spec["runtime"] + os.sep)

for name in spec["layer_modules"]:
    try:
        module = importlib.import_module(name)
    except Exception as error:
        problems.append("cannot import %s from the build: %s: %s" % (name, type(error).__name__, error))
        continue
    path = origin(module)
    if path is None or not under(path, [os.path.realpath(p) for p in spec["layers"]]):
        problems.append("%s comes from %s, not from the function's layer" % (name, path))

module_name, _, attribute = spec["handler"].rpartition(".")
try:
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute)
    if not callable(handler):
        problems.append("%s is not callable" % spec["handler"])
except Exception as error:
    problems.append("cannot import handler %s: %s: %s" % (spec["handler"], type(error).__name__, error))

for name, module in sorted(sys.modules.items()):
    path = origin(module)
    if path is None or path in ("built-in", "frozen"):
        continue
    if runtime_path(path) or under(path, roots):
        continue
    if under(path, stdlib_roots) and os.sep + "site-packages" + os.sep not in os.path.realpath(path):
        continue
    problems.append("module %s was imported from outside the build: %s" % (name, path))
    break

print(json.dumps(problems))
"""


def find_python(runtime: str) -> str:
    """The interpreter of a Lambda runtime name such as ``python3.13``: $CHECK_BUILD_PYTHON,
    `pyenv which` (honours PYENV_VERSION), an installed pyenv version, then PATH (pyenv shims
    are skipped: they need PYENV_VERSION, which the child's clean environment does not have)."""
    if not runtime.startswith("python"):
        raise SystemExit(f"unsupported runtime {runtime!r}: this check imports Python handlers only")
    version = runtime.removeprefix("python")  # "3.13"
    candidates: list[str] = []
    if os.environ.get("CHECK_BUILD_PYTHON"):
        candidates.append(os.environ["CHECK_BUILD_PYTHON"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        found = subprocess.run([pyenv, "which", runtime], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(found.stdout.strip())
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if root:
            candidates += sorted(str(p) for p in Path(root).glob(f"versions/{version}.*/bin/{runtime}"))
    on_path = shutil.which(runtime)
    if on_path and "/shims/" not in on_path:
        candidates.append(on_path)
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            env={},
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise SystemExit(
        f"{runtime} not found: set PYENV_VERSION (e.g. 3.11.7:3.12.1:3.13.0), put {runtime} on PATH "
        "or set CHECK_BUILD_PYTHON"
    )


def make_runtime_dir(into: Path) -> Path:
    """Symlinks to the modules the Lambda runtime provides, as installed for this interpreter."""
    runtime = into / "runtime"
    runtime.mkdir()
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{name} is not installed in {sys.executable}; run `make setup`")
        if spec.submodule_search_locations:  # a package: link its folder
            source = Path(next(iter(spec.submodule_search_locations)))
        else:  # a single-file module such as six.py
            source = Path(spec.origin)
        (runtime / source.name).symlink_to(source)
    return runtime


def native_modules(folders: list[Path]) -> list[Path]:
    """Native extension modules of the folders, but the optional speedups of OPTIONAL_NATIVE."""

    def optional(path: Path, folder: Path) -> bool:
        package = path.relative_to(folder).parts[0]
        return path.name.split(".")[0] in OPTIONAL_NATIVE.get(package, ())

    return [
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.suffix in NATIVE_SUFFIXES and not optional(p, folder)
    ]


def check_function(fn: cfn.FunctionSpec, runtime_dir: Path, build_dir: Path) -> list[str]:
    problems: list[str] = []
    if not fn.code_dir.is_dir():
        return [f"code folder {fn.code_dir} is missing from the build"]
    if not fn.layer_dirs:
        problems.append("has no layer of this template (the shared code would be missing)")
    layer_paths = [d / "python" for d in fn.layer_dirs]
    for layer in fn.layer_dirs:
        if not (layer / "python").is_dir():
            problems.append(f"layer {layer.relative_to(build_dir)} has no python/ folder in the build")
    for path in native_modules([fn.code_dir, *[p for p in layer_paths if p.is_dir()]]):
        problems.append(f"native extension {path.relative_to(build_dir)}: the build must be pure Python")
    if problems:
        return problems

    spec = {
        "code": [str(fn.code_dir)],
        "layers": [str(p) for p in layer_paths],
        "runtime": str(runtime_dir),
        "handler": fn.handler,
        "layer_modules": list(LAYER_MODULES),
    }
    env = {
        **fn.environment,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "LAMBDA_TASK_ROOT": str(fn.code_dir),
        "_HANDLER": fn.handler,
        "LANG": "C.UTF-8",
    }
    python = find_python(fn.runtime)
    result = subprocess.run(
        [python, "-I", "-S", "-B", "-c", CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=runtime_dir,  # -I keeps the cwd off sys.path anyway; never the repository
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [f"{python} exited with status {result.returncode}: {tail}"]
    try:
        reported: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [f"unexpected output of the import check: {result.stdout[-300:]!r} {result.stderr[-300:]!r}"]
    return reported


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_build.py BUILD_DIR", file=sys.stderr)
        return 2
    build_dir = Path(argv[0]).resolve()
    built = build_dir / "template.yaml"
    if not built.is_file():
        print(f"{built}: missing; run `make build` first", file=sys.stderr)
        return 1
    template = cfn.load_template(built)
    resolver = cfn.Resolver(template)
    functions = cfn.function_specs(template, resolver)
    if not functions:
        print(f"{built}: no AWS::Serverless::Function", file=sys.stderr)
        return 1
    failed = False
    with tempfile.TemporaryDirectory(prefix="check-build-") as tmp:
        runtime_dir = make_runtime_dir(Path(tmp))
        for fn in functions:
            problems = check_function(fn, runtime_dir, build_dir)
            for problem in problems:
                print(f"{fn.logical_id}: {problem}", file=sys.stderr)
            if not problems:
                layers = ", ".join(str(d.relative_to(build_dir)) for d in fn.layer_dirs)
                print(f"{fn.logical_id}: {fn.handler} imports from the build ({layers} + runtime)")
            failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
