"""Measurement invariance of ordinal items: Wu & Estabrook (2016) with lavaan's WLSMV.

The sequence and identification are those of semTools
``measEq.syntax(ID.cat = "Wu.Estabrook.2016", ID.fac = "std.lv", parameterization = "delta")``:

========== =========================================================================
step       constraints (group 1 is the reference; "free" means in groups 2…G)
========== =========================================================================
configural thresholds and loadings free in every group; intercepts 0, scaling
           factors 1, latent means 0, latent variances 1
thresholds thresholds equal; intercepts and scaling factors free
metric     + loadings equal; latent variances free
scalar     + intercepts equal (so 0); latent means free
========== =========================================================================

Each group's sample statistics are its thresholds, polychorics and NACOV
(``polychoric.py``); the model implies, in the delta parameterization,
``corr(y*) = D Λ Ψ Λᵀ D`` off the diagonal and thresholds ``D (τ − ν − Λα)``, ``D`` the
scaling factors. Estimation, SEs and the scaled-shifted test follow lavaan 0.6-14 for
several groups: ``F = Σ_g (N_g/N) · ½ (N_g − 1)/N_g Σ w_g d_g²``, information
``Σ_g (N_g/N) Δ_gᵀW_gΔ_g``, robust covariance divided by ``N − G``, and ``UΓ`` from the
stacked groups (``lav_test_satorra_bentler``). Checked against lavaan and semTools in
``tests/test_sem_ordinal_invariance.py``.

The fits themselves (parameter lists, estimation, results) are in
:mod:`hpmob.sem.ordinal_multigroup` (issue #20); this module runs the sequence, the
difference tests and the partial-invariance search on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import linalg, stats

from .fit_result import SemResult
from .invariance import MIN_INVARIANT_INDICATORS, NOT_ESTIMABLE, PartialSearch, criteria_hold, resolve_criteria
from .ordinal_multigroup import ORDINAL_STEPS, fit_ordinal_multigroup, fit_step, prepare
from .syntax import suggest

__all__ = ["ORDINAL_STEPS", "collapse_categories", "fit_ordinal_multigroup", "ordinal_difference_test",
           "ordinal_invariance", "ordinal_partial_search", "ordinal_release_order"]

ORDINAL_TABLE_COLUMNS = [
    "model", "npar", "chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
    "delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "decision",
]  # fmt: skip


def collapse_categories(data: pd.DataFrame, items, group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge categories until every group uses every category of each item.

    Thresholds can only be held equal across groups when each group has answers in
    every category (lavaan stops otherwise). A category that some group never used is
    merged into its neighbour toward the middle of the scale (the lowest into the next
    higher, the highest into the next lower; a middle one into the neighbour nearer the
    scale's midpoint, the lower one on a tie), repeatedly.

    Parameters
    ----------
    data : DataFrame
        Item answers (category codes) and the grouping column.
    items : sequence of str
        The ordinal items to check.
    group : str
        The grouping column.

    Returns
    -------
    (data, recodes) : DataFrame, DataFrame
        The data with recoded items, and one row per merge: ``item, from, to``.

    Examples
    --------
    >>> d = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2], "x": [1, 2, 3, 2, 2, 3]})
    >>> out, rec = collapse_categories(d, ["x"], "g")
    >>> out["x"].tolist(), rec.to_dict("records")
    ([2, 2, 3, 2, 2, 3], [{'item': 'x', 'from': 1, 'to': 2}])
    """
    out = data.copy()
    recodes = []
    frame = out.dropna(subset=[group])
    for item in items:
        x = frame[item]
        while True:
            cats = sorted(x.dropna().unique())
            if len(cats) < 2:
                break
            present = [set(x[frame[group] == g].dropna().unique()) for g in pd.unique(frame[group])]
            empty = [c for c in cats if any(c not in p for p in present)]
            if not empty:
                break
            c = empty[0]
            k = cats.index(c)
            if k == 0:
                to = cats[1]
            elif k == len(cats) - 1:
                to = cats[-2]
            else:
                mid = (cats[0] + cats[-1]) / 2
                to = cats[k - 1] if abs(cats[k - 1] - mid) <= abs(cats[k + 1] - mid) else cats[k + 1]
            recodes.append({"item": item, "from": c, "to": to})
            x = x.where(x != c, to)
            out.loc[out[item] == c, item] = to
    return out, pd.DataFrame(recodes, columns=["item", "from", "to"])


