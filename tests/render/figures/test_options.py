"""How figures are written: --dpi, --format and --style (the API's FigureOptions and the
CLI's flags), each checked with bad values too. Drawn from the session's data (no
recomputation): the options change only how a figure is written, never its data."""

from __future__ import annotations

import struct

import pytest

from gradsym.cli import BAD_INPUT, main
from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.render import figures
from gradsym.render.figures.options import FigureOptions, figure_options, parse_formats
from gradsym.render.figures.style import DEFAULT_FORMATS, PNG_DPI


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def test_the_defaults_are_those_of_the_committed_figures():
    assert figure_options() == FigureOptions(PNG_DPI, DEFAULT_FORMATS, "paper")
    assert DEFAULT_FORMATS == ("pdf", "png") and PNG_DPI == 150


def test_formats_are_parsed_deduplicated_and_ordered():
    assert parse_formats("png,pdf") == ("pdf", "png")
    assert parse_formats(" SVG , png,svg") == ("png", "svg")
    assert parse_formats(["svg"]) == ("svg",)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"dpi": 0}, InvalidValueError, r"dpi must be an integer in \[30, 1200\], got 0"),
        ({"dpi": 5000}, InvalidValueError, "got 5000"),
        ({"dpi": 150.0}, InvalidValueError, "got 150.0"),
        ({"dpi": True}, InvalidValueError, "got True"),
        ({"formats": "pdf,jpg"}, UnknownNameError, r"unknown figure format 'jpg'.*'svg'"),
        ({"formats": ""}, InvalidValueError, "at least one of pdf, png, svg"),
        ({"formats": ","}, InvalidValueError, "at least one"),
        ({"style": "talk"}, UnknownNameError, r"unknown figure style 'talk'.*'slides'"),
        ({"style": None, "formats": ["pdf", 3]}, UnknownNameError, "3"),
    ],
)
def test_bad_options_are_one_line_errors(kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        figure_options(**kwargs)
    assert "\n" not in str(info.value)


def test_bad_options_fail_before_any_work(tmp_path):
    with pytest.raises(UnknownNameError):
        figures.make_figures(tmp_path / "out", ["clipping"], formats="gif")
    with pytest.raises(InvalidValueError):
        figures.make_figures(tmp_path / "out", ["clipping"], dpi=1)
    assert not (tmp_path / "out").exists()


def test_formats_dpi_and_style_change_only_the_pictures(built_figures, tmp_path):
    data = built_figures.data["clipping"]
    paper = tmp_path / "paper"
    written = figures.write("clipping", data, paper, figure_options(formats="svg,png"))
    assert [p.name for p in written] == ["clipping.png", "clipping.svg", "clipping.json"]
    assert not (paper / "clipping.pdf").exists()
    svg = (paper / "clipping.svg").read_bytes()
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg  # no run-to-run metadata
    # the same data in paper style at the default dpi: the session's PNG, byte for byte
    assert (paper / "clipping.png").read_bytes() == (
        built_figures.folder / "clipping.png"
    ).read_bytes()
    assert (paper / "clipping.json").read_bytes() == (
        built_figures.folder / "clipping.json"
    ).read_bytes()

    sharp = tmp_path / "sharp"
    figures.write("clipping", data, sharp, figure_options(dpi=300, formats="png"))
    w150, h150 = png_size((paper / "clipping.png").read_bytes())
    w300, h300 = png_size((sharp / "clipping.png").read_bytes())
    assert (w300, h300) == pytest.approx((2 * w150, 2 * h150), abs=2)

    slides = tmp_path / "slides"
    figures.write("clipping", data, slides, figure_options(formats="png", style="slides"))
    w, h = png_size((slides / "clipping.png").read_bytes())
    assert w == pytest.approx(w150, abs=2) and h > 1.2 * h150  # taller, for a slide
    assert (slides / "clipping.json").read_bytes() == (paper / "clipping.json").read_bytes()


def test_svg_is_byte_reproducible(built_figures, tmp_path):
    data = built_figures.data["linear-case"]
    svg = figure_options(formats="svg")
    figures.write("linear-case", data, tmp_path / "a", svg)
    figures.write("linear-case", data, tmp_path / "b", svg)
    a = (tmp_path / "a" / "linear-case.svg").read_bytes()
    assert a == (tmp_path / "b" / "linear-case.svg").read_bytes()


def test_slides_style_has_larger_text_and_thicker_lines():
    import matplotlib

    from gradsym.render.figures.style import new_figure, scaled, style

    with style("paper"):
        paper = (matplotlib.rcParams["font.size"], matplotlib.rcParams["lines.linewidth"])
        paper_height = new_figure(6.5, 2.0).get_figheight()
        assert scaled(7) == 7
    with style("slides"):
        slides = (matplotlib.rcParams["font.size"], matplotlib.rcParams["lines.linewidth"])
        assert new_figure(6.5, 2.0).get_figheight() > paper_height
        assert scaled(7) > 7
    assert slides[0] > paper[0] and slides[1] > paper[1]
    with pytest.raises(UnknownNameError), style("poster"):
        pass


# -- the CLI --------------------------------------------------------------------------------


def test_cli_writes_the_formats_asked_for(tmp_path, capsys):
    argv = ["figures", "clipping", "--out", str(tmp_path), "--format", "svg", "--dpi", "100"]
    assert main([*argv, "--style", "slides"]) == 0
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names == ["clipping.json", "clipping.svg"]
    assert "wrote 2 files" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--format", "pdf,jpg"], "unknown figure format 'jpg'"),
        (["--dpi", "0"], "dpi must be an integer in [30, 1200], got 0"),
        (["--style", "poster"], "unknown figure style 'poster'"),
    ],
)
@pytest.mark.parametrize("command", ["figures", "build"])
def test_cli_bad_options_are_one_line_and_exit_2(tmp_path, capsys, command, flags, message):
    assert main([command, "--out", str(tmp_path), *flags]) == BAD_INPUT
    captured = capsys.readouterr()
    assert captured.err.startswith(f"gradsym {command}: error: ")
    assert message in captured.err and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # checked before any work
