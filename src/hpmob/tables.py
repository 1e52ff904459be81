"""Tables for reading: one renderer for every table the book shows.

Results tables in ``results/tables/`` keep full precision; what a reader sees is
rendered here, the same way everywhere:

* columns labelled in words (the caller's ``labels``; otherwise the column name with
  spaces for underscores), a confidence interval as one "[low, high]" column;
* numbers rounded by kind: estimates to 2 or 3 decimals, p-values as "< .001" or ".034",
  percentages to one decimal, whole numbers as whole numbers (never "411.0");
* no index; missing values as "—"; suppressed cells as "suppressed", explained in a
  footnote under the table (fewer than 5 respondents, or a cell hidden with such a cell by
  complementary suppression: one label for both, so the label never states a false "< 5"
  and does not tell which of the hidden cells is the small one);
* wide tables split into several tables that repeat the key columns, or scrolled inside
  their own frame (the book's stylesheet adds the visible cue).

The module knows no study: kinds, labels and the suppression rule come from the caller.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: Column names formatted as p-values unless the caller says otherwise.
P_VALUE_NAMES = frozenset({"p", "pvalue", "pval", "p_value", "p-value", "p_adjusted", "p_holm", "rmsea.pvalue"})
#: What a suppressed cell shows (the footnote under the table says why).
SUPPRESSED = "suppressed"
#: The kinds a column can be formatted as.
KINDS = ("estimate", "estimate3", "p", "percent", "integer", "text")

#: Words for the column names the library's own results tables use (lavaan's names for
#: SEM tables); a caller's ``labels`` take precedence.
COMMON_LABELS = {
    "n": "n", "k": "Groups", "mean": "Mean", "sd": "SD", "se": "Std. error", "est": "Estimate", "estimate": "Estimate",
    "z": "z", "pvalue": "p", "p": "p", "p_adjusted": "p (Holm)", "std.all": "Standardized", "std.lv": "Std. (latent)",
    "lhs": "lhs", "op": "op", "rhs": "rhs", "label": "Label", "construct": "Construct", "item": "Item",
    "group": "Group", "level": "Group", "by": "Compared by", "factor": "Factor", "share": "Share",
    "pct": "%", "pct_agree": "% agreeing", "pct_missing": "% missing", "n_agree": "Agreeing", "alpha": "Cronbach's α",
    "omega": "McDonald's ω", "cr": "CR", "ave": "AVE", "sqrt_ave": "√AVE", "max_htmt": "Largest HTMT",
    "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "chisq": "χ²", "df": "df", "npar": "Parameters",
    "aic": "AIC", "bic": "BIC", "logl": "Log-likelihood",
    "rmsea.ci.lower": "RMSEA, 90 % CI lower", "rmsea.ci.upper": "RMSEA, 90 % CI upper", "verdict": "Verdict", "claim": "Claim",
    "hypothesis": "Hypothesis", "test": "Test", "communality": "Communality", "value": "Value", "mi": "MI",
    "epc": "EPC", "r_drop": "Item–rest r", "alpha_if_deleted": "α if deleted", "std_all": "Standardized loading",
    "rule": "Rule", "n_excluded": "Excluded", "n_remaining": "Remaining", "attribute": "Attribute",
    "label_en": "English", "label_vi": "Tiếng Việt", "suppressed": "Suppressed", "wording": "Wording",
    "n_items": "Items", "r_cor": "Item–total r (corrected)", "std_alpha": "Standardized α",
    "average_r": "Mean inter-item r", "std_alpha_if_deleted": "Standardized α if deleted", "converged": "Converged",
    "reference": "Reference", "group_label": "Group", "model": "Model", "param": "Parameter",
    "hedges_g": "Hedges' g", "omega2": "ω²", "F": "F", "df1": "df₁", "df2": "df₂", "diff": "Difference",
    "ordinal_verdict": "Verdict, items ordinal", "ordinal_level": "Invariance, items ordinal", "dmacs": "dMACS",
    "focal": "Focal group", "mean_difference": "Mean difference", "sd_pooled": "Pooled SD", "treatment": "Treatment",
    "chisq.scaled": "χ² (scaled)", "cfi.scaled": "CFI (scaled)", "tli.scaled": "TLI (scaled)",
    "rmsea.scaled": "RMSEA (scaled)", "from": "From", "to": "To",
    # item statistics, fit comparisons, score tests, χ² tests and pingouin's Games–Howell columns
    "skew": "Skewness", "kurtosis": "Kurtosis", "pct_floor": "% at floor", "pct_ceiling": "% at ceiling",
    "reversed": "Reverse-keyed", "n_omega": "n (ω)", "threshold": "Threshold", "band": "Band",
    "min_loading": "Smallest loading", "max_r": "Largest r", "max_shared_variance": "Largest shared variance",
    "max_abs_r": "Largest |r|", "passes": "Passes",
    "delta_chisq": "Δχ²", "delta_df": "Δdf", "p_delta": "p (Δχ²)", "delta_cfi": "ΔCFI", "delta_rmsea": "ΔRMSEA",
    "decision": "Decision", "X2": "χ²", "group_rhs": "Group number", "group_label_rhs": "Group",
    "chi2": "χ²", "dof": "df", "cramers_v": "Cramér's V", "cramers_v_corrected": "Cramér's V (bias-corrected)",
    "min_expected": "Smallest expected count", "low_expected": "Low expected counts", "dropped_groups": "Groups left out",
    "dv": "Variable", "A": "Group A", "B": "Group B", "n_A": "n (A)", "n_B": "n (B)", "mean_A": "Mean (A)",
    "mean_B": "Mean (B)", "T": "t", "pval": "p", "hedges": "Hedges' g", "sepc.lv": "SEPC (latent)",
    "sepc.all": "SEPC (standardized)", "effect": "Effect", "method": "Method", "n_draws": "Draws",
    "kmo": "KMO", "kmo_item_min": "Smallest item KMO", "kmo_item_min_name": "Item with the smallest KMO",
    "bartlett_chisq": "Bartlett's χ²", "bartlett_df": "Bartlett's df", "bartlett_p": "Bartlett's p",
    "n_factors_parallel": "Factors retained (parallel analysis)",
    "n_components_parallel": "Components retained (parallel analysis)",
    "kmo_ok": "KMO adequate", "kmo_items_ok": "Every item's KMO adequate", "bartlett_ok": "Bartlett's test significant",
    "loadings_ok": "Loadings ≥ criterion", "cr_ok": "CR ≥ criterion", "ave_ok": "AVE ≥ criterion",
    "fornell_larcker_ok": "Fornell–Larcker met", "htmt_ok": "HTMT ≤ criterion", "resp_id": "Respondent",
    "omega_model": "ω (model-implied variance)",
}
#: Interval bound pairs shown as one "[low, high]" column.
CI_PAIRS = (("ci_low", "ci_high"), ("ci.lower", "ci.upper"), ("std.ci.lower", "std.ci.upper"),
            ("rmsea.ci.lower", "rmsea.ci.upper"), ("alpha_ci_low", "alpha_ci_high"), ("g_ci_low", "g_ci_high"),
            ("hedges_ci_low", "hedges_ci_high"))


def format_p(value) -> str:
    """Format a p-value the way journals print it.

    Parameters
    ----------
    value : float
        The p-value.

    Returns
    -------
    str
        Three decimals without the leading zero, ``< .001`` below that, "—" for NaN.

    Examples
    --------
    >>> [format_p(v) for v in (0.0, 0.0004, 0.0123, 0.5, 1.0, float("nan"))]
    ['< .001', '< .001', '.012', '.500', '1.000', '—']
    """
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if value < 0.001:
        return "< .001"
    text = f"{value:.3f}"
    return text.removeprefix("0")


def format_number(value, kind: str = "estimate") -> str:
    """Format one number by kind: ``estimate`` (2 decimals), ``estimate3``, ``p``, ``percent``, ``integer``.

    Parameters
    ----------
    value : object
        A number (bools, tuples and text are printed as such; NaN and None as "—").
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    str
        The text, with a typographic minus.

    Examples
    --------
    >>> format_number(0.123456), format_number(0.123456, "estimate3"), format_number(411.0, "integer")
    ('0.12', '0.123', '411')
    >>> format_number(-0.004), format_number(12.345, "percent"), format_number(float("nan"))
    ('0.00', '12.3', '—')
    >>> format_number(-1.5)
    '−1.50'
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if value is None or (not isinstance(value, (str, tuple, list)) and pd.isna(value)):
        return "—"
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    if kind == "text" or isinstance(value, str):
        # a number in a column of mixed values (a settings table): a few significant digits
        return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)
    if kind == "p":
        return format_p(value)
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    digits = {"estimate": 2, "estimate3": 3, "percent": 1, "integer": 0}[kind]
    text = f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.00"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")  # a typographic minus, as in print


