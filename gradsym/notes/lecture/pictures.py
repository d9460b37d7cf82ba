r"""The pictures of the lecture, drawn in TikZ: the unrolled graph and the three cells, each
with the path of the gradient marked.

A picture is authored LaTeX (a ``tikzpicture``), drawn in the notes' notation and fonts;
the forward computation is black, the path along which the gradient flows backwards is
red. Each has a one-line title and a caption saying what it shows. The notes need the
TikZ libraries ``arrows.meta`` and ``positioning`` (:data:`TIKZ_LIBRARIES`).
"""

from __future__ import annotations

from .plan import Picture

__all__ = ["PICTURES", "TIKZ_LIBRARIES", "TIKZ_STYLES", "picture"]

TIKZ_LIBRARIES = ("arrows.meta", "positioning")

# One set of styles for every picture: a node of the forward graph, an operation, a gate,
# a forward arrow and the gradient's path.
TIKZ_STYLES = (
    r"\tikzset{"
    r"state/.style={draw, rounded corners=2pt, minimum width=9mm, minimum height=6mm, "
    r"inner sep=2pt}, "
    r"op/.style={draw, circle, inner sep=0.5pt, minimum size=4.5mm}, "
    r"gate/.style={draw, fill=black!6, rounded corners=1pt, minimum width=7mm, "
    r"minimum height=5mm, inner sep=1pt}, "
    r"fwd/.style={-{Stealth[length=2mm]}, semithick}, "
    r"grad/.style={-{Stealth[length=2.4mm]}, very thick, red!70!black}, "
    r"gradlabel/.style={red!70!black, font=\small}"
    r"}"
)

UNROLLED = r"""\begin{tikzpicture}[node distance=6mm and 14mm]
\node[state] (h0) {$\mathbf{h}^{(0)}$};
\node[state, right=of h0] (h1) {$\mathbf{h}^{(1)}$};
\node[state, right=of h1] (h2) {$\mathbf{h}^{(2)}$};
\node[state, right=of h2] (h3) {$\mathbf{h}^{(3)}$};
\node[state, right=of h3] (h4) {$\mathbf{h}^{(4)}$};
\foreach \t in {1,2,3,4} {
  \node[below=7mm of h\t] (x\t) {$\mathbf{x}^{(\t)}$};
  \node[above=12mm of h\t] (J\t) {$J^{(\t)}$};
  \draw[fwd] (x\t) -- node[left, font=\footnotesize] {$\mathbf{W}_x$} (h\t);
  \draw[fwd] (h\t) -- (J\t);
}
\foreach \s/\t in {0/1, 1/2, 2/3, 3/4} {
  \draw[fwd] (h\s) -- node[below, font=\footnotesize] {$\mathbf{W}_h$} (h\t);
}
\draw[grad] (J4.east) to[out=-20, in=20] (h4.east);
\foreach \t/\s in {4/3, 3/2, 2/1} {
  \draw[grad] (h\t.north west) to[bend right=40] node[above, gradlabel]
    {$\frac{\partial \mathbf{h}^{(\t)}}{\partial \mathbf{h}^{(\s)}}$} (h\s.north east);
}
\end{tikzpicture}"""

RNN_CELL = r"""\begin{tikzpicture}[node distance=5mm and 9mm]
\node (hp) {$\mathbf{h}^{(t-1)}$};
\node[op, right=of hp] (mm) {$\mathbf{W}_h$};
\node[op, right=of mm] (plus) {$+$};
\node[gate, right=of plus] (act) {$\phi$};
\node[right=of act] (h) {$\mathbf{h}^{(t)}$};
\node[below=6mm of plus] (x) {$\mathbf{W}_x \mathbf{x}^{(t)} + \mathbf{b}$};
\draw[fwd] (hp) -- (mm);
\draw[fwd] (mm) -- (plus);
\draw[fwd] (x) -- (plus);
\draw[fwd] (plus) -- node[above, font=\footnotesize] {$\mathbf{z}^{(t)}$} (act);
\draw[fwd] (act) -- (h);
\draw[grad] ([yshift=3mm]h.north west) -- node[above, gradlabel]
  {$\operatorname{diag}(\phi'(\mathbf{z}^{(t)}))\, \mathbf{W}_h$} ([yshift=3mm]hp.north east);
\end{tikzpicture}"""

