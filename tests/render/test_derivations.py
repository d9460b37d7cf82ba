"""The derivations: every claim renders as ASCII LaTeX and as Markdown, the Unicode → LaTeX
converter gives the exact strings, rewrites are byte-identical and atomic, notes.tex
compiles with a real pdflatex without errors, undefined references or overfull lines, and
the committed derivations/ are what the code makes."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import sympy as sp

from gradsym import files
from gradsym.errors import GradsymError, UnknownNameError
from gradsym.proofs.catalogue import IDS, claims
from gradsym.proofs.claim import SECTIONS, Claim, Step
from gradsym.render import derivations as dv
from gradsym.render.derivations import pdflatex
from gradsym.render.unicode_latex import UnicodeLatexError, math_to_latex, text_to_latex

REPO = Path(__file__).parents[2]
HAS_PDFLATEX = shutil.which("pdflatex") is not None


def _toy_claim(**changes) -> Claim:
    """A one-step claim to show the renderer bad input."""
    x = sp.Symbol("x")
    base = Claim(
        id="toy",
        title="A toy claim",
        statement="x = x",
        assumptions=(),
        steps=(Step(x, "=", x, "reflexivity"),),
        sources=("001",),
        section=SECTIONS[0],
    )
    return dataclasses.replace(base, **changes)


# -- the converter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("h⁽ᵗ⁻¹⁾", "$h^{(t-1)}$"),
        ("W_hˡ", r"$W_h^{\ell}$"),
        ("|λ₁|", r"$|\lambda_{1}|$"),
        ("‖Qˡx‖", r"$\|Q^{\ell}x\|$"),
        ("θⁿᵉʷ", r"$\theta^{\mathrm{new}}$"),
        ("θᵒˡᵈ", r"$\theta^{\mathrm{old}}$"),
        ("c̃", r"$\tilde{c}$"),
        ("ĝ", r"$\hat{g}$"),
        ("50% of a_b", r"50\% of $a_b$"),
        ("initialise(update_bias=a)", r"initialise(update\_bias=a)"),
        ("#θ & {x} ~ y^2 \\", r"$\#\theta$ \& \{x\} \~{} y\^{}2 \textbackslash{}"),
        ("h⁽ᵗ⁻¹⁾ᵀ", r"$h^{(t-1)\top}$"),
        ("∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾", r"$\partial h^{(T)}/\partial h^{(T-\ell)}$"),
        ("[→h⁽ᵗ⁾; ←h⁽ᵗ⁾]", r"[$\overrightarrow{h}^{(t)}$; $\overleftarrow{h}^{(t)}$]"),
        ("b_u → −∞", r"$b_u \to -\infty$"),
        ("QΛQ⁻¹", r"$Q\Lambda Q^{-1}$"),
        ("λ^(ℓ−1)", r"$\lambda^{(\ell-1)}$"),
        ("∇_θJ(θ)", r"$\nabla_{\theta}J(\theta)$"),
        ("σ_max(W_h) < 1/γ", r"$\sigma_{\max}(W_h) < 1/\gamma$"),
        ("(γ = 1 for tanh)", r"($\gamma = 1$ for tanh)"),
        ("With u = 0 the GRU", "With $u = 0$ the GRU"),
        ("∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾.", r"$\prod_{j<t\leq i} \partial h^{(t)}/\partial h^{(t-1)}$."),
        ("100·100 + 100 = 1 000 100.", r"$100\cdot100 + 100 = 1\,000\,100$."),
        ("b_u = −a (001)", "$b_u = -a$ (001)"),
        ("≠ stays one symbol", r"$\neq$ stays one symbol"),
        ("the 1997 LSTM — no forget gate", "the 1997 LSTM --- no forget gate"),
    ],
)
def test_text_to_latex_exact(text, latex):
    assert text_to_latex(text) == latex


def test_text_for_mathjax_escapes_through_math():
    # MathJax's \text{} has no \_ or \%: those go through math there.
    assert text_to_latex("50% of update_bias", flavour="mathjax") == r"50$\%$ of update$\_$bias"


@pytest.mark.parametrize(
    ("latex", "converted"),
    [
        (r"\mathbf{h₁}^{(t)}", r"\mathbf{h_{1}}^{(t)}"),
        (r"x && \text{(σ is the identity)}", r"x && \text{($\sigma$ is the identity)}"),
        (r"f_{i δ ij}", r"f_{i \delta ij}"),
        (r"\frac{\partial J}{\partial \mathbf{W}_h}", r"\frac{\partial J}{\partial \mathbf{W}_h}"),
        ("λp", r"\lambda p"),
    ],
)
def test_math_to_latex_converts_only_the_unicode(latex, converted):
    assert math_to_latex(latex) == converted


def test_unknown_character_names_the_character_and_the_claim():
    claim = _toy_claim(statement="a snowman ☃ is not mathematics")
    with pytest.raises(UnicodeLatexError, match=r"'☃' \(U\+2603 SNOWMAN\) in claim 'toy'"):
        dv.claim_tex(claim)
    with pytest.raises(GradsymError):
        text_to_latex("☃")
    with pytest.raises(UnicodeLatexError, match=re.escape("U+2603")):
        math_to_latex(r"\mathbf{☃}")


def test_a_python_repr_in_the_latex_is_refused():
    # A function's repr where a name's LaTeX belongs ("<function f at 0x…>") is not maths,
    # and a different address on every run.
    from gradsym.proofs.notation import Named

    bad = Named("f", 1, 1, f"<function f at {hex(id(_toy_claim))}>")
    claim = _toy_claim(steps=(Step(bad, "=", bad, "reflexivity"),))
    with pytest.raises(dv.RenderError, match="claim 'toy', step 1.*Python object"):
        dv.claim_tex(claim)


# -- one claim ------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim_id", IDS)
def test_every_claim_renders_as_ascii_tex_and_markdown(claim_id):
    (claim,) = claims([claim_id])
    tex = dv.claim_tex(claim)
    assert tex.isascii(), sorted({c for c in tex if not c.isascii()})
    lines = tex.splitlines()
    assert lines[0] == "% generated by gradsym -- do not edit; regenerate with `gradsym derive`"
    assert lines[1].startswith(r"\subsection{") and lines[1].endswith(
        rf"\label{{claim:{claim_id}}}"
    )
    start = tex.index(r"\begin{align*}", tex.index(r"\paragraph{Derivation.}"))
    body = tex[start : tex.index(r"\end{align*}", start)]
    rows = body.removeprefix("\\begin{align*}\n").split("\\\\\n")
    assert sum(not row.startswith("&") for row in rows) == len(claim.steps)  # one lhs per step
    justified = sum(bool(s.justification) for s in claim.steps)
    assert body.count(" && ") == justified
    assert ("\\paragraph{Precisely:}" in tex) == bool(claim.caveat)
    assert "Sources.} " + ", ".join(f"[{s}]" for s in claim.sources) in tex
    assert len(re.findall(r"\\left(?![a-z])", tex)) == len(re.findall(r"\\right(?![a-z])", tex))

    md = dv.claim_markdown(claim)
    assert md.startswith(
        "<!-- generated by gradsym — do not edit; regenerate with gradsym derive -->\n"
    )
    assert f"\n## {claim.title}\n".replace("_", r"\_").replace("*", r"\*") in md
    for block in re.findall(r"\$\$\n(.*?)\n\$\$", md, flags=re.DOTALL):
        assert block.isascii(), block  # MathJax gets LaTeX, not raw Unicode
    assert "$$\n\\begin{aligned}\n" in md and "\n\\end{aligned}\n$$\n" in md
    assert md.count(" && \\text{") == justified


def test_the_slide_layout_of_a_step():
    (claim,) = claims(["linear-case"])
    tex = dv.claim_tex(claim)
    assert (
        r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} &= \mathbf{W}_h "
        r"&& \text{($\sigma$ is the identity)}"
    ) in tex


def test_checked_lists_kinds_and_methods_but_no_timings():
    (claim,) = claims(["linear-case"])
    tex = dv.claim_tex(claim)
    assert r"\item symbolic: every entry at $n = 3 (d = 2)$ against Matrix.jacobian" in tex
    assert "numeric: NumPy RNN: backward pass against state\\_jacobian products" in tex
    assert not re.search(r"\d\.\d+e[-+]\d|seconds| s\b", tex)


def _normal(latex: str) -> str:
    """LaTeX with line breaks of the layout undone and whitespace collapsed."""
    latex = latex.replace("\\\\\n&\\quad ", " ").replace(r"\right.", "").replace(r"\left.", "")
    return re.sub(r"\s+", " ", latex)


@pytest.mark.parametrize("claim_id", IDS)
def test_every_row_is_printed_from_the_steps_objects(claim_id):
    """The derivation's rows are the steps' own pieces (lhs, relation, rhs, conditions),
    each the printing of the SymPy object the checks evaluate; nothing is re-parsed."""
    from gradsym.render.unicode_latex import math_to_latex

    (claim,) = claims([claim_id])
    tex = dv.claim_tex(claim)
    body = _normal(
        tex[
            tex.index(r"\paragraph{Derivation.}") : tex.index(
                r"\end{align*}", tex.index(r"\paragraph{Derivation.}")
            )
        ]
    )
    style = claim.style
    for step in claim.steps:
        lhs, rel = math_to_latex(step.lhs_latex(style)), math_to_latex(step.relation_latex(style))
        assert _normal(f"{lhs} &{rel} ") in body, (claim_id, lhs)
        assert _normal(math_to_latex(step.rhs_latex(style))) in body, (claim_id, step.rhs)
        if step.where or step.hypotheses:
            assert _normal(math_to_latex(step.conditions_latex(style))) in body, (
                claim_id,
                step.text,
            )


def test_transposes_print_as_top_and_the_conventions_are_stated_once(written):
    for path in written.iterdir():
        text = path.read_text()
        # T is the sequence length (\sum_{t=1}^{T}); a transpose prints as \top, and
        # never inside a time superscript h^{(T-k)}
        assert not re.search(r"(?<!\})\^\{?T\b", text), path.name
        assert r"(\top" not in text, path.name
    notes = (written / "notes.tex").read_text()
    assert notes.count(r"\paragraph{Conventions.}") == 1
    assert "numerator layout" in notes and r"\mathbf{X}^{\top}" in notes
    assert notes.index(r"\paragraph{Conventions.}") < notes.index(r"\section{")


def test_each_derivation_restates_its_cells_equations():
    (claim,) = claims(["lstm-jacobians"])
    tex = dv.claim_tex(claim)
    assert r"\paragraph{The LSTM (standard).}" in tex
    assert (
        r"\mathbf{z}_f^{(t)} &= \mathbf{W}_f \mathbf{h}^{(t-1)} + \mathbf{U}_f \mathbf{x}^{(t)} + \mathbf{b}_f"
        in tex
    )
    (gru,) = claims(["gru-variants"])
    tex = dv.claim_tex(gru)
    for name in (r"\mathbf{a}_n^{(t)} &=", r"\mathbf{g}_n^{(t)} &=", r"\mathbf{z}_u^{(t)} &="):
        assert name in tex


def test_long_lines_are_cut_at_top_level_sums():
    rhs = " + ".join([r"\operatorname{diag}\left(\mathbf{a} + \mathbf{b}\right) \mathbf{W}"] * 6)
    lines = dv.break_lines(rhs, 30)
    assert len(lines) > 1
    assert all(dv.latex_width(x) <= 30 for x in lines)
    assert " ".join(lines) == rhs
    # a product with a long bracket is opened there, closing and reopening it
    long = r"\mathbf{A} \left(" + rhs + r"\right)"
    pieces = dv.break_lines(long, 30)
    assert pieces[0].endswith(r"\right.") and pieces[-1].endswith(r"\right)")
    assert all(p.count(r"\left") == p.count(r"\right") for p in pieces)


# -- the folder --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "derivations"
    dv.write_derivations(out)
    return out


def test_write_gives_every_claim_and_notes(written):
    names = sorted(p.name for p in written.iterdir())
    expected = sorted([f"{i}.tex" for i in IDS] + [f"{i}.md" for i in IDS] + ["notes.tex"])
    assert names == expected


def test_regeneration_is_byte_identical(written, tmp_path):
    again = tmp_path / "derivations"
    dv.write_derivations(again)
    for path in sorted(written.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_notes_inputs_every_claim_in_order_and_places_every_figure(written):
    notes = (written / "notes.tex").read_text()
    assert notes.isascii()
    inputs = re.findall(r"\\input\{([^}]+)\}", notes)
    assert inputs == [c.id for c in claims()]
    sections = re.findall(r"\\section\{([^}]+)\}", notes)
    assert sections == [s for s in SECTIONS if any(c.section == s for c in claims())]
    for fig in dv.figure_refs():
        include = rf"\includegraphics[width=\linewidth]{{../figures/{fig.name}.pdf}}"
        assert notes.count(include) == 1
        assert rf"Figure~\ref{{fig:{fig.name}}}" in notes
        last = max(notes.index(rf"\input{{{i}}}") for i in fig.claims)
        assert notes.index(include) > last  # after the last claim it illustrates
    assert "\\begin{document}" in notes and notes.endswith("\\end{document}\n")


def test_figures_path_is_relative_to_the_derivations(tmp_path):
    dv.write_derivations(tmp_path / "out" / "derivations", figures_dir=tmp_path / "art" / "figs")
    notes = (tmp_path / "out" / "derivations" / "notes.tex").read_text()
    assert "{../../art/figs/clipping.pdf}" in notes
    assert str(tmp_path) not in notes


def test_some_ids_write_only_their_files(tmp_path):
    paths = dv.write_derivations(tmp_path, ["clip-norm", "cec"])
    assert [p.name for p in paths] == ["clip-norm.tex", "clip-norm.md", "cec.tex", "cec.md"]
    assert not (tmp_path / "notes.tex").exists()


def test_unknown_id_is_a_clear_error_and_writes_nothing(tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown claim 'clip-nrom'.*'clip-norm'"):
        dv.write_derivations(tmp_path, ["cec", "clip-nrom"])
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_the_previous_file(tmp_path, monkeypatch):
    dv.write_derivations(tmp_path, ["cec", "clip-norm"])
    old = tmp_path / "clip-norm.tex"
    old.write_text("the previous file\n")
    real_replace = files.os.replace

    def replace(src, dst):
        if Path(dst).name == "clip-norm.tex":
            raise KeyboardInterrupt  # Ctrl-C between writing and moving
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        dv.write_derivations(tmp_path, ["cec", "clip-norm"])
    assert old.read_text() == "the previous file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cec.md",
        "cec.tex",
        "clip-norm.md",
        "clip-norm.tex",
    ]  # no temporary file left behind


# -- pdflatex --------------------------------------------------------------------------------------


def test_missing_pdflatex_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(pdflatex.shutil, "which", lambda name: None)
    with pytest.raises(dv.LatexError, match="pdflatex was not found on PATH"):
        dv.compile_pdf(tmp_path)


def test_missing_figures_are_named_before_pdflatex_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(pdflatex.shutil, "which", lambda name: "/nonexistent/pdflatex")
    dv.write_derivations(tmp_path / "derivations", figures_dir=tmp_path / "figures")
    with pytest.raises(dv.LatexError, match=r"\.\./figures/gradient-norms\.pdf.*gradsym figures"):
        dv.compile_pdf(tmp_path / "derivations")


@pytest.fixture
def figures_dir(built_figures) -> Path:
    """Every figure made by its real code (the session's one build, conftest.py)."""
    return built_figures.folder


@pytest.mark.skipif(
    not HAS_PDFLATEX,
    reason="pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)",
)
def test_notes_compile_without_errors_undefined_references_or_overfull_lines(figures_dir, tmp_path):
    out = tmp_path / "derivations"
    dv.write_derivations(out, figures_dir=figures_dir)
    pdf = dv.compile_pdf(out, keep_log=True)  # raises on errors and undefined references
    assert pdf == out / "notes.pdf" and pdf.read_bytes().startswith(b"%PDF")
    log = (out / "notes.log").read_text()
    assert "undefined" not in log.lower()
    for figure in dv.figure_refs():
        assert f"{figure.name}.pdf" in log  # every figure was included
    assert not [b for b in dv.overfull_boxes(log) if float(re.findall(r"[\d.]+", b)[0]) > 1.0]
    assert sorted(p.name for p in out.iterdir() if p.suffix not in (".tex", ".md")) == [
        "notes.log",
        "notes.pdf",
    ]  # the auxiliary files stay out of the folder


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (r"\undefinedmacro", r"Undefined control sequence"),
        (r"see~\ref{nowhere}", r"undefined"),
    ],
)
def test_latex_problems_are_quoted(tmp_path, body, message):
    (tmp_path / "notes.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    with pytest.raises(dv.LatexError, match=message):
        dv.compile_pdf(tmp_path)
    assert not (tmp_path / "notes.pdf").exists()


# -- the committed files --------------------------------------------------------------------------


def test_committed_derivations_are_current(tmp_path):
    committed = REPO / "derivations"
    fresh = tmp_path / "derivations"
    dv.write_derivations(fresh, figures_dir=tmp_path / "figures")  # ../figures, as in the repo
    made = sorted(p.name for p in fresh.iterdir())
    there = sorted(p.name for p in committed.iterdir() if p.suffix in (".tex", ".md"))
    assert there == made
    stale = [n for n in made if (committed / n).read_bytes() != (fresh / n).read_bytes()]
    assert not stale, f"out of date, regenerate with `gradsym derive`: {stale}"
