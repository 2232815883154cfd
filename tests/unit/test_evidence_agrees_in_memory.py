"""Evidence that never contradicts itself: the paused time is one number (one rule, one computation)
on every surface, an approval's expiry names its real limit, and the sentences written after a skip
or a retry know whether a wave is left. Operations run on in-memory ports with a fake clock."""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from drsctl import render
from execution_utils import (
    after_retry_text,
    after_skip_text,
    duration_seconds,
    format_limit,
    pause_seconds,
    paused_seconds,
    recovery_time,
    whole_second,
)
from orchestrator import timeutil
from orchestrator.aws.dynamo import serialize
from orchestrator.notify.messages import build_notification, status_change_from_record
from orchestrator.operations import actions, control
from orchestrator.operations.timeline import all_events
from orchestrator.reports.html import render_html
from orchestrator.reports.model import build_report
from orchestrator.views import execution_view

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}
BASE = 1_790_000_000  # a whole second (Unix time)


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return timeutil.iso(datetime.fromtimestamp(BASE + seconds, UTC))


# --- the one rule -------------------------------------------------------------------------------------


def test_a_span_is_the_whole_second_of_its_end_minus_that_of_its_start() -> None:
    """Given a pause from 10.9 s to 27.5 s (16.6 s); then it counts 27 - 10 = 17 s, by every helper."""
    start, end = _iso(10.9), _iso(27.5)
    assert pause_seconds(start, end) == duration_seconds(start, end) == 17
    assert whole_second(end) - whole_second(start) == 17


moments = st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=2, max_size=12, unique=True)


@given(moments)
def test_spans_laid_end_to_end_add_up_to_the_whole(points: list[int]) -> None:
    """Given any cut of a span into consecutive parts (millisecond boundaries); then the parts, each
    counted by the one rule, add up exactly to the whole: no part gains or loses a second alone."""
    times = [_iso(ms / 1000) for ms in sorted(points)]
    parts = [pause_seconds(a, b) for a, b in pairwise(times)]
    assert sum(parts) == pause_seconds(times[0], times[-1])
    assert all(
        abs(p - (b - a) / 1000) < 1
        for p, a, b in zip(parts, *zip(*pairwise(sorted(points)), strict=True), strict=True)
    )


def test_an_open_pause_counts_up_to_now_and_only_while_paused() -> None:
    record = {"status": "PAUSED", "pausedSeconds": 5, "pausedTime": _iso(10.9)}
    assert paused_seconds(record, _iso(13.2)) == 5 + 3
    assert paused_seconds({**record, "status": "IN_PROGRESS"}, _iso(13.2)) == 5
    assert recovery_time(record, _iso(13.2))["pausedSeconds"] == 8


# --- one number on every surface ------------------------------------------------------------------------


def _drill_with_pauses(orc: Orchestration, offset: float, waits: list[float]) -> str:
    """A 3-wave plan pausing before waves 2 and 3 (and an approval before wave 3), each pause answered
    after the next of ``waits`` seconds; the clock starts ``offset`` into a second."""
    orc.clock.advance(offset)
    groups = [orc.add_group(f"g{n}", orc.servers(1, phaseDurations=QUICK)) for n in (1, 2, 3)]
    plan_id = orc.add_plan(
        [("DB", [groups[0]], False), ("App", [groups[1]], True), ("Web", [groups[2]], True)],
        {3: {"preActions": [{"name": "cab-ok", "type": "APPROVAL"}]}},
    )
    execution_id = str(orc.start(plan_id)["executionId"])
    pending = list(waits)

    def answer(eid: str, record: dict[str, Any]) -> None:
        orc.clock.advance(pending.pop(0) if pending else 1.5)
        control.resume(orc.deps, eid, actor="tester", comment="checked")

    orc.run_to_end(execution_id, on_pause=answer)
    return execution_id


