"""Weights in and out of PyTorch: ``from_torch`` and ``to_torch`` for ``torch.nn.RNN``,
``LSTM`` and ``GRU`` (any number of layers, either direction, ``batch_first`` or not) and
for ``torch.nn.RNNCell``, ``LSTMCell`` and ``GRUCell``, and the gradients of a gradsym
model renamed as torch's parameters so that the two can be compared.

How the parameters correspond (torch stacks gate blocks row-wise):

=========  ==========================  ==========================================
torch      rows of ``weight_ih``       gradsym
=========  ==========================  ==========================================
RNN        one block                   W_x = w_ih, W_h = w_hh, b = b_ih + b_hh
LSTM       [i, f, g, o]                U_i, U_f, U_c, U_o (W_* likewise),
                                       b_* = b_ih + b_hh per gate
GRU        [r, z, n]                   GRU(variant="torch"): U_r, U_z, U_n, W_r, W_z, W_n,
                                       b_r = b_ir + b_hr, b_z = b_iz + b_hz, b_n = b_in,
                                       b_hn = b_hn (it sits inside r∘(W_hn h + b_hn))
=========  ==========================  ==========================================

Where torch has two biases that only ever appear summed, gradsym keeps their sum; both
torch biases then have the gradient of that sum. ``to_torch`` puts the sum in ``b_ih``
and zero in ``b_hh`` (for the GRU, ``b_hh`` keeps ``b_hn``).

What cannot be reproduced is refused, or warned about where the numbers can still agree:

* ``batch_first=True`` gives a :class:`~gradsym.numeric.nets.batch_first.BatchFirst`
  model, reading (B, T, d) as the module does; ``to_torch`` of it is ``batch_first`` again;
* ``dropout > 0`` between layers: gradsym has no dropout, so the model computes what
  ``module.eval()`` computes (a :class:`~gradsym.errors.GradsymWarning` for a module in
  training mode);
* a subclass that overrides ``forward``, ``proj_size > 0``, a dtype other than float64 and
  float32 (bfloat16, float16) and parameters without values (the meta device) are refused.

A torch cell (``RNNCell``, ...) gives a gradsym cell, whose :meth:`step` is the torch
cell's call; ``to_torch`` and ``torch_gradients`` remember where it came from and use the
cell's class and parameter names (``weight_ih``, not ``weight_ih_l0``).
"""

from __future__ import annotations

import re
import warnings
import weakref

import numpy as np

from gradsym.cells import registry
from gradsym.errors import GradsymWarning, InvalidValueError, ShapeError, did_you_mean
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.batch_first import BatchFirst
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.stacked import Stacked

# Gate order of torch's stacked weights, as gradsym names' suffixes.
# torch's gate blocks in weight_ih / weight_hh, by module: the registry's torch facets
_TORCH_GATES = {
    e.torch.module: e.torch.gates
    for e in registry.entries(["builtin"])
    if e.torch and e.torch.gates
}
_TORCH_DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32"}

# The gradsym cells made from a torch cell (RNNCell, ...): to_torch and torch_gradients
# give them back as cells. Weak, so that the record goes with the cell.
_FROM_TORCH_CELL: weakref.WeakSet = weakref.WeakSet()


def _torch():
    try:
        import torch
    except ImportError as exc:  # torch is an optional extra
        raise ImportError("the PyTorch exchange needs torch: pip install 'gradsym[torch]'") from exc
    return torch


def _kind(module) -> tuple[str, bool]:
    """("RNN" | "LSTM" | "GRU", whether it is a one-step cell), or a clear refusal."""
    torch = _torch()
    for kind in ("LSTM", "GRU", "RNN"):
        for is_cell, cls in (
            (False, getattr(torch.nn, kind)),
            (True, getattr(torch.nn, kind + "Cell")),
        ):
            if isinstance(module, cls):
                if type(module).forward is not cls.forward:
                    raise InvalidValueError(
                        f"{type(module).__name__} overrides forward, which gradsym cannot "
                        f"reproduce; it computes torch.nn.{cls.__name__}'s own forward only "
                        f"(copy the weights into a plain torch.nn.{cls.__name__} to compare)"
                    )
                return kind, is_cell
    raise InvalidValueError(
        "from_torch takes torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell or GRUCell, got "
        f"{type(module).__name__}"
    )


