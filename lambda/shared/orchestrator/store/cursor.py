"""Cursors of the watchers' reads: what changed in an execution since a reader's last read.

Every write of a server item or a timeline event stamps it with ``changedAt`` (the writer's clock,
microseconds); each table's ``ChangeIndex`` (executionId, changedAt) answers "written since". A
reader gets a cursor with every read (the time that read began) and asks the next time for what was
written since that cursor, less ``OVERLAP``: a write whose stamp was taken just before the cursor
but landed after it (a batch retried, the index catching up, clocks a little apart) is read again
rather than missed. Reading an item twice is harmless: the reader merges by key.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta

from orchestrator.exceptions import BadRequestError

# How far before a cursor a read looks again (see the module's docstring).
OVERLAP = timedelta(seconds=10)
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """The ``changedAt`` of a write at ``moment``: ISO-8601 UTC with microseconds (sorts as text)."""
    return moment.astimezone(UTC).strftime(_FORMAT)


def encode(moment: datetime) -> str:
    """The cursor a read that began at ``moment`` hands out (opaque to the reader)."""
    text = json.dumps({"at": stamp(moment)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str) -> str:
    """The smallest ``changedAt`` a read since ``cursor`` must see (the cursor's time less
    OVERLAP); 400 INVALID_QUERY for anything this API did not hand out."""
    invalid = BadRequestError("since is not a cursor this API returned", code="INVALID_QUERY")
    if not cursor or len(cursor) > 200:
        raise invalid
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError) as e:
        raise invalid from e
    if not isinstance(value, dict) or set(value) != {"at"}:
        raise invalid
    at = value["at"]
    if not isinstance(at, str) or not _STAMP.match(at):
        raise invalid
    try:
        moment = datetime.strptime(at, _FORMAT).replace(tzinfo=UTC)
    except ValueError as e:
        raise invalid from e
    return stamp(moment - OVERLAP)