def ordinal_difference_test(restricted: SemResult, general: SemResult) -> dict:
    """Test two nested multigroup WLSMV fits as lavTestLRT's default (Satorra 2000, scaled-shifted).

    Same definitions as :func:`hpmob.sem.difference.chisq_difference_test`, with the
    groups stacked (``V = ⊕ f_g W_g``, ``Γ = ⊕ Γ_g / f_g``).

    Parameters
    ----------
    restricted, general : SemResult
        The more and the less constrained fit (:func:`fit_ordinal_multigroup`) of the same data.

    Returns
    -------
    dict
        ``{"Chisq diff", "Df diff", "Pr(>Chisq)", "method"}`` (lavaan's column names;
        ``method`` is ``"satorra.2000"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[["school"]].join(hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop")))
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
    >>> from hpmob.sem.ordinal_invariance import fit_ordinal_multigroup, ordinal_difference_test
    >>> metric = fit_ordinal_multigroup(m, d, "school", items, step="metric")
    >>> scalar = fit_ordinal_multigroup(m, d, "school", items, step="scalar")
    >>> test = ordinal_difference_test(scalar, metric)
    >>> round(test["Chisq diff"], 3), test["Df diff"], test["method"]
    (36.089, 4, 'satorra.2000')
    """
    s0, s1 = restricted.state, general.state
    f0, f1 = restricted.fit_measures, general.fit_measures
    m = int(f0["df"] - f1["df"])
    if m <= 0:
        raise ValueError(f"The first model must be the restricted one (more df): df {f0['df']:g} vs {f1['df']:g}.")
    D1, D0 = np.vstack(s1.delta), np.vstack(s0.delta)
    A = linalg.null_space((np.linalg.pinv(D1) @ D0).T).T
    P_inv = s1.e_inv
    Q = P_inv @ A.T @ np.linalg.pinv(A @ P_inv @ A.T) @ A @ P_inv
    # UΓ = VΔ Q ΔᵀVΓ with Γ = ⊕ f_g Γ_g: its traces are those of Q·(Σ f_g ΔᵀWΓWΔ), q × q
    QB = Q @ s1.meat
    tr1, tr2 = float(np.trace(QB)), float(np.sum(QB * QB.T))
    a = math.sqrt(m / tr2)
    T = a * (f0["chisq"] - f1["chisq"]) + (m - a * tr1)
    return {"Chisq diff": float(T), "Df diff": m, "Pr(>Chisq)": float(stats.chi2.sf(T, m)),
            "method": "satorra.2000"}


def ordinal_invariance(model: str, data: pd.DataFrame, group: str, ordered, *,
                       steps=("configural", "thresholds", "metric", "scalar"), partial=(),
                       criteria="chen2007", group_order=None, return_fits: bool = False):
    """Fit the Wu & Estabrook (2016) sequence by WLSMV, each model compared with the one before.

    Parameters
    ----------
    model, data, group, ordered
        As :func:`fit_ordinal_multigroup`.
    steps : sequence of str
        Levels from :data:`ORDINAL_STEPS`, in order.
    partial : sequence of str or mapping
        ``group.partial`` for every step, or ``{step: entries}``.
    criteria : "chen2007" or mapping
        As :func:`hpmob.sem.invariance.invariance`, applied to ``cfi.scaled`` and
        ``rmsea.scaled``.
    return_fits : bool
        Also return ``{step: SemResult}``.
    group_order : sequence, optional
        As :func:`fit_ordinal_multigroup`.

    Returns
    -------
    DataFrame
        Columns ``model, npar, chisq, df, chisq.scaled, cfi.scaled, tli.scaled,
        rmsea.scaled, srmr, delta_chisq, delta_df, p_delta, delta_cfi, delta_rmsea,
        decision``; ``delta_chisq`` is lavTestLRT's scaled-shifted difference (Satorra 2000).

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[["school"]].join(hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop")))
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
    >>> ordinal_invariance(m, d, "school", items)[["model", "cfi.scaled", "decision"]].round(3)
            model  cfi.scaled       decision
    0  configural       0.996      reference
    1  thresholds       0.997      invariant
    2      metric       1.000      invariant
    3      scalar       0.959  not invariant
    """
    crit = resolve_criteria(criteria)
    rows, fits, prev = [], {}, None
    prepared = prepare(model, data, group, ordered, group_order)
    for step in [steps] if isinstance(steps, str) else steps:
        part = partial.get(step, ()) if isinstance(partial, Mapping) else partial
        res = fit_step(prepared, step, part, model, 0.95, warm=prev)
        fits[step] = res
        row = _seq_row(step, res)
        if prev is not None:
            row.update(_compare_steps(prev, res, crit))
        rows.append(row)
        prev = res
    table = _seq_table(rows)
    return (table, fits) if return_fits else table


