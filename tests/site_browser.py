"""A real browser over a built website: Chromium (Debian's package) driven by Playwright,
the site served from this machine's loopback address, every other request refused.

:func:`visit_site` opens every page of one or more sites in one browser session and
reports, per page, what a reader would meet: console errors, failed or refused requests,
formulas that did not render, images that did not load, and the internal links and
anchors of the page (checked against every page's anchors afterwards).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium to drive: $GRADSYM_CHROMIUM, else Debian's /usr/bin/chromium, else one
    on PATH; None when there is none."""
    for candidate in (os.environ.get("GRADSYM_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_missing() -> str:
    """Why no browser test can run here, or "" when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium installed (apt-get install chromium)"
    return ""


@dataclass
class PageReport:
    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    math_state: str = ""
    formulas: int = 0
    rendered: int = 0
    math_errors: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    seconds: float = 0.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test reads reports, not logs
        pass


@contextmanager
def serve(root: Path):
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port) while the block runs."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_PROBE = """async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  await document.fonts.ready;  // the formulas' fonts, requested as KaTeX typesets
  const math = [...document.querySelectorAll('.math')];
  const errors = math.filter(m => m.classList.contains('math-error') || m.querySelector('.katex-error'))
                     .map(m => m.getAttribute('data-tex') || m.textContent);
  const rendered = math.filter(m => m.querySelector('.katex')).length;
  const imgs = [...document.images];
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  const anchors = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {state: document.documentElement.getAttribute('data-math') || '', formulas: math.length,
          rendered, errors, images: imgs.length, broken, links, anchors};
}"""


def visit_site(root: Path, pages: list[str], clicks: str = "") -> dict[str, PageReport]:
    """Open every page of the site in ``root`` in one headless Chromium; ``clicks``: a CSS
    selector clicked on every page that has it (a solution's summary), whose opened content
    must then be visible (reported as a failed request otherwise)."""
    import time

    from playwright.sync_api import sync_playwright

    reports: dict[str, PageReport] = {}
    with serve(root) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            host = urlsplit(base).netloc

            def only_local(route):
                if urlsplit(route.request.url).netloc == host:
                    route.continue_()
                else:
                    current.failed_requests.append("refused (not local): " + route.request.url)
                    route.abort()

            context.route("**/*", only_local)
            page = context.new_page()
            current = PageReport("")
            page.on(
                "console",
                lambda m: current.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: current.console_errors.append(str(e)))
            page.on("requestfailed", lambda r: current.failed_requests.append(r.url))
            page.on(
                "response",
                lambda r: (
                    current.failed_requests.append(f"{r.status} {r.url}")
                    if r.status >= 400
                    else None
                ),
            )
            for name in pages:
                current = PageReport(urljoin(base, name))
                t0 = time.perf_counter()
                page.goto(current.url, wait_until="load")
                page.wait_for_function(
                    "() => document.documentElement.hasAttribute('data-math')", timeout=20000
                )
                probe = page.evaluate(_PROBE)
                current.seconds = time.perf_counter() - t0
                current.math_state = probe["state"]
                current.formulas, current.rendered = probe["formulas"], probe["rendered"]
                current.math_errors = probe["errors"]
                current.images, current.broken_images = probe["images"], probe["broken"]
                current.links, current.anchors = probe["links"], set(probe["anchors"])
                if clicks and page.locator(clicks).count():
                    summary = page.locator(clicks).first
                    summary.click()
                    opened = summary.locator("xpath=..").evaluate("d => d.open")
                    content = summary.locator("xpath=following-sibling::*[1]")
                    if not (opened and content.is_visible()):
                        current.failed_requests.append(f"clicking {clicks} did not open it")
                reports[name] = current
        finally:
            browser.close()
    return reports


def broken_links(reports: dict[str, PageReport]) -> list[str]:
    """Every internal link of the visited pages whose page or anchor does not exist."""
    out = []
    for name, r in reports.items():
        for href in r.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                out.append(f"{name}: external link {href}")
                continue
            target = parts.path or name
            if target not in reports:
                out.append(f"{name}: {href} (no such page)")
            elif parts.fragment and parts.fragment not in reports[target].anchors:
                out.append(f"{name}: {href} (no such anchor)")
    return out
