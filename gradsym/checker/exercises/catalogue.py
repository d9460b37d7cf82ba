r"""The exercises of the lecture, two to four per section, each with its variants.

Every question names its reference answer in the checker's grammar, so that the tests
can prove each one right (``tests/checker/test_exercises.py``) and show the grader the
wrong answers students typically give (``typical``), each of which must be refuted with
the hint its kind calls for. Prose is LaTeX in the lecture's notation; formulas shown with
a question (a cell's equations, a derivation) are printed from the SymPy objects the
checker judges.
"""

from __future__ import annotations

from functools import cache

from gradsym.lang.latex import notes_latex

from .model import (
    ErrorQuestion,
    Exercise,
    JacobianQuestion,
    Known,
    Mutation,
    Scalar,
    ScalarQuestion,
    Wrong,
)

__all__ = ["SECTIONS", "exercises", "get_exercise"]

#: The lecture's sections that have exercises, in the order of the notes.
SECTIONS = (
    "Backpropagation through time",
    "Vanilla RNN",
    "Exploding gradients",
    "Fixes for vanishing gradients",
    "LSTM",
    "LSTM with peephole connections",
    "GRU",
    "Bidirectional and multi-layer RNNs",
    "Parameter counts",
    "Summary",
)

# -- how the questions say things ---------------------------------------------------------------

_DERIVE = (
    r" Give the Jacobian in numerator layout (row $\mu$ holds the derivatives of entry $\mu$), "
    r"in the compact form of the lecture: elementwise derivatives in a diagonal matrix, "
    r"pre-activations by their names."
)


def _v(cell: str, name: str, variant: str | None = None) -> str:
    """The LaTeX of a vector or matrix of a cell, as the printer writes it."""
    from gradsym.checker.candidate import symbols
    from gradsym.symbolic import cell as get_cell

    c = get_cell(cell, variant)
    return notes_latex(symbols(c)[name], c.style)


def _d(cell: str, of: str, wrt: str, variant: str | None = None) -> str:
    r"""$\partial of/\partial wrt$ inline (without the dollars)."""
    return rf"\partial {_v(cell, of, variant)}/\partial {_v(cell, wrt, variant)}"


def _jacobian(
    cell: str,
    variant: str | None,
    of: str,
    wrt: str,
    answer: str,
    lead: str,
    solution: str,
    *,
    title: str,
    typical: tuple[Wrong, ...] = (),
    hints: tuple[tuple[str, str], ...] = (),
    known: tuple[Known, ...] = (),
    show_cell: bool = False,
) -> JacobianQuestion:
    statement = rf"{lead} Derive ${_d(cell, of, wrt, variant)}$." + _DERIVE
    return JacobianQuestion(
        title=title,
        statement=statement,
        solution=solution,
        typical=typical,
        hints=hints,
        known=known,
        cell=cell,
        variant=variant,
        of=of,
        wrt=wrt,
        answer=answer,
        show_cell=show_cell,
    )


# -- 1. Backpropagation through time ---------------------------------------------------------------


def _bptt() -> list[Exercise]:
    factor = r"$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$"

    def count(i: int, j: int) -> ScalarQuestion:
        return ScalarQuestion(
            title="How many Jacobian factors",
            statement=(
                rf"By the chain rule, $\partial J^{{({i})}}/\partial \mathbf{{h}}^{{({j})}}$ "
                rf"is $\partial J^{{({i})}}/\partial \mathbf{{h}}^{{({i})}}$ times a product "
                rf"of factors {factor}. How many factors does the product have?"
            ),
            solution=(
                rf"One factor for every step $t$ with ${j} < t \leq {i}$: ${i} - {j} = "
                rf"{i - j}$ factors, the lag $\ell$. The step $j = {j}$ itself contributes "
                r"none: the state there is what we differentiate by."
            ),
            answer=str(i - j),
            typical=(Wrong(str(i - j + 1), "off-by-one-more"), Wrong(str(i - j - 1), "too-few")),
            known=(
                Known(
                    "off-by-one-more",
                    str(i - j + 1),
                    r"One too many: count the steps $t$ with $j < t \leq i$; the state "
                    r"$\mathbf{h}^{(j)}$ is the variable, not a step crossed.",
                ),
                Known(
                    "too-few",
                    str(i - j - 1),
                    r"One too few: the last step, from $\mathbf{h}^{(i-1)}$ to "
                    r"$\mathbf{h}^{(i)}$, is crossed too.",
                ),
            ),
        )

    def input_jacobian(
        variant: str, phi: str, answer: str, wrong_fn: tuple[str, str] | None
    ) -> JacobianQuestion:
        return _jacobian(
            "rnn",
            variant,
            "h",
            "x",
            answer,
            rf"The gradient of the input weights $\mathbf{{W}}_x$ needs, at every step, the "
            rf"Jacobian of the state with respect to the step's input. Take the RNN with "
            rf"{phi}.",
            rf"With $\mathbf{{z}}^{{(t)}} = \mathbf{{W}}_h \mathbf{{h}}^{{(t-1)}} + "
            rf"\mathbf{{W}}_x \mathbf{{x}}^{{(t)}} + \mathbf{{b}}$, the chain rule through "
            rf"{phi} gives the derivative of the activation on the diagonal times "
            rf"$\partial \mathbf{{z}}^{{(t)}}/\partial \mathbf{{x}}^{{(t)}} = \mathbf{{W}}_x$, "
            r"an $n \times d$ matrix.",
            title="The input Jacobian of the RNN",
            typical=(
                *([Wrong(answer.replace(*wrong_fn), "function")] if wrong_fn else []),
                Wrong("W_x.T @ " + answer.split(" @ ")[0], "shape"),
                Wrong("W_x", "other"),
            ),
        )

    return [
        Exercise(
            "bptt-factors",
            "Backpropagation through time",
            "count",
            (count(7, 3), count(10, 4), count(25, 20), count(12, 1), count(40, 31)),
        ),
        Exercise(
            "rnn-input-jacobian",
            "Backpropagation through time",
            "jacobian",
            (
                input_jacobian("tanh", r"$\phi = \tanh$", "diag(tanh'(z)) @ W_x", ("tanh'", "σ'")),
                input_jacobian("sigmoid", r"$\phi = \sigma$", "diag(σ'(z)) @ W_x", ("σ'", "tanh'")),
                input_jacobian(
                    "relu", r"$\phi = \operatorname{ReLU}$", "diag(relu'(z)) @ W_x", None
                ),
            ),
        ),
    ]


# -- 2. The RNN's gradient -------------------------------------------------------------------------


