"""One rule for every cell's parameters: they are live.

Whatever way a value reaches ``cell.params`` — item assignment of a new array
(``cell.params["W_f"] = W``), an in-place write into the array it holds
(``cell.params["W_f"][...] = W``, ``cell.params["W_f"][0] = row``), ``update``, or
replacing the whole mapping — the next forward, backward, step, step_backward and
state_jacobian compute with it, exactly as a fresh cell built with those values does.
A value that cannot be a parameter (wrong shape, wrong dtype, NaN) is refused with one
line naming the parameter; the mapping never grows or shrinks.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from gradsym.errors import DTypeError, GradsymError, NonFiniteError, ShapeError, UnknownNameError
from gradsym.numeric.cells import cell_variants, make_cell
from gradsym.numeric.optim.optimisers import SGD

D, N, T, B = 3, 4, 3, 2

# Every built-in cell and variant, and declared library cells: one with a single state and
# its input weights fused across gates (mgu), one with two states and peepholes.
CELLS = [*cell_variants(), ("mgu", "declared"), ("peephole_lstm_eq", "declared")]
DTYPES = [np.float64, np.float32]
MODES = ["assign", "write", "write-row"]


def new_cell(name, variant, dtype, rng=0):
    return make_cell(name, variant, D, N, dtype=dtype, rng=rng)


def inputs(cell, seed=5):
    """xs, state0, per-step loss terms for every state, and ∂L/∂(final state)."""
    g = np.random.default_rng(seed)
    dt = cell.dtype
    normal = lambda *shape: g.normal(size=shape).astype(dt)
    xs = normal(T, B, D)
    state0 = tuple(normal(B, N) for _ in cell.state_names)
    direct = {s: normal(T, B, N) for s in cell.state_names}
    final = tuple(normal(B, N) for _ in cell.state_names)
    return xs, state0, direct, final


def everything(cell) -> dict[str, np.ndarray]:
    """Every number the five passes give, by a name saying where it came from."""
    xs, state0, direct, final = inputs(cell)
    out = {}
    trace = cell.forward(xs, state0)
    out.update({f"forward state {k}": v for k, v in trace.states.items()})
    out.update({f"forward gate {k}": v for k, v in trace.gates.items()})
    dh, dc = direct["h"], direct.get("c")
    kw = {"dc": dc} if dc is not None else {}
    grads = cell.backward(trace, dh, d_final=final, **kw)
    out["backward dxs"] = grads.dxs
    out.update({f"backward dstate0 {i}": v for i, v in enumerate(grads.dstate0)})
    out.update({f"backward d{k}": v for k, v in grads.params.items()})
    out.update({f"backward adjoint {k}": v for k, v in grads.adjoints.items()})
    new_state, step_trace = cell.step(xs[0], state0)
    out.update({f"step state {i}": v for i, v in enumerate(new_state)})
    d_state, dx, dparams = cell.step_backward(step_trace, final)
    out.update({f"step_backward dstate {i}": v for i, v in enumerate(d_state)})
    out["step_backward dx"] = dx
    out.update({f"step_backward d{k}": v for k, v in dparams.items()})
    J_ss, J_sx = cell.state_jacobian(xs[0], state0)
    out["state_jacobian J_ss"], out["state_jacobian J_sx"] = J_ss, J_sx
    return out


def differing(a: dict, b: dict) -> list[str]:
    assert a.keys() == b.keys()
    return [k for k in a if a[k].shape != b[k].shape or not np.array_equal(a[k], b[k])]


def set_param(cell, name: str, value: np.ndarray, mode: str) -> None:
    if mode == "assign":
        cell.params[name] = value.copy()  # a new array, no memory shared with anything
    elif mode == "write":
        cell.params[name][...] = value
    else:  # write-row: the first row (entry of a vector) only; value differs only there
        cell.params[name][0] = value[0]


def new_value(cell, name: str, mode: str, seed: int) -> np.ndarray:
    old = cell.params[name]
    fresh = np.random.default_rng(seed).uniform(-1.5, 1.5, size=old.shape).astype(cell.dtype)
    if mode == "write-row":
        value = old.copy()
        value[0] = fresh[0]
        return value
    return fresh


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "variant"), CELLS)
def test_a_parameter_set_any_way_takes_effect_in_every_pass(name, variant, dtype, mode):
    """For each parameter alone: set it, and every pass gives exactly what a fresh cell
    built with the new values gives — and not what it gave before (the parameter
    matters, so the comparison can fail)."""
    before = everything(new_cell(name, variant, dtype))
    for k, pname in enumerate(new_cell(name, variant, dtype).params):
        cell = new_cell(name, variant, dtype)
        value = new_value(cell, pname, mode, seed=100 + k)
        set_param(cell, pname, value, mode)
        reference = new_cell(name, variant, dtype, rng=1)  # other draws, then every value
        reference.load_params({**new_cell(name, variant, dtype).state_dict(), pname: value})
        after, expected = everything(cell), everything(reference)
        assert differing(after, expected) == [], f"{pname} set by {mode}"
        changed = differing(after, before)
        assert any(c.startswith("forward") for c in changed), f"{pname} did not matter"


@pytest.mark.parametrize(("name", "variant"), CELLS)
def test_every_parameter_set_at_once_by_update_or_by_replacing_the_mapping(name, variant):
    cell = new_cell(name, variant, np.float64)
    values = new_cell(name, variant, np.float64, rng=3).state_dict()
    expected = everything(new_cell(name, variant, np.float64, rng=3))
    cell.params.update(values)
    assert differing(everything(cell), expected) == []
    other = new_cell(name, variant, np.float64)
    other.params = values
    assert differing(everything(other), expected) == []


def test_assignment_copies_the_values_into_the_cell():
    """The mapping keeps the cell's own arrays: after ``params[k] = W`` a later write into
    W does not reach the cell (as after load_params), a write through the mapping does."""
    cell = new_cell("lstm", "standard", np.float64)
    W = np.full((N, N), 0.25)
    cell.params["W_f"] = W
    held = cell.params["W_f"]
    assert held is not W and np.shares_memory(held, cell.fused["W"])
    np.testing.assert_array_equal(held, W)
    W[...] = 7.0
    assert (cell.params["W_f"] == 0.25).all()
    cell.params["W_f"][...] = 0.5
    reference = new_cell("lstm", "standard", np.float64)
    reference.load_params({"W_f": np.full((N, N), 0.5)})
    assert differing(everything(cell), everything(reference)) == []


def test_assigning_a_parameter_of_the_cell_itself_is_exact():
    """Overlapping memory: W_i ← W_f of the same storage, and W_f ← 2 W_f."""
    cell = new_cell("gru", "torch", np.float64)
    W_r = cell.params["W_r"].copy()
    cell.params["W_z"] = cell.params["W_r"]
    cell.params["W_r"] = 2 * cell.params["W_r"]
    np.testing.assert_array_equal(cell.params["W_z"], W_r)
    np.testing.assert_array_equal(cell.params["W_r"], 2 * W_r)


def test_integer_values_are_exact_and_accepted():
    cell = new_cell("rnn", "tanh", np.float32)
    cell.params["b"] = np.arange(N)
    assert cell.params["b"].dtype == np.float32
    np.testing.assert_array_equal(cell.params["b"], [0, 1, 2, 3])


@pytest.mark.parametrize(("name", "variant"), CELLS)
def test_an_optimiser_step_through_the_mapping_is_live(name, variant):
    cell = new_cell(name, variant, np.float64)
    xs, state0, _, final = inputs(cell)
    grads = cell.backward(cell.forward(xs, state0), d_final=final).params
    expected = {k: v - 0.1 * grads[k] for k, v in cell.params.items()}
    SGD(lr=0.1).step(cell.params, grads)
    reference = new_cell(name, variant, np.float64, rng=1)
    reference.load_params(expected)
    assert differing(everything(cell), everything(reference)) == []


# -- copies of a cell ---------------------------------------------------------------------


def pickled(cell):
    return pickle.loads(pickle.dumps(cell))


# A declared cell's program is compiled from its equations at run time: it is copied, not
# pickled.
COPIES = [(*c, copy.deepcopy) for c in CELLS] + [(*c, pickled) for c in cell_variants()]


@pytest.mark.parametrize(("name", "variant", "clone"), COPIES)
def test_a_copied_cell_has_live_parameters_of_its_own(name, variant, clone):
    cell = new_cell(name, variant, np.float64)
    original = everything(cell)
    twin = clone(cell)
    assert differing(everything(twin), original) == []
    first = next(iter(twin.params))
    twin.params[first][...] = 0.5
    reference = new_cell(name, variant, np.float64)
    reference.params[first][...] = 0.5
    assert differing(everything(twin), everything(reference)) == []
    assert differing(everything(cell), original) == []  # the original is untouched
    for kind, arr in twin.fused.items():
        assert not np.shares_memory(arr, cell.fused[kind])


# -- what is refused ----------------------------------------------------------------------


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(("name", "variant"), [("lstm", "standard"), ("mgu", "declared")])
def test_a_wrong_shape_is_refused_naming_the_parameter(name, variant):
    cell = new_cell(name, variant, np.float64)
    before = cell.state_dict()
    with pytest.raises(ShapeError) as exc:
        cell.params["W_f"] = np.zeros((N, D))
    assert "parameter W_f" in one_line(exc) and f"({N}, {N})" in str(exc.value)
    with pytest.raises(ShapeError, match="parameter b_f"):
        cell.params["b_f"] = 0.0  # a scalar is not a vector: write cell.params["b_f"][...]
    with pytest.raises(ShapeError, match="parameter W_f"):
        cell.params["W_f"] = np.zeros((N, N)).T[None]
    assert differing(cell.state_dict(), before) == []


def test_a_wrong_dtype_is_refused_naming_the_parameter():
    cell64, cell32 = (
        new_cell("gru", "textbook", np.float64),
        new_cell("gru", "textbook", np.float32),
    )
    with pytest.raises(DTypeError) as exc:
        cell64.params["W_u"] = np.zeros((N, N), np.float32)
    assert "parameter W_u must have dtype float64, got float32" in one_line(exc)
    with pytest.raises(DTypeError, match="parameter U_r must have dtype float32, got float64"):
        cell32.params["U_r"] = np.zeros((N, D))
    with pytest.raises(DTypeError, match="parameter b_h"):
        cell64.params["b_h"] = np.array(["a"] * N)


def test_a_non_finite_value_is_refused_naming_the_parameter():
    cell = new_cell("rnn", "relu", np.float64)
    W = np.zeros((N, N))
    W[1, 2] = np.nan
    with pytest.raises(NonFiniteError) as exc:
        cell.params["W_h"] = W
    assert "parameter W_h[1, 2] = nan" in one_line(exc)
    assert np.isfinite(cell.params["W_h"]).all()


@pytest.mark.parametrize(("name", "variant"), CELLS)
def test_a_non_finite_value_written_in_place_is_refused_at_every_next_pass(name, variant):
    cell = new_cell(name, variant, np.float64)
    xs, state0, _, final = inputs(cell)
    trace = cell.forward(xs, state0)
    _, step_trace = cell.step(xs[0], state0)
    last = list(cell.params)[-1]
    cell.params[last][0] = np.inf
    where = f"parameter {last}\\[0"
    with pytest.raises(NonFiniteError, match=where):
        cell.forward(xs, state0)
    with pytest.raises(NonFiniteError, match=where):
        cell.backward(trace, d_final=final)
    with pytest.raises(NonFiniteError, match=where):
        cell.step(xs[0], state0)
    with pytest.raises(NonFiniteError, match=where):
        cell.step_backward(step_trace, final)
    with pytest.raises(NonFiniteError, match=where):
        cell.state_jacobian(xs[0], state0)


def test_the_mapping_neither_grows_nor_shrinks():
    cell = new_cell("lstm", "no_forget", np.float64)
    with pytest.raises(UnknownNameError) as exc:
        cell.params["W_f"] = np.zeros((N, N))  # no forget gate, no W_f
    assert "unknown parameter of LSTM 'W_f'" in one_line(exc) and "'W_i'" in str(exc.value)
    with pytest.raises(UnknownNameError, match="did you mean 'W_o'"):
        cell.params["W_0"]
    with pytest.raises(GradsymError, match="cannot be removed") as exc:
        del cell.params["W_i"]
    one_line(exc)
    with pytest.raises(GradsymError, match="cannot be removed"):
        cell.params.pop("W_i")
    with pytest.raises(GradsymError, match="cannot be removed"):
        cell.params.clear()
    assert list(cell.params) == ["W_i", "W_o", "W_c", "U_i", "U_o", "U_c", "b_i", "b_o", "b_c"]
    assert "W_f" not in cell.params and "W_i" in cell.params and len(cell.params) == 9


def test_replacing_the_mapping_needs_every_parameter():
    cell = new_cell("rnn", "tanh", np.float64)
    before = cell.state_dict()
    with pytest.raises(UnknownNameError, match=r"missing parameter of RNN: b\b") as exc:
        cell.params = {"W_h": np.zeros((N, N)), "W_x": np.zeros((N, D))}
    one_line(exc)
    with pytest.raises(UnknownNameError, match="unknown parameter of RNN 'W'"):
        cell.params = {**before, "W": np.zeros((N, N))}
    with pytest.raises(ShapeError, match="parameter W_x"):
        cell.params = {**before, "W_x": np.zeros((N, N)), "W_h": np.eye(N)}
    # nothing was written by a refused replacement, not even the names before the bad one
    assert differing(cell.state_dict(), before) == []


def test_the_fused_storage_is_read_only_and_says_so():
    cell = new_cell("gru", "minimal", np.float64)
    with pytest.raises(GradsymError, match=r"cell\.fused is read-only.*cell\.params") as exc:
        cell.fused["W"] = np.zeros_like(cell.fused["W"])
    one_line(exc)
    with pytest.raises(GradsymError, match="read-only"):
        del cell.fused["W"]
    with pytest.raises(GradsymError, match="read-only"):
        cell.fused.update({})
    # what it holds is writable, and the parameters are views of it
    cell.fused["W"][...] = 0.0
    assert (cell.params["W_u"] == 0).all() and (cell.params["W_h"] == 0).all()


def test_the_mapping_shows_shapes_not_arrays():
    text = repr(new_cell("rnn", "tanh", np.float64).params)
    assert text == "RNN parameters: W_h (4, 4), W_x (4, 3), b (4,)"


@pytest.mark.parametrize(("dtype", "huge"), [(np.float64, 1e200), (np.float32, 1e30)])
def test_a_huge_but_finite_parameter_is_not_taken_for_a_non_finite_one(dtype, huge):
    """The quick finiteness test squares the weights, which overflows here: the entries
    themselves are then looked at, and they are finite."""
    cell = new_cell("lstm", "peephole", dtype)
    cell.params["V_i"][1, 1] = huge
    xs, state0, _, final = inputs(cell)
    trace = cell.forward(xs, state0)
    cell.backward(trace, d_final=final)
    cell.state_jacobian(xs[0], state0)
    assert np.isfinite(trace.h).all()
