"""``analyze(model, xs)`` and ``compare(models, xs)``: the gradient flow, the Lyapunov
spectrum, the notes' bound and the gates of trained recurrent models, in one call.

For every layer and direction of the model (a driven cell, :mod:`.units`), on the same
input sequences, in float64:

1. the per-lag gradient norms ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ over sequences (:mod:`.flow`);
2. the Lyapunov spectrum by the QR method, with its standard error, λ₁ and the memory
   horizon 1/|λ₁| (:mod:`.lyapunov`);
3. σ₁ of each recurrent weight block against 1/γ (:mod:`.bound`);
4. the gate distributions, saturation and the carry path ∏ f / ∏ (1 − u) / ∏ z
   (:mod:`.gates`).

Defaults: the whole spectrum for states up to :data:`FULL_SPECTRUM_UP_TO`, else the top
:data:`TOP_K`; a transient of a fifth of the sequence (at most 100 steps); lags up to
min(T, :data:`MAX_LAG`), measured on the first :data:`FLOW_SEQUENCES` sequences (fewer for
a state so large that a product would exceed :data:`FLOW_MEMORY`); inputs
(when none are given) from the task a run was trained on, else Gaussian x ~ N(0, 1),
T = :data:`GAUSSIAN_STEPS`, B = :data:`GAUSSIAN_BATCH`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.numeric.analysis.bound import notes_bound
from gradsym.numeric.analysis.data import Inputs, as_inputs, gaussian_inputs, task_inputs
from gradsym.numeric.analysis.flow import block_rows, gradient_flow
from gradsym.numeric.analysis.gates import gate_statistics
from gradsym.numeric.analysis.initial import fixed_point, initial_state
from gradsym.numeric.analysis.lyapunov import default_transient, lyapunov_spectrum
from gradsym.numeric.analysis.result import Analysis, Comparison, UnitAnalysis
from gradsym.numeric.analysis.sources import LoadedModel, describe_model, load_models
from gradsym.numeric.analysis.units import (
    as_float64,
    describe_cell,
    driven_cells,
    sequence_model,
)
from gradsym.numeric.cells.cell import Cell
from gradsym.validate import check_memory, nonnegative_int, positive_int

__all__ = [
    "FLOW_MEMORY",
    "FLOW_SEQUENCES",
    "FULL_SPECTRUM_UP_TO",
    "GAUSSIAN_BATCH",
    "GAUSSIAN_STEPS",
    "MAX_LAG",
    "TOP_K",
    "AnalysisOptions",
    "analyze",
    "common_input_size",
    "common_task",
    "compare",
    "default_inputs",
]

FULL_SPECTRUM_UP_TO = 256
TOP_K = 64
MAX_LAG = 200
FLOW_SEQUENCES = 32
#: At most this many bytes per running product of the gradient flow (B × S × S float64):
#: a large state is measured on fewer sequences.
FLOW_MEMORY = 64 * 2**20
GAUSSIAN_STEPS = 200
GAUSSIAN_BATCH = 32


@dataclass(frozen=True)
class AnalysisOptions:
    """How the measurements are taken (module docstring for the defaults, None)."""

    k: int | None = None
    transient: int | None = None
    max_lag: int | None = None
    flow_sequences: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k is not None:
            positive_int("k (number of exponents)", self.k)
        if self.transient is not None:
            nonnegative_int("transient", self.transient)
        if self.max_lag is not None:
            positive_int("max_lag", self.max_lag)
        if self.flow_sequences is not None:
            positive_int("flow_sequences", self.flow_sequences)
        nonnegative_int("seed", self.seed)

    def resolved(self, T: int, B: int) -> dict[str, Any]:
        """The settings for inputs of T steps and B sequences (k stays per cell)."""
        T0 = default_transient(T) if self.transient is None else self.transient
        if T0 >= T:
            raise InvalidValueError(
                f"transient ({T0} steps) leaves no step to measure in sequences of {T} steps"
            )
        L = min(T, MAX_LAG) if self.max_lag is None else self.max_lag
        if L > T:
            raise InvalidValueError(f"max_lag = {L} is longer than the sequences ({T} steps)")
        Bf = min(B, FLOW_SEQUENCES if self.flow_sequences is None else self.flow_sequences)
        return {
            "exponents": "all" if self.k is None else self.k,
            "default_exponents": f"all up to a state of {FULL_SPECTRUM_UP_TO}, else the top {TOP_K}",
            "transient": T0,
            "max_lag": L,
            "flow_sequences": Bf,
            "lyapunov_sequences": B,
            "seed": self.seed,
            "dtype": "float64",
        }

    def exponents_for(self, state_size: int) -> int:
        if self.k is not None:
            return min(self.k, state_size)
        return state_size if state_size <= FULL_SPECTRUM_UP_TO else TOP_K


def common_task(models: list[LoadedModel]) -> tuple[str, dict] | None:
    """The (task, kwargs) every model was trained on, or None."""
    tasks = {repr(m.task) for m in models}
    return models[0].task if len(tasks) == 1 else None


def common_input_size(models: list[LoadedModel]) -> int:
    """The input size all ``models`` share, or an error saying they cannot share inputs."""
    sizes = {m.input_size for m in models}
    if len(sizes) != 1:
        raise InvalidValueError(
            f"the models read inputs of different sizes {sorted(sizes)}: they cannot share inputs"
        )
    return sizes.pop()


def default_inputs(models: list[LoadedModel], *, seed: int = 0, batch: int | None = None) -> Inputs:
    """The inputs used when none are given: the task every model was trained on, else
    Gaussian x ~ N(0, 1) of the models' common input size."""
    task = common_task(models)
    if task is not None:
        return task_inputs(task[0], task[1], batch=batch or GAUSSIAN_BATCH, seed=seed)
    size = common_input_size(models)
    check_analysis_memory(models, GAUSSIAN_STEPS, batch or GAUSSIAN_BATCH, size)
    return gaussian_inputs(GAUSSIAN_STEPS, batch or GAUSSIAN_BATCH, size, seed=seed)