def _rnn() -> list[Exercise]:
    def recurrent(
        variant: str, phi: str, answer: str, swap: tuple[str, str] | None
    ) -> JacobianQuestion:
        return _jacobian(
            "rnn",
            variant,
            "h",
            "h_prev",
            answer,
            rf"Take the RNN with {phi}.",
            r"The chain rule through the activation: its derivative at $\mathbf{z}^{(t)}$ on "
            r"the diagonal, times $\partial \mathbf{z}^{(t)}/\partial \mathbf{h}^{(t-1)} = "
            r"\mathbf{W}_h$.",
            title="The recurrent Jacobian",
            typical=(
                *([Wrong(answer.replace(*swap), "function")] if swap else []),
                Wrong("W_h.T @ " + answer.split(" @ ")[0], "transpose"),
                Wrong(answer.replace(" @ ", " ∘ "), "hadamard"),
            ),
        )

    linear = _jacobian(
        "rnn",
        "identity",
        "h",
        "h_prev",
        "W_h",
        r"Take the linear RNN, $\phi = \operatorname{id}$.",
        r"The identity's slope is 1 everywhere, so the diagonal matrix of slopes is "
        r"$\mathbf{I}$ and the Jacobian is $\mathbf{W}_h$ itself: the linear case, in which "
        r"the gradient over a lag $\ell$ is multiplied by $\mathbf{W}_h^{\ell}$.",
        title="The recurrent Jacobian",
        typical=(
            Wrong("W_h.T", "transpose"),
            Wrong("I", "no-weights"),
        ),
        known=(
            Known(
                "no-weights",
                "I",
                r"That is the diagonal matrix of slopes alone: the pre-activation depends on "
                r"$\mathbf{h}^{(t-1)}$ through the recurrent weights.",
            ),
        ),
    )

    def bound(phi: str, gamma: str, answer: str, wrong: str) -> ScalarQuestion:
        return ScalarQuestion(
            title="A threshold for vanishing",
            statement=(
                rf"For the RNN with {phi}, every factor satisfies $\|\partial "
                r"\mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}\|_2 \leq \gamma\, "
                r"s_{\max}(\mathbf{W}_h)$, with $\gamma$ the largest slope of the activation. "
                r"Below which value of $s_{\max}(\mathbf{W}_h)$ is vanishing guaranteed?"
            ),
            solution=(
                rf"Here $\gamma = {gamma}$; the product of $\ell$ factors is at most "
                r"$(\gamma\, s_{\max}(\mathbf{W}_h))^{\ell}$, which tends to 0 when "
                rf"$s_{{\max}}(\mathbf{{W}}_h) < 1/\gamma = {answer}$."
            ),
            answer=answer,
            typical=(
                *([Wrong(gamma, "gamma-itself")] if gamma != answer else []),
                Wrong(wrong, "other-activation"),
            ),
            known=(
                Known(
                    "gamma-itself",
                    gamma,
                    r"That is $\gamma$, the activation's largest slope; the condition is on "
                    r"the product $\gamma\, s_{\max}(\mathbf{W}_h)$.",
                ),
                Known(
                    "other-activation",
                    wrong,
                    r"That is the threshold of another activation: compute the largest slope "
                    r"of this one first.",
                ),
            ),
        )

    def jordan(omega: int) -> ScalarQuestion:
        lam, ell = Scalar("lam", r"\lambda", integer=False), Scalar("l", r"\ell")
        return ScalarQuestion(
            title="A Jordan block",
            statement=(
                rf"A linear RNN has $\mathbf{{W}}_h = \begin{{pmatrix}} \lambda & {omega} \\ "
                r"0 & \lambda \end{pmatrix}$, which cannot be diagonalised. Its gradient over "
                r"a lag $\ell$ is multiplied by $\mathbf{W}_h^{\ell}$. Give the entry in the "
                r"first row and second column of $\mathbf{W}_h^{\ell}$ as a function of "
                r"$\lambda$ and $\ell$."
            ),
            solution=(
                rf"Write $\mathbf{{W}}_h = \lambda \mathbf{{I}} + \mathbf{{N}}$ with "
                rf"$\mathbf{{N}}$ nilpotent; the binomial theorem leaves two terms, "
                rf"$\lambda^{{\ell}} \mathbf{{I}} + \ell \lambda^{{\ell - 1}} \mathbf{{N}}$, so "
                rf"the entry is ${omega} \ell \lambda^{{\ell - 1}}$: it still tends to 0 when "
                r"$|\lambda| < 1$, but only after growing first."
            ),
            names=(lam, ell),
            answer=f"{omega}*l*lam**(l - 1)",
            typical=(
                Wrong(f"{omega}*lam**(l - 1)", "no-l"),
                Wrong(f"{omega}*l*lam**l", "exponent"),
            ),
            known=(
                Known(
                    "no-l",
                    f"{omega}*lam**(l - 1)",
                    r"Count the ways the off-diagonal entry can be picked up in a product of "
                    r"$\ell$ factors.",
                ),
                Known(
                    "exponent",
                    f"{omega}*l*lam**l",
                    r"Check the power of $\lambda$: one of the $\ell$ factors contributes the "
                    r"off-diagonal entry instead.",
                ),
            ),
        )

    return [
        Exercise(
            "rnn-recurrent-jacobian",
            "Vanilla RNN",
            "jacobian",
            (
                recurrent("sigmoid", r"$\phi = \sigma$", "diag(σ'(z)) @ W_h", ("σ'", "tanh'")),
                recurrent("tanh", r"$\phi = \tanh$", "diag(tanh'(z)) @ W_h", ("tanh'", "σ'")),
                recurrent("relu", r"$\phi = \operatorname{ReLU}$", "diag(relu'(z)) @ W_h", None),
                linear,
            ),
        ),
        Exercise(
            "nonlinear-threshold",
            "Vanilla RNN",
            "bound",
            (
                bound(r"$\phi = \sigma$", "1/4", "4", "1"),
                bound(r"$\phi = \tanh$", "1", "1", "4"),
            ),
        ),
        Exercise("jordan-power", "Vanilla RNN", "bound", tuple(jordan(w) for w in (10, 2, 5, 3))),
    ]


# -- 3. Exploding gradients -----------------------------------------------------------------------------


def _exploding() -> list[Exercise]:
    def scale(threshold: int, norm: int) -> ScalarQuestion:
        factor = f"{threshold}/{norm}" if norm > threshold else "1"
        return ScalarQuestion(
            title="Clipping by the norm",
            statement=(
                rf"A gradient has norm $\|\hat{{\mathbf{{g}}}}\| = {norm}$. Algorithm 1 clips it "
                rf"with $\mathit{{threshold}} = {threshold}$. By which factor is "
                r"$\hat{\mathbf{g}}$ multiplied?"
            ),
            solution=(
                r"When $\|\hat{\mathbf{g}}\| \geq \mathit{threshold}$, Algorithm 1 multiplies by "
                r"$\mathit{threshold}/\|\hat{\mathbf{g}}\|$, else by 1; "
                rf"here the factor is ${factor.replace('/', '/')}$, and the direction is "
                r"unchanged."
            ),
            answer=factor,
            typical=(Wrong(f"{norm}/{threshold}", "inverted"),) if norm > threshold else (),
            known=(
                Known(
                    "inverted",
                    f"{norm}/{threshold}",
                    r"That factor makes the gradient longer: the clipped norm must be the "
                    r"threshold.",
                ),
            )
            if norm > threshold
            else (),
        )

    def step(alpha: str, norm: int, threshold: int) -> ScalarQuestion:
        return ScalarQuestion(
            title="The length of a clipped step",
            statement=(
                rf"Gradient descent with learning rate $\alpha = {alpha}$ meets a gradient of "
                rf"norm {norm} at a cliff. How long is the step "
                r"$\alpha \hat{\mathbf{g}}$ after clipping with "
                rf"$\mathit{{threshold}} = {threshold}$?"
            ),
            solution=(
                r"Clipping leaves $\|\hat{\mathbf{g}}\| = \mathit{threshold}$, so the step "
                rf"has length $\alpha \cdot \mathit{{threshold}} = {alpha} \cdot {threshold}$; "
                rf"unclipped it would be ${alpha} \cdot {norm}$."
            ),
            answer=f"{alpha}*{threshold}",
            typical=(Wrong(f"{alpha}*{norm}", "unclipped"), Wrong(str(threshold), "no-alpha")),
            known=(
                Known(
                    "unclipped",
                    f"{alpha}*{norm}",
                    r"That is the step without clipping: apply Algorithm 1 first.",
                ),
                Known(
                    "no-alpha",
                    str(threshold),
                    r"That is the clipped gradient's norm; the step is the learning rate times "
                    r"the gradient.",
                ),
            ),
        )

    def truncated(window: int, length: int) -> ScalarQuestion:
        return ScalarQuestion(
            title="Factors under truncation",
            statement=(
                rf"A sequence has $T = {length}$ steps. Backpropagation through time is "
                rf"truncated to $K = {window}$ steps. What is the largest number of factors "
                r"$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ in any product it "
                r"computes?"
            ),
            solution=(
                rf"Truncation stops every product after $K$ steps: at most $K = {window}$ "
                rf"factors, where full backpropagation through time multiplies up to "
                rf"$T - 1 = {length - 1}$."
            ),
            answer=str(window),
            typical=(Wrong(str(length - 1), "full"),),
            known=(
                Known(
                    "full",
                    str(length - 1),
                    r"That is the longest product of full backpropagation through time.",
                ),
            ),
        )

    return [
        Exercise(
            "clip-factor",
            "Exploding gradients",
            "bound",
            (scale(5, 20), scale(2, 10), scale(1, 4), scale(10, 25)),
        ),
        Exercise(
            "clipped-step",
            "Exploding gradients",
            "bound",
            (step("0.1", 500, 5), step("0.01", 1000, 1), step("0.5", 80, 2)),
        ),
        Exercise(
            "truncated-factors",
            "Exploding gradients",
            "count",
            (truncated(20, 100), truncated(35, 200), truncated(10, 50)),
        ),
    ]


