"""Writing the website: the lecture walked into pages (:mod:`.lecture`), each page put in
the template with its navigation, the figures and pictures, the style, the script and
KaTeX."""

from __future__ import annotations

from pathlib import Path

from gradsym.errors import InvalidValueError
from gradsym.files import atomic_write_text

from .html import esc, page
from .lecture import site_pages
from .writer import AUDIENCES, Site, _copy_assets, _copy_figures, _put, _Writer

__all__ = ["write_site"]


def write_site(
    out_dir: str | Path,
    *,
    audience: str = "student",
    figures_dir: str | Path = "figures",
) -> Site:
    """Write the lecture as a website into ``out_dir`` for ``audience`` ("student", or
    "instructor": the exercises' solutions and how every line was checked), with the PNG
    figures of ``figures_dir``. Returns what was written (:class:`Site`)."""
    if audience not in AUDIENCES:
        raise InvalidValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    out = Path(out_dir)
    figures = Path(figures_dir)
    writer = _Writer(audience)
    pages, figure_files = site_pages(writer)
    site = Site(out)
    site.paths += _copy_figures(out, figures, [f[:-4] for f in figure_files if f.endswith(".png")])
    site.paths += [_put(out / "figures" / name, data) for name, data in writer.svgs.items()]
    site.figures = list(figure_files)
    site.paths += _copy_assets(out)
    titles = [(p.name, p.title) for p in pages]
    for k, p in enumerate(pages):
        nav = [("Contents", "index.html")]
        if k > 0:
            nav.insert(0, ("← " + esc(titles[k - 1][1]), titles[k - 1][0]))
        if k + 1 < len(pages):
            nav.append((esc(titles[k + 1][1]) + " →", titles[k + 1][0]))
        html_text = page(
            p.title, p.body, site_title=p.site_title, nav=nav, description=p.description
        )
        out.mkdir(parents=True, exist_ok=True)
        site.paths.append(atomic_write_text(out / p.name, html_text))
        site.pages.append(p.name)
    return site
