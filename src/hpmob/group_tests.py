"""Welch's ANOVA and the Games–Howell pairs of composite scores by group, small groups dropped.

The tests of :mod:`hpmob.compare` (which re-exports the public names and documents the
methods; import them from there): :func:`compare_groups` (the omnibus test per composite,
with ω², η² and adjusted p-values) and :func:`posthoc_games_howell` (the pairs, with Hedges'
g). The helpers without a leading underscore and outside ``__all__`` (:func:`check_padjust`,
:func:`adjust_pvalues`, :func:`group_levels`) are shared with :mod:`hpmob.group_tables`.

Examples
--------
>>> from hpmob.group_tests import adjust_pvalues
>>> adjust_pvalues([0.01, 0.04], "holm").round(2).tolist()
[0.02, 0.04]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pingouin as pg

from hpmob import privacy
from hpmob.checks import check_conf, check_test_min_cell, format_list
from hpmob.codebook import Codebook
from hpmob.disclosure import suppression_pattern
from hpmob.effect_sizes import omega_squared, omega_squared_ci

__all__ = ["MIN_CELL", "PADJUST_METHODS", "compare_groups", "posthoc_games_howell"]

#: Smallest group that enters a test (one constant for the package, :mod:`hpmob.privacy`).
MIN_CELL = privacy.MIN_CELL

#: Multiplicity corrections accepted by ``padjust`` (pingouin's names, see
#: :func:`pingouin.multicomp`). Holm (1979) is the default: it controls the
#: family-wise error rate under any dependence between the tests, which matters here
#: because the composites are correlated, and it is uniformly more powerful than
#: Bonferroni.
PADJUST_METHODS = ("holm", "bonf", "sidak", "fdr_bh", "fdr_by", "none")

_GH_COLUMNS = ["dv", "group", "A", "B", "n_A", "n_B", "mean_A", "mean_B", "diff", "se", "T", "df",
               "pval", "hedges", "hedges_ci_low", "hedges_ci_high", "conf", "dropped_groups"]
_OMNIBUS_COLUMNS = ["dv", "group", "k", "n", "F", "df1", "df2", "pvalue", "p_adjusted", "omega2",
                    "omega2_ci_low", "omega2_ci_high", "eta2", "conf", "dropped_groups"]


# --------------------------------------------------------------------------- checks


def check_padjust(padjust, func: str) -> str:
    """Return ``padjust`` in lower case after checking it is one of :data:`PADJUST_METHODS`."""
    if not isinstance(padjust, str) or padjust.lower() not in PADJUST_METHODS:
        raise ValueError(f"{func}(): padjust must be one of {format_list(PADJUST_METHODS)}; got {padjust!r}")
    return padjust.lower()


def adjust_pvalues(pvals, method: str) -> np.ndarray:
    """Return the adjusted p-values; NaN (a test that could not be run) stays NaN and is not counted."""
    p = np.asarray(pvals, dtype="float64")
    if p.size == 0:
        return p
    # pingouin's holm/bonf/fdr skip NaN when counting tests; that is what we want:
    # a composite whose test was impossible (one group left) is not part of the family.
    return np.asarray(pg.multicomp(p, alpha=0.05, method=method)[1], dtype="float64")


def _split_scores(scores, group, func: str) -> tuple[pd.DataFrame, pd.Series, str]:
    """(value columns, group Series, group name) from a column name or an aligned Series."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a DataFrame of composite scores (e.g. from hpmob.score.composite_scores); "
            f"got {type(scores).__name__}"
        )
    if isinstance(group, str):
        if group not in scores.columns:
            raise KeyError(
                f"{func}(): group={group!r} is not a column of scores (columns: {format_list(scores.columns)}); "
                "join the attribute first (scores.join(attributes['level'])) or pass it as a Series"
            )
        return scores.drop(columns=[group]), scores[group], group
    if isinstance(group, pd.Series):
        if not group.index.equals(scores.index):
            raise ValueError(
                f"{func}(): the group Series is not aligned with scores (different index); "
                "build both from the same DataFrame or reindex the group"
            )
        return scores, group, str(group.name) if group.name is not None else "group"
    raise TypeError(f"{func}(): group must be a column name or a Series; got {type(group).__name__}")


def _numeric(values: pd.DataFrame, dv: str, func: str) -> pd.Series:
    if dv not in values.columns:
        raise KeyError(f"{func}(): dv {dv!r} is not a column of scores (columns: {format_list(values.columns)})")
    s = values[dv]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise TypeError(
            f"{func}(): dv {dv!r} is not numeric (dtype {s.dtype}); compare composite scores "
            "(hpmob.score.composite_scores), not labels or codes stored as text"
        )
    return pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index, name=dv)