# -- 4. Fixes for vanishing gradients ------------------------------------------------------------------


_HIGHWAY_LINES = (
    ("T", "diag(σ'(z_g)) @ W_g"),
    ("H", "diag(tanh'(z_a)) @ W_a"),
    ("y", "diag(g * tanh'(z_a)) @ W_a + diag((a - x) * σ'(z_g)) @ W_g + diag(1 - g)"),
)


def _fixes() -> list[Exercise]:
    residual = _jacobian(
        "residual",
        None,
        "y",
        "x",
        "I + diag(tanh'(z)) @ W",
        r"A residual layer adds its input to a branch: $\mathbf{y}^{(t)} = \mathbf{x}^{(t)} + "
        r"\tanh(\mathbf{W} \mathbf{x}^{(t)} + \mathbf{b})$.",
        r"The identity from the skip connection plus the branch's Jacobian: whatever the "
        r"branch does, the identity carries the gradient through.",
        title="The Jacobian of a skip connection",
        typical=(
            Wrong("diag(tanh'(z)) @ W", "missing-term"),
            Wrong("I + W.T @ diag(tanh'(z))", "transpose"),
        ),
        hints=(
            (
                "missing-term",
                (
                    r"A term is missing: $\mathbf{y}$ depends on $\mathbf{x}$ directly, through "
                    r"the skip connection, as well as through the branch."
                ),
            ),
        ),
        show_cell=True,
    )
    highway = _jacobian(
        "highway",
        None,
        "y",
        "x",
        _HIGHWAY_LINES[-1][1],
        r"A highway layer mixes a transform of its input with the input itself, weighted by "
        r"a gate.",
        r"Three dependences of $\mathbf{y}$ on $\mathbf{x}$: through the transform, through "
        r"the gate (with the product rule) and directly, through the carried input.",
        title="The Jacobian of a highway layer",
        typical=(
            Wrong("diag(g * tanh'(z_a)) @ W_a + diag((a - x) * σ'(z_g)) @ W_g", "missing-term"),
            Wrong(
                "diag(g * tanh'(z_a)) @ W_a + diag((x - a) * σ'(z_g)) @ W_g + diag(1 - g)",
                "term-sign",
            ),
            Wrong(
                "diag(g * σ'(z_a)) @ W_a + diag((a - x) * σ'(z_g)) @ W_g + diag(1 - g)",
                "function",
            ),
        ),
        show_cell=True,
    )

    def orth(scale: str, scale_latex: str, norm: int, lag: int, answer: str) -> ScalarQuestion:
        return ScalarQuestion(
            title="Powers of an orthogonal matrix",
            statement=(
                rf"A linear RNN has $\mathbf{{W}}_h = {scale_latex}\mathbf{{Q}}$ with "
                rf"$\mathbf{{Q}}$ orthogonal. A gradient of norm {norm} is multiplied by "
                rf"$\mathbf{{W}}_h^{{\ell}}$ over a lag $\ell = {lag}$. What is its norm then?"
            ),
            solution=(
                r"An orthogonal matrix keeps norms, $\|\mathbf{Q} \mathbf{x}\| = "
                r"\|\mathbf{x}\|$, so only the factor in front of $\mathbf{Q}$ changes the "
                rf"norm, once per step: raised to the power $\ell = {lag}$."
            ),
            answer=answer,
            typical=(
                Wrong("0", "vanish"),
                *([Wrong(f"{scale}*{lag}*{norm}", "linear")] if scale != "1" else []),
            ),
            known=(
                Known(
                    "vanish",
                    "0",
                    r"An orthogonal matrix neither shrinks nor stretches a vector: what does "
                    r"that leave of the product?",
                ),
                Known(
                    "linear",
                    f"{scale}*{lag}*{norm}",
                    r"The factor in front of $\mathbf{Q}$ is applied once per step: it "
                    r"multiplies, it does not add up.",
                ),
            ),
        )

    find_error = [
        ErrorQuestion(
            title="Find the error: a highway layer",
            statement=(
                r"A derivation of the highway layer's Jacobian follows; one line is wrong, "
                r"and the lines after it inherit the mistake. Which line is the first wrong "
                r"one? Give it corrected."
            ),
            solution=solution,
            cell="highway",
            wrt="x",
            lines=_HIGHWAY_LINES,
            mutation=mutation,
            typical=typical,
            show_cell=True,
        )
        for mutation, solution, typical in (
            (
                Mutation(3, " + diag(1 - g)", ""),
                (
                    r"Line 3 forgets that the carried input $(1 - \mathbf{g}) \circ \mathbf{x}$ "
                    r"depends on $\mathbf{x}$ directly as well as through the gate."
                ),
                (
                    Wrong("diag(g * tanh'(z_a)) @ W_a + diag((a - x) * σ'(z_g)) @ W_g", "line", 2),
                    Wrong(
                        "diag(g * tanh'(z_a)) @ W_a + diag((a - x) * σ'(z_g)) @ W_g",
                        "missing-term",
                        3,
                    ),
                ),
            ),
            (
                Mutation(2, "tanh'(z_a)", "σ'(z_a)"),
                (
                    r"Line 2 differentiates the transform's $\tanh$ with the sigmoid's derivative; "
                    r"line 3 inherits it."
                ),
                (
                    Wrong("diag(σ'(z_a)) @ W_a", "line", 3),
                    Wrong("diag(σ'(z_a)) @ W_a", "function", 2),
                ),
            ),
            (
                Mutation(3, "(a - x)", "(x - a)"),
                (
                    r"Line 3 flips the sign of the gate's term: the gate weighs the transform "
                    r"positively and the input negatively."
                ),
                (Wrong(_HIGHWAY_LINES[1][1], "line", 2),),
            ),
        )
    ]

    return [
        Exercise("skip-jacobian", "Fixes for vanishing gradients", "jacobian", (residual, highway)),
        Exercise(
            "orthogonal-norm",
            "Fixes for vanishing gradients",
            "bound",
            (
                orth("1", "", 3, 50, "3"),
                orth("2", "2", 3, 10, "3*2**10"),
                orth("1/2", r"\tfrac{1}{2}", 8, 6, "8/2**6"),
            ),
        ),
        Exercise("highway-error", "Fixes for vanishing gradients", "error", tuple(find_error)),
    ]


