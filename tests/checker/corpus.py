"""A public corpus of candidate Jacobians, labelled independently of gradsym.

Each candidate is labelled right or wrong by central differences of small NumPy step
functions written here from the cell equations of the notes (not gradsym's cells, not its
symbolic code), and the candidate is evaluated by a small interpreter of the grammar
written here too (``GrammarValue``). The checker is then held to zero false verdicts on it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

# -- the cells, from the notes' equations ----------------------------------------------------------


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


ACT = {
    "tanh": np.tanh,
    "sigmoid": sig,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}
PRIME = {"tanh": "tanh_prime", "sigmoid": "sigma_prime", "relu": "relu_prime", "identity": None}


def rnn_step(p, v, act):
    v.setdefault("z", p["W_h"] @ v["h_prev"] + p["W_x"] @ v["x"] + p["b"])
    v.setdefault("h", ACT[act](v["z"]))


def lstm_step(p, v, peephole, forget):
    def pre(g):
        out = p[f"W_{g}"] @ v["h_prev"] + p[f"U_{g}"] @ v["x"] + p[f"b_{g}"]
        if peephole and g != "c":
            out = out + p[f"V_{g}"] @ v["c_prev"]
        return out

    gates = ("f", "i", "o") if forget else ("i", "o")
    for g in gates:
        v.setdefault(f"z_{g}", pre(g))
        v.setdefault(g, sig(v[f"z_{g}"]))
    v.setdefault("z_c", pre("c"))
    v.setdefault("c_tilde", np.tanh(v["z_c"]))
    kept = v["f"] * v["c_prev"] if forget else v["c_prev"]
    v.setdefault("c", kept + v["i"] * v["c_tilde"])
    v.setdefault("h", v["o"] * np.tanh(v["c"]))


def gru_step(p, v, variant):
    h, x = v["h_prev"], v["x"]
    if variant == "torch":
        v.setdefault("a_r", p["W_r"] @ h + p["U_r"] @ x + p["b_r"])
        v.setdefault("r", sig(v["a_r"]))
        v.setdefault("a_z", p["W_z"] @ h + p["U_z"] @ x + p["b_z"])
        v.setdefault("z", sig(v["a_z"]))
        v.setdefault("g_n", p["W_n"] @ h + p["b_hn"])
        v.setdefault("a_n", p["U_n"] @ x + p["b_n"] + v["r"] * v["g_n"])
        v.setdefault("n_tilde", np.tanh(v["a_n"]))
        v.setdefault("h", (1 - v["z"]) * v["n_tilde"] + v["z"] * h)
        return
    v.setdefault("z_u", p["W_u"] @ h + p["U_u"] @ x + p["b_u"])
    v.setdefault("u", sig(v["z_u"]))
    if variant == "textbook":
        v.setdefault("z_r", p["W_r"] @ h + p["U_r"] @ x + p["b_r"])
        v.setdefault("r", sig(v["z_r"]))
        seen = v["r"] * h
    else:
        seen = h
    v.setdefault("z_h", p["W_h"] @ seen + p["U_h"] @ x + p["b_h"])
    v.setdefault("h_tilde", np.tanh(v["z_h"]))
    v.setdefault("h", (1 - v["u"]) * h + v["u"] * v["h_tilde"])


def birnn_step(p, v, act):
    f = ACT[act]
    v.setdefault("z_fw", p["W_h_fw"] @ v["h_fw_prev"] + p["W_x_fw"] @ v["x"] + p["b_fw"])
    v.setdefault("h_fw", f(v["z_fw"]))
    v.setdefault("z_bw", p["W_h_bw"] @ v["h_bw_next"] + p["W_x_bw"] @ v["x"] + p["b_bw"])
    v.setdefault("h_bw", f(v["z_bw"]))
    v.setdefault("z_o", p["W_o"] @ np.vstack([v["h_fw"], v["h_bw"]]) + p["b_o"])
    v.setdefault("o", f(v["z_o"]))


def stacked_step(p, v, variant):
    v.setdefault("z1", p["W_h1"] @ v["h1_prev"] + p["W_x1"] @ v["x"] + p["b1"])
    v.setdefault("h1", np.tanh(v["z1"]))
    v.setdefault("z2", p["W_h2"] @ v["h2_prev"] + p["W_x2"] @ v["h1"] + p["b2"])
    v.setdefault("h2", np.tanh(v["z2"]))
    if variant == "residual":  # GNMT: the skip is passed up; each layer carries its own h
        v.setdefault("y2", v["h2"] + v["h1"])


def residual_step(p, v, act):
    v.setdefault("z", p["W"] @ v["x"] + p["b"])
    v.setdefault("y", v["x"] + ACT[act](v["z"]))


def highway_step(p, v, variant):
    v.setdefault("z_T", p["W_T"] @ v["x"] + p["b_T"])
    v.setdefault("T", sig(v["z_T"]))
    v.setdefault("z_H", p["W_H"] @ v["x"] + p["b_H"])
    v.setdefault("H", np.tanh(v["z_H"]))
    v.setdefault("y", v["T"] * v["H"] + (1 - v["T"]) * v["x"])


# name -> (step, leaves with their size "n"/"d", parameter shapes)
LSTM_PARAMS = lambda gates, peep: {
    **{f"W_{g}": ("n", "n") for g in gates + ("c",)},
    **{f"U_{g}": ("n", "d") for g in gates + ("c",)},
    **{f"b_{g}": ("n", 1) for g in gates + ("c",)},
    **({f"V_{g}": ("n", "n") for g in gates} if peep else {}),
}
CELLS = {
    "rnn": (
        rnn_step,
        {"h_prev": "n", "x": "d"},
        {"W_h": ("n", "n"), "W_x": ("n", "d"), "b": ("n", 1)},
    ),
    "lstm": (lstm_step, {"h_prev": "n", "c_prev": "n", "x": "d"}, None),
    "gru": (gru_step, {"h_prev": "n", "x": "d"}, None),
    "birnn": (
        birnn_step,
        {"h_fw_prev": "n", "h_bw_next": "n", "x": "d"},
        {
            "W_h_fw": ("n", "n"),
            "W_x_fw": ("n", "d"),
            "b_fw": ("n", 1),
            "W_h_bw": ("n", "n"),
            "W_x_bw": ("n", "d"),
            "b_bw": ("n", 1),
            "W_o": ("n", "2n"),
            "b_o": ("n", 1),
        },
    ),
    "stacked": (
        stacked_step,
        {"h1_prev": "n", "h2_prev": "n", "x": "d"},
        {
            "W_h1": ("n", "n"),
            "W_x1": ("n", "d"),
            "b1": ("n", 1),
            "W_h2": ("n", "n"),
            "W_x2": ("n", "n"),
            "b2": ("n", 1),
        },
    ),
    "residual": (residual_step, {"x": "n"}, {"W": ("n", "n"), "b": ("n", 1)}),
    "highway": (
        highway_step,
        {"x": "n"},
        {"W_T": ("n", "n"), "b_T": ("n", 1), "W_H": ("n", "n"), "b_H": ("n", 1)},
    ),
}
GRU_PARAMS = {
    "textbook": {
        **{f"W_{g}": ("n", "n") for g in "urh"},
        **{f"U_{g}": ("n", "d") for g in "urh"},
        **{f"b_{g}": ("n", 1) for g in "urh"},
    },
    "minimal": {
        **{f"W_{g}": ("n", "n") for g in "uh"},
        **{f"U_{g}": ("n", "d") for g in "uh"},
        **{f"b_{g}": ("n", 1) for g in "uh"},
    },
    "torch": {
        **{f"W_{g}": ("n", "n") for g in "rzn"},
        **{f"U_{g}": ("n", "d") for g in "rzn"},
        **{f"b_{g}": ("n", 1) for g in "rzn"},
        "b_hn": ("n", 1),
    },
}


def _step_options(cell, variant):
    if cell == "lstm":
        return {
            "peephole": "peephole" in variant,
            "forget": "no_forget" not in variant,
        }
    if cell in ("rnn", "birnn", "residual"):
        return {"act": variant}
    return {"variant": variant}


def _params_of(cell, variant):
    if cell == "lstm":
        gates = ("f", "i", "o") if "no_forget" not in variant else ("i", "o")
        return LSTM_PARAMS(gates, "peephole" in variant)
    if cell == "gru":
        return GRU_PARAMS[variant]
    return CELLS[cell][2]


def _dim(s, n, d):
    return {"n": n, "d": d, "2n": 2 * n, 1: 1}[s]


def random_point(cell, variant, n, d, rng):
    """Parameters and leaves (columns), as the test's own generator draws them."""
    p = {}
    for name, (r, c) in _params_of(cell, variant).items():
        rows, cols = _dim(r, n, d), _dim(c, n, d)
        scale = 0.5 if cols == 1 else 1.0 / np.sqrt(cols)
        p[name] = rng.normal(0.0, scale, (rows, cols))
    leaves = {k: rng.normal(0.0, 1.0, (_dim(s, n, d), 1)) for k, s in CELLS[cell][1].items()}
    return p, leaves


