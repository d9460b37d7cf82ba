r"""The lecture's notation: every symbol with its one meaning, printed as a table at the front
of the notes and held to by a test over every display, caption and piece of prose.

:data:`NOTATION` lists (symbol, meaning) pairs in groups, the symbol as the notes print it
(LaTeX). :data:`INDEX_LETTERS` are the letters used as integer indices (steps, entries,
layers): they are not quantities, so an index letter may coincide with a bold vector's
letter (the step $i$ and the input gate $\mathbf{i}$). :data:`ONE_UNIT` are the italic
letters that stand for the one-unit ($n = 1$) version of a bold quantity, with the same
meaning. Any other italic letter that is also a bold letter would be a collision.
"""

from __future__ import annotations

__all__ = ["INDEX_LETTERS", "NOTATION", "ONE_UNIT", "SIZE_LETTERS", "notation_rows"]

NOTATION: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Steps, sizes and indices",
        (
            (r"$t$, $T$", r"a time step; the last step, the length of a sequence"),
            (
                r"$i$, $j$, $k$, $\tau$",
                r"steps: $j \leq i$ and $k \leq t$, $\tau$ a step in between",
            ),
            (r"$\ell$", r"the lag $i - j$ (or $t - k$): the number of steps between two states"),
            (r"$K$", r"the length of a truncation window"),
            (r"$n$, $d$", r"the hidden size; the input size (also the size of a word embedding)"),
            (r"$m$", r"the width of a window of words"),
            (
                r"$\mu$, $\nu$, $\kappa$",
                (
                    r"indices of entries: $h_{\mu}^{(t)}$ is entry $\mu$ of $\mathbf{h}^{(t)}$"
                    r" ($\nu$ also numbers the training runs of the agreement experiment)"
                ),
            ),
            (r"$l$, $L$", r"a layer; the number of layers"),
        ),
    ),
    (
        "Vectors and matrices (bold)",
        (
            (
                r"$\mathbf{x}^{(t)}$, $\mathbf{h}^{(t)}$, $\mathbf{c}^{(t)}$",
                r"the input; the hidden state; the LSTM's cell state",
            ),
            (r"$\mathbf{y}^{(t)}$", r"the output of a layer (residual, highway, bidirectional)"),
            (
                r"$\mathbf{z}^{(t)}$, $\mathbf{z}_f^{(t)}$, \ldots",
                r"a pre-activation, of the RNN or of a gate ($\mathbf{f}$, \ldots): always an affine function of the step's inputs",
            ),
            (
                r"$\mathbf{f}$, $\mathbf{i}$, $\mathbf{o}$, $\tilde{\mathbf{c}}$",
                r"the LSTM's forget, input and output gates and its candidate cell",
            ),
            (
                r"$\mathbf{u}$, $\mathbf{r}$, $\tilde{\mathbf{h}}$",
                r"the GRU's update and reset gates and its candidate state",
            ),
            (
                r"$\bar{\mathbf{u}}$, $\hat{\mathbf{h}}$",
                r"the gate on $\mathbf{h}^{(t-1)}$ and the candidate of the GRU with the reset gate after the product (Box~\ref{box:mapping})",
            ),
            (r"$\mathbf{g}$, $\mathbf{a}$", r"the gate and the transform of a highway layer"),
            (
                r"$\mathbf{W}_h$, $\mathbf{W}_x$, $\mathbf{b}$",
                r"the RNN's recurrent weights, input weights and bias",
            ),
            (
                r"$\mathbf{W}_f$, $\mathbf{U}_f$, $\mathbf{b}_f$, $\mathbf{V}_f$",
                r"the forget gate's recurrent weights, input weights, bias and peephole weights; likewise for $\mathbf{i}$, $\mathbf{o}$, $\tilde{\mathbf{c}}$ (subscript $c$), $\mathbf{u}$, $\mathbf{r}$, $\tilde{\mathbf{h}}$ (subscript $h$)",
            ),
            (
                r"$\mathbf{I}$, $\mathbf{0}$, $\mathbf{1}$",
                r"the identity; a matrix of zeros; a vector of ones ($1 - \mathbf{u}$ is $\mathbf{1} - \mathbf{u}$)",
            ),
            (r"$\mathbf{Q}$", r"an orthogonal matrix, $\mathbf{Q}^{\top} \mathbf{Q} = \mathbf{I}$"),
            (
                r"$\mathbf{V}$, $\mathbf{v}_k$, $\mathbf{p}_k^{\top}$",
                r"the eigenvector matrix of $\mathbf{W}_h$, its columns (right eigenvectors) and the rows of $\mathbf{V}^{-1}$ (left eigenvectors)",
            ),
            (r"$\boldsymbol{\Lambda}$", r"the diagonal matrix of the eigenvalues"),
            (
                r"$\hat{\mathbf{g}}$, $\boldsymbol{\theta}$",
                r"a gradient (Algorithm 1); all the parameters",
            ),
            (
                r"$\overrightarrow{\mathbf{h}}$, $\overleftarrow{\mathbf{h}}$",
                r"the states of the forward and the backward RNN of a bidirectional RNN (their $\overrightarrow{\mathbf{W}}_h$, $\overrightarrow{\mathbf{W}}_x$, $\overrightarrow{\mathbf{b}}$, $\overrightarrow{\mathbf{z}}$ and $\overleftarrow{\mathbf{W}}_h$, $\overleftarrow{\mathbf{W}}_x$, $\overleftarrow{\mathbf{b}}$, $\overleftarrow{\mathbf{z}}$ likewise)",
            ),
            (
                r"$\bar{\mathbf{h}}^{(t)}$",
                r"a second run of the same network from another initial state (echo-state networks)",
            ),
            (
                r"$\mathbf{A}$, $\mathbf{B}$, $\mathbf{W}$, $\mathbf{X}$, $\mathbf{N}$",
                r"any matrices in a general statement ($\mathbf{N}$ nilpotent, $\mathbf{N}^2 = \mathbf{0}$); $\mathbf{A}_l$ the Jacobian of the branch of residual layer $l$",
            ),
            (r"$F$", r"the branch of a residual layer, $\mathbf{y} = \mathbf{x} + F(\mathbf{x})$"),
        ),
    ),
    (
        "Functions and scalars",
        (
            (
                r"$\phi$",
                r"an elementwise activation: $\tanh$, $\sigma$, $\operatorname{ReLU}$ or the identity $\operatorname{id}$",
            ),
            (r"$\sigma$", r"the logistic sigmoid $\sigma(z) = 1/(1 + e^{-z})$, and nothing else"),
            (r"$\phi'$, $\sigma'$, $\tanh'$", r"derivatives, applied elementwise"),
            (r"$J$, $J^{(t)}$", r"the loss; the loss term of step $t$"),
            (
                r"$\alpha$, $\beta$",
                r"the learning rate; a bias value ($\mathbf{b}_f = \beta \mathbf{1}$)",
            ),
            (r"$\gamma$", r"the largest slope of the activation, $\sup_z |\phi'(z)|$"),
            (r"$\eta$", r"the share of its state a leaky unit keeps"),
            (
                r"$\lambda$, $\lambda_k$, $\xi_k$",
                r"eigenvalues; the coefficients of an expansion in eigenvectors",
            ),
            (r"$\omega$, $\zeta$", r"numbers named where they are used"),
            (r"$\rho(\mathbf{A})$", r"the spectral radius, the largest $|\lambda|$"),
            (
                r"$s_{\max}(\mathbf{A})$, $s_{\min}(\mathbf{A})$",
                r"the largest and the smallest singular value; $s_{\max}(\mathbf{A}) = \|\mathbf{A}\|_2$",
            ),
            (
                r"$w$, $h^{(t)}$, $\beta$",
                r"the weight, state and bias of a network of one unit ($n = 1$)",
            ),
            (
                r"$\psi_{\ell}$, $\hat{\Psi}$, $\pi_{\ell}$",
                r"the term of lag $\ell$ of a gradient; the estimate of randomised truncation; the probability $P(K > \ell)$ that it keeps lag $\ell$",
            ),
            (
                r"$\Omega$, $q_k$",
                r"the regulariser of Pascanu et al.; the factor by which step $k$ scales the back-propagated gradient's norm",
            ),
            (
                r"$P$, $\mathbb{E}$, $\mathcal{N}(0, \mathbf{I})$",
                r"a probability; an expectation; the standard normal distribution",
            ),
            (r"$\#\theta$", r"a number of parameters"),
            (r"$\operatorname{fl}(x)$", r"the double-precision number nearest to $x$"),
            (r"$\delta_{\mu\nu}$", r"the Kronecker delta: 1 if $\mu = \nu$, else 0"),
        ),
    ),
)

#: Letters used as integer indices (steps, entries, layers, lags): not quantities.
INDEX_LETTERS = frozenset("ijklmtT") | {"mu", "nu", "kappa", "tau", "ell"}
#: Letters of sizes (integers).
SIZE_LETTERS = frozenset("ndKLm")
#: Italic letters that are the one-unit (n = 1) or entry form of a bold quantity: the
#: entries b_μ, c_μ, f_μ, h_μ, x_μ, y_μ, z_μ; the one-unit h, x, z, u.
ONE_UNIT = frozenset("bcfhuxyz")


def notation_rows() -> list[tuple[str, str]]:
    """Every (symbol, meaning) row, in the table's order."""
    return [row for _, rows in NOTATION for row in rows]
