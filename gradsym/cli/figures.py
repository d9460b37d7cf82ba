"""``gradsym figures [NAME ...] [--out DIR] [--seed S] [--dpi N] [--format pdf,png,svg]
[--style paper|slides]``: draw the figures of the notes and write the data behind each."""

from __future__ import annotations

import argparse
from pathlib import Path

from gradsym.cli.progress import live_bar, progress_bar
from gradsym.files import folder_lock


def options_from_args(args: argparse.Namespace):
    """The checked :class:`~gradsym.render.figures.options.FigureOptions` of ``--dpi``,
    ``--format`` and ``--style`` (a bad value is a GradsymError: one line, exit 2)."""
    from gradsym.render.figures.options import figure_options

    return figure_options(args.dpi, args.format, args.style)


def figures_into(out: Path, names, seed: int, options=None) -> list[Path]:
    """Write figures ``names`` (None: all) into ``out``/figures, saying first where (and
    which existing files it replaces), with a live bar (and a second one inside a figure
    that computes for long) and one line per figure. ``options``: formats, dpi and style
    (default: those of the committed figures). Returns the written paths."""
    from gradsym.render.figures import FigureOptions, figure_names, make_figures

    options = FigureOptions() if options is None else options
    names = list(names) if names else list(figure_names())
    folder = out / "figures"
    exts = (*options.formats, "json")
    targets = [folder / f"{name}.{ext}" for name in names for ext in exts]
    replaced = sum(path.exists() for path in targets)
    what = "every figure" if len(names) == len(figure_names()) else ", ".join(names)
    note = f" (replacing {replaced} existing files)" if replaced else ""
    print(f"  writing {what} into {folder.resolve()}{note}", flush=True)
    with progress_bar(len(names), "figures", "figure") as bar:
        bar.set_postfix_str(names[0])

        def progress(name, index, total, seconds):
            bar.update(1)
            if index < total:
                bar.set_postfix_str(names[index])
            bar.write(f"  [{index}/{total}] {name:20} {seconds:6.1f} s")

        return make_figures(
            folder,
            names,
            seed=seed,
            progress=progress,
            dpi=options.dpi,
            formats=options.formats,
            style=options.style,
            live=live_bar,
        )


def cmd_figures(args: argparse.Namespace) -> int:
    from gradsym.render.figures import figure_module

    options = options_from_args(args)  # bad options fail before any work is done
    if args.cell_file is not None:
        return _declared_figure(args, options)
    for name in args.names:  # unknown names fail before any work is done
        figure_module(name)
    paths = figures_into(Path(args.out), args.names, args.seed, options)
    print(f"wrote {len(paths)} files in {Path(args.out) / 'figures'}")
    return 0


def _declared_figure(args: argparse.Namespace, options) -> int:
    """The gradient-norm figure of a declared cell: figures/gradient-norms-<name>.*"""
    from gradsym.declared import load_cell_file
    from gradsym.errors import InvalidValueError
    from gradsym.render.figures import gradient_norms
    from gradsym.render.figures.writer import write_figure

    if args.names not in ([], ["gradient-norms"]):
        raise InvalidValueError("--cell-file draws the gradient-norms figure only")
    declared = load_cell_file(args.cell_file)
    size = gradient_norms.HIDDEN if declared.program.input_is_hidden else gradient_norms.INPUT_SIZE
    if size != gradient_norms.INPUT_SIZE:
        raise InvalidValueError(f"cell {declared.name!r} needs input size = hidden size")
    cell = declared.numpy(gradient_norms.INPUT_SIZE, gradient_norms.HIDDEN)
    data = gradient_norms.compute_for_cell(cell, declared.name, args.seed)
    name = f"gradient-norms-{declared.name}"
    with folder_lock(Path(args.out) / "figures", "write the figures") as folder:
        paths = write_figure(name, data, gradient_norms.draw, folder, options)
    print(f"wrote {len(paths)} files in {Path(args.out) / 'figures'}")
    return 0


def add_figures_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``figures``."""
    f = subparsers.add_parser("figures", help="draw the figures and write their data")
    f.add_argument("names", nargs="*", metavar="NAME", help="figure names (default: all)")
    f.add_argument("--out", default=".", help="folder that holds figures/ (default .)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument(
        "--cell-file", metavar="FILE", help="the gradient-norms figure of a declared cell"
    )
    add_figure_options(f)
    f.set_defaults(func=cmd_figures)
    return f


def add_figure_options(parser: argparse.ArgumentParser) -> None:
    """``--dpi``, ``--format`` and ``--style``, shared by ``figures`` and ``build``; their
    values are checked by :func:`options_from_args` (GradsymError, exit 2)."""
    from gradsym.render.figures.style import DEFAULT_FORMATS, FORMATS, PNG_DPI, STYLES

    parser.add_argument(
        "--dpi", type=int, default=None, metavar="N", help=f"PNG resolution (default {PNG_DPI})"
    )
    parser.add_argument(
        "--format",
        default=None,
        metavar="LIST",
        help=f"comma-separated subset of {','.join(FORMATS)} (default {','.join(DEFAULT_FORMATS)})",
    )
    parser.add_argument(
        "--style",
        default=None,
        metavar="STYLE",
        help=f"{' or '.join(STYLES)}: print sizes, or larger text and thicker lines for a "
        "projector (default paper)",
    )
