"""``gradsym site [--out DIR] [--audience student|instructor]``: the notes as a static
website in ``DIR/site/`` (``DIR/site-instructor/``), figures from ``DIR/figures/``."""

from __future__ import annotations

import argparse
from pathlib import Path

from gradsym.files import folder_lock


def site_folder(audience: str) -> str:
    """``site`` for the students, ``site-instructor`` for the instructor."""
    return "site" if audience == "student" else "site-instructor"


def site_into(out: Path, audience: str = "student"):
    """Write the website for ``audience`` into ``out``/site (or site-instructor), the
    figures from ``out``/figures; the folder is locked meanwhile."""
    from gradsym.render.site import write_site

    with folder_lock(out / site_folder(audience), "write the website") as folder:
        return write_site(folder, audience=audience, figures_dir=out / "figures")


def cmd_site(args: argparse.Namespace) -> int:
    site = site_into(Path(args.out), args.audience)
    print(f"website → {site.root.resolve()}")
    print(f"  {len(site.pages)} pages ({', '.join(site.pages)}), {len(site.figures)} figures")
    print(f"  open {site.root / 'index.html'}, or put the folder on any web server")
    return 0


def add_site_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``site``."""
    p = subparsers.add_parser(
        "site",
        help="the notes as a static website (one page per section, KaTeX included)",
        description=(
            "Write the notes as a static website: index.html (contents), a page per "
            "section (numbered sections, claims, equations and figures, the exercises), "
            "references.html, the figures and KaTeX: a folder to put on any web server, "
            "readable without a network."
        ),
    )
    p.add_argument("--out", default=".", help="folder that holds figures/ (default .)")
    p.add_argument(
        "--audience",
        choices=("student", "instructor"),
        default="student",
        help="student: the notes and the exercises (site/, the default); instructor: also "
        "the solutions, opening on a click, and how every line was checked (site-instructor/)",
    )
    p.set_defaults(func=cmd_site)
    return p
