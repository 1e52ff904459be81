"""Fit measures with lavaan's definitions (lavaan 0.6-14, ``lav_fit_*.R``).

Why these are hand-written instead of taken from ``semopy.calc_stats``:

* RMSEA: semopy divides by N - 1 (0.09228 on the Holzinger-Swineford CFA);
  lavaan uses N (0.09212). semopy has no RMSEA confidence interval, no
  close-fit test and no scaled/robust RMSEA.
* SRMR: semopy does not compute it.
* Log-likelihood, AIC, BIC: semopy's ``LogLik`` is the ML discrepancy, not the
  multivariate-normal log-likelihood, so its AIC/BIC are on another scale.
* CFI/TLI agree with semopy for ML, but the scaled and robust versions (MLR)
  are missing there.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

__all__ = [
    "rmsea",
    "rmsea_ci",
    "rmsea_closefit",
    "cfi",
    "tli",
    "srmr_bentler",
    "normal_loglik",
]

LOG2PI = math.log(2 * math.pi)


def _pchisq(x, df, ncp):
    if ncp <= 0:
        return stats.chi2.cdf(x, df)
    return stats.ncx2.cdf(x, df, ncp)


def rmsea(X2, df, N, c_hat=1.0) -> float:
    """Compute ``sqrt(max(X2/N/df - c_hat/N, 0))`` (``lav_fit_rmsea``; 0 when df = 0).

    Parameters
    ----------
    X2, df : float
        Chi-square and degrees of freedom.
    N : int
        Sample size.
    c_hat : float
        Scaling factor (1 for ML).

    Returns
    -------
    float
        The RMSEA; NaN for a non-finite input.

    Examples
    --------
    >>> from hpmob.sem.measures import rmsea
    >>> round(rmsea(50.0, 20, 301), 4)
    0.0706
    """
    if not np.isfinite(X2) or not np.isfinite(df):
        return math.nan
    if df <= 0:
        return 0.0
    return math.sqrt(max(X2 / N / df - c_hat / N, 0.0))


def rmsea_ci(X2, df, N, c_hat=1.0, level=0.90) -> tuple[float, float]:
    """Compute the Browne-Cudeck interval of RMSEA from the noncentral chi-square (``lav_fit_rmsea_ci``).

    Parameters
    ----------
    X2, df : float
        Chi-square and degrees of freedom.
    N : int
        Sample size.
    c_hat : float
        Scaling factor (1 for ML).
    level : float
        Coverage of the interval.

    Returns
    -------
    tuple of float
        Lower and upper bound (0 where the noncentrality has no root above 0; NaN where the
        root search fails).

    Examples
    --------
    >>> from hpmob.sem.measures import rmsea_ci
    >>> tuple(round(b, 4) for b in rmsea_ci(50.0, 20, 301))
    (0.0463, 0.0954)
    """
    if not (np.isfinite(X2) and np.isfinite(df) and np.isfinite(N)):
        return math.nan, math.nan
    upper_perc = 1 - (1 - level) / 2
    lower_perc = (1 - level) / 2

    def lower_fn(lam):
        return _pchisq(X2, df, lam) - upper_perc

    def upper_fn(lam):
        return _pchisq(X2, df, lam) - lower_perc

    if df < 1 or lower_fn(0.0) < 0:
        lo = 0.0
    else:
        try:
            lam = optimize.brentq(lower_fn, 0.0, X2, xtol=1e-12, rtol=1e-14)
            lo = math.sqrt(c_hat * lam / (N * df))
        except ValueError:
            lo = math.nan
    n_rmsea = max(N, X2 * 4)
    if df < 1 or upper_fn(n_rmsea) > 0 or upper_fn(0.0) < 0:
        hi = 0.0
    else:
        try:
            lam = optimize.brentq(upper_fn, 0.0, n_rmsea, xtol=1e-12, rtol=1e-14)
            hi = math.sqrt(c_hat * lam / (N * df))
        except ValueError:
            hi = math.nan
    return lo, hi


def rmsea_closefit(X2, df, N, c_hat=1.0, h0=0.05) -> float:
    """Compute the p-value of H0: RMSEA <= h0 (``lav_fit_rmsea_closefit``).

    Parameters
    ----------
    X2, df : float
        Chi-square and degrees of freedom.
    N : int
        Sample size.
    c_hat : float
        Scaling factor (1 for ML).
    h0 : float
        The RMSEA of close fit.

    Returns
    -------
    float
        ``P(χ²(df, ncp) ≥ X2)`` with ``ncp = N df h0² / c_hat``; NaN when df is 0.

    Examples
    --------
    >>> from hpmob.sem.measures import rmsea_closefit
    >>> round(rmsea_closefit(50.0, 20, 301), 4)
    0.0781
    """
    if not (np.isfinite(X2) and np.isfinite(df)) or df <= 0:
        return math.nan
    ncp = N * df * (1 / c_hat) * h0**2
    return float(1 - _pchisq(X2, df, ncp))


def _robust(df, c_hat, c_hat_null):
    return df > 0 and c_hat is not None and c_hat_null is not None and c_hat != 1 and c_hat_null != 1


def cfi(X2, df, X2_null, df_null, c_hat=None, c_hat_null=None) -> float:
    """Compute the comparative fit index; robust version (Brosseau-Liard & Savalei 2014) when c_hat is given.

    Parameters
    ----------
    X2, df : float
        Chi-square and degrees of freedom of the model.
    X2_null, df_null : float
        The same for the baseline (independence) model.
    c_hat, c_hat_null : float, optional
        Scaling factors of the two models for the robust CFI.

    Returns
    -------
    float
        ``1 - max(X2 - df, 0) / max(X2 - df, X2_null - df_null, 0)`` (1 when both are 0;
        NaN for a non-finite input).

    Examples
    --------
    >>> from hpmob.sem.measures import cfi
    >>> round(cfi(50.0, 20, 500.0, 30), 6)
    0.93617
    """
    if any(not np.isfinite(v) for v in (X2, df, X2_null, df_null)):
        return math.nan
    if _robust(df, c_hat, c_hat_null):
        t1 = max(X2 - c_hat * df, 0.0)
        t2 = max(X2 - c_hat * df, X2_null - c_hat_null * df_null, 0.0)
    else:
        t1 = max(X2 - df, 0.0)
        t2 = max(X2 - df, X2_null - df_null, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1 - t1 / t2


def tli(X2, df, X2_null, df_null, c_hat=None, c_hat_null=None) -> float:
    """Compute the Tucker-Lewis index, lavaan's form ``1 - (X2 - df) df0 / ((X2_0 - df0) df)``.

    Parameters
    ----------
    X2, df : float
        Chi-square and degrees of freedom of the model.
    X2_null, df_null : float
        The same for the baseline model.
    c_hat, c_hat_null : float, optional
        Scaling factors for the robust TLI.

    Returns
    -------
    float
        The TLI (1 when df is 0 or the baseline term is 0; NaN for a non-finite input).

    Examples
    --------
    >>> from hpmob.sem.measures import tli
    >>> round(tli(50.0, 20, 500.0, 30), 6)
    0.904255
    """
    if any(not np.isfinite(v) for v in (X2, df, X2_null, df_null)):
        return math.nan
    if _robust(df, c_hat, c_hat_null):
        t1 = (X2 - c_hat * df) * df_null
        t2 = (X2_null - c_hat_null * df_null) * df
    else:
        t1 = (X2 - df) * df_null
        t2 = (X2_null - df_null) * df
    if df > 0 and abs(t2) > 0:
        return 1 - t1 / t2
    return 1.0


def srmr_bentler(S, sigma, ybar=None, mu=None) -> float:
    """Compute Bentler's SRMR: residuals scaled by the *sample* SDs, over vech(S) (and means).

    Parameters
    ----------
    S, sigma : numpy.ndarray
        Sample and model covariance.
    ybar, mu : numpy.ndarray, optional
        Sample and model means; with both, the standardized mean residuals count too.

    Returns
    -------
    float
        The root mean square of the standardized residuals.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.measures import srmr_bentler
    >>> S = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(srmr_bentler(S, np.eye(2)), 4)  # one residual of .5 among three elements
    0.2887
    """
    sd = np.sqrt(np.diag(S))
    R = (S - sigma) / np.outer(sd, sd)
    res = R[np.tril_indices_from(R)]
    if ybar is not None and mu is not None:
        res = np.concatenate([res, (ybar - mu) / sd])
    return float(np.sqrt(np.mean(res**2)))


def normal_loglik(S, sigma, N, ybar=None, mu=None) -> float:
    """Compute the multivariate-normal log-likelihood from sample moments (``lav_mvnorm_loglik_samplestats``).

    Parameters
    ----------
    S : numpy.ndarray
        Sample covariance (N divisor).
    sigma : numpy.ndarray
        Model covariance.
    N : int
        Sample size.
    ybar, mu : numpy.ndarray, optional
        Sample and model means; without both, the mean part is left out.

    Returns
    -------
    float
        ``-N/2 (p log 2π + log|Σ| + tr(S Σ⁻¹) + (ȳ - μ)' Σ⁻¹ (ȳ - μ))``; NaN when ``sigma`` is
        not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.measures import normal_loglik
    >>> round(float(normal_loglik(np.eye(2), np.eye(2), 100)), 4)  # -100 (log 2π + 1)
    -283.7877
    """
    p = S.shape[0]
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return math.nan
    si = np.linalg.inv(sigma)
    dist = float(np.sum(si * S))
    if ybar is not None and mu is not None:
        d = ybar - mu
        dist += float(d @ si @ d)
    return -N / 2 * (p * LOG2PI + logdet + dist)
