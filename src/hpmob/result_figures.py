"""Figures of the analysis results: parallel analysis, latent means, robustness, power, specification curve.

Each function draws one results table the analysis produces (not the survey's answers, which
:mod:`hpmob.plots` draws) and returns a :class:`matplotlib.figure.Figure`, labelled in
Vietnamese or English, in the book's fonts and sizes (:mod:`hpmob.plot_style`).
:mod:`hpmob.plots` re-exports every function, which is where to import them from.

Examples
--------
>>> import pandas as pd
>>> from hpmob.result_figures import power_curve_figure
>>> curve = pd.DataFrame({"effect": ["d = 0.3"] * 2, "n_per_level": [50, 100], "power": [0.5, 0.8],
...                       "mc_se": [0.02, 0.02]})
>>> [float(y) for y in power_curve_figure(curve).axes[0].get_ylim()]
[0.0, 1.05]
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hpmob.codebook import Codebook, load_codebook
from hpmob.plot_style import MIN_FONT_PT, PAGE_WIDTH_IN, check_lang, use_vietnamese_font, wrap_text

# Empty, as hpmob.plots' __all__ left these figures out (its __all__ is what the numpydoc
# checks of tests/test_public_api_docs.py read); they are public all the same.
__all__: list[str] = []


_PA_TEXT = {
    "en": {"observed": "observed", "random": "random data (95th percentile)", "retained": "retained: {k} factors",
           "x": "Factor", "y": "Eigenvalue"},
    "vi": {"observed": "quan sát", "random": "dữ liệu ngẫu nhiên (phân vị 95)", "retained": "giữ lại: {k} nhân tố",
           "x": "Nhân tố", "y": "Giá trị riêng"},
}


def parallel_analysis_figure(pa: pd.DataFrame, *, max_factors: int = 15, lang: str = "en") -> Figure:
    """Scree plot of observed eigenvalues against the parallel-analysis reference.

    Parameters
    ----------
    pa : DataFrame
        :func:`hpmob.efa.parallel_analysis` output (``factor, observed,
        simulated_mean, simulated_quantile, retain``).
    max_factors : int
        Show at most this many leading eigenvalues.
    lang : {"en", "vi"}
        Language of the labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_lang(lang)
    text = _PA_TEXT[lang]
    use_vietnamese_font()
    shown = pa[pa["factor"] <= max_factors]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 4))
    ax.plot(shown["factor"], shown["observed"], "o-", color="#2b4f7a", label=text["observed"])
    ax.plot(shown["factor"], shown["simulated_quantile"], "s--", color="#b2182b", markersize=4,
            label=text["random"])
    kept = shown[shown["retain"]]
    ax.scatter(kept["factor"], kept["observed"], s=90, facecolors="none", edgecolors="#2b4f7a",
               label=text["retained"].format(k=int(pa["retain"].sum())))
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.set_xticks(shown["factor"])
    ax.legend(frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def latent_means_figure(table: pd.DataFrame, *, lang: str = "en", codebook: Codebook | None = None,
                        group: str, names: dict[str, str] | None = None) -> Figure:
    """Latent mean differences from the reference group, with confidence intervals.

    Parameters
    ----------
    table : DataFrame
        Long table with columns ``factor, group_label, est, ci.lower, ci.upper`` (e.g.
        :func:`hpmob.sem.latent_mean_differences` for several factors, concatenated).
    lang : {"en", "vi"}
        Language of the group labels, taken from the codebook's labels of ``group``.
    codebook : Codebook, optional
    group : str
        The grouping attribute of the multigroup model (the caller's, e.g. the plan's).
    names : dict, optional
        Factor → name in words for the axis labels (default: the factor codes).

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_lang(lang)
    use_vietnamese_font()
    names = names or {}
    cb = codebook or load_codebook()
    labels = cb.value_labels(group, lang=lang) if group in cb.attribute_columns else {}
    factors = list(dict.fromkeys(table["factor"]))
    groups = list(dict.fromkeys(table["group_label"]))
    colors = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 1.3 + 0.9 * len(factors)))
    offsets = np.linspace(-0.22, 0.22, len(groups))
    for g, (group, dy) in enumerate(zip(groups, offsets)):
        rows = table[table["group_label"] == group].set_index("factor").reindex(factors)
        y = np.arange(len(factors)) + dy
        ax.errorbar(rows["est"], y, xerr=[rows["est"] - rows["ci.lower"], rows["ci.upper"] - rows["est"]],
                    fmt="o", color=colors[g % len(colors)], capsize=3, label=labels.get(group, group))
    ax.axvline(0, color="#666666", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(factors)), [wrap_text(f"{f}  {names[f]}" if f in names else f, 26, 3) for f in factors])
    ax.invert_yaxis()
    ax.set_xlabel("Latent mean difference from the reference group (95% CI)"
                  if lang == "en" else "Chênh lệch trung bình tiềm ẩn so với nhóm tham chiếu (KTC 95%)")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(groups), fontsize=MIN_FONT_PT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


_ROBUST_TEXT = {
    "en": {"supported": "supported", "not": "not supported", "x": "Estimate and 95% CI"},
    "vi": {"supported": "được ủng hộ", "not": "không được ủng hộ", "x": "Ước lượng và KTC 95%"},
}


def robustness_figure(table: pd.DataFrame, *, hypotheses: Sequence[str], lang: str = "en") -> Figure:
    """Specification-curve style view: each claim's estimate and CI under every variant.

    One panel per claim, stacked in one column at the book's width, one row per variant.

    Parameters
    ----------
    table : DataFrame
        :func:`hpmob.variants.robustness_table` output.
    hypotheses : sequence of str
        Which claims to show: values of the table's ``hypothesis`` column, or their first
        word (``"P1"`` also shows ``"P1 (x)"``). The caller's choice (the study layer's
        :attr:`hpmob.study.plan.AnalysisPlan.estimate_labels`: claims judged by an estimate).
    lang : {"en", "vi"}
        Language of the legend and axis label (the claims are shown as the table words them).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> table = pd.DataFrame({"claim": ["A", "A", "B", "B"], "hypothesis": ["P1", "P1", "P2", "P2"],
    ...                       "variant": ["main", "alt"] * 2, "estimate": [0.3, 0.2, 0.5, 0.4],
    ...                       "ci_low": [0.1, -0.1, 0.3, 0.2], "ci_high": [0.5, 0.4, 0.7, 0.6],
    ...                       "verdict": ["supported", "not supported", "supported", "supported"]})
    >>> fig = robustness_figure(table, hypotheses=["P2"])
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['P2: B']
    """
    check_lang(lang)
    if isinstance(hypotheses, str):
        raise TypeError(f"robustness_figure(): hypotheses is a list of labels, e.g. [{hypotheses!r}]")
    text = _ROBUST_TEXT[lang]
    use_vietnamese_font()
    label = table["hypothesis"].astype(str)
    shown = table[label.isin(hypotheses) | label.str.split(" ").str[0].isin(hypotheses)]
    claims = list(dict.fromkeys(shown["claim"]))
    variants = list(dict.fromkeys(shown["variant"]))
    panel_h = 0.28 * len(variants) + 0.9
    fig, axes = plt.subplots(max(1, len(claims)), 1, figsize=(PAGE_WIDTH_IN, panel_h * max(1, len(claims)) + 0.5),
                             squeeze=False, layout="constrained")
    for ax, claim in zip(axes.ravel(), claims):
        rows = shown[shown["claim"] == claim].set_index("variant").reindex(variants)
        y = np.arange(len(variants))
        ok = (rows["verdict"] == "supported").to_numpy()
        ax.errorbar(rows["estimate"], y, xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                    fmt="none", ecolor="#999999", capsize=2)
        ax.scatter(rows["estimate"][ok], y[ok], color="#2b4f7a", zorder=3, s=22, label=text["supported"])
        ax.scatter(rows["estimate"][~ok], y[~ok], color="#b2182b", marker="X", zorder=3, s=30, label=text["not"])
        ax.set_yticks(y, variants, fontsize=MIN_FONT_PT)
        ax.invert_yaxis()
        hyp = rows["hypothesis"].dropna().iloc[0] if rows["hypothesis"].notna().any() else ""
        ax.set_title(wrap_text(f"{hyp}: {claim}", 95, 2), fontsize=MIN_FONT_PT, loc="left")
        ax.axvline(0, color="#cccccc", linewidth=0.8)
        ax.tick_params(axis="x", labelsize=MIN_FONT_PT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", frameon=False, fontsize=MIN_FONT_PT, ncols=2)
    axes.ravel()[-1].set_xlabel(text["x"], fontsize=MIN_FONT_PT)
    return fig


_POWER_TEXT = {
    "en": {"x": "Respondents per group", "y": "Power (share of simulated\nstudies detecting the effect)"},
    "vi": {"x": "Số người trả lời mỗi nhóm", "y": "Độ mạnh (tỷ lệ nghiên cứu mô phỏng\nphát hiện được hiệu ứng)"},
}


def power_curve_figure(curve: pd.DataFrame, *, target: float = 0.80, lang: str = "en") -> Figure:
    """Power against planned respondents per group, one line per effect, with Monte Carlo error bars.

    Parameters
    ----------
    curve : DataFrame
        :func:`hpmob.power.power_curve` output.
    target : float
        Power to aim for (dashed line).
    lang : {"en", "vi"}
        Language of the axis labels (the effects are named as the curve names them).

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_lang(lang)
    use_vietnamese_font()
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 4))
    for (effect, sub), color in zip(curve.groupby("effect", sort=False), ["#0072B2", "#E69F00", "#009E73"]):
        ax.errorbar(sub["n_per_level"], sub["power"], yerr=1.96 * sub["mc_se"], marker="o", capsize=3,
                    color=color, label=effect)
    ax.axhline(target, color="#666666", linestyle="--", linewidth=0.8)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(_POWER_TEXT[lang]["x"])
    ax.set_ylabel(_POWER_TEXT[lang]["y"])
    ax.legend(frameon=False, loc="lower right")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