def step(cell, variant, p, leaves):
    v = dict(leaves)
    CELLS[cell][0](p, v, **_step_options(cell, variant))
    return v


# The stacked state s of each cell, as the notes stack it: new state and previous state.
STATES = {
    "lstm": (("h", "c"), ("h_prev", "c_prev")),
    "stacked": (("h1", "h2"), ("h1_prev", "h2_prev")),
    "birnn": (("h_fw", "h_bw"), ("h_fw_prev", "h_bw_next")),
    "rnn": (("h",), ("h_prev",)),
    "gru": (("h",), ("h_prev",)),
}


def fd_block(cell, variant, of, wrt, p, leaves, eps=1e-6):
    """∂of/∂wrt by central differences of the step (an intermediate wrt held as a leaf);
    of = "state" and wrt = "state" stack the cell's state vectors (s = [h; c], …)."""
    base = step(cell, variant, p, leaves)
    outs = STATES[cell][0] if of == "state" else (of,)
    ins = STATES[cell][1] if wrt == "state" else (wrt,)
    held = dict(leaves)
    for w in ins:
        if w not in held:
            held[w] = base[w]
    cols = []
    for w in ins:
        for k in range(held[w].shape[0]):
            e = np.zeros_like(held[w])
            e[k] = eps
            plus = step(cell, variant, p, {**held, w: held[w] + e})
            minus = step(cell, variant, p, {**held, w: held[w] - e})
            diff = [(plus[o] - minus[o]) / (2 * eps) for o in outs]
            cols.append(np.concatenate(diff)[:, 0])
    return np.stack(cols, axis=1), base


