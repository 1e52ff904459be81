"""Measurement invariance: the configural-metric-scalar-strict sequence, score tests
for releasing equality constraints, partial invariance, and latent mean differences.

Built on :func:`hpmob.sem.multigroup.fit_multigroup` and checked against lavaan
0.6-14 (``lavTestLRT``, ``lavTestScore``) in ``tests/test_sem_multigroup.py``. The score
tests are in :mod:`hpmob.sem.constraint_tests` (re-exported here; issue #20).

Decisions use changes in approximate fit (Chen 2007; Cheung & Rensvold 2002)
rather than the chi-square difference test, which is reported but rejects
trivial differences in large samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

# ΔCFI <= .01 (Cheung & Rensvold 2002; Chen 2007) and ΔRMSEA <= .015 (Chen 2007), the
# compendium's shared thresholds
from ..criteria import DELTA_CFI_MAX, DELTA_RMSEA_MAX
from .constraint_tests import release_order, score_tests
from .multigroup import GROUP_EQUAL, MultigroupResult, chisq_difference, fit_multigroup
from .multigroup_model import normalise_partial, param_set
from .syntax import parse_model, suggest

__all__ = [
    "invariance",
    "score_tests",
    "release_order",
    "partial_invariance_search",
    "latent_mean_differences",
    "PartialSearch",
    "STEPS",
    "DELTA_CFI_MAX",
    "DELTA_RMSEA_MAX",
    "MIN_INVARIANT_INDICATORS",
    "ROBUST_COLUMNS",
]

#: Fewest indicators per factor whose intercepts stay equal in a partial scalar model, so
#: that latent means remain comparable (Byrne, Shavelson & Muthen 1989, Psychological
#: Bulletin 105(3), 456-466; Steenkamp & Baumgartner 1998, J. Consumer Research 25, 78-90).
MIN_INVARIANT_INDICATORS = 2

#: The usual sequence and the lavaan ``group.equal`` of each level.
STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
#: Which parameter set each level adds (the constraints a partial model releases).
_LEVEL_KIND = {"metric": "loadings", "scalar": "intercepts", "strict": "residuals"}
_PREVIOUS = {"metric": "configural", "scalar": "metric", "strict": "scalar"}

TABLE_COLUMNS = [
    "model", "converged", "npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
    "delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "decision",
]  # fmt: skip
#: Columns an MLR sequence adds after ``bic``: the Yuan-Bentler (Mplus) scaled test, its scaling
#: factor, the robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei 2014; NaN under missing data, see
#: :func:`hpmob.sem.multigroup_result.fiml_fit_measures`) and ``indices``, the CFI/RMSEA the deltas use.
ROBUST_COLUMNS = ["chisq.scaled", "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust", "indices"]
#: Decision of a step whose model (or the model it is compared with) did not converge: its fit
#: measures describe no optimum, so no difference is computed from them.
NOT_ESTIMABLE = "not estimable"
_DELTAS = ("delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea")


# ------------------------------------------------------------------- criteria


def resolve_criteria(criteria) -> dict:
    """``"chen2007"`` or a mapping with ``delta_cfi`` / ``delta_rmsea`` (None: not used)."""
    if criteria is None or (isinstance(criteria, str) and criteria.lower() in ("chen2007", "chen")):
        return {"delta_cfi": DELTA_CFI_MAX, "delta_rmsea": DELTA_RMSEA_MAX}
    if isinstance(criteria, Mapping):
        unknown = set(criteria) - {"delta_cfi", "delta_rmsea"}
        if unknown:
            raise ValueError(
                f"Unknown criteria key(s) {sorted(unknown)}; use 'delta_cfi' and/or 'delta_rmsea'."
            )
        out = {"delta_cfi": criteria.get("delta_cfi"), "delta_rmsea": criteria.get("delta_rmsea")}
        if out["delta_cfi"] is None and out["delta_rmsea"] is None:
            raise ValueError("criteria must set at least one of 'delta_cfi' and 'delta_rmsea'.")
        return out
    raise ValueError(
        f"criteria must be 'chen2007' or a mapping like {{'delta_cfi': 0.01, 'delta_rmsea': 0.015}}; "
        f"got {criteria!r}."
    )


def criteria_hold(d_cfi: float, d_rmsea: float, crit: dict) -> bool:
    """Whether a step's ΔCFI and ΔRMSEA stay within the criteria (a criterion set to None is not used)."""
    ok = True
    if crit["delta_cfi"] is not None:
        ok &= bool(-d_cfi <= crit["delta_cfi"])
    if crit["delta_rmsea"] is not None:
        ok &= bool(d_rmsea <= crit["delta_rmsea"])
    return ok


