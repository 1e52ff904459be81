"""Score (Lagrange multiplier) tests of cross-group equality constraints, as ``lavTestScore``.

:func:`score_tests` tests each constraint of a multigroup fit, :func:`release_order` ranks
the constraints of one parameter set for a partial-invariance search. Both are
re-exported by :mod:`hpmob.sem.invariance` and :mod:`hpmob.sem`; split out of
:mod:`hpmob.sem.invariance` (issue #20).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .blas import one_blas_thread as _one_blas_thread
from .multigroup import MultigroupResult
from .multigroup_model import param_set

__all__ = ["score_tests", "release_order"]


def score_tests(result: MultigroupResult, *, kinds=None) -> pd.DataFrame:
    """Compute univariate score (Lagrange multiplier) tests of the cross-group equality constraints.

    As lavaan's ``lavTestScore(fit)`` (release mode, expected information): for
    each constraint ``.pA. == .pB.`` the statistic ``N g' J1 g``, where ``g`` is
    the unit score of the unconstrained parameters at the constrained estimate
    and ``J1`` the inverse information with all *other* constraints in place.
    It approximates the drop in chi-square if that one constraint is released.

    Parameters
    ----------
    result : MultigroupResult
        A fit with equality constraints (``group_equal`` or shared labels).
    kinds : sequence of str, optional
        Keep only constraints of these parameter sets (``"loadings"``,
        ``"intercepts"``, ...; ``"label"`` for user labels). The statistics do
        not depend on this filter.

    Returns
    -------
    pandas.DataFrame
        One row per constraint in lavaan's order: ``constraint`` (lavaan's
        ``.pA. == .pB.``), ``param`` (``lhs op rhs`` as used by
        ``group_partial``), ``lhs, op, rhs, kind, group_lhs, group_rhs,
        group_label_rhs, X2, df, pvalue``. ``.attrs["total"]`` holds lavaan's
        total score test (all constraints released at once).

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from hpmob.sem.invariance import score_tests
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> metric = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> st = score_tests(metric)
    >>> st[["param", "kind", "X2"]].head(3).round(3)
             param      kind     X2
    0   visual=~x2  loadings  0.668
    1   visual=~x3  loadings  0.516
    2  textual=~x5  loadings  4.649
    >>> round(st.attrs["total"]["X2"], 3), st.attrs["total"]["df"]
    (7.256, 6)
    """
    st = result.state
    mdl = st.model
    if not st.constraints:
        raise ValueError(
            "The model has no equality constraints to test; fit it with group_equal=... "
            "(e.g. ('loadings', 'intercepts'))."
        )
    with _one_blas_thread():
        mdl.objective(st.theta)
        gx = -0.5 * mdl.x_gradient()  # lavaan's gradient of the log-likelihood / N
        Ix = mdl.x_information()
        N = mdl.N
        K = np.zeros((mdl.nx, mdl.q))
        for e in st.entries:
            if e.x >= 0:
                K[e.x, e.theta] = 1.0
        # total test: MASS::ginv (tolerance sqrt(eps) relative to the largest singular value)
        J = np.linalg.pinv(Ix, rcond=math.sqrt(np.finfo(float).eps), hermitian=True)
        total = float(N * gx @ J @ gx)
        IK = Ix @ K
        KIK_inv = np.linalg.inv(K.T @ IK)
        gK = K.T @ gx
        u = KIK_inv @ gK
        base = float(gK @ u)
    records = []
    for ref, other in st.constraints:
        b = other.x
        # Releasing one constraint adds the direction e_b to the constrained parameter space
        # [K, e_b]; its information matrix is inverted blockwise (Schur complement). This equals
        # lavaan's bordered-matrix ginv whenever the released model is identified.
        B = IK[b]
        schur = Ix[b, b] - float(B @ KIK_inv @ B)
        x2 = float(N * (base + (float(B @ u) - gx[b]) ** 2 / schur)) if schur > 0 else math.nan
        r = ref.row
        records.append(
            {
                "constraint": f"{ref.plabel} == {other.plabel}",
                "param": ref.key,
                "lhs": r.lhs,
                "op": r.op,
                "rhs": r.rhs,
                "kind": "label" if r.label else param_set(r, st.pm),
                "group_lhs": ref.g + 1,
                "group_rhs": other.g + 1,
                "group_label_rhs": st.labels[other.g],
                "X2": x2,
                "df": 1,
                "pvalue": float(stats.chi2.sf(x2, 1)),
            }
        )
    out = pd.DataFrame.from_records(records)
    if kinds is not None:
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        out = out[out["kind"].isin(kinds)].reset_index(drop=True)
    n_con = len(st.constraints)
    out.attrs["total"] = {"X2": total, "df": n_con, "pvalue": float(stats.chi2.sf(total, n_con))}
    return out


def release_order(result: MultigroupResult, kind: str = "intercepts") -> pd.DataFrame:
    """Rank the parameters of one set by their largest univariate score test.

    With three or more groups a parameter has one constraint per non-reference
    group; the parameter's rank uses its largest statistic. Releasing it with
    ``group_partial=(param,)`` frees it in every group, as lavaan does.

    Parameters
    ----------
    result : MultigroupResult
        A fit in which that set is held equal across groups.
    kind : str
        The parameter set (``"loadings"``, ``"intercepts"``, ...; as in :func:`score_tests`).

    Returns
    -------
    pandas.DataFrame
        ``param, lhs, op, rhs, X2, df, pvalue, group_rhs, group_label_rhs``,
        largest ``X2`` first.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from hpmob.sem.invariance import release_order
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> scalar = fit_multigroup(m, hs, "school", group_equal=("loadings", "intercepts"))
    >>> release_order(scalar)[["param", "X2", "group_label_rhs"]].head(2).round(2)
      param     X2 group_label_rhs
    0  x3~1  19.19     Grant-White
    1  x7~1  15.02     Grant-White
    """
    st = score_tests(result, kinds=(kind,))
    if st.empty:
        raise ValueError(f"The model has no cross-group equality constraints of {kind!r}.")
    top = st.sort_values("X2", ascending=False, kind="stable").drop_duplicates("param")
    cols = ["param", "lhs", "op", "rhs", "X2", "df", "pvalue", "group_rhs", "group_label_rhs"]
    return top[cols].reset_index(drop=True)
