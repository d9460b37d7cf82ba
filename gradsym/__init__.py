"""gradsym — vanishing and exploding gradients in recurrent networks, exact and checked.

The public surface, importable from here (loaded on first use, so that ``import gradsym``
stays cheap and the NumPy side never pulls in SymPy):

* cells: :class:`RNN`, :class:`LSTM`, :class:`GRU`; networks: :class:`Network`,
  :class:`Stacked`, :class:`Bidirectional`, :class:`Linear`, :func:`jacobian_products`,
  :class:`BatchFirst` (batch-major sequences);
* PyTorch exchange: :func:`from_torch`, :func:`to_torch`, :func:`torch_gradients`;
* clipping, initialisers, optimisers, tasks: :func:`clip_by_norm`, :func:`clip_by_value`,
  :func:`initialise`, :class:`SGD`, :class:`Adam`, :func:`make_task`;
* training: :class:`TrainConfig`, :class:`Trainer`, :func:`train`; success-rate sweeps
  on Dask: :func:`sweep`;
* gradient checks: :func:`check_cell_gradients`, :func:`check_state_jacobian`;
* analysis of trained models: :func:`analyze`, :func:`compare`, :class:`Analysis`,
  :class:`Comparison`;
* symbolic: :func:`jacobian`;
* proofs: :func:`claims`, :func:`verify`, :func:`check_jacobian`;
* cells from equations: :func:`cell_from_equations`, :func:`load_cell_file`,
  :func:`library_cell` (IndRNN, MGU, UGRNN, +RNN, CIFG, JANET, MinimalRNN, diagonal linear);
* errors: :class:`GradsymError` and its subclasses; :class:`GradsymWarning`.
"""

from __future__ import annotations

import importlib

from gradsym.errors import (
    CandidateError,
    CheckpointError,
    DeclarationError,
    DTypeError,
    GradsymError,
    GradsymWarning,
    InvalidValueError,
    NonFiniteError,
    NotDiagonalizableError,
    OutputError,
    ShapeError,
    UnknownNameError,
)
from gradsym.version import __version__

_LAZY = {
    "RNN": "gradsym.numeric.cells.rnn",
    "LSTM": "gradsym.numeric.cells.lstm",
    "GRU": "gradsym.numeric.cells.gru",
    "Network": "gradsym.numeric.nets.network",
    "Stacked": "gradsym.numeric.nets.stacked",
    "Bidirectional": "gradsym.numeric.nets.bidirectional",
    "BatchFirst": "gradsym.numeric.nets.batch_first",
    "Linear": "gradsym.numeric.nets.losses",
    "jacobian_products": "gradsym.numeric.nets.spans",
    "from_torch": "gradsym.numeric.torch_exchange",
    "to_torch": "gradsym.numeric.torch_exchange",
    "torch_gradients": "gradsym.numeric.torch_exchange",
    "clip_by_norm": "gradsym.numeric.optim.clipping",
    "clip_by_value": "gradsym.numeric.optim.clipping",
    "initialise": "gradsym.numeric.optim.initialisers",
    "SGD": "gradsym.numeric.optim.optimisers",
    "Adam": "gradsym.numeric.optim.optimisers",
    "make_task": "gradsym.numeric.train.tasks",
    "TrainConfig": "gradsym.numeric.train.config",
    "Trainer": "gradsym.numeric.train.trainer",
    "train": "gradsym.numeric.train.trainer",
    "sweep": "gradsym.experiments",
    "check_cell_gradients": "gradsym.numeric.gradcheck",
    "check_state_jacobian": "gradsym.numeric.gradcheck",
    "analyze": "gradsym.numeric.analysis",
    "compare": "gradsym.numeric.analysis",
    "Analysis": "gradsym.numeric.analysis",
    "Comparison": "gradsym.numeric.analysis",
    "jacobian": "gradsym.symbolic",
    "claims": "gradsym.notes",
    "verify": "gradsym.notes",
    "check_jacobian": "gradsym.checker",
    "cell_from_equations": "gradsym.declared",
    "load_cell_file": "gradsym.declared",
    "library_cell": "gradsym.declared",
    "DeclaredCell": "gradsym.declared",
}

__all__ = [
    "CandidateError",
    "CheckpointError",
    "DTypeError",
    "DeclarationError",
    "GradsymError",
    "GradsymWarning",
    "InvalidValueError",
    "NonFiniteError",
    "NotDiagonalizableError",
    "OutputError",
    "ShapeError",
    "UnknownNameError",
    "__version__",
]
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradsym' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
