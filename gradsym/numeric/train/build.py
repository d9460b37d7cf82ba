"""What a :class:`~gradsym.numeric.train.config.TrainConfig` builds: the network (cells
from :func:`~gradsym.numeric.cells.factory.make_cell`, initialised, stacked, with a linear
output layer and the task's loss), the optimiser and the gradient clipper."""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.factory import make_cell
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked
from gradsym.numeric.optim.clipping import Clipper, by_norm, by_value
from gradsym.numeric.optim.initialisers import initialise
from gradsym.numeric.optim.optimisers import SGD, Adam, Optimiser
from gradsym.numeric.train.config import TrainConfig, build_task
from gradsym.numeric.train.tasks import Task

__all__ = ["build_clipper", "build_network", "build_optimiser", "build_task"]


def build_network(config: TrainConfig, task: Task, rng: np.random.Generator) -> Network:
    """The network of ``config`` for ``task``: ``layers`` cells initialised with
    :func:`~gradsym.numeric.optim.initialisers.initialise` (drawing from ``rng`` in layer
    order), stacked if more than one, a :class:`~gradsym.numeric.nets.losses.Linear` output
    layer (also from ``rng``) and the task's loss, scored at the last step (target
    "last") or at every step ("every"); every parameter in ``config.dtype`` (the
    initialisers draw in float64, so a float32 network starts from the float64 one's
    weights rounded)."""
    name, variant = config.cell_variant
    cells = []
    for layer in range(config.layers):
        cell = make_cell(
            name,
            variant,
            task.input_size if layer == 0 else config.hidden,
            config.hidden,
            dtype=config.np_dtype,
        )
        initialise(
            cell,
            config.resolved_init,
            rng=rng,
            gain=config.gain,
            forget_bias=config.forget_bias,
            update_bias=config.update_bias,
            spectral_radius=config.spectral_radius,
            spectral_norm=config.spectral_norm,
            nonzeros=config.resolved_nonzeros,
        )
        cells.append(cell)
    model = cells[0] if len(cells) == 1 else Stacked(cells, residual=config.residual)
    output = Linear(config.hidden, task.output_size, dtype=config.np_dtype, rng=rng)
    where = "last" if task.target == "last" else "all"
    return Network(model, output, loss=task.loss, where=where)


def build_optimiser(config: TrainConfig) -> Optimiser:
    """SGD (with ``momentum``) or Adam at learning rate ``lr``."""
    if config.optimiser == "sgd":
        return SGD(config.lr, momentum=config.momentum)
    return Adam(config.lr)


def build_clipper(config: TrainConfig) -> Clipper | None:
    """The clipper of ``config`` (None without clipping): by value, in place, or by norm
    (Algorithm 1 or PyTorch's rule, ``norm_mode``), deferred: it measures the norm and
    the trainer has the optimiser apply the factor to the gradient it holds end to end
    (one pass, the same numbers as clipping each array)."""
    if config.clip is None:
        return None
    if config.clip_mode == "value":
        return by_value(config.clip, in_place=True)
    return by_norm(config.clip, mode=config.norm_mode, deferred=True)
