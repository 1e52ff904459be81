"""Sample statistics of ordinal variables as lavaan computes them for WLSMV.

Thresholds (probit of the cumulative proportions), two-step polychoric correlations
(Olsson 1979: thresholds fixed at their univariate values, correlation by maximum
likelihood on the bivariate table) and their joint asymptotic covariance ``NACOV``
(Muthén 1984), following ``lav_samplestats_step1``, ``lav_samplestats_step2`` and
``muthen1984`` of lavaan 0.6-14: the Jacobian blocks ``A11``, ``A21``, ``A22`` are the
cross products of casewise scores and ``NACOV = N B⁻¹ (Σ sᵢsᵢᵀ) B⁻ᵀ``. Validated
against ``lavInspect(fit, "gamma")`` in ``tests/test_sem_ordinal.py``.

Why hand-written: semopy's ``polycorr`` calls ``scipy.stats.mvn.mvnun``, which SciPy
removed, and no installed package gives lavaan's NACOV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["OrdinalStats", "bivariate_normal_cdf", "ordinal_stats", "polychoric"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2 * np.pi


def bivariate_normal_cdf(h, k, rho: float) -> np.ndarray:
    """Φ₂(h, k; ρ), vectorized over ``h`` and ``k``.

    Genz's (2004) algorithm, the one in ``pbivnorm`` that lavaan calls, with a
    20-point Gauss–Legendre rule in both of its branches (|ρ| below and above 0.925).
    Infinite limits are exact.

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + asin(.5)/(2 pi)
    0.333333
    """
    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    h, k = np.broadcast_arrays(h, k)
    shape = h.shape
    h, k = h.ravel(), k.ravel()
    out = special.ndtr(h) * special.ndtr(k)  # exact when either limit is infinite or rho = 0
    finite = np.isfinite(h) & np.isfinite(k)
    if finite.any() and rho != 0:
        out[finite] = _bvn_upper(-h[finite], -k[finite], float(rho))
    return out.reshape(shape)


def _bvn_upper(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (Genz's BVNU)."""
    hk = h * k
    if abs(r) < 0.925:
        hs = (h * h + k * k) / 2
        asr = np.arcsin(r)
        sn = np.sin(asr * (_GL_X + 1) / 2)
        terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn * sn)) @ _GL_W
        return terms * asr / (2 * _TWO_PI) + special.ndtr(-h) * special.ndtr(-k)
    if r < 0:
        k, hk = -k, -hk
    bvn = np.zeros_like(h)
    if abs(r) < 1:
        as_ = (1 - r) * (1 + r)
        a = np.sqrt(as_)
        bs = (h - k) ** 2
        c = (4 - hk) / 8
        d = (12 - hk) / 16
        bvn = a * np.exp(-(bs / as_ + hk) / 2) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
        b = np.sqrt(bs)
        tail = np.exp(-hk / 2) * np.sqrt(_TWO_PI) * special.ndtr(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3)
        bvn = bvn - np.where(hk > -160, tail, 0.0)
        a = a / 2
        xs = (a * (_GL_X + 1)) ** 2
        rs = np.sqrt(1 - xs)
        with np.errstate(over="ignore", invalid="ignore"):
            e1 = np.exp(-bs[:, None] / (2 * xs) - hk[:, None] / (1 + rs)) / rs
            e2 = np.exp(-(bs[:, None] / xs + hk[:, None]) / 2) * (1 + c[:, None] * xs * (1 + d[:, None] * xs))
        bvn = bvn + a * ((e1 - e2) @ _GL_W)
        bvn = -bvn / _TWO_PI
    if r > 0:
        return bvn + special.ndtr(-np.maximum(h, k))
    lower = np.where(h < 0, special.ndtr(k) - special.ndtr(h), special.ndtr(-h) - special.ndtr(-k))
    return np.where(h >= k, -bvn, lower - bvn)


def _phi2_grid(tx: np.ndarray, ty: np.ndarray, rho: float) -> np.ndarray:
    """phi2 at every pair of (extended) thresholds; 0 where either is infinite."""
    X, Y = np.meshgrid(tx, ty, indexing="ij")
    out = np.zeros_like(X)
    fin = np.isfinite(X) & np.isfinite(Y)
    s = 1 - rho * rho
    x, y = X[fin], Y[fin]
    out[fin] = np.exp(-(x * x - 2 * rho * x * y + y * y) / (2 * s)) / (_TWO_PI * np.sqrt(s))
    return out


def _cell_probabilities(tx: np.ndarray, ty: np.ndarray, rho: float) -> np.ndarray:
    grid = bivariate_normal_cdf(tx[:, None], ty[None, :], rho)
    return np.diff(np.diff(grid, axis=0), axis=1)


def _ext(th: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], th, [np.inf]])


