"""Who answered: sample composition against the sampling frame, and missing data."""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook, load_codebook
from hpmob.disclosure import suppress_small_groups
from hpmob.privacy import MIN_CELL


def sample_composition(responses: pd.DataFrame, codebook: Codebook | None = None,
                       attributes: tuple[str, ...] | None = None,
                       *, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Count respondents by each categorical attribute, with bilingual labels.

    `attributes` are the caller's breakdowns (the study layer passes the plan's
    ``sample.composition``); default every categorical attribute of the codebook.

    Returns
    -------
    DataFrame
        ``attribute, value, label_vi, label_en, n, pct, suppressed``; ``pct`` is the share
        of respondents with a known value; "missing" rows count unknown values. A value
        held by fewer than ``min_cell`` respondents is suppressed together with the
        smallest other values of the attribute needed so that the blank count cannot be
        recovered from the total or the percentages (:func:`hpmob.disclosure.suppress_small_groups`).

    Notes
    -----
    "Missing" rows are published whatever their size: they count non-response, not a
    group of respondents sharing an attribute, and they follow anyway from the number
    analysed minus the respondents of each published group (blanking them, as before,
    only hid what subtraction gave back).
    """
    cb = codebook or load_codebook()
    if attributes is None:
        attributes = [a for a in cb.attribute_columns if cb.column_kind(a) == "categorical"]
    rows = []
    for attr in attributes:
        labels_vi, labels_en = cb.value_labels(attr, "vi"), cb.value_labels(attr, "en")
        counts = responses[attr].value_counts(dropna=True)
        known = int(counts.sum())
        for value in labels_vi:
            n = int(counts.get(value, 0))
            rows.append({"attribute": attr, "value": value, "label_vi": labels_vi[value],
                         "label_en": labels_en[value], "n": n, "pct": 100 * n / known if known else float("nan")})
        n_missing = int(responses[attr].isna().sum())
        if n_missing:
            rows.append({"attribute": attr, "value": "missing", "label_vi": "Không trả lời",
                         "label_en": "No answer", "n": n_missing, "pct": float("nan")})
    table = pd.DataFrame(rows)
    values = table["value"] != "missing"
    out = suppress_small_groups(table[values], n_col="n", threshold=min_cell, within=["attribute"],
                                value_cols=["pct"])
    missing = table[~values].assign(suppressed=False)
    out = pd.concat([out, missing.astype({"n": "Int64", "pct": "Float64"})]).sort_index()
    return out.reset_index(drop=True)


def missingness(responses: pd.DataFrame, codebook: Codebook | None = None, *, by: str | None = None,
                min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Percentage of missing answers per item, overall and by the caller's group column `by`
    (the study layer passes the plan's grouping variable; None: overall only).

    Returns
    -------
    DataFrame
        ``item, construct, group, n, pct_missing, suppressed`` (``group == "all"`` for the
        whole sample); small groups are suppressed with complements, as in
        :func:`sample_composition`.
    """
    cb = codebook or load_codebook()
    construct = cb.items.set_index("code")["construct"]
    parts = [("all", responses)]
    if by is not None:
        order = cb.value_labels(by, "en") if cb.column_kind(by) == "categorical" else {}
        parts += [(g, responses[responses[by] == g]) for g in order]
    rows = []
    for group, frame in parts:
        pct = 100 * frame[cb.item_columns].isna().mean()
        for item in cb.item_columns:
            rows.append({"item": item, "construct": construct[item], "group": group, "n": len(frame),
                         "pct_missing": float(pct[item]) if len(frame) else float("nan")})
    table = pd.DataFrame(rows)
    # groups of one item add up to its "all" row: complements keep a small group's n from
    # following by subtraction (pct_missing × n would give it back, so it goes too)
    return suppress_small_groups(table, n_col="n", threshold=min_cell, within=["item"], value_cols=["pct_missing"],
                                 margin_mask=table["group"] == "all")
