"""float32 stays float32: no float64 array is made anywhere on a float32 cell's path, and
the float32 results agree with float64 ones; the backward passes' chunking of steps
changes no bit of a result.

Two checks of "no float64": every array a pass produces or stores (trace, caches,
gradients, adjoints, state Jacobians), and, during the pass, a guard on NumPy itself:
the cell modules' ``np`` is replaced by a stand-in that checks every argument and result
of every NumPy function they call, and whose arrays check every ufunc applied to them
(operators included), so that a float64 temporary is caught where it is made even when
it is cast back before anything is stored.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy_guard import Float64Seen, Guarded, GuardedNumpy, install, module_of, modules_reached
from tolerances import tol

from gradsym import GRU, LSTM, RNN

CELLS = {
    **{f"rnn {a}": (RNN, {"activation": a}) for a in ("tanh", "sigmoid", "relu", "identity")},
    "lstm": (LSTM, {}),
    "lstm peephole": (LSTM, {"peephole": True}),
    "lstm no forget gate": (LSTM, {"forget_gate": False}),
    "lstm peephole no forget gate": (LSTM, {"peephole": True, "forget_gate": False}),
    **{f"gru {v}": (GRU, {"variant": v}) for v in ("textbook", "minimal", "torch")},
}


def make(name, dtype, rng, d=3, n=5):
    cls, options = CELLS[name]
    cell = cls(d, n, dtype=dtype, **options)
    for p in cell.fused.values():  # weights large enough to saturate some gates
        p[...] = rng.normal(scale=1.5, size=p.shape)
    return cell


def hot_path_modules():
    """The cells' modules and every gradsym.numeric module whose functions they use
    (gates, activations, the base cell, validation)."""
    return modules_reached(RNN, LSTM, GRU)


def defining_module(function_name: str):
    """The module that defines the hot-path function ``function_name``."""
    fn = next(getattr(m, function_name) for m in hot_path_modules() if hasattr(m, function_name))
    return module_of(fn)


def chunk_module():
    """The module that cuts the backward passes' steps into chunks (``CHUNK_BYTES``)."""
    mod = defining_module("reverse_chunks")
    assert hasattr(mod, "CHUNK_BYTES")
    return mod


# -- the guard (tests/numpy_guard.py) -------------------------------------------------------


@pytest.fixture
def guard(monkeypatch):
    """``guard(cell)`` puts the guard in place for ``cell``'s passes: the cell modules'
    numpy replaced (after the cell was made: initialisation may use float64, it is not
    on the path), and the cell's parameters turned into Guarded views of their memory."""

    def guard_cell(cell=None):
        numpy = install(monkeypatch, hot_path_modules())
        if cell is not None:
            # the storage itself becomes guarded (the mapping is read-only to users), and
            # the parameters' views are taken anew from it
            for k, v in cell.fused.items():
                dict.__setitem__(cell.fused, k, v.view(Guarded))
            cell._bind_views()
        return numpy

    return guard_cell


def run_everything(cell, rng, T=4, B=3):
    """Every pass of a float32 cell: forward (from zeros and from a state), backward with
    every kind of loss term, step, step_backward and the state Jacobian."""
    dt, n, d = cell.dtype, cell.hidden_size, cell.input_size
    xs = rng.normal(size=(T, B, d)).astype(dt).view(Guarded)
    state0 = tuple(rng.normal(size=(B, n)).astype(dt).view(Guarded) for _ in cell.state_names)
    dh = rng.normal(size=(T, B, n)).astype(dt)
    out = []
    for s0 in (None, state0):
        trace = cell.forward(xs, s0)
        kw = {"dc": rng.normal(size=(T, B, n)).astype(dt)} if "c" in cell.state_names else {}
        final = tuple(rng.normal(size=(B, n)).astype(dt) for _ in cell.state_names)
        out += [trace, cell.backward(trace, dh, d_final=final, **kw), cell.backward(trace, dh)]
    state, step_trace = cell.step(xs[0], state0)
    out += [state, step_trace, cell.step_backward(step_trace, state)]
    out += list(cell.state_jacobian(xs[0], state0))
    return out