def _surfaces(orc: Orchestration, execution_id: str) -> dict[str, Any]:
    """The paused time as each surface has it: API view, report model (total and parts), HTML page
    (headline, chart, pauses table, approvals table), email and drsctl."""
    record = orc.get(execution_id)
    now = orc.deps.clock.now()
    view = execution_view(record, now)
    servers = list(orc.deps.stores.servers.all(execution_id))
    report = build_report(record, servers, all_events(orc.deps, execution_id, servers), timeutil.iso(now))
    page = render_html(report)
    stream = {
        "eventName": "MODIFY",
        "dynamodb": {
            "OldImage": serialize({**record, "status": "IN_PROGRESS", "version": 1}),
            "NewImage": serialize({**record, "version": 2}),
            "SequenceNumber": "1",
        },
    }
    change = status_change_from_record(stream)
    assert change is not None
    return {
        "view": view,
        "report": report,
        "headline": int(re.search(r'data-metric="paused" data-seconds="(\d+)"', page).group(1)),  # type: ignore[union-attr]
        "chart": [int(s) for s in re.findall(r'<g class="pause" data-seconds="(\d+)"', page)],
        "chart_labels": re.findall(r'class="pause-label">paused ([^<]*)<', page),
        "table": [
            int(s)
            for s in re.findall(r'<td class="num" data-seconds="(\d+)">', page.split('class="pauses"')[-1])
        ],
        "page": page,
        "email": build_notification(change).email,
        "drsctl": render.recovery_line(view["recoveryTime"]),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offset=st.floats(min_value=0, max_value=0.999),
    waits=st.lists(st.floats(min_value=0.001, max_value=90), min_size=3, max_size=3),
)
def test_the_paused_time_is_one_number_on_every_surface(offset: float, waits: list[float]) -> None:
    """Given a drill paused before wave 2, before wave 3 and for an approval, each answered after a
    fraction of seconds that may fall anywhere in a second
    When the execution ends
    Then the API's pausedSeconds (top level and recoveryTime), the report's total, the sum of its
    pauses, the HTML headline, the chart's shaded pauses, the pauses table, the email and drsctl all
    say the same whole number; and active time is recovery time minus that number."""
    orc = in_memory_orchestration()
    execution_id = _drill_with_pauses(orc, offset, waits)
    seen = _surfaces(orc, execution_id)
    view, report = seen["view"], seen["report"]
    total = view["pausedSeconds"]
    assert view["status"] == "COMPLETED"
    assert view["recoveryTime"]["pausedSeconds"] == report["recoveryTime"]["pausedSeconds"] == total
    parts = [p["seconds"] for p in report["pauses"]]
    assert len(parts) == 3 and sum(parts) == total
    assert parts == [whole_second(p["end"]) - whole_second(p["start"]) for p in report["pauses"]]
    assert seen["headline"] == total and sum(seen["chart"]) == total and seen["chart"] == parts
    assert seen["table"] == parts
    assert view["recoveryTime"]["activeSeconds"] == view["recoveryTime"]["seconds"] - total
    shown = render.duration_text(total)
    for text in (seen["drsctl"], seen["email"]):  # both say it only when some time was paused
        assert (f"({shown} paused)" in text) if total else ("paused)" not in text)
    [approval] = [a for w in report["waves"] for a in w["actions"] if a["type"] == "APPROVAL"]
    assert approval["waitedSeconds"] == parts[2]


def test_a_pause_of_16_6_seconds_reads_17_s_in_the_headline_the_chart_and_the_table() -> None:
    """Given one pause of 16.6 s that starts 0.9 s into a second (the issue's "17s" against "16 s")
    Then the headline, the chart's label and the pauses table all say 17s."""
    orc = in_memory_orchestration()
    execution_id = _drill_with_pauses(orc, 0.9, [16.6, 0.0, 0.0])
    seen = _surfaces(orc, execution_id)
    first = seen["report"]["pauses"][0]
    assert first["start"].endswith(".900Z") and first["end"].endswith(".500Z")
    assert first["seconds"] == 17
    assert seen["chart_labels"][0] == render.duration_text(first["seconds"])
    assert seen["table"][0] == first["seconds"] and seen["chart"][0] == first["seconds"]
    assert seen["headline"] == sum(seen["table"])


def test_while_paused_the_api_and_the_report_count_the_open_pause_alike() -> None:
    """Given a drill paused before wave 2 for 3.7 s so far
    Then GET /executions/{id} (top level and recoveryTime) and the report's total and its open pause agree."""
    orc = in_memory_orchestration()
    orc.clock.advance(0.6)
    groups = [orc.add_group(f"g{n}", orc.servers(1, phaseDurations=QUICK)) for n in (1, 2)]
    plan_id = orc.add_plan([("DB", [groups[0]], False), ("App", [groups[1]], True)])
    execution_id = str(orc.start(plan_id)["executionId"])
    orc.run_to_end(execution_id, resume=False)
    orc.clock.advance(3.7)
    seen = _surfaces(orc, execution_id)
    assert seen["view"]["status"] == "PAUSED"
    total = seen["view"]["pausedSeconds"]
    assert (
        total
        == seen["view"]["recoveryTime"]["pausedSeconds"]
        == seen["report"]["recoveryTime"]["pausedSeconds"]
    )
    assert [p["seconds"] for p in seen["report"]["pauses"]] == [total]
    assert total in (3, 4)


# --- an approval's real limit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(10, "10 s"), (59, "59 s"), (90, "90 s"), (900, "15 min"), (5400, "90 min"), (86400, "24 h")],
)
def test_a_limit_is_said_in_the_largest_unit_that_states_it_exactly(seconds: int, words: str) -> None:
    assert format_limit(seconds) == words