def _codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based category codes of the observed values (unused categories vanish, as in lavaan)."""
    levels, codes = np.unique(x, return_inverse=True)
    return levels, codes


def _univariate_thresholds(codes: np.ndarray, ncat: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=ncat).astype(float)
    return special.ndtri(np.cumsum(counts)[:-1] / counts.sum())


def _fit_rho(table: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> tuple[float, bool]:
    """ML polychoric correlation for a table with fixed (extended) thresholds.

    Fisher scoring from rho = 0 with step halving (a few iterations; lavaan's nlminb
    reaches the same optimum); a bounded line search if scoring fails.
    """

    def loglik(rho):
        p = np.clip(_cell_probabilities(tx, ty, rho), 1e-300, None)
        return (table * np.log(p)).sum()

    n = table.sum()
    rho, f = 0.0, loglik(0.0)
    for _ in range(100):
        p = np.clip(_cell_probabilities(tx, ty, rho), 1e-300, None)
        dp = np.diff(np.diff(_phi2_grid(tx, ty, rho), axis=0), axis=1)
        g = (table * dp / p).sum()
        info = n * (dp * dp / p).sum()
        if not (np.isfinite(g) and info > 0):
            break
        step = g / info
        t = 1.0
        while t > 1e-8:
            new = rho + t * step
            if abs(new) < 0.999:
                f_new = loglik(new)
                if f_new >= f - 1e-12 * abs(f):
                    break
            t /= 2
        else:
            break
        rho, f = new, f_new
        if abs(t * step) < 1e-11:
            return float(rho), abs(rho) < 0.995
    res = optimize.minimize_scalar(lambda r: -loglik(r), bounds=(-0.999, 0.999), method="bounded",
                                   options={"xatol": 1e-12, "maxiter": 500})
    rho = float(res.x)
    return rho, bool(res.success) and abs(rho) < 0.995


def polychoric(x, y) -> tuple[float, float]:
    """Polychoric correlation of two ordinal variables, two-step ML (Olsson 1979).

    Parameters
    ----------
    x, y : array-like
        Ordinal codes (e.g. 1–5); rows where either is missing are dropped.

    Returns
    -------
    (rho, se) : tuple of float
        Estimate and its standard error from the expected information of the
        bivariate likelihood, thresholds held fixed.

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
    (lx, cx), (ly, cy) = _codes(x[keep]), _codes(y[keep])
    if len(lx) < 2 or len(ly) < 2:
        raise ValueError("polychoric correlation needs at least two observed categories in each variable")
    table = np.zeros((len(lx), len(ly)))
    np.add.at(table, (cx, cy), 1)
    tx, ty = _ext(_univariate_thresholds(cx, len(lx))), _ext(_univariate_thresholds(cy, len(ly)))
    rho, _ = _fit_rho(table, tx, ty)
    p = _cell_probabilities(tx, ty, rho)
    dp = np.diff(np.diff(_phi2_grid(tx, ty, rho), axis=0), axis=1)
    info = table.sum() * (dp * dp / p).sum()
    return float(rho), float(1 / np.sqrt(info))


