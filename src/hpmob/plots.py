"""Figures for the survey: diverging Likert bars and composite means by group.

Every function returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``, so notebooks display it and scripts save it with ``fig.savefig``.
Labels (item wording, construct names, response categories, group names) come
from the :class:`~hpmob.codebook.Codebook` in Vietnamese or English.

Vietnamese needs glyphs many fonts lack (ế, ự, ẫ, ...), and matplotlib draws an
empty box for a missing glyph without raising. :func:`use_vietnamese_font` therefore
selects a font that is checked to contain them, and the plotting functions call it.

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

import functools
import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from hpmob.checks import check_frame
from hpmob.codebook import Codebook, load_codebook
from hpmob.response_checks import check_codebook, numeric_items, resolve_constructs

__all__ = [
    "FONT_CANDIDATES",
    "VIETNAMESE_SAMPLE",
    "composites_by_level",
    "likert_diverging",
    "missing_glyphs",
    "use_vietnamese_font",
]

#: Every lower- and upper-case Vietnamese letter with a diacritic (precomposed, NFC,
#: the form the codebook stores). A font must draw all of them.
VIETNAMESE_SAMPLE = (
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ–…"
)

#: Fonts tried in order, with the Debian package that provides each. DejaVu Sans is
#: also bundled with matplotlib itself, so at least one normally exists. (Liberation
#: Sans, Nimbus Sans and STIX look like candidates but lack most Vietnamese letters.)
FONT_CANDIDATES: dict[str, str] = {
    "Noto Sans": "fonts-noto-core",
    "DejaVu Sans": "fonts-dejavu-core",
}

_LANGS = ("vi", "en")

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
@functools.cache
def _font_cmap(path: str) -> frozenset[int]:
    # fontTools ships with matplotlib (a hard dependency), so this adds no package.
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _font_path(family: str, weight: str = "normal") -> str:
    """File of `family` at `weight`, without matplotlib's silent fallback to DejaVu."""
    props = font_manager.FontProperties(family=family, weight=weight)
    return font_manager.findfont(props, fallback_to_default=False)


def missing_glyphs(family: str, text: str = VIETNAMESE_SAMPLE, *, weights=("normal", "bold")) -> str:
    """Return the characters of `text` that the font `family` has no glyph for.

    Parameters
    ----------
    family : str
        Font family name as matplotlib knows it (e.g. ``"DejaVu Sans"``).
    text : str, default VIETNAMESE_SAMPLE
        Characters to check (whitespace ignored).
    weights : tuple of str, default ("normal", "bold")
        Faces to check: regular and bold are separate files with separate character
        maps, and panel titles are bold.

    Returns
    -------
    str
        The characters missing from any of the faces, in order of first appearance;
        ``""`` if none.

    Raises
    ------
    ValueError
        If matplotlib cannot find `family` at all.

    Examples
    --------
    >>> missing_glyphs("DejaVu Sans", "ế ự Đ")
    ''
    """
    try:
        paths = {_font_path(family, w) for w in weights}
    except ValueError:
        raise ValueError(
            f"font family {family!r} is not installed (matplotlib cannot find it); "
            f"use one of {', '.join(FONT_CANDIDATES)} or install its package"
        ) from None
    cmaps = [_font_cmap(p) for p in sorted(paths)]
    seen = dict.fromkeys(
        ch for ch in text if not ch.isspace() and any(ord(ch) not in cmap for cmap in cmaps)
    )
    return "".join(seen)


