r"""The teaching layer of the lecture, authored: what a lecturer says around the derivations.

Everything here is prose written for students, as LaTeX (checked by
:func:`gradsym.notes.prose.check_prose`): the objectives and the roadmap, the opening of
each section, the intuition that comes before each derivation and the takeaway after it,
the boxes (how other sources write the same things; facts used along the way), the
problem → cause → fix table. The mathematics a derivation displays is not here: it is
printed from the claims' checked objects. Where this prose states a number, the claim it
comes from is named beside it (\ref), and that claim checks it.

:data:`OUTLINE` orders the lecture: sections, and in each the items in the order they are
printed (:func:`gradsym.notes.lecture.lecture_plan` turns it into the plan the writers
print).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FACT",
    "INTUITION",
    "MAPPING_ROWS",
    "OBJECTIVES",
    "OUTLINE",
    "PREFACE",
    "ROADMAP",
    "SUMMARY",
    "TAKEAWAY",
    "TITLE",
]

TITLE = "Vanishing and exploding gradients in recurrent networks"

PREFACE = {
    "student": (
        r"A recurrent network is trained by backpropagation through time, and the gradient "
        r"that reaches a step far in the past is a product of many Jacobians. These notes "
        r"derive, line by line, when that product vanishes or explodes, and what clipping, "
        r"initialisation, gates and skip connections do about it. Every line of every "
        r"derivation was checked by computer before it was printed, exactly in rational "
        r"arithmetic or numerically on seeded random instances, most lines both ways; where "
        r"a statement holds only at the sizes or points where it was checked, it says so."
    ),
    "instructor": (
        r"A recurrent network is trained by backpropagation through time, and the gradient "
        r"that reaches a step far in the past is a product of many Jacobians. These notes "
        r"derive, line by line, when that product vanishes or explodes, and what clipping, "
        r"initialisation, gates and skip connections do about it. This is the instructor's "
        r"version: after each derivation a table says how each of its lines was checked "
        r"(exactly, in rational arithmetic, at the sizes stated; numerically, in double "
        r"precision, on the seeded instances stated), and every displayed line is printed "
        r"from the very expression its checks evaluate."
    ),
}

OBJECTIVES = (
    (
        r"write the gradient of a loss with respect to an earlier hidden state as a product of "
        r"Jacobians, and count its factors;"
    ),
    (
        r"explain with eigenvalues and singular values when that product vanishes or explodes, "
        r"and why a saturating activation can only add to the vanishing;"
    ),
    (
        r"tell an exploding gradient from a vanishing one, clip the first by norm or by value "
        r"knowing what each keeps, and say what truncating backpropagation gives up;"
    ),
    (
        r"derive the state Jacobians of the LSTM and the GRU and point to the path along which "
        r"the gradient survives;"
    ),
    (
        r"choose an initialisation (orthogonal, identity with ReLU, the forget-gate bias, the "
        r"update-gate bias with the sign of its convention) and say what it buys at the start "
        r"of training."
    ),
)

ROADMAP = (
    r"Section~\ref{sec:backpropagation-through-time} unrolls the network and writes the "
    r"gradient as a product of one Jacobian per step. Section~\ref{sec:vanilla-rnn} "
    r"computes that Jacobian for the plain RNN and asks what a long product of them does: "
    r"a one-unit example first, then eigenvalues for the linear network and singular "
    r"values for a nonlinear one. Section~\ref{sec:exploding-gradients} treats the "
    r"explosion (the cliff, clipping, truncation), Section~\ref{sec:fixes-for-vanishing-"
    r"gradients} the fixes that change the product itself (orthogonal and identity "
    r"initialisation, skip connections, leaky units, echo-state networks, a regulariser). "
    r"Sections~\ref{sec:lstm} to \ref{sec:gru} derive the gated cells and the short path "
    r"they open; Section~\ref{sec:bidirectional-and-multi-layer-rnns} adds directions and "
    r"layers. Table~\ref{tab:summary} at the end gathers problem, cause and fix."
)

CONVENTIONS = (
    r"Jacobians are in numerator layout: $\partial \mathbf{y}/\partial \mathbf{x}$ has "
    r"entry $(\mu, \nu)$ equal to $\partial y_{\mu}/\partial x_{\nu}$, so for a scalar loss "
    r"$J$ the derivative $\partial J/\partial \mathbf{h}^{(t)}$ is a row vector and the "
    r"chain rule multiplies Jacobians with the latest step on the left: $\prod_{j < t "
    r"\leq i} \mathbf{A}_t = \mathbf{A}_i \mathbf{A}_{i-1} \cdots \mathbf{A}_{j+1}$. For a "
    r"matrix $\mathbf{W}$, $\partial J/\partial \mathbf{W}$ is the gradient, shaped like "
    r"$\mathbf{W}$. A superscript in parentheses is a time step ($\mathbf{h}^{(t)}$), any "
    r"other superscript a power ($\lambda^{\ell}$); $\mathbf{X}^{\top}$ is the transpose. "
    r"Vectors and matrices are bold, scalars are not; an entry of a vector is its letter in "
    r"italics with an index ($h_{\mu}^{(t)}$)."
)

# -- how other sources write the same things: shown once ------------------------------------------

MAPPING_TITLE = "Other sources' notations, and the notation of these notes"
MAPPING_COLUMNS = ("Source", "writes", "here")
MAPPING_ROWS = (
    (
        r"\cite{see2019}, \cite{001}",
        r"$\sigma$ for the RNN's activation",
        r"$\phi$ ($\sigma$ is only the sigmoid)",
    ),
    (
        r"\cite{see2019}, \cite{001}",
        (
            r"the first product of Section~\ref{claim:chain-rule} as $\partial \mathbf{h}^{(2)}/"
            r"\partial \mathbf{h}^{(1)} \times \cdots \times \partial J^{(4)}/\partial "
            r"\mathbf{h}^{(4)}$, factors transposed"
        ),
        r"the same product in numerator layout, latest factor on the left",
    ),
    (
        r"\cite{003}",
        r"$\Gamma_f$, $\Gamma_u$, $\Gamma_o$; $c_t$; $W_c [c_{t-1}, x_t]$",
        (
            r"$\mathbf{f}^{(t)}$, $\mathbf{i}^{(t)}$, $\mathbf{o}^{(t)}$; $\mathbf{c}^{(t)}$; "
            r"$\mathbf{W}_c \mathbf{c}^{(t-1)} + \mathbf{U}_c \mathbf{x}^{(t)}$"
        ),
    ),
    (
        r"\cite{003}, the GRU",
        r"the memory $c_t = h_t$, the gates $\Gamma_u$, $\Gamma_r$",
        r"$\mathbf{h}^{(t)}$; $\mathbf{u}^{(t)}$, $\mathbf{r}^{(t)}$",
    ),
    (
        r"\cite{cho2014}, \cite{004}, PyTorch",
        r"the update gate $z$ on $\mathbf{h}^{(t-1)}$: $z \circ h_{t-1} + (1 - z) \circ n$",
        (
            r"$\bar{\mathbf{u}}^{(t)} = 1 - \mathbf{u}^{(t)}$, a gate on $\mathbf{h}^{(t-1)}$ "
            r"\eqref{eq:gru-pytorch}"
        ),
    ),
    (
        r"PyTorch",
        r"$n = \tanh(W_{in} x + b_{in} + r \circ (W_{hn} h + b_{hn}))$",
        r"$\hat{\mathbf{h}}^{(t)}$, the reset gate after the product \eqref{eq:gru-pytorch}",
    ),
    (
        r"\cite{004}",
        r"$H_t$, $C_t$, $F_t$; the weights $V$, $W$, $b$",
        (
            r"$\mathbf{h}^{(t)}$, $\mathbf{c}^{(t)}$, $\mathbf{f}^{(t)}$; $\mathbf{U}_f$, "
            r"$\mathbf{W}_f$, $\mathbf{b}_f$, \ldots"
        ),
    ),
    (
        r"\cite{000}, \cite{pascanu2013}",
        r"$\epsilon$, $\mathcal{E}$ for the loss",
        r"$J$",
    ),
)

# -- the sections: an opening paragraph each -----------------------------------------------------

INTRODUCTIONS = {
    "Backpropagation through time": (
        r"A recurrent network applies the same weights at every time step. Unrolled over a "
        r"sequence it is a deep feed-forward network whose layers share their weights "
        r"(Figure~\ref{fig:unrolled}), and backpropagation through it multiplies one "
        r"Jacobian per step. This section writes that product down exactly: the gradient of "
        r"a loss at step $i$ with respect to the hidden state of step $j \leq i$, which lies "
        r"$i - j$ steps earlier; the gradient of a shared weight, a sum over the steps; and "
        r"the number of factors, which grows with the distance."
    ),
    "Vanilla RNN": (
        r"Each factor of the product is $\operatorname{diag}(\phi'(\mathbf{z}^{(t)})) "
        r"\mathbf{W}_h$: the same matrix $\mathbf{W}_h$ again and again, scaled row by row by "
        r"the slopes of the activation. A product of $\ell$ copies of one number $w$ is "
        r"$w^{\ell}$, which shrinks or grows geometrically unless $|w| = 1$; for matrices "
        r"the eigenvalues play that part in a linear network, and the largest singular "
        r"value, times the largest slope $\gamma$, bounds it in a nonlinear one."
    ),
    "Exploding gradients": (
        r"An exploding gradient is the easy problem: it is visible (a huge norm, then Inf or "
        r"NaN) and a simple rule contains it. We first see where it comes from in the "
        r"dynamics of the network (the cliff), then how one step of gradient descent "
        r"behaves at the cliff, and the two ways to clip. Truncating backpropagation is "
        r"a third remedy, with a cost: the gradient it computes is biased."
    ),
    "Fixes for vanishing gradients": (
        r"A vanishing gradient is the hard problem. The total gradient need not be small: "
        r"it is a sum over time steps, and its near terms can be large while the terms that "
        r"carry long-range dependencies are swamped by them, so nothing in the gradient's "
        r"norm warns of it. The fixes therefore change the product itself: an orthogonal "
        r"recurrent matrix keeps every singular value at one, ReLU units with an identity "
        r"recurrent matrix pass the gradient through the active units unchanged, skip "
        r"connections and leaky units add an identity term to each factor, an echo-state "
        r"network does not backpropagate through time at all, and a regulariser can ask "
        r"each step to keep the gradient's norm."
    ),
    "LSTM": (
        r"The LSTM gives the network a second state, the cell $\mathbf{c}^{(t)}$, updated by "
        r"addition under the control of gates (Figure~\ref{fig:lstm-cell}). Along the cell's "
        r"direct path one step multiplies the gradient by the forget gate, a number in "
        r"$(0, 1)$ per unit that the network computes from its input, instead of by a fixed "
        r"weight matrix. We derive the four blocks of the LSTM's state Jacobian, the direct "
        r"path, the constant error carousel of the LSTM without a forget gate and the effect "
        r"of the forget-gate bias."
    ),
    "LSTM with peephole connections": (
        r"With peephole connections the gates read the cell itself. The cell then reaches "
        r"the next cell through the gates too, and $\partial \mathbf{c}^{(t)}/\partial "
        r"\mathbf{c}^{(t-1)}$ is no longer diagonal."
    ),
    "GRU": (
        r"The GRU keeps the LSTM's idea with one state and two gates "
        r"(Figure~\ref{fig:gru-cell}): the update gate $\mathbf{u}^{(t)}$ interpolates "
        r"between the previous state and a candidate, the reset gate $\mathbf{r}^{(t)}$ "
        r"decides how much of the previous state the candidate sees. Where the update gate "
        r"is near 0 the Jacobian of a step is near the identity. Sources disagree on which "
        r"side of the interpolation the gate stands (Box~\ref{box:mapping}), and the sign "
        r"of a good bias initialisation depends on it."
    ),
    "Bidirectional and multi-layer RNNs": (
        r"Reading the sequence in both directions gives each position a state that depends "
        r"on its whole context; stacking layers gives depth. Both add paths to the graph: "
        r"the backward direction's product runs the other way in time, and a stack's "
        r"Jacobian crosses layers, where a skip connection adds the identity."
    ),
    "Parameter counts": (
        r"Sharing the weights across time is what makes a recurrent layer small beside a "
        r"multilayer perceptron reading a window of the same width."
    ),
    "Summary": (
        r"Table~\ref{tab:summary} gathers the problems, their causes in the product of "
        r"Jacobians, and the fixes derived above. Figures~\ref{fig:training-curves} and "
        r"\ref{fig:success-rate} show what the fixes do in training, on the adding problem "
        r"\cite{le2015}: two numbers marked among $T$ must be added, so the gradient that "
        r"teaches the network to remember the first must cross up to $T$ steps."
    ),
}

SECTION_TITLES = {
    "Backpropagation through time": "Backpropagation through time",
    "Vanilla RNN": "Why the plain RNN's gradient vanishes or explodes",
    "Exploding gradients": "Exploding gradients: the cliff, clipping and truncation",
    "Fixes for vanishing gradients": "Fixes for vanishing gradients",
    "LSTM": "The LSTM",
    "LSTM with peephole connections": "The LSTM with peephole connections",
    "GRU": "The GRU",
    "Bidirectional and multi-layer RNNs": "Bidirectional and multi-layer RNNs",
    "Parameter counts": "Counting parameters",
    "Summary": "Summary",
}

# -- before and after each derivation ----------------------------------------------------------

INTUITION = {
    "chain-rule": (
        r"To see how the loss at step 4 depends on the state at step 1, follow the graph "
        r"backwards: the loss reads $\mathbf{h}^{(4)}$, which was computed from "
        r"$\mathbf{h}^{(3)}$, which was computed from $\mathbf{h}^{(2)}$, and so on. Each "
        r"arrow crossed contributes one Jacobian. Here $\partial J^{(i)}/\partial "
        r"\mathbf{h}^{(j)}$ is the \emph{total} derivative: how $J^{(i)}$ changes when "
        r"$\mathbf{h}^{(j)}$ alone is changed and every later step is recomputed from it."
    ),
    "weights-shared": (
        r"$\mathbf{W}_h$ is used at every step, so a small change of $\mathbf{W}_h$ changes "
        r"every step at once. Pretend each step had its own copy $\mathbf{W}_h^{(t)}$; the "
        r"gradient of the shared matrix is the sum of the copies' gradients. "
        r"$\partial J/\partial \mathbf{h}^{(t)}$ is the total derivative of $J = \sum_i "
        r"J^{(i)}$: it collects the loss terms of step $t$ and of every later step."
    ),
    "bptt-factors": (
        r"The chain rule gives one factor per arrow crossed, so the count is the distance "
        r"in time."
    ),
    "rnn-jacobian": (
        r"One step of the RNN is a matrix product followed by an elementwise function. The "
        r"Jacobian of the product is $\mathbf{W}_h$; the elementwise function scales row "
        r"$\mu$ by its slope $\phi'(z_{\mu}^{(t)})$."
    ),
    "scalar-example": (
        r"Take the smallest recurrent network there is: one unit, no input, no activation "
        r"\cite{goodfellow2016}. Everything that follows for matrices is already visible "
        r"in a power of one number."
    ),
    "linear-case": (
        r"With the identity as activation every slope is 1, so every factor is the same "
        r"matrix $\mathbf{W}_h$ and the product is a matrix power."
    ),
    "eigen-vanish": (
        r"A power of a matrix is easy in the basis of its eigenvectors, where it is a "
        r"power of each eigenvalue: $\ell$ steps multiply the component along the $k$-th "
        r"eigenvector by $\lambda_k^{\ell}$, as the one-unit network multiplied by "
        r"$w^{\ell}$."
    ),
    "explode": (
        r"The same expansion read the other way: a component along an eigenvector whose "
        r"eigenvalue is larger than 1 in modulus grows geometrically."
    ),
    "nonlinear-bound": (
        r"Eigenvalues say nothing about a product of different matrices, and with a "
        r"nonlinearity the factors differ from step to step. Norms do: the norm of a product "
        r"is at most the product of the norms, and each factor's norm is at most "
        r"$\gamma\, s_{\max}(\mathbf{W}_h)$, where $\gamma$ bounds the activation's slope."
    ),
    "sequential-recency": (
        r"The bound of Section~\ref{claim:nonlinear-bound} shrinks geometrically with the "
        r"distance, so a loss term $\ell$ steps away from a state can move it only by a "
        r"geometrically small amount."
    ),
    "agreement-recency": (
        r"Does the language model's bias towards near words show in practice? \cite{001} "
        r"says it does, after \cite{linzen2016}: a network that must agree a verb with its "
        r"subject is misled by a noun between them. Here it is measured on a small "
        r"artificial language, where a rule that follows the nearest noun and the rule that "
        r"follows the subject can be told apart."
    ),
    "cliff": (
        r"Run a recurrent network long enough and its state settles on an attractor, a "
        r"fixed point for the simplest one-unit network \cite{pascanu2013}. The gradient "
        r"of the final state is then the derivative of the attractor's position with respect "
        r"to the parameters, and where an attractor disappears (a bifurcation) that "
        r"derivative has no bound."
    ),
    "sgd-step": "",
    "clip-norm": (
        r"If the gradient is too long, keep its direction and shorten it: one rescaling, "
        r"applied only when the norm passes a threshold."
    ),
    "clip-value": (
        r"Cutting each component at the threshold also bounds the gradient, but it "
        r"shortens only the large components."
    ),
    "truncated-bptt": (
        r"Stop the backward pass after $k$ steps: treat the state that enters a window of "
        r"$k$ steps as a constant."
    ),
    "tbptt-bias": (
        r"The terms that truncation drops are not zero: they are the long-range terms of "
        r"the gradient. Whenever they do not sum to zero, the truncated gradient is a "
        r"biased estimate of the true one, however many sequences it is averaged over "
        r"\cite{williams1990}."
    ),
    "random-truncation": (
        r"Truncate at a random length instead, and make up for the terms a truncation "
        r"drops by weighting the terms it keeps: the term at lag $\ell$ is kept with "
        r"probability $\pi_{\ell}$ and divided by it \cite{tallec2017,zhang2023}."
    ),
    "orthogonal": (
        r"An orthogonal matrix is a rotation (or a reflection): it changes the direction "
        r"of a vector and never its length, however many times it is applied."
    ),
    "relu": (
        r"The slope of $\operatorname{ReLU}$ is exactly 1 where the unit is active, so an "
        r"active unit passes the gradient on without shrinking it, unlike $\tanh$ or "
        r"$\sigma$."
    ),
    "residual": (
        r"Add the input to the layer's output. Whatever the layer's own Jacobian, the "
        r"Jacobian of the sum contains the identity, a path along which the gradient passes "
        r"unchanged."
    ),
    "leaky": (
        r"A leaky unit keeps a fixed share $\eta$ of its previous state and adds the rest "
        r"from the usual update \cite{mozer1992,goodfellow2016}: a skip connection in time, "
        r"whose weight $\eta$ sets how long the unit remembers."
    ),
    "echo-state": (
        r"If backpropagating through time is the problem, do not do it: fix $\mathbf{W}_h$ "
        r"and $\mathbf{W}_x$ at random, scaled so that the network forgets its initial "
        r"state, and train only a readout of the states \cite{jaeger2001}."
    ),
    "pascanu-omega": (
        r"Vanishing means that one step of backpropagation shrinks the gradient's norm. "
        r"Penalise exactly that: a sum over the steps of how far each step's ratio of "
        r"norms is from 1 \cite{pascanu2013}."
    ),
    "lstm-jacobians": (
        r"The state of the LSTM is the pair $(\mathbf{h}, \mathbf{c})$, so its Jacobian has "
        r"four blocks. Each is a chain rule through the gates; the product rule on "
        r"$\mathbf{f} \circ \mathbf{c}$ and $\mathbf{i} \circ \tilde{\mathbf{c}}$ gives one "
        r"term per gate."
    ),
    "lstm-cell-path": (
        r"Of the four blocks, the one from $\mathbf{c}^{(t-1)}$ to $\mathbf{c}^{(t)}$ is the "
        r"simplest: the cell is multiplied by the forget gate and nothing else."
    ),
    "cec": (
        r"The LSTM of \cite{hochreiter1997} had no forget gate: the cell was only ever "
        r"added to."
    ),
    "forget-bias": (
        r"The forget gate is $\sigma$ of a pre-activation that includes its bias; a large "
        r"bias pushes it towards 1 whatever the input, before any training."
    ),
    "peephole-jacobians": (
        r"Once the gates read $\mathbf{c}^{(t-1)}$, the cell influences the next cell "
        r"through the gates as well as directly, and the chain rule adds one term per "
        r"gate that reads it."
    ),
    "gru-jacobian": (
        r"$\mathbf{h}^{(t)}$ is an interpolation whose weights are themselves functions of "
        r"$\mathbf{h}^{(t-1)}$: the product rule gives the direct term $\operatorname{diag}(1 "
        r"- \mathbf{u}^{(t)})$, one term through the update gate and one through the "
        r"candidate, which in turn sees $\mathbf{h}^{(t-1)}$ through the reset gate."
    ),
    "gru-retain": (r"Close the update gate and the interpolation returns the previous state."),
    "gru-update-bias": (
        r"A gate's bias decides where it starts. Which sign opens the short path depends "
        r"on which side of the interpolation the gate stands, and sources disagree."
    ),
    "gru-variants": (
        r"Three GRUs are in use: with the update gate only, with a reset gate applied "
        r"before the product by $\mathbf{W}_h$ (Section~\ref{sec:gru}), and with the reset "
        r"gate applied after it (PyTorch's). Are the last two the same cell written "
        r"differently?"
    ),
    "birnn": (
        r"Two RNNs read the sequence, one forwards and one backwards, and the state of a "
        r"position is the pair of their states."
    ),
    "stacked": (
        r"In a stack, the states of one layer are the inputs of the next, so a Jacobian "
        r"across layers is a product through both layers."
    ),
}

TAKEAWAY = {
    "chain-rule": (
        r"The gradient that reaches step $j$ from a loss at step $i$ is the loss's "
        r"gradient times $i - j$ Jacobians, the latest on the left. Everything below is "
        r"about that product."
    ),
    "weights-shared": (
        r"A shared weight collects one contribution per step; the contribution of a loss "
        r"term at step $i$ to step $j$ passes through the product of "
        r"Section~\ref{claim:chain-rule}."
    ),
    "bptt-factors": (
        r"The dependence on the distance is the number of factors, $t - k$. (The second "
        r"line counts them as a degree in $\mathbf{W}_h$ when $n = 1$ and the slope "
        r"$\tanh'$ is treated as a symbol of its own: $\tanh'(z^{(\tau)})$ depends on "
        r"$\mathbf{W}_h$ too, through $z^{(\tau)}$.)"
    ),
    "rnn-jacobian": (
        r"$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)} = \operatorname{diag}("
        r"\phi'(\mathbf{z}^{(t)})) \mathbf{W}_h$: a diagonal matrix of slopes times the "
        r"recurrent matrix. For $\tanh$ the slopes lie in $(0, 1]$, for $\sigma$ in $(0, "
        r"1/4]$."
    ),
    "scalar-example": (
        r"$\ell$ steps multiply the gradient by $w^{\ell}$: $0.9^{50}$ is about $0.005$ "
        r"and $1.1^{50}$ about $117$. A recurrent weight a little below or a little above 1 "
        r"is, fifty steps later, a factor of two hundred down or a hundred up."
    ),
    "linear-case": (
        r"In a linear RNN the gradient from $\ell$ steps away is the gradient at the loss "
        r"times $\mathbf{W}_h^{\ell}$ (Figure~\ref{fig:linear-case})."
    ),
    "eigen-vanish": (
        r"If every eigenvalue of $\mathbf{W}_h$ is below 1 in modulus, the gradient from far "
        r"away vanishes geometrically. The modulus matters (an eigenvalue $-1.1$ is below 1 "
        r"and explodes), the expansion is in the left eigenvectors, and a spectral radius "
        r"below 1 promises only eventual decay: a non-normal $\mathbf{W}_h$ can first "
        r"amplify, as panel (c) of Figure~\ref{fig:linear-case} shows."
    ),
    "explode": (
        r"One eigenvalue outside the unit circle is enough for the gradient to grow without "
        r"bound along its left eigenvector; in double precision it overflows to Inf, and "
        r"Inf minus Inf is NaN."
    ),
    "nonlinear-bound": (
        r"$s_{\max}(\mathbf{W}_h) < 1/\gamma$ is sufficient for vanishing; $s_{\max}"
        r"(\mathbf{W}_h) > 1/\gamma$ is necessary, not sufficient, for exploding. For "
        r"$\tanh$, $\gamma = 1$; for $\sigma$, $\gamma = 1/4$. Figure~\ref{fig:gradient-"
        r"norms} shows the three regimes."
    ),
    "sequential-recency": (
        r"In the vanishing regime the updates are dominated by near effects: the network "
        r"learns from sequential recency more easily than from dependencies that span many "
        r"steps \cite{001,000}."
    ),
    "agreement-recency": (
        r"In these runs the plain RNN agrees with the nearest noun where the LSTM agrees "
        r"with the subject (Figure~\ref{fig:agreement}); the measurement shows the preference, "
        r"not its cause, which the bound of Section~\ref{claim:sequential-recency} "
        r"suggests."
    ),
    "cliff": (
        r"The cliff of the error surface (Figure~\ref{fig:pascanu-cliff}) is the place in "
        r"parameter space where the attractor the state converges to changes: the gradient "
        r"there is the derivative of a jump, and a plain gradient step taken there is "
        r"thrown far away."
    ),
    "clip-norm": (
        r"Norm clipping bounds the step and keeps its direction: at the cliff, the step "
        r"still goes downhill, only shorter (Figure~\ref{fig:pascanu-cliff})."
    ),
    "clip-value": (
        r"Value clipping bounds each component but turns the gradient towards the corners "
        r"of the box (Figure~\ref{fig:clipping}): prefer norm clipping, which keeps the "
        r"direction."
    ),
    "truncated-bptt": (
        r"Truncation at $k$ steps caps the product at $k - 1$ factors, which prevents "
        r"explosion through long products, and removes every term from more than $k - 1$ "
        r"steps back: no dependency longer than the window can be learnt from its gradient."
    ),
    "tbptt-bias": (
        r"Truncated BPTT trades the long-range terms for a bounded cost: its gradient is "
        r"biased, by exactly the terms it drops."
    ),
    "random-truncation": (
        r"Randomised truncation is unbiased: in expectation it is the full gradient. It "
        r"pays with variance, since a rare long window is weighted by $1/\pi_{\ell}$."
    ),
    "orthogonal": (
        r"An orthogonal $\mathbf{W}_h$ keeps the linear RNN's gradient at its norm for "
        r"every $\ell$ (Figure~\ref{fig:orthogonal-init}); with a nonlinearity the slopes "
        r"still shrink it, so orthogonality removes only the part of the problem "
        r"that comes from $\mathbf{W}_h$, and only at initialisation unless it is kept during training."
    ),
    "relu": (
        r"With $\mathbf{W}_h = \mathbf{I}$ and every unit active, the product of Jacobians "
        r"is the identity: the initialisation of the IRNN \cite{le2015}. An inactive unit "
        r"blocks the gradient completely."
    ),
    "residual": (
        r"A skip connection puts $\mathbf{I}$ in every factor; if each branch's Jacobian "
        r"has norm at most $1$, the smallest singular value of the product is at least "
        r"$\prod_l (1 - \|\mathbf{A}_l\|_2)$, so it cannot collapse while the branches stay "
        r"small."
    ),
    "leaky": (
        r"With $\eta$ near 1 the unit forgets on a time scale of about $1/(1 - \eta)$ "
        r"steps: $\eta = 0.99$ keeps more than a third of the gradient after 100 steps, "
        r"where $0.9^{100}$ would keep $3 \cdot 10^{-5}$."
    ),
    "echo-state": (
        r"With $s_{\max}(\mathbf{W}_h) < 1$ and $\tanh$, two runs from different initial "
        r"states converge geometrically: the reservoir's state depends on the recent input "
        r"only, and the readout, a linear regression, is trained without backpropagating "
        r"through time."
    ),
    "pascanu-omega": (
        r"$\Omega = 0$ exactly when every step keeps the norm of the back-propagated "
        r"gradient. Added to the loss, it pushes the network towards that regime; Pascanu "
        r"et al. use it together with norm clipping (Figure~\ref{fig:success-rate}, panel "
        r"(b))."
    ),
    "lstm-jacobians": (
        r"Every block but one passes through a weight matrix and the slope of a gate; "
        r"$\partial \mathbf{c}^{(t)}/\partial \mathbf{c}^{(t-1)}$ does not "
        r"(Figure~\ref{fig:jacobian-heatmaps}, panel (a))."
    ),
    "lstm-cell-path": (
        r"Along the cell's direct path the gradient is multiplied by $\mathbf{f}^{(t)}$ at "
        r"each step: no weight matrix, no slope of an activation. Over several steps the "
        r"full derivative also has the paths through $\mathbf{h}$ and the gates "
        r"(Figure~\ref{fig:lstm-cell-path})."
    ),
    "cec": (
        r"Without a forget gate the direct path carries the gradient unchanged over any "
        r"number of steps: the constant error carousel. The price is a cell that only "
        r"grows, which is why \cite{gers2000} added the forget gate."
    ),
    "forget-bias": (
        r"A forget-gate bias of 1 or more \cite{gers2000,jozefowicz2015} keeps the direct "
        r"path open at the start of training; the network can learn to forget later."
    ),
    "peephole-jacobians": (
        r"With peepholes the cell-to-cell block gains one term per gate that reads the cell; "
        r"with the peephole weights at zero it is $\operatorname{diag}(\mathbf{f}^{(t)})$ "
        r"again."
    ),
    "gru-jacobian": (
        r"The GRU's Jacobian is $\operatorname{diag}(1 - \mathbf{u}^{(t)})$ plus terms "
        r"through the gates and the candidate (Figure~\ref{fig:jacobian-heatmaps}, panel "
        r"(b)); the first is the short path."
    ),
    "gru-retain": (
        r"With $\mathbf{u}^{(t)} = \mathbf{0}$ the step's Jacobian is exactly $\mathbf{I}$, "
        r"a limit that a finite bias only approaches."
    ),
    "gru-update-bias": (
        r"In the convention of these notes ($\mathbf{u}$ on the candidate) a negative update-"
        r"gate bias opens the short path; in the convention with the gate on "
        r"$\mathbf{h}^{(t-1)}$ a positive one does. Advice about the bias must say which "
        r"convention it means."
    ),
    "gru-variants": (
        r"The minimal GRU is the GRU with $\mathbf{r} = \mathbf{1}$; the GRU with the reset "
        r"gate after the product is a different cell, equal to the textbook GRU only where "
        r"$\mathbf{r} = \mathbf{1}$."
    ),
    "birnn": (
        r"The two directions have separate weights and do not mix; the backward direction "
        r"reads the future, so it serves tasks that see the whole sequence, not a language "
        r"model that must predict the next word."
    ),
    "stacked": (
        r"A skip connection between layers adds $\mathbf{I}$ to the inter-layer factor, as "
        r"the residual connection of Section~\ref{claim:residual} does within a layer."
    ),
}

#: The claims printed as facts in a box: immediate from a definition, or a count.
FACT = frozenset(
    {
        "sgd-step",
        "lstm-remember",
        "gates-range",
        "lstm-params",
        "gru-params",
        "mlp-window",
        "rnn-count",
    }
)

# -- the summary ----------------------------------------------------------------------------------

SUMMARY_COLUMNS = ("Problem", "Cause in the product of Jacobians", "Fix (where derived)")
SUMMARY = (
    (
        r"Exploding gradient",
        (
            r"a factor larger than 1 in norm, repeated: an eigenvalue $|\lambda| > 1$, "
            r"$\gamma\, s_{\max}(\mathbf{W}_h) > 1$; a bifurcation (the cliff)"
        ),
        r"norm clipping (\ref{claim:clip-norm}); truncation (\ref{claim:truncated-bptt})",
    ),
    (
        r"Vanishing gradient, plain RNN",
        r"every factor smaller than 1 in norm: $\gamma\, s_{\max}(\mathbf{W}_h) < 1$",
        (
            r"orthogonal $\mathbf{W}_h$ (\ref{claim:orthogonal}); ReLU with $\mathbf{W}_h = "
            r"\mathbf{I}$ (\ref{claim:relu}); $\Omega$ (\ref{claim:pascanu-omega})"
        ),
    ),
    (
        r"Vanishing gradient, deep or long",
        r"no identity term in the factors",
        r"skip connections (\ref{claim:residual}); leaky units (\ref{claim:leaky})",
    ),
    (
        r"Long dependencies",
        r"the path from far away multiplies weights and slopes",
        (
            r"the LSTM's cell path, $\operatorname{diag}(\mathbf{f}^{(t)})$ "
            r"(\ref{claim:lstm-cell-path}) with a forget bias (\ref{claim:forget-bias}); the "
            r"GRU's $\operatorname{diag}(1 - \mathbf{u}^{(t)})$ (\ref{claim:gru-jacobian})"
        ),
    ),
    (
        r"Truncated BPTT is biased",
        r"the dropped terms are the long-range ones",
        (
            r"randomised truncation (\ref{claim:random-truncation}); no backpropagation "
            r"through time at all (\ref{claim:echo-state})"
        ),
    ),
)
SUMMARY_CAPTION = (
    r"Problems, their causes, and the fixes derived in these notes (the numbers are "
    r"subsections)."
)

# -- the outline: sections and their items, in printing order ---------------------------------------


@dataclass(frozen=True)
class C:
    """A claim (by id): printed as a subsection, or in its section's facts box."""

    id: str


