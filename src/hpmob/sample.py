"""Who answered: sample composition against the sampling frame, and missing data."""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook, load_codebook
from hpmob.privacy import MIN_CELL, suppress_small_cells


def sample_composition(responses: pd.DataFrame, codebook: Codebook | None = None,
                       attributes: tuple[str, ...] = ("level", "area", "position"),
                       *, min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Count respondents by each categorical attribute, with bilingual labels.

    Returns
    -------
    DataFrame
        ``attribute, value, label_vi, label_en, n, pct, suppressed``; ``pct`` is the share
        of respondents with a known value; "missing" rows count unknown values; cells
        under ``min_cell`` are suppressed.
    """
    cb = codebook or load_codebook()
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
    return suppress_small_cells(table, value_cols=["pct"], min_cell=min_cell)


def missingness(responses: pd.DataFrame, codebook: Codebook | None = None, *, by: str | None = "level",
                min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Percentage of missing answers per item, overall and by group.

    Returns
    -------
    DataFrame
        ``item, construct, group, n, pct_missing`` (``group == "all"`` for the whole sample).
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
    return suppress_small_cells(pd.DataFrame(rows), value_cols=["pct_missing"], min_cell=min_cell)