# -- 5. The LSTM -----------------------------------------------------------------------------------------

_DC_DH = "diag(c_prev * σ'(z_f)) @ W_f + diag(c_tilde * σ'(z_i)) @ W_i + diag(i * tanh'(z_c)) @ W_c"
_LSTM_LINES = (
    ("f", "diag(σ'(z_f)) @ W_f"),
    ("i", "diag(σ'(z_i)) @ W_i"),
    ("c_tilde", "diag(tanh'(z_c)) @ W_c"),
    ("c", _DC_DH),
)


def _lstm() -> list[Exercise]:
    gates = (
        (
            "missing-term",
            (
                r"A term is missing. The cell state depends on $\mathbf{h}^{(t-1)}$ through every "
                r"gate and the candidate that enter its equation: count them, and use the product "
                r"rule on each product."
            ),
        ),
    )
    blocks = (
        _jacobian(
            "lstm",
            "standard",
            "c",
            "h_prev",
            _DC_DH,
            r"Take the LSTM.",
            r"$\mathbf{c}^{(t)} = \mathbf{f} \circ \mathbf{c}^{(t-1)} + \mathbf{i} \circ "
            r"\tilde{\mathbf{c}}$: the product rule gives one term per gate and one for the "
            r"candidate, each the other factor on the diagonal times the Jacobian of the gate "
            r"or candidate, $\operatorname{diag}(\sigma'(\mathbf{z}_f)) \mathbf{W}_f$ and so "
            r"on.",
            title="A block of the LSTM's Jacobian",
            typical=(
                Wrong(_DC_DH.replace("i * tanh'(z_c)", "i * σ'(z_c)"), "function"),
                Wrong(_DC_DH.replace(" + diag(c_tilde * σ'(z_i)) @ W_i", ""), "missing-term"),
                Wrong(
                    _DC_DH.replace("W_f +", "W_i +", 1).replace(
                        "* σ'(z_i)) @ W_i", "* σ'(z_i)) @ W_f"
                    ),
                    "symbols-swapped",
                ),
            ),
            hints=gates,
        ),
        _jacobian(
            "lstm",
            "standard",
            "h",
            "c_prev",
            "diag(o * tanh'(c) * f)",
            r"Take the LSTM.",
            r"$\mathbf{h}^{(t)} = \mathbf{o} \circ \tanh(\mathbf{c}^{(t)})$ and the output "
            r"gate does not read $\mathbf{c}^{(t-1)}$, so only the path through "
            r"$\mathbf{c}^{(t)}$ counts: $\operatorname{diag}(\mathbf{o} \circ "
            r"\tanh'(\mathbf{c}^{(t)}))$ times $\partial \mathbf{c}^{(t)}/\partial "
            r"\mathbf{c}^{(t-1)} = \operatorname{diag}(\mathbf{f})$.",
            title="A block of the LSTM's Jacobian",
            typical=(
                Wrong("diag(o * tanh'(c))", "missing-factor"),
                Wrong("diag(o * tanh(c) * f)", "function"),
            ),
            known=(
                Known(
                    "missing-factor",
                    "diag(o * tanh'(c))",
                    r"That is $\partial \mathbf{h}^{(t)}/\partial \mathbf{c}^{(t)}$; the chain "
                    r"rule goes on to $\mathbf{c}^{(t-1)}$.",
                ),
            ),
        ),
        _jacobian(
            "lstm",
            "standard",
            "c",
            "x",
            "diag(c_prev * σ'(z_f)) @ U_f + diag(c_tilde * σ'(z_i)) @ U_i"
            " + diag(i * tanh'(z_c)) @ U_c",
            r"Take the LSTM.",
            r"As for $\mathbf{h}^{(t-1)}$, with the input weights $\mathbf{U}$ in place of the "
            r"recurrent weights: one term per gate or candidate that reads $\mathbf{x}^{(t)}$.",
            title="A block of the LSTM's Jacobian",
            typical=(
                Wrong(
                    "diag(c_prev * σ'(z_f)) @ W_f + diag(c_tilde * σ'(z_i)) @ W_i"
                    " + diag(i * tanh'(z_c)) @ W_c",
                    "shape",
                ),
                Wrong("diag(c_prev * σ'(z_f)) @ U_f + diag(i * tanh'(z_c)) @ U_c", "missing-term"),
            ),
            hints=gates,
        ),
        _jacobian(
            "lstm",
            "no_forget",
            "h",
            "c_prev",
            "diag(o * tanh'(c))",
            r"Take the LSTM without a forget gate, $\mathbf{c}^{(t)} = \mathbf{c}^{(t-1)} + "
            r"\mathbf{i} \circ \tilde{\mathbf{c}}$ (the constant error carousel).",
            r"$\mathbf{h}^{(t)} = \mathbf{o} \circ \tanh(\mathbf{c}^{(t)})$ and the output "
            r"gate does not read $\mathbf{c}^{(t-1)}$, so only the path through "
            r"$\mathbf{c}^{(t)}$ counts, and without a forget gate $\partial "
            r"\mathbf{c}^{(t)}/\partial \mathbf{c}^{(t-1)} = \mathbf{I}$.",
            title="A block of the LSTM's Jacobian",
            typical=(
                Wrong("I", "missing-factor"),
                Wrong("diag(o * tanh(c))", "function"),
            ),
            known=(
                Known(
                    "missing-factor",
                    "I",
                    r"That is $\partial \mathbf{c}^{(t)}/\partial \mathbf{c}^{(t-1)}$; the chain "
                    r"rule goes on to $\mathbf{h}^{(t)}$.",
                ),
            ),
            show_cell=True,
        ),
    )

    def params(
        which: str, answer: str, solution: str, typical: tuple[Wrong, ...], known
    ) -> ScalarQuestion:
        n, d = Scalar("n", "n"), Scalar("d", "d")
        return ScalarQuestion(
            title="The parameters of an LSTM",
            statement=(
                rf"How many parameters does {which} with input size $d$ and hidden size $n$ "
                r"have? Give $\#\theta$ as a function of $n$ and $d$."
            ),
            solution=solution,
            names=(n, d),
            answer=answer,
            typical=typical,
            known=known,
        )

    no_bias = Known(
        "no-bias",
        "",
        r"Your count has the weights but leaves out the biases.",
    )
    counts = (
        params(
            "the LSTM",
            "4*(n*n + n*d + n)",
            r"Four blocks (the three gates and the candidate), each with an $n \times n$ "
            r"recurrent matrix, an $n \times d$ input matrix and a bias of $n$: "
            r"$4(n^2 + nd + n)$, four times the plain RNN's.",
            (Wrong("4*(n*n + n*d)", "no-bias"), Wrong("3*(n*n + n*d + n)", "blocks")),
            (
                Known("no-bias", "4*(n*n + n*d)", no_bias.hint),
                Known(
                    "blocks",
                    "3*(n*n + n*d + n)",
                    r"Count the blocks again: every gate and the candidate has weights of its "
                    r"own.",
                ),
            ),
        ),
        params(
            "the LSTM without a forget gate (the original of 1997)",
            "3*(n*n + n*d + n)",
            r"Three blocks (input gate, output gate and candidate): $3(n^2 + nd + n)$.",
            (Wrong("4*(n*n + n*d + n)", "blocks"),),
            (
                Known(
                    "blocks",
                    "4*(n*n + n*d + n)",
                    r"Count the blocks again: this LSTM has no forget gate.",
                ),
            ),
        ),
    )

    lstm_errors = tuple(
        ErrorQuestion(
            title="Find the error: the LSTM",
            statement=(
                r"A derivation of $\partial \mathbf{c}^{(t)}/\partial \mathbf{h}^{(t-1)}$ for "
                r"the LSTM follows; one line is wrong, and the lines after it inherit the "
                r"mistake. Which line is the first wrong one? Give it corrected."
            ),
            solution=solution,
            cell="lstm",
            variant="standard",
            lines=_LSTM_LINES,
            mutation=mutation,
            typical=typical,
        )
        for mutation, solution, typical in (
            (
                Mutation(3, "tanh'(z_c)", "σ'(z_c)"),
                (
                    r"Line 3: the candidate is a $\tanh$, so its derivative is $\tanh'$, not "
                    r"$\sigma'$; line 4 inherits it."
                ),
                (
                    Wrong(_DC_DH, "line", 4),
                    Wrong("diag(σ'(z_c)) @ W_c", "function", 3),
                ),
            ),
            (
                Mutation(4, "c_prev * σ'(z_f)", "f * σ'(z_f)"),
                (
                    r"Line 4: the product rule on $\mathbf{f} \circ \mathbf{c}^{(t-1)}$ puts the "
                    r"other factor, $\mathbf{c}^{(t-1)}$, on the diagonal, not the gate itself."
                ),
                (Wrong(_LSTM_LINES[0][1], "line", 1),),
            ),
            (
                Mutation(2, "σ'(z_i)) @ W_i", "σ'(z_i)) @ W_f"),
                (
                    r"Line 2: the input gate has its own recurrent weights $\mathbf{W}_i$; line 4 "
                    r"inherits the mix-up."
                ),
                (Wrong("diag(σ'(z_i)) @ W_f", "wrong-symbol", 2),),
            ),
        )
    )

    return [
        Exercise("lstm-block", "LSTM", "jacobian", blocks),
        Exercise("lstm-count", "LSTM", "count", counts),
        Exercise("lstm-error", "LSTM", "error", lstm_errors),
    ]


