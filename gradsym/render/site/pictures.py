r"""The lecture's TikZ pictures for the web: each compiled by pdflatex on a page cut to the
picture, then turned into SVG by ``pdftocairo`` (poppler), so that the website shows the
drawing the PDF notes print, in the same fonts, scalable.

Without pdflatex or pdftocairo there is no drawing: :func:`picture_svg` returns None and
the website prints the picture's caption with a pointer to the PDF notes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

__all__ = ["picture_svg", "pictures_missing"]

_DOCUMENT = r"""\documentclass{article}
\usepackage{amsmath,amssymb,tikz}
\usetikzlibrary{%(libraries)s}
%(styles)s
\pagestyle{empty}
\newsavebox{\picturebox}
\begin{document}
\savebox{\picturebox}{%%
%(tikz)s%%
}
\pdfpagewidth=\dimexpr\wd\picturebox+6pt\relax
\pdfpageheight=\dimexpr\ht\picturebox+\dp\picturebox+6pt\relax
\hoffset=-1in \voffset=-1in
\shipout\vbox{\kern3pt\hbox{\kern3pt\usebox{\picturebox}}}
\end{document}
"""


def pictures_missing() -> str:
    """Why no picture can be drawn here, or "" when they can."""
    for exe, package in (("pdflatex", "texlive-latex-base"), ("pdftocairo", "poppler-utils")):
        if shutil.which(exe) is None:
            return f"{exe} is not installed (apt-get install {package})"
    return ""


@cache
def picture_svg(tikz: str, libraries: tuple[str, ...] = (), styles: str = "") -> bytes | None:
    """The SVG of a ``tikzpicture`` (with the TikZ ``libraries`` and ``styles`` it needs),
    or None when pdflatex or pdftocairo is missing or the picture does not compile."""
    if pictures_missing():
        return None
    source = _DOCUMENT % {"libraries": ",".join(libraries), "styles": styles, "tikz": tikz}
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="gradsym-picture-") as tmp:
        folder = Path(tmp)
        (folder / "picture.tex").write_text(source, encoding="utf-8")
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "picture.tex"],
            cwd=folder,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if run.returncode != 0:
            return None
        svg = subprocess.run(
            ["pdftocairo", "-svg", "picture.pdf", "picture.svg"],
            cwd=folder,
            capture_output=True,
            timeout=60,
            check=False,
        )
        out = folder / "picture.svg"
        if svg.returncode != 0 or not out.is_file():
            return None
        return out.read_bytes()
