"""The ``gradsym`` command line.

    gradsym build      the main job: derive + figures + verify, with a report
    gradsym derive     LaTeX and Markdown derivations of every claim, and notes.tex
    gradsym figures    the figures of the notes, with the data behind each
    gradsym verify     check every claim symbolically and numerically
    gradsym check      check a candidate Jacobian of a cell
    gradsym train      train a recurrent network on a long-dependency task
    gradsym bench      the speed benchmarks (ratios against torch in the same process)

Exit codes: 0 success, 1 a check failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

from gradsym.errors import GradsymError, InvalidValueError


def _writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove it is writable, or a clear error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".gradsym-write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InvalidValueError(f"output folder {str(path)!r} is not writable: {exc}") from exc
    return path


def _print_backend_report(rows) -> bool:
    print("Numeric backend: hand-written backward passes and state Jacobians")
    print("against central differences (float64, relative error, pass < 1e-7)")
    print(f"  {'cell':22} {'worst gradient':>16} {'error':>10} {'Jacobian error':>15}")
    ok = True
    for r in rows:
        ok &= r.passed
        print(
            f"  {r.label:22} {r.worst_gradient:>16} {r.gradient_error:10.2e} "
            f"{r.jacobian_error:15.2e}  {'✓' if r.passed else '✗'}"
        )
    return ok


def _derive(out: Path, ids, pdf: bool) -> list[Path]:
    from gradsym.render.derivations import compile_pdf, write_derivations

    derivations = _writable_dir(out / "derivations")
    paths = write_derivations(derivations, ids, figures_dir=out / "figures")
    if pdf:
        paths.append(compile_pdf(derivations))
    return paths


def _figures(out: Path, names, seed: int) -> list[Path]:
    from gradsym.render.figures import figure_names, make_figures

    names = list(names) if names else list(figure_names())
    figures = _writable_dir(out / "figures")

    def progress(name, index, total, seconds):
        print(f"  [{index}/{total}] {name:20} {seconds:6.1f} s", flush=True)

    return make_figures(figures, names, seed=seed, progress=progress)


def _check_pdflatex(pdf: bool) -> None:
    import shutil

    if pdf and shutil.which("pdflatex") is None:
        raise InvalidValueError(
            "--pdf needs pdflatex on the PATH (Debian: apt-get install texlive-latex-base "
            "texlive-latex-recommended texlive-fonts-recommended)"
        )


def cmd_build(args) -> int:
    from gradsym.numeric.selfcheck import check_backend
    from gradsym.proofs import verify
    from gradsym.render.figures import figure_names

    t0 = time.perf_counter()
    out = _writable_dir(Path(args.out))
    _check_pdflatex(args.pdf)
    print(f"gradsym build → {out.resolve()}\n")
    print("1/4 figures")
    figure_paths = _figures(out, None, args.seed)
    print(f"2/4 derivations{' and notes.pdf' if args.pdf else ''}")
    derivation_paths = _derive(out, None, args.pdf)
    print("3/4 verifying every claim\n")
    report = verify(seed=args.seed)
    print(report.table())
    print("\n4/4 checking the numeric backend\n")
    backend_ok = _print_backend_report(check_backend(seed=args.seed))
    print("\nWritten:")
    print(
        f"  {len(derivation_paths):3} files in {out / 'derivations'} "
        f"(one .tex and .md per claim, notes.tex{', notes.pdf' if args.pdf else ''})"
    )
    print(
        f"  {len(figure_paths):3} files in {out / 'figures'} "
        f"({len(figure_names())} figures as .pdf, .png and their data as .json)"
    )
    ok = report.passed and backend_ok
    n_claims = len(report.rows)
    status = "every claim verified" if ok else "SOME CHECKS FAILED"
    print(f"\n{status}: {n_claims} claims, {time.perf_counter() - t0:.0f} s")
    return 0 if ok else 1


def cmd_derive(args) -> int:
    out = Path(args.out)
    _check_pdflatex(args.pdf)
    paths = _derive(out, args.ids or None, args.pdf)
    print(f"wrote {len(paths)} files in {out / 'derivations'}")
    return 0


def cmd_figures(args) -> int:
    from gradsym.render.figures import figure_module

    for name in args.names:  # unknown names fail before any work is done
        figure_module(name)
    paths = _figures(Path(args.out), args.names, args.seed)
    print(f"wrote {len(paths)} files in {Path(args.out) / 'figures'}")
    return 0


def cmd_bench(args) -> int:
    import runpy

    script = Path(__file__).resolve().parent.parent / "benchmarks" / f"bench_{args.which}.py"
    if not script.exists():
        print(
            f"gradsym bench: benchmarks are run from a source checkout; {script} not found",
            file=sys.stderr,
        )
        return 2
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from gradsym.proofs.commands import add_check_parser, add_verify_parser
    from gradsym.train_command import add_train_parser

    p = argparse.ArgumentParser(prog="gradsym", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="derive + figures + verify, with a report")
    b.add_argument("--out", default=".", help="folder for derivations/ and figures/ (default .)")
    b.add_argument("--seed", type=int, default=0, help="seed of every random run (default 0)")
    b.add_argument("--pdf", action="store_true", help="also compile derivations/notes.pdf")
    b.set_defaults(func=cmd_build)

    d = sub.add_parser("derive", help="write the LaTeX and Markdown derivations")
    d.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all and notes.tex)")
    d.add_argument("--out", default=".", help="folder that holds derivations/ (default .)")
    d.add_argument("--pdf", action="store_true", help="also compile derivations/notes.pdf")
    d.set_defaults(func=cmd_derive)

    f = sub.add_parser("figures", help="draw the figures and write their data")
    f.add_argument("names", nargs="*", metavar="NAME", help="figure names (default: all)")
    f.add_argument("--out", default=".", help="folder that holds figures/ (default .)")
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(func=cmd_figures)

    add_verify_parser(sub)
    add_check_parser(sub)
    add_train_parser(sub)

    be = sub.add_parser("bench", help="run a benchmark script from benchmarks/")
    be.add_argument("which", choices=["backend", "symbolic", "training"], help="which benchmark")
    be.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the script")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GradsymError as exc:
        print(f"gradsym {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"gradsym {args.command}: interrupted; files already written are complete",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
