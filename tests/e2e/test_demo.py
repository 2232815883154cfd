"""`make demo` end to end (faster simulated time): apply, drill, the runbook with its approval, email,
terminate."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from drs_demo.demo import run


def test_the_demo_runs_a_three_wave_drill_to_completion_and_cleans_up() -> None:
    # Given a console that records what the demo prints
    out = StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    # When the demo runs with minutes simulated as tenths of a second
    code = run(console, time_scale=600, poll_seconds=0.2)
    # Then it exits 0 after every step an operator would see
    printed = out.getvalue()
    assert code == 0, printed
    assert "created   recovery plan    3TierRecoveryPlan" in printed
    assert "PAUSED (approval in wave 3 of 3)" in printed
    assert "for approval 'app-owner-sign-off' in wave 'Web'" in printed
    # The runbook ran: each action SUCCEEDED, the approval with who gave it.
    for action in ("freeze-writes", "db-accepts-connections", "flip-dns", "http-health-check"):
        assert any("✓ SUCCEEDED" in line and f" {action} (" in line for line in printed.splitlines()), action
    assert "app-owner-sign-off" in printed and "approved by" in printed
    assert "Subject: [DRS Orchestrator] 3TierRecoveryPlan: COMPLETED" in printed
    assert "recovery instances terminated: True" in printed
    assert "demo finished" in printed
