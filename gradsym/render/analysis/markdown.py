"""report.md: the analysis as Markdown — summary table, per-model and per-unit details,
the figures — written from the report's data (``Comparison.to_dict()``), so every
number shown is one of report.json."""

from __future__ import annotations

from gradsym.numeric.analysis.result import columns, flow_norm, fmt, number, summary_row
from gradsym.render.analysis import gates as gates_figure
from gradsym.render.analysis import gradient_flow, spectrum
from gradsym.render.analysis._common import numbers

#: The lags quoted in the per-unit tables (those measured).
QUOTED_LAGS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: How many exponents the per-unit lists quote from each end of the spectrum.
QUOTED_EXPONENTS = 8


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    return [
        "| " + " | ".join(h.replace("|", "\\|") for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(r) + " |" for r in esc),
        "",
    ]


def _value(v) -> str:
    if isinstance(v, float) or isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return fmt(number(v), 4)
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v) if v else "none"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_value(x)}" for k, x in v.items())
    return str(v)


def _exponents(values: list[float]) -> str:
    lam = numbers(values)
    if len(lam) <= 2 * QUOTED_EXPONENTS:
        return ", ".join(fmt(x, 4) for x in lam)
    head = ", ".join(fmt(x, 4) for x in lam[:QUOTED_EXPONENTS])
    tail = ", ".join(fmt(x, 4) for x in lam[-QUOTED_EXPONENTS:])
    return f"{head}, …, {tail}"


def _unit(unit: dict) -> list[str]:
    ly, fl, bd = unit["lyapunov"], unit["gradient_flow"], unit["bound"]
    s = ly["settings"]
    lines = [f"#### {unit['name']}: {unit['cell']}", ""]
    if unit["reads_reversed"]:
        lines += ["Reads the sequence right to left (the backward direction).", ""]
    floor = number(ly["roundoff_floor"])
    dead = sum(1 for x in numbers(ly["exponents"]) if not x > floor)
    lines += [
        (
            f"**Lyapunov spectrum** — {s['k']} of {s['state_size']} exponents; "
            f"λ₁ = {fmt(number(ly['lambda_max']), 4)} ± {fmt(number(ly['lambda_max_se']), 2)} "
            f"per step, 1/|λ₁| = {fmt(number(ly['horizon_steps']))} steps. Measured over "
            f"{s['steps_measured']} steps after a transient of {s['transient']}, "
            f"{s['sequences']} sequence(s); standard error: {s['standard_error']}; "
            f"{s['reorthonormalisations']} re-orthonormalisations, at most {s['max_interval']} "
            f"step{'s' if s['max_interval'] > 1 else ''} apart."
        ),
        "",
        f"λ = {_exponents(ly['exponents'])}",
        "",
    ]
    if dead:
        lines += [
            (
                f"{dead} exponent(s) at or below ln ε = {fmt(floor)}: directions the one-step map "
                "annihilates (up to round-off), not measured rates."
            ),
            "",
        ]
    lags = [int(x) for x in fl["lags"]]
    quoted = [lag for lag in QUOTED_LAGS if lag in lags] or lags[-1:]
    q = fl["log10_norm"]
    rows = []
    for lag in quoted:
        i = lags.index(lag)
        rows.append(
            [str(lag)] + [fmt(10.0 ** number(q[key][i])) for key in ("q10", "median", "q90")]
        )
    fs = fl["settings"]
    lines += [
        (
            f"**Gradient flow** — {flow_norm(fs.get('block', 'h'))} from T = {fs['end_step']} over "
            f"{fs['sequences']} sequences ({fs['lags_measured']} lags measured up to "
            f"{fs['max_lag']}):"
        ),
        "",
        *_table(["ℓ", "10 %", "median", "90 %"], rows),
    ]
    if bd["blocks"]:
        rows = [
            [
                name,
                fmt(b["sigma1"], 4),
                b["activation"],
                fmt(b["gamma"]),
                fmt(b["one_over_gamma"]),
                fmt(b["gamma_sigma1"], 4),
            ]
            for name, b in bd["blocks"].items()
        ]
        verdict = bd["verdict"] or "no verdict"
        lines += [
            f"**The notes' bound** (σ₁(W) against 1/γ) — {verdict}: {bd['note']}.",
            "",
            *_table(["block", "σ₁", "feeds", "γ", "1/γ", "γσ₁"], rows),
        ]
    g = unit["gates"]
    if g is not None:
        st = g["settings"]
        rows = [
            [name, fmt(v["mean"]), fmt(v["low"]), fmt(v["high"])] for name, v in g["gates"].items()
        ]
        carry = g["carry"]
        clags = [int(x) for x in carry["lags"]]
        cq = [lag for lag in QUOTED_LAGS if lag in clags] or clags[-1:]
        crow = [
            [str(lag)]
            + [
                fmt(10.0 ** number(carry["log10"][k][clags.index(lag)]))
                for k in ("q10", "median", "q90")
            ]
            for lag in cq
        ]
        lines += [
            (
                f"**Gates** — over {st['steps_counted']} steps; saturated: below "
                f"{st['saturated_below']} or above {st['saturated_above']}."
            ),
            "",
            *_table(
                ["gate", "mean", f"< {st['saturated_below']}", f"> {st['saturated_above']}"], rows
            ),
            f"Carry path {carry['name']} over a span of ℓ steps (units × sequences):",
            "",
            *_table(["ℓ", "10 %", "median", "90 %"], crow),
        ]
    return lines


