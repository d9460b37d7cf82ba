"""gradsym — vanishing and exploding gradients in recurrent networks, exact and checked.

The public surface, importable from here (loaded on first use, so that ``import gradsym``
stays cheap and the NumPy side never pulls in SymPy):

* cells: :class:`RNN`, :class:`LSTM`, :class:`GRU`; networks: :class:`Network`,
  :class:`Stacked`, :class:`Bidirectional`, :class:`Linear`, :func:`jacobian_products`;
* PyTorch exchange: :func:`from_torch`, :func:`to_torch`, :func:`torch_gradients`;
* clipping, initialisers, optimisers, tasks: :func:`clip_by_norm`, :func:`clip_by_value`,
  :func:`initialise`, :class:`SGD`, :class:`Adam`, :func:`make_task`;
* training: :class:`TrainConfig`, :class:`Trainer`, :func:`train`; success-rate sweeps
  on Dask: :func:`sweep`;
* gradient checks: :func:`check_cell_gradients`, :func:`check_state_jacobian`;
* symbolic: :func:`jacobian`;
* proofs: :func:`claims`, :func:`verify`, :func:`check_jacobian`;
* errors: :class:`GradsymError` and its subclasses.
"""

from __future__ import annotations

import importlib

from gradsym.errors import (
    CandidateError,
    CheckpointError,
    DTypeError,
    GradsymError,
    InvalidValueError,
    NonFiniteError,
    NotDiagonalizableError,
    ShapeError,
    UnknownNameError,
)

__version__ = "0.1.0"

_LAZY = {
    "RNN": "gradsym.numeric.cells.rnn",
    "LSTM": "gradsym.numeric.cells.lstm",
    "GRU": "gradsym.numeric.cells.gru",
    "Network": "gradsym.numeric.nets.network",
    "Stacked": "gradsym.numeric.nets.stacked",
    "Bidirectional": "gradsym.numeric.nets.bidirectional",
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
    "jacobian": "gradsym.symbolic",
    "claims": "gradsym.proofs",
    "verify": "gradsym.proofs",
    "check_jacobian": "gradsym.proofs",
}

__all__ = [
    "CandidateError",
    "CheckpointError",
    "DTypeError",
    "GradsymError",
    "InvalidValueError",
    "NonFiniteError",
    "NotDiagonalizableError",
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