def column_kind(name: str, values: pd.Series) -> str:
    """Guess a column's kind: p-value by name, whole numbers, other numbers, or text.

    Parameters
    ----------
    name : str
        The column's name (p-values are recognized by it).
    values : pandas.Series
        The column.

    Returns
    -------
    {"p", "integer", "estimate", "text"}
        The kind, as :func:`format_number` takes it.

    Examples
    --------
    >>> column_kind("pvalue", pd.Series([0.2])), column_kind("n", pd.Series([411.0, 12.0]))
    ('p', 'integer')
    >>> column_kind("est", pd.Series([0.5, 1.25])), column_kind("item", pd.Series(["A1"]))
    ('estimate', 'text')
    """
    low = str(name).lower()
    if low in P_VALUE_NAMES or low.endswith(("_p", ".p")) or low.startswith("p_") or "pvalue" in low:
        return "p"
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "text"
    finite = values.dropna().astype(float)
    if len(finite) and np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)):
        return "integer"
    return "estimate"


def _guess(name, values: pd.Series, default_kind: str | None) -> str:
    kind = column_kind(name, values)
    # a float column that happens to hold whole numbers (0.0 % missing) keeps the default kind
    float_whole = kind == "integer" and pd.api.types.is_float_dtype(values)
    return default_kind if default_kind and (kind == "estimate" or float_whole) else kind


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _label(name) -> str:
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def format_table(frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                 kinds: Mapping[str, str] | None = None, ci: Mapping[str, tuple[str, str]] | None = None,
                 ci_kind: str | None = None, suppressed: str | None = None,
                 suppressed_columns: Sequence[str] | None = None, min_cell: int = 5,
                 columns: Sequence[str] | None = None, na_rep: str = "—",
                 default_kind: str | None = None) -> pd.DataFrame:
    """Return ``frame`` as text cells, rounded by kind and labelled in words.

    Parameters
    ----------
    frame : DataFrame
        The results table (full precision); its index is dropped.
    labels : mapping, optional
        Column name → label in words (units in the label, e.g. "Share agreeing (%)").
    kinds : mapping, optional
        Column name → kind (see :data:`KINDS`); other columns are guessed by :func:`column_kind`.
    ci : mapping, optional
        Label → (low column, high column): the two become one "[low, high]" column at the
        position of the low one.
    ci_kind : str, optional
        Kind of the interval bounds; default: the kind of the low column.
    suppressed : str, optional
        Boolean column marking rows whose cells were suppressed for too few respondents;
        their missing cells read "< ``min_cell``". The column itself is not shown.
    suppressed_columns : sequence of str, optional
        Columns that read "< ``min_cell``" in suppressed rows (default: every missing cell).
    min_cell : int
        The suppression threshold that the table's footnote states.
    columns : sequence of str, optional
        Columns to show, in order (default: all but ``suppressed``).
    na_rep : str
        What a missing (not suppressed) cell shows; "" for a deliberately blank cell.
    default_kind : str, optional
        Kind of every column guessed as ``estimate`` (e.g. ``percent``).

    Returns
    -------
    DataFrame
        Text cells with the labels as column names and a fresh 0..n-1 index (not shown).

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["g1", "g2"], "n": [64.0, None], "share": [0.8123, None],
    ...                   "ci_low": [0.7, None], "ci_high": [0.9, None], "pvalue": [0.0, None],
    ...                   "suppressed": [False, True]})
    >>> format_table(t, labels={"share": "Share"}, ci={"95 % CI": ("ci_low", "ci_high")},
    ...              suppressed="suppressed").to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'Group': 'g1', 'N': '64', 'Share': '0.81', '95 % CI': '[0.70, 0.90]', 'Pvalue': '< .001'},
     {'Group': 'g2', 'N': 'suppressed', 'Share': 'suppressed', '95 % CI': 'suppressed', 'Pvalue': 'suppressed'}]
    """
    labels, kinds, ci = dict(labels or {}), dict(kinds or {}), dict(ci or {})
    frame = frame.reset_index(drop=True)
    hidden = {suppressed} if suppressed else set()
    shown = [c for c in (columns if columns is not None else frame.columns) if c not in hidden]
    low_of = {low: (label, high) for label, (low, high) in ci.items()}
    highs = {high for _, (_, high) in ci.items()}
    missing = [c for c in [*shown, *low_of, *highs, *hidden] if c not in frame.columns]
    if missing:
        raise KeyError(f"format_table: no column(s) {', '.join(map(str, missing))} in the table; "
                       f"it has {', '.join(map(str, frame.columns))}")
    mask = frame[suppressed].fillna(False).astype(bool) if suppressed else pd.Series(False, index=frame.index)
    tag = SUPPRESSED
    out = {}
    for col in shown:
        if col in highs:
            continue
        if col in low_of:
            label, high = low_of[col]
            kind = ci_kind or kinds.get(col) or _guess(col, frame[col], default_kind)
            cells = [f"[{format_number(lo, kind)}, {format_number(hi, kind)}]"
                     if not (pd.isna(lo) or pd.isna(hi)) else na_rep for lo, hi in zip(frame[col], frame[high])]
            blank = frame[col].isna() | frame[high].isna()
            affected = suppressed_columns is None or col in suppressed_columns
        else:
            label = labels.get(col, _label(col))
            kind = kinds.get(col) or _guess(col, frame[col], default_kind)
            cells = [na_rep if _missing(v) else format_number(v, kind) for v in frame[col]]
            blank = frame[col].isna()
            affected = suppressed_columns is None or col in suppressed_columns
        if affected:
            cells = [tag if (m and b) else c for c, m, b in zip(cells, mask, blank)]
        out[label] = cells
    return pd.DataFrame(out)