@dataclass(frozen=True)
class OrdinalStats:
    """Sample statistics of a set of ordinal variables (one group).

    Attributes
    ----------
    items : list of str
        Variable names, in the model's order.
    levels : list of ndarray
        The observed categories of each item (sorted).
    thresholds : list of ndarray
        Sample thresholds of each item (``ncat - 1`` values).
    cor : ndarray
        Polychoric correlation matrix.
    wls_obs : ndarray
        lavaan's ``wls.obs``: all thresholds (item by item), then the correlations
        in ``vech`` order below the diagonal (column by column).
    nacov : ndarray
        ``N`` times the asymptotic covariance of ``wls_obs`` (lavaan's ``gamma``).
    n : int
        Number of rows.
    empty_cells : list of tuple
        Item pairs whose bivariate table has an empty cell (lavaan's ``zero.cell.tables``).
    """

    items: list[str]
    levels: list[np.ndarray]
    thresholds: list[np.ndarray]
    cor: np.ndarray
    wls_obs: np.ndarray
    nacov: np.ndarray
    n: int
    empty_cells: list[tuple[str, str]]

    @property
    def threshold_names(self) -> list[str]:
        return [f"{v}|t{k + 1}" for v, th in zip(self.items, self.thresholds) for k in range(len(th))]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(i, j) with i > j, column by column: the order of the correlations in ``wls_obs``."""
        p = len(self.items)
        return [(i, j) for j in range(p) for i in range(j + 1, p)]


def ordinal_stats(data: pd.DataFrame, items: list[str], what: str = "the data") -> OrdinalStats:
    """Thresholds, polychoric correlations and their NACOV, as lavaan's ``muthen1984``.

    Parameters
    ----------
    data : DataFrame
        Complete rows (no missing values) of ordinal item codes.
    items : list of str
        Columns to use, in order.
    what : str
        How error messages name the data (e.g. ``"group 'Pasteur'"``).

    Returns
    -------
    OrdinalStats

    Raises
    ------
    ValueError
        If an item has only one observed category, or a pair of items has a table from
        which no polychoric correlation can be estimated (it would be ±1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], 500)
    >>> df = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b", "c"])
    >>> st = ordinal_stats(df, ["a", "b", "c"])
    >>> st.nacov.shape  # 3 x 3 thresholds + 3 correlations
    (12, 12)
    """
    X = data[items].to_numpy(dtype=float)
    N, p = X.shape
    levels, codes, ths = [], [], []
    for j, v in enumerate(items):
        lv, cj = _codes(X[:, j])
        if len(lv) < 2:
            raise ValueError(
                f"Item {v!r} has only one observed category ({lv[0]:g}) in {what}: it carries no "
                "information for a polychoric correlation. Remove it from the model (or, in a "
                "multigroup model, from the groups where nobody varies)."
            )
        levels.append(lv)
        codes.append(cj)
        ths.append(_univariate_thresholds(cj, len(lv)))
    ext = [_ext(t) for t in ths]

    # casewise scores of the univariate probit likelihoods, d log P(y_i) / d tau
    nth = [len(t) for t in ths]
    start = np.concatenate([[0], np.cumsum(nth)])
    sc_th = np.zeros((N, start[-1]))
    for j in range(p):
        t, c = ext[j], codes[j]
        dens = np.where(np.isfinite(t), np.exp(-0.5 * np.where(np.isfinite(t), t, 0) ** 2) / np.sqrt(_TWO_PI), 0.0)
        prob = special.ndtr(t[c + 1]) - special.ndtr(t[c])
        rows = np.arange(N)
        up, lo = c, c - 1  # threshold indices (0-based) above and below the category
        m = up < nth[j]
        sc_th[rows[m], start[j] + up[m]] += dens[c[m] + 1] / prob[m]
        m = lo >= 0
        sc_th[rows[m], start[j] + lo[m]] -= dens[c[m]] / prob[m]

    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
    R = np.eye(p)
    sc_cor = np.zeros((N, len(pairs)))
    A21 = np.zeros((len(pairs), start[-1]))
    empty = []
    for k, (i, j) in enumerate(pairs):
        ci, cj = codes[i], codes[j]
        table = np.zeros((len(levels[i]), len(levels[j])))
        np.add.at(table, (ci, cj), 1)
        if (table == 0).any():
            empty.append((items[j], items[i]))
        rho, ok = _fit_rho(table, ext[i], ext[j])
        if not ok:
            raise ValueError(
                f"The polychoric correlation of {items[j]!r} and {items[i]!r} in {what} cannot be "
                f"estimated (it goes to {np.sign(rho):+.0f}): their cross-table has too many empty "
                "cells. Merge sparse neighbouring categories of these items, or drop one of them."
            )
        R[i, j] = R[j, i] = rho
        ti, tj = ext[i], ext[j]
        P = _cell_probabilities(ti, tj, rho)
        dP = np.diff(np.diff(_phi2_grid(ti, tj, rho), axis=0), axis=1)
        pc = P[ci, cj]
        sc_cor[:, k] = dP[ci, cj] / pc
        # d P_ab / d tau^(i)_a = phi(tau_a) [Phi((s_b - rho tau_a)/r) - Phi((s_b-1 - rho tau_a)/r)]
        r_ = np.sqrt(1 - rho * rho)
        for tt, other, cc, oc, off in [(ti, tj, ci, cj, start[i]), (tj, ti, cj, ci, start[j])]:
            fin_t = np.where(np.isfinite(tt), tt, 0.0)
            dens = np.where(np.isfinite(tt), np.exp(-0.5 * fin_t ** 2) / np.sqrt(_TWO_PI), 0.0)
            # G[a, b] = Phi((other_b - rho tt_a) / r) for finite tt_a
            G = special.ndtr((other[None, :] - rho * fin_t[:, None]) / r_)
            D = dens[:, None] * np.diff(G, axis=1)  # (len(tt), ncat_other): d P(a', b) / d tt_a
            n_t = len(tt) - 2
            sc = np.zeros((N, n_t))
            m = cc < n_t  # upper threshold of the observed category is finite
            sc[np.flatnonzero(m), cc[m]] += D[cc[m] + 1, oc[m]] / pc[m]
            m = cc >= 1
            sc[np.flatnonzero(m), cc[m] - 1] -= D[cc[m], oc[m]] / pc[m]
            A21[k, off:off + n_t] = sc_cor[:, k] @ sc

    SC = np.hstack([sc_th, sc_cor])
    inner = SC.T @ SC
    A11 = np.zeros((start[-1], start[-1]))
    for j in range(p):
        s = slice(start[j], start[j + 1])
        A11[s, s] = inner[s, s]
    A11_inv = np.linalg.inv(A11)
    A22_inv = 1 / np.einsum("ij,ij->j", sc_cor, sc_cor)
    B_inv = np.zeros_like(inner)
    t = start[-1]
    B_inv[:t, :t] = A11_inv
    B_inv[t:, :t] = -(A22_inv[:, None] * A21) @ A11_inv
    B_inv[t:, t:] = np.diag(A22_inv)
    nacov = N * (B_inv @ inner @ B_inv.T)
    wls_obs = np.concatenate(ths + [np.array([R[i, j] for i, j in pairs])])
    return OrdinalStats(items=list(items), levels=levels, thresholds=ths, cor=R, wls_obs=wls_obs,
                        nacov=nacov, n=N, empty_cells=empty)
