"""The lecture notes as a static website (``gradsym site``, ``gradsym build --site``).

- :mod:`.writer` — the pieces (claims, derivations, figures, exercises) as HTML, the assets,
  :func:`write_site`;
- :mod:`.lecture` — the lecture walked into pages, with every number and link known first;
- :mod:`.html` — LaTeX prose as HTML, formulas for KaTeX, the page template.

KaTeX (MIT licence) ships in ``assets/katex``: the site needs no network.
"""

from .writer import AUDIENCES, SITE_DIR, Site, write_site

__all__ = ["AUDIENCES", "SITE_DIR", "Site", "write_site"]