def _check_values(module) -> None:
    """Parameters gradsym can hold: values on a device (not meta), float64 or float32."""
    torch = _torch()
    for name, p in module.named_parameters():
        if p.is_meta:
            raise InvalidValueError(
                f"parameter {name} is on the meta device and holds no values; "
                "materialise the module first (module.to_empty(device='cpu') and load weights)"
            )
        if p.dtype not in (torch.float64, torch.float32):
            raise InvalidValueError(
                f"parameter {name} has dtype {p.dtype}; gradsym computes in float64 or "
                "float32: convert the module with module.double() (or module.float())"
            )


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


# -- one direction of one layer ---------------------------------------------------------------


def _cell_from_weights(kind, d, n, w_ih, w_hh, b_ih, b_hh, dtype, nonlinearity="tanh") -> Cell:
    """A gradsym cell holding torch's weights for one layer and direction."""
    if kind == "RNN":
        cell = RNN(d, n, nonlinearity, dtype=dtype)
        cell.load_params({"W_x": w_ih, "W_h": w_hh, "b": b_ih + b_hh})
        return cell
    gates = _TORCH_GATES[kind]
    blocks = lambda a: dict(zip(gates, np.split(a, len(gates))))
    wi, wh, bi, bh = blocks(w_ih), blocks(w_hh), blocks(b_ih), blocks(b_hh)
    if kind == "LSTM":
        cell = LSTM(d, n, dtype=dtype)
        values = {}
        for g in gates:
            values.update({f"U_{g}": wi[g], f"W_{g}": wh[g], f"b_{g}": bi[g] + bh[g]})
    else:
        cell = GRU(d, n, variant="torch", dtype=dtype)
        values = {f"U_{g}": wi[g] for g in gates} | {f"W_{g}": wh[g] for g in gates}
        values |= {
            "b_r": bi["r"] + bh["r"],
            "b_z": bi["z"] + bh["z"],
            "b_n": bi["n"],
            "b_hn": bh["n"],
        }
    cell.load_params(values)
    return cell


def _weights_from_cell(kind: str, cell: Cell) -> dict[str, np.ndarray]:
    """torch's four arrays (w_ih, w_hh, b_ih, b_hh) for one gradsym cell."""
    p = cell.params
    if kind == "RNN":
        return {
            "weight_ih": p["W_x"],
            "weight_hh": p["W_h"],
            "bias_ih": p["b"],
            "bias_hh": np.zeros_like(p["b"]),
        }
    gates = _TORCH_GATES[kind]
    w_ih = np.concatenate([p[f"U_{g}"] for g in gates])
    w_hh = np.concatenate([p[f"W_{g}"] for g in gates])
    if kind == "LSTM":
        b_ih = np.concatenate([p[f"b_{g}"] for g in gates])
        b_hh = np.zeros_like(b_ih)
    else:
        b_ih = np.concatenate([p["b_r"], p["b_z"], p["b_n"]])
        b_hh = np.concatenate([np.zeros_like(p["b_r"]), np.zeros_like(p["b_z"]), p["b_hn"]])
    return {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh}