# -- 6. Peepholes -------------------------------------------------------------------------------------


def _peephole() -> list[Exercise]:
    path = "diag(f) + diag(c_prev * σ'(z_f)) @ V_f + diag(c_tilde * σ'(z_i)) @ V_i"
    peep = _jacobian(
        "lstm",
        "peephole",
        "c",
        "c_prev",
        path,
        r"Take the LSTM with peephole connections, whose forget and input gates read "
        r"$\mathbf{c}^{(t-1)}$.",
        r"Besides the direct path $\operatorname{diag}(\mathbf{f})$, the cell state now "
        r"reaches $\mathbf{c}^{(t-1)}$ through the two gates it feeds: the product rule gives "
        r"a term for each, with the peephole weights $\mathbf{V}_f$ and $\mathbf{V}_i$.",
        title="The cell path with peepholes",
        typical=(
            Wrong("diag(f)", "lstm-answer"),
            Wrong("diag(f) + diag(c_prev * σ'(z_f)) @ V_f", "missing-term"),
            Wrong(
                "diag(f) + diag(c_prev * σ'(z_f)) @ V_f.T + diag(c_tilde * σ'(z_i)) @ V_i",
                "transposed-factor",
            ),
        ),
        hints=(
            (
                "missing-term",
                (
                    r"A term is missing: with peepholes $\mathbf{c}^{(t-1)}$ also reaches "
                    r"$\mathbf{c}^{(t)}$ through the gates that read it."
                ),
            ),
        ),
        known=(
            Known(
                "lstm-answer",
                "diag(f)",
                r"That is the cell path of the LSTM without peepholes; here the gates read "
                r"$\mathbf{c}^{(t-1)}$ too.",
            ),
        ),
        show_cell=True,
    )
    same = _jacobian(
        "lstm",
        "peephole",
        "c",
        "h_prev",
        _DC_DH,
        r"Take the LSTM with peephole connections.",
        r"The peepholes read $\mathbf{c}^{(t-1)}$, which is held fixed here: the block is the "
        r"LSTM's own.",
        title="A block the peepholes leave alone",
        typical=(Wrong(_DC_DH + " + diag(c_prev * σ'(z_f)) @ V_f", "extra-term"),),
        show_cell=True,
    )
    h_c = "diag(tanh(c) * σ'(z_o)) @ V_o + diag(o * tanh'(c)) @ (" + path + ")"
    out = _jacobian(
        "lstm",
        "peephole",
        "h",
        "c_prev",
        h_c,
        r"Take the LSTM with peephole connections; all three gates read "
        r"$\mathbf{c}^{(t-1)}$.",
        r"$\mathbf{h}^{(t)} = \mathbf{o} \circ \tanh(\mathbf{c}^{(t)})$: the output gate "
        r"reads $\mathbf{c}^{(t-1)}$ through $\mathbf{V}_o$, and $\tanh(\mathbf{c}^{(t)})$ "
        r"carries $\partial \mathbf{c}^{(t)}/\partial \mathbf{c}^{(t-1)}$ with its own "
        r"peephole terms.",
        title="The output with peepholes",
        typical=(Wrong("diag(o * tanh'(c)) @ (" + path + ")", "missing-term"),),
        show_cell=True,
    )

    def peephole_count(kind: str, answer: str, wrong: str, why: str) -> ScalarQuestion:
        return ScalarQuestion(
            title="What peepholes cost",
            statement=(
                rf"How many parameters do the peephole connections add to an LSTM with hidden "
                rf"size $n$ when each of the three gates reads the cell state through {kind}?"
            ),
            solution=why,
            names=(Scalar("n", "n"),),
            answer=answer,
            typical=(Wrong(wrong, "other-shape"),),
            known=(
                Known(
                    "other-shape",
                    wrong,
                    r"That is the count for the other shape of peephole weights.",
                ),
            ),
        )

    counts = (
        peephole_count(
            r"a full $n \times n$ matrix",
            "3*n*n",
            "3*n",
            r"Three gates, each an $n \times n$ matrix: $3n^2$.",
        ),
        peephole_count(
            r"a diagonal matrix (one weight per unit)",
            "3*n",
            "3*n*n",
            r"Three gates, each $n$ weights on a diagonal: $3n$.",
        ),
    )
    blocks = (peep, same, out)
    return [
        Exercise("peephole-block", "LSTM with peephole connections", "jacobian", blocks),
        Exercise("peephole-count", "LSTM with peephole connections", "count", counts),
    ]


# -- 7. The GRU ------------------------------------------------------------------------------------


_RESET = "(diag(r) + diag(h_prev * σ'(z_r)) @ W_r)"
_DH_DH = (
    "diag(1 - u) + diag((h_tilde - h_prev) * σ'(z_u)) @ W_u"
    f" + diag(u * tanh'(z_h)) @ W_h @ {_RESET}"
)
_OTHER = (
    "diag(u) + diag((h_prev - h_tilde) * σ'(z_u)) @ W_u"
    f" + diag((1 - u) * tanh'(z_h)) @ W_h @ {_RESET}"
)
_GRU_LINES = (
    ("u", "diag(σ'(z_u)) @ W_u"),
    ("r", "diag(σ'(z_r)) @ W_r"),
    ("z_h", f"W_h @ {_RESET}"),
    ("h_tilde", f"diag(tanh'(z_h)) @ W_h @ {_RESET}"),
    ("h", _DH_DH),
)