def use_vietnamese_font(family: str | None = None) -> str:
    """Make matplotlib draw text in a font that has every Vietnamese glyph.

    Sets ``rcParams["font.family"]`` globally (figures created afterwards use it),
    after checking with fontTools that the character maps of its regular and bold
    faces cover :data:`VIETNAMESE_SAMPLE`. Without this, a font lacking e.g. "ự" renders a
    box in its place and matplotlib only logs a warning.

    Parameters
    ----------
    family : str, optional
        Font to use. Default: the first of :data:`FONT_CANDIDATES` (Noto Sans from
        Debian ``fonts-noto-core``, then DejaVu Sans from ``fonts-dejavu-core``, also
        bundled with matplotlib) that is installed and complete.

    Returns
    -------
    str
        The family now in use.

    Raises
    ------
    RuntimeError
        If `family` (or every candidate) is missing or lacks Vietnamese glyphs; the
        message lists the missing characters and the package to install.

    Examples
    --------
    >>> use_vietnamese_font("DejaVu Sans")
    'DejaVu Sans'
    """
    candidates = [family] if family is not None else list(FONT_CANDIDATES)
    problems = []
    for fam in candidates:
        try:
            gaps = missing_glyphs(fam)
        except ValueError:
            problems.append(f"{fam}: not installed")
            continue
        if gaps:
            problems.append(f"{fam}: lacks {len(gaps)} letters, e.g. {gaps[:12]}{'…' if len(gaps) > 12 else ''}")
            continue
        mpl.rcParams["font.family"] = [fam]
        # Noto Sans has no U+2212 MINUS SIGN; an ASCII hyphen-minus renders everywhere.
        mpl.rcParams["axes.unicode_minus"] = False
        return fam
    packages = ", ".join(f"{f} ({p})" for f, p in FONT_CANDIDATES.items())
    raise RuntimeError(
        "no font with Vietnamese glyphs found (" + "; ".join(problems) + "). "
        f"Install one of {packages}, e.g. `apt-get install fonts-noto-core`, then clear "
        "matplotlib's font cache (rm -r ~/.cache/matplotlib) and restart Python"
    )


# ---------------------------------------------------------------------------- helpers
def _check_lang(lang: str) -> None:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'vi' or 'en'; got {lang!r}")


#: Width of the book's text column in CSS pixels (Jupyter Book 1 theme, 1280 px window).
COLUMN_PX = 688
#: Smallest text a figure may show at the column width: the footnote size of print (0.75 of
#: the book's 16 px body text).
MIN_TEXT_PX = 12.0
#: Figure width (inches) the book's figures are drawn at, and their smallest font (points):
#: 9 pt at 7 in displayed 688 px wide is 12.3 px.
PAGE_WIDTH_IN = 7.0
MIN_FONT_PT = 9.0


def _visible_texts(fig: Figure):
    """Every text artist the figure draws (tick labels, titles, legends, annotations)."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.figure is fig]


def smallest_text_px(fig: Figure, *, column_px: float = COLUMN_PX) -> float:
    """Return the size in CSS pixels of the figure's smallest text when shown ``column_px`` wide.

    The figure's tight bounding box (what ``savefig(bbox_inches="tight")`` and the notebook's
    inline display keep) is scaled to the column, or shown at its natural size at 100 dpi
    if that is narrower.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(7, 3)); _ = ax.set_title("x", fontsize=9)
    >>> 11 < smallest_text_px(fig) < 14
    True
    >>> plt.close(fig)
    """
    fig.canvas.draw()
    width_in = fig.get_tightbbox(fig.canvas.get_renderer()).width
    px_per_pt = min(column_px / width_in, 100.0) / 72
    return min(t.get_fontsize() for t in _visible_texts(fig)) * px_per_pt


def overlapping_texts(fig: Figure, *, pad_px: float = 0.0) -> list[tuple[str, str]]:
    """Return the pairs of texts whose drawn boxes overlap (a legible figure has none).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.text(0.5, 0.5, "R² = 0.39"); _ = ax.text(0.52, 0.5, "0.08"); _ = ax.text(0.1, 0.1, "far")
    >>> overlapping_texts(fig)
    [('R² = 0.39', '0.08')]
    >>> plt.close(fig)
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(1, 1).padded(pad_px)) for t in _visible_texts(fig)]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]


def _wrap(text: str, width: int, max_lines: int) -> str:
    """Wrap to at most `max_lines` lines, ending in "…" if anything was cut."""
    lines = textwrap.wrap(text, width=width, break_long_words=False)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        # Cut at a word boundary so the ellipsis never splits a Vietnamese syllable.
        while len(last) > width - 1 and " " in last:
            last = last.rsplit(" ", 1)[0]
        lines = lines[: max_lines - 1] + [last.rstrip(" ,;:.") + "…"]
    return "\n".join(lines)


def _note(fig: Figure, text: str, width_in: float) -> None:
    """Small left-aligned note under the figure.

    Drawn as the figure's supxlabel because constrained layout reserves room for
    that, whereas a free fig.text would overlap the axis label.
    """
    per_line = int(width_in * 72 / 5.0)  # ~5 pt per character at 9 pt
    fig.supxlabel(textwrap.fill(text, per_line), x=0.01, ha="left", fontsize=MIN_FONT_PT, color="#555555")


