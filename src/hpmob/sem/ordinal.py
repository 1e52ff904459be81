"""Ordinal sensitivity analysis: polychoric correlations and a DWLS factor model.

Five-point answers are ordinal. The main measurement model treats them as continuous
(ML, as most survey reports do); this module refits the CFA on polychoric correlations
with diagonally weighted least squares, the point-estimation part of lavaan's
``estimator = "WLSMV"``, as a robustness check.

Why hand-written: semopy's ``polycorr`` calls ``scipy.stats.mvn.mvnun``, which SciPy
removed, and its ``hetcor`` fails on pandas 3; semopy's DWLS weights come from the
fourth moments of the raw data, not from the sampling variances of polychoric
correlations. Limits, stated in the book: thresholds and correlations are estimated
in two steps (Olsson 1979) and each correlation's weight is the inverse of its own
asymptotic variance, so standardized loadings agree with lavaan's WLSMV closely (tested)
but no scaled-and-shifted test statistic or robust standard errors are produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = ["bivariate_normal_cdf", "polychoric", "polychoric_matrix", "fit_dwls_cfa", "OrdinalCFA"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)


def bivariate_normal_cdf(h, k, rho: float) -> np.ndarray:
    """Φ₂(h, k; ρ), vectorized over ``h`` and ``k``.

    Uses the arcsine form of Plackett's identity,
    ``Φ₂ = Φ(h)Φ(k) + (1/2π) ∫₀^{asin ρ} exp(−(h² + k² − 2hk sin θ) / (2 cos² θ)) dθ``,
    with 20-point Gauss–Legendre quadrature (Genz 2004 uses the same for |ρ| < 0.925);
    above that SciPy's integrator is used. Infinite limits are handled exactly.
    """
    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    h, k = np.broadcast_arrays(h, k)
    out = special.ndtr(h) * special.ndtr(k)
    finite = np.isfinite(h) & np.isfinite(k)
    # Φ2(-inf, .) = 0 and Φ2(+inf, k) = Φ(k): already right in the product above.
    if not finite.any() or rho == 0:
        return out
    if abs(rho) < 0.925:
        hf, kf = h[finite], k[finite]
        upper = np.arcsin(rho)
        theta = (_GL_X + 1) * upper / 2
        s, c2 = np.sin(theta), np.cos(theta) ** 2
        expo = -(hf[:, None] ** 2 + kf[:, None] ** 2 - 2 * hf[:, None] * kf[:, None] * s) / (2 * c2)
        integral = (np.exp(expo) * _GL_W).sum(axis=1) * upper / 2
        out = out.copy()
        out[finite] = out[finite] + integral / (2 * np.pi)
        return out
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    out = out.copy()
    out[finite] = [mvn.cdf([a, b]) for a, b in zip(h[finite], k[finite])]
    return out


def _thresholds(x: np.ndarray, categories: np.ndarray) -> np.ndarray:
    # cumulative proportions -> normal quantiles; categories unused by anyone vanish
    counts = np.array([(x == c).sum() for c in categories], dtype=float)
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return np.concatenate([[-np.inf], stats.norm.ppf(cum), [np.inf]])


def _cell_probabilities(tx: np.ndarray, ty: np.ndarray, rho: float) -> np.ndarray:
    grid = bivariate_normal_cdf(tx[:, None], ty[None, :], rho)
    return np.diff(np.diff(grid, axis=0), axis=1)


def polychoric(x, y) -> tuple[float, float]:
    """Polychoric correlation of two ordinal variables, two-step ML (Olsson 1979).

    Parameters
    ----------
    x, y : array-like
        Ordinal codes (e.g. 1–5); rows where either is missing are dropped.

    Returns
    -------
    (rho, se) : tuple of float
        Estimate and its asymptotic standard error from the observed information of
        the bivariate likelihood, thresholds held fixed.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, .5], [.5, 1]], 5000)
    >>> rho, se = polychoric(np.digitize(z[:, 0], [-1, 0, 1]), np.digitize(z[:, 1], [-.5, .5]))
    >>> round(rho, 1)
    0.5
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    cx, cy = np.unique(x), np.unique(y)
    if len(cx) < 2 or len(cy) < 2:
        raise ValueError("polychoric correlation needs at least two observed categories in each variable")
    table = np.array([[np.sum((x == a) & (y == b)) for b in cy] for a in cx], dtype=float)
    tx, ty = _thresholds(x, cx), _thresholds(y, cy)

    def negloglik(rho):
        p = np.clip(_cell_probabilities(tx, ty, rho), 1e-300, None)
        return -(table * np.log(p)).sum()

    res = optimize.minimize_scalar(negloglik, bounds=(-0.995, 0.995), method="bounded",
                                   options={"xatol": 1e-10})
    rho = float(res.x)
    h = 1e-4
    curvature = (negloglik(rho + h) - 2 * negloglik(rho) + negloglik(rho - h)) / h**2
    se = float(1 / np.sqrt(curvature)) if curvature > 0 else float("nan")
    return rho, se


