"""Where a model under analysis comes from: objects in memory and files on disk.

:func:`load_models` turns one source into one or more :class:`LoadedModel` (a gradsym
sequence model with a label, what it came from and what was inferred about it):

====================================  ===============================================
source                                models
====================================  ===============================================
a cell, Stacked, Bidirectional         itself
a Network, Trainer, TrainResult        its sequence model (a run's task is kept as the
                                       default data)
torch.nn.RNN / LSTM / GRU              :func:`~gradsym.numeric.torch_exchange.from_torch`
a gradsym run folder                   two: the network at initialisation (rebuilt from
                                       config and seed, exactly as the trainer built it)
                                       and at its checkpoint
a gradsym checkpoint ``.npz``          the network at that checkpoint
a PyTorch state_dict ``.pt``/``.pth``  read with ``torch.load(weights_only=True)``; the
                                       module is inferred from keys and shapes
====================================  ===============================================

Files are recognised by :data:`FILE_KINDS`, a table of (what, matches, load): a new kind of
model file (a cell declared from its equations with its parameters, say) is one more row.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradsym.errors import CheckpointError, GradsymError, InvalidValueError
from gradsym.numeric.analysis.units import describe_cell, sequence_model
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.nets.batch_first import BatchFirst
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked

__all__ = ["FILE_KINDS", "LoadedModel", "describe_model", "load_models"]


@dataclass
class LoadedModel:
    """A model ready for analysis: ``model`` (a cell, Stacked or Bidirectional), its
    ``label``, its ``source``, what was ``inferred`` about it, the ``task`` (name, kwargs)
    it was trained on (None if unknown), its training ``step`` (None if unknown) and
    whether it reads batch-first inputs (a torch module built with ``batch_first=True``)."""

    label: str
    model: Any
    source: str
    inferred: dict[str, Any] = field(default_factory=dict)
    task: tuple[str, dict] | None = None
    step: int | None = None
    batch_first: bool = False

    @property
    def input_size(self) -> int:
        return int(self.model.input_size)


def describe_model(model) -> str:
    """A short description: "LSTM 3→16", "2 × LSTM 3→16 (bidirectional)", …"""
    if isinstance(model, Cell):
        return describe_cell(model)
    if isinstance(model, Bidirectional):
        return f"{describe_cell(model.cells[0])} (bidirectional)"
    if isinstance(model, Stacked):
        parts = [describe_model(layer) for layer in model.layers]
        res = ", residual" if model.residual else ""
        return f"{len(parts)} layers{res}: " + "; ".join(parts)
    return type(model).__name__


def _structure(model) -> dict[str, Any]:
    return {"model": describe_model(model), "dtype": str(model.dtype)}


# -- objects --------------------------------------------------------------------------------


def _from_torch_module(module, label) -> LoadedModel:
    from gradsym.numeric.torch_exchange import from_torch

    model = from_torch(module)
    # from_torch wraps a batch-first module so that it reads (B, T, d) as torch does; the
    # analysis keeps its inputs time-major and transposes batch-first data itself.
    model = getattr(model, "model", model) if getattr(module, "batch_first", False) else model
    kind = type(module).__name__
    inferred = {
        "module": f"torch.nn.{kind}",
        "input_size": module.input_size,
        "hidden_size": module.hidden_size,
        "num_layers": module.num_layers,
        "bidirectional": module.bidirectional,
        "batch_first": bool(module.batch_first),
        **_structure(model),
    }
    if kind == "RNN":
        inferred["nonlinearity"] = module.nonlinearity
    return LoadedModel(
        label or f"torch.nn.{kind}",
        model,
        "PyTorch module",
        inferred,
        batch_first=bool(module.batch_first),
    )


def _from_object(obj, label) -> LoadedModel:
    """A LoadedModel for an object in memory."""
    if type(obj).__module__.startswith("torch"):
        return _from_torch_module(obj, label)
    task, step = None, None
    if hasattr(obj, "config") and hasattr(obj, "network"):  # a Trainer or a TrainResult
        cfg = obj.config
        task, step = (cfg.task, dict(cfg.task_kwargs)), getattr(obj, "step", None)
        obj = obj.network
    batch_first = isinstance(obj, BatchFirst)  # from_torch of a batch_first=True module
    model = sequence_model(obj.model if batch_first else obj)
    if not isinstance(model, (Cell, Stacked, Bidirectional)):
        raise InvalidValueError(
            f"cannot analyse a {type(obj).__name__}: expected a gradsym cell, Stacked, "
            "Bidirectional, Network, Trainer or TrainResult, a torch.nn.RNN / LSTM / GRU, "
            "or the path of a run folder, checkpoint or state_dict"
        )
    what = "gradsym Network" if isinstance(obj, Network) else "gradsym model"
    return LoadedModel(
        label or describe_model(model),
        model,
        what,
        _structure(model),
        task=task,
        step=step,
        batch_first=batch_first,
    )


# -- files ----------------------------------------------------------------------------------


def _run_models(config: dict, params: dict | None, source: str) -> Any:
    """The sequence model of a training run: at initialisation (``params`` None) or with
    ``params`` loaded; built as the trainer builds it."""
    from gradsym.numeric.train.config import TrainConfig
    from gradsym.numeric.train.trainer import Trainer

    try:
        network = Trainer(TrainConfig.from_dict(config)).network
    except (GradsymError, TypeError) as exc:
        raise CheckpointError(f"{source}: its configuration is invalid: {exc}") from exc
    if params is not None:
        try:
            network.set_params(params)
        except GradsymError as exc:
            raise CheckpointError(
                f"{source}: its parameters do not fit its configuration: {exc}"
            ) from exc
    return network.model


def _checkpoint(path: Path):
    """The checkpoint at ``path``, its cell buildable (a declared cell is declared again
    from the equations the run recorded)."""
    from gradsym.numeric.train.checkpoint import declare_recorded_cell, load_checkpoint

    ckpt = load_checkpoint(path)
    declare_recorded_cell(ckpt, path)
    return ckpt


def _run_label(folder: Path) -> str:
    return folder.resolve().name


def _load_run_folder(path: Path, options: dict) -> list[LoadedModel]:
    from gradsym.numeric.train.run_files import CHECKPOINT_FILE

    ckpt_path = path / CHECKPOINT_FILE
    if not ckpt_path.is_file():
        raise InvalidValueError(
            f"folder {path} is not a gradsym run folder (no {CHECKPOINT_FILE} in it)"
        )
    ckpt = _checkpoint(ckpt_path)
    name = _run_label(path)
    task = (ckpt.config.get("task"), dict(ckpt.config.get("task_kwargs") or {}))
    init = _run_models(ckpt.config, None, str(ckpt_path))
    final = _run_models(ckpt.config, ckpt.params, str(ckpt_path))
    inferred = {"run_folder": str(path), "config": ckpt.config}
    return [
        LoadedModel(f"{name} (init)", init, f"{path}: initialisation", inferred, task, 0),
        LoadedModel(
            f"{name} (step {ckpt.step})",
            final,
            f"{ckpt_path}: step {ckpt.step}",
            inferred,
            task,
            ckpt.step,
        ),
    ]


def _load_checkpoint_file(path: Path, options: dict) -> list[LoadedModel]:
    ckpt = _checkpoint(path)
    name = path.parent.resolve().name if path.stem == "checkpoint" else path.stem
    task = (ckpt.config.get("task"), dict(ckpt.config.get("task_kwargs") or {}))
    model = _run_models(ckpt.config, ckpt.params, str(path))
    inferred = {"checkpoint": str(path), "config": ckpt.config}
    return [LoadedModel(f"{name} (step {ckpt.step})", model, str(path), inferred, task, ckpt.step)]


def _load_state_dict_file(path: Path, options: dict) -> list[LoadedModel]:
    from gradsym.numeric.torch_exchange import from_state_dict, read_state_dict

    model, inferred = from_state_dict(
        read_state_dict(path),
        nonlinearity=options.get("nonlinearity"),
        prefix=options.get("prefix"),
    )
    inferred = {"file": str(path), **inferred, **_structure(model)}
    return [LoadedModel(path.stem, model, f"{path}: PyTorch state_dict", inferred)]


FileKind = tuple[str, Callable[[Path], bool], Callable[[Path, dict], list[LoadedModel]]]

#: The model files :func:`load_models` reads: (what, does the path match, load).
FILE_KINDS: list[FileKind] = [
    ("a gradsym run folder", lambda p: p.is_dir(), _load_run_folder),
    ("a gradsym checkpoint (.npz)", lambda p: p.suffix == ".npz", _load_checkpoint_file),
    (
        "a PyTorch state_dict (.pt, .pth)",
        lambda p: p.suffix in (".pt", ".pth"),
        _load_state_dict_file,
    ),
]


def load_models(
    source,
    *,
    label: str | None = None,
    nonlinearity: str | None = None,
    prefix: str | None = None,
) -> list[LoadedModel]:
    """The model(s) ``source`` holds (see the module docstring): a path or an object.

    ``label`` names a single model (default: from its source); ``nonlinearity`` and
    ``prefix`` are for state_dicts (see
    :func:`~gradsym.numeric.torch_exchange.from_state_dict`).
    """
    if isinstance(source, LoadedModel):
        if label is not None:
            source.label = label
        return [source]
    if not isinstance(source, (str, os.PathLike)):
        return [_from_object(source, label)]
    path = Path(source)
    if not path.exists():
        raise InvalidValueError(f"no such file or folder: {path}")
    options = {"nonlinearity": nonlinearity, "prefix": prefix}
    for _, matches, load in FILE_KINDS:
        if matches(path):
            models = load(path, options)
            if label is not None and len(models) == 1:
                models[0].label = label
            return models
    kinds = "; ".join(what for what, _, _ in FILE_KINDS)
    raise InvalidValueError(f"{path} is not a model file gradsym reads (it reads {kinds})")
