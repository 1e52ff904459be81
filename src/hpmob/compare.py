"""Group comparisons: Welch ANOVA, Games–Howell, effect sizes and agreement by group.

A survey compares respondents by their attributes (position, area, gender, ...). The
groups differ in size (a few dozen in one, a few hundred in another) and, plausibly, in
spread, so the classical F test, whose error rate depends on
equal variances exactly when group sizes are unequal, is the wrong tool. This module
uses instead

* Welch's heteroscedastic one-way ANOVA (Welch, 1951) as the omnibus test,
* the Games–Howell procedure (Games & Howell, 1976) for pairwise follow-ups, which
  does not assume equal variances either,
* ω² with a noncentral-F confidence interval and η² as omnibus effect sizes, and
  Hedges' g with its confidence interval per pair,
* a chi-square test of independence with Cramér's V for "agree vs not" by group (the
  scale's agree codes, e.g. 4–5 of a 5-point scale).

The tests themselves are pingouin's (:func:`pingouin.welch_anova`,
:func:`pingouin.pairwise_gameshowell`, :func:`pingouin.compute_effsize`,
:func:`pingouin.compute_esci`, :func:`pingouin.multicomp`); what this module adds is
what pingouin lacks: ω² and its interval for Welch's F, disclosure control of small
groups, the codebook's order of groups, adjustment of p-values across several
outcomes, and one tidy table for the book.

Small groups
------------
A group with fewer than ``min_cell`` (default :data:`hpmob.privacy.MIN_CELL` = 5)
respondents is **dropped from the test and named** in a ``dropped_groups`` column.
Two reasons: its mean and variance would be published implicitly through the test
(disclosure control, see :mod:`hpmob.privacy`), and Welch's weights n/s² rest on a
variance estimated from a handful of answers, which makes the test erratic. A group
needs at least two respondents for a variance in any case.

Functions
---------
compare_groups
    Welch ANOVA per composite, with ω² (CI), η² and adjusted p-values.
posthoc_games_howell
    Games–Howell pairs with Hedges' g and its CI, in the codebook's group order.
group_comparison_table
    Descriptives, omnibus tests and pairs for several attributes in one long table.
agreement_chi2
    Chi-square test of "agree vs not" by group, with Cramér's V (raw and corrected).
omega_squared, omega_squared_ci, cramers_v
    The effect-size formulas, exposed so notebooks and tests can reuse them.

Examples
--------
The bundled second instrument (examples/wellbeing), simulated from its population model:

>>> from hpmob.codebook import load_codebook
>>> from hpmob.paths import project_root
>>> from hpmob.score import composite_scores
>>> from hpmob.simulate import load_population_model, simulate_sample
>>> wb = project_root() / "examples" / "wellbeing"
>>> cb = load_codebook(wb / "codebook.yaml")
>>> s = simulate_sample(300, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
>>> scores = composite_scores(s.answers, cb, constructs=["SP", "WB"])
>>> res = compare_groups(scores, s.attributes["gender"])
>>> res[["dv", "group", "k", "n"]]
   dv   group  k    n
0  SP  gender  2  300
1  WB  gender  2  300
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import optimize, stats

from hpmob import privacy
from hpmob.checks import check_conf, check_test_min_cell, format_list
from hpmob.codebook import Codebook
from hpmob.disclosure import suppress_small_groups, suppression_pattern
from hpmob.score import OVERALL_GROUP, agreement_share, composite_scores

__all__ = [
    "MIN_CELL",
    "PADJUST_METHODS",
    "agreement_chi2",
    "compare_groups",
    "cramers_v",
    "group_comparison_table",
    "omega_squared",
    "omega_squared_ci",
    "posthoc_games_howell",
]

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
_CHI2_COLUMNS = ["construct", "item", "group", "k", "n", "chi2", "dof", "pvalue", "p_adjusted",
                 "cramers_v", "cramers_v_corrected", "min_expected", "low_expected", "dropped_groups"]
_TABLE_COLUMNS = ["by", "construct", "row", "level", "A", "B", "n", "mean", "sd", "suppressed", "k",
                  "F", "df1", "df2", "diff", "se", "T", "df", "pvalue", "p_adjusted", "effect",
                  "estimate", "ci_low", "ci_high", "eta2", "conf", "dropped_groups"]

#: Expected count below which the chi-square approximation is doubtful (Cochran, 1954).
MIN_EXPECTED = 5


# --------------------------------------------------------------------------- checks


def _check_padjust(padjust, func: str) -> str:
    if not isinstance(padjust, str) or padjust.lower() not in PADJUST_METHODS:
        raise ValueError(f"{func}(): padjust must be one of {format_list(PADJUST_METHODS)}; got {padjust!r}")
    return padjust.lower()


def _adjust(pvals, method: str) -> np.ndarray:
    """Adjusted p-values; NaN (a test that could not be run) stays NaN and is not counted."""
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


def _levels(g: pd.Series, order, codebook, name: str) -> list:
    """Groups present in `g`, in the order a reader of the study expects.

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


