"""The test suite's own layout: pytest imports test modules by their basename (rootdir-relative
"rootdir" import mode is not used), so two test files with one name in different folders make the
whole run fail to collect ("import file mismatch")."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_name() -> None:
    # Given every test module of the suite
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    # Then each name is used once
    assert [name for name, count in names.items() if count > 1] == []
