"""A tiny NumPy transcription of the notes' equations, written for the tests only.

Independent of gradsym.symbolic (which derives its Jacobians) and of gradsym.numeric:
``forward`` evaluates one step of each cell from the equations as the notes print them,
and ``fd_jacobian`` differentiates it by central differences.
"""

from __future__ import annotations

import numpy as np
import sympy as sp


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


ACT = {
    "tanh": np.tanh,
    "sigmoid": sig,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}


def forward(name: str, variant: str, p: dict, v: dict) -> dict:
    """All named vectors of one step; v holds the leaves (and any held-fixed intermediates)."""
    out = dict(v)

    def lin(w, a):
        return a @ p[w].T

    def given(key, compute):
        if key not in out:
            out[key] = compute()
        return out[key]

    if name == "rnn":
        act = ACT[variant]
        given("h", lambda: act(lin("W_h", v["h_prev"]) + lin("W_x", v["x"]) + p["b"]))
    elif name == "lstm":
        peep, forget = variant.startswith("peephole"), "no_forget" not in variant
        h, c, x = v["h_prev"], v["c_prev"], v["x"]

        def gate(g, act):
            z = lin(f"W_{g}", h) + lin(f"U_{g}", x) + p[f"b_{g}"]
            return act(z + lin(f"V_{g}", c) if peep and g != "c" else z)

        i, o, ct = gate("i", sig), gate("o", sig), gate("c", np.tanh)
        c_new = (gate("f", sig) * c if forget else c) + i * ct
        out["c"], out["h"] = c_new, o * np.tanh(c_new)
    elif name == "gru":
        h, x = v["h_prev"], v["x"]
        if variant == "torch":
            r = sig(lin("W_r", h) + lin("U_r", x) + p["b_r"])
            z = sig(lin("W_z", h) + lin("U_z", x) + p["b_z"])
            nn = np.tanh(lin("U_n", x) + p["b_n"] + r * (lin("W_n", h) + p["b_hn"]))
            out["h"] = (1 - z) * nn + z * h
        else:
            u = sig(lin("W_u", h) + lin("U_u", x) + p["b_u"])
            seen = h
            if variant == "textbook":
                seen = sig(lin("W_r", h) + lin("U_r", x) + p["b_r"]) * h
            ht = np.tanh(lin("W_h", seen) + lin("U_h", x) + p["b_h"])
            out["h"] = (1 - u) * h + u * ht
    elif name == "birnn":
        act = ACT[variant]
        fw = given(
            "h_fw", lambda: act(lin("W_h_fw", v["h_fw_prev"]) + lin("W_x_fw", v["x"]) + p["b_fw"])
        )
        bw = given(
            "h_bw", lambda: act(lin("W_h_bw", v["h_bw_next"]) + lin("W_x_bw", v["x"]) + p["b_bw"])
        )
        out["o"] = act(lin("W_o", np.concatenate([fw, bw], axis=1)) + p["b_o"])
    elif name == "stacked":
        h1 = given("h1", lambda: np.tanh(lin("W_h1", v["h1_prev"]) + lin("W_x1", v["x"]) + p["b1"]))
        h2 = given("h2", lambda: np.tanh(lin("W_h2", v["h2_prev"]) + lin("W_x2", h1) + p["b2"]))
        if variant == "residual":  # the skip passed up, outside the recurrence (GNMT)
            out["y2"] = h2 + h1
    elif name == "residual":
        out["y"] = v["x"] + ACT[variant](lin("W", v["x"]) + p["b"])
    elif name == "highway":
        x = v["x"]
        t = sig(lin("W_T", x) + p["b_T"])
        out["y"] = t * np.tanh(lin("W_H", x) + p["b_H"]) + (1 - t) * x
    else:
        raise KeyError(name)
    return out


def fd_jacobian(name, variant, p, v, outs, ins, eps=1e-5) -> np.ndarray:
    """(B, Σ|outs|, Σ|ins|) by central differences of ``forward``."""
    base = forward(name, variant, p, v)
    v = {k: base[k] for k in set(v) | set(ins)}  # held-fixed intermediates become inputs
    cols = []
    for w in ins:
        for j in range(v[w].shape[1]):
            plus, minus = dict(v), dict(v)
            plus[w] = v[w].copy()
            minus[w] = v[w].copy()
            plus[w][:, j] += eps
            minus[w][:, j] -= eps
            fp, fm = forward(name, variant, p, plus), forward(name, variant, p, minus)
            cols.append(np.concatenate([(fp[o] - fm[o]) / (2 * eps) for o in outs], axis=1))
    return np.stack(cols, axis=2)


def random_instance(cell, n: int, d: int, batch: int, rng):
    """Parameters (scaled 1/√fan-in), leaves and a random batch for a symbolic Cell."""
    sizes = {
        sp.Symbol("n", integer=True, positive=True): n,
        sp.Symbol("d", integer=True, positive=True): d,
    }
    params = {}
    for P in cell.params:
        rows, cols = (int(sp.sympify(s).subs(sizes)) for s in P.shape)
        params[P.name] = (
            rng.standard_normal(rows) * 0.5
            if cols == 1
            else rng.standard_normal((rows, cols)) / np.sqrt(cols)
        )
    leaves = {
        L.name: rng.standard_normal((batch, int(sp.sympify(L.shape[0]).subs(sizes))))
        for L in cell.leaves
    }
    return params, leaves


def relative_error(J: np.ndarray, ref: np.ndarray) -> float:
    """max |J − ref| / max |ref| (the entry-wise error relative to the largest entry)."""
    return float(np.max(np.abs(J - ref)) / max(np.max(np.abs(ref)), 1e-300))