def _left_align_labels(fig: Figure, axes) -> None:
    """Left-align the y tick labels of `axes` in one column, so item codes line up.

    Tick labels are anchored at the axis; left-aligned, they would run into the
    bars. So measure the widest label and push every label that far left (tick pad).
    """
    renderer = fig.canvas.get_renderer()
    widest = max(
        (lab.get_window_extent(renderer).width for ax in axes for lab in ax.get_yticklabels()),
        default=0.0,
    )
    pad = widest * 72 / fig.dpi + 6  # pixels to points, plus a gap before the axis
    for ax in axes:
        ax.tick_params(axis="y", pad=pad)
        for lab in ax.get_yticklabels():
            lab.set_horizontalalignment("left")


def _item_label(code: str, text: str, reverse: bool, width: int, max_lines: int) -> str:
    head = f"{code}{' (R)' if reverse else ''}"
    return _wrap(f"{head}  {text}", width, max_lines)


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
    _check_lang(lang)
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
        ax.set_title(_wrap(f"{con} — {cons.loc[con, f'label_{lang}']}", int((width * 72 - 5.2 * label_width) / 7.0), 3),
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
    _left_align_labels(fig, axes)
    _note(fig, f"{_TEXT['note_r'][lang]} ({n_text}).", width)
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
    _check_lang(lang)
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
            text = parts[_LANGS.index(lang)] if len(parts) == 2 else lab
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
        _wrap(f"{c}  {cons_table.loc[c, f'label_{lang}']}" if c in cons_table.index else c,
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
    _left_align_labels(fig, [ax])
    attr = cb.attributes.set_index("code")
    # Legend on top: the bottom holds the axis label and the suppression note.
    fig.legend(handles=handles, loc="outside upper center", ncols=len(levels), frameon=False, fontsize=9,
               title=attr.loc["level", f"label_{lang}"], title_fontsize=9)
    if "suppressed" in summary.columns and summary["suppressed"].any():
        _note(fig, _TEXT["suppressed"][lang], PAGE_WIDTH_IN)
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

    _check_lang(lang)
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
        ax.text(x + 0.02, top - 0.6, _wrap(names.get(fac, ""), 21, 5), ha="left", va="center",
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
    _check_lang(lang)
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
    _check_lang(lang)
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
    ax.set_yticks(range(len(factors)), [_wrap(f"{f}  {names[f]}" if f in names else f, 26, 3) for f in factors])
    ax.invert_yaxis()
    ax.set_xlabel("Latent mean difference from the reference group (95% CI)"
                  if lang == "en" else "Chênh lệch trung bình tiềm ẩn so với nhóm tham chiếu (KTC 95%)")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(groups), fontsize=MIN_FONT_PT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
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

    _check_lang(lang)
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
    _check_lang(lang)
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
        ax.set_title(_wrap(f"{hyp}: {claim}", 95, 2), fontsize=MIN_FONT_PT, loc="left")
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
    _check_lang(lang)
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
                               level_order: dict | None = None, lang: str = "en") -> Figure:
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
    _check_lang(lang)
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
    fig.suptitle(_wrap(title, 95, 2), fontsize=MIN_FONT_PT, x=0.01, ha="left")
    top.legend(fontsize=MIN_FONT_PT, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2,
               title=text["share"].format(k=int(ok.sum()), n=len(curve)), title_fontsize=MIN_FONT_PT,
               alignment="left")
    for row, (choice, level) in enumerate(levels):
        on = (curve[choice].astype(str) == level).to_numpy()
        bottom.scatter(x[on], np.full(on.sum(), row), s=9, color="#333333", marker="s")
    bottom.set_yticks(range(len(levels)), [f"{c}: {lv}" for c, lv in levels], fontsize=MIN_FONT_PT)
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    bottom.set_xlabel(text["x"], fontsize=MIN_FONT_PT)
    bottom.tick_params(axis="x", labelsize=MIN_FONT_PT)
    bottom.xaxis.set_major_locator(plt.MaxNLocator(integer=True, min_n_ticks=1))
    for ax in (top, bottom):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig
