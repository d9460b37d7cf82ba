"""One full verification per test session, shared by the tests that read it."""

from __future__ import annotations

import time

import pytest

from gradsym.notes import verify


@pytest.fixture(scope="session")
def full_report():
    t0 = time.perf_counter()
    report = verify()
    report.wall = time.perf_counter() - t0
    return report
