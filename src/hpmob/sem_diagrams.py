"""Path diagrams of fitted SEM models: the measurement model and the structural paths.

:func:`measurement_diagram` draws each factor with its items and standardized loadings;
:func:`structural_diagram` lays the latent variables out in layers (:func:`layered_layout`)
and draws the regressions between them. Both take a table of standardized estimates and return a figure. :mod:`hpmob.plots`
re-exports them, which is where to import them from.

Examples
--------
>>> import pandas as pd
>>> from hpmob.sem_diagrams import layered_layout
>>> layered_layout(pd.DataFrame({"lhs": ["m", "y"], "rhs": ["x", "m"]}))
{'x': (0.0, 0.0), 'm': (2.4, 0.0), 'y': (4.8, 0.0)}
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hpmob.plot_style import MIN_FONT_PT, PAGE_WIDTH_IN, check_lang, use_vietnamese_font, wrap_text

# Empty, as hpmob.plots' __all__ left the diagrams out: their docstrings do not yet meet the
# numpydoc checks of the public API (tests/test_public_api_docs.py), which read __all__.
__all__: list[str] = []


def measurement_diagram(estimates: pd.DataFrame, *, title: str | None = None, min_loading: float = 0.5,
                        names: dict[str, str] | None = None, lang: str = "en", per_row: int = 4,
                        correlations: bool = True) -> Figure:
    """Path diagram of a simple-structure CFA drawn with matplotlib (no Graphviz needed).

    Factors are ovals, each beside the column of its items (boxes); each arrow's
    standardized loading (``std.all``) is printed to the right of its item, clear of the
    arrows, in red when below ``min_loading``. Factors are laid out ``per_row`` to a row
    so that the text stays legible at the book's column width. Factor correlations are
    shown underneath as a lower-triangular heat map, because 21 curved double-headed
    arrows would hide everything else.

    Parameters
    ----------
    estimates : DataFrame
        :attr:`hpmob.sem.SemResult.estimates` of the CFA.
    title : str, optional
    min_loading : float
        Loadings below this are highlighted (e.g. :data:`hpmob.criteria.LOADING_MIN`).
    names : dict, optional
        Factor → name in words, printed over its oval (e.g. the codebook's construct labels).
    lang : {"en", "vi"}
        Language of the titles.
    per_row : int
        Factors per row of the diagram.
    correlations : bool
        Draw the factor-correlation heat map (second axes).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Ellipse, FancyBboxPatch

    check_lang(lang)
    use_vietnamese_font()
    names = names or {}
    load = estimates[estimates["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    if not factors:
        raise ValueError("estimates contain no '=~' rows: pass the estimates of a factor model")
    std = estimates.columns.get_loc("std.all")
    n_max = int(load.groupby("lhs").size().max())
    per_row = max(1, min(per_row, len(factors)))
    n_rows = -(-len(factors) // per_row)
    head = 2.1 if any(names.get(f) for f in factors) else 0.6  # room for the factor's name (up to five lines)
    row_h = n_max + head + 0.3
    diag_h = 0.36 * row_h * n_rows + 0.5
    heat_h = 0.42 * len(factors) + 1.2 if correlations and len(factors) > 1 else 0
    fig = plt.figure(figsize=(PAGE_WIDTH_IN, diag_h + heat_h), layout="constrained")
    if heat_h:
        ax, axc = fig.subplots(2, 1, gridspec_kw={"height_ratios": [diag_h, heat_h]})
    else:
        ax, axc = fig.subplots(1, 1), None
    ax.set_xlim(0, per_row)
    ax.set_ylim(-row_h * n_rows + 0.6, 0.4)
    ax.axis("off")
    for k, fac in enumerate(factors):
        x, top = k % per_row, -(k // per_row) * row_h
        rows = load[load["lhs"] == fac]
        ys = top - head - np.arange(len(rows), dtype=float)
        centre = ys.mean()
        ox, ix = x + 0.2, x + 0.62  # oval on the left, items on the right: arrows fan out
        ax.text(x + 0.02, top - 0.6, wrap_text(names.get(fac, ""), 21, 5), ha="left", va="center",
                fontsize=MIN_FONT_PT, color="#2b4f7a")
        ax.add_patch(Ellipse((ox, centre), 0.34, 1.1, facecolor="#dfe9f5", edgecolor="#2b4f7a", linewidth=1.2))
        ax.text(ox, centre, fac, ha="center", va="center", fontsize=10, fontweight="bold")
        for y, row in zip(ys, rows.itertuples(index=False)):
            value = float(row[std])
            weak = value < min_loading
            color = "#b2182b" if weak else "#2b4f7a"
            ax.add_patch(FancyBboxPatch((ix - 0.13, y - 0.3), 0.26, 0.6, boxstyle="round,pad=0.02",
                                        facecolor="white", edgecolor="#555555"))
            ax.text(ix, y, row.rhs, ha="center", va="center", fontsize=MIN_FONT_PT)
            ax.annotate("", xy=(ix - 0.15, y), xytext=(ox + 0.17, centre),
                        arrowprops={"arrowstyle": "->", "color": color,
                                    "linewidth": 0.5 + 1.5 * max(value, 0), "shrinkA": 0, "shrinkB": 0})
            ax.text(ix + 0.17, y, f"{value:.2f}", fontsize=MIN_FONT_PT, ha="left", va="center",
                    color=color, fontweight="bold" if weak else "normal")
    heading = {"en": "Standardized loadings (std.all); red: below {m:.2f}",
               "vi": "Hệ số tải chuẩn hóa (std.all); đỏ: dưới {m:.2f}"}[lang].format(m=min_loading)
    ax.set_title(title or heading, fontsize=10.5, loc="left")
    if axc is None:
        return fig
    cov = estimates[(estimates["op"] == "~~") & estimates["lhs"].isin(factors) & estimates["rhs"].isin(factors)]
    corr = pd.DataFrame(np.eye(len(factors)), index=factors, columns=factors)
    for row in cov.itertuples(index=False):
        value = float(row[std])
        if row.lhs != row.rhs:
            corr.loc[row.lhs, row.rhs] = corr.loc[row.rhs, row.lhs] = value
    mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
    shown = corr.mask(mask)
    im = axc.imshow(shown, cmap="RdBu_r", vmin=-1, vmax=1)
    axc.set_xticks(range(len(factors)), factors, fontsize=MIN_FONT_PT)
    axc.set_yticks(range(len(factors)), factors, fontsize=MIN_FONT_PT)
    for i in range(len(factors)):
        for j in range(i):
            axc.text(j, i, f"{corr.iat[i, j]:.2f}", ha="center", va="center", fontsize=MIN_FONT_PT,
                     color="white" if abs(corr.iat[i, j]) > 0.6 else "black")
    axc.set_title({"en": "Factor correlations", "vi": "Tương quan giữa các nhân tố"}[lang], fontsize=10.5, loc="left")
    for side in ("top", "right"):
        axc.spines[side].set_visible(False)
    bar = fig.colorbar(im, ax=axc, fraction=0.046, pad=0.04)
    bar.ax.tick_params(labelsize=MIN_FONT_PT)
    return fig


def layered_layout(regressions: pd.DataFrame) -> dict:
    """Positions for :func:`structural_diagram` when the caller gives none: predictors left.

    Each variable's column is one more than the deepest of its predictors (variables no
    path predicts stand in column 0); within a column, variables are spread evenly in
    order of appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> layered_layout(pd.DataFrame({"lhs": ["m", "y", "y"], "rhs": ["x", "m", "x"]}))
    {'x': (0.0, 0.0), 'm': (2.4, 0.0), 'y': (4.8, 0.0)}
    """
    preds: dict = {}
    for lhs, rhs in zip(regressions["lhs"], regressions["rhs"]):
        preds.setdefault(lhs, []).append(rhs)
    nodes = list(dict.fromkeys([*regressions["rhs"], *regressions["lhs"]]))
    depth: dict = {}

    def level(v, seen=()):
        if v not in depth:
            depth[v] = 0 if v in seen else 1 + max((level(p, seen + (v,)) for p in preds.get(v, [])), default=-1)
        return depth[v]

    columns: dict = {}
    for v in nodes:
        columns.setdefault(level(v), []).append(v)
    layout = {}
    for col, members in columns.items():
        for k, v in enumerate(members):
            layout[v] = (2.4 * col, 1.2 * ((len(members) - 1) / 2 - k))
    return layout


def _free_spot(candidates, taken, size):
    """The first candidate (x, y) whose box of ``size`` (w, h) overlaps no box in ``taken``; else the least crowded."""
    def overlap(c):
        (x, y), (w, h) = c, size
        return sum(max(0.0, min(x + w / 2, bx + bw / 2) - max(x - w / 2, bx - bw / 2))
                   * max(0.0, min(y + h / 2, by + bh / 2) - max(y - h / 2, by - bh / 2))
                   for bx, by, bw, bh in taken)
    scores = [overlap(c) for c in candidates]
    best = int(np.argmin(scores))
    return candidates[best]


def structural_diagram(estimates: pd.DataFrame, *, layout: dict | None = None, title: str | None = None,
                       exclude_lhs: tuple[str, ...] = (), names: dict[str, str] | None = None,
                       lang: str = "en") -> Figure:
    """Path diagram of the structural part of a SEM, with standardized coefficients.

    Latent variables are ovals, observed covariates boxes, each named in words when
    ``names`` gives a name; each regression arrow is labelled with ``std.all`` and drawn
    solid when its confidence interval excludes zero, dashed otherwise. R² of
    endogenous variables is printed under their names when the estimates carry
    residual variances. Labels are placed along their arrows where they overlap no
    node and no other label.

    Parameters
    ----------
    estimates : DataFrame
        :attr:`hpmob.sem.SemResult.estimates`.
    layout : dict, optional
        ``{variable: (x, y)}`` (the study's plan may give one); defaults to
        :func:`layered_layout` of the drawn regressions.
    title : str, optional
    exclude_lhs : tuple of str
        Regressions of these variables are not drawn (e.g. the level effects on the
        exogenous constructs of a MIMIC model, which are reported in a table instead).
    names : dict, optional
        Variable → name in words (e.g. the codebook's construct and covariate labels);
        a node shows its name, or its code when none is given.
    lang : {"en", "vi"}
        Language of the default title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Ellipse, FancyBboxPatch

    check_lang(lang)
    use_vietnamese_font()
    names = names or {}
    # A name of up to two short lines goes in its node; a longer one in the key underneath.
    names = {v: n.replace("/", "/ ") for v, n in names.items()}  # a label such as "Ward/town" may wrap at its slash
    fits = {v: n for v, n in names.items() if len(textwrap.wrap(n, 13, break_long_words=False)) <= 2}
    key = {v: n for v, n in names.items() if v not in fits}
    reg = estimates[(estimates["op"] == "~") & ~estimates["lhs"].isin(exclude_lhs)]
    layout = dict(layered_layout(reg) if layout is None else layout)
    latent = set(estimates.loc[estimates["op"] == "=~", "lhs"])
    nodes = list(dict.fromkeys([*reg["rhs"], *reg["lhs"]]))
    missing = [v for v in nodes if v not in layout]
    if missing:
        raise ValueError(f"no position for {', '.join(missing)}: pass layout={{name: (x, y)}}")
    xs = [layout[v][0] for v in nodes]
    ys = [layout[v][1] for v in nodes]
    span_x = max(xs) - min(xs) + 2.0
    span_y = max(ys) - min(ys) + 1.8
    fig_w = PAGE_WIDTH_IN
    fig_h = max(3.0, fig_w * span_y / span_x + 0.4)
    node_text = {v: textwrap.fill(fits[v], 13, break_long_words=False) if v in fits else v for v in nodes}
    key = {v: n for v, n in key.items() if v in nodes}
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    ax.axis("off")
    # Sizes in axis units: 1 point is this many units across and up.
    ux = span_x / (fig_w * 72)
    uy = span_y / ((fig_h - 0.4) * 72)
    node_w, node_h = 1.3, 0.66
    taken = [(layout[v][0], layout[v][1], node_w, node_h) for v in nodes]
    endo = list(dict.fromkeys(reg["lhs"]))
    res = estimates[(estimates["op"] == "~~") & (estimates["lhs"] == estimates["rhs"]) & estimates["lhs"].isin(endo)]
    r2_spots = {}
    for row in res.itertuples(index=False):
        x, y = layout[row.lhs]
        size = (60 * ux, 12 * uy)
        spot = _free_spot([(x, y - node_h / 2 - size[1] / 2 - 0.02), (x, y + node_h / 2 + size[1] / 2 + 0.02)],
                          [], size)
        r2_spots[row.lhs] = spot
        taken.append((*spot, *size))
    std = estimates.columns.get_loc("std.all")
    lo_col, hi_col = estimates.columns.get_loc("ci.lower"), estimates.columns.get_loc("ci.upper")
    for row in reg.itertuples(index=False):
        (x0, y0), (x1, y1) = layout[row.rhs], layout[row.lhs]
        significant = bool(row[lo_col] > 0 or row[hi_col] < 0)
        value = float(row[std])
        color = "#2b4f7a" if value >= 0 else "#b2182b"
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 0.8 + 3 * abs(value),
                                "linestyle": "-" if significant else (0, (4, 3)), "shrinkA": 30, "shrinkB": 32,
                                "alpha": 0.9 if significant else 0.55})
        label = f"{value:.2f}"
        size = ((6.5 * len(label) + 6) * ux, 15 * uy)
        # along the arrow first, then just beside it (perpendicular), wherever no node or label is
        length = max(np.hypot((x1 - x0) / ux, (y1 - y0) / uy), 1e-9)  # in points
        px, py = -(y1 - y0) / uy / length * ux, (x1 - x0) / ux / length * uy  # unit normal, in axis units per point
        spot = _free_spot([(x0 + t * (x1 - x0) + o * 13 * px, y0 + t * (y1 - y0) + o * 13 * py)
                           for o in (0, 1, -1) for t in (0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75)], taken, size)
        taken.append((*spot, *size))
        ax.text(*spot, label, fontsize=10, ha="center", va="center", color=color,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
    for v in nodes:
        x, y = layout[v]
        if v in latent:
            ax.add_patch(Ellipse((x, y), node_w, node_h, facecolor="#dfe9f5", edgecolor="#2b4f7a", linewidth=1.3))
        else:
            ax.add_patch(FancyBboxPatch((x - node_w / 2 + 0.05, y - node_h / 2 + 0.05), node_w - 0.1, node_h - 0.1,
                                        boxstyle="round,pad=0.05", facecolor="#f4f4f4", edgecolor="#555555"))
        ax.text(x, y, node_text[v], ha="center", va="center", fontsize=MIN_FONT_PT, fontweight="bold")
    if key:  # long names: the node shows the code, the key under the diagram the words
        ax.text(min(xs) - 1.0, min(ys) - 0.9, textwrap.fill("; ".join(f"{v}: {n}" for v, n in key.items()),
                                                            int(fig_w * 72 / 5.0)),
                ha="left", va="top", fontsize=MIN_FONT_PT, color="#333333")
    for v, (x, y) in r2_spots.items():
        r = res[res["lhs"] == v].iloc[0]
        ax.text(x, y, f"R² = {1 - float(r['std.all']):.2f}", ha="center", va="center", fontsize=MIN_FONT_PT,
                color="#333333")
    heading = {"en": "Standardized paths (dashed: 95% CI includes 0)",
               "vi": "Hệ số đường dẫn chuẩn hóa (nét đứt: KTC 95% chứa 0)"}[lang]
    ax.set_title(title or heading, fontsize=10.5, loc="left")
    fig.tight_layout()
    return fig
