"""``gradsym slides [ID ...] [--out DIR] [--audience student|instructor] [--pdf] [--json]``:
the lecture as a Beamer deck in DIR/slides: without ids the 90-minute lecture (at most 50
frames, its figures redrawn in the slide style from the data in DIR/figures), with claim
ids a deck of those claims in the notes' order, one claim per frame (the figures included
from DIR/figures). ``--claims a,b`` is the old, deprecated spelling of the ids."""

from __future__ import annotations

import argparse

from gradsym.cli.options import (
    add_audience,
    add_claim_ids,
    add_deprecated_alias,
    add_json,
    add_out,
    add_pdf,
)
from gradsym.cli.output import print_json, written
from gradsym.cli.writing import check_beamer, slides_into


def cmd_slides(args: argparse.Namespace) -> int:
    check_beamer(args.pdf)
    paths = slides_into(args.out, args.ids, args.pdf, args.audience)
    if args.json:
        print_json({"written": written(paths)})
    else:
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def add_slides_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``slides``."""
    s = subparsers.add_parser(
        "slides",
        help="the lecture as a Beamer deck (or one claim per frame)",
        description="Write the 90-minute lecture as a Beamer deck (at most 50 frames, its "
        "figures redrawn in the slide style), or, given claim ids, a deck of those claims "
        "in the order of the notes, one claim per frame, each figure after the last of its "
        "claims.",
    )
    add_claim_ids(s, "the 90-minute lecture; with ids, one claim per frame")
    add_deprecated_alias(
        s, "--claims", "ids", "the claim ids as arguments: gradsym slides ID ...",
        metavar="ID,...", merge=True,
    )  # fmt: skip
    add_out(s, "DIR/slides, which includes the figures in DIR/figures")
    add_pdf(s, "slides/slides.tex", "Beamer")
    add_audience(s, "slides.tex", "slides-instructor.tex")
    add_json(s, "the files written")
    s.set_defaults(func=cmd_slides)
    return s
