r"""The deck of one 90-minute lecture: which frames, in which order, each titled by its
takeaway.

The notes hold every derivation; the deck shows, for each result worth a frame, the one
formula the claim establishes (printed from the claim's own step objects, as the notes
print it) and points to the derivation in the notes. :data:`DECK` lists the frames: a
frame is a result (one or two claims, their formula or a chosen step of their
derivation), a figure (drawn in the slide style, its caption beside it), a cell's
equations, a question for the room (one of them an exercise of the notes), the agenda
and the summary. Titles and the few lines of text are the deck's own (LaTeX prose, in the
lecture's notation); sources go in each frame's footer, never on a frame of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DECK", "MAX_FRAMES", "Frame"]

#: The budget of the deck: a 90-minute lecture, about two minutes a frame.
MAX_FRAMES = 50


@dataclass(frozen=True)
class Frame:
    """One frame of the deck.

    ``kind``: "agenda", "result" (``claims`` with, per claim, the step shown in
    ``steps``: 0 the claim's formula, k its k-th derivation step), "figure" (``figure``),
    "cell" (the equations of ``cell``, a (name, variant) pair), "question" (``text`` asks
    the room; ``answer`` the lecturer's answer, for the instructor's deck), "exercise"
    (the exercise ``exercise`` of the notes) or "summary". ``title`` is the takeaway (LaTeX
    prose, one line); ``text`` at most three short lines.

    The deck asks the room three times: two questions and one exercise of the notes.
    """

    kind: str
    title: str
    section: str = ""
    claims: tuple[str, ...] = ()
    steps: tuple[int, ...] = ()
    figure: str = ""
    cell: tuple[str, str] = ("", "")
    text: tuple[str, ...] = ()
    exercise: str = ""
    answer: str = ""


def _r(section: str, title: str, claims, steps=None, text=()) -> Frame:
    claims = (claims,) if isinstance(claims, str) else tuple(claims)
    return Frame(
        "result",
        title,
        section,
        claims,
        tuple(steps) if steps is not None else (0,) * len(claims),
        text=tuple(text),
    )


def _f(section: str, figure: str, title: str) -> Frame:
    return Frame("figure", title, section, figure=figure)


BPTT, RNN, EXPLODING = "Backpropagation through time", "Vanilla RNN", "Exploding gradients"
FIXES, LSTM, PEEPHOLE = "Fixes for vanishing gradients", "LSTM", "LSTM with peephole connections"
GRU, NETWORKS, COUNTS = "GRU", "Bidirectional and multi-layer RNNs", "Parameter counts"

DECK: tuple[Frame, ...] = (
    Frame("agenda", "Where the gradient goes, and how to keep it"),
    # -- backpropagation through time
    Frame(
        "cell",
        "An RNN applies the same weights at every step",
        BPTT,
        cell=("rnn", "tanh"),
        text=(r"$\phi$ is applied to each entry: $\tanh$, $\sigma$, ReLU or the identity.",),
    ),
    _r(
        BPTT,
        r"The gradient across $\ell$ steps is a product of $\ell$ Jacobians",
        "chain-rule",
        text=(r"The latest step stands on the left; the whole lecture is about this product.",),
    ),
    _r(
        BPTT,
        "A shared weight collects one contribution per step",
        "weights-shared",
        text=(r"Each contribution from a loss at step $i$ passes through the product above.",),
    ),
    # -- the RNN's gradient
    _r(
        RNN,
        "One step's Jacobian: the slopes times the recurrent matrix",
        "rnn-jacobian",
        text=(r"For $\tanh$ the slopes lie in $(0, 1]$, for $\sigma$ in $(0, 1/4]$.",),
    ),
    _r(
        RNN,
        r"A linear RNN multiplies the gradient by $\mathbf{W}_h^{\ell}$",
        "linear-case",
        text=(r"With $n = 1$: $0.9^{50} \approx 0.005$, $1.1^{50} \approx 117$.",),
    ),
    _r(
        RNN,
        "Eigenvalues inside the unit circle: the gradient vanishes",
        "eigen-vanish",
        text=(
            r"The modulus matters: $-1.1$ explodes.",
            r"A non-normal $\mathbf{W}_h$ may amplify first, and decay only later.",
        ),
    ),
    _f(RNN, "linear-case", r"Powers of $\mathbf{W}_h$ decay or grow with its spectral radius"),
    _r(
        RNN,
        "One eigenvalue outside the unit circle: the gradient explodes",
        "explode",
        text=(r"In double precision it overflows to Inf, and Inf $-$ Inf is NaN.",),
    ),
    _r(
        RNN,
        r"$s_{\max}(\mathbf{W}_h) < 1/\gamma$ guarantees vanishing",
        "nonlinear-bound",
        text=(
            r"$\gamma$ is the largest slope: 1 for $\tanh$, $1/4$ for $\sigma$.",
            r"Above $1/\gamma$ exploding becomes possible, not certain.",
        ),
    ),
    _f(RNN, "gradient-norms", "Below, at and above the threshold, and the gated cells"),
    Frame(
        "exercise",
        "Exercise: the threshold of the sigmoid RNN",
        RNN,
        exercise="nonlinear-threshold",
    ),
    _r(
        RNN,
        "In number agreement the RNN follows the nearest noun",
        "agreement-recency",
        steps=(2,),
        text=(
            (
                r"With one attractor, more than half of the RNN's errors agree with the "
                r"nearest noun, in every run; the LSTM errs less and mostly with the subject."
            ),
        ),
    ),
    _f(RNN, "agreement", "The RNN agrees with the nearest noun, the LSTM with the subject"),
    # -- exploding gradients
    _r(
        EXPLODING,
        "A large gradient makes a large step",
        "sgd-step",
        text=(r"At a cliff of the error surface the gradient is the slope of a jump.",),
    ),
    _f(EXPLODING, "pascanu-cliff", "At the cliff a plain step is thrown far away"),
    _r(
        EXPLODING,
        "Norm clipping shortens the step and keeps its direction",
        "clip-norm",
        text=(r"Algorithm 1: rescale when $\|\hat{\mathbf{g}}\|$ reaches the threshold.",),
    ),
    _r(
        EXPLODING,
        "Value clipping bounds each entry and bends the direction",
        "clip-value",
        steps=(1,),
        text=(r"Clipped at 1, the gradient $(3, 0.5)$ becomes $(1, 0.5)$: its direction turns.",),
    ),
    _f(EXPLODING, "clipping", "Clipping by value turns the step; by norm it does not"),
    _r(
        EXPLODING,
        r"Truncation caps the product at $K$ steps, and forgets beyond them",
        "truncated-bptt",
        text=(r"No dependency longer than the window can be learnt from its gradient.",),
    ),
    # -- fixes
    _r(
        FIXES,
        r"An orthogonal $\mathbf{W}_h$ keeps the gradient's norm",
        "orthogonal",
        text=(r"With a nonlinearity the slopes still shrink it.",),
    ),
    _f(FIXES, "orthogonal-init", "Orthogonal initialisation keeps the singular values at 1"),
    _r(
        FIXES,
        r"ReLU with $\mathbf{W}_h = \mathbf{I}$: the product is the identity",
        "relu",
        text=(r"An inactive unit blocks the gradient completely.",),
    ),
    _r(
        FIXES,
        r"A skip connection puts $\mathbf{I}$ in every factor",
        "residual",
        text=(r"The product cannot collapse while the branches stay small.",),
    ),
    Frame(
        "question",
        "Question: which fix works after training has begun?",
        FIXES,
        text=(
            (
                r"Orthogonal and identity initialisations act at step 0. Which of the fixes so "
                r"far still holds after a thousand updates of $\mathbf{W}_h$, and why?"
            ),
        ),
        answer=(
            r"The skip connection and gated paths: they change the architecture, so the "
            r"identity stays in every factor; an initialisation is forgotten as "
            r"$\mathbf{W}_h$ is trained."
        ),
    ),
    # -- the LSTM
    Frame(
        "cell",
        "The LSTM adds a cell state, updated by gates",
        LSTM,
        cell=("lstm", "standard"),
    ),
    _r(
        LSTM,
        r"On the cell path the Jacobian is $\operatorname{diag}(\mathbf{f})$",
        "lstm-cell-path",
        text=(r"No weight matrix and no slope: only the forget gate.",),
    ),
    _r(
        LSTM,
        "Without a forget gate the cell path is the identity",
        "cec",
        text=(r"The constant error carousel of the original LSTM.",),
    ),
    _f(LSTM, "lstm-cell-path", "The forget gate decides how far the cell path reaches"),
    _r(
        LSTM,
        "A forget gate near 1 keeps the path open from the start",
        ("forget-bias", "lstm-remember"),
        text=(r"Hence the forget-gate bias of 1 at initialisation.",),
    ),
    _r(
        LSTM,
        "Four blocks of weights: four times the RNN's parameters",
        "lstm-params",
        text=(
            r"Each gate and the candidate has its own $n \times n$, $n \times d$ and $n$.",
            r"The GRU has three such blocks, the plain RNN one.",
        ),
    ),
    # -- peepholes
    _r(
        PEEPHOLE,
        "Peepholes add paths through the gates to the cell's Jacobian",
        "peephole-jacobians",
        steps=(3,),
        text=(r"The gates read $\mathbf{c}^{(t-1)}$ through $\mathbf{V}_f$, $\mathbf{V}_i$.",),
    ),
    # -- the GRU
    Frame(
        "cell",
        "The GRU interpolates between the old state and a candidate",
        GRU,
        cell=("gru", "textbook"),
    ),
    _r(
        GRU,
        r"The GRU's Jacobian: $\operatorname{diag}(1 - \mathbf{u})$ plus gate and candidate",
        "gru-jacobian",
    ),
    _r(
        GRU,
        r"With $\mathbf{u} = \mathbf{0}$ the GRU keeps its state: the Jacobian is $\mathbf{I}$",
        "gru-retain",
        text=(r"PyTorch puts the gate on the other side: there $\bar{\mathbf{u}} = 1$ keeps it.",),
    ),
    _f(GRU, "jacobian-heatmaps", "Gated Jacobians are close to diagonal"),
    # -- bidirectional and stacked
    _r(
        NETWORKS,
        "A bidirectional RNN reads both contexts",
        "birnn",
        text=(r"The backward state depends on the future: no language model can use it.",),
    ),
    _r(
        NETWORKS,
        "Stacked layers multiply Jacobians across layers too",
        "stacked",
        text=(r"A skip connection between layers adds the identity to the product.",),
    ),
    # -- counts
    _r(
        COUNTS,
        "An RNN's parameters do not grow with the sequence",
        ("rnn-count", "mlp-window"),
        text=(r"The window model pays for every position; the RNN shares its weights.",),
    ),
    # -- summary
    Frame("summary", "Vanishing and exploding: causes and fixes"),
    _f("Summary", "training-curves", "Only the gated cells and the IRNN learn the adding task"),
    _f("Summary", "success-rate", "The gated cells reach the longest dependencies"),
    Frame(
        "question",
        r"Question: what does $\operatorname{diag}(\mathbf{f})$ buy that $\mathbf{W}_h$ cannot?",
        "Summary",
        text=(
            (
                r"Both the LSTM's cell path and an orthogonal RNN keep the gradient's norm at "
                r"initialisation. What changes once the weights are trained?"
            ),
        ),
        answer=(
            r"The forget gate is computed from the input at every step, so the network can "
            r"keep the path open where it must remember; $\mathbf{W}_h$ is one matrix for "
            r"every step, and its spectrum drifts with training."
        ),
    ),
)
