"""The checker answers short input at once, keeps to its time limit, and leaves no process
behind (issue 21): candidates a careless or hostile user types, judged as they would be."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradsym import check_jacobian
from gradsym.checker.candidate import parse_candidate
from gradsym.cli import main
from gradsym.errors import CandidateError

# Each of these is 60-odd characters; before the products were kept flat, SymPy's
# MatMul.shape took twice as long per level (20 levels: 25 s), in the checker's preparation.
NESTED = {
    "30 factors": "W_h" + "*2" * 30,
    "30 divisions": "W_h" + "/2" * 30,
    "30 minus signs": "-" * 30 + "W_h",
    "nested 30 deep": "2*(" * 30 + "W_h" + ")" * 30,
}


@pytest.mark.parametrize("candidate", NESTED.values(), ids=NESTED.keys())
def test_a_short_candidate_nested_deep_is_parsed_flat(candidate):
    expr = parse_candidate(candidate, "rnn")
    assert expr.shape == parse_candidate("W_h", "rnn").shape
    assert len(expr.args) == 31  # one product: the 30 numbers and W_h, not 30 levels


def test_a_short_candidate_nested_deep_is_judged_whole():
    # judged end to end, numerics, diagnosis and all: 2^30 W_h is refuted, 2^30 2^-30 W_h holds
    # up to tanh': W_h alone is refuted too (the right answer has diag(tanh'(z)) in front)
    verdict = check_jacobian("rnn", "diag(tanh'(z)) @ " + NESTED["30 factors"], time_limit=5)
    assert verdict.outcome == "refuted"
    right = "diag(tanh'(z)) @ (" + NESTED["30 divisions"] + ")" + "*2" * 30
    assert check_jacobian("rnn", right, time_limit=30).outcome == "holds"
    minus = "-" * 30 + "diag(tanh'(z)) @ W_h"  # an even number of signs: right
    assert check_jacobian("rnn", minus, time_limit=30).outcome == "holds"
    assert check_jacobian("rnn", "-" + minus, time_limit=30).outcome == "refuted"


def test_900_minus_signs_are_judged_whole():
    # the products nested 900 deep exhausted Python's stack in the checker before
    right = "-" * 900 + "diag(tanh'(z)) @ W_h"  # an even number of signs
    assert check_jacobian("rnn", right, time_limit=30).outcome == "holds"


def test_a_candidate_nested_past_the_stack_is_one_line():
    with pytest.raises(CandidateError, match="too deeply nested|too large"):
        parse_candidate("-" * 5000 + "W_h", "rnn")


# A candidate equal to the answer whose proof is slow: a product of nine sums of four terms
# added and taken away, 4⁹ = 262 144 index terms to bring to normal form (a tenfold power of
# W_h alone costs the index form nothing: it holds at once).
_PRODUCT = "@".join(["(W_h + W_h.T + W_x @ W_x.T + diag(b))"] * 9)
SLOW = f"diag(tanh'(z)) @ W_h + {_PRODUCT} - {_PRODUCT}"


def test_the_time_limit_covers_the_whole_check():
    """A candidate equal to the answer whose proof is slow: the whole call returns within
    its limit (plus the process's start), undecided."""
    t0 = time.monotonic()
    verdict = check_jacobian("rnn", SLOW, time_limit=1.0)
    assert time.monotonic() - t0 < 5  # not the 20 s and more the proof needs
    assert verdict.outcome == "undecided"
    assert "did not finish within 1 s (the check's time limit)" in verdict.detail


@pytest.mark.parametrize("limit", ["inf", "nan", "-1"])
def test_time_limit_out_of_range_or_infinite(limit, capsys):
    code = main(["check", "--cell", "rnn", "--time-limit", limit, "diag(tanh'(z)) @ W_h"])
    out, err = capsys.readouterr()
    if limit == "inf":  # no limit: the proof runs to its end
        assert code == 0, err
        assert "holds" in out
    else:
        assert code == 2
        assert err.count("\n") == 1 and "time_limit must be a number of seconds" in err


@pytest.mark.parametrize(
    "candidate", ["__import__('os')", "(lambda: 1)()", "lambda: W_h", "W_h.__class__"]
)
def test_code_in_a_candidate_is_named_as_code_not_implicit_multiplication(candidate):
    with pytest.raises(CandidateError) as info:
        parse_candidate(candidate, "rnn")
    message = str(info.value)
    assert "implicit multiplication" not in message
    assert "not allowed" in message


def test_a_complex_valued_function_is_refused():
    import numpy as np

    def complex_jacobian(params, x, state):
        n = params["W_h"].shape[0]
        return np.broadcast_to(1j * np.eye(n), (x.shape[0], n, n))

    with pytest.raises(CandidateError, match="complex"):
        check_jacobian("rnn", complex_jacobian)


# -- no orphan ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_gradsym_check_kills_its_proof():
    """The proof of a slow candidate runs in a forked child; SIGKILL of the real command
    (which runs no cleanup) must take the child with it."""
    p = subprocess.Popen(
        [sys.executable, "-m", "gradsym", "check", "--cell", "rnn", "--time-limit", "600", SLOW],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with p:
        end = time.monotonic() + 60
        while not _children(p.pid) and p.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        provers = _children(p.pid)
        assert provers, "the proof runs in a child process"
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
    end = time.monotonic() + 10
    while any(_alive(c) for c in provers) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(_alive(c) for c in provers), "the proof outlived gradsym check"
