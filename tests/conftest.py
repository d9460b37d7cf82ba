"""Shared fixtures: a seeded generator, and every figure built once per session.
Tolerances live in ``tolerances.py``, the repository's paths in ``repo.py``."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The test sizes are tiny: BLAS threads only add overhead (and contention on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

#: The training-curves figure trains 2000 steps per run (20 runs, the slowest figure); the
#: tests check the pipeline and the data's shape on the same seeded runs cut short to their
#: first evaluation (step 100), which the committed data holds too.
TRAINING_TEST_STEPS = 100
#: The agreement figure trains 20 runs of 1500 steps and tests each on 1000 sentences per
#: point; the tests build it from the first seeds' runs cut to their first evaluation
#: (step 100, which the committed data holds too) and tested on 20 sentences per point.
AGREEMENT_TEST = {"STEPS": 100, "SEEDS": 2, "SENTENCES": 20}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261124)


@dataclass(frozen=True)
class BuiltFigures:
    """Every figure written once (seed 0) into ``folder``; ``data[name]`` as read back,
    ``progress`` the calls of ``make_figures``'s progress callback, ``training_steps`` the
    steps of the training-curves runs, ``live`` what the live-progress counters saw:
    (figure, total, unit, advances)."""

    folder: Path
    data: dict[str, dict]
    progress: list[tuple]
    training_steps: int
    live: list[tuple]


@pytest.fixture(scope="session")
def built_figures(tmp_path_factory) -> BuiltFigures:
    """The one build of every figure in the test session (the slowest fixture: every
    test that needs figures reads these files instead of making its own)."""
    from gradsym.render import figures

    folder = tmp_path_factory.mktemp("build") / "figures"
    calls: list[tuple] = []
    live: list[tuple] = []

    @contextmanager
    def counter(name, total, unit):
        advances = []
        yield lambda n=1: advances.append(n)
        live.append((name, total, unit, len(advances)))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figures.figure_module("training-curves"), "STEPS", TRAINING_TEST_STEPS)
        for name, value in AGREEMENT_TEST.items():
            mp.setattr(figures.figure_module("agreement"), name, value)
        figures.make_figures(folder, progress=lambda *a: calls.append(a), live=counter)
    data = {n: json.loads((folder / f"{n}.json").read_text()) for n in figures.figure_names()}
    return BuiltFigures(folder, data, calls, TRAINING_TEST_STEPS, live)


@pytest.fixture
def committed_slide_figures(monkeypatch):
    """The lecture deck's slide-style figures copied from the committed slides/figures
    instead of redrawn (nine matplotlib drawings; tests/render/test_deck.py draws one and
    checks the committed ones): for the commands that write the deck."""
    import shutil

    from repo import REPO

    def copy(figures_dir, out_dir, names=None):
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return [
            Path(shutil.copyfile(p, out / p.name))
            for p in sorted((REPO / "slides" / "figures").glob("*.pdf"))
        ]

    monkeypatch.setattr("gradsym.render.deck.slide_figures", copy)
