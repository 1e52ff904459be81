"""Scores by group: agreement shares with Wilson intervals, and composite means by group.

The second half of scoring (:mod:`hpmob.score` re-exports every name, which is where to
import them from): what share of respondents agrees with each item and construct, overall
and per group, and the mean, sd and t-based interval of each composite per group. Cells
smaller than :data:`MIN_CELL` are suppressed (:mod:`hpmob.privacy`).

Examples
--------
>>> from hpmob.group_scores import wilson_ci
>>> [round(x, 3) for x in wilson_ci(5, 10)]
[0.237, 0.763]
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np
import pandas as pd
from scipy import stats

from hpmob import privacy
from hpmob.checks import check_conf, check_frame, check_publishable_min_cell, format_list
from hpmob.codebook import Codebook
from hpmob.disclosure import suppress_small_groups
from hpmob.response_checks import check_codebook, keyed_items, reject_unknown, require_columns, required_count

__all__ = [
    "COMPOSITE_LABEL",
    "MIN_CELL",
    "OVERALL_GROUP",
    "agreement_share",
    "composite_by_group",
    "wilson_ci",
]

#: Smallest group (cell) size whose statistics may be published (one constant for the
#: whole package, see :mod:`hpmob.privacy`). Shares and means of fewer than five
#: respondents can identify individuals; suppressing them is the usual "threshold rule"
#: of statistical disclosure control (Hundepool et al., 2012, *Statistical Disclosure
#: Control*, Wiley). Here ``n`` stays visible so the reader sees why a cell is blank.
MIN_CELL = privacy.MIN_CELL

#: Value of the ``group`` column for rows computed over all respondents.
OVERALL_GROUP = "all"

#: Value of the ``item`` column for the rows that describe a construct composite.
COMPOSITE_LABEL = "composite"


def wilson_ci(count, nobs, conf: float = 0.95) -> tuple:
    """Wilson score confidence interval for a binomial proportion.

    Unlike the Wald interval ``p ± z·sqrt(p(1−p)/n)``, the Wilson interval keeps
    close to nominal coverage for shares near 0 or 1 (Brown, Cai & DasGupta, 2001,
    *Statistical Science* 16(2), 101–133), which is where agreement shares such as
    "> 80 % agree" live. Same formula as
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Parameters
    ----------
    count, nobs : int or array-like
        Successes and trials; NaN where ``nobs`` is 0.
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float or numpy.ndarray
        The interval's bounds, clipped to [0, 1]; floats for scalar input.

    Examples
    --------
    >>> low, high = wilson_ci(45, 50)
    >>> round(low, 4), round(high, 4)
    (0.7864, 0.9565)
    """
    check_conf(conf, "wilson_ci")
    k = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    if np.any((k < 0) | (k > n)):
        raise ValueError(f"wilson_ci(): count must lie between 0 and nobs; got count={count!r}, nobs={nobs!r}")
    z = stats.norm.ppf(1 - (1 - conf) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    # Rounding can leave 1e-17 outside [0, 1] at p = 0 or 1.
    low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _group_keys(data: pd.DataFrame, by: str | None, codebook: Codebook | None, func: str):
    """[(label, mask)] with the overall row first, then groups in codebook order."""
    keys = [(OVERALL_GROUP, pd.Series(True, index=data.index))]
    if by is None:
        return keys
    if not isinstance(by, str) or by not in data.columns:
        raise KeyError(
            f"{func}(): by={by!r} is not a column of the data; use a respondent attribute "
            f"such as 'level' (columns: {format_list(list(data.columns)[:12])}{', ...' if data.shape[1] > 12 else ''})"
        )
    g = data[by]
    present = list(pd.unique(g.dropna()))
    order = None
    if codebook is not None and by in codebook.attribute_columns:
        try:
            order = list(codebook.value_labels(by))
        except ValueError:  # integer attribute: no codebook order
            order = None
    if isinstance(g.dtype, pd.CategoricalDtype):
        order = list(g.cat.categories)
    if order is not None:
        levels = [v for v in order if v in present] + [v for v in present if v not in order]
    else:
        try:
            levels = sorted(present)
        except TypeError:
            levels = present
    return keys + [(lev, (g == lev).fillna(False).astype(bool)) for lev in levels]


#: Columns of :func:`agreement_share`'s result.
AGREEMENT_COLUMNS = ["construct", "item", "group", "n", "n_agree", "share", "ci_low", "ci_high", "threshold",
                     "verdict", "suppressed"]


def empty_agreement_table() -> pd.DataFrame:
    """A header-only :func:`agreement_share` table, for a construct the codebook does not have.

    Notebooks write it in place of the table so later steps (the claims table) read the
    same columns and mark the claim not testable instead of failing on a missing file.
    """
    return pd.DataFrame(columns=AGREEMENT_COLUMNS)


def agreement_share(
    data: pd.DataFrame,
    codebook: Codebook,
    items: str | Sequence[str],
    *,
    by: str | None = None,
    conf: float = 0.95,
    threshold: float | None = None,
    min_items: float | int = 0.5,
    composite_cut: float | None = None,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Compute the share of respondents agreeing, with Wilson CI and a verdict against the caller's threshold.

    For each item, a respondent agrees if the (keyed) answer is one of the scale's
    agree codes (e.g. 4–5 on a 1–5 scale). For each construct, a respondent "agrees
    with the construct" if the composite of the listed items is at least
    `composite_cut`, by default the lowest agree code (4.0 on that scale): on average the
    respondent agreed, not merely leaned towards it (3.5 would count a respondent
    who answered "neutral" to half the items as agreeing). The denominator is the
    respondents who answered the item (or have a composite).

    With a `threshold`, the verdict is ``"supported"`` when the **lower** confidence
    limit exceeds it, i.e. the share is credibly above it, else ``"not supported"``.
    The threshold is the claim's, so it has no default: a claim that most respondents
    agree with a construct passes the construct's code as `items` and its own share
    (the study layer reads it from the analysis plan). Without one the table gives
    the shares only (``threshold`` NaN, ``verdict`` missing).

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered, plus the `by` column if given.
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.
    items : str or list of str
        A construct code (all its items) or a list of item codes, possibly from
        several constructs. One composite row per construct is computed over the
        listed items of that construct.
    by : str, optional
        Column to break the shares down by (e.g. ``"gender"``); groups appear in the
        codebook's order of values. Respondents with a missing `by` value count in
        the overall rows only.
    conf : float, default 0.95
        Confidence level of the Wilson interval (:func:`wilson_ci`).
    threshold : float, optional
        Share the lower confidence limit must exceed (the caller's claim); without
        it no verdict is given.
    min_items : float or int, default 0.5
        Minimum answered items for a composite (see :func:`composite_scores`).
    composite_cut : float, optional
        Composite value counted as agreeing; default the lowest agree code.
    min_cell : int, default MIN_CELL (5)
        Rows with fewer respondents (``n``) are suppressed: ``n``, ``n_agree``,
        ``share``, the CI are set to missing, ``verdict`` to ``"suppressed"`` and
        ``suppressed=True``; so are the smallest other groups of the item needed so
        that no blank count follows from the overall row
        (:func:`hpmob.disclosure.suppress_small_groups`). Respondents with a missing
        `by` value are a cell of that partition too (no row of their own): fewer than
        `min_cell` of them suppress the smallest group with them. Overall rows are
        suppressed only if themselves small.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct, item, group, n, n_agree, share, ci_low, ci_high,
        threshold, verdict, suppressed``; ``item`` is ``"composite"`` for
        construct rows and ``group`` is ``"all"`` for overall rows. Order: per
        construct, items then composite; within each, overall then groups.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(300, 2, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> df = s.answers.join(s.attributes)
    >>> tab = agreement_share(df, cb, "TR", by="gender", threshold=0.75)
    >>> tab.columns[:6].tolist()
    ['construct', 'item', 'group', 'n', 'n_agree', 'share']
    >>> tab.loc[tab["item"] == "composite", ["group", "verdict"]].values.tolist()
    [['all', 'supported'], ['male', 'not supported'], ['female', 'not supported']]
    >>> bool(agreement_share(df, cb, "TR")["verdict"].isna().all())
    True
    """
    func = "agreement_share"
    check_frame(data, func)
    check_codebook(codebook, func)
    check_conf(conf, func)
    check_publishable_min_cell(min_cell, func)
    if threshold is not None and (not isinstance(threshold, Real) or isinstance(threshold, bool)
                                  or not 0 <= threshold <= 1):
        raise ValueError(f"{func}(): threshold is a share between 0 and 1 (e.g. 0.80); got {threshold!r}")
    known_items = codebook.item_columns
    constructs_known = list(codebook.constructs["code"])
    if isinstance(items, str):
        if items in constructs_known:
            items = codebook.items_of(items)
        elif items in known_items:
            items = [items]
        else:
            raise KeyError(
                f"{func}(): {items!r} is neither a construct ({format_list(constructs_known)}) nor an item code"
            )
    items = list(items)
    if not items:
        raise ValueError(f"{func}(): items is empty; pass a construct code of the codebook or a list of item codes")
    reject_unknown(items, known_items, "item", func,
                   "pass item codes from the codebook or one of its construct codes")
    require_columns(data, items, func, "")
    keyed = keyed_items(data, items, codebook, func)
    groups = _group_keys(data, by, codebook, func)
    if by is not None and data[by].isna().any():
        # Respondents without a group count in the overall rows only, so the overall row
        # minus the groups gives their number: a cell of each item's partition, never a row.
        groups.append((None, data[by].isna().to_numpy(dtype=bool)))
    construct_of = codebook.items.set_index("code")["construct"]

    rows = []

    def add(construct, item, agree: pd.Series, answered: pd.Series):
        for label, mask in groups:
            m = mask & answered
            rows.append({
                "construct": construct, "item": item, "group": label,
                "n": int(m.sum()), "n_agree": int((agree & m).sum()),
            })

    by_construct: dict[str, list[str]] = {}
    for it in items:
        by_construct.setdefault(construct_of[it], []).append(it)
    for con, its in by_construct.items():
        for it in its:
            add(con, it, keyed[it].isin(codebook.agree_codes(it)), keyed[it].notna())
        need = required_count(min_items, len(its), con, func)
        comp = keyed[its].mean(axis=1).where(keyed[its].notna().sum(axis=1) >= need)
        if composite_cut is None:
            codes = codebook.agree_codes(its[0])
            if not codes:
                raise ValueError(
                    f"{func}(): the scale of {its[0]!r} has no agree_codes in the codebook; "
                    "add them or pass composite_cut"
                )
            cut = min(codes)
        else:
            cut = composite_cut
        add(con, COMPOSITE_LABEL, comp >= cut, comp.notna())

    out = pd.DataFrame(rows)
    out["n_agree"] = out["n_agree"].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out["n_agree"] / out["n"]
    low, high = wilson_ci(out["n_agree"].to_numpy(), out["n"].to_numpy(), conf)
    out["ci_low"], out["ci_high"] = low, high
    if threshold is None:
        out["threshold"] = np.nan
        out["verdict"] = pd.Series(None, index=out.index, dtype="object")
    else:
        out["threshold"] = float(threshold)
        out["verdict"] = np.where(out["ci_low"] > threshold, "supported", "not supported")
    # Group rows of one item add up to its "all" row: a blank small group is suppressed
    # with a complement, so it cannot be recovered by subtraction (hpmob.disclosure).
    out = suppress_small_groups(out, n_col="n", threshold=min_cell, within=["construct", "item"],
                                value_cols=["n_agree", "share", "ci_low", "ci_high"],
                                margin_mask=out["group"] == "all", missing_mask=out["group"].isna())
    out = out[out["group"].notna()].reset_index(drop=True)
    out[["n_agree", "share", "ci_low", "ci_high"]] = out[["n_agree", "share", "ci_low", "ci_high"]].astype("float64")
    out.loc[out["suppressed"], "verdict"] = "suppressed"
    out["group"] = out["group"].astype(object)
    return out