def group_levels(g: pd.Series, order, codebook, name: str) -> list:
    """Return the groups present in `g`, in the order a reader of the study expects.

    Priority: an explicit `order`, the codebook's value order of the attribute, the
    categories of a categorical, else sorted. Values missing from `order` are
    appended rather than silently dropped, so no respondent disappears unnoticed.
    """
    present = list(pd.unique(g.dropna()))
    if order is None and isinstance(codebook, Codebook) and name in codebook.attribute_columns:
        try:
            order = list(codebook.value_labels(name))
        except ValueError:  # integer attribute: no codebook order
            order = None
    if order is None and isinstance(g.dtype, pd.CategoricalDtype):
        order = list(g.cat.categories)
    if order is None:
        try:
            return sorted(present)
        except TypeError:
            return present
    order = list(order)
    return [v for v in order if v in present] + [v for v in present if v not in order]


def _test_frame(y: pd.Series, g: pd.Series, levels: list, min_cell: int):
    """Long frame (y, group) of the groups that enter the test, and the dropped groups.

    The group column is a Categorical in `levels` order: pingouin groups with
    ``groupby(..., observed=True)``, which follows the category order, so its output
    (pairs A/B, group means) comes out in the codebook's order instead of alphabetical.
    """
    keep = y.notna() & g.notna()
    y, g = y[keep], g[keep]
    counts = g.value_counts()
    need = max(min_cell, 2)  # a group needs two answers for a variance (Welch weights n/s²)
    kept = [lev for lev in levels if counts.get(lev, 0) >= need]
    dropped = [lev for lev in levels if 0 < counts.get(lev, 0) < need]
    inside = g.isin(kept).to_numpy(dtype=bool)
    frame = pd.DataFrame({
        "y": y.to_numpy()[inside],
        "group": pd.Categorical(g.to_numpy(dtype=object)[inside], categories=kept),
    })
    return frame, kept, dropped


def _zero_variance(frame: pd.DataFrame) -> list:
    var = frame.groupby("group", observed=True)["y"].var()
    return [lev for lev, v in var.items() if not v > 0]


