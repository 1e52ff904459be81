"""Reliability of one scale: Cronbach's alpha, item–total statistics, McDonald's omega.

Every function takes a DataFrame whose columns are the items of **one** scale,
already reverse-keyed (reverse-keying and composites live in ``hpmob.score``),
and returns a tidy pandas object. Results are checked against R
(``psych::alpha`` 2.2.9, ``lavaan`` 0.6.14 + ``semTools::compRelSEM`` 0.5.6)
in ``tests/test_reliability.py`` using the references in ``tests/reference/``.

Functions
---------
cronbach_alpha
    Raw and standardized alpha, average inter-item r, Feldt (1965) CI.
item_total_statistics
    One row per item: n, mean, sd, item–rest r, r.cor, alpha if deleted.
omega_total
    McDonald's omega total from a one-factor ML CFA (both semTools forms).
reliability_table
    One row per construct: n_items, n, alpha with CI, omega.
alpha_from_model
    Population alpha implied by a one-factor model.

Missing values
--------------
``nan_policy="pairwise"`` (the default, as in ``psych::alpha(use =
"pairwise")`` and ``pingouin.cronbach_alpha``) computes each item covariance
from the rows where both items are answered; ``"listwise"`` first drops every
row with a missing item (``psych::alpha(na.omit(x))``). See
:func:`cronbach_alpha` for how ``n`` is counted under each policy. Omega is
always fitted to the listwise-complete rows, because that is lavaan's default
(``missing = "listwise"``) and so what ``compRelSEM`` reports.

Longer than 600 lines because alpha, omega and their table share one preparation and
covariance path (``_prepare``, ``_covariance``), which the reference tests call on this
module as they call the one-factor ML fit behind omega (``_fit_one_factor_ml``); split
apart, those private helpers would be imported across modules, the habit issue #20 ends.
The input checks it shares with EFA and validity are in :mod:`hpmob.checks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from .checks import NAN_POLICIES as NAN_POLICIES  # not in __all__; where callers find it
from .checks import as_item_frame, check_nan_policy, cov2cor

__all__ = [
    "alpha_from_model",
    "cronbach_alpha",
    "item_total_statistics",
    "omega_total",
    "reliability_table",
]


# One-factor ML fit: Fisher scoring stops when the largest absolute gradient of
# the ML discrepancy is below this. At 1e-10 the loadings agree with lavaan's
# (nlminb, rel.tol = 1e-10) to about 1e-7 and omega to about 1e-9.
_ML_GTOL = 1e-10
_ML_MAXITER = 500


# --------------------------------------------------------------------------- #
# Validation and shared pieces
# --------------------------------------------------------------------------- #


def _check_ci(ci: float, func: str) -> None:
    if not isinstance(ci, (int, float, np.floating)) or not 0 < ci < 1:
        raise ValueError(f"{func}(): ci must be a coverage between 0 and 1, e.g. 0.95; got {ci!r}.")


def _prepare(items, nan_policy: str, func: str, min_items: int = 2) -> pd.DataFrame:
    """Validate, drop rows that answered no item, apply the NaN policy, check variances."""
    check_nan_policy(nan_policy, func)
    x = as_item_frame(items, func=func, min_items=min_items)
    # A row with every item missing (unit nonresponse) carries no information.
    # psych counts it in n = nrow(x), which makes the Feldt CI too narrow; we
    # drop it. Without such rows the two agree exactly.
    answered = ~np.isnan(x.to_numpy())
    if not answered.all():
        keep = answered.all(axis=1) if nan_policy == "listwise" else answered.any(axis=1)
        x = x.loc[keep]
    if len(x) < 2:
        raise ValueError(
            f"{func}(): need at least 2 respondents with item data"
            f"{' after listwise deletion' if nan_policy == 'listwise' else ''}; got {len(x)}."
        )
    values = x.to_numpy()
    const = [
        c
        for c, col in zip(x.columns, values.T)
        if np.nanmax(col) == np.nanmin(col)  # all-NaN columns were rejected above
    ]
    if const:
        raise ValueError(
            f"{func}(): item(s) {const} have zero variance (every respondent gave the "
            f"same answer), so they cannot measure differences between people. Drop "
            f"them from the scale or check the recoding. (psych::alpha drops such items "
            f"with a warning; we stop so the scale definition stays explicit.)"
        )
    return x


def _covariance(x: pd.DataFrame) -> np.ndarray:
    """Sample covariance (n − 1 divisor), pairwise-complete when there are NaNs.

    ``pandas.DataFrame.cov`` implements R's ``cov(use = "pairwise")``: each
    pair's covariance uses the rows where both items are present, with the
    means of those rows. numpy is used when nothing is missing because it is
    several times faster and gives the same numbers.
    """
    values = x.to_numpy()
    if not np.isnan(values).any():
        return np.atleast_2d(np.cov(values, rowvar=False))
    C = x.cov(min_periods=2).to_numpy()
    if np.isnan(C).any():
        i, j = np.argwhere(np.isnan(C))[0]
        raise ValueError(
            f"items {x.columns[i]!r} and {x.columns[j]!r} have fewer than 2 respondents "
            f"who answered both, so their covariance is undefined. Use "
            f"nan_policy='listwise' or drop one of them."
        )
    return C


def _alpha_from_cov(C: np.ndarray) -> float:
    # psych's alpha.1: (1 - tr(C)/sum(C)) * k/(k-1). Works for a correlation
    # matrix too, which gives standardized alpha.
    k = C.shape[0]
    if k < 2:
        return np.nan
    return (1.0 - np.trace(C) / C.sum()) * k / (k - 1)


def _feldt_ci(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    # Feldt (1965); Feldt, Woodruff & Salih (1987). (1 − α̂)/(1 − α) ~ F(n−1, (n−1)(k−1)).
    # Identical to psych::alpha.ci and to pingouin's parametric CI.
    # special.fdtri is the F quantile function (R's qf) without the argument
    # checking of scipy.stats.f.ppf, which costs more than the rest of alpha.
    df1 = n - 1
    df2 = df1 * (k - 1)
    tail = (1.0 - ci) / 2.0
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - tail)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, tail)
    return float(low), float(high)


# --------------------------------------------------------------------------- #
# Cronbach's alpha
# --------------------------------------------------------------------------- #
def cronbach_alpha(
    items: pd.DataFrame, *, ci: float = 0.95, nan_policy: str = "pairwise"
) -> pd.Series:
    """Compute Cronbach's alpha with Feldt's confidence interval and standardized alpha.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of a single, already reverse-keyed scale; one row
        per respondent. Numeric (or boolean) columns; ``NaN`` marks a missing
        answer.
    ci : float, default 0.95
        Coverage of the confidence interval.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        How missing answers are handled (rows with *no* answered item are
        always dropped first):

        * ``"pairwise"`` — each covariance uses the rows where both items are
          answered (R ``cov(use = "pairwise")``); ``n`` is the number of rows
          with at least one answered item. This is ``psych::alpha(x)`` (its
          default ``use = "pairwise"``; psych uses ``n = nrow(x)``, which is
          the same unless some rows answered nothing) and
          ``pingouin.cronbach_alpha(x)`` (default ``nan_policy="pairwise"``,
          ``n = len(x)``).
        * ``"listwise"`` — rows with any missing item are dropped; ``n`` is the
          number of complete rows. This is ``psych::alpha(na.omit(x))``.
          ``pingouin.cronbach_alpha(x, nan_policy="listwise")`` gives the same
          alpha but a different CI: pingouin takes ``n`` *before* dropping
          rows, so its Feldt interval is too narrow when rows are dropped.

    Returns
    -------
    pandas.Series
        Named ``"cronbach_alpha"``, float64, with index:

        * ``alpha`` — raw alpha, k/(k−1)·(1 − Σ s²ᵢ / Σᵢⱼ sᵢⱼ)
          (psych ``raw_alpha``)
        * ``n`` — respondents used, as described under ``nan_policy``
        * ``n_items`` — k
        * ``alpha_ci_low``, ``alpha_ci_high`` — Feldt (1965) F-based interval,
          1 − (1 − α)·F⁻¹(p; n−1, (n−1)(k−1)) (psych ``$feldt``)
        * ``std_alpha`` — standardized alpha, k·r̄ / (1 + (k−1)·r̄)
          (psych ``std.alpha``)
        * ``average_r`` — mean inter-item correlation r̄ (psych ``average_r``)

        Correlations are ``cov2cor`` of the (pairwise) covariance matrix, as
        in psych.

    Warns
    -----
    UserWarning
        If an item loads negatively on the first principal component (as
        psych checks), which usually means it was not reverse-keyed.

    See Also
    --------
    item_total_statistics, omega_total, reliability_table

    Notes
    -----
    Alpha is a lower bound of reliability that equals it only when all items
    have equal loadings (tau-equivalence); with unequal loadings prefer
    :func:`omega_total`. Alpha is invariant to the covariance divisor
    (n or n − 1).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika*, 16, 297–334.

    Feldt, L. S. (1965). The approximate sampling distribution of
    Kuder-Richardson reliability coefficient twenty. *Psychometrika*, 30,
    357–370.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.reliability import cronbach_alpha
    >>> items = pd.DataFrame({"q1": [4, 3, 3, 1, 5, 5, 3, 3, 3, 2],
    ...                       "q2": [3, 3, 2, 1, 3, 4, 3, 3, 2, 3],
    ...                       "q3": [3, 3, 3, 1, 3, 5, 3, 4, 3, 1],
    ...                       "q4": [3, 2, 3, 2, 3, 4, 3, 5, 4, 3]})
    >>> cronbach_alpha(items).round(3)
    alpha             0.846
    n                10.000
    n_items           4.000
    alpha_ci_low      0.595
    alpha_ci_high     0.957
    std_alpha         0.848
    average_r         0.583
    Name: cronbach_alpha, dtype: float64
    """
    func = "cronbach_alpha"
    _check_ci(ci, func)
    x = _prepare(items, nan_policy, func)
    n, k = x.shape
    C = _covariance(x)
    R = cov2cor(C)
    alpha = _alpha_from_cov(C)
    low, high = _feldt_ci(alpha, n, k, ci)
    average_r = (R.sum() - k) / (k * (k - 1))

    # Same check as psych::alpha: an item loading negatively on the first
    # principal component (oriented so most loadings are positive) was probably
    # not reverse-keyed. The item–rest correlation is not used because one
    # unreversed item in a 3-item scale drags every item–rest r below zero.
    pc1 = np.linalg.eigh(R)[1][:, -1]
    pc1 = pc1 if pc1.sum() >= 0 else -pc1
    negative = x.columns[pc1 < 0].tolist()
    if negative:
        warnings.warn(
            f"item(s) {negative} load negatively on the first principal component of "
            f"the scale; check that reverse-keyed items were reversed (hpmob.score) "
            f"before computing alpha.",
            UserWarning,
            stacklevel=2,
        )

    return pd.Series(
        {
            "alpha": alpha,
            "n": float(n),
            "n_items": float(k),
            "alpha_ci_low": low,
            "alpha_ci_high": high,
            "std_alpha": _alpha_from_cov(R),
            "average_r": average_r,
        },
        name=func,
        dtype=float,
    )


def item_total_statistics(items: pd.DataFrame, *, nan_policy: str = "pairwise") -> pd.DataFrame:
    """Item–rest correlations and alpha-if-item-deleted, one row per item.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of a single, already reverse-keyed scale.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`cronbach_alpha`. Under ``"pairwise"`` the per-item
        ``n``, ``mean`` and ``sd`` use every answer to that item and the
        correlations use the pairwise covariance matrix, as
        ``psych::alpha(x)`` does.

    Returns
    -------
    pandas.DataFrame
        Columns:

        * ``item`` — column name
        * ``n`` — answers to the item (psych ``item.stats$n``)
        * ``mean``, ``sd`` — item mean and SD (n − 1 divisor)
        * ``r_drop`` — item–rest correlation: the item against the sum of the
          *other* items (psych ``r.drop``; "corrected item–total
          correlation" in SPSS)
        * ``r_cor`` — item–total correlation corrected for item overlap and
          reliability: column sums of the correlation matrix whose diagonal
          is replaced by the squared multiple correlations, over the square
          root of its total (psych ``r.cor``)
        * ``alpha_if_deleted`` — raw alpha of the remaining items (psych
          ``alpha.drop$raw_alpha``)
        * ``std_alpha_if_deleted`` — standardized alpha of the remaining items
          (psych ``alpha.drop$std.alpha``)

        With two items the "if deleted" columns are NaN (alpha of one item is
        undefined).

    See Also
    --------
    cronbach_alpha

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.reliability import item_total_statistics
    >>> items = pd.DataFrame({"q1": [4, 3, 3, 1, 5, 5, 3, 3, 3, 2],
    ...                       "q2": [3, 3, 2, 1, 3, 4, 3, 3, 2, 3],
    ...                       "q3": [3, 3, 3, 1, 3, 5, 3, 4, 3, 1],
    ...                       "q4": [3, 2, 3, 2, 3, 4, 3, 5, 4, 3]})
    >>> item_total_statistics(items).round(3)
      item   n  mean     sd  r_drop  r_cor  alpha_if_deleted  std_alpha_if_deleted
    0   q1  10   3.2  1.229   0.742  0.832             0.782                 0.786
    1   q2  10   2.7  0.823   0.701  0.748             0.810                 0.808
    2   q3  10   2.9  1.197   0.846  0.904             0.726                 0.740
    3   q4  10   3.2  0.919   0.511  0.586             0.870                 0.881
    """
    func = "item_total_statistics"
    x = _prepare(items, nan_policy, func)
    C = _covariance(x)
    R = cov2cor(C)
    k = C.shape[0]
    total = C.sum()
    diag = np.diag(C)
    # Item–rest correlation from the covariance matrix alone (psych's r.drop):
    # cov(item, rest) / sqrt(var(item) · var(rest)). Computing it from C rather
    # than from row sums is what makes it consistent with pairwise deletion.
    rest_var = total - 2 * C.sum(axis=1) + diag
    r_drop = (C.sum(axis=1) - diag) / np.sqrt(diag * rest_var)

    # r.cor: not in pingouin or scipy, so written out following psych::alpha.
    try:
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(R))
        RC = R.copy()
        np.fill_diagonal(RC, smc)
        r_cor = RC.sum(axis=0) / np.sqrt(RC.sum())
    except np.linalg.LinAlgError:
        # Singular R (an item is an exact linear combination of others): the
        # squared multiple correlations are 1 and r.cor is not informative.
        r_cor = np.full(k, np.nan)

    keep = [np.arange(k) != i for i in range(k)]
    alpha_drop = [_alpha_from_cov(C[np.ix_(m, m)]) for m in keep]
    std_alpha_drop = [_alpha_from_cov(R[np.ix_(m, m)]) for m in keep]

    return pd.DataFrame(
        {
            "item": x.columns.astype(str),
            "n": x.notna().sum(axis=0).to_numpy(dtype=int),
            "mean": x.mean(axis=0).to_numpy(),
            "sd": x.std(axis=0, ddof=1).to_numpy(),
            "r_drop": r_drop,
            "r_cor": r_cor,
            "alpha_if_deleted": alpha_drop,
            "std_alpha_if_deleted": std_alpha_drop,
        }
    )


# --------------------------------------------------------------------------- #
# McDonald's omega
# --------------------------------------------------------------------------- #
def _fit_one_factor_ml(S: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """One-factor ML CFA with unit factor variance (lavaan ``std.lv = TRUE``).

    Minimises lavaan's ML discrepancy F = log|Σ| + tr(S Σ⁻¹) (constants
    dropped) over loadings λ and residual variances θ, Σ = λλᵀ + diag(θ).
    Like lavaan, θ is not bounded below, so Heywood cases (θ < 0) are
    reported rather than hidden at a bound.

    Why hand-written rather than semopy or factor_analyzer:

    * semopy (2.3.11) scales the factor with a marker item; fixing the factor
      variance needs extra syntax, and its SLSQP optimiser stops early — on
      HolzingerSwineford1939 its loadings differ from lavaan's by up to 5e-4
      and omega by up to 5e-5, and it parses a model string on every call.
    * factor_analyzer's ML bounds the uniquenesses away from zero (as R's
      ``factanal`` does), so it cannot reproduce lavaan's unconstrained
      estimates when a Heywood case occurs.
    * The one-factor model has closed-form gradient and Hessian, so a few
      dozen lines of numpy reach the optimum to machine precision (closer than
      lavaan's own nlminb stopping rule) in about a millisecond.

    Each iteration takes a Newton step with the exact Hessian when it is
    positive definite and a Fisher-scoring step (expected information, always
    positive definite) otherwise, with step halving to guarantee descent.
    Newton converges quadratically even when the model fits badly, where
    Fisher scoring alone slows to a crawl.

    Returns ``(lambda, theta, converged, iterations)``; λ is signed so that
    Σλ ≥ 0 (the sign is not identified).
    """
    k = S.shape[0]
    eye = np.eye(k)
    # ∂Σ/∂p for p = (λ₁..λₖ, θ₁..θₖ); the λ derivatives depend on λ.
    dtheta = np.einsum("ai,aj->aij", eye, eye)

    def parts(lam, theta):
        sigma = np.outer(lam, lam) + np.diag(theta)
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf, None  # not a covariance matrix: reject the step
        W = np.linalg.inv(sigma)
        logdet = 2.0 * np.log(np.diag(chol)).sum()
        return logdet + np.sum(S * W), W

    # Start: first principal axis of S with the common part at most half of
    # each variance, which keeps Σ positive definite.
    vals, vecs = np.linalg.eigh(S)
    lam = vecs[:, -1] * np.sqrt(max(vals[-1], 1e-12))
    lam = np.sign(lam.sum() or 1.0) * lam
    lam *= np.sqrt(0.5 * np.diag(S) / np.maximum(lam**2, 1e-12)).clip(max=1.0)
    theta = np.diag(S) - lam**2

    f, W = parts(lam, theta)
    converged = False
    it = 0
    for it in range(1, _ML_MAXITER + 1):  # noqa: B007 (the count is reported after the loop)
        WSW = W @ S @ W
        E = W - WSW  # dF/dΣ
        grad = np.concatenate([2.0 * E @ lam, np.diag(E)])
        if np.max(np.abs(grad)) < _ML_GTOL:
            converged = True
            break
        dlam = np.einsum("ai,j->aij", eye, lam)
        D = np.concatenate([dlam + dlam.transpose(0, 2, 1), dtheta])  # (2k, k, k)
        P = W @ D @ W  # W Σ_a W
        info = np.einsum("aij,bij->ab", P, D)  # tr(W Σ_a W Σ_b)
        cross = np.einsum("aij,bij->ab", P @ S @ W, D)  # tr(W Σ_a W S W Σ_b)
        hess = -info + cross + cross.T
        hess[:k, :k] += 2.0 * E  # ∂²Σ/∂λᵢ∂λⱼ = eᵢeⱼᵀ + eⱼeᵢᵀ
        try:
            np.linalg.cholesky(hess)
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            try:
                step = np.linalg.solve(info, grad)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(info, grad, rcond=None)[0]
        t = 1.0
        while t > 1e-12:
            new_lam, new_theta = lam - t * step[:k], theta - t * step[k:]
            new_f, new_W = parts(new_lam, new_theta)
            if new_f <= f + 1e-14 * abs(f):
                break
            t /= 2.0
        else:
            break  # no descent possible: report as not converged
        lam, theta, f, W = new_lam, new_theta, new_f, new_W

    if lam.sum() < 0:
        lam = -lam
    return lam, theta, converged, it


def omega_total(items: pd.DataFrame) -> pd.Series:
    """Compute McDonald's omega total from a one-factor maximum-likelihood CFA.

    The model is ``f =~ item1 + ... + itemk`` with the factor variance fixed
    to 1, fitted by normal-theory ML to the listwise-complete rows with the
    ML (N-divisor) sample covariance S, exactly as
    ``lavaan::cfa(model, data, std.lv = TRUE)``.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of a single, already reverse-keyed scale; at least
        3 items (a one-factor model for 2 items is not identified). Rows with
        any missing item are dropped (lavaan's default ``missing =
        "listwise"``).

    Returns
    -------
    pandas.Series
        Named ``"omega_total"``, float64, with index:

        * ``omega`` — (Σλ)² / (1ᵀ S 1): the observed total-score variance in
          the denominator. Equals ``semTools::compRelSEM(fit)`` (default
          ``obs.var = TRUE``) and ``reliability(fit)["omega3", ]``.
        * ``omega_model`` — (Σλ)² / ((Σλ)² + Σθ): the model-implied total
          variance in the denominator. Equals
          ``semTools::compRelSEM(fit, obs.var = FALSE)`` and
          ``reliability(fit)["omega", ]``.
        * ``n`` — complete rows used.
        * ``n_items`` — k.

        For 3 items the model is saturated and the two forms coincide; with
        more items they differ by how badly the one-factor model fits.

    Warns
    -----
    UserWarning
        If a residual variance is estimated ≤ 0 (a Heywood case: the solution
        is improper and omega should not be reported without comment).

    Raises
    ------
    RuntimeError
        If the ML fit does not converge.

    See Also
    --------
    cronbach_alpha, reliability_table

    Notes
    -----
    ``psych::omega(x, nfactors = 1)`` is a different estimate: it fits the
    factor by minres to the *correlation* matrix. On HolzingerSwineford1939
    its ``omega.tot`` is 0.635 against 0.633 here for x1–x3, but 0.771
    against 0.630 for all nine items, where one factor fits poorly. Report
    which one you use; this module follows semTools.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.

    Jorgensen, T. D., et al. (2022). semTools: Useful tools for structural
    equation modeling. R package version 0.5-6.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.reliability import omega_total
    >>> items = pd.DataFrame({"q1": [4, 3, 3, 1, 5, 5, 3, 3, 3, 2],
    ...                       "q2": [3, 3, 2, 1, 3, 4, 3, 3, 2, 3],
    ...                       "q3": [3, 3, 3, 1, 3, 5, 3, 4, 3, 1],
    ...                       "q4": [3, 2, 3, 2, 3, 4, 3, 5, 4, 3]})
    >>> omega_total(items).round(3)
    omega           0.884
    omega_model     0.877
    n              10.000
    n_items         4.000
    Name: omega_total, dtype: float64
    """
    func = "omega_total"
    x = _prepare(items, "listwise", func, min_items=3)
    n, k = x.shape
    values = x.to_numpy()
    S = np.cov(values, rowvar=False, ddof=0)  # lavaan's ML sample covariance
    lam, theta, converged, iterations = _fit_one_factor_ml(S)
    if not converged:
        raise RuntimeError(
            f"{func}(): the one-factor ML fit did not converge after {iterations} "
            f"iterations (items {list(x.columns)}, n = {n}): the likelihood has no proper "
            f"maximum, typically because one item's residual variance runs off to minus "
            f"infinity. The items may not share a single factor or n is too small; "
            f"inspect their correlations and report alpha instead."
        )
    heywood = x.columns[theta <= 0].tolist()
    if heywood:
        warnings.warn(
            f"{func}(): residual variance of {heywood} estimated ≤ 0 (Heywood case); "
            f"the one-factor solution is improper, so interpret omega with care.",
            UserWarning,
            stacklevel=2,
        )
    common = lam.sum() ** 2
    return pd.Series(
        {
            "omega": common / S.sum(),
            "omega_model": common / (common + theta.sum()),
            "n": float(n),
            "n_items": float(k),
        },
        name=func,
        dtype=float,
    )


# --------------------------------------------------------------------------- #
# Table for several constructs
# --------------------------------------------------------------------------- #
def reliability_table(
    data: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    ci: float = 0.95,
    nan_policy: str = "pairwise",
) -> pd.DataFrame:
    """Alpha (with CI) and omega for several constructs, one row per construct.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items, items already reverse-keyed.
    scales : dict of str to list of str
        Construct code → its item columns, e.g. ``{"visual": ["x1", "x2",
        "x3"]}``. Usually built from the codebook.
    ci : float, default 0.95
        Coverage of alpha's Feldt interval.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        Missing-data handling for alpha (see :func:`cronbach_alpha`). Omega
        always uses listwise-complete rows (lavaan's default).

    Returns
    -------
    pandas.DataFrame
        Columns ``construct, n_items, n, alpha, alpha_ci_low, alpha_ci_high,
        omega`` followed by ``std_alpha, average_r, omega_model, n_omega``.
        ``n`` is alpha's n; ``n_omega`` the complete rows used for omega.
        ``omega`` is ``semTools::compRelSEM`` (default) and ``omega_model``
        its ``obs.var = FALSE`` form; both are NaN for a 2-item construct,
        where a one-factor model is not identified.

    See Also
    --------
    cronbach_alpha, omega_total

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.reliability import reliability_table
    >>> df = pd.DataFrame({"q1": [4, 3, 3, 1, 5, 5, 3, 3, 3, 2],
    ...                    "q2": [3, 3, 2, 1, 3, 4, 3, 3, 2, 3],
    ...                    "q3": [3, 3, 3, 1, 3, 5, 3, 4, 3, 1],
    ...                    "q4": [3, 2, 3, 2, 3, 4, 3, 5, 4, 3],
    ...                    "p1": [5, 4, 4, 2, 1, 3, 2, 4, 3, 2],
    ...                    "p2": [4, 5, 3, 2, 2, 3, 1, 5, 4, 2]})
    >>> scales = {"Q": ["q1", "q2", "q3", "q4"], "P": ["p1", "p2"]}
    >>> tab = reliability_table(df, scales)
    >>> tab.iloc[:, :7].round(3)
      construct  n_items   n  alpha  alpha_ci_low  alpha_ci_high  omega
    0         Q        4  10  0.846         0.595          0.957  0.884
    1         P        2  10  0.874         0.494          0.969    NaN
    """
    func = "reliability_table"
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{func}() needs a pandas DataFrame as data; got {type(data).__name__}.")
    if not isinstance(scales, Mapping) or not scales:
        raise ValueError(
            f"{func}(): scales must be a non-empty dict mapping each construct to its "
            f"item columns, e.g. {{'F1': ['x1', 'x2', 'x3']}}."
        )
    _check_ci(ci, func)
    check_nan_policy(nan_policy, func)

    rows = []
    for construct, cols in scales.items():
        if isinstance(cols, str) or not isinstance(cols, Sequence):
            raise TypeError(
                f"{func}(): the items of construct {construct!r} must be a list of column "
                f"names; got {cols!r}."
            )
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise KeyError(
                f"{func}(): construct {construct!r} lists item(s) {missing} that are not "
                f"columns of data. Check the scale definition against the codebook."
            )
        sub = data[list(cols)]
        try:
            a = cronbach_alpha(sub, ci=ci, nan_policy=nan_policy)
            if len(cols) >= 3:
                o = omega_total(sub)
            else:
                o = pd.Series({"omega": np.nan, "omega_model": np.nan, "n": np.nan})
        except (ValueError, TypeError, RuntimeError) as err:
            # Re-raise with the construct named: the inner message names the item.
            raise type(err)(f"construct {construct!r}: {err}") from err
        rows.append(
            {
                "construct": construct,
                "n_items": len(cols),
                "n": int(a["n"]),
                "alpha": a["alpha"],
                "alpha_ci_low": a["alpha_ci_low"],
                "alpha_ci_high": a["alpha_ci_high"],
                "omega": o["omega"],
                "std_alpha": a["std_alpha"],
                "average_r": a["average_r"],
                "omega_model": o["omega_model"],
                "n_omega": o["n"],
            }
        )
    out = pd.DataFrame(rows)
    out["n_omega"] = out["n_omega"].astype("Int64")
    return out


# --------------------------------------------------------------------------- #
# Population alpha
# --------------------------------------------------------------------------- #
def alpha_from_model(loadings, residual_variances) -> float:
    """Population Cronbach's alpha implied by a one-factor model.

    For loadings λᵢ, residual variances θᵢ and factor variance 1 the
    model-implied item variances are σᵢ² = λᵢ² + θᵢ and the total-score
    variance is σ²ₜ = (Σλ)² + Σθ, so

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma_i^2}{\\sigma_t^2}\\right)

    Parameters
    ----------
    loadings : array-like of float
        λ₁…λₖ (k ≥ 2), on the unit-factor-variance scale.
    residual_variances : array-like of float
        θ₁…θₖ, non-negative, same length and order as ``loadings``.

    Returns
    -------
    float
        Population alpha. With equal loadings (tau-equivalence) it equals the
        population omega (kλ)² / ((kλ)² + Σθ); otherwise it is smaller.

    See Also
    --------
    cronbach_alpha : the sample estimate.

    Examples
    --------
    Parallel items with λ = 0.8 and θ = 0.36 (item reliability 0.64):

    >>> from hpmob.reliability import alpha_from_model
    >>> round(alpha_from_model([0.8] * 4, [0.36] * 4), 6)
    0.876712
    """
    func = "alpha_from_model"
    try:
        lam = np.asarray(loadings, dtype=float)
        theta = np.asarray(residual_variances, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{func}(): loadings and residual variances must be numbers ({err}).") from err
    if lam.ndim != 1 or theta.ndim != 1:
        raise ValueError(f"{func}(): loadings and residual_variances must be 1-D sequences.")
    if lam.size != theta.size:
        raise ValueError(
            f"{func}(): got {lam.size} loadings but {theta.size} residual variances; "
            f"give one of each per item, in the same order."
        )
    if lam.size < 2:
        raise ValueError(f"{func}(): alpha needs at least 2 items; got {lam.size}.")
    if not (np.isfinite(lam).all() and np.isfinite(theta).all()):
        raise ValueError(f"{func}(): loadings and residual variances must be finite (no NaN).")
    if (theta < 0).any():
        raise ValueError(
            f"{func}(): residual variances must be ≥ 0; got {theta.tolist()}."
        )
    k = lam.size
    total = lam.sum() ** 2 + theta.sum()
    if total <= 0:
        raise ValueError(f"{func}(): the model implies zero total-score variance.")
    item_var = (lam**2 + theta).sum()
    return float(k / (k - 1) * (1.0 - item_var / total))