def _compare(prev: MultigroupResult, cur: MultigroupResult, crit: dict) -> dict:
    if not (prev.converged and cur.converged):
        return {**{k: math.nan for k in _DELTAS}, "decision": NOT_ESTIMABLE}
    lrt = chisq_difference(prev, cur)
    kind = _indices(prev, cur)
    cfi, rmsea = ("cfi.robust", "rmsea.robust") if kind == "robust" else ("cfi", "rmsea")
    d_cfi = float(cur.fit_measures[cfi] - prev.fit_measures[cfi])
    d_rmsea = float(cur.fit_measures[rmsea] - prev.fit_measures[rmsea])
    return {
        "delta_chisq": lrt["chisq_diff"],
        "delta_df": lrt["df_diff"],
        "p_delta": lrt["p"],
        "delta_cfi": d_cfi,
        "delta_rmsea": d_rmsea,
        "decision": "invariant" if criteria_hold(d_cfi, d_rmsea, crit) else "not invariant",
    }


def _indices(*fits: MultigroupResult) -> str:
    """"robust" when every fit is MLR with robust CFI/RMSEA defined (complete data), else "standard"."""
    ok = all(f.estimator == "MLR" and np.isfinite(f.fit_measures.get("cfi.robust", math.nan)) for f in fits)
    return "robust" if ok else "standard"


def _row(name: str, res: MultigroupResult) -> dict:
    fm = res.fit_measures
    out = {"model": name, "converged": bool(res.converged)}
    for k in ("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
        out[k] = float(fm[k])
    if res.estimator == "MLR":
        out.update({k: float(fm[k]) for k in ROBUST_COLUMNS[:-1]})
        out["indices"] = _indices(res)
    out.update({k: math.nan for k in _DELTAS})
    out["decision"] = "reference" if res.converged else NOT_ESTIMABLE
    return out


def _table(rows: list[dict]) -> pd.DataFrame:
    robust = bool(rows) and "chisq.scaled" in rows[0]
    cols = TABLE_COLUMNS[:11] + ROBUST_COLUMNS + TABLE_COLUMNS[11:] if robust else TABLE_COLUMNS
    t = pd.DataFrame.from_records(rows, columns=cols)
    for c in ("npar", "df"):
        t[c] = t[c].astype(int)
    return t


# ------------------------------------------------------------------ sequence


def _resolve_steps(steps) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(steps, str):
        steps = (steps,)
    out: list[tuple[str, tuple[str, ...]]] = []
    current: tuple[str, ...] = ()
    for s in steps:
        if isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], str):
            name, eq = s[0], tuple(s[1])
        elif s in STEPS:
            name, eq = s, STEPS[s]
        elif s in GROUP_EQUAL:  # e.g. "means" or "lv.variances": added to the previous level
            name, eq = s, tuple(dict.fromkeys(current + (s,)))
        else:
            allowed = list(STEPS) + [g for g in GROUP_EQUAL if g not in STEPS["strict"]]
            raise ValueError(f"Unknown step {s!r}.{suggest(str(s), allowed)} Steps: {', '.join(allowed)}.")
        out.append((name, eq))
        current = eq
    if not out:
        raise ValueError("steps is empty.")
    return out


