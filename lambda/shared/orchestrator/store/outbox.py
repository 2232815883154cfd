"""The outbox of an execution record: the timeline events a state change makes happen, written in
the same conditional write as the change, then moved to the timeline and taken out once there."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from orchestrator.exceptions import StaleWriteError
from orchestrator.model import PendingEvent
from orchestrator.store.changes import Change, Equals, Missing

# How often take_out reads again after a concurrent change of the outbox.
_ATTEMPTS = 5


def with_event(change: Change, event: PendingEvent | None) -> Change:
    """The event this change makes happen, appended in the same (conditional) write, so the state
    change and its event are recorded together or not at all. The timeline gets it next
    (``take_out`` once it did); until then eventsPending puts the record in the EventsIndex."""
    if event is not None:
        change.appends["pendingEvents"] = [event]
        change.set("eventsPending", "PENDING")
    return change


def take_out(
    apply: Callable[[str, Change], Mapping[str, Any] | None],
    read: Callable[[str], Mapping[str, Any]],
    execution: Mapping[str, Any],
    event_ids: Collection[str],
) -> Mapping[str, Any]:
    """Take the events ``event_ids`` out of the outbox, each only where it was read (a concurrent
    change of the outbox: read again). Idempotent: events no longer there are done. The last one out
    also clears eventsPending. Returns the record as it is after."""
    current = execution
    for _attempt in range(_ATTEMPTS):
        pending = current.get("pendingEvents") or []
        at = [n for n, p in enumerate(pending) if p["eventId"] in event_ids]
        if not at:
            return current
        change = Change().when(*(Equals(f"pendingEvents[{n}].eventId", pending[n]["eventId"]) for n in at))
        if len(at) == len(pending):
            change.when(Missing(f"pendingEvents[{len(pending)}]")).remove("pendingEvents", "eventsPending")
        else:  # highest index first: the same whether removed together or one after another
            change.remove(*(f"pendingEvents[{n}]" for n in reversed(at)))
        found = apply(execution["executionId"], change)
        if found is not None:
            return found
        current = read(execution["executionId"])
    raise StaleWriteError("the outbox kept changing while its events were being taken out")