def table_html(cells: pd.DataFrame, *, caption: str | None = None, notes: Sequence[str] = (),
               numeric: Sequence[str] | None = None, table_id: str | None = None) -> str:
    """Return the HTML of a text table (from :func:`format_table`) in a frame that scrolls if needed.

    Numeric columns (guessed from their cells unless given) are right-aligned; ``notes``
    become footnotes under the table.

    Parameters
    ----------
    cells : DataFrame
        A text table.
    caption : str, optional
        The caption.
    notes : sequence of str
        Footnotes.
    numeric : sequence of str, optional
        Columns to right-align; default those whose every cell reads as a number.
    table_id : str, optional
        The table's HTML id.

    Returns
    -------
    str
        The HTML, every cell escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.tables import table_html
    >>> html = table_html(pd.DataFrame({"item": ["A1"], "mean": ["3.89"]}), caption="Means")
    >>> '<th class="num">mean</th>' in html, "<caption>Means</caption>" in html
    (True, True)
    """
    def is_number(text: str) -> bool:
        t = text.strip("[]").replace("−", "-").replace("< ", "").replace(",", " ").split()
        return all(_is_float(x) or x in {"—", ".001"} for x in t) if t else False

    if numeric is None:
        numeric = [c for c in cells.columns if len(cells) and all(is_number(str(v)) for v in cells[c])]
    esc = html.escape
    head = "".join(f'<th class="{"num" if c in numeric else "text"}">{esc(str(c))}</th>' for c in cells.columns)
    rows = "".join("<tr>" + "".join(f'<td class="{"num" if c in numeric else "text"}">{esc(str(v))}</td>'
                                    for c, v in zip(cells.columns, row)) + "</tr>"
                   for row in cells.itertuples(index=False))
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    ident = f' id="{esc(table_id)}"' if table_id else ""
    foot = "".join(f'<p class="hpmob-table-note">{esc(n)}</p>' for n in notes)
    return (f'<div class="hpmob-frame"><table class="hpmob-table"{ident}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>{foot}")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def split_columns(cells: pd.DataFrame, *, keep: Sequence[str] = (), max_columns: int = 8) -> list[pd.DataFrame]:
    """Split a wide text table into parts of at most ``max_columns`` columns, each repeating ``keep``.

    Parameters
    ----------
    cells : DataFrame
        A text table (:func:`format_table`).
    keep : sequence of str
        Columns repeated in every part (those not in ``cells`` are ignored).
    max_columns : int
        Most columns per part, the kept ones included.

    Returns
    -------
    list of DataFrame
        The parts, left to right (one part when the table is narrow enough).

    Examples
    --------
    >>> wide = pd.DataFrame({"item": ["a"], **{f"c{i}": ["1"] for i in range(10)}})
    >>> [list(p.columns)[:2] + [len(p.columns)] for p in split_columns(wide, keep=["item"], max_columns=6)]
    [['item', 'c0', 6], ['item', 'c5', 6]]
    """
    keep = [c for c in keep if c in cells.columns]
    rest = [c for c in cells.columns if c not in keep]
    step = max(1, max_columns - len(keep))
    return [cells[keep + rest[i:i + step]] for i in range(0, len(rest), step)] or [cells]


def render_table(frame: pd.DataFrame, *, caption: str | None = None, notes: Sequence[str] = (),
                 keep: Sequence[str] = (), max_columns: int | None = None, min_cell: int = 5,
                 suppressed: str | None = None, **options):
    """Format a results table for the page and return it for display (an IPython HTML object).

    Takes the options of :func:`format_table`. A table with suppressed cells gets the
    footnote that explains "< ``min_cell``"; with ``max_columns``, a wide table is split
    into parts that repeat the ``keep`` columns (given by their labels).

    Parameters
    ----------
    frame : DataFrame
        The results table.
    caption : str, optional
        The table's caption.
    notes : sequence of str
        Footnotes.
    keep : sequence of str
        Labels of the columns every part of a split table repeats.
    max_columns : int, optional
        Split a wider table into parts of at most this many columns.
    min_cell : int
        The suppression threshold the footnote names.
    suppressed : str, optional
        A boolean column marking suppressed rows; default the ``suppressed`` column if there is one.
    **options
        Passed to :func:`format_table` (``labels``, ``kinds``, ...).

    Returns
    -------
    IPython.display.HTML
        The table (or its parts) with caption and footnotes.

    Examples
    --------
    >>> t = pd.DataFrame({"item": ["A1", "A2"], "mean": [3.891, 4.2], "n": [411.0, 3.0]})
    >>> out = render_table(t, caption="Item means", labels={"item": "Item", "mean": "Mean"})
    >>> "<th class=\\"num\\">Mean</th>" in out.data and ">411<" in out.data and "411.0" not in out.data
    True
    """
    from IPython.display import HTML

    options = _defaults(frame, options)
    if suppressed is None and "suppressed" in frame.columns and pd.api.types.is_bool_dtype(frame["suppressed"]):
        suppressed = "suppressed"
    cells = format_table(frame, min_cell=min_cell, suppressed=suppressed, **options)
    notes = list(notes)
    if suppressed is not None and frame[suppressed].fillna(False).astype(bool).any():
        notes.append(f"{SUPPRESSED}: fewer than {min_cell} respondents, or a cell hidden with such a cell so "
                     "that neither can be derived from the totals (complementary suppression); suppressed to "
                     "protect confidentiality.")
    if len(cells) == 1 and len(cells.columns) > (max_columns or 8):  # one wide row reads as a list
        cells = pd.DataFrame({"Statistic": list(cells.columns), "Value": list(cells.iloc[0])})
        max_columns = None
    parts = split_columns(cells, keep=keep, max_columns=max_columns) if max_columns else [cells]
    pieces = []
    for k, part in enumerate(parts):
        # the parts of a split table say so, also when the caption is the numbered one above them
        cap = caption if len(parts) == 1 else f"{caption} (part {k + 1} of {len(parts)})" if caption \
            else f"Part {k + 1} of {len(parts)}"
        pieces.append(table_html(part, caption=cap, notes=notes if k == len(parts) - 1 else ()))
    return HTML("".join(pieces))


def _defaults(frame: pd.DataFrame, options: dict) -> dict:
    """Words for known column names and "[low, high]" for known interval pairs, unless the caller chose."""
    options = dict(options)
    labels = {c: COMMON_LABELS[c] for c in frame.columns if isinstance(c, str) and c in COMMON_LABELS}
    options["labels"] = {**labels, **(options.get("labels") or {})}
    if "ci" not in options:
        level = frame["conf"].iloc[0] if "conf" in frame.columns and len(frame) else None
        name = f"{100 * float(level):g} % CI" if level is not None and pd.notna(level) else "CI"
        pairs = [(lo, hi) for lo, hi in CI_PAIRS if lo in frame.columns and hi in frame.columns]
        options["ci"] = {(f"{name} ({lo.rsplit('.', 2)[0]})" if lo.startswith(("std.", "rmsea.")) else name)
                         if len(pairs) > 1 else name: (lo, hi) for lo, hi in pairs}
    if "columns" not in options and "conf" in frame.columns:  # the level is in the interval's label
        options["columns"] = [c for c in frame.columns if c != "conf"]
    return options


def table_panels(tables: Sequence, titles: Sequence[str] | None = None):
    """Stack several rendered tables as the panels of one table: "Panel A. title", "Panel B. title", ...

    For a numbered table whose parts depend on the analysis plan (one table per hypothesis
    of a kind): one number and caption, the panels below it. A Markdown message (an empty
    table that says so) becomes a panel in words.

    Parameters
    ----------
    tables : sequence
        Rendered tables (:func:`render_table`) or Markdown messages.
    titles : sequence of str, optional
        One title per panel (default: none, "Panel A", "Panel B", ...).

    Returns
    -------
    IPython.display.HTML
        The panels, one after the other.

    Examples
    --------
    >>> a = render_table(pd.DataFrame({"x": [1]}))
    >>> out = table_panels([a, a], titles=["Overall", "By group"]).data
    >>> out.count('class="hpmob-panel"'), "Panel B. By group" in out
    (2, True)
    """
    from IPython.display import HTML

    titles = list(titles) if titles is not None else [""] * len(tables)
    if len(titles) != len(tables):
        raise ValueError(f"table_panels: {len(tables)} tables but {len(titles)} titles")
    parts = []
    for k, (table, title) in enumerate(zip(tables, titles)):
        data = getattr(table, "data", table)
        body = data if isinstance(table, HTML) else f"<p><em>{html.escape(str(data).strip().strip('*'))}</em></p>"
        head = f"Panel {chr(65 + k)}" + (f". {html.escape(title)}" if title else "")
        parts.append(f'<p class="hpmob-panel">{head}</p>{body}')
    return HTML("".join(parts) or "<p><em>No table of this kind in the analysis plan.</em></p>")


def glue_table(key: str, *tables, titles: Sequence[str] | None = None) -> None:
    """Show a rendered table where the cell runs and glue it under ``key`` for a numbered table in the book.

    The book places it with ``{numtable}`` (:mod:`hpmob.numtable`): number, caption and
    label come from the Markdown cell, so the table needs no caption of its own. The book's
    copy of the notebook (:func:`hpmob.notebooks.book_notebook`) keeps the glued output for
    the directive only, so the page does not show the table twice. Several tables are glued
    as the panels of one (:func:`table_panels`).

    Parameters
    ----------
    key : str
        The glue key the book's ``{numtable}`` directive names.
    *tables
        One rendered table, or several for the panels of one table.
    titles : sequence of str, optional
        Panel titles (:func:`table_panels`).

    Returns
    -------
    None
        The table is displayed and glued (myst-nb ``glue``).

    Examples
    --------
    >>> glue_table("tbl_x", render_table(pd.DataFrame({"x": [1]})))  # outside a notebook: the repr
    <IPython.core.display.HTML object>
    """
    from myst_nb import glue

    one = len(tables) == 1 and titles is None
    glue(key, tables[0] if one else table_panels(tables, titles))


def listing(text: str, *, caption: str, language: str = "text"):
    """Return a captioned, numbered code listing (e.g. a model's lavaan syntax) for display.

    The book renders it as a MyST ``code-block`` with its caption; nothing is executed.

    Parameters
    ----------
    text : str
        The listing's text.
    caption : str
        Its caption.
    language : str
        Pygments lexer of the code block.

    Returns
    -------
    IPython.display.Markdown
        The MyST code block.

    Examples
    --------
    >>> listing("B ~ A", caption="Structural model").data.splitlines()[:2]
    ['````{code-block} text', ':caption: Structural model']
    """
    from IPython.display import Markdown

    return Markdown(f"````{{code-block}} {language}\n:caption: {caption}\n\n{text.rstrip()}\n````\n")
