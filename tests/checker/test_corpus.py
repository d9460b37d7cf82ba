"""The checker against a public corpus: zero false verdicts.

Every candidate of ``corpus.py`` (right answers in the notes' form and in unusual forms,
and wrong ones of every class: transposes, missing and extra terms, flipped signs, swapped
symbols, σ′/tanh′ swaps, rounded constants, ∘ for the matrix product, polynomial identities
of low-degree matrices) is labelled by central differences of the corpus's own NumPy step
functions, never by gradsym. A "holds" on a wrong candidate or a "refuted" on a right one
fails; and every right one must hold for every n and d, not be left "undecided".
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import numpy as np
import pytest
from checker.corpus import corpus, label

from gradsym.checker import check_jacobian
from gradsym.symbolic import all_cells
from gradsym.workers import worker_pool

ENTRIES = corpus()


def _judge(index: int):
    """The checker's verdict on entry ``index`` and the seconds it took."""
    entry = ENTRIES[index]
    t0 = time.perf_counter()
    verdict = check_jacobian(
        entry.cell,
        entry.sympy if entry.sympy is not None else entry.text,
        of=entry.of,
        wrt=entry.wrt,
        variant=entry.variant,
    )
    return verdict, time.perf_counter() - t0


@pytest.fixture(scope="session")
def judged():
    """Every entry's label and verdict, computed once for the session; the verdicts in two
    worker processes (each one independent of the others), the labels here."""
    rng = np.random.default_rng(20261124)
    truths = [label(entry, rng) for entry in ENTRIES]
    with worker_pool(2) as pool:
        results = list(pool.map(_judge, range(len(ENTRIES)), chunksize=4))
    return [
        (entry, truth, verdict, seconds)
        for entry, truth, (verdict, seconds) in zip(ENTRIES, truths, results, strict=True)
    ]


def _false(truth: str, outcome: str) -> bool:
    return (truth == "right" and outcome == "refuted") or (
        truth == "wrong" and outcome != "refuted"
    )


def test_the_corpus_is_large_and_covers_every_cell_variant_and_block():
    assert len(ENTRIES) >= 100
    covered = {(e.cell, e.variant, e.of, e.wrt) for e in ENTRIES}
    for c in all_cells():
        for of, wrt in c.blocks:
            assert (c.name, c.variant, of, wrt) in covered, (c.name, c.variant, of, wrt)
    # every stacked state's whole Jacobian, as a block matrix, right and wrong
    for c in all_cells():
        if len(c.state) > 1:
            kinds = {e.kind for e in ENTRIES if (e.cell, e.variant, e.of, e.wrt) ==
                     (c.name, c.variant, "state", "state")}  # fmt: skip
            assert "right as the notes write it" in kinds and len(kinds) >= 3, (c.name, c.variant)


def test_zero_false_verdicts(judged):
    wrong = [
        f"{e.label_id}: labelled {truth}, checker says {v.outcome}\n  {e.text[:120]}\n{v.report()}"
        for e, truth, v, _ in judged
        if _false(truth, v.outcome)
    ]
    assert not wrong, "\n\n".join(wrong)


def test_every_right_candidate_holds_for_every_size(judged):
    """No right answer of the corpus is left undecided: each one's index form is the
    Jacobian's, so "holds" is a proof for every n and d (issue 25)."""
    not_proved = [
        f"{e.label_id}: {v.outcome} (every size: {v.every_size})\n  {e.text[:120]}"
        for e, truth, v, _ in judged
        if truth == "right" and not (v.outcome == "holds" and v.every_size)
    ]
    assert not not_proved, "\n".join(not_proved)


def test_both_labels_and_every_class_are_present(judged):
    labels = Counter(truth for _, truth, _, _ in judged)
    assert labels["right"] >= 40 and labels["wrong"] >= 60, labels
    kinds = {e.kind for e in ENTRIES}
    for k in ("transpose", "missing term", "extra term", "sign flipped", "rounded constant",
              "Hadamard for matmul", "S4 added", "right in an unusual form"):  # fmt: skip
        assert k in kinds, k
    assert any("swapped" in k for k in kinds) and any("→" in k for k in kinds)


def test_refutations_carry_a_counterexample_far_above_round_off(judged):
    for e, truth, v, _ in judged:
        if v.outcome == "refuted":
            cx = v.counterexample
            assert cx["error"] > 1e3 * cx["roundoff"], e.label_id


def test_summary_table(judged, capsys):
    """The corpus by cell: right/wrong counts and the verdicts (printed with -s)."""
    table = defaultdict(Counter)
    for e, truth, v, _ in judged:
        table[e.cell][f"{truth}→{v.outcome}"] += 1
        table[e.cell][truth] += 1
    diagnosed = sum(1 for _, truth, v, _ in judged if v.outcome == "refuted" and v.diagnosis)
    refuted = sum(1 for _, _, v, _ in judged if v.outcome == "refuted")
    seconds = sum(s for *_, s in judged)
    lines = [f"{'cell':10} {'right':>5} {'wrong':>5}  holds  refuted  undecided(right)"]
    for cell, c in sorted(table.items()):
        lines.append(
            f"{cell:10} {c['right']:5} {c['wrong']:5}  {c['right→holds']:5}  "
            f"{c['wrong→refuted']:7}  {c['right→undecided']:9}"
        )
    blocks = [(e, truth, v) for e, truth, v, _ in judged if "block(" in e.text or "[:" in e.text
              or "state" in (e.of, e.wrt)]  # fmt: skip
    lines.append(
        f"of which block matrices and slices: {len(blocks)} "
        f"({sum(t == 'right' for _, t, _ in blocks)} right, "
        f"{sum(t == 'wrong' for _, t, _ in blocks)} wrong, "
        f"{sum(bool(v.diagnosis) for _, t, v in blocks if v.outcome == 'refuted')} diagnosed)"
    )
    lines.append(f"{len(judged)} candidates, {refuted} refuted ({diagnosed} with a diagnosis), "
                 f"{seconds:.1f} s in check_jacobian")  # fmt: skip
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert table