def _grads_for_torch(kind: str, g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A cell's parameter gradients renamed and stacked as torch's (w_ih, w_hh, b_ih, b_hh)."""
    if kind == "RNN":
        return {"weight_ih": g["W_x"], "weight_hh": g["W_h"], "bias_ih": g["b"], "bias_hh": g["b"]}
    gates = _TORCH_GATES[kind]
    out = {
        "weight_ih": np.concatenate([g[f"U_{k}"] for k in gates]),
        "weight_hh": np.concatenate([g[f"W_{k}"] for k in gates]),
    }
    if kind == "LSTM":
        out["bias_ih"] = out["bias_hh"] = np.concatenate([g[f"b_{k}"] for k in gates])
    else:
        out["bias_ih"] = np.concatenate([g["b_r"], g["b_z"], g["b_n"]])
        out["bias_hh"] = np.concatenate([g["b_r"], g["b_z"], g["b_hn"]])
    return out


# -- whole modules ----------------------------------------------------------------------------


def _layers(model) -> list[list[tuple[str, Cell]]]:
    """[[(prefix, cell) per direction] per layer] for a cell, Bidirectional or Stacked."""

    def directions(m, prefix):
        if isinstance(m, Cell):
            return [(prefix, m)]
        if isinstance(m, Bidirectional):
            if m.output is not None:
                raise InvalidValueError(
                    "a Bidirectional with an output layer has no torch.nn.RNN counterpart"
                )
            return [(f"{prefix}fwd.", m.cells[0]), (f"{prefix}bwd.", m.cells[1])]
        raise InvalidValueError(
            f"expected a cell, Bidirectional or Stacked, got {type(m).__name__}"
        )

    if isinstance(model, BatchFirst):  # the layout of a sequence changes nothing here
        model = model.model
    if isinstance(model, Stacked):
        if model.residual:
            raise InvalidValueError("a residual stack has no torch.nn.RNN counterpart")
        return [directions(m, f"layer{l}.") for l, m in enumerate(model.layers)]
    return [directions(model, "")]


def from_torch(module):
    """The gradsym model computing what ``module`` computes.

    ``torch.nn.RNN``, ``LSTM`` or ``GRU``: one layer, one direction gives a cell
    (:class:`RNN`, :class:`LSTM`, ``GRU(variant="torch")``); ``bidirectional=True`` a
    :class:`Bidirectional`; ``num_layers > 1`` a :class:`Stacked` of those; with
    ``batch_first=True`` all of it wrapped in a :class:`BatchFirst`. ``RNNCell``,
    ``LSTMCell`` and ``GRUCell`` give a cell. float64 modules give float64 models,
    float32 ones float32.

    Raises InvalidValueError for what gradsym cannot reproduce (see the module docstring);
    warns (GradsymWarning) about dropout in a module in training mode.
    """
    kind, is_cell = _kind(module)
    _check_values(module)
    if is_cell:
        return _cell_from_torch_cell(kind, module)
    if getattr(module, "proj_size", 0):
        raise InvalidValueError("LSTM with proj_size > 0 is not supported by gradsym")
    params = {name: _numpy(p) for name, p in module.named_parameters()}
    first = params["weight_ih_l0"]
    dtype = np.dtype(first.dtype)
    n, L = module.hidden_size, module.num_layers
    if module.dropout > 0 and L > 1 and module.training:
        warnings.warn(
            f"gradsym has no dropout: the model computes what the module computes in eval() "
            f"mode, not with its dropout = {module.dropout} between layers; call "
            "module.eval() before comparing outputs",
            GradsymWarning,
            stacklevel=2,
        )
    dirs = ("", "_reverse") if module.bidirectional else ("",)
    nonlinearity = getattr(module, "nonlinearity", "tanh")
    layers = []
    for l in range(L):
        d = module.input_size if l == 0 else n * len(dirs)
        cells = []
        for sfx in dirs:
            key = f"l{l}{sfx}"
            w_ih, w_hh = params[f"weight_ih_{key}"], params[f"weight_hh_{key}"]
            zeros = np.zeros(w_ih.shape[0], dtype)
            b_ih = params.get(f"bias_ih_{key}", zeros)
            b_hh = params.get(f"bias_hh_{key}", zeros)
            cells.append(
                _cell_from_weights(kind, d, n, w_ih, w_hh, b_ih, b_hh, dtype, nonlinearity)
            )
        layers.append(cells[0] if len(cells) == 1 else Bidirectional(*cells))
    model = layers[0] if L == 1 else Stacked(layers)
    return BatchFirst(model) if module.batch_first else model


def _cell_from_torch_cell(kind: str, module) -> Cell:
    """The gradsym cell of a torch ``RNNCell``, ``LSTMCell`` or ``GRUCell``."""
    params = {name: _numpy(p) for name, p in module.named_parameters()}
    w_ih = params["weight_ih"]
    dtype = np.dtype(w_ih.dtype)
    zeros = np.zeros(w_ih.shape[0], dtype)
    cell = _cell_from_weights(
        kind,
        module.input_size,
        module.hidden_size,
        w_ih,
        params["weight_hh"],
        params.get("bias_ih", zeros),
        params.get("bias_hh", zeros),
        dtype,
        getattr(module, "nonlinearity", "tanh"),
    )
    _FROM_TORCH_CELL.add(cell)
    return cell


def _torch_kind(cell: Cell) -> tuple[str, str]:
    """torch's class name for ``cell`` and its nonlinearity (the registry's torch facet of
    the cell), or a clear refusal."""
    entry = registry.get(cell.name) if cell.name in registry.names() else None
    form = entry.torch if entry is not None else None
    if form is None:
        raise InvalidValueError(f"no torch counterpart for {type(cell).__name__}")
    if cell.variant not in form.variants:
        computes = " or ".join(repr(v) for v in form.variants)
        raise InvalidValueError(
            f"torch.nn.{form.module} computes the {cell.name} variant {computes}, not "
            f"{cell.variant!r}: that form has no torch counterpart"
        )
    return form.module, (cell.variant if not form.gates else "tanh")


def _as_torch_cell(model, cell: bool | None) -> bool:
    """Whether ``model`` goes to torch as a one-step cell (``cell`` None: as it came)."""
    if cell is None:
        return isinstance(model, Cell) and model in _FROM_TORCH_CELL
    if cell and not isinstance(model, Cell):
        raise InvalidValueError(
            f"only a single cell has a torch cell counterpart, not {type(model).__name__}"
        )
    return bool(cell)


def to_torch(model, *, cell: bool | None = None):
    """A torch module holding ``model``'s weights (see the module docstring for what each
    gradsym model maps to); float64 or float32 as the model. A :class:`BatchFirst` model
    gives a ``batch_first=True`` module. ``cell=True`` gives a single cell as
    ``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell``; by default a cell made by
    :func:`from_torch` from a torch cell goes back as one, any other as a one-layer module.
    """
    torch = _torch()
    batch_first = isinstance(model, BatchFirst)
    layers = _layers(model)
    cells = [c for layer in layers for _, c in layer]
    kinds = {_torch_kind(c) for c in cells}
    if len(kinds) != 1:
        raise InvalidValueError(f"torch needs one cell type in all layers, got {sorted(kinds)}")
    ((kind, nonlinearity),) = kinds
    n = cells[0].hidden_size
    n_dirs = len(layers[0])
    if any(len(layer) != n_dirs for layer in layers) or any(c.hidden_size != n for c in cells):
        raise ShapeError("torch needs the same hidden size and directions in every layer")
    kwargs = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
    dtype = getattr(torch, _TORCH_DTYPES[cells[0].dtype])
    if _as_torch_cell(model, cell):
        module = getattr(torch.nn, kind + "Cell")(cells[0].input_size, n, dtype=dtype, **kwargs)
        with torch.no_grad():
            for name, value in _weights_from_cell(kind, cells[0]).items():
                getattr(module, name).copy_(torch.from_numpy(value.copy()))
        return module
    module = getattr(torch.nn, kind)(
        cells[0].input_size,
        n,
        num_layers=len(layers),
        bidirectional=n_dirs == 2,
        batch_first=batch_first,
        dtype=dtype,
        **kwargs,
    )
    with torch.no_grad():
        for l, layer in enumerate(layers):
            for k, (_, c) in enumerate(layer):
                sfx = "_reverse" if k == 1 else ""
                for name, value in _weights_from_cell(kind, c).items():
                    getattr(module, f"{name}_l{l}{sfx}").copy_(torch.from_numpy(value.copy()))
    return module


def torch_gradients(model, grads: dict[str, np.ndarray], *, cell: bool | None = None):
    """``grads`` (the ``params`` of a gradsym backward pass of ``model``) under torch's
    parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ..., or ``weight_ih``, ...
    for a torch cell: ``cell`` as for :func:`to_torch`).

    Raises InvalidValueError naming a parameter whose gradient ``grads`` lacks.
    """
    as_cell = _as_torch_cell(model, cell)
    out = {}
    for l, layer in enumerate(_layers(model)):
        for k, (prefix, c) in enumerate(layer):
            kind, _ = _torch_kind(c)
            own = {}
            for name in c.params:
                if prefix + name not in grads:
                    raise InvalidValueError(
                        f"grads has no gradient for parameter {prefix + name!r}"
                        f"{did_you_mean(prefix + name, grads)}; pass the params of the "
                        "model's backward pass (every parameter's gradient)"
                    )
                own[name] = grads[prefix + name]
            sfx = "" if as_cell else f"_l{l}" + ("_reverse" if k == 1 else "")
            for name, value in _grads_for_torch(kind, own).items():
                out[f"{name}{sfx}"] = value
    return out


def state_from_torch(model, h0, c0=None):
    """torch's initial state (h0, and c0 for the LSTM), each (layers·directions, B, n),
    as the state tuple the gradsym ``model`` takes as ``state0``."""
    h0 = _numpy(h0) if not isinstance(h0, np.ndarray) else h0
    if c0 is not None and not isinstance(c0, np.ndarray):
        c0 = _numpy(c0)
    layers = _layers(model)
    states, k = [], 0
    for layer in layers:
        dirs = []
        for _, cell in layer:
            dirs.append((h0[k],) if c0 is None else (h0[k], c0[k]))
            k += 1
        states.append(dirs[0] if len(dirs) == 1 else tuple(dirs))
    if k != h0.shape[0]:
        raise ShapeError(f"h0 must have {k} = layers × directions rows, got {h0.shape[0]}")
    return states[0] if len(layers) == 1 else tuple(states)


def state_to_torch(model, state):
    """The inverse of :func:`state_from_torch`: (h0,) or (h0, c0) stacked as torch wants."""
    layers = _layers(model)
    per_layer = [state] if len(layers) == 1 else list(state)
    leaves = []
    for layer, s in zip(layers, per_layer):
        leaves.extend([s] if len(layer) == 1 else list(s))
    return tuple(np.stack([leaf[j] for leaf in leaves]) for j in range(len(leaves[0])))


# -- saved state_dicts ------------------------------------------------------------------------
#
# A ``.pt`` file is read with ``torch.load(..., weights_only=True)`` only: never an
# unpickling of arbitrary objects. The module it came from is inferred from its keys and
# shapes (torch names them weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse],
# bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse]; weight_hh has G·n rows for G gate blocks:
# 1 for RNN, 3 for GRU, 4 for LSTM).

_STATE_KEY = re.compile(
    r"^(?P<prefix>.*?)(?P<name>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)
_KIND_OF_BLOCKS = {1: "RNN", 3: "GRU", 4: "LSTM"}


def _refusal(message: str) -> str:
    """What torch's weights-only unpickler objected to, in a few words."""
    found = re.search(r"safe_globals\(\[([\w.]+)\]\)", message)
    if found:
        return f"it holds a pickled {found[1]}, not only tensors"
    found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", message)
    return f"not a pickle of tensors: {found[1].strip()}" if found else "not a pickle of tensors"