# -- the grammar, evaluated independently --------------------------------------------------------


class GrammarValue:
    """A NumPy value with the grammar's operators: @ matmul, % (∘) Hadamard, * as documented."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)

    @staticmethod
    def _v(x):
        return x.a if isinstance(x, GrammarValue) else x

    def __matmul__(self, o):
        return GrammarValue(self.a @ o.a)

    def __mod__(self, o):
        assert self.a.shape == o.a.shape
        return GrammarValue(self.a * o.a)

    def __mul__(self, o):
        if not isinstance(o, GrammarValue):
            return GrammarValue(self.a * o)
        a, b = self.a, o.a
        if a.shape[1] == b.shape[0] and not (a.shape[1] == 1 and b.shape[1] == 1):
            return GrammarValue(a @ b)
        assert a.shape == b.shape and a.shape[1] == 1
        return GrammarValue(a * b)

    def __rmul__(self, o):
        return GrammarValue(o * self.a)

    def __getitem__(self, index):  # W_o[:, :n]: n and d are ints in the namespace
        rows, cols = index if isinstance(index, tuple) else (index, slice(None))
        return GrammarValue(self.a[rows, cols])

    def __truediv__(self, o):
        return GrammarValue(self.a / o)

    def __add__(self, o):
        return GrammarValue(self.a + self._v(o))

    __radd__ = __add__

    def __sub__(self, o):
        return GrammarValue(self.a - self._v(o))

    def __rsub__(self, o):
        return GrammarValue(self._v(o) - self.a)

    def __neg__(self):
        return GrammarValue(-self.a)

    def __pos__(self):
        return self

    def __pow__(self, k):
        return GrammarValue(self.a**k)

    @property
    def T(self):
        return GrammarValue(self.a.T)


def _f(fn):
    return lambda v: GrammarValue(fn(v.a))


def _block(rows):
    """np.block of the rows, a number 0 standing for the zero block its row and column give."""
    rows = rows if isinstance(rows[0], list) else [rows]
    heights = [next(b.a.shape[0] for b in row if isinstance(b, GrammarValue)) for row in rows]
    widths = [
        next(row[j].a.shape[1] for row in rows if isinstance(row[j], GrammarValue))
        for j in range(len(rows[0]))
    ]
    return GrammarValue(
        np.block(
            [
                [
                    b.a if isinstance(b, GrammarValue) else np.zeros((h, w))
                    for b, w in zip(row, widths)
                ]
                for row, h in zip(rows, heights)
            ]
        )
    )


FUNCS = {
    "diag": lambda v: GrammarValue(np.diag(v.a[:, 0])),
    "hadamard": lambda a, b: a % b,
    "sigma": _f(sig),
    "sigmoid": _f(sig),
    "tanh": _f(np.tanh),
    "relu": _f(lambda z: np.maximum(z, 0.0)),
    "sigma_prime": _f(lambda z: sig(z) * (1 - sig(z))),
    "tanh_prime": _f(lambda z: 1 - np.tanh(z) ** 2),
    "relu_prime": _f(lambda z: (z > 0).astype(float)),
    "block": _block,
}
_UNICODE = [("σ′", "sigma_prime"), ("σ'", "sigma_prime"), ("σ", "sigma"), ("tanh'", "tanh_prime"),
            ("tanh′", "tanh_prime"), ("sigmoid'", "sigma_prime"), ("sigma'", "sigma_prime"),
            ("relu'", "relu_prime"), ("∘", "%"), ("⊙", "%"), ("−", "-"), ("·", "*")]  # fmt: skip


def evaluate_text(text, values, n, d):
    for a, b in _UNICODE:
        text = text.replace(a, b)
    ns = {k: GrammarValue(v) for k, v in values.items()}
    ns.update(FUNCS)
    ns["I"] = GrammarValue(np.eye(n))
    ns["n"], ns["d"] = n, d  # the sizes, for slices
    return eval(text, {"__builtins__": {}}, ns).a  # the corpus's own trusted strings


# -- the corpus -----------------------------------------------------------------------------------


@dataclass
class Entry:
    cell: str
    variant: str
    of: str
    wrt: str
    text: str
    kind: str  # the class of the candidate: right form, transpose, missing term, …
    tiny: bool = False  # a right answer times an exact constant 1 + ε: wrong by construction
    numpy: object = field(default=None, repr=False)  # evaluation for SymPy-built candidates
    sympy: object = field(default=None, repr=False)

    @property
    def label_id(self):
        return f"{self.cell}-{self.variant}-d{self.of}/d{self.wrt}-{self.kind}"


def S4(names):
    out = []
    for perm in itertools.permutations(range(4)):
        inv = sum(1 for a, b in itertools.combinations(perm, 2) if a > b)
        out.append(("- " if inv % 2 else "+ ") + " @ ".join(names[k] for k in perm))
    return " ".join(out)


def _lstm(variant):
    peep, forget = "peephole" in variant, "no_forget" not in variant
    dc = {}
    for w, mats in (("h_prev", "W"), ("x", "U")):
        terms = []
        if forget:
            terms.append(f"diag(c_prev*sigma_prime(z_f)) @ {mats}_f")
        terms += [
            f"diag(c_tilde*sigma_prime(z_i)) @ {mats}_i",
            f"diag(i*tanh_prime(z_c)) @ {mats}_c",
        ]
        dc[w] = terms
    dcc = ["diag(f)" if forget else "I"]
    if peep:
        if forget:
            dcc.append("diag(c_prev*sigma_prime(z_f)) @ V_f")
        dcc.append("diag(c_tilde*sigma_prime(z_i)) @ V_i")
    blocks = {("c", "c_prev"): dcc, ("c", "h_prev"): dc["h_prev"], ("c", "x"): dc["x"]}
    for w, o_mat in (("h_prev", "W_o"), ("x", "U_o"), ("c_prev", "V_o")):
        inner = " + ".join(blocks[("c", w)])
        terms = [f"diag(o*tanh_prime(c)) @ ({inner})"]
        if w != "c_prev" or peep:
            terms.insert(0, f"diag(tanh(c)*sigma_prime(z_o)) @ {o_mat}")
        blocks[("h", w)] = terms
    return blocks


def _rnn(act):
    return {("h", "h_prev"): [_through(act, "z", "W_h")], ("h", "x"): [_through(act, "z", "W_x")]}


GRU_TEXTBOOK_H = [
    "diag(1 - u)",
    "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ W_u",
    "diag(u*tanh_prime(z_h)) @ W_h @ (diag(r) + diag(h_prev*sigma_prime(z_r)) @ W_r)",
]


def _gru(variant):
    if variant == "textbook":
        return {
            ("h", "h_prev"): GRU_TEXTBOOK_H,
            ("h", "x"): [
                "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ U_u",
                "diag(u*tanh_prime(z_h)) @ (U_h + W_h @ diag(h_prev*sigma_prime(z_r)) @ U_r)",
            ],
        }
    if variant == "minimal":
        return {
            ("h", "h_prev"): [
                "diag(1 - u)",
                "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ W_u",
                "diag(u*tanh_prime(z_h)) @ W_h",
            ],
            ("h", "x"): [
                "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ U_u",
                "diag(u*tanh_prime(z_h)) @ U_h",
            ],
        }
    return {
        ("h", "h_prev"): [
            "diag(z)",
            "diag((h_prev - n_tilde)*sigma_prime(a_z)) @ W_z",
            "diag((1 - z)*tanh_prime(a_n)) @ (diag(r) @ W_n + diag(g_n*sigma_prime(a_r)) @ W_r)",
        ],
        ("h", "x"): [
            "diag((h_prev - n_tilde)*sigma_prime(a_z)) @ U_z",
            "diag((1 - z)*tanh_prime(a_n)) @ (U_n + diag(g_n*sigma_prime(a_r)) @ U_r)",
        ],
    }


def _stacked(variant):
    down = "diag(tanh_prime(z2)) @ W_x2"
    blocks = {
        ("h1", "h1_prev"): ["diag(tanh_prime(z1)) @ W_h1"],
        ("h1", "h2_prev"): ["0*W_h1"],
        ("h2", "h2_prev"): ["diag(tanh_prime(z2)) @ W_h2"],
        ("h2", "h1"): [down],
        ("h2", "h1_prev"): [f"{down} @ diag(tanh_prime(z1)) @ W_h1"],
        ("h1", "x"): ["diag(tanh_prime(z1)) @ W_x1"],
        ("h2", "x"): [f"{down} @ diag(tanh_prime(z1)) @ W_x1"],
    }
    if variant == "residual":  # y2 = h2 + h1: the skip adds I to the inter-layer factor
        lift = f"(I + {down})"
        blocks.update({
            ("y2", "h1"): ["I", down],
            ("y2", "h1_prev"): [f"{lift} @ diag(tanh_prime(z1)) @ W_h1"],
            ("y2", "h2_prev"): ["diag(tanh_prime(z2)) @ W_h2"],
            ("y2", "x"): [f"{lift} @ diag(tanh_prime(z1)) @ W_x1"],
        })  # fmt: skip
    return blocks


def _through(act, z, mat):
    """diag(σ'(z)) @ M, or M for the identity activation."""
    dp = PRIME[act]
    return mat if dp is None else f"diag({dp}({z})) @ {mat}"


def _birnn(act):
    return {
        ("h_fw", "h_fw_prev"): [_through(act, "z_fw", "W_h_fw")],
        ("h_bw", "h_bw_next"): [_through(act, "z_bw", "W_h_bw")],
        ("h_fw", "x"): [_through(act, "z_fw", "W_x_fw")],
        ("h_bw", "x"): [_through(act, "z_bw", "W_x_bw")],
        ("h_fw", "h_bw_next"): ["0*W_h_fw"],
    }


def right_answers():
    """(cell, variant) -> {(of, wrt): [terms]}: the right answer of every block, as terms."""
    out = {}
    for act in ("tanh", "sigmoid", "relu", "identity"):
        out[("rnn", act)] = _rnn(act)
    for v in ("standard", "peephole", "no_forget", "peephole_no_forget"):
        out[("lstm", v)] = _lstm(v)
    for v in ("textbook", "minimal", "torch"):
        out[("gru", v)] = _gru(v)
    for act in ("tanh", "sigmoid", "relu", "identity"):
        out[("birnn", act)] = _birnn(act)
    for v in ("plain", "residual"):
        out[("stacked", v)] = _stacked(v)
    for act in ("tanh", "sigmoid", "relu", "identity"):
        out[("residual", act)] = {("y", "x"): ["I", _through(act, "z", "W")]}
    out[("highway", "standard")] = {
        ("y", "x"): [
            "diag(1 - T)",
            "diag((H - x)*sigma_prime(z_T)) @ W_T",
            "diag(T*tanh_prime(z_H)) @ W_H",
        ]
    }
    return out


# the wrong answers, one class at a time, rotated over the blocks so that every block has a
# right answer and at least one wrong one and every class appears on every cell
def _mutations(terms, block, cell, variant):
    text = " + ".join(terms)
    out = {}
    _, wrt = block
    square = not (wrt == "x" and cell not in ("residual", "highway"))
    if square:
        out["transpose"] = f"({text}).T"
    out["sign flipped"] = f"-({text})"
    if len(terms) > 1:
        out["missing term"] = " + ".join(terms[1:])
        out["term sign flipped"] = " + ".join(terms[:-1]) + f" - ({terms[-1]})"
    shapes = _params_of(cell, variant)
    first_mat = next(
        (
            m
            for m in re.finditer(r"diag\(([^()]*(\([^()]*\))?[^()]*)\) @ (\w+)", text)
            if shapes.get(m.group(3)) == ("n", "n")
        ),
        None,
    )
    if first_mat:
        out["Hadamard for matmul"] = text.replace(
            first_mat.group(0), first_mat.group(0).replace(" @ ", " ∘ ", 1), 1
        )
    if "tanh_prime" in text:
        out["tanh′ → σ′"] = text.replace("tanh_prime", "sigma_prime", 1)
    elif "sigma_prime" in text:
        out["σ′ → tanh′"] = text.replace("sigma_prime", "tanh_prime", 1)
    out["rounded constant"] = f"1.00000001*({text})"
    return out


EXTRA = {  # a term of the right shape that does not belong
    ("lstm", "c", "h_prev"): "diag(f) @ W_o",
    ("lstm", "h", "x"): "diag(o) @ U_o",
    ("gru", "textbook", "h", "h_prev"): "diag(u) @ W_r",
    ("gru", "minimal", "h", "x"): "diag(h_prev) @ U_u",
    ("gru", "torch", "h", "h_prev"): "diag(z) @ W_r",
    ("rnn", "h", "h_prev"): "diag(h) @ W_h",
    ("stacked", "h2", "h1_prev"): "diag(h2) @ W_h1",
    ("stacked", "y2", "h1_prev"): "diag(y2) @ W_h1",
    ("highway", "y", "x"): "diag(x*sigma_prime(z_T)) @ W_H",
    ("residual", "y", "x"): "diag(z) @ W",
}
SWAPS = {  # two symbols of the same shape exchanged
    "lstm": [("W_f", "W_i"), ("c_prev", "c_tilde"), ("z_f", "z_o")],
    "gru": [("h_tilde", "h_prev"), ("W_u", "W_r"), ("z_u", "z_h")],
    "rnn": [("h", "h_prev")],
    "stacked": [("z1", "z2"), ("W_h1", "W_h2")],
    "birnn": [("z_fw", "z_bw")],
    "highway": [("T", "H")],
}


def _swap(text, a, b):
    return re.sub(rf"\b({a}|{b})\b", lambda m: b if m.group(1) == a else a, text)


UNUSUAL_RIGHT = [
    ("rnn", "sigmoid", "h", "h_prev", "diag(sigma(z)*sigma(-z)) @ W_h"),
    ("rnn", "sigmoid", "h", "h_prev", "diag(h - h**2) @ W_h"),
    ("rnn", "sigmoid", "h", "x", "diag((1 + tanh(z/2))*(1 - tanh(z/2))/4) @ W_x"),
    ("rnn", "tanh", "h", "h_prev", "diag(1 - (2*sigma(2*z) - 1)**2) @ W_h"),
    ("rnn", "tanh", "h", "h_prev", "(W_h.T @ diag(1 - h ∘ h)).T"),
    ("rnn", "tanh", "h", "x", "4*diag(sigma(2*z)*sigma(-2*z)) @ W_x"),
    ("rnn", "tanh", "h", "h_prev", "diag(tanh'(W_h @ h_prev + W_x @ x + b)) @ W_h"),
    ("rnn", "relu", "h", "h_prev", "diag(relu'(W_h*h_prev + W_x*x + b)) * W_h"),
    ("rnn", "identity", "h", "h_prev", "I @ W_h @ I"),
    (
        "lstm",
        "standard",
        "c",
        "h_prev",
        "diag(c_prev*f*(1 - f)) @ W_f + diag(c_tilde*i*(1 - i)) @ W_i + diag(i*(1 - c_tilde**2)) @ W_c",
    ),
    ("lstm", "standard", "h", "c_prev", "diag(o) @ diag(1 - tanh(c)**2) @ diag(f)"),
    ("lstm", "standard", "h", "c_prev", "diag(-o*tanh_prime(c)*f*(-1))"),
    ("lstm", "standard", "c", "c_prev", "diag(sigma(W_f @ h_prev + U_f @ x + b_f))"),
    ("lstm", "standard", "c", "c_prev", "I - diag(sigma(-z_f))"),
    (
        "lstm",
        "peephole",
        "h",
        "c_prev",
        (
            "diag(tanh(c)*σ′(z_o)) @ V_o + diag(o*tanh′(c)) @ (diag(f) + diag(c_prev*σ′(z_f)) @ V_f"
            " + diag(c_tilde*σ′(z_i)) @ V_i)"
        ),
    ),
    ("lstm", "no_forget", "c", "x", "diag(c_tilde ∘ σ'(z_i)) @ U_i + diag(i ∘ tanh'(z_c)) @ U_c"),
    (
        "gru",
        "textbook",
        "h",
        "h_prev",
        (
            "diag(sigma(-z_u)) + diag((h_tilde - h_prev)*sigma_prime(z_u)) @ W_u"
            " + diag(u*tanh_prime(z_h)) @ W_h @ (diag(r) + diag(h_prev*sigma_prime(z_r)) @ W_r)"
        ),
    ),
    (
        "gru",
        "textbook",
        "h",
        "h_prev",
        (
            "I - diag(u) + diag(u*tanh_prime(z_h)) @ W_h @ diag(r) + diag(h_tilde*sigma_prime(z_u)) @ W_u"
            " - diag(h_prev*sigma_prime(z_u)) @ W_u"
            " + diag(u*tanh_prime(z_h)) @ W_h @ diag(h_prev*sigma_prime(z_r)) @ W_r"
        ),
    ),
    (
        "gru",
        "textbook",
        "h",
        "x",
        (
            "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ U_u + diag(u*tanh_prime(W_h @ (r*((1 - u)*h_prev"
            " + u*h_prev)) + U_h @ x + b_h)) @ (U_h + W_h @ diag(h_prev*sigma_prime(z_r)) @ U_r)"
        ),
    ),
    (
        "gru",
        "torch",
        "h",
        "x",
        (
            "diag((h_prev - n_tilde)*sigma_prime(a_z)) @ U_z"
            " + diag((1 - z)*tanh_prime(U_n @ x + b_n + r*(W_n @ h_prev) + r*b_hn))"
            " @ (U_n + diag((W_n @ h_prev + b_hn)*sigma_prime(a_r)) @ U_r)"
        ),
    ),
    (
        "gru",
        "torch",
        "h",
        "h_prev",
        (
            "diag(z) + diag((h_prev - n_tilde)*z*(1 - z)) @ W_z + diag((1 - z)*(1 - n_tilde**2))"
            " @ diag(r) @ W_n + diag((1 - z)*(1 - n_tilde**2)*g_n*r*sigma(-a_r)) @ W_r"
        ),
    ),
    (
        "gru",
        "minimal",
        "h",
        "h_prev",
        "diag(1 − u) + diag(u ∘ (1 − u) ∘ (h_tilde − h_prev)) · W_u + diag(u ∘ (1 − h_tilde**2)) · W_h",
    ),
    ("stacked", "residual", "y2", "h1", "I + diag(1 - tanh(z2)**2) @ W_x2"),
    (
        "stacked",
        "plain",
        "h2",
        "h1_prev",
        "diag(tanh_prime(z2)) @ (W_x2 @ diag(tanh_prime(z1))) @ W_h1",
    ),
    (
        "highway",
        "standard",
        "y",
        "x",
        (
            "diag(H*sigma_prime(z_T)) @ W_T + diag(T*tanh_prime(z_H)) @ W_H + I - diag(T)"
            " - diag(x*sigma_prime(z_T)) @ W_T"
        ),
    ),
    ("residual", "tanh", "y", "x", "I + diag(1 - tanh(z)**2) * W"),
    ("birnn", "tanh", "h_bw", "h_bw_next", "diag(1 - h_bw**2) @ W_h_bw"),
]

LOW_DEGREE_IDENTITIES = [
    # S4 vanishes on 2×2 matrices only: wrong, visible at n ≥ 3
    (
        "lstm",
        "standard",
        "c",
        "h_prev",
        "S4 added",
        "+ " + "(" + S4(["W_f", "W_i", "W_o", "W_c"]) + ")",
    ),
    (
        "gru",
        "textbook",
        "h",
        "h_prev",
        "S4 added",
        "+ " + "(" + S4(["W_u", "W_r", "W_h", "W_u @ W_r"]) + ")",
    ),
    # an S4 added and taken away again: right
    (
        "lstm",
        "peephole",
        "c",
        "c_prev",
        "S4 − S4",
        "+ (" + S4(["V_f", "V_i", "W_o", "W_c"]) + ") - (" + S4(["V_f", "V_i", "W_o", "W_c"]) + ")",
    ),
    # the commutator of two diagonal matrices vanishes for every n: right
    ("rnn", "tanh", "h", "h_prev", "[diag, diag] = 0", "+ diag(h) @ diag(z) - diag(z) @ diag(h)"),
]


def corpus() -> list[Entry]:
    entries: list[Entry] = []
    rights = right_answers()
    for (cell, variant), blocks in rights.items():
        for k, ((of, wrt), terms) in enumerate(blocks.items()):
            text = " + ".join(terms)
            entries.append(Entry(cell, variant, of, wrt, text, "right as the notes write it"))
            muts = _mutations(terms, (of, wrt), cell, variant)
            names = sorted(muts)
            # one class per block, rotated over the blocks and the cells
            for name in (names[(k + len(entries)) % len(names)],):
                entries.append(
                    Entry(cell, variant, of, wrt, muts[name], name, tiny=name == "rounded constant")
                )
            extra = EXTRA.get((cell, variant, of, wrt), EXTRA.get((cell, of, wrt)))
            if extra and k % 2 == 0:
                entries.append(Entry(cell, variant, of, wrt, f"{text} + {extra}", "extra term"))
            for a, b in SWAPS.get(cell, []):
                if re.search(rf"\b{a}\b", text) and re.search(rf"\b{b}\b", text):
                    entries.append(
                        Entry(cell, variant, of, wrt, _swap(text, a, b), f"{a}↔{b} swapped")
                    )
                    break
    for cell, variant, of, wrt, text in UNUSUAL_RIGHT:
        entries.append(Entry(cell, variant, of, wrt, text, "right in an unusual form"))
    for cell, variant, of, wrt, kind, tail in LOW_DEGREE_IDENTITIES:
        base = " + ".join(rights[(cell, variant)][(of, wrt)])
        entries.append(Entry(cell, variant, of, wrt, f"{base} {tail}", kind))
    entries += _birnn_output_blocks()
    entries += _full_state_entries()
    return entries


def _birnn_output_blocks() -> list[Entry]:
    """∂o/∂→h, ∂o/∂←h and ∂o/∂x of the bidirectional RNN, o = g(W_o [→h; ←h] + b_o): strings
    with slices W_o[:, :n] and block matrices, and SymPy block matrices for tanh."""
    out = []
    for act in ("tanh", "sigmoid", "relu", "identity"):
        fw_x, bw_x = _through(act, "z_fw", "W_x_fw"), _through(act, "z_bw", "W_x_bw")
        left, right = _through(act, "z_o", "W_o[:, :n]"), _through(act, "z_o", "W_o[:, n:]")
        whole = _through(act, "z_o", "W_o")
        out += [
            Entry("birnn", act, "o", "h_fw", left, "right as the notes write it"),
            Entry("birnn", act, "o", "h_fw", right, "the wrong half of W_o"),
            Entry("birnn", act, "o", "h_bw", right, "right as the notes write it"),
            Entry("birnn", act, "o", "h_bw", f"{whole} @ block([[0*I], [I]])",
                  "right in an unusual form"),
            Entry("birnn", act, "o", "x", f"{whole} @ block([[{fw_x}], [{bw_x}]])",
                  "right as the notes write it"),
            Entry("birnn", act, "o", "x", f"{whole} @ block([[{bw_x}], [{fw_x}]])",
                  "directions swapped"),
        ]  # fmt: skip
        if act != "identity":
            dp = PRIME[act]
            out += [
                Entry("birnn", act, "o", "x",
                      f"diag({dp}(z_o)) @ (W_o[:, :n] @ {fw_x} + W_o[:, n:] @ {bw_x})",
                      "right in an unusual form"),
                Entry("birnn", act, "o", "h_fw", f"({left}).T", "transpose"),
            ]  # fmt: skip
    return out + _birnn_sympy_blocks()


def _birnn_sympy_blocks() -> list[Entry]:
    """The same blocks built as SymPy block matrices (tanh)."""
    import sympy as sp

    from gradsym.checker import symbols
    from gradsym.lang.matexpr import Apply, Diag

    s = symbols("birnn", "tanh")
    n = s["h_fw"].shape[0]
    d_o = Diag(Apply("tanh'", s["z_o"]))
    first = sp.BlockMatrix([[sp.Identity(n)], [sp.ZeroMatrix(n, n)]])
    second = sp.BlockMatrix([[sp.ZeroMatrix(n, n)], [sp.Identity(n)]])

    def fprime(z):
        return 1 - np.tanh(z) ** 2

    def np_o_fw(v, p, first=True):
        n_ = v["h_fw"].shape[0]
        cols = p["W_o"][:, :n_] if first else p["W_o"][:, n_:]
        return np.diag(fprime(v["z_o"])[:, 0]) @ cols

    return [
        Entry("birnn", "tanh", "o", "h_fw", "", "right as the notes write it",
              sympy=sp.MatMul(d_o, s["W_o"], first), numpy=np_o_fw),
        Entry("birnn", "tanh", "o", "h_fw", "", "the wrong half of W_o",
              sympy=sp.MatMul(d_o, s["W_o"], second),
              numpy=lambda v, p: np_o_fw(v, p, first=False)),
    ]  # fmt: skip


# -- full state Jacobians: block matrices -----------------------------------------------------------

FULL_STATE = [
    ("lstm", "standard"),
    ("lstm", "peephole"),
    ("lstm", "no_forget"),
    ("lstm", "peephole_no_forget"),
    ("stacked", "plain"),
    ("stacked", "residual"),
    ("birnn", "tanh"),
    ("birnn", "sigmoid"),
    ("birnn", "relu"),
    ("birnn", "identity"),
]
STATE_SWAPS = {
    ("lstm", "standard"): ("f", "i"),
    ("lstm", "peephole"): ("W_f", "W_i"),
    ("lstm", "no_forget"): ("i", "o"),
    ("lstm", "peephole_no_forget"): ("V_i", "W_i"),
    ("stacked", "plain"): ("z1", "z2"),
    ("stacked", "residual"): ("W_h1", "W_h2"),
}
S4_BLOCKS = {
    ("lstm", "standard"): ["W_f", "W_i", "W_o", "W_c"],
    ("stacked", "plain"): ["W_h1", "W_h2", "W_x2", "W_h1 @ W_h2"],
}


def _block_text(grid):
    rows = ", ".join("[" + ", ".join(row) + "]" for row in grid)
    return f"block([{rows}])"


def _state_grid(cell, variant, wrt):
    """The right answer of ∂s/∂(wrt) as a grid of block texts ("0" for a zero block)."""
    blocks = right_answers()[(cell, variant)]
    outs, states = STATES[cell]
    cols = states if wrt == "state" else ("x",)
    grid = []
    for o in outs:
        row = []
        for w in cols:
            terms = blocks.get((o, w))
            row.append("0" if terms is None or terms[0].startswith("0*") else " + ".join(terms))
        grid.append(row)
    return grid


def _full_state_entries() -> list[Entry]:
    """Right and wrong answers for ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ of every cell with a stacked state, and
    ∂s⁽ᵗ⁾/∂x⁽ᵗ⁾ of some: the classes of mistakes rotated over the cells."""
    out = []
    for k, (cell, variant) in enumerate(FULL_STATE):
        grid = _state_grid(cell, variant, "state")
        text = _block_text(grid)
        out.append(Entry(cell, variant, "state", "state", text, "right as the notes write it"))
        wrong = {}
        wrong["transpose"] = f"{text}.T"
        wrong["block rows exchanged"] = _block_text(grid[::-1])
        if grid[0][1] != grid[1][0] and "0" not in (grid[0][1], grid[1][0]):
            wrong["blocks exchanged"] = _block_text(
                [[grid[0][0], grid[1][0]], [grid[0][1], grid[1][1]]]
            )
        r, c = max(
            ((i, j) for i in range(2) for j in range(2)),
            key=lambda ij: grid[ij[0]][ij[1]].count(" + "),
        )
        terms = grid[r][c].split(" + ")
        if len(terms) > 1:
            g = [list(row) for row in grid]
            g[r][c] = " + ".join(terms[1:])
            wrong["missing term"] = _block_text(g)
        g = [list(row) for row in grid]
        g[1][1] = f"-({g[1][1]})"
        wrong["sign flipped"] = _block_text(g)
        if (cell, variant) in STATE_SWAPS:
            a, b = STATE_SWAPS[(cell, variant)]
            wrong[f"{a}↔{b} swapped"] = _swap(text, a, b)
        if "tanh_prime" in text:
            wrong["tanh′ → σ′"] = text.replace("tanh_prime", "sigma_prime", 1)
        names = sorted(wrong)
        picks = dict.fromkeys(names[(k + step) % len(names)] for step in (0, 3, 1))
        for name in list(picks)[:2]:
            out.append(Entry(cell, variant, "state", "state", wrong[name], name))
        if (cell, variant) in S4_BLOCKS:
            g = [list(row) for row in grid]
            g[1][1] = f"{g[1][1]} + ({S4(S4_BLOCKS[(cell, variant)])})"
            out.append(Entry(cell, variant, "state", "state", _block_text(g), "S4 added"))
        if k % 2 == 0:
            gx = _state_grid(cell, variant, "x")
            out.append(
                Entry(cell, variant, "state", "x", _block_text(gx), "right as the notes write it")
            )
            out.append(
                Entry(cell, variant, "state", "x", _block_text(gx[::-1]), "block rows exchanged")
            )
    out.append(Entry("lstm", "standard", "state", "state",
                     f"1.00000001*{_block_text(_state_grid('lstm', 'standard', 'state'))}",
                     "rounded constant", tiny=True))  # fmt: skip
    return out


# -- labels ------------------------------------------------------------------------------------------

LABEL_N, LABEL_D, LABEL_POINTS = 4, 3, 3


def label(entry: Entry, rng) -> str:
    """ "right" or "wrong", by central differences of the cell's own step at n = 4, d = 3
    (large enough for every matrix identity of the corpus to show)."""
    worst, largest = 0.0, 0.0
    for _ in range(LABEL_POINTS):
        p, leaves = random_point(entry.cell, entry.variant, LABEL_N, LABEL_D, rng)
        true, values = fd_block(entry.cell, entry.variant, entry.of, entry.wrt, p, leaves)
        if entry.numpy is not None:
            mine = entry.numpy(values, p)
        else:
            mine = evaluate_text(entry.text, {**values, **p}, LABEL_N, LABEL_D)
        worst = max(worst, float(np.abs(mine - true).max() / max(1.0, np.abs(true).max())))
        largest = max(largest, float(np.abs(true).max()))
    if entry.tiny:
        # 1.00000001 × (a right answer): central differences cannot see 1e-8; the base is
        # checked right here and the exact factor ≠ 1 makes the candidate wrong.
        if worst > 1e-6:
            raise AssertionError(f"the base of {entry.label_id} is not right ({worst:.2e})")
        return "wrong" if largest > 0 else "right"  # (1 + ε)·0 is still 0
    if worst < 1e-6:
        return "right"
    if worst > 1e-4:
        return "wrong"
    raise AssertionError(f"{entry.label_id}: error {worst:.2e} cannot be labelled")
