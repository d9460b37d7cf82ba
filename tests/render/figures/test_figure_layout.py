"""What a reader sees of each figure: a one-line message title, the text's typeface,
legends outside the data (below it, or beside it in at most a quarter of the width),
bold vectors in the labels, no software in its words. Each figure is drawn from its
committed data (drawing is cheap; computing is not)."""

from __future__ import annotations

import functools
import json

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from repo import REPO

from gradsym.notes.lecture import audit
from gradsym.render import figures
from gradsym.render.figures import style as st

NAMES = figures.figure_names()


@functools.cache
def _drawn(name):
    data = json.loads((REPO / "figures" / f"{name}.json").read_text())
    with st.style("paper"):
        fig = figures.figure_module(name).draw(data)
        FigureCanvasAgg(fig).draw()
        return fig


def legends_in_the_way(fig) -> list[str]:
    """Legends that cover an axes' data, or stand beside them wider than a quarter."""
    out = []
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend()]
    plots = [a for a in fig.axes if a.get_label() != "<colorbar>" and a.get_xlabel()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in plots:
            if box.overlaps(ax.bbox):
                out.append(f"over the data of {ax.get_xlabel()!r}")
        beside = any(
            box.y0 < a.bbox.y1
            and box.y1 > a.bbox.y0
            and (box.x0 >= a.bbox.x1 or box.x1 <= a.bbox.x0)
            for a in plots
        )
        if beside and box.width > 0.25 * width:
            out.append(f"beside the data, {box.width / width:.0%} of the width")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_each_figure_has_a_one_line_message_title_and_a_caption_without_software(name):
    module = figures.figure_module(name)
    assert module.TITLE and "\n" not in module.TITLE and len(module.TITLE) < 120
    assert audit.software_talk(module.CAPTION) == []
    assert audit.misused_symbols(f"${module.TITLE}$ " + module.CAPTION) == []


@pytest.mark.parametrize("name", NAMES)
def test_legends_stand_outside_the_data(name):
    assert legends_in_the_way(_drawn(name)) == []


def test_a_legend_over_the_data_or_wide_beside_it_is_seen():
    fig = st.new_figure(6.5, 2.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="a line with a label long enough to be seen as wide")
    ax.set_xlabel("x")
    ax.legend(loc="center")
    FigureCanvasAgg(fig).draw()
    assert legends_in_the_way(fig) == ["over the data of 'x'"]
    ax.get_legend().remove()
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    FigureCanvasAgg(fig).draw()
    assert any("beside the data" in w for w in legends_in_the_way(fig))


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_in_the_notes_notation(name):
    fig = _drawn(name)
    texts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    words = " ".join(texts)
    for wrong in (r"\sigma_1", r"\sigma_{", "PyTorch", "build", r"\partial h^", r"\partial c^"):
        assert wrong not in words, (name, wrong)


def test_the_text_is_set_in_the_notes_typeface():
    assert st.RC["font.family"][0] == "cmr10" and st.RC["mathtext.fontset"] == "cm"