def _summary_rows(report: dict) -> list[list[str]]:
    return [
        [summary_row(model["label"], unit)[key] for key, _ in columns()]
        for model in report["models"]
        for unit in model["units"]
    ]


def _warnings(report: dict) -> list[str]:
    """A paragraph of what the numbers cannot show (a trajectory at a fixed point), if any."""
    found = [
        f"- {model['label']}, {warning}"
        for model in report["models"]
        for warning in model.get("warnings", [])
    ]
    return ["**Warnings**:", "", *found, ""] if found else []


def report_markdown(report: dict, figures: list[str], command: str | None = None) -> str:
    """The text of report.md for ``report`` (a Comparison's dict), with the figures
    ``figures`` (names, written beside it as PNG) embedded."""
    data, settings = report["data"], report["settings"]
    block = settings.get("flow_block", "h")
    regenerate = f" regenerate with `{command}`" if command else ""
    lines = [
        f"<!-- generated by gradsym analyze - do not edit;{regenerate} -->",
        "",
        "# Gradient flow and Lyapunov spectrum",
        "",
        f"**Inputs**: {data['summary']}"
        + (f" (seed {data['seed']})" if "seed" in data else "")
        + ".",
        "",
        (
            f"**Settings**: {settings['dtype']}; exponents: {settings['exponents']} "
            f"(default: {settings['default_exponents']}); transient {settings['transient']} "
            f"steps; gradient norms at lags up to {settings['max_lag']} on "
            f"{settings['flow_sequences']} sequences; Lyapunov exponents on "
            f"{settings['lyapunov_sequences']} sequences; seed {settings['seed']}. Every number "
            "is in report.json with the settings that produced it."
        ),
        "",
        *_warnings(report),
        "## Summary",
        "",
        *_table([h for _, h in columns(block)], _summary_rows(report)),
        (
            "λ₁ is the largest Lyapunov exponent of the driven state dynamics (per step, natural "
            "log): perturbations of the state — and gradients flowing back through it — shrink "
            "like e^{λ₁ℓ} over ℓ steps at best. 1/|λ₁| is the memory horizon in steps (for "
            "λ₁ > 0, the time over which perturbations grow by e). γσ₁(W) < 1 is the notes' "
            "sufficient condition for vanishing gradients (vanilla RNN)."
        ),
        "",
        "## Figures",
        "",
    ]
    captions = {
        gradient_flow.NAME: gradient_flow.caption(block),
        spectrum.NAME: spectrum.CAPTION,
        gates_figure.NAME: gates_figure.CAPTION,
    }
    for name in figures:
        lines += [f"![{name}]({name}.png)", "", f"*{captions[name]}* ({name}.pdf)", ""]
    lines += ["## Models", ""]
    for model in report["models"]:
        lines += [
            f"### {model['label']}",
            "",
            f"- model: {model['model']}",
            f"- source: {model['source']}",
        ]
        for key, value in model["inferred"].items():
            if key in ("config", "model"):
                continue
            lines.append(f"- {key.replace('_', ' ')}: {_value(value)}")
        lines.append("")
        for unit in model["units"]:
            lines += _unit(unit)
    return "\n".join(lines).rstrip() + "\n"
