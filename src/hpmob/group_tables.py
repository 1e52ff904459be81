"""The combined tables of the group comparisons: every attribute at once, and agreement by group.

The book's tables (:mod:`hpmob.compare` re-exports both functions, which is where to import
them from): :func:`group_comparison_table` runs the descriptives, the Welch tests and the
Games–Howell pairs of :mod:`hpmob.group_tests` for several attributes and stacks them in one
long table, and :func:`agreement_chi2` tests "agree vs not" by group with a chi-square test
and Cramér's V.

Examples
--------
>>> from hpmob.group_tables import MIN_EXPECTED
>>> MIN_EXPECTED  # expected count below which a chi-square cell is flagged
5
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hpmob.checks import check_conf, check_test_min_cell, format_list
from hpmob.codebook import Codebook
from hpmob.disclosure import suppress_small_groups
from hpmob.effect_sizes import cramers_v
from hpmob.group_tests import (
    MIN_CELL,
    adjust_pvalues,
    check_padjust,
    compare_groups,
    group_levels,
    posthoc_games_howell,
)
from hpmob.score import OVERALL_GROUP, agreement_share, composite_scores

__all__ = ["agreement_chi2", "group_comparison_table"]


_CHI2_COLUMNS = ["construct", "item", "group", "k", "n", "chi2", "dof", "pvalue", "p_adjusted",
                 "cramers_v", "cramers_v_corrected", "min_expected", "low_expected", "dropped_groups"]


_TABLE_COLUMNS = ["by", "construct", "row", "level", "A", "B", "n", "mean", "sd", "suppressed", "k",
                  "F", "df1", "df2", "diff", "se", "T", "df", "pvalue", "p_adjusted", "effect",
                  "estimate", "ci_low", "ci_high", "eta2", "conf", "dropped_groups"]


#: Expected count below which the chi-square approximation is doubtful (Cochran, 1954).
MIN_EXPECTED = 5


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
    padjust = check_padjust(padjust, func)
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError(f"{func}(): by is empty; pass at least one attribute such as 'level'")
    orders = {attr: _check_attribute(data, codebook, attr, func) for attr in by}
    scores = composite_scores(data, codebook, constructs=constructs, min_items=min_items)

    blocks = []
    for attr in by:
        g, order = data[attr], orders[attr]
        levels = group_levels(g, order, codebook, attr)
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
    out.loc[welch, "p_adjusted"] = adjust_pvalues(out.loc[welch, "pvalue"].astype("float64"), padjust)
    for col in ("n", "k"):
        out[col] = pd.array(out[col].astype("Float64").round(), dtype="Int64")
    for col in ("mean", "sd", "F", "df1", "df2", "diff", "se", "T", "df", "pvalue", "p_adjusted",
                "estimate", "ci_low", "ci_high", "eta2", "conf"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in ("by", "construct", "row", "level", "A", "B", "effect", "dropped_groups"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["suppressed"] = out["suppressed"].astype("boolean")
    return out


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
    padjust = check_padjust(padjust, func)
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
    levels = group_levels(data[group], order, codebook, group)
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
    out["p_adjusted"] = adjust_pvalues(out["pvalue"], padjust)
    return out[_CHI2_COLUMNS].astype({"k": "int64", "n": "Int64", "low_expected": bool})
