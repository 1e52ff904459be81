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

    Parameters
    ----------
    responses : DataFrame
        Processed responses with the attribute columns.
    codebook : Codebook, optional
        The instrument (attribute value labels in both languages); default the shipped one.
    attributes : tuple of str, optional
        The categorical attributes to count, in order.
    min_cell : int
        Smallest count published.

    Returns
    -------
    DataFrame
        ``attribute, value, label_vi, label_en, n, pct, suppressed``; ``pct`` is the share
        of all respondents; a "missing" row counts those without a value. A cell held by
        fewer than ``min_cell`` respondents, the "missing" row included, is suppressed
        together with the smallest other values of the attribute needed so that no blank
        count can be recovered from the total or the percentages
        (:func:`hpmob.disclosure.suppress_small_groups`).

    Notes
    -----
    The "missing" row is a cell like any other: three respondents without a value follow
    from the number analysed minus the published groups, so publishing the groups would
    publish them. It is never chosen as a complement (another table's margin minus its
    groups gives it too). The percentages are of all respondents, not of those with a
    known value: shares of the known values would give their total, and with it the
    missing count.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> r = pd.DataFrame({"gender": ["male"] * 40 + ["female"] * 60 + [None] * 3})
    >>> sample_composition(r, cb, ("gender",))[["value", "n", "suppressed"]]
         value     n  suppressed
    0     male  <NA>        True
    1   female    60       False
    2  missing  <NA>        True
    """
    cb = codebook or load_codebook()
    if attributes is None:
        attributes = [a for a in cb.attribute_columns if cb.column_kind(a) == "categorical"]
    rows = []
    for attr in attributes:
        labels_vi, labels_en = cb.value_labels(attr, "vi"), cb.value_labels(attr, "en")
        counts = responses[attr].value_counts(dropna=True)
        total = len(responses)
        for value in labels_vi:
            n = int(counts.get(value, 0))
            rows.append({"attribute": attr, "value": value, "label_vi": labels_vi[value],
                         "label_en": labels_en[value], "n": n, "pct": 100 * n / total if total else float("nan")})
        n_missing = int(responses[attr].isna().sum())
        if n_missing:
            rows.append({"attribute": attr, "value": "missing", "label_vi": "Không trả lời",
                         "label_en": "No answer", "n": n_missing, "pct": 100 * n_missing / total})
    table = pd.DataFrame(rows)
    out = suppress_small_groups(table, n_col="n", threshold=min_cell, within=["attribute"], value_cols=["pct"],
                                missing_mask=table["value"] == "missing")
    return out.reset_index(drop=True)


def missingness(responses: pd.DataFrame, codebook: Codebook | None = None, *, by: str | None = None,
                min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Compute the percentage of missing answers per item, overall and by the caller's group column `by`.

    Parameters
    ----------
    responses : DataFrame
        Processed responses: items plus the attribute columns.
    codebook : Codebook, optional
        The instrument (items, constructs, value labels); default the shipped one.
    by : str, optional
        A categorical attribute to break the shares down by (the study layer passes the
        plan's grouping variable); None: overall only.
    min_cell : int
        Smallest group published; smaller ones are suppressed with complements.

    Returns
    -------
    DataFrame
        ``item, construct, group, n, pct_missing, suppressed`` (``group == "all"`` for the
        whole sample); small groups are suppressed with complements, as in
        :func:`sample_composition`, and so are the respondents without a group (no row
        of their own, but the "all" row counts them).

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> r = pd.DataFrame({item: [4.0] * 20 for item in cb.item_columns})
    >>> r.loc[:4, "SP1"] = None  # 5 of 20 did not answer SP1
    >>> table = missingness(r, cb)
    >>> table[table["item"].isin(["SP1", "SP2"])][["item", "group", "n", "pct_missing"]]
      item group   n  pct_missing
    0  SP1   all  20         25.0
    1  SP2   all  20          0.0
    """
    cb = codebook or load_codebook()
    construct = cb.items.set_index("code")["construct"]
    parts = [("all", responses)]
    if by is not None:
        order = cb.value_labels(by, "en") if cb.column_kind(by) == "categorical" else {}
        parts += [(g, responses[responses[by] == g]) for g in order]
        # respondents without a group count in the "all" row only: a cell of the partition
        # (suppressed when small, with a complement), never published as a row
        if responses[by].isna().any():
            parts.append((None, responses[responses[by].isna()]))
    rows = []
    for group, frame in parts:
        pct = 100 * frame[cb.item_columns].isna().mean()
        for item in cb.item_columns:
            rows.append({"item": item, "construct": construct[item], "group": group, "n": len(frame),
                         "pct_missing": float(pct[item]) if len(frame) else float("nan")})
    table = pd.DataFrame(rows)
    # groups of one item add up to its "all" row: complements keep a small group's n from
    # following by subtraction (pct_missing × n would give it back, so it goes too)
    out = suppress_small_groups(table, n_col="n", threshold=min_cell, within=["item"], value_cols=["pct_missing"],
                                margin_mask=table["group"] == "all", missing_mask=table["group"].isna())
    return out[out["group"].notna()].reset_index(drop=True)