# --------------------------------------------------------------------- effect sizes
def omega_squared(F, df1, n):
    """ω² estimated from an F statistic: ``df1·(F − 1) / (df1·(F − 1) + N)``, floored at 0.

    For the classical one-way ANOVA this is algebraically the textbook
    ``(SS_between − df1·MS_within) / (SS_total + MS_within)`` (Hays, 1963), because
    ``df1·F + df2 + 1 = df1·(F − 1) + N`` when ``df2 = N − k``. The same
    expression is commonly applied to Welch's F, as here; there it is an
    approximation, because Welch's F is not a ratio of sums of squares (with
    equal variances and sizes the two F statistics, and so the two ω², nearly
    coincide). Estimates below zero (F < 1) are reported as 0: a negative share
    of explained variance has no meaning.

    Parameters
    ----------
    F : float or array_like
        F statistic (here Welch's).
    df1 : float or array_like
        Numerator degrees of freedom, k − 1.
    n : float or array_like
        Total number of respondents in the test, N.

    Returns
    -------
    float or ndarray
        ω², floored at 0; a float for scalar input.

    Examples
    --------
    >>> round(omega_squared(5.0, 2, 100), 4)
    0.0741
    """
    F, df1, n = (np.asarray(a, dtype="float64") for a in (F, df1, n))
    num = df1 * (F - 1)
    out = np.maximum(num / (num + n), 0.0)
    return float(out) if out.ndim == 0 else out


def omega_squared_ci(F, df1, df2, n, conf: float = 0.95) -> tuple[float, float]:
    """Confidence interval for ω² by inverting the noncentral F distribution.

    pingouin has no interval for ω², so it is computed here by the
    noncentrality-interval method (Steiger & Fouladi, 1997; Steiger, 2004): find
    the noncentrality parameters λ_L and λ_U for which the observed F is the
    (1 − α/2) and α/2 quantile of the noncentral F(df1, df2, λ), then map each
    bound to the population ω² through ``ω² = λ / (λ + N)`` (λ = N·f² and
    ω² = f² / (1 + f²)). A bound whose equation has no positive root is 0. This is
    the construction of R's ``MBESS::ci.pvaf`` and ``effectsize::F_to_omega2`` for
    a classical F (not checked against R here; the tests check the defining cdf
    equations). With Welch's F the same inversion is used with Welch's df2: the
    interval is approximate because Welch's F is only approximately F-distributed.

    Parameters
    ----------
    F, df1, df2 : float
        F statistic and its degrees of freedom (df2 may be fractional).
    n : int
        Total number of respondents in the test, N.
    conf : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    (float, float)
        Lower and upper limit; NaN if F is not finite.

    Examples
    --------
    >>> lo, hi = omega_squared_ci(5.0, 2, 60, 100)
    >>> bool(0 < lo < omega_squared(5.0, 2, 100) < hi < 1)
    True
    """
    conf = check_conf(conf, "omega_squared_ci")
    if not (np.isfinite(F) and np.isfinite(df1) and np.isfinite(df2) and df1 > 0 and df2 > 0 and n > 0):
        return (np.nan, np.nan)
    alpha = 1 - conf

    def cdf(lam: float) -> float:
        # scipy's ncf with nc = 0 goes through a series; the central F is exact.
        return stats.f.cdf(F, df1, df2) if lam <= 0 else stats.ncf.cdf(F, df1, df2, lam)

    def solve(target: float) -> float:
        # P(F' <= F_obs) falls as λ grows, so a root exists only when it starts above target.
        if cdf(0.0) <= target:
            return 0.0
        hi = max(10.0, 2.0 * df1 * F)
        while cdf(hi) > target:
            hi *= 2.0
            if hi > 1e9:  # F so extreme that ω² is 1 to any printed precision
                return np.inf
        return optimize.brentq(lambda lam: cdf(lam) - target, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500)

    lam_lo, lam_hi = solve(1 - alpha / 2), solve(alpha / 2)

    def to_omega(lam):
        return 1.0 if np.isinf(lam) else lam / (lam + n)

    return (to_omega(lam_lo), to_omega(lam_hi))