def invariance(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    steps=("configural", "metric", "scalar", "strict"),
    partial=(),
    criteria="chen2007",
    group_order=None,
    missing: str = "listwise",
    estimator: str = "ML",
    return_fits: bool = False,
):
    """Fit the invariance sequence and compare each model with the one before.

    Parameters
    ----------
    model : str
        lavaan model syntax (see :func:`~hpmob.sem.multigroup.fit_multigroup`).
    data : pandas.DataFrame
        One row per respondent, with the model's variables and ``group``.
    group : str
        Grouping column.
    steps : sequence
        Level names from :data:`STEPS` (``configural, metric, scalar, strict``);
        a ``group_equal`` name such as ``"means"`` or ``"lv.variances"`` adds that
        set to the previous level; ``(name, group_equal)`` tuples are taken as given.
    partial : sequence of str or mapping
        ``group_partial`` for every step (e.g. ``("x3~1",)``), or a mapping
        ``{step: group_partial}``.
    criteria : "chen2007" or mapping
        Decision rule: CFI may drop by at most ``delta_cfi`` and RMSEA rise by
        at most ``delta_rmsea`` (defaults :data:`DELTA_CFI_MAX` = .01 and
        :data:`DELTA_RMSEA_MAX` = .015, Chen 2007). The chi-square difference
        test is reported (``delta_chisq, delta_df, p_delta``) but not used.
    group_order : sequence, optional
        Group order (group 1 is the reference group).
    missing : {"listwise", "ml"}
        As in :func:`~hpmob.sem.multigroup.fit_multigroup` (``"ml"``: FIML).
    estimator : {"ML", "MLR"}
        ``"MLR"``: robust SEs and the Yuan-Bentler scaled test (lavaan's MLR). The table then
        has :data:`ROBUST_COLUMNS`; ``delta_chisq`` and ``p_delta`` are the Satorra-Bentler
        (2001) scaled difference (``lavTestLRT``'s default for MLR), and ``delta_cfi`` /
        ``delta_rmsea`` (and so the decision) use ``cfi.robust`` / ``rmsea.robust`` where they
        are defined (complete data; ``indices`` says which were used).
    return_fits : bool
        Also return the fitted models as ``{step: MultigroupResult}``.

    Returns
    -------
    pandas.DataFrame
        One row per step, columns ``model, converged, npar, chisq, df, cfi, tli,
        rmsea, srmr, aic, bic, delta_chisq, delta_df, p_delta, delta_cfi,
        delta_rmsea, decision`` (``"reference"`` for the first step, then
        ``"invariant"`` or ``"not invariant"``; ``"not estimable"``, with no
        deltas, when the step's model or the one it is compared with did not
        converge). With ``return_fits=True``, ``(table, fits)``.

    Examples
    --------
    >>> from hpmob.sem.invariance import invariance
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> tab = invariance(m, hs, "school")
    >>> tab[["model", "cfi", "delta_cfi", "decision"]].round(3)
            model    cfi  delta_cfi       decision
    0  configural  0.923        NaN      reference
    1      metric  0.921     -0.002      invariant
    2      scalar  0.882     -0.038  not invariant
    3      strict  0.873     -0.009      invariant
    """
    crit = resolve_criteria(criteria)
    plan = _resolve_steps(steps)
    fits: dict[str, MultigroupResult] = {}
    rows: list[dict] = []
    prev = None
    for name, eq in plan:
        part = partial.get(name, ()) if isinstance(partial, Mapping) else partial
        part = _applicable(part, eq, model)
        res = fit_multigroup(model, data, group, group_equal=eq, group_partial=part, group_order=group_order,
                             missing=missing, estimator=estimator)  # fmt: skip
        fits[name] = res
        row = _row(name, res)
        if prev is not None:
            row.update(_compare(prev, res, crit))
        rows.append(row)
        prev = res
    table = _table(rows)
    return (table, fits) if return_fits else table


def _applicable(partial, eq, model) -> tuple:
    """Keep the group_partial entries that the level constrains (silences 'no effect' warnings)."""
    if isinstance(partial, str):
        partial = (partial,)
    if not partial:
        return ()
    pm = parse_model(model, meanstructure=True)
    keys = normalise_partial(partial, pm)
    sets = {f"{r.lhs}{r.op}{r.rhs}": param_set(r, pm) for r in pm.rows}
    return tuple(k for k in keys if sets[k] in eq)


# ----------------------------------------------------------- partial search