LSTM_CELL = r"""\begin{tikzpicture}[x=1cm, y=1cm]
\node (cp) at (0, 2.4) {$\mathbf{c}^{(t-1)}$};
\node[op] (fm) at (2.2, 2.4) {$\times$};
\node[op] (ca) at (4.2, 2.4) {$+$};
\node (c) at (8.4, 2.4) {$\mathbf{c}^{(t)}$};
\node (hp) at (0, 0) {$\mathbf{h}^{(t-1)}, \mathbf{x}^{(t)}$};
\node[gate] (f) at (2.2, 0.9) {$\sigma$};
\node[gate] (i) at (3.4, 0.9) {$\sigma$};
\node[gate] (g) at (4.6, 0.9) {$\tanh$};
\node[gate] (o) at (5.7, 0.9) {$\sigma$};
\node[op] (im) at (4.2, 1.6) {$\times$};
\node[gate] (t) at (6.9, 1.7) {$\tanh$};
\node[op] (om) at (6.9, 0.9) {$\times$};
\node (h) at (8.4, 0.9) {$\mathbf{h}^{(t)}$};
\draw[fwd] (hp.east) -| (f.south);
\draw[fwd] (hp.east) -| (i.south);
\draw[fwd] (hp.east) -| (g.south);
\draw[fwd] (hp.east) -| (o.south);
\draw[fwd] (f) -- node[left, font=\footnotesize] {$\mathbf{f}^{(t)}$} (fm);
\draw[fwd] (i) |- node[pos=0.25, left, font=\footnotesize] {$\mathbf{i}^{(t)}$} (im);
\draw[fwd] (g) |- node[pos=0.25, right, font=\footnotesize] {$\tilde{\mathbf{c}}^{(t)}$} (im);
\draw[fwd] (im) -- (ca);
\draw[fwd] (6.9, 2.4) -- (t);
\draw[fwd] (t) -- (om);
\draw[fwd] (o) -- node[above, font=\footnotesize] {$\mathbf{o}^{(t)}$} (om);
\draw[fwd] (om) -- (h);
\draw[grad] (c.west) -- (ca);
\draw[grad] (ca) -- (fm);
\draw[grad] (fm) -- (cp.east);
\node[gradlabel, above] at (3.2, 2.5)
  {$\partial \mathbf{c}^{(t)}/\partial \mathbf{c}^{(t-1)} = \operatorname{diag}(\mathbf{f}^{(t)})$};
\end{tikzpicture}"""

GRU_CELL = r"""\begin{tikzpicture}[x=1cm, y=1cm]
\node (hp) at (0, 2.4) {$\mathbf{h}^{(t-1)}$};
\node[op] (keep) at (2.6, 2.4) {$\times$};
\node[op] (add) at (5.8, 2.4) {$+$};
\node (h) at (8.0, 2.4) {$\mathbf{h}^{(t)}$};
\node (x) at (0, 0) {$\mathbf{x}^{(t)}$};
\node[gate] (u) at (2.6, 0.9) {$\sigma$};
\node[gate] (r) at (1.4, 0.9) {$\sigma$};
\node[op] (rm) at (3.9, 1.5) {$\times$};
\node[gate] (cand) at (4.9, 0.9) {$\tanh$};
\node[op] (um) at (5.8, 1.5) {$\times$};
\node[gate] (om) at (2.6, 1.6) {$1 - {\cdot}$};
\draw[fwd] (x.east) -| (r.south);
\draw[fwd] (x.east) -| (u.south);
\draw[fwd] (x.east) -| (cand.south);
\draw[fwd] (u) -- (om);
\draw[fwd] (om) -- node[left, font=\footnotesize] {$1 - \mathbf{u}^{(t)}$} (keep);
\draw[fwd] (u.east) -| node[pos=0.75, right, font=\footnotesize] {$\mathbf{u}^{(t)}$} (um);
\draw[fwd] (r) |- node[pos=0.2, left, font=\footnotesize] {$\mathbf{r}^{(t)}$} (rm);
\draw[fwd] (1.0, 2.4) |- (rm);
\draw[fwd] (rm) -| (cand);
\draw[fwd] (cand) -- node[right, font=\footnotesize] {$\tilde{\mathbf{h}}^{(t)}$} (um);
\draw[fwd] (um) -- (add);
\draw[grad] (h.west) -- (add);
\draw[grad] (add) -- (keep);
\draw[grad] (keep) -- (hp.east);
\node[gradlabel, above] at (4.2, 2.5) {$\operatorname{diag}(1 - \mathbf{u}^{(t)})$};
\end{tikzpicture}"""