def cramers_v(chi2, n, shape, *, corrected: bool = False) -> float:
    """Compute Cramér's V of an r × c table, optionally with Bergsma's (2013) bias correction.

    ``V = sqrt(χ² / (N · (min(r, c) − 1)))`` with the Pearson χ² (no continuity
    correction). V is biased upwards, badly so in small samples and wide tables
    (an independent 2 × 4 table of 50 answers gives V ≈ .2 on average). Bergsma's
    correction subtracts the expected value of φ² under independence and shrinks the
    table dimensions accordingly::

        φ²~ = max(0, χ²/N − (r − 1)(c − 1) / (N − 1))
        r~  = r − (r − 1)² / (N − 1),   c~ = c − (c − 1)² / (N − 1)
        V~  = sqrt(φ²~ / min(r~ − 1, c~ − 1))

    Parameters
    ----------
    chi2 : float
        Pearson chi-square statistic.
    n : int
        Total count of the table.
    shape : tuple of int
        (r, c) of the table.
    corrected : bool, default False
        Return Bergsma's bias-corrected V~.

    Returns
    -------
    float
        V (or V~) in [0, 1]; NaN for a non-finite χ², N ≤ 1 or a table with one row or column.

    Examples
    --------
    >>> round(cramers_v(10.0, 200, (2, 3)), 4)
    0.2236
    >>> round(cramers_v(10.0, 200, (2, 3), corrected=True), 4)
    0.2004
    """
    r, c = shape
    if not np.isfinite(chi2) or n <= 1 or min(r, c) < 2:
        return np.nan
    if not corrected:
        return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_c = r - (r - 1) ** 2 / (n - 1)
    c_c = c - (c - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / min(r_c - 1, c_c - 1)))


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
    padjust = _check_padjust(padjust, func)
    values, g, name = _split_scores(scores, group, func)
    if dvs is None:
        dvs = list(values.columns)
    elif isinstance(dvs, str):
        dvs = [dvs]
    dvs = list(dvs)
    if not dvs:
        raise ValueError(f"{func}(): no composite to test; pass dvs or a scores frame with score columns")
    ys = [_numeric(values, dv, func) for dv in dvs]  # validate every dv before any work
    levels = _levels(g, order, codebook, name)
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
    out["p_adjusted"] = _adjust(out["pvalue"], padjust)
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
    frame, kept, dropped = _test_frame(y, g, _levels(g, order, codebook, name), min_cell)
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
    hidden = _suppressed_groups(y, g, _levels(g, order, codebook, name), min_cell)
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
def _categorical_attributes(codebook: Codebook) -> list[str]:
    return [a for a in codebook.attribute_columns if codebook.column_kind(a) == "categorical"]


def _check_attribute(data: pd.DataFrame, codebook: Codebook, attr, func: str) -> list | None:
    if not isinstance(attr, str) or attr not in data.columns:
        raise KeyError(
            f"{func}(): grouping attribute {attr!r} is not a column of the data; use categorical "
            f"attributes of the codebook such as {format_list(_categorical_attributes(codebook))} (join the "
            "attributes to the answers first)"
        )
    if attr in codebook.attribute_columns:
        try:
            return list(codebook.value_labels(attr))
        except ValueError as exc:
            raise ValueError(
                f"{func}(): {attr!r} is an integer attribute; group comparisons need a categorical "
                "one (band it into categories first, e.g. with pandas.cut)"
            ) from exc
    return None