def arrays_in(obj, seen=None):
    """Every ndarray reachable from a result: dataclass fields, dicts, tuples."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from arrays_in(v, seen)
    elif isinstance(obj, (tuple, list)):
        for v in obj:
            yield from arrays_in(v, seen)
    elif hasattr(obj, "__dataclass_fields__"):
        for f in obj.__dataclass_fields__:
            yield from arrays_in(getattr(obj, f), seen)


# -- no float64 on the float32 path ---------------------------------------------------------


@pytest.mark.parametrize("name", CELLS)
def test_every_array_a_float32_pass_makes_or_stores_is_float32(name, rng):
    results = run_everything(make(name, np.float32, rng), rng)
    arrays = list(arrays_in(results))
    assert len(arrays) > 20
    bad = [(a.dtype, a.shape) for a in arrays if a.dtype.kind == "f" and a.dtype != np.float32]
    assert not bad


@pytest.mark.parametrize("name", CELLS)
def test_no_numpy_call_on_the_float32_path_sees_a_float64(name, rng, guard):
    cell = make(name, np.float32, rng)
    numpy = guard(cell)
    run_everything(cell, rng)
    assert numpy.calls > 50  # the guard did stand in for numpy


@pytest.mark.parametrize("name", ["lstm", "gru torch", "rnn tanh"])
def test_batch_one_and_one_step_are_guarded_too(name, rng, guard):
    cell = make(name, np.float32, rng)
    guard(cell)
    run_everything(cell, rng, T=1, B=1)


# The guard must see what it is there to see: each mutation below puts a float64
# temporary on the path, cast back to float32 before anything is stored.


@pytest.mark.parametrize("name", ["lstm", "gru torch", "gru minimal"])
def test_the_guard_sees_float64_constants_in_the_sigmoid(name, rng, guard, monkeypatch):
    activations = defining_module("half_plus_half")  # float32's σ = ½ + ½ tanh(z/2)
    f32 = np.dtype(np.float32)
    monkeypatch.setitem(activations.HALF, f32, np.array(0.5, np.float64))
    cell = make(name, np.float32, rng)
    guard(cell)
    with pytest.raises(Float64Seen, match="argument of np.multiply is float64"):
        run_everything(cell, rng)


def test_the_guard_sees_a_float64_scalar_operand(rng, guard, monkeypatch):
    original = defining_module("tanh_prime").tanh_prime

    def tanh_prime_with_float64_scalar(a, out=None):
        out = original(a, out)
        out *= np.float64(1.0)  # the result is cast back to float32: only the guard sees it
        return out

    for mod in hot_path_modules():
        if getattr(mod, "tanh_prime", None) is original:
            monkeypatch.setattr(mod, "tanh_prime", tanh_prime_with_float64_scalar)
    unguarded = run_everything(make("gru torch", np.float32, rng), rng)
    assert all(a.dtype == np.float32 for a in arrays_in(unguarded))  # nothing stored shows it
    cell = make("gru torch", np.float32, rng)
    guard(cell)
    with pytest.raises(Float64Seen, match="operand of multiply"):
        run_everything(cell, rng)


def test_the_guard_sees_a_float64_made_through_numpy_or_an_operator():
    numpy = GuardedNumpy()
    x = np.ones(3, np.float32).view(Guarded)
    with pytest.raises(Float64Seen, match="result of np.asarray"):
        numpy.asarray(x, dtype=np.float64)
    with pytest.raises(Float64Seen, match="result of exp"):
        numpy.exp(x, dtype=np.float64)
    with pytest.raises(Float64Seen, match="result of np.exp"):
        numpy.exp(np.ones(3, np.float32), dtype=np.float64)
    with pytest.raises(Float64Seen, match="operand of add"):
        x + np.ones(3)
    with pytest.raises(Float64Seen, match="operand of multiply"):
        x.astype(np.float64) * 2.0
    assert (numpy.exp(x) > 2).all() and (x + np.float32(1) == 2).all()  # float32 passes


# -- float32 agrees with float64 ------------------------------------------------------------


@pytest.mark.parametrize("name", CELLS)
def test_float32_agrees_with_float64(name, rng):
    cell64 = make(name, np.float64, rng, n=16)
    cell32 = make(name, np.float32, rng, n=16)
    cell32.load_params({k: v.astype(np.float32) for k, v in cell64.params.items()})
    T, B = 7, 4
    xs, G = rng.normal(size=(T, B, 3)), rng.normal(size=(T, B, 16))
    s0 = tuple(rng.normal(size=(B, 16)) for _ in cell64.state_names)
    exact = tol("exact", np.float32)
    tr64 = cell64.forward(xs, s0)
    tr32 = cell32.forward(xs.astype(np.float32), tuple(s.astype(np.float32) for s in s0))
    g64, g32 = cell64.backward(tr64, G), cell32.backward(tr32, G.astype(np.float32))
    scale = max(np.abs(g64.dxs).max(), 1.0)
    for a64, a32 in zip(arrays_in([tr64, g64]), arrays_in([tr32, g32])):
        assert a32.dtype == np.float32 or a32.dtype.kind != "f"
        assert np.abs(a32 - a64).max() <= exact * max(np.abs(a64).max(), scale)
    for J64, J32 in zip(cell64.state_jacobian(xs[0], s0), cell32.state_jacobian(
        xs[0].astype(np.float32), tuple(s.astype(np.float32) for s in s0)
    )):  # fmt: skip
        assert np.abs(J32 - J64).max() <= exact * max(np.abs(J64).max(), 1.0)


# -- the backward passes' chunks ------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in CELLS if not n.startswith("rnn")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_backward_pass_does_not_depend_on_its_chunks(name, dtype, rng, monkeypatch):
    cell = make(name, dtype, rng)
    T, B, n = 9, 2, cell.hidden_size
    xs = rng.normal(size=(T, B, 3)).astype(dtype)
    dh, dc = rng.normal(size=(2, T, B, n)).astype(dtype)
    kw = {"dc": dc} if "c" in cell.state_names else {}
    trace = cell.forward(xs)
    reference = list(arrays_in(cell.backward(trace, dh, **kw)))
    chunks = chunk_module()
    per_step = len(cell.gate_names) * B * n * np.dtype(dtype).itemsize
    for budget in (1, 2 * per_step, 4 * per_step):  # chunks of 1, 1–2 and 2–4 steps
        monkeypatch.setattr(chunks, "CHUNK_BYTES", budget)
        assert len(chunks.reverse_chunks(T, per_step)) > 2
        again = list(arrays_in(cell.backward(trace, dh, **kw)))
        assert all(np.array_equal(a, b) for a, b in zip(reference, again))


def test_chunks_cover_every_step_once_last_chunk_first(monkeypatch):
    chunks = chunk_module()
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 300)
    assert chunks.reverse_chunks(10, 100) == [(7, 10), (4, 7), (1, 4), (0, 1)]
    assert chunks.reverse_chunks(2, 100) == [(0, 2)]
    assert chunks.reverse_chunks(3, 10**6) == [(2, 3), (1, 2), (0, 1)]  # at least one step


@pytest.mark.parametrize("name", [n for n in CELLS if not n.startswith("rnn")])
def test_gradients_hold_with_one_step_per_chunk(name, rng, monkeypatch):
    from gradsym import check_cell_gradients

    monkeypatch.setattr(chunk_module(), "CHUNK_BYTES", 1)
    cell = make(name, np.float64, rng, n=4)
    checks = check_cell_gradients(cell, rng.normal(size=(5, 2, 3)), None, rng)
    assert all(c.ok(tol("gradcheck")) for c in checks), [str(c) for c in checks]


@pytest.mark.parametrize("name", [n for n in CELLS if n.startswith("lstm")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_lstm_steps_in_place_or_on_a_copy_alike(name, dtype, rng, monkeypatch):
    """Small blocks run on contiguous copies (gates.CONTIGUOUS_STEPS), large ones in place:
    the same numbers, bit for bit."""
    cell = make(name, dtype, rng)
    T, B, n = 6, 3, cell.hidden_size
    xs = rng.normal(size=(T, B, 3)).astype(dtype)
    dh, dc = rng.normal(size=(2, T, B, n)).astype(dtype)
    trace = cell.forward(xs)
    copied = list(arrays_in([trace, cell.backward(trace, dh, dc=dc)]))
    lstm = module_of(cell)
    assert B * n <= lstm.CONTIGUOUS_STEPS  # the copying path above
    monkeypatch.setattr(lstm, "CONTIGUOUS_STEPS", 0)
    trace = cell.forward(xs)
    in_place = list(arrays_in([trace, cell.backward(trace, dh, dc=dc)]))
    assert len(copied) == len(in_place) > 10
    assert all(np.array_equal(a, b) for a, b in zip(copied, in_place))
