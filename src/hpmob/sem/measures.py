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
    """``sqrt(max(X2/N/df - c_hat/N, 0))`` (``lav_fit_rmsea``; 0 when df = 0)."""
    if not np.isfinite(X2) or not np.isfinite(df):
        return math.nan
    if df <= 0:
        return 0.0
    return math.sqrt(max(X2 / N / df - c_hat / N, 0.0))


def rmsea_ci(X2, df, N, c_hat=1.0, level=0.90) -> tuple[float, float]:
    """Browne-Cudeck interval from the noncentral chi-square (``lav_fit_rmsea_ci``)."""
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
    """p-value of H0: RMSEA <= h0 (``lav_fit_rmsea_closefit``)."""
    if not (np.isfinite(X2) and np.isfinite(df)) or df <= 0:
        return math.nan
    ncp = N * df * (1 / c_hat) * h0**2
    return float(1 - _pchisq(X2, df, ncp))


def _robust(df, c_hat, c_hat_null):
    return df > 0 and c_hat is not None and c_hat_null is not None and c_hat != 1 and c_hat_null != 1


def cfi(X2, df, X2_null, df_null, c_hat=None, c_hat_null=None) -> float:
    """Comparative fit index; robust version (Brosseau-Liard & Savalei 2014) when c_hat is given."""
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
    """Tucker-Lewis index, lavaan's form ``1 - (X2 - df) df0 / ((X2_0 - df0) df)``."""
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
    """Bentler's SRMR: residuals scaled by the *sample* SDs, over vech(S) (and means)."""
    sd = np.sqrt(np.diag(S))
    R = (S - sigma) / np.outer(sd, sd)
    res = R[np.tril_indices_from(R)]
    if ybar is not None and mu is not None:
        res = np.concatenate([res, (ybar - mu) / sd])
    return float(np.sqrt(np.mean(res**2)))


def normal_loglik(S, sigma, N, ybar=None, mu=None) -> float:
    """Multivariate-normal log-likelihood from sample moments (``lav_mvnorm_loglik_samplestats``)."""
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
