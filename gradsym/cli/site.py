"""``gradsym site [--out DIR] [--audience student|instructor] [--json]``: the notes as a
static website in DIR/site (DIR/site-instructor), the figures from DIR/figures."""

from __future__ import annotations

import argparse

from gradsym.cli.options import add_audience, add_json, add_out
from gradsym.cli.output import print_json, written
from gradsym.cli.writing import site_into


def cmd_site(args: argparse.Namespace) -> int:
    site = site_into(args.out, args.audience)
    if args.json:
        print_json(
            {
                "root": str(site.root),
                "pages": list(site.pages),
                "figures": list(site.figures),
                "written": written(site.paths),
            }
        )
        return 0
    print(f"website → {site.root.resolve()}")
    print(f"  {len(site.pages)} pages ({', '.join(site.pages)}), {len(site.figures)} figures")
    print(f"  open {site.root / 'index.html'}, or put the folder on any web server")
    return 0


def add_site_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``site``."""
    p = subparsers.add_parser(
        "site",
        help="the notes as a static website, a page per section",
        description=(
            "Write the notes as a static website: index.html (contents), a page per "
            "section (numbered sections, claims, equations and figures, the exercises), "
            "references.html, the figures and KaTeX: a folder to put on any web server, "
            "readable without a network."
        ),
    )
    add_out(p, "DIR/site (or DIR/site-instructor), with the figures of DIR/figures")
    add_audience(
        p,
        "site/",
        "site-instructor/",
        student_gets="the notes and the exercises",
        instructor_also="the solutions, opening on a click, and how every line was checked",
    )
    add_json(p, "the pages and the files written")
    p.set_defaults(func=cmd_site)
    return p
