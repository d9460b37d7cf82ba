"""The lecture notes as a static website (``gradsym site``, ``gradsym build --site``).

- :mod:`.writer` — the pieces (claims, derivations, figures, exercises) as HTML, the assets;
- :mod:`.lecture` — the lecture walked into pages, with every number and link known first;
- :mod:`.build` — :func:`write_site`: the pages, figures and assets written;
- :mod:`.html` — LaTeX prose as HTML, formulas for KaTeX, the page template.

KaTeX (MIT licence) ships in ``assets/katex``: the site needs no network.
"""

from .build import write_site
from .writer import AUDIENCES, SITE_DIR, Site

__all__ = ["AUDIENCES", "SITE_DIR", "Site", "write_site"]
