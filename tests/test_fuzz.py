"""A seeded fuzzer: thousands of mutated statements, and every failure is an autovec error.

A mutated statement may succeed or fail; it may never raise a Python exception that is
not one of autovec's PEP 249 errors, nor print anything. ``tests/fuzz_sql.py`` has the
corpus and the mutations, and runs longer searches by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import fuzz_sql


@pytest.mark.parametrize("seed", [11, 12])
def test_mutated_statements_raise_only_autovec_errors(
    tmp_path: Path, seed: int, capfd: pytest.CaptureFixture[str]
) -> None:
    ran, escapes = fuzz_sql.run(tmp_path, seed, count=2500, deadline_s=120)
    assert ran >= 1000, "the fuzzer ran too few statements to mean anything"
    report = "\n".join(f"{e.kind} at {e.where}: {e.sql!r}" for e in escapes[:20])
    assert not escapes, f"{len(escapes)} statements escaped as Python exceptions:\n{report}"
    assert capfd.readouterr().err == ""


def test_the_fuzzer_catches_what_escapes(tmp_path: Path) -> None:
    """The harness itself: a statement that does escape is reported, not swallowed."""
    escapes: list[fuzz_sql.Escape] = []
    fuzz_sql.run_one(fuzz_sql.open_fuzz_db(tmp_path / "db"), "SELECT 1", escapes, lambda _c: 1 / 0)
    assert [e.kind.split(":")[0] for e in escapes] == ["ZeroDivisionError"]
