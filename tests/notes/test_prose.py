"""The claims' prose is LaTeX (gradsym.notes.prose): every piece of prose of every claim and
every figure caption passes check_prose; check_prose refuses what would go wrong on a page;
the Unicode and Markdown forms are derived from it; the bibliography resolves every cite."""

from __future__ import annotations

import re

import pytest

from gradsym.notes.bibliography import ENTRIES, cite_text, entry, thebibliography
from gradsym.notes.catalogue import IDS, claims
from gradsym.notes.lecture.teaching import CONVENTIONS, INTRODUCTIONS
from gradsym.notes.prose import ProseError, check_prose, escape_text, to_markdown, to_unicode
from gradsym.render.derivations import break_lines, claim_prose, claim_tex, figure_refs


@pytest.mark.parametrize("claim_id", IDS)
def test_every_piece_of_prose_of_every_claim_is_latex_prose(claim_id):
    (claim,) = claims([claim_id])
    keys = {e.key for e in ENTRIES}
    for part, text in claim_prose(claim):
        check_prose(text, f"{claim_id}, {part}")
        # and it has a Unicode form for terminals: every macro known, every cite found
        uni = to_unicode(text)
        assert "$" not in uni and "\\" not in uni and "{" not in uni, uni
        for group in re.findall(r"\\cite\{([^}]*)\}", text):
            for key in group.split(","):
                assert key.strip() in claim.sources, (claim_id, part, key)
    assert set(claim.sources) <= keys


def test_every_caption_section_and_introduction_is_latex_prose():
    for fig in figure_refs():
        check_prose(fig.caption, fig.name)
    for section, text in INTRODUCTIONS.items():
        check_prose(section)
        check_prose(text, section)
    check_prose(CONVENTIONS.removeprefix(r"\paragraph{Conventions.} "))


@pytest.mark.parametrize(
    ("prose", "why"),
    [
        ("the gradient \u2202h/\u2202x", "non-ASCII"),
        (r"the gradient $\partial h", "unclosed \\$"),
        ("the *left* side", "Markdown"),
        ("use `clip` here", "Markdown"),
        ("initialise(update_bias=a)", "sub- or superscript outside|Python"),
        ("Linear(10000, 100).n_params", "outside|Python"),
        ("Linear(10000, 100).count()", "Python"),
        ("the matrix [[0.9, 10], [0, 0.9]]", "Python list|Markdown"),
        (r"$[[0.9, 10], [0, 0.9]]$", "Python list"),
        (r"a \foo macro", r"macro \\foo"),
        (r"$\sigma{\left(z \right)} \weird$", r"macro \\weird"),
        ("an ``unclosed quotation", "unclosed quotation"),
        ('a "straight" quote', "straight double quote"),
        ("h^T outside math", "outside"),
        ("a {brace", "unbalanced braces"),
        ("$ x$", "starts or ends with a space"),
        (r"inputs in $\mathbb{X}^4$", "not a number set"),
    ],
)
def test_check_prose_refuses_what_would_go_wrong_on_a_page(prose, why):
    with pytest.raises(ProseError, match=why):
        check_prose(prose, "here")


def test_time_T_and_transpose_are_different_in_every_form():
    prose = r"$\mathbf{h}^{(T)}$ and $\mathbf{X}^{\top}$"
    assert check_prose(prose) == prose
    assert to_unicode(prose) == "h⁽ᵀ⁾ and Xᵀ"
    # In the source they can never be confused: the time T is a letter, the transpose a macro.
    assert r"\top" not in prose.split(" and ")[0] and "T" not in prose.split(" and ")[1]


def test_unicode_and_markdown_are_derived_from_the_latex():
    prose = (
        r"Algorithm 1 of \cite{pascanu2013}: if $\|\hat{\mathbf{g}}\| \geq \mathit{threshold}$, "
        r"\emph{rescale}; ``clip'' 50\% --- $e^{-z}$, $\lambda^{\ell-1}$"
    )
    check_prose(prose)
    assert to_unicode(prose) == (
        "Algorithm 1 of [Pascanu et al. 2013]: if ‖ĝ‖ ≥ threshold, rescale; “clip” 50% — e⁻ᶻ, λˡ⁻¹"
    )
    md = to_markdown(prose)
    assert md.startswith("Algorithm 1 of [Pascanu et al. 2013]: if $\\|\\hat{\\mathbf{g}}\\|")
    assert "*rescale*" in md and "“clip” 50% —" in md and "$e^{-z}$" in md
    assert "*" not in to_markdown(prose, in_math=True)  # no emphasis inside \text{}
    assert "$\\%$" in to_markdown(prose, in_math=True)
    assert to_unicode(r"inputs in $\mathbb{R}^4$, $\lvert x\rvert < 1$") == "inputs in ℝ⁴, |x| < 1"