@dataclass
class PartialSearch:
    """Result of :func:`partial_invariance_search`.

    Parameters
    ----------
    freed : tuple of str
        Parameters released, in order (``group_partial`` syntax, e.g. ``"x3~1"``).
    holds : bool
        Whether the final model meets the criteria against the previous level.
    table : pandas.DataFrame
        The previous level, the full level, and each partial model, with the
        invariance-table columns; deltas of every row are against the
        previous level (the first row).
    score_tests : list of pandas.DataFrame
        The ranking (:func:`release_order`) used at each step.
    result : MultigroupResult
        The final (partial) model, with standard errors.
    reference : MultigroupResult
        The previous level's model; under ML without standard errors (``se == "none"``:
        the search compares fit only), under MLR with them.

    Examples
    --------
    >>> from hpmob.sem.invariance import partial_invariance_search
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> s = partial_invariance_search(m, hs, "school", level="scalar")
    >>> type(s).__name__, s.freed, s.holds
    ('PartialSearch', ('x3~1', 'x7~1'), True)
    >>> s.table["model"].tolist()
    ['metric', 'scalar', 'scalar + free x3~1', 'scalar + free x3~1, x7~1']
    """

    freed: tuple
    holds: bool
    table: pd.DataFrame
    score_tests: list
    result: MultigroupResult
    reference: MultigroupResult


def partial_invariance_search(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    level: str = "scalar",
    max_free: int | None = None,
    criteria="chen2007",
    partial=(),
    group_order=None,
    missing: str = "listwise",
    estimator: str = "ML",
) -> PartialSearch:
    """Release equality constraints one at a time until the level meets the criteria.

    Starting from the full ``level`` model (e.g. scalar), the parameter with the
    largest univariate score test (:func:`release_order`) is freed in all groups,
    the model is refitted, and this repeats until ΔCFI / ΔRMSEA against the
    previous level (e.g. metric) meet ``criteria``, ``max_free`` parameters are
    freed, or nothing more can be freed. An intercept is not freed if that would
    leave one of its factors with fewer than :data:`MIN_INVARIANT_INDICATORS`
    equal intercepts.

    Parameters
    ----------
    level : {"metric", "scalar", "strict"}
        The level whose constraints are released (loadings, intercepts or residual
        variances), compared with the level before it.
    max_free : int, optional
        Most parameters to free (default: no limit besides the rule above).
    criteria : "chen2007" or mapping
        As in :func:`invariance`.
    partial : sequence of str
        Parameters already freed (in both the previous level and this one).
    missing : {"listwise", "ml"}
        As in :func:`invariance`.
    estimator : {"ML", "MLR"}
        As in :func:`invariance` (the score tests are those of the ML information).
    model : str
        lavaan model syntax (see :func:`~hpmob.sem.multigroup.fit_multigroup`).
    data : pandas.DataFrame
        One row per respondent, with the model's variables and ``group``.
    group : str
        Grouping column.
    group_order : sequence, optional
        Group order (group 1 is the reference group).

    Returns
    -------
    PartialSearch
        The parameters freed, whether the level then holds, the table of models compared,
        each round's ranking, the final model and the previous level's model.

    Examples
    --------
    >>> from hpmob.sem.invariance import partial_invariance_search
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> s = partial_invariance_search(m, hs, "school", level="scalar")
    >>> s.freed, s.holds
    (('x3~1', 'x7~1'), True)
    >>> s.table[["model", "cfi", "delta_cfi", "decision"]].round(3)
                          model    cfi  delta_cfi       decision
    0                    metric  0.921        NaN      reference
    1                    scalar  0.882     -0.038  not invariant
    2        scalar + free x3~1  0.903     -0.018  not invariant
    3  scalar + free x3~1, x7~1  0.919     -0.002      invariant
    """
    if level not in _LEVEL_KIND:
        raise ValueError(f"level must be one of {list(_LEVEL_KIND)}; got {level!r}.")
    if max_free is not None and (not isinstance(max_free, int) or max_free < 0):
        raise ValueError(f"max_free must be a non-negative integer or None; got {max_free!r}.")
    crit = resolve_criteria(criteria)
    kind = _LEVEL_KIND[level]
    prev_name = _PREVIOUS[level]
    partial = (partial,) if isinstance(partial, str) else tuple(partial)

    # Under ML the steps compare fit only (chi-square, CFI, RMSEA) and rank releases by score tests
    # of the expected information: no step needs standard errors, whose observed information (a
    # numerical Hessian under FIML) is most of a fit's time. The final model is refitted with them
    # below; estimation is deterministic, so it is the same fit. MLR's scaled statistics need the
    # information at every step.
    step_se = "none" if str(estimator).upper() == "ML" else "standard"

    def run(eq, part, se=step_se):
        return fit_multigroup(model, data, group, group_equal=eq, group_partial=_applicable(part, eq, model),
                              group_order=group_order, missing=missing, estimator=estimator, se=se)  # fmt: skip

    ref = run(STEPS[prev_name], partial)
    cur = run(STEPS[level], partial)
    rows = [_row(prev_name, ref)]
    row = _row(level, cur)
    row.update(_compare(ref, cur, crit))
    rows.append(row)
    freed: list[str] = []
    rankings: list[pd.DataFrame] = []
    holds = row["decision"] == "invariant"
    pm = cur.state.pm
    while not holds and (max_free is None or len(freed) < max_free):
        try:
            rank = release_order(cur, kind)
        except ValueError:
            break
        rankings.append(rank)
        pick = None
        for prm in rank["param"]:
            if kind == "intercepts" and not _intercepts_left(pm, set(partial) | set(freed) | {prm}):
                continue
            pick = prm
            break
        if pick is None:
            break
        freed.append(pick)
        cur = run(STEPS[level], partial + tuple(freed))
        row = _row(f"{level} + free {', '.join(freed)}", cur)
        row.update(_compare(ref, cur, crit))
        rows.append(row)
        holds = row["decision"] == "invariant"
    if getattr(cur, "se", "standard") == "none":
        cur = run(STEPS[level], partial + tuple(freed), se="standard")
    return PartialSearch(freed=tuple(freed), holds=holds, table=_table(rows), score_tests=rankings,
                         result=cur, reference=ref)  # fmt: skip