def polychoric_matrix(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Polychoric correlations and their standard errors for every pair of columns.

    Rows with any missing value are dropped first (listwise, as lavaan's default).

    Returns
    -------
    (R, SE) : tuple of DataFrame
        Correlation matrix (unit diagonal) and the matching standard errors.
    """
    data = data.dropna()
    cols = list(data.columns)
    p = len(cols)
    R, SE = np.eye(p), np.zeros((p, p))
    values = data.to_numpy(dtype=float)
    for i, j in combinations(range(p), 2):
        R[i, j], SE[i, j] = polychoric(values[:, i], values[:, j])
        R[j, i], SE[j, i] = R[i, j], SE[i, j]
    return pd.DataFrame(R, index=cols, columns=cols), pd.DataFrame(SE, index=cols, columns=cols)


@dataclass(frozen=True)
class OrdinalCFA:
    """Result of :func:`fit_dwls_cfa`."""

    loadings: pd.DataFrame          # construct, item, std_all
    factor_correlations: pd.DataFrame
    srmr: float
    n: int
    polychoric: pd.DataFrame


def fit_dwls_cfa(data: pd.DataFrame, constructs: dict[str, list[str]]) -> OrdinalCFA:
    """Fit a simple-structure CFA to polychoric correlations by DWLS.

    The model is standardized (delta parameterization): ``Σ = ΛΦΛᵀ + Θ`` with unit
    factor variances and ``Θ = I − diag(ΛΦΛᵀ)``; the fit function is
    ``Σ_{i<j} (r_ij − σ_ij)² / se_ij²``, the diagonal weights being the inverse
    sampling variances of the polychoric correlations.

    Parameters
    ----------
    data : DataFrame
        Ordinal item answers (reverse-keyed), one column per item.
    constructs : dict
        ``{construct: [items]}``; each item loads on one construct.

    Returns
    -------
    OrdinalCFA
        Standardized loadings, factor correlations, SRMR of the correlation residuals
        (lavaan's definition: mean over the p(p+1)/2 unique elements) and n.
    """
    items = [i for its in constructs.values() for i in its]
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise ValueError(f"items {', '.join(missing)} are not columns of the data")
    frame = data[items].dropna()
    Rdf, SEdf = polychoric_matrix(frame)
    R, SE = Rdf.to_numpy(), SEdf.to_numpy()
    p = len(items)
    with np.errstate(divide="ignore"):
        W = np.where(SE > 0, 1 / SE**2, 0.0)
    factors = list(constructs)
    member = np.array([factors.index(next(c for c, its in constructs.items() if item in its)) for item in items])
    m = len(factors)
    iu = np.triu_indices(p, 1)
    fu = np.tril_indices(m, -1)
    sqrt_w = np.sqrt(W[iu])

    def implied(theta):
        lam = theta[:p]
        phi = np.eye(m)
        phi[fu] = theta[p:]
        phi = phi + np.tril(phi, -1).T
        L = np.zeros((p, m))
        L[np.arange(p), member] = lam
        sigma = L @ phi @ L.T
        np.fill_diagonal(sigma, 1.0)
        return sigma, phi

    def residuals(theta):
        sigma, _ = implied(theta)
        return sqrt_w * (R[iu] - sigma[iu])

    start = np.concatenate([np.full(p, 0.7), np.full(len(fu[0]), 0.3)])
    bounds = (np.concatenate([np.full(p, -0.999), np.full(len(fu[0]), -0.999)]),
              np.concatenate([np.full(p, 0.999), np.full(len(fu[0]), 0.999)]))
    sol = optimize.least_squares(residuals, start, bounds=bounds, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    sigma, phi = implied(sol.x)
    resid = R - sigma
    srmr = float(np.sqrt((resid[np.triu_indices(p)] ** 2).sum() / (p * (p + 1) / 2)))
    loadings = pd.DataFrame({"construct": [factors[k] for k in member], "item": items, "std_all": sol.x[:p]})
    return OrdinalCFA(loadings, pd.DataFrame(phi, index=factors, columns=factors), srmr, len(frame),
                      pd.DataFrame(R, index=items, columns=items))
