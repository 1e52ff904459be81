"""Fonts and text layout shared by every figure: a Vietnamese-capable font, sizes, wrapping.

Vietnamese needs glyphs many fonts lack (ế, ự, ẫ, ...), and matplotlib draws an
empty box for a missing glyph without raising. :func:`use_vietnamese_font` therefore
selects a font that is checked to contain them, and the plotting functions call it.
:func:`smallest_text_px` and :func:`overlapping_texts` check a drawn figure against the
book's column (:data:`COLUMN_PX`, :data:`MIN_TEXT_PX`).

:mod:`hpmob.plots` re-exports the public names, which is where to import them from. The
helpers without a leading underscore and outside ``__all__`` (:func:`check_lang`,
:func:`wrap_text`, :func:`add_note`, :func:`left_align_labels`) are public so that the
figure modules import no private name, but internal to the package.

Examples
--------
>>> from hpmob.plot_style import wrap_text
>>> wrap_text("a rather long label to wrap", 10, 2)
'a rather\\nlong…'
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure

__all__ = [
    "FONT_CANDIDATES",
    "VIETNAMESE_SAMPLE",
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


#: Languages the figures are labelled in (the codebook's two).
PLOT_LANGUAGES = ("vi", "en")


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


def check_lang(lang: str) -> None:
    if lang not in PLOT_LANGUAGES:
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


def wrap_text(text: str, width: int, max_lines: int) -> str:
    """Wrap to at most `max_lines` lines, ending in "…" if anything was cut."""
    lines = textwrap.wrap(text, width=width, break_long_words=False)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        # Cut at a word boundary so the ellipsis never splits a Vietnamese syllable.
        while len(last) > width - 1 and " " in last:
            last = last.rsplit(" ", 1)[0]
        lines = lines[: max_lines - 1] + [last.rstrip(" ,;:.") + "…"]
    return "\n".join(lines)


def add_note(fig: Figure, text: str, width_in: float) -> None:
    """Small left-aligned note under the figure.

    Drawn as the figure's supxlabel because constrained layout reserves room for
    that, whereas a free fig.text would overlap the axis label.
    """
    per_line = int(width_in * 72 / 5.0)  # ~5 pt per character at 9 pt
    fig.supxlabel(textwrap.fill(text, per_line), x=0.01, ha="left", fontsize=MIN_FONT_PT, color="#555555")


def left_align_labels(fig: Figure, axes) -> None:
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