def _intercepts_left(pm, released: set) -> bool:
    ov = set(pm.ov)
    for f in pm.lv:
        ind = [r.rhs for r in pm.rows if r.op == "=~" and r.lhs == f and r.rhs in ov]
        if ind and sum(f"{v}~1" not in released for v in ind) < MIN_INVARIANT_INDICATORS:
            return False
    return True


# -------------------------------------------------------------- latent means


def latent_mean_differences(result: MultigroupResult, factor: str) -> pd.DataFrame:
    """Compute the latent means of one factor in every group, relative to group 1 (fixed at 0).

    Parameters
    ----------
    result : MultigroupResult
        A fit in which the latent means are identified: intercepts equal across
        groups (scalar, or partial scalar with enough equal intercepts).
    factor : str
        Latent variable name.

    Returns
    -------
    pandas.DataFrame
        ``group, group_label, reference, est, se, z, pvalue, ci.lower,
        ci.upper, std.lv``: the mean difference to the reference group with its
        Wald test and interval (level as in the fit), and ``std.lv`` (the
        difference in units of the group's latent SD, lavaan's std.lv).

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from hpmob.sem.invariance import latent_mean_differences
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> scalar = fit_multigroup(m, hs, "school", group_equal=("loadings", "intercepts"))
    >>> latent_mean_differences(scalar, "speed")[["group_label", "reference", "est", "se"]].round(3)
       group_label  reference    est    se
    0      Pasteur       True  0.000  0.00
    1  Grant-White      False -0.177  0.09
    """
    if getattr(result, "se", "standard") == "none":
        raise ValueError("The fit has no standard errors (se='none'); fit it again with se='standard' to compare "
                         "latent means.")
    st = result.state
    lv = st.pm.lv
    if factor not in lv:
        raise ValueError(f"{factor!r} is not a latent variable of the model.{suggest(str(factor), lv)}")
    e = result.estimates
    rows = e[(e["op"] == "~1") & (e["lhs"] == factor)].copy()
    if not (rows["se"] > 0).any():
        raise ValueError(
            f"The latent means of {factor!r} are fixed at 0 in every group: they are only estimated when "
            "intercepts are equal across groups. Fit a scalar (or partial scalar) model, i.e. "
            "group_equal=('loadings', 'intercepts')."
        )
    rows["reference"] = rows["group"] == 1
    cols = ["group", "group_label", "reference", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.lv"]
    return rows[cols].reset_index(drop=True)