def _slice_state(state0, b: int):
    if state0 is None:
        return None
    if isinstance(state0, np.ndarray):
        return state0[:b]
    return tuple(_slice_state(s, b) for s in state0)


def _check_block(models: list[LoadedModel], inputs: Inputs, block: str) -> None:
    """Every cell of every model has the state ``block`` (before any work starts)."""
    for m in models:
        for unit in driven_cells(as_float64(m.model), inputs.xs[:, :1]):
            block_rows(unit.cell, block)


def _analyse(
    loaded: LoadedModel, inputs: Inputs, state0, options: AnalysisOptions, bar, block: str = "h"
) -> Analysis:
    inputs.check_width(loaded.input_size, f"model {loaded.label!r}")
    T, B = inputs.steps, inputs.batch
    settings = options.resolved(T, B)
    T0, L, Bf = settings["transient"], settings["max_lag"], settings["flow_sequences"]
    model = as_float64(loaded.model)
    _check_memory(loaded, inputs)
    start = initial_state(model, B, state0, options.seed)
    units, warnings = [], []
    for unit in driven_cells(model, inputs.xs, start):
        cell = unit.cell
        if bar is not None:
            bar.set_description(f"{loaded.label}: {unit.name}")
        ly = lyapunov_spectrum(
            cell,
            unit.xs,
            unit.state0,
            k=options.exponents_for(cell.state_size),
            transient=T0,
            rng=options.seed,
            progress=None if bar is None else bar.update,
        )
        Bu = max(1, min(Bf, FLOW_MEMORY // (8 * cell.state_size**2)))
        flow = gradient_flow(
            cell,
            unit.xs[:, :Bu],
            _slice_state(unit.state0, Bu),
            max_lag=L,
            progress=None if bar is None else bar.update,
            block=block,
        )
        trace = cell.forward(unit.xs, unit.state0)
        still = fixed_point(trace, T0)
        if still is not None:
            warnings.append(
                f"{unit.name}: the trajectory sits at a fixed point after the transient (its "
                f"state moves by at most {still:.1e} a step): the exponents and gradient norms "
                "are the fixed point's, not those of the dynamics; drive the model with inputs "
                "or start it elsewhere (state0='random')"
            )
        units.append(
            UnitAnalysis(
                name=unit.name,
                cell=describe_cell(cell),
                reversed=unit.reversed,
                lyapunov=ly,
                flow=flow,
                bound=notes_bound(cell),
                gates=gate_statistics(cell, trace, skip=T0, lags=flow.lags),
            )
        )
    data = {**inputs.description, "shape": list(inputs.xs.shape), "summary": inputs.summary()}
    return Analysis(
        label=loaded.label,
        model=describe_model(loaded.model),
        source=loaded.source,
        inferred=loaded.inferred,
        data=data,
        settings={**settings, "initial_state": _initial_name(state0), "flow_block": block},
        units=units,
        warnings=warnings,
    )


def _initial_name(state0) -> str:
    if state0 is None:
        return "zeros"
    return state0 if isinstance(state0, str) else "given"


def check_analysis_memory(models: list[LoadedModel], steps: int, batch: int, width: int) -> None:
    """An InvalidValueError, before any input is drawn, when ``steps`` × ``batch``
    sequences of ``width`` features through one of ``models`` need more than this
    machine's memory: the forward traces (states and gates of every step) dominate."""
    for loaded in models:
        check_memory(
            f"steps = {steps} and batch = {batch} through model {loaded.label!r}",
            8.0 * steps * batch * (width + 16 * _state_width(loaded.model)),
        )


def _check_memory(loaded: LoadedModel, inputs: Inputs) -> None:
    check_analysis_memory([loaded], inputs.steps, inputs.batch, inputs.width)


def _state_width(model) -> int:
    """The summed state sizes of the model's cells (layers and directions)."""
    model = sequence_model(model)
    if isinstance(model, Cell):
        return int(model.state_size)
    parts = getattr(model, "layers", None) or getattr(model, "cells", None) or ()
    return sum(_state_width(p) for p in parts) or 1


def _progress_bar(enabled: bool, models: list[LoadedModel], inputs: Inputs, options):
    if not enabled:
        return None
    from tqdm import tqdm

    T, B = inputs.steps, inputs.batch
    L = options.resolved(T, B)["max_lag"]
    total = 0
    for m in models:
        total += sum(T + L for _ in driven_cells(as_float64(m.model), inputs.xs[:, :1]))
    return tqdm(total=total, unit="step", dynamic_ncols=True, leave=False)


def _inputs_for(models: list[LoadedModel], xs, batch_first, seed) -> Inputs:
    if xs is None:
        return default_inputs(models, seed=seed)
    if batch_first is None:
        batch_first = len(models) == 1 and models[0].batch_first
    return as_inputs(xs, batch_first=batch_first)


def analyze(
    model,
    xs=None,
    *,
    state0=None,
    k: int | None = None,
    transient: int | None = None,
    max_lag: int | None = None,
    flow_sequences: int | None = None,
    seed: int = 0,
    label: str | None = None,
    batch_first: bool | None = None,
    progress: bool = False,
    nonlinearity: str | None = None,
    prefix: str | None = None,
    flow_block: str = "h",
) -> Analysis:
    """Analyse one model driven by ``xs`` (see the module docstring).

    ``model``: a gradsym cell, Stacked, Bidirectional, Network, Trainer or TrainResult; a
    ``torch.nn.RNN`` / ``LSTM`` / ``GRU``; or the path of a checkpoint, a PyTorch
    state_dict or a run folder (its final checkpoint; :func:`compare` shows the
    initialisation beside it). ``xs`` (T, B, d), a NumPy array or torch tensor: time-major,
    or batch-first if ``batch_first`` (default: as the torch module reads it); None: the
    run's task, else Gaussian inputs. ``state0``: the model's initial state: "zeros" (the
    default, also None), "random" (uniform in (−1, 1), seeded by ``seed``), the state as
    the model's ``forward`` takes it (NumPy or torch), or PyTorch's layout (h, or (h, c),
    each (layers · directions, B, N)); a trajectory that sits at a fixed point is warned of
    in ``Analysis.warnings``. ``flow_block``: the block of the state whose gradient flow
    is measured, "h" (default), another state vector ("c") or "state" (all of it).
    ``k``: how many exponents; ``transient``: steps discarded; ``max_lag``: longest span
    of the gradient norms, measured on ``flow_sequences`` sequences; ``seed``: the
    initial frames (and default inputs). ``nonlinearity``, ``prefix``: for state_dicts.
    """
    options = AnalysisOptions(k, transient, max_lag, flow_sequences, seed)
    models = load_models(model, label=label, nonlinearity=nonlinearity, prefix=prefix)
    loaded = models[-1]
    inputs = _inputs_for([loaded], xs, batch_first, seed)
    inputs.check_width(loaded.input_size, f"model {loaded.label!r}")
    _check_memory(loaded, inputs)
    _check_block([loaded], inputs, flow_block)
    bar = _progress_bar(progress, [loaded], inputs, options)
    try:
        return _analyse(loaded, inputs, state0, options, bar, flow_block)
    finally:
        if bar is not None:
            bar.close()


def compare(
    models,
    xs=None,
    *,
    k: int | None = None,
    transient: int | None = None,
    max_lag: int | None = None,
    flow_sequences: int | None = None,
    seed: int = 0,
    batch_first: bool = False,
    progress: bool = False,
    nonlinearity: str | None = None,
    prefix: str | None = None,
    state0=None,
    flow_block: str = "h",
) -> Comparison:
    """Analyse several models side by side on the same inputs ``xs`` (time-major unless
    ``batch_first``; None: the task they were all trained on, else Gaussian inputs).

    ``models``: a list of sources (as :func:`analyze` takes; a run folder gives two
    models, at initialisation and at its checkpoint) or a dict label → source.
    ``state0``, ``flow_block``: as :func:`analyze` takes them, the same for every model.
    """
    options = AnalysisOptions(k, transient, max_lag, flow_sequences, seed)
    loaded: list[LoadedModel] = []
    items: Iterable = models.items() if isinstance(models, Mapping) else ((None, m) for m in models)
    for label, source in items:
        loaded += load_models(source, label=label, nonlinearity=nonlinearity, prefix=prefix)
    if not loaded:
        raise InvalidValueError("compare needs at least one model")
    labels = [m.label for m in loaded]
    for i, m in enumerate(loaded):  # keep labels unique: they key the report
        if labels.count(m.label) > 1:
            m.label = f"{m.label} [{i + 1}]"
    inputs = _inputs_for(loaded, xs, batch_first, seed)
    for m in loaded:  # every model fits the inputs before any work starts
        inputs.check_width(m.input_size, f"model {m.label!r}")
    for one in loaded:
        _check_memory(one, inputs)
    _check_block(loaded, inputs, flow_block)
    bar = _progress_bar(progress, loaded, inputs, options)
    try:
        analyses = [_analyse(m, inputs, state0, options, bar, flow_block) for m in loaded]
    finally:
        if bar is not None:
            bar.close()
    data = analyses[0].data
    return Comparison(analyses, data, analyses[0].settings)
