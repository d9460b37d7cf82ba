"""The notes as a website: built once per session from the committed figures, read by a real
headless Chromium (one session for every page of the instructor's site, which holds all
the student's site has and the solutions): every page loads without a console error or a
failed request, every formula renders, every image loads, every internal link lands, a
solution opens on a click. The student's site is checked without a browser."""

from __future__ import annotations

import html.parser
import os
import re
import shutil
from pathlib import Path

import pytest
from site_browser import broken_links, browser_missing, visit_site

from gradsym.checker.exercises import exercises
from gradsym.cli import main
from gradsym.notes import claims
from gradsym.notes.lecture import PICTURES, lecture_plan
from gradsym.render.derivations import figure_refs
from gradsym.render.figures import figure_names
from gradsym.render.site import write_site
from gradsym.render.site.html import math
from gradsym.render.site.html import page as html_page
from gradsym.render.site.pictures import pictures_missing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sites(tmp_path_factory):
    out = tmp_path_factory.mktemp("sites")
    student = write_site(out / "site", audience="student", figures_dir=ROOT / "figures")
    instructor = write_site(
        out / "site-instructor", audience="instructor", figures_dir=ROOT / "figures"
    )
    return student, instructor


def _need_browser() -> None:
    """Skip with the reason where no browser can run; CI sets GRADSYM_REQUIRE_BROWSER=1
    (.ci/run), so that there a missing browser fails instead of skipping."""
    why = browser_missing()
    if why and os.environ.get("GRADSYM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser test must run here (GRADSYM_REQUIRE_BROWSER=1): {why}")
    if why:
        pytest.skip(f"no browser test: {why}")


@pytest.fixture(scope="session")
def browsed(sites):
    _need_browser()
    _, instructor = sites
    return visit_site(instructor.root, instructor.pages, clicks="details.solution > summary")


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag in ("img", "script") and "src" in a:
            self.srcs.append(a["src"])
        if tag == "link" and "href" in a:
            self.srcs.append(a["href"])


def _parsed(site) -> dict[str, _Anchors]:
    out = {}
    for name in site.pages:
        p = _Anchors()
        p.feed((site.root / name).read_text(encoding="utf-8"))
        out[name] = p
    return out


def test_the_site_is_a_page_per_section_with_contents_and_references(sites):
    student, instructor = sites
    plan = lecture_plan(None, figure_refs())
    assert student.pages[0] == "index.html" and student.pages[-1] == "references.html"
    assert len(student.pages) == len(plan.sections) + 2
    assert student.pages == instructor.pages
    pngs = sorted(f.removesuffix(".png") for f in student.figures if f.endswith(".png"))
    svgs = sorted(f.removesuffix(".svg") for f in student.figures if f.endswith(".svg"))
    assert pngs == sorted(figure_names())
    if not pictures_missing():  # the TikZ pictures, drawn
        assert svgs == sorted(PICTURES)
    for p in student.root.rglob("*"):
        assert ".tmp" not in p.name
    index = (student.root / "index.html").read_text()
    for name in student.pages[1:]:
        assert f'href="{name}' in index  # the contents reach every page


def test_nothing_is_fetched_from_elsewhere(sites):
    for site in sites:
        for name, page in _parsed(site).items():
            for url in page.srcs + page.hrefs:
                assert not re.match(r"[a-z]+:", url) or url == "data:,", (name, url)
            assert (site.root / "assets/katex/katex.min.js").is_file()


def test_every_internal_link_of_the_student_site_lands(sites):
    student, _ = sites
    parsed = _parsed(student)
    for name, page in parsed.items():
        for href in page.hrefs:
            target, _, anchor = href.partition("#")
            target = target or name
            assert target in parsed, (name, href)
            assert not anchor or anchor in parsed[target].ids, (name, href)
        for src in page.srcs:
            assert src == "data:," or (student.root / src).is_file(), (name, src)


def test_claims_figures_and_references_link_to_each_other(sites):
    _, instructor = sites
    parsed = _parsed(instructor)
    ids = set().union(*(p.ids for p in parsed.values()))
    hrefs = [h for p in parsed.values() for h in p.hrefs]
    for claim in claims():
        if claim.section != "Declared cells":
            assert f"claim-{claim.id}" in ids
    for name in figure_names():
        assert f"fig-{name}" in ids
        assert any(h.endswith(f"#fig-{name}") for h in hrefs)  # a claim points to it
    for key in parsed["references.html"].ids - {"top"}:
        assert any(h == f"references.html#{key}" for h in hrefs)  # each reference is cited