def group_comparison_table(
    data: pd.DataFrame,
    codebook: Codebook,
    constructs: str | Sequence[str] | None = None,
    *,
    by: str | Sequence[str],
    conf: float = 0.95,
    min_cell: int = MIN_CELL,
    padjust: str = "holm",
    min_items: float | int = 0.5,
    posthoc: bool = True,
) -> pd.DataFrame:
    """Descriptives, Welch tests and Games–Howell pairs for several attributes, long format.

    For every attribute in `by` and construct in `constructs` the table holds

    * ``row == "group"``: n, mean and sd of the composite per group, in the
      codebook's order; cells with fewer than `min_cell` respondents are blanked
      with their complements by :func:`hpmob.disclosure.suppress_small_groups`
      (n, mean and sd missing, ``suppressed=True``); the respondents without a
      group are a cell of that partition (no row of their own);
    * ``row == "welch"``: the omnibus test (:func:`compare_groups`) with
      ``effect="omega2"`` and its interval, and ``eta2``; its ``n`` is blank when
      it includes a group whose n is suppressed (it would give it back);
    * ``row == "games_howell"``: the pairs (:func:`posthoc_games_howell`) with
      ``effect="hedges"``, n = n_A + n_B (blank when either is suppressed).

    **Multiplicity.** ``p_adjusted`` of the Welch rows is adjusted (Holm by
    default) across *all* omnibus tests of the table, every attribute × construct,
    because the table is read as one family. The Games–Howell ``pvalue`` is already
    adjusted for the pairs within its attribute × construct (studentized range), so
    pair rows carry no second adjustment (``p_adjusted`` is NaN); read them only
    where the omnibus test is significant after adjustment.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed responses: items as answered plus the attribute columns
        (e.g. :func:`hpmob.clean.read_responses`).
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.
    constructs : str or list of str, optional
        Constructs to score and compare; default all constructs of the codebook.
    by : str or sequence of str
        Categorical attributes to group by (the caller's breakdowns: the study layer
        passes the plan's ``sample.composition``).
    conf : float, default 0.95
        Confidence level of the effect-size intervals.
    min_cell : int, default MIN_CELL (5)
        Groups smaller than this are suppressed in the descriptives and dropped
        from the tests (named in ``dropped_groups``).
    padjust : str, default "holm"
        Method of :func:`pingouin.multicomp` for the Welch rows' ``p_adjusted``.
    min_items : float or int, default 0.5
        Minimum answered items for a composite (:func:`hpmob.score.composite_scores`).
    posthoc : bool, default True
        Include the Games–Howell rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``by, construct, row, level, A, B, n, mean, sd, suppressed, k, F,
        df1, df2, diff, se, T, df, pvalue, p_adjusted, effect, estimate, ci_low,
        ci_high, eta2, conf, dropped_groups``; a column that does not apply to a
        row is missing. Order: attribute, construct, then groups, test, pairs.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(300, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> tab = group_comparison_table(s.answers.join(s.attributes), cb, ["WB"], by="gender")
    >>> tab["row"].tolist()
    ['group', 'group', 'welch', 'games_howell']
    """
    func = "group_comparison_table"
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{func}() needs a DataFrame of responses; got {type(data).__name__}")
    if not isinstance(codebook, Codebook):
        raise TypeError(f"{func}() needs a Codebook (hpmob.codebook.load_codebook); got {type(codebook).__name__}")
    conf = check_conf(conf, func)
    min_cell = check_test_min_cell(min_cell, func)
    padjust = _check_padjust(padjust, func)
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError(f"{func}(): by is empty; pass at least one attribute such as 'level'")
    orders = {attr: _check_attribute(data, codebook, attr, func) for attr in by}
    scores = composite_scores(data, codebook, constructs=constructs, min_items=min_items)

    blocks = []
    for attr in by:
        g, order = data[attr], orders[attr]
        levels = _levels(g, order, codebook, attr)
        # Adjustment happens once over the whole table, below.
        omni = compare_groups(scores, g.rename(attr), order=levels, conf=conf, min_cell=min_cell,
                              padjust="none")
        for con in scores.columns:
            y = scores[con]
            desc = []
            for lev in levels:
                v = y[(g == lev).fillna(False).to_numpy(dtype=bool)].dropna()
                desc.append({"level": lev, "n": len(v), "mean": v.mean() if len(v) else np.nan,
                             "sd": v.std(ddof=1) if len(v) > 1 else np.nan})
            # respondents without a group are a cell of the partition (the overall n minus
            # the groups gives them), suppressed when small with a complement; no row
            desc.append({"level": None, "n": int(y[g.isna().to_numpy(dtype=bool)].notna().sum()),
                         "mean": np.nan, "sd": np.nan})
            desc = pd.DataFrame(desc)
            sizes = dict(zip(desc["level"], desc["n"]))
            desc = suppress_small_groups(desc, n_col="n", value_cols=["mean", "sd"], threshold=min_cell,
                                         missing_mask=desc["level"].isna())
            desc = desc[desc["level"].notna()]
            # a test's n adds up the groups it keeps (n >= min_cell); it would give back a
            # suppressed complement among them
            hidden = set(desc.loc[desc["suppressed"], "level"])
            tested_hidden = {lev for lev in hidden if sizes[lev] >= min_cell}
            desc["row"] = "group"
            o = omni[omni["dv"] == con].iloc[0]
            test = pd.DataFrame([{
                "row": "welch", "n": np.nan if tested_hidden else o["n"], "k": o["k"], "F": o["F"], "df1": o["df1"], "df2": o["df2"],
                "pvalue": o["pvalue"], "effect": "omega2", "estimate": o["omega2"],
                "ci_low": o["omega2_ci_low"], "ci_high": o["omega2_ci_high"], "eta2": o["eta2"],
                "conf": conf, "dropped_groups": o["dropped_groups"],
            }])
            parts = [desc, test]
            if posthoc:
                with warnings.catch_warnings():
                    # compare_groups above already warned about this attribute × construct.
                    warnings.simplefilter("ignore", UserWarning)
                    gh = posthoc_games_howell(scores, con, g.rename(attr), order=levels, conf=conf,
                                              min_cell=min_cell)
                if len(gh):
                    parts.append(pd.DataFrame({
                        "row": "games_howell", "A": gh["A"], "B": gh["B"],
                        "n": (gh["n_A"] + gh["n_B"]).mask(gh["A"].isin(hidden) | gh["B"].isin(hidden)),
                        "diff": gh["diff"], "se": gh["se"], "T": gh["T"], "df": gh["df"],
                        "pvalue": gh["pval"], "effect": "hedges", "estimate": gh["hedges"],
                        "ci_low": gh["hedges_ci_low"], "ci_high": gh["hedges_ci_high"], "conf": conf,
                        "dropped_groups": gh["dropped_groups"],
                    }))
            block = pd.concat([p.astype(object) for p in parts], ignore_index=True)
            block.insert(0, "by", attr)
            block.insert(1, "construct", con)
            blocks.append(block)
    out = pd.concat(blocks, ignore_index=True).reindex(columns=_TABLE_COLUMNS)
    welch = (out["row"] == "welch").to_numpy()
    out["p_adjusted"] = np.nan
    out.loc[welch, "p_adjusted"] = _adjust(out.loc[welch, "pvalue"].astype("float64"), padjust)
    for col in ("n", "k"):
        out[col] = pd.array(out[col].astype("Float64").round(), dtype="Int64")
    for col in ("mean", "sd", "F", "df1", "df2", "diff", "se", "T", "df", "pvalue", "p_adjusted",
                "estimate", "ci_low", "ci_high", "eta2", "conf"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in ("by", "construct", "row", "level", "A", "B", "effect", "dropped_groups"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["suppressed"] = out["suppressed"].astype("boolean")
    return out


# ------------------------------------------------------------ agreement by group
def agreement_chi2(
    data: pd.DataFrame,
    codebook: Codebook,
    items_or_construct: str | Sequence[str],
    group: str,
    *,
    min_cell: int = MIN_CELL,
    padjust: str = "holm",
    correction: bool = False,
    min_items: float | int = 0.5,
    composite_cut: float | None = None,
) -> pd.DataFrame:
    """Chi-square test of independence of "agree vs not" and group, with Cramér's V.

    "Agree" is defined exactly as in :func:`hpmob.score.agreement_share` (answer
    among the scale's agree codes (e.g. 4–5) after reverse keying; for a construct, a
    composite of at least the lowest agree code), whose counts are reused here, so
    the test always describes the shares printed next to it. For each item and each
    construct composite the 2 × k table agree/not × group is tested with
    :func:`scipy.stats.chi2_contingency`.

    Why scipy and not :func:`pingouin.chi2_independence`: pingouin applies Yates'
    continuity correction by default for 2 × 2 tables, takes N as the number of rows
    of the data *including* rows with a missing group or answer (which inflates
    nothing in χ² but deflates Cramér's V), and warns on every small observed count.
    Here the Pearson χ² is used without continuity correction (``correction=False``;
    Yates' correction is known to be conservative and is only applied to 2 × 2 tables
    anyway), and V is always computed from the uncorrected χ².

    Groups with fewer than `min_cell` respondents who answered are dropped from
    that row's test and named in ``dropped_groups``; respondents with a missing
    group or answer are ignored. Rows whose table has an expected count below 5
    (Cochran, 1954) are flagged ``low_expected``; consider merging groups or an
    exact test for them. p-values are adjusted across the rows (Holm by default).

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered, plus the `group` column.
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.
    items_or_construct : str or list of str
        A construct code (all its items and its composite) or item codes.
    group : str
        Grouping column, e.g. ``"gender"``.
    min_cell : int, default MIN_CELL (5)
        Groups with fewer respondents who answered are left out of that row's test.
    padjust : str, default "holm"
        Method of :func:`pingouin.multicomp` for adjusting the p-values across rows.
    correction : bool, default False
        Yates' continuity correction for 2 × 2 tables (two groups).
    min_items, composite_cut
        As in :func:`hpmob.score.agreement_share`.

    Returns
    -------
    pandas.DataFrame
        One row per item and composite (``item == "composite"``): ``construct,
        item, group, k, n, chi2, dof, pvalue, p_adjusted, cramers_v,
        cramers_v_corrected, min_expected, low_expected, dropped_groups``. NaN
        statistics when fewer than two groups remain or everyone (no one) agrees;
        ``n`` is blank when it includes a group whose count
        :func:`hpmob.score.agreement_share` suppresses (it would give it back).

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(300, 2, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> res = agreement_chi2(s.answers.join(s.attributes), cb, "TR", "gender")
    >>> res["item"].tolist()[-1], int(res["k"].iloc[0])
    ('composite', 2)
    """
    func = "agreement_chi2"
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{func}() needs a DataFrame of responses; got {type(data).__name__}")
    if not isinstance(codebook, Codebook):
        raise TypeError(f"{func}() needs a Codebook (hpmob.codebook.load_codebook); got {type(codebook).__name__}")
    min_cell = check_test_min_cell(min_cell, func)
    padjust = _check_padjust(padjust, func)
    if not isinstance(correction, bool):
        raise TypeError(f"{func}(): correction must be True or False; got {correction!r}")
    order = _check_attribute(data, codebook, group, func)
    # min_cell=0: raw counts are needed for the test; nothing from this call is published
    # per group, only the test statistics of groups that pass min_cell below.
    counts = agreement_share(data, codebook, items_or_construct, by=group, min_cell=0,
                             min_items=min_items, composite_cut=composite_cut)
    # The overall rows ("all") come first in each block; the group rows follow.
    counts = counts[counts["group"].ne(OVERALL_GROUP)]
    # the groups the published shares suppress (with their complements): a test's n
    # that adds up a suppressed group would give it back
    shown = agreement_share(data, codebook, items_or_construct, by=group, min_cell=min_cell,
                            min_items=min_items, composite_cut=composite_cut)
    hidden = {(c, i, lev) for c, i, lev in shown.loc[shown["suppressed"], ["construct", "item", "group"]].values}
    levels = _levels(data[group], order, codebook, group)
    rows = []
    for (con, item), block in counts.groupby(["construct", "item"], sort=False):
        block = block.set_index("group")
        block = block.loc[[lev for lev in levels if lev in block.index]]
        n_by = block["n"].astype("int64")
        kept = [lev for lev in block.index if n_by[lev] >= max(min_cell, 1)]
        dropped = [lev for lev in block.index if 0 < n_by[lev] < max(min_cell, 1)]
        agree = block.loc[kept, "n_agree"].to_numpy(dtype="float64")
        n = block.loc[kept, "n"].to_numpy(dtype="float64")
        obs = np.vstack([agree, n - agree])
        n_total = pd.NA if any((con, item, lev) in hidden for lev in kept) else int(n.sum())
        row = {"construct": con, "item": item, "group": group, "k": len(kept), "n": n_total,
               "chi2": np.nan, "dof": np.nan, "pvalue": np.nan, "cramers_v": np.nan,
               "cramers_v_corrected": np.nan, "min_expected": np.nan, "low_expected": False,
               "dropped_groups": ", ".join(map(str, dropped))}
        if len(kept) >= 2 and (obs.sum(axis=1) > 0).all():
            res = stats.chi2_contingency(obs, correction=correction)
            # V is defined on the Pearson statistic; recompute it uncorrected when
            # Yates was asked for, so V does not change with the p-value's correction.
            chi2_raw = res.statistic if not correction else stats.chi2_contingency(obs, correction=False).statistic
            row.update(chi2=float(res.statistic), dof=float(res.dof), pvalue=float(res.pvalue),
                       cramers_v=cramers_v(chi2_raw, n.sum(), obs.shape),
                       cramers_v_corrected=cramers_v(chi2_raw, n.sum(), obs.shape, corrected=True),
                       min_expected=float(res.expected_freq.min()),
                       low_expected=bool(res.expected_freq.min() < MIN_EXPECTED))
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=_CHI2_COLUMNS)
    out["p_adjusted"] = _adjust(out["pvalue"], padjust)
    return out[_CHI2_COLUMNS].astype({"k": "int64", "n": "Int64", "low_expected": bool})