def test_powers_print_as_powers_and_time_steps_in_parentheses():
    # The class of "e^{(-z)}" and "lambda^{(l-1)}": in the claims' prose a parenthesised
    # superscript is always a time index (t, T, i, j, k, 1, ... with an offset).
    time_index = re.compile(r"\^\{\((?:[tTijkn\d]|\\tau)(?:\s*[-+]\s*(?:\d|\\ell|k|K|[tT]))*\)\}")
    for claim in claims():
        texts = [*claim_prose(claim), ("derivation", claim_tex(claim))]
        for part, text in texts:  # the prose, and every formula the printer wrote
            for m in re.finditer(r"\^\{\([^}]*\)\}", text):
                assert time_index.fullmatch(m.group(0)), (claim.id, part, m.group(0))
    assert not time_index.fullmatch("^{(-z)}") and not time_index.fullmatch(r"^{(\ell-1)}")


def test_no_equation_number_is_typeset_inside_math():
    # The class of "(3)" in math: a bare parenthesised number inside $...$ is a reference
    # to an equation of a source, which belongs in the text ("eq.~(3) of \cite{...}").
    bare = re.compile(r"(?:^|[\s,;])\(\d+\)")
    for claim in claims():
        for part, text in claim_prose(claim):
            for math in re.findall(r"\$([^$]*)\$", text):
                assert not bare.search(math), (claim.id, part, math)


def test_bibliography_resolves_and_orders():
    assert cite_text("pascanu2013") == "[Pascanu et al. 2013]"
    assert cite_text("001, hochreiter1997") == "[RNN slides Part II; Hochreiter & Schmidhuber 1997]"
    lines = thebibliography(["pascanu2013", "001"])
    assert lines[0].startswith(r"\begin{thebibliography}") and lines[-1] == r"\end{thebibliography}"
    assert lines[1].startswith(r"\bibitem[RNN slides Part II]{001}")  # the courses, then papers
    assert lines[2].startswith(r"\bibitem[Pascanu et al. 2013]{pascanu2013}")
    with pytest.raises(Exception, match="no bibliography entry 'pascanu2031'"):
        entry("pascanu2031")
    for e in ENTRIES:
        check_prose(e.latex, e.key)


def test_a_line_is_never_cut_inside_an_environment_or_a_brace_group():
    cases = (
        r"\begin{cases} a + b + c + d + e + f + g + h & \text{if } k \leq t \\ "
        r"x + y + z + u + v + w & \text{otherwise} \end{cases}"
    )
    rhs = r"\mathbf{A} + " + cases + r" + \mathbf{B} + \mathbf{C}"
    lines = break_lines(rhs, 12)
    assert len(lines) > 1
    assert any(cases in line for line in lines)  # the environment stays whole
    group = r"\operatorname{f}{a + b + c + d + e + f + g + h + i}"
    assert all(line.count("{") == line.count("}") for line in break_lines(group + " + x", 8))


def test_a_users_plain_text_becomes_latex_prose():
    escaped = escape_text("Li et al., 'IndRNN', \"quoted\", 50% of x_1 {y} ~ #2 & \\")
    assert check_prose(escaped) == escaped
    assert "`IndRNN'" in escaped and "``quoted''" in escaped and r"50\%" in escaped
    assert to_unicode(escaped) == "Li et al., ‘IndRNN’, “quoted”, 50% of x_1 {y} ~ #2 & \\"


def test_a_name_set_as_a_symbol_is_never_also_a_plain_word():
    # The class of "threshold" set three ways in clip-norm: once a claim writes a name as a
    # symbol ($\mathit{threshold}$), its prose writes it that way everywhere.
    from gradsym.notes.prose import math_segments

    for claim in claims():
        segments = [seg for _, text in claim_prose(claim) for seg in math_segments(text)]
        words = " ".join(piece for is_math, piece in segments if not is_math)
        maths = " ".join(piece for is_math, piece in segments if is_math)
        for name in set(re.findall(r"\\math(?:it|rm)\{(\w{3,})\}", maths)):
            assert not re.search(rf"\b{name}\b", words), (claim.id, name)


def test_no_slash_between_words_reads_as_a_division():
    # The class of "1 - u / z": a slash in the text (outside $...$) reads as a division.
    from gradsym.notes.prose import math_segments

    for claim in claims():
        for part, text in claim_prose(claim):
            for is_math, piece in math_segments(text):
                if not is_math:
                    assert not re.search(r"\w\s*/\s*\w", piece.replace("Inf/NaN", "")), (
                        claim.id,
                        part,
                        piece,
                    )