_DELTAS = ("delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea")


def _seq_row(name: str, res: SemResult) -> dict:
    fm = res.fit_measures
    row = {"model": name, **{k: float(fm[k]) for k in ORDINAL_TABLE_COLUMNS[1:9]}}
    row.update({k: math.nan for k in _DELTAS})
    row["decision"] = "reference" if res.converged else NOT_ESTIMABLE
    return row


def _compare_steps(prev: SemResult, cur: SemResult, crit: dict) -> dict:
    """Deltas of ``cur`` against ``prev`` and the decision; none from a model that did not converge."""
    if not (prev.converged and cur.converged):
        return {**{k: math.nan for k in _DELTAS}, "decision": NOT_ESTIMABLE}
    lrt = ordinal_difference_test(cur, prev)
    d_cfi = float(cur.fit_measures["cfi.scaled"] - prev.fit_measures["cfi.scaled"])
    d_rmsea = float(cur.fit_measures["rmsea.scaled"] - prev.fit_measures["rmsea.scaled"])
    return {"delta_chisq": lrt["Chisq diff"], "delta_df": lrt["Df diff"], "p_delta": lrt["Pr(>Chisq)"],
            "delta_cfi": d_cfi, "delta_rmsea": d_rmsea,
            "decision": "invariant" if criteria_hold(d_cfi, d_rmsea, crit) else "not invariant"}


def _seq_table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame.from_records(rows, columns=ORDINAL_TABLE_COLUMNS)
    table[["npar", "df"]] = table[["npar", "df"]].astype(int)
    return table


# ----------------------------------------------------------- partial search

#: The constraints a partial model of each level may release, and the level it is compared with.
_RELEASES = {"metric": "=~", "scalar": "~1"}
_PREVIOUS = {"metric": "thresholds", "scalar": "metric"}


def _entry(op: str, factor: str, item: str) -> str:
    return f"{item}~1" if op == "~1" else f"{factor}=~{item}"


def _candidates(pm, op: str, released: set) -> list[str]:
    """``group.partial`` entries of kind ``op`` that may still be freed: each factor keeps at
    least :data:`~hpmob.sem.invariance.MIN_INVARIANT_INDICATORS` equal parameters of that kind."""
    ov = set(pm.ov)
    loads = [(r.lhs, r.rhs) for r in pm.rows if r.op == "=~" and r.rhs in ov]
    out = []
    for f, v in loads:
        entry = _entry(op, f, v)
        if entry in released:
            continue
        left = [w for g, w in loads if g == f and _entry(op, f, w) not in released | {entry}]
        if len(left) >= MIN_INVARIANT_INDICATORS:
            out.append(entry)
    return out