def test_an_approval_of_10_seconds_that_expires_says_10_s_in_the_action_wave_and_timeline() -> None:
    """Given an approval with timeoutSeconds 10 before wave 1
    When nobody approves and its wait times out
    Then the action's error, the wave's error and the timeline say "not approved within 10 s"
    (never "0 minutes")."""
    orc = in_memory_orchestration()
    group = orc.add_group("g", orc.servers(1, phaseDurations=QUICK))
    plan_id = orc.add_plan(
        [("DB", [group], False)],
        {1: {"preActions": [{"name": "cab-ok", "type": "APPROVAL", "timeoutSeconds": 10}]}},
    )
    execution_id = str(orc.start(plan_id)["executionId"])

    def expire(eid: str, record: dict[str, Any]) -> None:
        orc.clock.advance(10)
        actions.approval_expired(orc.deps, {"executionId": eid, "waveIndex": 0, "pollCount": 0})

    final = orc.run_to_end(execution_id, on_pause=expire)
    action = final["waves"][0]["actions"][0]
    assert action["status"] == "TIMED_OUT" and action["error"] == "not approved within 10 s"
    assert "not approved within 10 s" in final["waves"][0]["error"]
    events = [e["message"] for e in all_events(orc.deps, execution_id, []) if e["type"] == "ACTION_TIMED_OUT"]
    assert events == ["pre-action cab-ok timed out: not approved within 10 s"]
    assert "minute" not in final["waves"][0]["error"]


def test_an_approval_without_a_timeout_waits_the_plans_pause_timeout() -> None:
    """Given an approval with no timeoutSeconds in a plan with pauseTimeoutMinutes 30 (and one with none)
    Then the execution's action carries 1,800 s (and 86,400 s): what the console's editor says."""
    orc = in_memory_orchestration()
    group = orc.add_group("g", orc.servers(1, phaseDurations=QUICK))
    runbook = {1: {"preActions": [{"name": "cab-ok", "type": "APPROVAL"}]}}
    with_option = orc.start(orc.add_plan([("DB", [group], False)], runbook, pauseTimeoutMinutes=30))[
        "executionId"
    ]
    record = orc.get(with_option)
    assert record["waves"][0]["actions"][0]["timeoutSeconds"] == 1800
    control.cancel(orc.deps, with_option, actor="tester")
    orc.run_to_end(with_option)
    default = orc.start(orc.add_plan([("DB", [group], False)], runbook))["executionId"]
    assert orc.get(default)["waves"][0]["actions"][0]["timeoutSeconds"] == 86400


# --- sentences for the last wave, a skipped wave and a retried one ----------------------------------------

WAVES = [
    {"waveNumber": 1, "waveName": "DB", "status": "COMPLETED"},
    {"waveNumber": 2, "waveName": "App", "status": "FAILED"},
    {"waveNumber": 3, "waveName": "Web", "status": "NOT_STARTED"},
]


@pytest.mark.parametrize(
    ("statuses", "index", "skip", "retry"),
    [
        # a middle wave skipped or retried: wave 3 follows
        (
            ("COMPLETED", "SKIPPED", "NOT_STARTED"),
            1,
            "wave 3 starts next; the execution can no longer end COMPLETED",
            "once it completes, wave 3 starts",
        ),
        # the last wave: nothing follows
        (
            ("COMPLETED", "COMPLETED", "SKIPPED"),
            2,
            "no wave is left to run: the execution finishes now and cannot end COMPLETED",
            "once it completes, the execution finishes (it is the last wave)",
        ),
    ],
)
def test_what_follows_a_skip_or_a_retry_depends_on_whether_a_wave_is_left(
    statuses: tuple[str, ...], index: int, skip: str, retry: str
) -> None:
    waves = [{**w, "status": s} for w, s in zip(WAVES, statuses, strict=True)]
    assert after_skip_text(waves, index) == skip
    assert after_retry_text(waves, index) == retry


def _failing_last_wave(orc: Orchestration, *, last: bool) -> tuple[str, list[str]]:
    ok = [orc.servers(1, phaseDurations=QUICK) for _ in range(2)]
    bad = orc.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="CONVERSION")
    groups = [orc.add_group("a", ok[0]), orc.add_group("b", ok[1]), orc.add_group("bad", bad)]
    order = [groups[0], groups[1], groups[2]] if last else [groups[0], groups[2], groups[1]]
    plan_id = orc.add_plan(
        [(n, [g], False) for n, g in zip(("DB", "App", "Web"), order, strict=True)], onWaveFailure="PAUSE"
    )
    return str(orc.start(plan_id)["executionId"]), bad


