r"""The bibliography of the notes: the five lecture notes and the papers the claims rest on.

A claim names its sources by key (``sources=("001", "pascanu2013")``) and its prose cites
them with ``\cite{key}``. :func:`thebibliography` gives the LaTeX list (no BibTeX run is
needed: ``\bibitem[label]{key}``, so ``\cite`` prints the label, such as ``[Pascanu et
al. 2013]``), :func:`markdown_references` the same list in Markdown, and
:func:`cite_text` what a ``\cite`` prints, for the Markdown and terminal forms of the prose.
Every entry was checked against a public record of the work (title, venue, year).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gradsym.errors import UnknownNameError, did_you_mean

__all__ = ["ENTRIES", "Entry", "cite_text", "entry", "markdown_references", "thebibliography"]


@dataclass(frozen=True)
class Entry:
    """One work: ``key`` (as cited), ``label`` (what a citation prints), ``latex`` (the
    reference as LaTeX text) and ``markdown`` (the same in Markdown)."""

    key: str
    label: str
    latex: str
    markdown: str


def _entry(key: str, label: str, authors: str, title: str, where: str) -> Entry:
    stop = "" if authors.endswith(".") else "."  # "... et al." ends its own sentence
    latex = f"{authors}{stop} \\emph{{{title}}}. {where}."
    md = f"{_plain(authors)}{stop} *{_plain(title)}*. {_plain(where)}."
    return Entry(key, label, latex, md)


def _plain(latex: str) -> str:
    """The few text macros of the entries, in Unicode (for Markdown and terminals)."""
    for tex, uni in (("--", "–"), ("~", "\u00a0"), ("\\&", "&"), ('\\"e', "ë")):
        latex = latex.replace(tex, uni)
    return latex


ENTRIES: tuple[Entry, ...] = (
    # -- the lecture notes the claims come from (their text is in shared/seeds) ----------------
    _entry(
        "000",
        "000",
        "Lecture notes",
        "Course 7 -- Vanishing Gradients, Fancy RNN",
        "Notes on the lecture on vanishing gradients, LSTM, GRU and bidirectional RNNs of "
        "a course on natural language processing with deep learning",
    ),
    _entry(
        "001",
        "001",
        "Lecture slides",
        "Recurrent Neural Networks (Part II): Issues with RNNs, Advanced RNNs",
        "Slides on the vanishing gradient, gradient clipping, LSTM, GRU and bidirectional "
        "and multi-layer RNNs",
    ),
    _entry(
        "002",
        "002",
        "Course notes",
        "7 -- Vanishing Gradients and Fancy RNNs",
        "Notes on Lecture 7 of Stanford XCS224N, Natural Language Processing with Deep "
        "Learning, 2022",
    ),
    _entry(
        "003",
        "003",
        "T.~Dash",
        "Dealing with Vanishing Gradients in RNN",
        "Lecture, Department of Computer Science \\& Information Systems and APPCAIR, "
        "BITS Pilani, Goa Campus, 6 November 2021",
    ),
    _entry(
        "004",
        "004",
        "Course notes",
        "Recurrent neural networks: motivation, simple RNN and backpropagation, the "
        "training of RNNs, LSTM and GRU",
        "Notes of a course on deep learning for sequences, with its quiz questions",
    ),
    # -- the papers the claims rest on ----------------------------------------------------------
    _entry(
        "bengio1994",
        "Bengio et al. 1994",
        "Y.~Bengio, P.~Simard and P.~Frasconi",
        "Learning long-term dependencies with gradient descent is difficult",
        "IEEE Transactions on Neural Networks 5(2):157--166, 1994",
    ),
    _entry(
        "hochreiter1997",
        "Hochreiter \\& Schmidhuber 1997",
        "S.~Hochreiter and J.~Schmidhuber",
        "Long short-term memory",
        "Neural Computation 9(8):1735--1780, 1997",
    ),
    _entry(
        "gers2000",
        "Gers et al. 2000",
        "F.~A. Gers, J.~Schmidhuber and F.~Cummins",
        "Learning to forget: continual prediction with LSTM",
        "Neural Computation 12(10):2451--2471, 2000",
    ),
    _entry(
        "gers2000peephole",
        "Gers \\& Schmidhuber 2000",
        "F.~A. Gers and J.~Schmidhuber",
        "Recurrent nets that time and count",
        "Proceedings of the IEEE-INNS-ENNS International Joint Conference on Neural "
        "Networks (IJCNN 2000), vol.~3, 189--194, 2000",
    ),
    _entry(
        "pascanu2013",
        "Pascanu et al. 2013",
        "R.~Pascanu, T.~Mikolov and Y.~Bengio",
        "On the difficulty of training recurrent neural networks",
        "Proceedings of the 30th International Conference on Machine Learning (ICML), "
        "PMLR 28(3):1310--1318, 2013",
    ),
    _entry(
        "cho2014",
        "Cho et al. 2014",
        r"K.~Cho, B.~van Merri\"enboer, C.~Gulcehre, D.~Bahdanau, F.~Bougares, H.~Schwenk "
        "and Y.~Bengio",
        "Learning phrase representations using RNN encoder-decoder for statistical machine "
        "translation",
        "Proceedings of the 2014 Conference on Empirical Methods in Natural Language "
        "Processing (EMNLP), 1724--1734, 2014",
    ),
    _entry(
        "le2015",
        "Le et al. 2015",
        "Q.~V. Le, N.~Jaitly and G.~E. Hinton",
        "A simple way to initialize recurrent networks of rectified linear units",
        "arXiv:1504.00941, 2015",
    ),
    _entry(
        "jozefowicz2015",
        "Jozefowicz et al. 2015",
        "R.~Jozefowicz, W.~Zaremba and I.~Sutskever",
        "An empirical exploration of recurrent network architectures",
        "Proceedings of the 32nd International Conference on Machine Learning (ICML), "
        "PMLR 37:2342--2350, 2015",
    ),
    _entry(
        "wu2016",
        "Wu et al. 2016",
        "Y.~Wu, M.~Schuster, Z.~Chen, Q.~V. Le, M.~Norouzi et al.",
        "Google's neural machine translation system: bridging the gap between human and "
        "machine translation",
        "arXiv:1609.08144, 2016",
    ),
    _entry(
        "linzen2016",
        "Linzen et al. 2016",
        "T.~Linzen, E.~Dupoux and Y.~Goldberg",
        "Assessing the ability of LSTMs to learn syntax-sensitive dependencies",
        "Transactions of the Association for Computational Linguistics 4:521--535, 2016",
    ),
)

_BY_KEY = {e.key: e for e in ENTRIES}


def entry(key: str) -> Entry:
    """The entry cited as ``key``; :class:`UnknownNameError` (with a suggestion) otherwise."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise UnknownNameError(
            f"no bibliography entry {key!r}{did_you_mean(key, list(_BY_KEY))}"
        ) from None


def cite_text(keys: str) -> str:
    """What ``\\cite{keys}`` prints: ``[Pascanu et al. 2013]``, ``[a; b]`` for several."""
    labels = [_plain(entry(k.strip()).label) for k in keys.split(",")]
    return "[" + "; ".join(labels) + "]"


def _ordered(keys: Iterable[str]) -> list[Entry]:
    wanted = set(keys)
    for k in wanted:
        entry(k)
    return [e for e in ENTRIES if e.key in wanted]


def thebibliography(keys: Iterable[str]) -> list[str]:
    """The lines of a ``thebibliography`` with the entries of ``keys`` (notes first, then
    papers, in a fixed order)."""
    chosen = _ordered(keys)
    widest = max((e.label for e in chosen), key=len, default="M")
    out = [rf"\begin{{thebibliography}}{{{widest}}}"]
    out += [rf"\bibitem[{e.label}]{{{e.key}}} {e.latex}" for e in chosen]
    return out + [r"\end{thebibliography}"]


def markdown_references(keys: Iterable[str]) -> list[str]:
    """The entries of ``keys`` as a Markdown list, each led by its label."""
    return [f"- **{cite_text(e.key)}** {e.markdown}" for e in _ordered(keys)]
