"""Figures for the survey: diverging Likert bars and composite means by group.

Every function returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``, so notebooks display it and scripts save it with ``fig.savefig``.
Labels (item wording, construct names, response categories, group names) come
from the :class:`~hpmob.codebook.Codebook` in Vietnamese or English.

Vietnamese needs glyphs many fonts lack (ế, ự, ẫ, ...), and matplotlib draws an
empty box for a missing glyph without raising. :func:`use_vietnamese_font` therefore
selects a font that is checked to contain them, and the plotting functions call it.

The fonts and text layout are defined in :mod:`hpmob.plot_style`, the SEM path diagrams
(:func:`measurement_diagram`, :func:`structural_diagram`) in :mod:`hpmob.sem_diagrams` and
the figures of analysis results (parallel analysis, latent means, robustness, power,
specification curve) in :mod:`hpmob.result_figures`; all are re-exported here, where
callers import them from. This module draws the survey's own answers.

Functions
---------
use_vietnamese_font
    Pick and activate a font with full Vietnamese coverage.
missing_glyphs
    Characters of a text that a font family cannot draw.
likert_diverging
    Diverging stacked bars of every item, grouped by construct.
composites_by_level
    Point-range plot of composite means with CIs by group (e.g. the plan's grouping variable).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from hpmob.checks import check_frame
from hpmob.codebook import Codebook, load_codebook

# Fonts and text layout (hpmob.plot_style) and the SEM path diagrams (hpmob.sem_diagrams) are
# defined apart; their public names are re-exported here, where callers (the book's figures,
# the tests) import them from; the `x as x` form marks those outside __all__.
from hpmob.plot_style import COLUMN_PX as COLUMN_PX
from hpmob.plot_style import (
    FONT_CANDIDATES,
    MIN_FONT_PT,
    PAGE_WIDTH_IN,
    PLOT_LANGUAGES,
    VIETNAMESE_SAMPLE,
    add_note,
    check_lang,
    left_align_labels,
    missing_glyphs,
    use_vietnamese_font,
    wrap_text,
)
from hpmob.plot_style import MIN_TEXT_PX as MIN_TEXT_PX
from hpmob.plot_style import overlapping_texts as overlapping_texts
from hpmob.plot_style import smallest_text_px as smallest_text_px
from hpmob.response_checks import check_codebook, numeric_items, resolve_constructs
from hpmob.result_figures import latent_means_figure as latent_means_figure
from hpmob.result_figures import parallel_analysis_figure as parallel_analysis_figure
from hpmob.result_figures import power_curve_figure as power_curve_figure
from hpmob.result_figures import robustness_figure as robustness_figure
from hpmob.result_figures import specification_curve_figure as specification_curve_figure
from hpmob.sem_diagrams import layered_layout as layered_layout
from hpmob.sem_diagrams import measurement_diagram as measurement_diagram
from hpmob.sem_diagrams import structural_diagram as structural_diagram

__all__ = [
    "FONT_CANDIDATES",
    "VIETNAMESE_SAMPLE",
    "composites_by_level",
    "likert_diverging",
    "missing_glyphs",
    "use_vietnamese_font",
]


# RdBu (ColorBrewer, colour-blind safe) with a neutral grey centre: red = disagree,
# blue = agree, so the two sides read apart without relying on hue alone.
_DIVERGING = {
    2: ["#ca0020", "#0571b0"],
    3: ["#ca0020", "#bdbdbd", "#0571b0"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#bdbdbd", "#92c5de", "#0571b0"],
    6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
    7: ["#b2182b", "#ef8a62", "#fddbc7", "#bdbdbd", "#d1e5f0", "#67a9cf", "#2166ac"],
}
# Okabe–Ito colours (colour-blind safe) for the groups, in codebook order, first darkest.
_LEVEL_STYLE = [("#0072B2", "o"), ("#E69F00", "s"), ("#009E73", "D"), ("#CC79A7", "^"), ("#56B4E9", "v")]

_TEXT = {
    "share": {"vi": "Tỷ lệ người trả lời (%)", "en": "Share of respondents (%)"},
    "note_r": {
        "vi": "(R) = câu hỏi đảo chiều, hiển thị theo câu trả lời gốc. Số ở hai đầu thanh: tổng % các mức "
              "dưới (trái) và trên (phải) mức giữa. Tỷ lệ tính trên số người trả lời câu hỏi",
        "en": "(R) = reverse-keyed item, shown as answered. Numbers at the bar ends: total % below (left) and "
              "above (right) the middle category. Shares of respondents who answered the item",
    },
    "mean": {"vi": "Điểm trung bình ({lo:g}–{hi:g}) và khoảng tin cậy {p}%",
             "en": "Mean score ({lo:g}–{hi:g}) with {p}% confidence interval"},
    "suppressed": {
        "vi": "Các ô có quá ít người trả lời bị ẩn để bảo mật",
        "en": "Cells with too few respondents are suppressed for privacy and not shown",
    },
    "n_suppressed": {"vi": "n ẩn để bảo mật", "en": "n suppressed"},
}


# ------------------------------------------------------------------------------ fonts


# ---------------------------------------------------------------------------- helpers


def _item_label(code: str, text: str, reverse: bool, width: int, max_lines: int) -> str:
    head = f"{code}{' (R)' if reverse else ''}"
    return wrap_text(f"{head}  {text}", width, max_lines)


# ----------------------------------------------------------------- diverging Likert
def _likert_counts(x: pd.Series, lo: int, hi: int) -> tuple[np.ndarray, int]:
    v = x.dropna()
    counts = np.array([(v == c).sum() for c in range(lo, hi + 1)], dtype=float)
    return counts, len(v)


def likert_diverging(
    data: pd.DataFrame,
    codebook: Codebook,
    *,
    lang: str = "en",
    constructs: str | Sequence[str] | None = None,
    width: float = PAGE_WIDTH_IN,
    label_width: int = 34,
    label_lines: int = 8,
    title: str | None = None,
    font: str | None = None,
) -> Figure:
    """Diverging stacked bars of the answers to every item, grouped by construct.

    Each item is one horizontal bar of response shares (of those who answered),
    centred on the middle of the neutral category: disagreement extends left,
    agreement right, so items compare at a glance. Items are shown **as answered**
    (the wording on the label is what respondents agreed with); reverse-keyed items
    are marked "(R)". Totals of the disagree and agree sides are printed at the bar
    ends.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered (integer codes, NaN = missing).
    codebook : Codebook
        The instrument: item wording, scales, reverse keys and constructs.
    lang : {"vi", "en"}, default "en"
        Language of item wording, construct names and category labels.
    constructs : str or list of str, optional
        Constructs to show, in order; default all constructs of the codebook. The book
        draws one figure per construct, so that the wording stays legible at the
        column width.
    width : float, default PAGE_WIDTH_IN
        Figure width in inches; the height follows from the number of items and the
        lines of their wording (text is at least MIN_FONT_PT points).
    label_width, label_lines : int
        Item labels ("A1  wording …") are wrapped at `label_width` characters and
        cut with "…" after `label_lines` lines.
    title : str, optional
        Figure title.
    font : str, optional
        Font family; default chosen by :func:`use_vietnamese_font` (which also sets
        it globally).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per construct (titled "code — name"), one bar per item; a legend
        of category labels per response scale at the top.

    Examples
    --------
    The bundled second instrument (examples/wellbeing); its construct TR has three items:

    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(100, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> fig = likert_diverging(s.answers, cb, constructs=["TR"])
    >>> len(fig.axes[0].get_yticklabels())
    3
    """
    check_frame(data, "likert_diverging")
    check_codebook(codebook, "likert_diverging")
    check_lang(lang)
    constructs = resolve_constructs(codebook, constructs, "likert_diverging")
    use_vietnamese_font(font)

    meta = codebook.items.set_index("code")
    cons = codebook.constructs.set_index("code")
    groups = []
    for con in constructs:
        items = codebook.items_of(con)
        missing = [c for c in items if c not in data.columns]
        if missing:
            raise KeyError(
                f"likert_diverging(): the data lack item column(s) {', '.join(missing)} of construct "
                f"{con!r}; pass constructs=[...] with only the constructs present"
            )
        groups.append((con, items, numeric_items(data, items, codebook, "likert_diverging")))

    # One shared x-range so bar lengths compare across panels.
    stats_by_item, max_left, max_right, n_range = {}, 0.0, 0.0, []
    for _con, items, x in groups:
        for it in items:
            lo, hi = codebook.scale_range(it)
            counts, n = _likert_counts(x[it], lo, hi)
            pct = 100 * counts / n if n else np.full(len(counts), np.nan)
            k = len(pct)
            mid = k // 2
            neutral = pct[mid] if k % 2 else 0.0
            left = np.nansum(pct[:mid]) + neutral / 2
            right = np.nansum(pct[k - mid:]) + neutral / 2
            stats_by_item[it] = (pct, neutral, left, right, n)
            max_left, max_right = max(max_left, left), max(max_right, right)
            n_range.append(n)
    # Asymmetric limits: agreement-heavy items would leave the left half empty.
    # The 10 points of slack leave room for the percentage labels at the bar ends.
    xmin = 10 * np.ceil((max_left + 10) / 10)
    xmax = 10 * np.ceil((max_right + 10) / 10)

    labels = {it: _item_label(it, meta.loc[it, f"text_{lang}"], bool(meta.loc[it, "reverse"]), label_width,
                              label_lines) for _, items, _ in groups for it in items}
    # A bar's slot grows with the lines of its wording (9 pt lines are 0.16 in apart).
    slots = {it: max(0.42, 0.17 * (lab.count("\n") + 1) + 0.1) for it, lab in labels.items()}
    heights = [sum(slots[it] for it in items) + 0.45 for _, items, _ in groups]
    fig_h = sum(heights) + 1.9
    fig = plt.figure(figsize=(width, fig_h), layout="constrained")
    axes = fig.subplots(len(groups), 1, sharex=True, gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)

    scales_seen: dict[str, list[str]] = {}
    for ax, (con, items, _) in zip(axes, groups):
        scale = codebook.scale_of(items[0])
        scales_seen.setdefault(scale, []).append(con)
        # first item on top; each bar centred in a slot as tall as its wording
        edges = np.cumsum([0.0] + [slots[it] for it in items[::-1]])
        y = ((edges[:-1] + edges[1:]) / 2)[::-1]
        bar_h = 0.3
        for yi, it in zip(y, items):
            pct, neutral, left, right, n = stats_by_item[it]
            k = len(pct)
            colors = _DIVERGING.get(k) or list(mpl.colormaps["RdBu"](np.linspace(0.1, 0.9, k)))
            mid = k // 2
            # Left side: stack outward from the neutral half, most extreme last.
            start = -neutral / 2
            for c in range(mid - 1, -1, -1):
                ax.barh(yi, -pct[c], left=start, color=colors[c], height=bar_h, edgecolor="white", linewidth=0.5)
                start -= pct[c]
            if k % 2:
                ax.barh(yi, neutral, left=-neutral / 2, color=colors[mid], height=bar_h,
                        edgecolor="white", linewidth=0.5)
            start = neutral / 2
            for c in range(k - mid, k):
                ax.barh(yi, pct[c], left=start, color=colors[c], height=bar_h, edgecolor="white", linewidth=0.5)
                start += pct[c]
            disagree = np.nansum(pct[:mid])
            agree = np.nansum(pct[k - mid:])
            ax.text(-left - 1.5, yi, f"{disagree:.0f}%", va="center", ha="right", fontsize=MIN_FONT_PT,
                    color="#444444")
            ax.text(right + 1.5, yi, f"{agree:.0f}%", va="center", ha="left", fontsize=MIN_FONT_PT, color="#444444")
        ax.set_yticks(y)
        ax.set_yticklabels([labels[it] for it in items], fontsize=MIN_FONT_PT)
        ax.set_ylim(0, edges[-1])
        ax.axvline(0, color="#333333", linewidth=0.8)
        # wrapped to the bars' width (the item labels take about label_width characters of 5 pt)
        ax.set_title(wrap_text(f"{con} — {cons.loc[con, f'label_{lang}']}", int((width * 72 - 5.2 * label_width) / 7.0), 3),
                     loc="left",
                     fontsize=10.5, fontweight="bold")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    ax = axes[-1]
    ax.set_xlim(-xmin, xmax)
    ax.xaxis.set_major_locator(MultipleLocator(20 if xmin + xmax > 120 else 10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):.0f}"))
    ax.set_xlabel(_TEXT["share"][lang])

    _scale_legend(fig, codebook, scales_seen, lang)
    n_text = f"n = {min(n_range)}–{max(n_range)}" if min(n_range) != max(n_range) else f"n = {n_range[0]}"
    left_align_labels(fig, axes)
    add_note(fig, f"{_TEXT['note_r'][lang]} ({n_text}).", width)
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.get_layout_engine().set(h_pad=0.06)
    return fig


def _scale_legend(fig: Figure, codebook: Codebook, scales: dict[str, list[str]], lang: str) -> None:
    """Category legend at the top: one row per response scale.

    With several scales (say an agreement scale for most constructs and a necessity
    scale for one) each row starts with the constructs it applies to. Matplotlib fills legends column by column,
    so the entries are interleaved to make each scale one row.
    """
    rows = []
    for scale, cons_using in scales.items():
        labels = list(codebook.value_labels(scale, lang=lang, include_missing=False).values())
        k = len(labels)
        colors = _DIVERGING.get(k) or list(mpl.colormaps["RdBu"](np.linspace(0.1, 0.9, k)))
        row = [Patch(facecolor=c, label=lab) for c, lab in zip(colors, labels)]
        if len(scales) > 1:
            row.insert(0, Patch(facecolor="none", edgecolor="none", label=", ".join(cons_using) + ":"))
        rows.append(row)
    width = max(len(r) for r in rows)
    blank = Patch(facecolor="none", edgecolor="none", label="")
    rows = [r + [blank] * (width - len(r)) for r in rows]
    handles = [rows[i][j] for j in range(width) for i in range(len(rows))]
    # One scale with long category labels (Vietnamese): two legend rows rather than past the figure.
    ncols = width
    if len(rows) == 1 and sum(len(h.get_label()) for h in rows[0]) > 62:
        ncols = -(-width // 2)
        handles = rows[0]
    fig.legend(handles=handles, loc="outside upper center", ncols=ncols, frameon=False, fontsize=MIN_FONT_PT,
               columnspacing=1.0, handlelength=1.2)


# ------------------------------------------------------------- composites by level
def composites_by_level(
    summary: pd.DataFrame,
    *,
    lang: str = "en",
    codebook: Codebook | None = None,
    constructs: Sequence[str] | None = None,
    group: str,
    scale: tuple[float, float],
    bands: Sequence[tuple[float, float, str]] | None = None,
    label_width: int = 26,
    label_lines: int = 4,
    title: str | None = None,
    font: str | None = None,
) -> Figure:
    """Point-range plot of composite means with confidence intervals by group.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`hpmob.score.composite_by_group` grouped by the attribute `group`:
        columns ``construct, group, n, mean, ci_low, ci_high`` (``conf`` is used for
        the axis label if present). Suppressed cells (NaN mean) are left out and
        noted under the plot.
    lang : {"vi", "en"}, default "en"
        Language of construct names, level names and axis text.
    codebook : Codebook, optional
        Source of construct names and the group order (of the attribute `group`);
        default :func:`~hpmob.codebook.load_codebook`.
    constructs : list of str, optional
        Constructs to show, top to bottom; default those in `summary`, in codebook order.
    group : str
        The categorical attribute `summary` is grouped by (the caller's grouping
        variable, e.g. the plan's): its value labels name the points.
    scale : (float, float)
        The response scale's range, the axis limits (e.g. ``(1.0, 5.0)``).
    bands : sequence of (lowest, highest, label) or None, default None
        Mean bands shaded in the background and named along the top (the part of
        the label for `lang`, when labels are "vi / en"), e.g.
        :data:`hpmob.score.VN_BANDS` on a 1–5 scale; None for no bands.
    label_width, label_lines : int, default 26 and 4
        Construct names are wrapped at `label_width` characters and cut with "…"
        after `label_lines` lines.
    title : str, optional
        Figure title (default none: the caption says what it shows).
    font : str, optional
        Font family (see :func:`use_vietnamese_font`).

    Returns
    -------
    matplotlib.figure.Figure
        One row per construct, one point (with CI bar) per level, levels offset
        vertically and distinguished by colour and marker; legend gives level
        names with their n.

    Examples
    --------
    >>> from hpmob.paths import project_root
    >>> from hpmob.score import composite_scores, composite_by_group
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(300, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> sc = composite_scores(s.answers, cb, constructs=["SP", "WB"])
    >>> summary = composite_by_group(sc, s.attributes["gender"])
    >>> fig = composites_by_level(summary, codebook=cb, group="gender", scale=(1.0, 7.0), bands=None)
    >>> len(fig.axes)
    1
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(
            "composites_by_level() needs the DataFrame from hpmob.score.composite_by_group; "
            f"got {type(summary).__name__}"
        )
    need = ["construct", "group", "n", "mean", "ci_low", "ci_high"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise KeyError(
            f"composites_by_level(): summary lacks column(s) {', '.join(missing)}; pass the output of "
            "hpmob.score.composite_by_group(scores, 'level')"
        )
    check_lang(lang)
    cb = codebook if codebook is not None else load_codebook()
    level_labels = cb.value_labels(group, lang=lang)
    unknown = sorted(set(summary["group"].dropna()) - set(level_labels), key=str)
    if unknown:
        raise ValueError(
            f"composites_by_level(): groups {', '.join(map(repr, unknown))} are not values of {group!r} "
            f"({', '.join(level_labels)}); group the composites by {group!r} or pass group=")
    cons_table = cb.constructs.set_index("code")
    present = list(pd.unique(summary["construct"]))
    if constructs is None:
        constructs = [c for c in cons_table.index if c in present] + [c for c in present if c not in cons_table.index]
    else:
        absent = [c for c in constructs if c not in present]
        if absent:
            raise KeyError(
                f"composites_by_level(): construct(s) {', '.join(absent)} not in summary "
                f"(it has {', '.join(present)})"
            )
    levels = [lev for lev in level_labels if lev in set(summary["group"])]
    use_vietnamese_font(font)

    n_con = len(constructs)
    fig = plt.figure(figsize=(PAGE_WIDTH_IN, 0.8 * n_con + 2.0), layout="constrained")
    ax = fig.add_subplot()
    step = 0.24 if len(levels) <= 3 else 0.7 / len(levels)
    offsets = (np.arange(len(levels)) - (len(levels) - 1) / 2) * step
    shown = summary[summary["construct"].isin(constructs) & summary["mean"].notna()]
    lo = max(scale[0], np.floor(10 * (shown["ci_low"].min() - 0.15)) / 10) if len(shown) else scale[0]
    hi = min(scale[1], np.ceil(10 * (shown["ci_high"].max() + 0.15)) / 10) if len(shown) else scale[1]

    if bands:
        top = ax.get_xaxis_transform()
        for i, (b_lo, b_hi, lab) in enumerate(bands):
            # Bands meet halfway between e.g. 1.80 and 1.81 so the shading has no gaps.
            left = b_lo - 0.005 if i else b_lo
            right = b_hi + 0.005 if i < len(bands) - 1 else b_hi
            if right <= lo or left >= hi:
                continue
            ax.axvspan(max(left, lo), min(right, hi), color="#f2f2f2" if i % 2 else "#ffffff", zorder=0)
            if min(right, hi) - max(left, lo) < 0.1 * (hi - lo):
                continue  # a sliver of a band at the edge has no room for its name
            parts = [p.strip() for p in lab.split("/")]
            text = parts[PLOT_LANGUAGES.index(lang)] if len(parts) == 2 else lab
            ax.text((max(left, lo) + min(right, hi)) / 2, 1.005, text, transform=top, ha="center",
                    va="bottom", fontsize=MIN_FONT_PT, color="#666666")

    y_of = {c: n_con - 1 - i for i, c in enumerate(constructs)}
    handles = []
    for j, lev in enumerate(levels):
        color, marker = _LEVEL_STYLE[j % len(_LEVEL_STYLE)]
        rows = shown[shown["group"] == lev]
        y = np.array([y_of[c] for c in rows["construct"]]) - offsets[j]
        m = rows["mean"].to_numpy(float)
        err = np.vstack([m - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - m])
        ax.errorbar(m, y, xerr=err, fmt=marker, color=color, markersize=6, capsize=2.5,
                    elinewidth=1.4, markeredgecolor="white", markeredgewidth=0.6, zorder=3)
        # the largest published n of the level; a suppressed n is never printed in the legend
        n_lev = summary.loc[(summary["group"] == lev) & ~summary.get("suppressed", False), "n"].max()
        n_text = f"n = {int(n_lev)}" if pd.notna(n_lev) else _TEXT["n_suppressed"][lang]
        handles.append(plt.Line2D([], [], color=color, marker=marker, linestyle="-", markersize=6,
                                  label=f"{level_labels[lev]} ({n_text})"))
    ax.set_yticks([y_of[c] for c in constructs])
    ax.set_yticklabels([
        wrap_text(f"{c}  {cons_table.loc[c, f'label_{lang}']}" if c in cons_table.index else c,
                  label_width, label_lines)
        for c in constructs
    ], fontsize=9)
    for i in range(n_con - 1):
        ax.axhline(i + 0.5, color="#dddddd", linewidth=0.6, zorder=1)
    ax.set_ylim(-0.6, n_con - 0.4)
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(MultipleLocator(0.2 if hi - lo <= 2 else 0.5))
    conf = summary["conf"].iloc[0] if "conf" in summary.columns and len(summary) else 0.95
    ax.set_xlabel(_TEXT["mean"][lang].format(p=f"{100 * conf:g}", lo=scale[0], hi=scale[1]))
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    left_align_labels(fig, [ax])
    attr = cb.attributes.set_index("code")
    # Legend on top: the bottom holds the axis label and the suppression note.
    fig.legend(handles=handles, loc="outside upper center", ncols=len(levels), frameon=False, fontsize=9,
               title=attr.loc["level", f"label_{lang}"], title_fontsize=9)
    if "suppressed" in summary.columns and summary["suppressed"].any():
        add_note(fig, _TEXT["suppressed"][lang], PAGE_WIDTH_IN)
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig


def cleaning_flow_figure(flow: pd.DataFrame, *, lang: str = "en") -> Figure:
    """CONSORT-style diagram of the cleaning flow: raw → excluded by rule → analysed.

    Parameters
    ----------
    flow : DataFrame
        :func:`hpmob.clean.consort_flow` output (``step, rule, n_excluded, n_remaining``).
    lang : {"en", "vi"}
        Language of the box texts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import FancyBboxPatch

    texts = {
        "en": {"raw submissions": "Raw submissions", "analysed": "Analysed respondents",
               "duplicate": "Duplicate submission", "item_nonresponse": "Too many items unanswered",
               "speeder": "Speeder (completion time)", "straight_liner": "Straight-liner",
               "impossible_value": "Impossible value", "no_group_value": "No value of the grouping variable",
               "excluded": "Excluded", "suppressed": "suppressed"},
        "vi": {"raw submissions": "Phiếu thu về", "analysed": "Phiếu đưa vào phân tích",
               "duplicate": "Phiếu nộp trùng", "item_nonresponse": "Bỏ trống quá nhiều câu",
               "speeder": "Trả lời quá nhanh", "straight_liner": "Chọn một đáp án cho mọi câu",
               "impossible_value": "Giá trị không hợp lý", "no_group_value": "Không có giá trị của biến nhóm",
               "excluded": "Loại", "suppressed": "ẩn"},
    }[lang]
    use_vietnamese_font()
    steps = flow[~flow["rule"].isin(["raw submissions", "analysed"])].reset_index(drop=True)

    def count(v) -> str:  # a count the published flow suppressed (hpmob.disclosure.suppress_flow)
        return texts["suppressed"] if pd.isna(v) else str(int(v))

    n_raw = int(flow["n_remaining"].iloc[0])
    n_final = int(flow["n_remaining"].iloc[-1])
    height = 1.2 * (len(steps) + 1.3)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 0.85 * height))
    ax.set_xlim(0, 10)
    ax.set_ylim(-height, 0.6)
    ax.axis("off")

    def box(x, y, w, text, color):
        ax.add_patch(FancyBboxPatch((x, y - 0.42), w, 0.84, boxstyle="round,pad=0.05",
                                    facecolor=color, edgecolor="#333333", linewidth=1))
        ax.text(x + w / 2, y, text, ha="center", va="center", fontsize=9.5)

    y = 0.0
    box(0.3, y, 4.2, f"{texts['raw submissions']}\nn = {n_raw}", "#e8eef7")
    for k, row in enumerate(steps.itertuples()):
        y_next = y - 1.2
        ax.annotate("", xy=(2.4, y_next + 0.47), xytext=(2.4, y - 0.47),
                    arrowprops={"arrowstyle": "->", "color": "#333333"})
        ax.annotate("", xy=(5.4, y - 0.6), xytext=(2.4, y - 0.6),
                    arrowprops={"arrowstyle": "->", "color": "#999999"})
        box(5.4, y - 0.6, 4.3, f"{texts['excluded']}: {texts.get(row.rule, row.rule)}\nn = {count(row.n_excluded)}",
            "#fbeaea")
        y = y_next
        if k == len(steps) - 1:  # the last remaining box is the analysed sample
            box(0.3, y, 4.2, f"{texts['analysed']}\nn = {n_final}", "#e3f3e6")
        else:
            box(0.3, y, 4.2, f"n = {count(row.n_remaining)}", "#f4f4f4")
    ax.set_ylim(y - 0.6, 0.6)
    fig.tight_layout()
    return fig