@dataclass(frozen=True)
class Cell:
    """A cell introduced: its equations and its picture (by the key of :data:`CELLS`)."""

    key: str


@dataclass(frozen=True)
class Fig:
    """A plotted figure, placed here (beside the claim before it)."""

    name: str


@dataclass(frozen=True)
class Pic:
    """A picture (by its name in :mod:`.pictures`), placed here."""

    name: str


@dataclass(frozen=True)
class Facts:
    """The section's facts box, here."""

    title: str = "Facts used in this section"


@dataclass(frozen=True)
class Summary:
    """The problem → cause → fix table."""


OUTLINE: tuple[tuple[str, tuple], ...] = (
    (
        "Backpropagation through time",
        (Cell("rnn"), Pic("unrolled"), C("chain-rule"), C("weights-shared"), C("bptt-factors")),
    ),
    (
        "Vanilla RNN",
        (
            C("rnn-jacobian"),
            C("scalar-example"),
            C("linear-case"),
            C("eigen-vanish"),
            Fig("linear-case"),
            C("explode"),
            C("nonlinear-bound"),
            Fig("gradient-norms"),
            C("sequential-recency"),
            C("agreement-recency"),
            Fig("agreement"),
        ),
    ),
    (
        "Exploding gradients",
        (
            C("cliff"),
            C("sgd-step"),
            C("clip-norm"),
            Fig("pascanu-cliff"),
            C("clip-value"),
            Fig("clipping"),
            C("truncated-bptt"),
            C("tbptt-bias"),
            C("random-truncation"),
            Facts(),
        ),
    ),
    (
        "Fixes for vanishing gradients",
        (
            C("orthogonal"),
            Fig("orthogonal-init"),
            C("relu"),
            C("residual"),
            C("leaky"),
            C("echo-state"),
            C("pascanu-omega"),
        ),
    ),
    (
        "LSTM",
        (
            Cell("lstm"),
            C("lstm-jacobians"),
            C("lstm-cell-path"),
            C("cec"),
            Fig("lstm-cell-path"),
            C("forget-bias"),
            C("lstm-remember"),
            C("gates-range"),
            C("lstm-params"),
            Facts(),
        ),
    ),
    ("LSTM with peephole connections", (Cell("peephole"), C("peephole-jacobians"))),
    (
        "GRU",
        (
            Cell("gru"),
            Cell("gru-pytorch"),
            C("gru-jacobian"),
            Fig("jacobian-heatmaps"),
            C("gru-retain"),
            C("gru-update-bias"),
            C("gru-variants"),
            C("gru-params"),
            Facts(),
        ),
    ),
    ("Bidirectional and multi-layer RNNs", (C("birnn"), C("stacked"))),
    ("Parameter counts", (C("mlp-window"), C("rnn-count"), Facts("Counts"))),
    ("Summary", (Summary(), Fig("training-curves"), Fig("success-rate"))),
)