#: A state_dict nests dicts for submodules; deeper than this, a file is something else.
MAX_NESTING = 100


def read_state_dict(path) -> dict[str, np.ndarray]:
    """The tensors of the state_dict saved in ``path``, as float64 NumPy arrays under their
    (dotted, for nested dicts) names, read with ``torch.load(weights_only=True)``.

    Raises InvalidValueError for a file torch cannot read that way (a pickled module, a
    corrupt or foreign file) or one that holds no dict of tensors."""
    from pathlib import Path

    path = Path(path)
    try:
        torch = _torch()
    except ImportError:
        raise InvalidValueError(
            f"reading {path} needs torch (pip install 'gradsym[torch]')"
        ) from None
    import pickle
    import warnings

    from gradsym.files import open_regular

    try:
        f = open_regular(path)  # a FIFO would block the read
    except FileNotFoundError:
        raise InvalidValueError(f"no such file: {path}") from None
    except OSError as exc:
        raise InvalidValueError(f"{path} cannot be read ({exc.strerror or exc})") from None
    try:
        with f, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns on some foreign files before failing
            obj = torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InvalidValueError(
            f"{path} is not a plain state_dict: torch.load(weights_only=True) refused it "
            f"({_refusal(str(exc))}); save module.state_dict() instead"
        ) from None
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - a foreign file makes torch raise anything
        raise InvalidValueError(
            f"{path} is not a file torch.load can read ({type(exc).__name__}: "
            f"{str(exc).strip()[:120] or 'no detail'})"
        ) from None
    if not isinstance(obj, dict):
        raise InvalidValueError(
            f"{path} holds a {type(obj).__name__}, not a state_dict (a dict of tensors: "
            "save module.state_dict())"
        )
    out: dict[str, np.ndarray] = {}
    # nested dicts walked on a list, not the call stack: a file may nest them 100 000 deep
    stack = [(iter(obj.items()), "")]
    while stack:
        item = next(stack[-1][0], None)
        if item is None:
            stack.pop()
            continue
        key, value = item
        name = f"{stack[-1][1]}{key}"
        if isinstance(value, torch.Tensor):
            if not value.is_floating_point():
                continue
            if value.numel() == 0:
                raise InvalidValueError(
                    f"{path}: tensor {name!r} has shape {tuple(value.shape)}, with no "
                    "entries: not the weights of a trained module"
                )
            out[name] = value.detach().to(torch.float64).cpu().numpy().copy()
        elif isinstance(value, dict):
            if len(stack) > MAX_NESTING:
                raise InvalidValueError(
                    f"{path} nests dicts more than {MAX_NESTING} deep: not a state_dict"
                )
            stack.append((iter(value.items()), f"{name}."))
    if not out:
        raise InvalidValueError(f"{path} holds no floating-point tensors: not a state_dict")
    return out