def _email_after(record: dict[str, Any]) -> str:
    stream = {
        "eventName": "MODIFY",
        "dynamodb": {
            "OldImage": serialize({**record, "status": "PAUSED", "version": 1}),
            "NewImage": serialize({**record, "version": 2}),
            "SequenceNumber": "1",
        },
    }
    change = status_change_from_record(stream)
    assert change is not None
    return build_notification(change).email


@pytest.mark.parametrize(
    ("last", "verb", "timeline", "email", "drsctl"),
    [
        (
            True,
            "skip",
            "wave 3 (Web) skipped by ops: no wave is left to run: the execution finishes now and cannot end COMPLETED",
            "failed and was skipped by ops; no wave is left to run: the execution finishes now",
            "wave 3 is skipped; no wave is left to run: the execution finishes now",
        ),
        (
            False,
            "skip",
            "wave 2 (App) skipped by ops: wave 3 starts next; the execution can no longer end COMPLETED",
            "failed and was skipped by ops; wave 3 starts next",
            "wave 2 is skipped; wave 3 starts next",
        ),
        (
            True,
            "retry",
            "wave 3 (Web) retried by ops: 1 server(s) launched again",
            "failed and is being retried by ops; once it completes, the execution finishes (it is the last wave)",
            "wave 3 is retried; once it completes, the execution finishes (it is the last wave)",
        ),
        (
            False,
            "retry",
            "wave 2 (App) retried by ops: 1 server(s) launched again",
            "failed and is being retried by ops; once it completes, wave 3 starts",
            "wave 2 is retried; once it completes, wave 3 starts",
        ),
    ],
    ids=["last-wave-skipped", "middle-wave-skipped", "last-wave-retried", "middle-wave-retried"],
)
def test_the_words_after_a_skip_or_a_retry_say_what_really_follows(
    last: bool, verb: str, timeline: str, email: str, drsctl: str
) -> None:
    """Given onWaveFailure PAUSE and a failing wave (the last one, or the middle one)
    When the operator skips or retries it
    Then the timeline (and so the report), the email and drsctl say what follows: the next wave, or,
    after the last wave, the end of the execution; never "the next wave starts" after the last one."""
    orc = in_memory_orchestration()
    execution_id, bad = _failing_last_wave(orc, last=last)
    after: dict[str, Any] = {}

    def decide(eid: str, record: dict[str, Any]) -> None:
        if after:  # a retried wave fails again: skip it so the run ends
            control.skip_wave(orc.deps, eid, actor="ops")
            return
        if verb == "skip":
            after["record"] = control.skip_wave(orc.deps, eid, actor="ops")
        else:
            server = orc.sim._servers[bad[0]]
            server.spec = replace(server.spec, launch_outcome="LAUNCHED", fail_phase=None)
            after["record"] = control.retry_wave(orc.deps, eid, actor="ops")

    final = orc.run_to_end(execution_id, on_pause=decide)
    kind = "WAVE_SKIPPED" if verb == "skip" else "WAVE_RETRIED"
    messages = [e["message"] for e in all_events(orc.deps, execution_id, []) if e["type"] == kind]
    assert messages[0] == timeline
    report = build_report(final, [], all_events(orc.deps, execution_id, []), orc.deps.clock.iso())
    assert timeline in [a["message"] for a in report["actions"]]
    page = render_html(report)
    assert "the next wave starts" not in page
    assert email in _email_after(after["record"])
    view = execution_view(after["record"], orc.deps.clock.now())
    assert render.after_decision(view, verb).startswith(drsctl)
    if last:
        assert "the next wave" not in render.report_markdown(report)


def test_the_pause_email_for_a_failed_last_wave_does_not_offer_to_go_on_with_a_next_wave() -> None:
    """Given the last wave failed and the plan pauses (onWaveFailure PAUSE)
    Then the PAUSED email offers a skip that ends the execution, not one that goes on."""
    orc = in_memory_orchestration()
    execution_id, _bad = _failing_last_wave(orc, last=True)
    paused = orc.run_to_end(execution_id, resume=False)
    assert paused["status"] == "PAUSED" and paused["pauseReason"] == "WAVE_FAILED"
    stream = {
        "eventName": "MODIFY",
        "dynamodb": {
            "OldImage": serialize({**paused, "status": "IN_PROGRESS", "version": 1}),
            "NewImage": serialize({**paused, "version": 2}),
            "SequenceNumber": "1",
        },
    }
    change = status_change_from_record(stream)
    assert change is not None
    email = build_notification(change).email
    assert "To skip it (the last wave: the execution then finishes, and cannot end COMPLETED):" in email
    assert "next wave" not in email