def test_the_exercises_close_their_sections_with_solutions_for_the_instructor(sites):
    student, instructor = sites
    s = "".join((student.root / n).read_text() for n in student.pages)
    i = "".join((instructor.root / n).read_text() for n in instructor.pages)
    assert s.count('class="exercise"') == i.count('class="exercise"') == len(exercises())
    assert "details" not in s.replace('<details class="checks"', "")
    assert i.count('<details class="solution">') == len(exercises())


def test_gradsym_site_writes_the_site_beside_the_figures(tmp_path, capsys):
    (tmp_path / "figures").symlink_to(ROOT / "figures")
    assert main(["site", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert "pages" in capsys.readouterr().out


def test_a_missing_figure_is_named(tmp_path, capsys):
    assert main(["site", "--out", str(tmp_path)]) == 2
    assert "figure" in capsys.readouterr().err


# -- in the browser ------------------------------------------------------------------------------------


def test_every_page_loads_without_a_console_error_or_a_failed_request(browsed):
    for name, r in browsed.items():
        assert r.console_errors == [], (name, r.console_errors[:3])
        assert r.failed_requests == [], (name, r.failed_requests[:3])


def test_every_formula_renders(browsed):
    total = 0
    for name, r in browsed.items():
        assert r.math_state == "rendered", (name, r.math_errors[:3])
        assert r.rendered == r.formulas, name
        total += r.formulas
        if name.startswith("section-"):
            assert r.formulas > 0, name
    assert total > 1000


def test_every_image_loads(browsed, sites):
    assert sum(r.images for r in browsed.values()) == len(sites[1].figures)
    for name, r in browsed.items():
        assert r.broken_images == [], (name, r.broken_images)


def test_every_internal_link_resolves(browsed):
    assert sum(len(r.links) for r in browsed.values()) > 200
    assert broken_links(browsed) == []


# -- the browser test shown a broken site: each fault it must see, it sees -----------------------------

_BROKEN = {
    "index.html": (
        f"<p>A sound page: {math('x^{2}')}, <a href='bad-link.html'>on</a>.</p>"
        "<p id='here'>anchor</p>"
    ),
    "bad-formula.html": "<p>" + math(r"\frac{1}{") + " and " + math(r"\nosuchmacro x") + "</p>",
    "bad-image.html": "<p><img src='figures/missing.png' alt='missing'></p>",
    "bad-link.html": "<p><a href='nowhere.html'>a page</a> <a href='index.html#nothere'>x</a></p>",
    "console.html": "<script>console.error('boom');</script><script>null.x;</script>",
    "external.html": "<p><img src='http://example.org/remote.png' alt='remote'></p>",
    "closed.html": "<details class='solution'><summary>Solution</summary></details>",
}


@pytest.fixture(scope="session")
def broken_site(sites, tmp_path_factory):
    _need_browser()
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(sites[0].root / "assets", root / "assets")
    nav = [("Contents", "index.html")]
    for name, body in _BROKEN.items():
        html = html_page(name, body, site_title="Broken", nav=nav)
        (root / name).write_text(html, encoding="utf-8")
    return visit_site(root, list(_BROKEN), clicks="details.solution > summary")


def test_the_browser_test_sees_every_fault_of_a_broken_site(broken_site):
    r = broken_site
    sound = r["index.html"]
    assert (sound.console_errors, sound.failed_requests, sound.broken_images) == ([], [], [])
    assert sound.math_state == "rendered" and sound.rendered == sound.formulas == 1
    bad = r["bad-formula.html"]
    assert bad.math_state == "errors" and len(bad.math_errors) == 2 and bad.rendered == 0
    assert len(bad.console_errors) == 2  # each failed formula is logged
    assert r["bad-image.html"].broken_images == ["figures/missing.png"]
    assert any("missing.png" in f for f in r["bad-image.html"].failed_requests)  # a 404
    assert sorted(broken_links({"bad-link.html": r["bad-link.html"], "index.html": sound})) == [
        "bad-link.html: index.html#nothere (no such anchor)",
        "bad-link.html: nowhere.html (no such page)",
    ]
    assert any("boom" in e for e in r["console.html"].console_errors)
    assert any("null" in e for e in r["console.html"].console_errors)  # an uncaught error
    external = r["external.html"]
    assert any(f.startswith("refused (not local)") for f in external.failed_requests)
    assert external.broken_images == ["http://example.org/remote.png"]
    assert any("did not open" in f for f in r["closed.html"].failed_requests)
