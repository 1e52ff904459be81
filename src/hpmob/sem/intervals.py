"""Bootstrap intervals of defined parameters: percentile, BC and BCa, as lavaan and ``boot`` compute them (internal).

:func:`norm_inter` is ``boot:::norm.inter`` (lavaan's percentile endpoints),
:func:`bias_corrected` the BC (lavaan's ``bca.simple``) and BCa endpoints, and
:func:`bootstrap_records` the three intervals of each defined parameter as rows of
:func:`hpmob.sem.indirect.indirect_effects`' table, for the complete-data and the FIML path
alike. Split out of :mod:`hpmob.sem.indirect` (issue #20).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []

#: The columns of :func:`hpmob.sem.indirect.indirect_effects`' table.
OUTPUT_COLUMNS = ["effect", "method", "est", "se", "ci.lower", "ci.upper", "n_draws"]


def norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Bootstrap quantiles as ``boot:::norm.inter`` (which lavaan copies for its CIs).

    The alpha quantile is the order statistic of rank (R + 1) * alpha. If the rank
    is not an integer, the value is interpolated between the neighbouring order
    statistics, linearly on the standard normal quantile scale.
    """
    t = np.sort(t[np.isfinite(t)])
    R = t.size
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    rk = (R + 1) * alpha
    if not np.all((rk > 1) & (rk < R)):
        warnings.warn(
            "extreme order statistics used as endpoints (too few replicates for this level).",
            RuntimeWarning,
            stacklevel=3,
        )
    k = np.trunc(rk).astype(int)
    out = np.empty(alpha.size)
    for n in range(alpha.size):
        if k[n] == rk[n] and 0 < k[n] <= R:
            out[n] = t[k[n] - 1]
        elif k[n] <= 0:
            out[n] = t[0]
        elif k[n] >= R:
            out[n] = t[R - 1]
        else:
            z = stats.norm.ppf([alpha[n], k[n] / (R + 1), (k[n] + 1) / (R + 1)])
            tk, tk1 = t[k[n] - 1], t[k[n]]
            out[n] = tk + (z[0] - z[1]) / (z[2] - z[1]) * (tk1 - tk)
    return out


def bias_corrected(t: np.ndarray, t0: float, ci: float, a: float) -> tuple[float, float, float]:
    """BC (a = 0; lavaan's bca.simple) or BCa endpoints (Efron 1987) and z0."""
    t = t[np.isfinite(t)]
    prop = np.mean(t < t0)  # strict '<', as boot::bca.ci and lavaan
    if prop <= 0 or prop >= 1:
        return math.nan, math.nan, math.nan
    z0 = stats.norm.ppf(prop)
    zalpha = stats.norm.ppf((1 + np.array([-ci, ci])) / 2)
    adj = stats.norm.cdf(z0 + (z0 + zalpha) / (1 - a * (z0 + zalpha)))
    lo, hi = norm_inter(t, adj)
    return lo, hi, z0


def acceleration_factor(L: np.ndarray) -> float:
    """Efron's (1987) a = sum(L^3) / (6 sum(L^2)^1.5) from empirical influence values L."""
    L = L[np.isfinite(L)]
    L = L - L.mean()
    s2 = np.sum(L**2)
    return float(np.sum(L**3) / (6 * s2**1.5)) if s2 > 0 else 0.0


def record(effect, method, est, se, lo, hi, n) -> dict:
    """One row of :func:`hpmob.sem.indirect.indirect_effects`' table."""
    return {"effect": effect, "method": method, "est": est, "se": se, "ci.lower": float(lo),
            "ci.upper": float(hi), "n_draws": n}  # fmt: skip


def bootstrap_records(names, replicates, est_hat: dict, L: np.ndarray, ci: float) -> tuple[list, dict, dict]:
    """Percentile, BC and BCa rows of each defined parameter, with its z0 and acceleration.

    ``replicates``: :func:`hpmob.sem.indirect.bootstrap`'s table (failed replicates, NaN,
    are left out); ``L``: empirical influence values (rows: respondents, columns: ``names``;
    non-finite values are left out of the acceleration). Returns the records and
    ``z0`` and ``acceleration`` by name.
    """
    records, z0s, accelerations = [], {}, {}
    alpha = (1 + np.array([-ci, ci])) / 2  # as lavaan writes it, (1 + c(-level, level)) / 2
    for j, n in enumerate(names):
        t = replicates[n].to_numpy(dtype=float)
        t_ok = t[np.isfinite(t)]
        se = float(np.std(t_ok, ddof=1))
        lo, hi = norm_inter(t_ok, alpha)
        records.append(record(n, "bootstrap_percentile", est_hat[n], se, lo, hi, t_ok.size))
        lo, hi, z0 = bias_corrected(t_ok, est_hat[n], ci, 0.0)
        records.append(record(n, "bootstrap_bc", est_hat[n], se, lo, hi, t_ok.size))
        a = acceleration_factor(L[:, j])
        lo, hi, _ = bias_corrected(t_ok, est_hat[n], ci, a)
        records.append(record(n, "bootstrap_bca", est_hat[n], se, lo, hi, t_ok.size))
        z0s[n], accelerations[n] = float(z0), float(a)
    return records, z0s, accelerations