def _gru() -> list[Exercise]:
    convention = (
        "gate-convention",
        (
            r"Your answer follows the other convention of the GRU, with the update gate on "
            r"$\mathbf{h}^{(t-1)}$. Read the state equation of this cell again: which gate "
            r"multiplies which term?"
        ),
    )
    other = Known("other-convention", _OTHER, convention[1])
    textbook = _jacobian(
        "gru",
        "textbook",
        "h",
        "h_prev",
        _DH_DH,
        r"Take the GRU in the convention of the lecture, $\mathbf{h}^{(t)} = (1 - "
        r"\mathbf{u}) \circ \mathbf{h}^{(t-1)} + \mathbf{u} \circ \tilde{\mathbf{h}}$.",
        r"Three paths: the direct one, $\operatorname{diag}(1 - \mathbf{u})$; through the "
        r"update gate, with the product rule on both of its terms, "
        r"$\operatorname{diag}((\tilde{\mathbf{h}} - \mathbf{h}^{(t-1)}) \circ "
        r"\sigma'(\mathbf{z}_u)) \mathbf{W}_u$; and through the candidate, whose "
        r"pre-activation reads $\mathbf{r} \circ \mathbf{h}^{(t-1)}$, so that the reset gate's "
        r"Jacobian enters with the product rule once more.",
        title="The GRU's recurrent Jacobian",
        typical=(
            Wrong(_OTHER, "other-convention"),
            Wrong(
                "diag(1 - u) + diag((h_tilde - h_prev) * σ'(z_u)) @ W_u",
                "missing-term",
            ),
            Wrong(_DH_DH.replace("u * tanh'(z_h)", "u * σ'(z_h)"), "function"),
            Wrong(_DH_DH.replace("(h_tilde - h_prev)", "(h_prev - h_tilde)"), "term-sign"),
        ),
        hints=(
            convention,
            (
                "missing-term",
                (
                    r"A term is missing: count the paths from $\mathbf{h}^{(t-1)}$ to "
                    r"$\mathbf{h}^{(t)}$ (directly, through the update gate, through the candidate "
                    r"and, inside it, through the reset gate)."
                ),
            ),
            (
                "term-sign",
                (
                    r"One term has the wrong sign: differentiate $(1 - \mathbf{u}) \circ "
                    r"\mathbf{h}^{(t-1)} + \mathbf{u} \circ \tilde{\mathbf{h}}$ with respect to "
                    r"$\mathbf{u}$ first."
                ),
            ),
        ),
        known=(other,),
    )
    minimal = _jacobian(
        "gru",
        "minimal",
        "h",
        "h_prev",
        "diag(1 - u) + diag((h_tilde - h_prev) * σ'(z_u)) @ W_u + diag(u * tanh'(z_h)) @ W_h",
        r"Take the minimal GRU, which has an update gate and no reset gate.",
        r"Without a reset gate the candidate's pre-activation reads $\mathbf{h}^{(t-1)}$ "
        r"directly: the three paths of the GRU remain, the last one without the product rule.",
        title="The GRU's recurrent Jacobian",
        typical=(
            Wrong(
                "diag(u) + diag((h_prev - h_tilde) * σ'(z_u)) @ W_u"
                " + diag((1 - u) * tanh'(z_h)) @ W_h",
                "other-convention",
            ),
            Wrong("diag(1 - u) + diag(u * tanh'(z_h)) @ W_h", "missing-term"),
        ),
        hints=(convention,),
        known=(
            Known(
                "other-convention",
                "diag(u) + diag((h_prev - h_tilde) * σ'(z_u)) @ W_u"
                " + diag((1 - u) * tanh'(z_h)) @ W_h",
                convention[1],
            ),
        ),
        show_cell=True,
    )
    # PyTorch's GRU in the letters of the notes' Box 1: its gate ū on the previous state,
    # the reset gate after the product (the candidate reads r ∘ z_hh, z_hh = W_ĥ h + b_hh)
    reset_after = "diag(r) @ W_hhat + diag(z_hh * σ'(z_r)) @ W_r"
    torch_answer = (
        "diag(u_bar) + diag((h_prev - h_hat) * σ'(z_ubar)) @ W_ubar"
        f" + diag((1 - u_bar) * tanh'(z_hhat)) @ ({reset_after})"
    )
    torch_this_convention = (
        "diag(1 - u_bar) + diag((h_hat - h_prev) * σ'(z_ubar)) @ W_ubar"
        f" + diag(u_bar * tanh'(z_hhat)) @ ({reset_after})"
    )
    torch = _jacobian(
        "gru",
        "torch",
        "h",
        "h_prev",
        torch_answer,
        r"The GRU as PyTorch writes it puts its gate $\bar{\mathbf{u}}$ on the previous state, "
        r"the other convention, and applies the reset gate after the product with the "
        r"recurrent weights.",
        r"The three paths of the GRU, with the gate on $\mathbf{h}^{(t-1)}$: the direct path "
        r"is $\operatorname{diag}(\bar{\mathbf{u}})$, the gate's term carries "
        r"$\mathbf{h}^{(t-1)} - \hat{\mathbf{h}}$, and the candidate's pre-activation reads "
        r"$\mathbf{r} \circ \mathbf{z}_{hh}$, so that the product rule gives the reset gate's "
        r"term with $\mathbf{z}_{hh}$ where the lecture's GRU has $\mathbf{h}^{(t-1)}$.",
        title="The recurrent Jacobian, other convention",
        typical=(
            Wrong(torch_this_convention, "this-convention"),
            Wrong(torch_answer.replace(" + diag(z_hh * σ'(z_r)) @ W_r", ""), "missing-term"),
            Wrong(torch_answer.replace("tanh'(z_hhat)", "σ'(z_hhat)"), "function"),
        ),
        known=(
            Known(
                "this-convention",
                torch_this_convention,
                r"Your answer puts the gate on the candidate, the lecture's GRU convention; this "
                r"cell has $\bar{\mathbf{u}}$ on $\mathbf{h}^{(t-1)}$. Read its state equation "
                r"again.",
            ),
        ),
        show_cell=True,
    )

    def gru_count(which: str, answer: str, why: str, wrong: str, wrong_hint: str):
        return ScalarQuestion(
            title="The parameters of a GRU",
            statement=(
                rf"How many parameters does {which} with input size $d$ and hidden size $n$ "
                r"have? Give $\#\theta$ as a function of $n$ and $d$."
            ),
            solution=why,
            names=(Scalar("n", "n"), Scalar("d", "d")),
            answer=answer,
            typical=(Wrong(wrong, "known"),),
            known=(Known("known", wrong, wrong_hint),),
        )

    counts = (
        gru_count(
            "the GRU",
            "3*(n*n + n*d + n)",
            r"Three blocks (update gate, reset gate, candidate) of $n^2 + nd + n$: "
            r"$3(n^2 + nd + n)$, three quarters of the LSTM's.",
            "4*(n*n + n*d + n)",
            r"That is the LSTM's count: count the GRU's gates and candidate.",
        ),
        gru_count(
            "the GRU as PyTorch writes it, whose candidate has a second bias inside the reset "
            r"gate's product, and which keeps two biases for every block",
            "3*(n*n + n*d + 2*n)",
            r"Three blocks of $n^2 + nd$ weights and two biases of $n$ each: "
            r"$3(n^2 + nd + 2n)$.",
            "3*(n*n + n*d + n)",
            r"Count the biases again: every block has two.",
        ),
        gru_count(
            "the minimal GRU (an update gate and a candidate, no reset gate)",
            "2*(n*n + n*d + n)",
            r"Two blocks: $2(n^2 + nd + n)$.",
            "3*(n*n + n*d + n)",
            r"That is the full GRU's count: the minimal GRU has no reset gate.",
        ),
    )

    gru_errors = tuple(
        ErrorQuestion(
            title="Find the error: the GRU",
            statement=(
                r"A derivation of $\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ for "
                r"the GRU follows; one line is wrong, and the lines after it inherit the "
                r"mistake. Which line is the first wrong one? Give it corrected."
            ),
            solution=solution,
            cell="gru",
            variant="textbook",
            lines=_GRU_LINES,
            mutation=mutation,
            typical=typical,
        )
        for mutation, solution, typical in (
            (
                Mutation(3, f"W_h @ {_RESET}", "W_h @ diag(r)"),
                (
                    r"Line 3 treats $\mathbf{r}$ as a constant: the pre-activation reads "
                    r"$\mathbf{r} \circ \mathbf{h}^{(t-1)}$ and $\mathbf{r}$ depends on "
                    r"$\mathbf{h}^{(t-1)}$ too, so the product rule adds the reset gate's term."
                ),
                (
                    Wrong(_GRU_LINES[3][1], "line", 4),
                    Wrong("W_h @ diag(r)", "missing-term", 3),
                ),
            ),
            (
                Mutation(5, "(h_tilde - h_prev)", "(h_prev - h_tilde)"),
                (
                    r"Line 5 flips the update gate's term: $\mathbf{u}$ weighs the candidate, so "
                    r"the term carries $\tilde{\mathbf{h}} - \mathbf{h}^{(t-1)}$."
                ),
                (Wrong(_GRU_LINES[1][1], "line", 2),),
            ),
            (
                Mutation(4, "tanh'(z_h)", "σ'(z_h)"),
                r"Line 4: the candidate is a $\tanh$; line 5 inherits the wrong derivative.",
                (Wrong(_DH_DH, "line", 5),),
            ),
        )
    )
    return [
        Exercise("gru-jacobian", "GRU", "jacobian", (textbook, minimal, torch)),
        Exercise("gru-count", "GRU", "count", counts),
        Exercise("gru-error", "GRU", "error", gru_errors),
    ]