def from_state_dict(state_dict, *, nonlinearity: str | None = None, prefix: str | None = None):
    """The gradsym model of the torch.nn.RNN / LSTM / GRU whose parameters ``state_dict``
    (name → array) holds, and a dict saying what was inferred from the keys and shapes.

    ``prefix`` selects one recurrent module when the dict holds several (its keys'
    common prefix, e.g. ``"encoder.rnn."``); keys of other modules are ignored and listed.
    ``nonlinearity`` is the RNN's ("tanh" or "relu"), which a state_dict does not record:
    tanh is assumed, and said so, when it is not given.
    """
    groups: dict[str, dict[tuple[str, int, bool], np.ndarray]] = {}
    unmatched = []
    for key, value in state_dict.items():
        m = _STATE_KEY.match(key)
        if m is None:
            unmatched.append(key)
            continue
        entry = (m["name"], int(m["layer"]), bool(m["reverse"]))
        groups.setdefault(m["prefix"], {})[entry] = np.asarray(value)
    if not groups:
        shown = ", ".join(sorted(state_dict)[:6]) + (", …" if len(state_dict) > 6 else "")
        raise InvalidValueError(
            f"the state_dict's keys fit no torch.nn.RNN, LSTM or GRU (expected weight_ih_l0, "
            f"weight_hh_l0, …; got {shown})"
        )
    if prefix is None:
        if len(groups) > 1:
            names = ", ".join(repr(p) for p in sorted(groups))
            raise InvalidValueError(
                f"the state_dict holds several recurrent modules (prefixes {names}); choose one"
            )
        (prefix,) = groups
    elif prefix not in groups:
        names = ", ".join(repr(p) for p in sorted(groups))
        raise InvalidValueError(f"no recurrent module with prefix {prefix!r}; found {names}")
    params = groups[prefix]
    inside = [k for k in unmatched if prefix and k.startswith(prefix)]
    if inside:
        raise InvalidValueError(f"key {inside[0]!r} fits no torch.nn.RNN, LSTM or GRU parameter")
    ignored = sorted(unmatched) + sorted(
        f"{p}{name}_l{layer}{'_reverse' if rev else ''}"
        for p, g in groups.items()
        if p != prefix
        for name, layer, rev in g
    )
    if any(name == "weight_hr" for name, _, _ in params):
        raise InvalidValueError("an LSTM with proj_size > 0 (weight_hr_l*) is not supported")
    layers = sorted({layer for _, layer, _ in params})
    if layers != list(range(len(layers))):
        raise InvalidValueError(f"the state_dict's layers are {layers}, not 0 … {len(layers) - 1}")
    bidirectional = any(rev for _, _, rev in params)
    dirs = (False, True) if bidirectional else (False,)
    has_bias = ("bias_ih", 0, False) in params
    w_hh0 = params.get(("weight_hh", 0, False))
    w_ih0 = params.get(("weight_ih", 0, False))
    if w_hh0 is None or w_ih0 is None or w_hh0.ndim != 2 or w_ih0.ndim != 2:
        raise InvalidValueError("the state_dict lacks weight_ih_l0 / weight_hh_l0 matrices")
    n = w_hh0.shape[1]
    G, rest = divmod(w_hh0.shape[0], n)
    if rest or G not in _KIND_OF_BLOCKS:
        raise InvalidValueError(
            f"weight_hh_l0 has shape {w_hh0.shape}: {w_hh0.shape[0]} rows are not 1, 3 or 4 "
            f"gate blocks of the hidden size {n} (RNN, GRU or LSTM)"
        )
    kind = _KIND_OF_BLOCKS[G]
    if kind == "RNN":
        assumed = nonlinearity is None
        nonlinearity = "tanh" if assumed else nonlinearity
        if nonlinearity not in ("tanh", "relu"):
            raise InvalidValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    elif nonlinearity is not None:
        raise InvalidValueError(f"nonlinearity applies to an RNN; this state_dict is a {kind}")
    d0 = w_ih0.shape[1]
    expected = set()
    cells_by_layer = []
    for layer in layers:
        d = d0 if layer == 0 else n * len(dirs)
        cells = []
        for rev in dirs:
            want = {"weight_ih": (G * n, d), "weight_hh": (G * n, n)}
            if has_bias:
                want.update(bias_ih=(G * n,), bias_hh=(G * n,))
            arrays = {}
            for name, shape in want.items():
                expected.add((name, layer, rev))
                a = params.get((name, layer, rev))
                sfx = "_reverse" if rev else ""
                if a is None:
                    raise InvalidValueError(f"the state_dict lacks {prefix}{name}_l{layer}{sfx}")
                if a.shape != shape:
                    raise InvalidValueError(
                        f"{prefix}{name}_l{layer}{sfx} has shape {a.shape}, expected {shape} "
                        f"for a {kind} with hidden size {n} reading {d} inputs"
                    )
                arrays[name] = a
            zeros = np.zeros(G * n)
            cells.append(
                _cell_from_weights(
                    kind, d, n, arrays["weight_ih"], arrays["weight_hh"],
                    arrays.get("bias_ih", zeros), arrays.get("bias_hh", zeros),
                    np.float64, nonlinearity or "tanh",
                )
            )  # fmt: skip
        cells_by_layer.append(cells[0] if len(cells) == 1 else Bidirectional(*cells))
    extra = sorted(set(params) - expected)
    if extra:
        name, layer, rev = extra[0]
        raise InvalidValueError(
            f"key {prefix}{name}_l{layer}{'_reverse' if rev else ''} fits no {kind} with "
            f"{len(layers)} layer(s)"
        )
    model = cells_by_layer[0] if len(layers) == 1 else Stacked(cells_by_layer)
    info = {
        "module": f"torch.nn.{kind}",
        "input_size": d0,
        "hidden_size": n,
        "num_layers": len(layers),
        "bidirectional": bidirectional,
        "bias": has_bias,
        "prefix": prefix,
        "ignored_keys": ignored,
    }
    if kind == "RNN":
        info["nonlinearity"] = nonlinearity + (
            " (assumed: a state_dict does not record it)" if assumed else ""
        )
    return model, info