# ------------------------------------------------------------------- omnibus tests
def compare_groups(
    scores: pd.DataFrame,
    group: str | pd.Series,
    *,
    dvs: str | Sequence[str] | None = None,
    order: Sequence | None = None,
    conf: float = 0.95,
    min_cell: int = MIN_CELL,
    padjust: str = "holm",
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Run Welch's one-way ANOVA of each composite across the groups of one attribute.

    Welch's (1951) test compares means without assuming equal variances; it is run
    by :func:`pingouin.welch_anova`. Each row adds what pingouin does not give:
    ω² with a noncentral-F confidence interval (:func:`omega_squared`,
    :func:`omega_squared_ci`) and p-values adjusted across the composites of the
    call (Holm by default), because testing every construct by the same attribute is
    one family of hypotheses.

    **Small groups are dropped from the test and reported.** A group with fewer
    than `min_cell` respondents who have a score on the composite (and any group
    with fewer than 2) is left out of that composite's test and named in
    ``dropped_groups``; ``k`` and ``n`` count only the groups that were tested.
    Respondents with a missing group or a missing score are ignored.

    Parameters
    ----------
    scores : pandas.DataFrame
        Composite scores, one numeric column per construct (e.g. from
        :func:`hpmob.score.composite_scores`), optionally with the group column.
    group : str or pandas.Series
        Name of the grouping column in `scores`, or a Series aligned with its index
        (e.g. ``attributes["gender"]``).
    dvs : str or list of str, optional
        Composites to test, in output order. Default: every column of `scores`
        except the group column.
    order : sequence, optional
        Order of the groups (used for ``dropped_groups``); default the codebook's
        order when `codebook` is given, else the categories of a categorical
        group, else sorted.
    conf : float, default 0.95
        Confidence level of the ω² interval.
    min_cell : int, default MIN_CELL (5)
        Smallest group that enters the test.
    padjust : {"holm", "bonf", "sidak", "fdr_bh", "fdr_by", "none"}
        Correction applied across the rows of this call (:func:`pingouin.multicomp`).
    codebook : Codebook, optional
        Supplies the order of an attribute's values.

    Returns
    -------
    pandas.DataFrame
        One row per composite with columns ``dv, group, k, n, F, df1, df2, pvalue,
        p_adjusted, omega2, omega2_ci_low, omega2_ci_high, eta2, conf,
        dropped_groups``. ``group`` is the attribute's name; ``eta2`` is pingouin's
        ``np2`` (classical SS_between / SS_total of the tested groups, which does
        not take Welch's weighting into account); ``dropped_groups`` is a
        comma-separated list of dropped group labels ("" if none). Statistics are
        NaN when fewer than two groups remain or a group has zero variance (a
        warning says which).

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame({"A": [3.0, 3.4, 2.8, 3.1, 3.3, 4.0, 4.2, 3.9, 4.4, 4.1, 5.0],
    ...                    "grp": ["g1"] * 5 + ["g2"] * 5 + ["g3"]})
    >>> res = compare_groups(sc, "grp")
    >>> res[["dv", "k", "n", "dropped_groups"]]
      dv  k   n dropped_groups
    0  A  2  10             g3
    >>> bool(res.loc[0, "pvalue"] < 0.001)
    True
    """
    func = "compare_groups"
    conf = check_conf(conf, func)
    min_cell = check_test_min_cell(min_cell, func)
    padjust = check_padjust(padjust, func)
    values, g, name = _split_scores(scores, group, func)
    if dvs is None:
        dvs = list(values.columns)
    elif isinstance(dvs, str):
        dvs = [dvs]
    dvs = list(dvs)
    if not dvs:
        raise ValueError(f"{func}(): no composite to test; pass dvs or a scores frame with score columns")
    ys = [_numeric(values, dv, func) for dv in dvs]  # validate every dv before any work
    levels = group_levels(g, order, codebook, name)
    rows = []
    for dv, y in zip(dvs, ys):
        frame, kept, dropped = _test_frame(y, g, levels, min_cell)
        row = {"dv": dv, "group": name, "k": len(kept), "n": len(frame), "F": np.nan, "df1": np.nan,
               "df2": np.nan, "pvalue": np.nan, "omega2": np.nan, "omega2_ci_low": np.nan,
               "omega2_ci_high": np.nan, "eta2": np.nan, "conf": conf, "dropped_groups": ", ".join(map(str, dropped))}
        constant = _zero_variance(frame) if len(kept) >= 2 else []
        if len(kept) < 2:
            warnings.warn(f"{func}(): {dv!r} by {name!r}: fewer than two groups with at least "
                          f"{max(min_cell, 2)} respondents; no test", stacklevel=2)
        elif constant:
            # Welch's weights are n / s²: a group whose answers are all equal has an
            # infinite weight and the statistic is undefined, not merely large.
            warnings.warn(f"{func}(): {dv!r} by {name!r}: zero variance in group(s) {format_list(constant)}; "
                          "Welch's test is undefined", stacklevel=2)
        else:
            # pingouin 0.6 renamed "p-unc" to "p_unc"; accept both (pyproject allows >= 0.5.4).
            aov = pg.welch_anova(data=frame, dv="y", between="group").rename(columns={"p-unc": "p_unc"})
            F, df1, df2 = float(aov.at[0, "F"]), float(aov.at[0, "ddof1"]), float(aov.at[0, "ddof2"])
            lo, hi = omega_squared_ci(F, df1, df2, len(frame), conf)
            row.update(F=F, df1=df1, df2=df2, pvalue=float(aov.at[0, "p_unc"]),
                       omega2=omega_squared(F, df1, len(frame)), omega2_ci_low=lo, omega2_ci_high=hi,
                       eta2=float(aov.at[0, "np2"]))
        rows.append(row)
    out = pd.DataFrame(rows)
    out["p_adjusted"] = adjust_pvalues(out["pvalue"], padjust)
    return out[_OMNIBUS_COLUMNS].astype({"k": "int64", "n": "int64"})


# ----------------------------------------------------------------------- post hoc
def posthoc_games_howell(
    scores: pd.DataFrame,
    dv: str,
    group: str | pd.Series,
    *,
    order: Sequence | None = None,
    conf: float = 0.95,
    min_cell: int = MIN_CELL,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Games–Howell pairwise comparisons with Hedges' g and its confidence interval.

    The Games & Howell (1976) procedure compares every pair of groups with a Welch
    t statistic and Welch–Satterthwaite df, and refers ``√2·|T|`` to the
    studentized range distribution for k groups, so ``pval`` is **already adjusted**
    for the k(k−1)/2 pairs of this call; do not adjust it again for them. The test
    and Hedges' g are pingouin's (:func:`pingouin.pairwise_gameshowell` with
    ``effsize="hedges"``, i.e. :func:`pingouin.compute_effsize`); the interval of g
    is :func:`pingouin.compute_esci` (Hedges & Olkin, 1985, normal-theory standard
    error with a t quantile, df = n_A + n_B − 2).

    Groups with fewer than `min_cell` respondents with a score are dropped and
    listed in ``dropped_groups``; respondents with a missing group or score are
    ignored.

    Parameters
    ----------
    scores : pandas.DataFrame
        Composite scores (and optionally the group column).
    dv : str
        The composite to compare.
    group : str or pandas.Series
        Grouping column name or a Series aligned with `scores`.
    order : sequence, optional
        Group order; pairs are (earlier, later) in it, so ``diff = mean_A − mean_B``
        reads "first group minus second" in the codebook's order. Default: the
        codebook's order when `codebook` is given, else categorical categories,
        else sorted.
    conf : float, default 0.95
        Confidence level of the interval of g.
    min_cell : int, default MIN_CELL (5)
        Smallest group (respondents with a score) that enters the comparisons.
    codebook : Codebook, optional
        Gives the default order of the groups when `group` is a codebook attribute.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``dv, group, A, B, n_A, n_B, mean_A, mean_B, diff, se, T,
        df, pval, hedges, hedges_ci_low, hedges_ci_high, conf, dropped_groups``
        (pingouin's column names); empty when fewer than two groups remain.

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame({"A": [3.0, 3.4, 2.8, 3.1, 3.2, 4.0, 4.2, 3.9, 4.4, 4.0],
    ...                    "grp": ["g3"] * 5 + ["g1"] * 5})
    >>> gh = posthoc_games_howell(sc, "A", "grp", order=["g1", "g2", "g3"])
    >>> gh[["A", "B", "diff"]].round(2)
        A   B  diff
    0  g1  g3   1.0
    """
    func = "posthoc_games_howell"
    conf = check_conf(conf, func)
    min_cell = check_test_min_cell(min_cell, func)
    values, g, name = _split_scores(scores, group, func)
    if not isinstance(dv, str):
        raise TypeError(f"{func}(): dv must be the name of one score column; got {type(dv).__name__}")
    y = _numeric(values, dv, func)
    frame, kept, dropped = _test_frame(y, g, group_levels(g, order, codebook, name), min_cell)
    if len(kept) < 2:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("dv", "group", "A", "B", "dropped_groups")
                                          else object) for c in _GH_COLUMNS})
    constant = _zero_variance(frame)
    if constant:
        warnings.warn(f"{func}(): {dv!r} by {name!r}: zero variance in group(s) {format_list(constant)}; "
                      "pairs involving them have undefined T", stacklevel=2)
    gh = pg.pairwise_gameshowell(data=frame, dv="y", between="group", effsize="hedges")
    # pingouin < 0.6 called the means "mean(A)", "mean(B)"; keep the 0.6 names either way.
    gh = gh.rename(columns={"mean(A)": "mean_A", "mean(B)": "mean_B"})
    counts = frame["group"].value_counts()
    gh["A"] = gh["A"].astype(object)
    gh["B"] = gh["B"].astype(object)
    gh["n_A"] = gh["A"].map(counts).astype("int64")
    gh["n_B"] = gh["B"].map(counts).astype("int64")
    # compute_esci rounds to 2 decimals unless told otherwise; 15 keeps full precision
    # (the interval must match a direct pingouin call, not a printed table).
    ci = np.array([
        pg.compute_esci(stat=gv, nx=int(na), ny=int(nb), paired=False, eftype="hedges",
                        confidence=conf, decimals=15)
        for gv, na, nb in zip(gh["hedges"], gh["n_A"], gh["n_B"])
    ], dtype="float64").reshape(-1, 2)
    gh["hedges_ci_low"], gh["hedges_ci_high"] = ci[:, 0], ci[:, 1]
    hidden = _suppressed_groups(y, g, group_levels(g, order, codebook, name), min_cell)
    for side in ("A", "B"):
        gh[f"n_{side}"] = gh[f"n_{side}"].astype("Int64").mask(gh[side].isin(hidden))
    gh["dv"], gh["group"], gh["conf"] = dv, name, conf
    gh["dropped_groups"] = ", ".join(map(str, dropped))
    return gh[_GH_COLUMNS].reset_index(drop=True)


def _suppressed_groups(y: pd.Series, g: pd.Series, levels: list, min_cell: int) -> set:
    """Groups whose count a published table of `y` by `g` suppresses (primary or complement).

    The partition is the groups plus the respondents without a group (their number is
    the overall n minus the groups), as in :func:`hpmob.score.composite_by_group`, so a
    test table blanks the same counts as the descriptives it sits next to.
    """
    answered = y.notna().to_numpy(dtype=bool)
    counts = [int((answered & (g == lev).fillna(False).to_numpy(dtype=bool)).sum()) for lev in levels]
    counts.append(int((answered & g.isna().to_numpy(dtype=bool)).sum()))
    hide = suppression_pattern(counts, min_cell, fixed=[False] * len(levels) + [True])
    return {lev for lev, h in zip(levels, hide) if h}


# ------------------------------------------------------------------ combined table


# ------------------------------------------------------------ agreement by group