# -- 8. Bidirectional and stacked ---------------------------------------------------------------------


def _networks() -> list[Exercise]:
    cross = "diag(tanh'(z2)) @ W_x2 @ diag(tanh'(z1)) @ W_h1"
    stacked = (
        _jacobian(
            "stacked",
            "plain",
            "h2",
            "h1_prev",
            cross,
            r"Take two stacked tanh RNNs: the states of the first layer are the inputs of the "
            r"second.",
            r"The second layer reads $\mathbf{h}^{(t)}_1$, which reads "
            r"$\mathbf{h}^{(t-1)}_1$: two factors, the second layer's Jacobian with respect to "
            r"its input times the first layer's recurrent Jacobian, in that order.",
            title="Across the layers of a stack",
            typical=(
                Wrong("diag(tanh'(z1)) @ W_h1 @ diag(tanh'(z2)) @ W_x2", "order"),
                Wrong("diag(tanh'(z2)) @ W_x2", "missing-factor"),
            ),
            known=(
                Known(
                    "order",
                    "diag(tanh'(z1)) @ W_h1 @ diag(tanh'(z2)) @ W_x2",
                    r"The factors are right but in the wrong order: in numerator layout the "
                    r"Jacobian of the last step of the chain stands on the left.",
                ),
                Known(
                    "missing-factor",
                    "diag(tanh'(z2)) @ W_x2",
                    r"That is the Jacobian with respect to $\mathbf{h}^{(t)}_1$; continue the "
                    r"chain rule to $\mathbf{h}^{(t-1)}_1$.",
                ),
            ),
            show_cell=True,
        ),
        _jacobian(
            "stacked",
            "residual",
            "y2",
            "h1_prev",
            cross + " + diag(tanh'(z1)) @ W_h1",
            r"Take two stacked tanh RNNs with a skip connection around the second layer.",
            r"The skip connection adds the first layer's state to the output: besides the path "
            r"through the second layer, $\mathbf{h}^{(t)}_1$ reaches the output directly, with "
            r"the first layer's recurrent Jacobian.",
            title="Across the layers of a stack",
            typical=(Wrong(cross, "missing-term"),),
            hints=(
                (
                    "missing-term",
                    (
                        r"A term is missing: the skip connection carries the first layer's state "
                        r"to the output directly."
                    ),
                ),
            ),
            show_cell=True,
        ),
    )

    def birnn(direction: str, answer: str, other: str) -> JacobianQuestion:
        return _jacobian(
            "birnn",
            None,
            "o",
            direction,
            answer,
            r"A bidirectional RNN feeds both states to its output layer through one matrix "
            r"$\mathbf{W}_y$ applied to their concatenation.",
            r"$\mathbf{W}_y$ times the concatenation is the first $n$ columns of "
            r"$\mathbf{W}_y$ times the forward state plus the last $n$ columns times the "
            r"backward state; the Jacobian keeps the columns that multiply the variable.",
            title="The output of a bidirectional RNN",
            typical=(
                Wrong(other, "slice"),
                Wrong("diag(tanh'(z_y)) @ W_y", "shape"),
            ),
            hints=(
                (
                    "slice",
                    (
                        r"Those are the columns of $\mathbf{W}_y$ that multiply the other "
                        r"direction's state."
                    ),
                ),
            ),
            show_cell=True,
        )

    return [
        Exercise("stacked-jacobian", "Bidirectional and multi-layer RNNs", "jacobian", stacked),
        Exercise(
            "birnn-output",
            "Bidirectional and multi-layer RNNs",
            "jacobian",
            (
                birnn("h_fw", "diag(tanh'(z_y)) @ W_y[:, :n]", "diag(tanh'(z_y)) @ W_y[:, n:]"),
                birnn("h_bw", "diag(tanh'(z_y)) @ W_y[:, n:]", "diag(tanh'(z_y)) @ W_y[:, :n]"),
            ),
        ),
    ]


# -- 9. Counting parameters --------------------------------------------------------------------------


