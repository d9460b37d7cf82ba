"""``gradsym figures [NAME ...] [--out DIR] [--seed S]``: draw the figures of the notes and
write the data behind each."""

from __future__ import annotations

import argparse
from pathlib import Path

from gradsym.files import writable_dir


def figures_into(out: Path, names, seed: int) -> list[Path]:
    """Write figures ``names`` (None: all) into ``out``/figures, one progress line each.
    Returns the written paths."""
    from gradsym.render.figures import figure_names, make_figures

    names = list(names) if names else list(figure_names())
    figures = writable_dir(out / "figures")

    def progress(name, index, total, seconds):
        print(f"  [{index}/{total}] {name:20} {seconds:6.1f} s", flush=True)

    return make_figures(figures, names, seed=seed, progress=progress)


def cmd_figures(args: argparse.Namespace) -> int:
    from gradsym.render.figures import figure_module

    for name in args.names:  # unknown names fail before any work is done
        figure_module(name)
    paths = figures_into(Path(args.out), args.names, args.seed)
    print(f"wrote {len(paths)} files in {Path(args.out) / 'figures'}")
    return 0


def add_figures_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``figures``."""
    f = subparsers.add_parser("figures", help="draw the figures and write their data")
    f.add_argument("names", nargs="*", metavar="NAME", help="figure names (default: all)")
    f.add_argument("--out", default=".", help="folder that holds figures/ (default .)")
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(func=cmd_figures)
    return f
