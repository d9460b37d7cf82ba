"""``gradsym figures [ID ...] [--out DIR] [--seed S] [--dpi N] [--format pdf,png,svg]
[--style paper|slides] [--json]``: draw the figures of the notes (or those named, or
those of the named claims) into DIR/figures and write the data behind each.
``--cell-file FILE`` draws the gradient-norms figure of a declared cell."""

from __future__ import annotations

import argparse

from gradsym.cli.options import (
    add_cell_file,
    add_figure_ids,
    add_figure_options,
    add_json,
    add_out,
    add_seed,
)
from gradsym.cli.output import print_json, progress_stream, written
from gradsym.cli.writing import figure_options, figures_into
from gradsym.files import folder_lock


def cmd_figures(args: argparse.Namespace) -> int:
    from gradsym.render.figures import figures_of

    options = figure_options(args)  # bad options fail before any work is done
    if args.cell_file is not None:
        paths = _declared_figure(args, options)
    else:
        names = None if args.ids is None else figures_of(args.ids)  # before any work
        paths = figures_into(args.out, names, args.seed, options, log=progress_stream(args))
    if args.json:
        print_json({"written": written(paths)})
    else:
        print(f"wrote {len(paths)} files in {args.out / 'figures'}")
    return 0


def _declared_figure(args: argparse.Namespace, options) -> list:
    """The gradient-norm figure of a declared cell: figures/gradient-norms-<name>.*"""
    from gradsym.declared import load_cell_file
    from gradsym.errors import InvalidValueError
    from gradsym.render.figures import gradient_norms
    from gradsym.render.figures.writer import write_figure

    if args.ids not in (None, ["gradient-norms"]):
        raise InvalidValueError("--cell-file draws the gradient-norms figure only")
    declared = load_cell_file(args.cell_file)
    size = gradient_norms.HIDDEN if declared.program.input_is_hidden else gradient_norms.INPUT_SIZE
    if size != gradient_norms.INPUT_SIZE:
        raise InvalidValueError(f"cell {declared.name!r} needs input size = hidden size")
    cell = declared.numpy(gradient_norms.INPUT_SIZE, gradient_norms.HIDDEN)
    data = gradient_norms.compute_for_cell(cell, declared.name, args.seed)
    name = f"gradient-norms-{declared.name}"
    with folder_lock(args.out / "figures", "write the figures") as folder:
        return write_figure(name, data, gradient_norms.draw, folder, options)


def add_figures_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``figures``."""
    f = subparsers.add_parser(
        "figures",
        help="draw the figures of the notes and write their data",
        description="Draw the figures of the notes from seeded runs into DIR/figures, "
        "each beside the data it plots (.json).",
    )
    add_figure_ids(f)
    add_out(f, "DIR/figures")
    add_seed(f, "every run behind the figures")
    add_figure_options(f)
    add_cell_file(f, "draw its gradient-norms figure (gradient-norms-NAME)")
    add_json(f, "the files written")
    f.set_defaults(func=cmd_figures)
    return f