def _counts() -> list[Exercise]:
    def window(m: int, d: int, n: int) -> ScalarQuestion:
        return ScalarQuestion(
            title="A window of words",
            statement=(
                rf"A feed-forward network reads a window of $m = {m}$ words, each an embedding "
                rf"of size $d = {d}$, into a hidden layer of $n = {n}$ units. How many weights "
                r"and biases does that layer have?"
            ),
            solution=(
                rf"The window is one input of size $md = {m * d}$: $mdn + n = {m * d * n + n}$."
            ),
            answer=str(m * d * n + n),
            typical=(Wrong(str(m * d * n), "no-bias"), Wrong(str(d * n + n), "one-word")),
            known=(
                Known(
                    "no-bias",
                    str(m * d * n),
                    r"Your count has the weights but leaves out the biases.",
                ),
                Known(
                    "one-word",
                    str(d * n + n),
                    r"That counts one word; the layer reads the whole window at once.",
                ),
            ),
        )

    def rnn(d: int, n: int) -> ScalarQuestion:
        return ScalarQuestion(
            title="An RNN's parameters",
            statement=(
                rf"An RNN reads embeddings of size $d = {d}$ into a hidden state of size "
                rf"$n = {n}$. How many weights and biases does its recurrence have?"
            ),
            solution=(
                rf"$\mathbf{{W}}_x$ has $nd$ entries, $\mathbf{{W}}_h$ has $n^2$ and "
                rf"$\mathbf{{b}}$ has $n$: $(d + n)n + n = {(d + n) * n + n}$, whatever the "
                r"length of the sequence."
            ),
            answer=str((d + n) * n + n),
            typical=(
                Wrong(str((d + n) * n), "no-bias"),
                Wrong(str(d * n + n), "no-recurrence"),
            ),
            known=(
                Known(
                    "no-bias",
                    str((d + n) * n),
                    r"Your count has the weights but leaves out the bias.",
                ),
                Known(
                    "no-recurrence",
                    str(d * n + n),
                    r"The recurrent weights are missing: the previous state is an input too.",
                ),
            ),
        )

    def ratio(which: str, answer: str, wrong: str) -> ScalarQuestion:
        return ScalarQuestion(
            title="Gated cells against the RNN",
            statement=(
                rf"For the same input size $d$ and hidden size $n$, how many times as many "
                rf"parameters as the plain RNN does {which} have?"
            ),
            solution=(
                r"Every gate and every candidate is a block as large as the RNN's whole "
                rf"recurrence ($n^2 + nd + n$), so the ratio is the number of blocks: {answer}."
            ),
            answer=answer,
            typical=(Wrong(wrong, "blocks"),),
            known=(
                Known("blocks", wrong, r"Count the blocks: every gate has weights of its own."),
            ),
        )

    return [
        Exercise(
            "window-count",
            "Parameter counts",
            "count",
            (window(100, 100, 100), window(5, 50, 200), window(10, 300, 100)),
        ),
        Exercise(
            "rnn-count",
            "Parameter counts",
            "count",
            (rnn(100, 100), rnn(300, 128), rnn(50, 256)),
        ),
        Exercise(
            "gated-ratio",
            "Parameter counts",
            "count",
            (ratio("the LSTM", "4", "3"), ratio("the GRU", "3", "4")),
        ),
    ]


# -- 10. Summary: review ---------------------------------------------------------------------------


def _summary() -> list[Exercise]:
    dc = _DC_DH
    lstm_full = (
        f"block([[diag(tanh(c) * σ'(z_o)) @ W_o + diag(o * tanh'(c)) @ ({dc}), "
        f"diag(o * tanh'(c) * f)], [{dc}, diag(f)]])"
    )
    cross = "diag(tanh'(z2)) @ W_x2 @ diag(tanh'(z1)) @ W_h1"
    stacked_full = f"block([[diag(tanh'(z1)) @ W_h1, 0], [{cross}, diag(tanh'(z2)) @ W_h2]])"
    lstm = JacobianQuestion(
        title="The whole state Jacobian",
        statement=(
            r"Gather the LSTM's four blocks into the Jacobian of its state "
            r"$[\mathbf{h}^{(t)}; \mathbf{c}^{(t)}]$ with respect to "
            r"$[\mathbf{h}^{(t-1)}; \mathbf{c}^{(t-1)}]$, a $2n \times 2n$ block matrix: block "
            r"rows follow $\mathbf{h}^{(t)}$, $\mathbf{c}^{(t)}$, block columns "
            r"$\mathbf{h}^{(t-1)}$, $\mathbf{c}^{(t-1)}$."
        ),
        solution=(
            r"The cell's row holds the blocks derived in the LSTM's section; the hidden "
            r"state's row is the output gate's term plus $\operatorname{diag}(\mathbf{o} "
            r"\circ \tanh'(\mathbf{c}^{(t)}))$ times the cell's row. The product of such "
            r"matrices over time is what the gradient goes through."
        ),
        cell="lstm",
        variant="standard",
        of="state",
        wrt="state",
        answer=lstm_full,
        typical=(
            Wrong(lstm_full.replace("diag(f)]])", "diag(i)]])"), "wrong-symbol"),
            Wrong(
                f"block([[{dc}, diag(f)], [diag(tanh(c) * σ'(z_o)) @ W_o + diag(o * tanh'(c)) "
                f"@ ({dc}), diag(o * tanh'(c) * f)]])",
                "blocks-exchanged",
            ),
        ),
    )
    stacked = JacobianQuestion(
        title="The whole state Jacobian",
        statement=(
            r"Gather the Jacobian of the state $[\mathbf{h}^{(t)}_1; \mathbf{h}^{(t)}_2]$ of "
            r"two stacked tanh RNNs with respect to $[\mathbf{h}^{(t-1)}_1; "
            r"\mathbf{h}^{(t-1)}_2]$, a $2n \times 2n$ block matrix."
        ),
        solution=(
            r"The first layer does not read the second: its row has a zero block. The second "
            r"layer reads the first layer's new state, hence the product across the layers "
            r"in its first block."
        ),
        cell="stacked",
        variant="plain",
        of="state",
        wrt="state",
        answer=stacked_full,
        typical=(
            Wrong(
                f"block([[diag(tanh'(z1)) @ W_h1, {cross}], [0, diag(tanh'(z2)) @ W_h2]])",
                "blocks-exchanged",
            ),
        ),
        show_cell=True,
    )

    def bound(phi: str, gamma: str, s_max: str, lag: int) -> ScalarQuestion:
        answer = f"({gamma}*{s_max})**{lag}" if gamma != "1" else f"{s_max}**{lag}"
        wrong = f"{s_max}**{lag}"
        return ScalarQuestion(
            title="How small after many steps",
            statement=(
                rf"An RNN with {phi} has $s_{{\max}}(\mathbf{{W}}_h) = {s_max}$. At most how "
                rf"large is $\|\partial \mathbf{{h}}^{{(t)}}/\partial \mathbf{{h}}^{{(t-"
                rf"{lag})}}\|_2$, whatever the inputs?"
            ),
            solution=(
                rf"Each of the ${lag}$ factors has norm at most $\gamma\, s_{{\max}}"
                rf"(\mathbf{{W}}_h)$ with $\gamma = {gamma}$: the product at most "
                rf"$(\gamma\, s_{{\max}})^{{{lag}}}$."
            ),
            answer=answer,
            typical=(
                (Wrong(wrong, "no-gamma"),) if gamma != "1" else (Wrong(f"{s_max}*{lag}", "sum"),)
            ),
            known=(
                Known(
                    "no-gamma",
                    wrong,
                    r"The slopes of the activation are missing: each factor is a diagonal "
                    r"matrix of slopes times $\mathbf{W}_h$.",
                ),
                Known(
                    "sum",
                    f"{s_max}*{lag}",
                    r"The norms of the factors multiply, they do not add up.",
                ),
            ),
        )

    return [
        Exercise("state-jacobian", "Summary", "jacobian", (lstm, stacked)),
        Exercise(
            "lag-bound",
            "Summary",
            "bound",
            (
                bound(r"$\phi = \tanh$", "1", "0.9", 20),
                bound(r"$\phi = \sigma$", "1/4", "2", 10),
                bound(r"$\phi = \tanh$", "1", "0.5", 8),
            ),
        ),
    ]


@cache
def _catalogue() -> tuple[Exercise, ...]:
    out: list[Exercise] = []
    parts = (_bptt, _rnn, _exploding, _fixes, _lstm, _peephole, _gru, _networks, _counts, _summary)
    for part in parts:
        out += part()
    order = {s: k for k, s in enumerate(SECTIONS)}
    return tuple(sorted(out, key=lambda e: order[e.section]))


def exercises(section: str | None = None) -> tuple[Exercise, ...]:
    """Every exercise, in the order of the lecture (or those of ``section``)."""
    if section is None:
        return _catalogue()
    return tuple(e for e in _catalogue() if e.section == section)


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; UnknownNameError (with the nearest ids) otherwise."""
    from gradsym.errors import unknown_name

    for e in _catalogue():
        if e.id == exercise_id:
            return e
    raise unknown_name("exercise", exercise_id, [e.id for e in _catalogue()])
