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
    for tex, uni in (
        ("--", "–"),
        ("~", "\u00a0"),
        ("\\&", "&"),
        ('\\"e', "ë"),
        ("``", "“"),
        ("''", "”"),
    ):
        latex = latex.replace(tex, uni)
    return latex


ENTRIES: tuple[Entry, ...] = (
    # -- the course documents the lecture was born from (their text is in shared/seeds) --------
    # Cited by title and course, as the documents they are; a label a student can search for.
    _entry(
        "000",
        "CS224n class notes 2020",
        "Author not named",
        "Course 7 -- Vanishing Gradients, Fancy RNN",
        "Class notes on lecture 7 of Stanford CS224n, Natural Language Processing with Deep "
        "Learning; blog nobugs.dev, 16 March 2020",
    ),
    _entry(
        "001",
        "RNN slides Part II",
        "Author not named",
        "Recurrent Neural Networks (Part II): Issues with RNNs, Advanced RNNs",
        "Lecture slides; much of their text and their equations follow the Stanford CS224n lecture slides on "
        "vanishing gradients and fancy RNNs [See 2019]",
    ),
    _entry(
        "002",
        "XCS224N notes 2022",
        "Author not named",
        "7 -- Vanishing Gradients and Fancy RNNs",
        "Course notes on lecture 7 of Stanford XCS224N, Natural Language Processing with Deep "
        "Learning (Stanford Online), 2022",
    ),
    _entry(
        "003",
        "Dash 2021",
        "T.~Dash",
        "Dealing with Vanishing Gradients in RNN",
        "Lecture slides, Department of Computer Science \\& Information Systems and APPCAIR, "
        "BITS Pilani, Goa Campus, 6 November 2021",
    ),
    _entry(
        "004",
        "HSE course notes",
        "Author not named",
        "Deep Learning for Sequences",
        "Notes, with the quiz questions, on week 5 of Introduction to Deep Learning, National "
        "Research University Higher School of Economics (Coursera)",
    ),
    _entry(
        "see2019",
        "See 2019",
        "A.~See",
        "Lecture 7: Vanishing Gradients and Fancy RNNs",
        "Slides, Stanford CS224N/Ling284, Natural Language Processing with Deep Learning, "
        "winter 2019",
    ),
    # -- the papers and books the claims rest on -----------------------------------------------
    _entry(
        "williams1990",
        "Williams \\& Peng 1990",
        "R.~J. Williams and J.~Peng",
        "An efficient gradient-based algorithm for on-line training of recurrent network "
        "trajectories",
        "Neural Computation 2(4):490--501, 1990",
    ),
    _entry(
        "mozer1992",
        "Mozer 1992",
        "M.~C. Mozer",
        "The induction of multiscale temporal structure",
        "Advances in Neural Information Processing Systems 4, 275--282, 1992",
    ),
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
        "jaeger2001",
        "Jaeger 2001",
        "H.~Jaeger",
        "The ``echo state'' approach to analysing and training recurrent neural networks",
        "GMD Report 148, German National Research Center for Information Technology, 2001",
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
        "olah2015",
        "Olah 2015",
        "C.~Olah",
        "Understanding LSTM networks",
        "Blog post, colah.github.io, 27 August 2015",
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
        "goodfellow2016",
        "Goodfellow et al. 2016",
        "I.~Goodfellow, Y.~Bengio and A.~Courville",
        "Deep Learning",
        "MIT Press, 2016, chapter 10, Sequence Modeling: Recurrent and Recursive Nets",
    ),
    _entry(
        "linzen2016",
        "Linzen et al. 2016",
        "T.~Linzen, E.~Dupoux and Y.~Goldberg",
        "Assessing the ability of LSTMs to learn syntax-sensitive dependencies",
        "Transactions of the Association for Computational Linguistics 4:521--535, 2016",
    ),
    _entry(
        "tallec2017",
        "Tallec \\& Ollivier 2017",
        "C.~Tallec and Y.~Ollivier",
        "Unbiasing truncated backpropagation through time",
        "arXiv:1705.08209, 2017",
    ),
    _entry(
        "zhang2023",
        "Zhang et al. 2023",
        "A.~Zhang, Z.~C. Lipton, M.~Li and A.~J. Smola",
        "Dive into Deep Learning",
        "Cambridge University Press, 2023, section 9.7, Backpropagation Through Time",
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