_CURVE_TEXT = {
    "en": {"supported": "supported", "not": "not supported", "x": "Specifications, sorted by estimate",
           "y": "Estimate (95 % CI)", "share": "{k} of {n} specifications support the claim"},
    "vi": {"supported": "được ủng hộ", "not": "không được ủng hộ", "x": "Các đặc tả, xếp theo ước lượng",
           "y": "Ước lượng (KTC 95 %)", "share": "{k} trên {n} đặc tả ủng hộ nhận định"},
}


def specification_curve_figure(curve: pd.DataFrame, choices: Sequence[str], *, title: str = "",
                               level_order: dict | None = None, lang: str = "en",
                               labels: dict | None = None) -> Figure:
    """One claim's specification curve: sorted estimates with CIs above, the choices below.

    Simonsohn, Simmons & Nelson (2020)'s layout: the upper panel shows every
    specification's estimate and interval, sorted, coloured by its verdict; the lower panel
    marks, for each specification (column), the level of every analytic choice (rows).

    Parameters
    ----------
    curve : DataFrame
        :func:`hpmob.speccurve.specification_curve` output with ``estimate, ci_low,
        ci_high, supported`` and one column per choice.
    choices : sequence of str
        The choice columns shown in the lower panel, in this order.
    title : str
        Panel title (e.g. the claim).
    level_order : dict, optional
        Choice → its levels in the order to list them (default: as they first appear).
    lang : {"en", "vi"}
    labels : dict, optional
        Choice → ``{"name": words, "levels": {level: words}}`` for the row labels
        (:func:`hpmob.robustness.choice_words`); default the column and level names.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> df = pd.DataFrame({"rank": [1, 2], "estimate": [0.1, 0.3], "ci_low": [-0.1, 0.1], "ci_high": [0.3, 0.5],
    ...                    "supported": [False, True], "cut": ["a", "b"]})
    >>> fig = specification_curve_figure(df, ["cut"], title="Claim 1")
    >>> len(fig.axes)
    2
    """
    check_lang(lang)
    text = _CURVE_TEXT[lang]
    use_vietnamese_font()
    order = level_order or {}
    levels = [(c, str(lv)) for c in choices for lv in (order.get(c) or dict.fromkeys(curve[c].astype(str)))]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(PAGE_WIDTH_IN, 2.4 + 0.2 * len(levels)), sharex=True,
                                      layout="constrained", height_ratios=[2.2, 0.25 * len(levels) + 0.3])
    x = np.arange(1, len(curve) + 1)
    ok = curve["supported"].astype(bool).to_numpy()
    top.errorbar(x, curve["estimate"], yerr=[curve["estimate"] - curve["ci_low"], curve["ci_high"] - curve["estimate"]],
                 fmt="none", ecolor="#bbbbbb", elinewidth=0.8)
    top.scatter(x[ok], curve["estimate"][ok], color="#2b4f7a", s=14, zorder=3, label=text["supported"])
    top.scatter(x[~ok], curve["estimate"][~ok], color="#b2182b", marker="X", s=20, zorder=3, label=text["not"])
    top.axhline(0, color="#888888", linewidth=0.8)
    top.set_ylabel(text["y"], fontsize=MIN_FONT_PT)
    top.tick_params(labelsize=MIN_FONT_PT)
    fig.suptitle(wrap_text(title, 95, 2), fontsize=MIN_FONT_PT, x=0.01, ha="left")
    top.legend(fontsize=MIN_FONT_PT, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2,
               title=text["share"].format(k=int(ok.sum()), n=len(curve)), title_fontsize=MIN_FONT_PT,
               alignment="left")
    for row, (choice, level) in enumerate(levels):
        on = (curve[choice].astype(str) == level).to_numpy()
        bottom.scatter(x[on], np.full(on.sum(), row), s=9, color="#333333", marker="s")
    words = labels or {}
    names = [f"{words.get(c, {}).get('name', c)}: {words.get(c, {}).get('levels', {}).get(lv, lv)}" for c, lv in levels]
    bottom.set_yticks(range(len(levels)), names, fontsize=MIN_FONT_PT)
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    bottom.set_xlabel(text["x"], fontsize=MIN_FONT_PT)
    bottom.tick_params(axis="x", labelsize=MIN_FONT_PT)
    bottom.xaxis.set_major_locator(plt.MaxNLocator(integer=True, min_n_ticks=1))
    for ax in (top, bottom):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig
