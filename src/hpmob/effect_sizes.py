"""Effect sizes of the group comparisons: ω² with its noncentral-F interval, and Cramér's V.

The formulas :mod:`hpmob.compare` reports beside its tests (it re-exports all three, which
is where to import them from), apart because they are plain functions of a test
statistic and know nothing of groups, codebooks or disclosure control: ω² and its
confidence interval for Welch's F (what pingouin lacks), and Cramér's V, raw and
bias-corrected, for a chi-square test of independence.

Examples
--------
>>> from hpmob.effect_sizes import omega_squared
>>> round(omega_squared(5.0, 2, 100), 4)
0.0741
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from hpmob.checks import check_conf

__all__ = ["cramers_v", "omega_squared", "omega_squared_ci"]


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