def composite_by_group(
    scores: pd.DataFrame,
    group: str | pd.Series,
    *,
    conf: float = 0.95,
    min_cell: int = MIN_CELL,
    order: Sequence | None = None,
) -> pd.DataFrame:
    """Mean, sd, n and t-based confidence interval of composites per construct × group.

    Parameters
    ----------
    scores : pandas.DataFrame
        Composite scores, one column per construct (e.g. from
        :func:`composite_scores`), optionally with the grouping column.
    group : str or pandas.Series
        Name of the grouping column in `scores`, or a Series aligned on its index
        (e.g. ``attributes["gender"]``). Rows with a missing group get no row of
        their own (see `min_cell`).
    conf : float, default 0.95
        Confidence level; the interval is ``mean ± t(n−1) · sd / sqrt(n)``.
    min_cell : int, default MIN_CELL (5)
        Cells with fewer respondents are suppressed (``n`` and statistics missing,
        ``suppressed=True``), together with the smallest other groups of the construct
        needed so that no blank count follows from the total
        (:func:`hpmob.disclosure.suppress_small_groups`). Respondents with a missing
        group are a cell of that partition too (no row of their own: their number is
        the overall n minus the groups).
    order : sequence, optional
        Group order (the study layer passes its plan's group order). Default: the
        categories of a categorical group, else sorted.

    Returns
    -------
    pandas.DataFrame
        Long format with columns ``construct, group, n, mean, sd, se, ci_low,
        ci_high, conf, suppressed``; constructs in column order, groups in `order`.

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame({"A": [3.0, 4.0, 5.0, 4.0, 4.0, 2.0], "lev": list("aaaaab")})
    >>> composite_by_group(sc, "lev", min_cell=5)[["group", "n", "mean", "suppressed"]]
      group     n  mean  suppressed
    0     a  <NA>   NaN        True
    1     b  <NA>   NaN        True
    """
    func = "composite_by_group"
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"{func}() needs a DataFrame of composite scores; got {type(scores).__name__}")
    check_conf(conf, func)
    check_publishable_min_cell(min_cell, func)
    if isinstance(group, str):
        if group not in scores.columns:
            raise KeyError(
                f"{func}(): group={group!r} is not a column of scores; join the attribute first "
                "(scores.join(attributes['level'])) or pass it as a Series"
            )
        g = scores[group]
        values = scores.drop(columns=[group])
    elif isinstance(group, pd.Series):
        if not group.index.equals(scores.index):
            raise ValueError(
                f"{func}(): the group Series is not aligned with scores (different index); "
                "build both from the same DataFrame or reindex the group"
            )
        g = group
        values = scores
    else:
        raise TypeError(f"{func}(): group must be a column name or a Series; got {type(group).__name__}")
    for col in values.columns:
        if pd.api.types.is_bool_dtype(values[col]) or not pd.api.types.is_numeric_dtype(values[col]):
            raise TypeError(
                f"{func}(): column {col!r} of scores is not numeric; pass only composite-score "
                "columns plus the group column"
            )
    present = list(pd.unique(g.dropna()))
    if order is None:
        if isinstance(g.dtype, pd.CategoricalDtype):
            order = list(g.cat.categories)
        else:
            try:
                order = sorted(present)
            except TypeError:
                order = present
    order = [v for v in order if v in present] + [v for v in present if v not in order]
    rows = []
    no_group = g.isna().to_numpy(dtype=bool)
    for con in values.columns:
        x = pd.Series(values[con].to_numpy(dtype="float64", na_value=np.nan), index=values.index)
        if no_group.any():
            # respondents without a group: in the construct's overall n (published with the
            # overall composites), so a cell of the partition, suppressed when small; no row
            rows.append({"construct": con, "group": None, "n": int(x[no_group].notna().sum()), "mean": np.nan,
                         "sd": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "conf": float(conf),
                         "suppressed": False})
        for lev in order:
            v = x[(g == lev).fillna(False).to_numpy(dtype=bool)].dropna()
            n = len(v)
            mean = v.mean() if n else np.nan
            sd = v.std(ddof=1) if n > 1 else np.nan
            se = sd / np.sqrt(n) if n > 1 else np.nan
            half = stats.t.ppf(1 - (1 - conf) / 2, n - 1) * se if n > 1 else np.nan
            rows.append({
                "construct": con, "group": lev, "n": n, "mean": mean, "sd": sd, "se": se,
                "ci_low": mean - half, "ci_high": mean + half, "conf": float(conf),
                "suppressed": n < min_cell,
            })
    out = pd.DataFrame(rows, columns=["construct", "group", "n", "mean", "sd", "se",
                                      "ci_low", "ci_high", "conf", "suppressed"])
    # The groups of one construct add up to its overall n: complements keep a blank small
    # group from being recovered by subtraction; se and the interval would give n back.
    stats_cols = ["mean", "sd", "se", "ci_low", "ci_high"]
    out = suppress_small_groups(out, n_col="n", threshold=min_cell, within=["construct"], value_cols=stats_cols,
                                missing_mask=out["group"].isna())
    out = out[out["group"].notna()].reset_index(drop=True)
    out[stats_cols] = out[stats_cols].astype("float64")
    out["group"] = out["group"].astype(object)
    return out.astype({"suppressed": bool})