PICTURES: dict[str, Picture] = {
    "unrolled": Picture(
        "unrolled",
        UNROLLED,
        "The RNN unrolled over four steps: one Jacobian per step on the way back",
        r"The RNN~\eqref{eq:rnn} unrolled over four steps. Black: the forward computation, "
        r"the same $\mathbf{W}_h$ and $\mathbf{W}_x$ at every step, a loss term $J^{(t)}$ "
        r"at every step. Red: the gradient of $J^{(4)}$ on its way back to "
        r"$\mathbf{h}^{(1)}$, multiplied by one Jacobian $\partial \mathbf{h}^{(t)}/\partial "
        r"\mathbf{h}^{(t-1)}$ per step it crosses.",
    ),
    "rnn-cell": Picture(
        "rnn-cell",
        RNN_CELL,
        "One step of the RNN, and the factor the gradient picks up",
        r"One step of the RNN~\eqref{eq:rnn}. Red: the path from $\mathbf{h}^{(t)}$ back to "
        r"$\mathbf{h}^{(t-1)}$, which multiplies the gradient by $\operatorname{diag}"
        r"(\phi'(\mathbf{z}^{(t)}))\, \mathbf{W}_h$ (Section~\ref{claim:rnn-jacobian}).",
    ),
    "lstm-cell": Picture(
        "lstm-cell",
        LSTM_CELL,
        "The LSTM: the cell's direct path multiplies only by the forget gate",
        r"One step of the LSTM~\eqref{eq:lstm}. Grey boxes are the gates and the candidate, "
        r"computed from $\mathbf{h}^{(t-1)}$ and $\mathbf{x}^{(t)}$; $\times$ is the "
        r"elementwise product. Red: the direct path from $\mathbf{c}^{(t)}$ back to "
        r"$\mathbf{c}^{(t-1)}$, which crosses no weight matrix and no activation, only the "
        r"forget gate (Section~\ref{claim:lstm-cell-path}).",
    ),
    "gru-cell": Picture(
        "gru-cell",
        GRU_CELL,
        "The GRU: the short path multiplies by one minus the update gate",
        r"One step of the GRU~\eqref{eq:gru}. The reset gate $\mathbf{r}^{(t)}$ decides what "
        r"the candidate $\tilde{\mathbf{h}}^{(t)}$ sees of $\mathbf{h}^{(t-1)}$; the update "
        r"gate $\mathbf{u}^{(t)}$ mixes the candidate into the state. Red: the short path "
        r"from $\mathbf{h}^{(t)}$ back to $\mathbf{h}^{(t-1)}$, the term $\operatorname{diag}"
        r"(1 - \mathbf{u}^{(t)})$ of the Jacobian (Section~\ref{claim:gru-jacobian}).",
    ),
}


def picture(name: str) -> Picture:
    """The picture ``name`` (KeyError naming the known ones otherwise)."""
    if name not in PICTURES:
        raise KeyError(f"no picture {name!r}; known: {', '.join(PICTURES)}")
    return PICTURES[name]