def ordinal_release_order(prepared, model: str, level: str, current: SemResult, partial=()) -> pd.DataFrame:
    """Rank the constraints of ``level`` by the scaled difference test of releasing each one.

    lavaan's score test is not available for DWLS fits; each candidate model (one more
    parameter freed in groups 2…G) is fitted instead, and ``X2`` is its Satorra (2000)
    scaled-shifted difference test against ``current`` (:func:`ordinal_difference_test`,
    lavTestLRT's statistic).

    Parameters
    ----------
    prepared : tuple
        The data prepared for the sequence, as :func:`ordinal_partial_search` builds it
        (:func:`hpmob.sem.ordinal_multigroup.prepare`).
    model : str
        lavaan syntax of the measurement model.
    level : {"metric", "scalar"}
        Whose constraints are candidates: loadings or intercepts.
    current : SemResult
        The fit with every constraint of ``level`` in place (but ``partial``).
    partial : sequence of str
        Constraints already released.

    Returns
    -------
    DataFrame
        ``param, X2, df, pvalue``, largest ``X2`` first; a candidate that did not converge has NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[["school"]].join(hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop")))
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
    >>> from hpmob.sem.ordinal_invariance import fit_ordinal_multigroup, ordinal_release_order
    >>> from hpmob.sem.ordinal_multigroup import prepare
    >>> scalar = fit_ordinal_multigroup(m, d, "school", items, step="scalar")
    >>> prepared = prepare(m, d, "school", items, None)
    >>> ordinal_release_order(prepared, m, "scalar", scalar)[["param", "X2", "df"]].head(3).round(3)
      param      X2  df
    0  x3~1  23.926   1
    1  x2~1  12.223   1
    2  x4~1   2.124   1
    """
    rows = []
    for entry in _candidates(prepared[0], _RELEASES[level], set(partial)):
        cand = fit_step(prepared, level, tuple(partial) + (entry,), model, 0.95, warm=current)
        if cand.converged and current.converged:
            lrt = ordinal_difference_test(current, cand)
            rows.append({"param": entry, "X2": lrt["Chisq diff"], "df": lrt["Df diff"], "pvalue": lrt["Pr(>Chisq)"]})
        else:
            rows.append({"param": entry, "X2": math.nan, "df": math.nan, "pvalue": math.nan})
    out = pd.DataFrame(rows, columns=["param", "X2", "df", "pvalue"])
    return out.sort_values("X2", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def ordinal_partial_search(model: str, data: pd.DataFrame, group: str, ordered, *, level: str = "scalar",
                           max_free: int | None = None, criteria="chen2007", group_order=None,
                           fits: Mapping | None = None) -> PartialSearch:
    """Release equality constraints one at a time until the ordinal ``level`` meets the criteria.

    As :func:`hpmob.sem.invariance.partial_invariance_search`, for the Wu & Estabrook
    (2016) sequence by WLSMV: starting from the full ``level`` model, the constraint whose
    release improves fit most (:func:`ordinal_release_order`) is freed in groups 2…G and
    the model refitted, until ΔCFI / ΔRMSEA (scaled) against the previous level meet
    ``criteria``, ``max_free`` constraints are freed, or freeing more would leave a factor
    with fewer than :data:`~hpmob.sem.invariance.MIN_INVARIANT_INDICATORS` equal ones.

    Parameters
    ----------
    model, data, group, ordered, group_order
        As :func:`fit_ordinal_multigroup`.
    level : {"metric", "scalar"}
        ``"scalar"`` frees intercepts (compared with the metric model), ``"metric"``
        loadings (compared with the thresholds model).
    max_free : int, optional
        Most constraints to free (default: no limit besides the rule above).
    criteria : "chen2007" or mapping
        As :func:`ordinal_invariance`.
    fits : mapping, optional
        ``{step: SemResult}`` from ``ordinal_invariance(..., return_fits=True)`` on the same
        data: the previous and the full level are taken from it instead of refitted.

    Returns
    -------
    PartialSearch
        ``table`` has the columns of :func:`ordinal_invariance` (deltas against the
        previous level); ``score_tests`` holds each round's ranking.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[["school"]].join(hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop")))
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
    >>> s = ordinal_partial_search(m, d, "school", items, level="scalar")
    >>> s.freed, s.holds
    (('x3~1', 'x4~1'), False)
    """
    if level not in _RELEASES:
        raise ValueError(f"level must be one of {list(_RELEASES)} for ordinal items; got {level!r}."
                         f"{suggest(str(level), list(_RELEASES))}")
    if max_free is not None and (not isinstance(max_free, int) or max_free < 0):
        raise ValueError(f"max_free must be a non-negative integer or None; got {max_free!r}.")
    crit = resolve_criteria(criteria)
    prepared = prepare(model, data, group, ordered, group_order)
    fits = fits or {}
    prev_name = _PREVIOUS[level]
    ref = fits.get(prev_name) or fit_step(prepared, prev_name, (), model, 0.95)
    cur = fits.get(level) or fit_step(prepared, level, (), model, 0.95, warm=ref)
    rows = [_seq_row(prev_name, ref), {**_seq_row(level, cur), **_compare_steps(ref, cur, crit)}]
    holds = rows[-1]["decision"] == "invariant"
    freed: list[str] = []
    rankings: list[pd.DataFrame] = []
    while not holds and rows[-1]["decision"] != NOT_ESTIMABLE and (max_free is None or len(freed) < max_free):
        rank = ordinal_release_order(prepared, model, level, cur, freed)
        rank = rank[rank["X2"].notna()]
        if rank.empty:
            break
        rankings.append(rank)
        freed.append(str(rank["param"].iloc[0]))
        cur = fit_step(prepared, level, tuple(freed), model, 0.95, warm=cur)
        rows.append({**_seq_row(f"{level} + free {', '.join(freed)}", cur), **_compare_steps(ref, cur, crit)})
        holds = rows[-1]["decision"] == "invariant"
    return PartialSearch(freed=tuple(freed), holds=holds, table=_seq_table(rows), score_tests=rankings,
                         result=cur, reference=ref)
