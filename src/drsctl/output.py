"""What a command prints, in the format asked for (as the AWS CLI's --output and --query):

- ``table``: the human rendering (rich on a terminal, plain aligned columns in a pipe);
- ``text``: tab-separated values, one record a line, no header (``cut -f1`` friendly);
- ``json`` / ``yaml``: the API's document;
- ``--query``: a JMESPath expression applied to the JSON document before any of these;
- ``-q/--quiet``: only what a script needs (ids), one a line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from drsctl.client import DrsctlError
from drsctl.render import clean, user_text

# A cell holding an id is never wrapped or cut: its column is at least as wide as its longest id, the
# other columns fold first.
ID_HEADERS = {"ID", "EXECUTION", "SOURCE SERVER", "EC2 INSTANCE"}


def is_id_column(header: str) -> bool:
    """A table's id column: a known header, or a --query key naming an id (`executionId`, `id`)."""
    return header in ID_HEADERS or header.lower().endswith("id")


class QueryError(DrsctlError):
    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "BAD_QUERY", "message": str(self)}}


def apply_query(data: Any, expression: str) -> Any:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(expression, data)
    except JMESPathError as e:
        message = " ".join(str(e).split())
        raise QueryError(f"--query {expression!r} is not a valid JMESPath expression: {message}") from e


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)


def to_yaml(data: Any) -> str:
    """YAML of the JSON document; long strings stay on one line (an id or a command is never split)."""
    plain = json.loads(json.dumps(data, default=str))
    return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=float("inf")).rstrip("\n")


def _scalar(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return clean(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def text_lines(data: Any) -> list[str]:
    """A document as tab-separated lines, as the AWS CLI's text output: an object's scalar values on
    one line (then its nested lists and objects), a list of scalars on one line, a list of objects one
    line each."""
    if _is_scalar(data):
        return [_scalar(data)]
    if isinstance(data, list):
        if all(_is_scalar(v) for v in data):
            return ["\t".join(_scalar(v) for v in data)] if data else []
        return [line for item in data for line in text_lines(item)]
    scalars = [_scalar(v) for v in data.values() if _is_scalar(v)]
    lines = ["\t".join(scalars)] if scalars else []
    for value in data.values():
        if not _is_scalar(value):
            lines += text_lines(value)
    return lines


def rows_text(rows: Sequence[Sequence[Any]]) -> list[str]:
    return ["\t".join("" if v is None else clean(v) for v in row) for row in rows]


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> Table:
    """Aligned columns of user text (never markup). Id columns never wrap and are as wide as their
    longest id; the other columns fold when the terminal is narrow."""
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for index, header in enumerate(headers):
        if is_id_column(header):
            longest = max([len(clean(r[index] or "")) for r in rows] + [len(header)])
            grid.add_column(header, no_wrap=True, min_width=longest)
        else:
            grid.add_column(header, overflow="fold")
    for row in rows:
        grid.add_row(*[user_text(v) for v in row])
    return grid


def print_table(console: Console, grid: Table) -> None:
    """A table; off a terminal without the padding after its last column."""
    if console.is_terminal:
        console.print(grid)
        return
    with console.capture() as captured:
        console.print(grid)
    for line in captured.get().splitlines():
        console.print(Text(line.rstrip()), soft_wrap=True)


def generic_table(console: Console, data: Any) -> None:
    """A --query result in the table format: a list of objects as columns, an object as KEY VALUE
    lines, scalars one a line."""
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        keys: list[str] = []
        for item in data:
            keys += [k for k in item if k not in keys]
        rows = [[_cell(item.get(k)) for k in keys] for item in data]
        print_table(console, table(rows, keys))
    elif isinstance(data, dict):
        print_table(console, table([[k, _cell(v)] for k, v in data.items()], ("KEY", "VALUE")))
    else:
        for line in text_lines(data):
            console.print(Text(line), soft_wrap=True)


def _cell(value: Any) -> str:
    return _scalar(value) if _is_scalar(value) else json.dumps(value, default=str)
