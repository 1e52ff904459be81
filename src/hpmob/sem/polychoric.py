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
    """Compute Φ₂(h, k; ρ), vectorized over ``h`` and ``k``.

    Genz's (2004) algorithm, the one in ``pbivnorm`` that lavaan calls, with a
    20-point Gauss–Legendre rule in both of its branches (|ρ| below and above 0.925).
    Infinite limits are exact.

    Parameters
    ----------
    h, k : array_like
        Upper limits of the two standard normal variables (broadcast together; ±inf allowed).
    rho : float
        Their correlation.

    Returns
    -------
    numpy.ndarray
        ``P(X ≤ h, Y ≤ k)``, of the broadcast shape.

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


def _bvn_upper(h: np.ndarray, k: np.ndarray, r) -> np.ndarray:
    """P(X > h, Y > k) for standard bivariate normals with correlation(s) r (Genz's BVNU).

    ``r`` is a scalar or an array like ``h``; |r| < 1.
    """
    r = np.broadcast_to(np.asarray(r, dtype=float), h.shape)
    out = np.empty_like(h)
    low = np.abs(r) < 0.925
    if low.any():
        hl, kl, rl = h[low], k[low], r[low]
        hk = hl * kl
        hs = (hl * hl + kl * kl) / 2
        asr = np.arcsin(rl)
        sn = np.sin(asr[:, None] * (_GL_X + 1) / 2)
        terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn * sn)) @ _GL_W
        out[low] = terms * asr / (2 * _TWO_PI) + special.ndtr(-hl) * special.ndtr(-kl)
    high = ~low
    if high.any():
        hh, kh, rh = h[high], k[high], r[high]
        kk = np.where(rh < 0, -kh, kh)
        hk = hh * kk
        as_ = (1 - rh) * (1 + rh)
        a = np.sqrt(as_)
        bs = (hh - kk) ** 2
        c = (4 - hk) / 8
        d = (12 - hk) / 16
        bvn = a * np.exp(-(bs / as_ + hk) / 2) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
        b = np.sqrt(bs)
        tail = np.exp(-hk / 2) * np.sqrt(_TWO_PI) * special.ndtr(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3)
        bvn = bvn - np.where(hk > -160, tail, 0.0)
        a2 = a / 2
        xs = (a2[:, None] * (_GL_X + 1)) ** 2
        rs = np.sqrt(1 - xs)
        with np.errstate(over="ignore", invalid="ignore"):
            e1 = np.exp(-bs[:, None] / (2 * xs) - hk[:, None] / (1 + rs)) / rs
            e2 = np.exp(-(bs[:, None] / xs + hk[:, None]) / 2) * (1 + c[:, None] * xs * (1 + d[:, None] * xs))
        bvn = -(bvn + a2 * ((e1 - e2) @ _GL_W)) / _TWO_PI
        pos = bvn + special.ndtr(-np.maximum(hh, kk))
        lower = np.where(hh < 0, special.ndtr(kk) - special.ndtr(hh), special.ndtr(-hh) - special.ndtr(-kk))
        neg = np.where(hh >= kk, -bvn, lower - bvn)
        out[high] = np.where(rh > 0, pos, neg)
    return out


def _ext(th: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], th, [np.inf]])


def _codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based category codes of the observed values (unused categories vanish, as in lavaan)."""
    levels, codes = np.unique(x, return_inverse=True)
    return levels, codes


def _univariate_thresholds(codes: np.ndarray, ncat: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=ncat).astype(float)
    return special.ndtri(np.cumsum(counts)[:-1] / counts.sum())


def _cells(tx: np.ndarray, ty: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell probabilities and their derivatives in rho, for extended thresholds (±inf ends).

    Only the finite interior of the CDF grid needs the bivariate algorithm; its margins
    are univariate.
    """
    fx, fy = tx[1:-1], ty[1:-1]
    F = np.zeros((len(tx), len(ty)))
    F[-1, 1:-1] = special.ndtr(fy)
    F[1:-1, -1] = special.ndtr(fx)
    F[-1, -1] = 1.0
    X, Y = np.meshgrid(fx, fy, indexing="ij")
    F[1:-1, 1:-1] = _bvn_upper(-X.ravel(), -Y.ravel(), rho).reshape(X.shape)
    s = 1 - rho * rho
    D = np.zeros_like(F)
    D[1:-1, 1:-1] = np.exp(-(X * X - 2 * rho * X * Y + Y * Y) / (2 * s)) / (_TWO_PI * np.sqrt(s))
    P = np.diff(np.diff(F, axis=0), axis=1)
    dP = np.diff(np.diff(D, axis=0), axis=1)
    return P, dP


def _cells_all(T1: np.ndarray, T2: np.ndarray, rho: np.ndarray):
    """Cell probabilities and d/d rho for many tables at once.

    ``T1`` (npairs, K + 1) and ``T2`` are extended thresholds padded with +inf (an
    unused padding category has probability 0).
    """
    npairs, K1 = T1.shape
    K2 = T2.shape[1]
    H = np.broadcast_to(T1[:, :, None], (npairs, K1, K2))
    Kk = np.broadcast_to(T2[:, None, :], (npairs, K1, K2))
    R = np.broadcast_to(rho[:, None, None], (npairs, K1, K2))
    fin = np.isfinite(H) & np.isfinite(Kk)
    F = np.where(np.isneginf(H) | np.isneginf(Kk), 0.0,
                 np.where(np.isposinf(H), special.ndtr(Kk), np.where(np.isposinf(Kk), special.ndtr(H), 0.0)))
    F[fin] = _bvn_upper(-H[fin], -Kk[fin], R[fin])
    D = np.zeros_like(F)
    x, y, r = H[fin], Kk[fin], R[fin]
    s = 1 - r * r
    D[fin] = np.exp(-(x * x - 2 * r * x * y + y * y) / (2 * s)) / (_TWO_PI * np.sqrt(s))
    P = np.diff(np.diff(F, axis=1), axis=2)
    dP = np.diff(np.diff(D, axis=1), axis=2)
    return P, dP


def _fit_rho_all(tables: np.ndarray, T1: np.ndarray, T2: np.ndarray):
    """Fisher scoring for every pair at once.

    Returns rho, a converged flag, and the cell probabilities and their derivatives at rho.
    """
    n = tables.sum(axis=(1, 2))
    rho = np.zeros(len(tables))
    done = np.zeros(len(tables), dtype=bool)
    for _ in range(60):
        P, dP = _cells_all(T1, T2, rho)
        pos = P > 0
        Pc = np.where(pos, P, 1.0)
        g = np.where(pos, tables * dP / Pc, 0.0).sum(axis=(1, 2))
        info = n * np.where(pos, dP * dP / Pc, 0.0).sum(axis=(1, 2))
        step = np.where(info > 0, g / np.where(info > 0, info, 1.0), 0.0)
        step = np.where(done, 0.0, step)
        rho = np.clip(rho + step, -0.999, 0.999)
        done |= np.abs(step) < 1e-10
        if done.all():
            break
    P, dP = _cells_all(T1, T2, rho)
    return rho, done & (np.abs(rho) < 0.995), P, dP


def _fit_rho(table: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> tuple[float, bool]:
    """ML polychoric correlation for a table with fixed (extended) thresholds.

    Fisher scoring from rho = 0 with step halving (lavaan's nlminb reaches the same
    optimum); a bounded line search if scoring fails.
    """
    n = table.sum()

    def evaluate(rho):
        P, dP = _cells(tx, ty, rho)
        P = np.clip(P, 1e-300, None)
        return (table * np.log(P)).sum(), (table * dP / P).sum(), n * (dP * dP / P).sum()

    rho = 0.0
    f, g, info = evaluate(rho)
    for _ in range(100):
        if not (np.isfinite(g) and info > 0):
            break
        step = g / info
        t = 1.0
        while t > 1e-8:
            new = rho + t * step
            if abs(new) < 0.999:
                f_new, g_new, info_new = evaluate(new)
                if f_new >= f - 1e-12 * abs(f):
                    break
            t /= 2
        else:
            break
        rho, f, g, info = new, f_new, g_new, info_new
        if abs(t * step) < 1e-10:
            return float(rho), abs(rho) < 0.995

    def negloglik(r):
        return -evaluate(r)[0]

    res = optimize.minimize_scalar(negloglik, bounds=(-0.999, 0.999), method="bounded",
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
    p, dp = _cells(tx, ty, rho)
    info = table.sum() * (dp * dp / p).sum()
    return float(rho), float(1 / np.sqrt(info))


@dataclass(frozen=True)
class OrdinalStats:
    """Sample statistics of a set of ordinal variables (one group).

    Parameters
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
    numeric : list of bool, optional
        Which items are continuous (their correlations with the others are polyserial).
    variances : numpy.ndarray, optional
        The continuous variables' variances (N divisor), after the thresholds in ``wls_obs``.
    item_variances : numpy.ndarray, optional
        Every column's sample variance (n - 1 divisor), for effect sizes.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> from hpmob.sem.polychoric import ordinal_stats
    >>> hs = holzinger39.get_data()
    >>> d = hs[["x1", "x2", "x3"]].apply(lambda x: pd.qcut(x, 3, labels=False))
    >>> st = ordinal_stats(d, ["x1", "x2", "x3"])
    >>> st.n, st.threshold_names[:2], st.cor.round(3)
    (301, ['x1|t1', 'x1|t2'], array([[1.   , 0.277, 0.419],
           [0.277, 1.   , 0.356],
           [0.419, 0.356, 1.   ]]))
    """

    items: list[str]
    levels: list[np.ndarray]
    thresholds: list[np.ndarray]
    cor: np.ndarray
    wls_obs: np.ndarray
    nacov: np.ndarray
    n: int
    empty_cells: list[tuple[str, str]]
    numeric: list[bool] | None = None  # continuous variables (polyserial correlations)
    variances: np.ndarray | None = None  # their variances (N divisor), after the thresholds in wls_obs
    item_variances: np.ndarray | None = None  # every column's sample variance (n - 1), for effect sizes

    @property
    def threshold_names(self) -> list[str]:
        """Names of the first block of ``wls_obs``: ``x|t1``…, and ``x~1`` for a continuous x.

        Examples
        --------
        >>> import pandas as pd
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem.polychoric import ordinal_stats
        >>> hs = holzinger39.get_data()
        >>> st = ordinal_stats(hs[["x1", "x2", "x3"]].apply(lambda x: pd.qcut(x, 3, labels=False)), ["x1", "x2", "x3"])
        >>> st.threshold_names
        ['x1|t1', 'x1|t2', 'x2|t1', 'x2|t2', 'x3|t1', 'x3|t2']
        """
        num = self.numeric or [False] * len(self.items)
        return [f"{v}~1" if nm else f"{v}|t{k + 1}"
                for v, th, nm in zip(self.items, self.thresholds, num) for k in range(len(th))]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(i, j) with i > j, column by column: the order of the correlations in ``wls_obs``.

        Examples
        --------
        >>> import pandas as pd
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem.polychoric import ordinal_stats
        >>> hs = holzinger39.get_data()
        >>> st = ordinal_stats(hs[["x1", "x2", "x3"]].apply(lambda x: pd.qcut(x, 3, labels=False)), ["x1", "x2", "x3"])
        >>> st.pairs
        [(1, 0), (2, 0), (2, 1)]
        """
        p = len(self.items)
        return [(i, j) for j in range(p) for i in range(j + 1, p)]


def ordinal_stats(data: pd.DataFrame, items: list[str], what: str = "the data", continuous=()) -> OrdinalStats:
    """Compute thresholds, polychoric correlations and their NACOV, as lavaan's ``muthen1984``.

    Parameters
    ----------
    data : DataFrame
        Complete rows (no missing values) of ordinal item codes.
    items : list of str
        Columns to use, in order.
    what : str
        How error messages name the data (e.g. ``"group 'Pasteur'"``).
    continuous : sequence of str
        At most one column of ``items`` that is continuous: its mean and variance enter
        the statistics and its correlations with the items are polyserial (lavaan's
        covariances ``rho * sd``).

    Returns
    -------
    OrdinalStats
        The items' categories, thresholds, correlation matrix, ``wls_obs`` and NACOV.

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
    numeric = [v in set(continuous) for v in items]
    if sum(numeric) > 1:
        raise NotImplementedError(
            "More than one continuous variable with ordinal items (Pearson blocks of the NACOV) is not "
            f"implemented; continuous: {', '.join(v for v, n in zip(items, numeric) if n)}.")
    levels, codes, ths, var = [], [], [], []
    for j, v in enumerate(items):
        if numeric[j]:
            y = X[:, j]
            if not y.var() > 0:
                raise ValueError(f"Variable {v!r} is constant in {what}; remove it from the model.")
            levels.append(None)
            codes.append(None)
            ths.append(np.array([-y.mean()]))  # lavaan's wls.obs holds minus the mean
            var.append(y.var())
            continue
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
    ext = [None if numeric[j] else _ext(t) for j, t in enumerate(ths)]

    # casewise scores of the univariate likelihoods: probit (d log P / d tau) for items,
    # normal (d / d mean, d / d variance) for a continuous variable
    nth = [len(t) for t in ths]
    start = np.concatenate([[0], np.cumsum(nth)])
    t_size = start[-1]
    num_idx = [j for j in range(p) if numeric[j]]
    var_slot = {j: t_size + k for k, j in enumerate(num_idx)}
    a_size = t_size + len(num_idx)
    sc_th = np.zeros((N, a_size))
    rows = np.arange(N)
    for j in range(p):
        if numeric[j]:
            y, mu, s2 = X[:, j], X[:, j].mean(), X[:, j].var()
            sc_th[:, start[j]] = (y - mu) / s2
            sc_th[:, var_slot[j]] = -1 / (2 * s2) + (y - mu) ** 2 / (2 * s2 * s2)
            continue
        t, c = ext[j], codes[j]
        dens = np.where(np.isfinite(t), np.exp(-0.5 * np.where(np.isfinite(t), t, 0) ** 2) / np.sqrt(_TWO_PI), 0.0)
        prob = special.ndtr(t[c + 1]) - special.ndtr(t[c])
        up, lo = c, c - 1  # threshold indices (0-based) above and below the category
        m = up < nth[j]
        sc_th[rows[m], start[j] + up[m]] += dens[c[m] + 1] / prob[m]
        m = lo >= 0
        sc_th[rows[m], start[j] + lo[m]] -= dens[c[m]] / prob[m]

    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
    R = np.eye(p)
    sc_cor = np.zeros((N, len(pairs)))
    A21 = np.zeros((len(pairs), a_size))
    H21 = np.zeros((len(pairs), a_size))
    H22 = np.ones(len(pairs))
    ordinal_pairs = [k for k, (i, j) in enumerate(pairs) if not (numeric[i] or numeric[j])]
    K = max([len(lv) for lv in levels if lv is not None] + [2])
    pad = [None if e is None else np.concatenate([e, np.full(K + 1 - len(e), np.inf)]) for e in ext]
    tables = np.zeros((len(ordinal_pairs), K, K))
    for row, k in enumerate(ordinal_pairs):
        i, j = pairs[k]
        np.add.at(tables[row], (codes[i], codes[j]), 1)
    fitted = {}
    if ordinal_pairs:
        rhos, ok, P_all, dP_all = _fit_rho_all(tables, np.array([pad[pairs[k][0]] for k in ordinal_pairs]),
                                               np.array([pad[pairs[k][1]] for k in ordinal_pairs]))
        fitted = {k: (row, rhos[row], ok[row]) for row, k in enumerate(ordinal_pairs)}
    empty = []
    for k, (i, j) in enumerate(pairs):
        if numeric[i] or numeric[j]:
            a, b = (i, j) if numeric[i] else (j, i)
            rho = _polyserial_pair(X[:, a], ext[b], codes[b], k, sc_cor, A21, start[a],
                                   slice(start[b], start[b + 1]), var_slot[a], what, (items[j], items[i]))
            R[i, j] = R[j, i] = rho
            sd = np.sqrt(X[:, a].var())
            H21[k, var_slot[a]] = rho / (2 * sd)
            H22[k] = sd
            continue
        ci, cj = codes[i], codes[j]
        row, rho_k, ok_k = fitted[k]
        table = tables[row, :len(levels[i]), :len(levels[j])]
        if (table == 0).any():
            empty.append((items[j], items[i]))
        rho, ok_k = (rho_k, True) if ok_k else _fit_rho(table, ext[i], ext[j])
        if not ok_k:
            raise ValueError(
                f"The polychoric correlation of {items[j]!r} and {items[i]!r} in {what} cannot be "
                f"estimated (it goes to {np.sign(rho):+.0f}): their cross-table has too many empty "
                "cells. Merge sparse neighbouring categories of these items, or drop one of them."
            )
        R[i, j] = R[j, i] = rho
        ti, tj = ext[i], ext[j]
        if fitted[k][2]:
            P, dP = P_all[row, :len(levels[i]), :len(levels[j])], dP_all[row, :len(levels[i]), :len(levels[j])]
        else:
            P, dP = _cells(ti, tj, rho)
        pc = P[ci, cj]
        sc_cor[:, k] = dP[ci, cj] / pc
        # A21 = sum over rows of (score of rho) x (score of the bivariate likelihood in a
        # threshold); both depend on the row only through its cell, so sum over cells:
        # U_ab = n_ab dP_ab / P_ab^2 and D[m, b] = d P(., b) / d tau_m
        # = phi(tau_m) [Phi((s_b+1 - rho tau_m)/r) - Phi((s_b - rho tau_m)/r)]
        U = np.where(table > 0, table * dP / np.where(table > 0, P, 1.0) ** 2, 0.0)
        r_ = np.sqrt(1 - rho * rho)
        for tt, other, Uc, off in [(ti, tj, U, start[i]), (tj, ti, U.T, start[j])]:
            fin_t = np.where(np.isfinite(tt), tt, 0.0)
            dens = np.where(np.isfinite(tt), np.exp(-0.5 * fin_t ** 2) / np.sqrt(_TWO_PI), 0.0)
            G = special.ndtr((other[None, :] - rho * fin_t[:, None]) / r_)
            D = dens[:, None] * np.diff(G, axis=1)
            n_t = len(tt) - 2
            A21[k, off:off + n_t] = np.sum(D[1:n_t + 1] * (Uc[:-1] - Uc[1:]), axis=1)

    SC = np.hstack([sc_th, sc_cor])
    inner = SC.T @ SC
    A11 = np.zeros((a_size, a_size))
    for j in range(p):
        idx = list(range(start[j], start[j + 1])) + ([var_slot[j]] if numeric[j] else [])
        A11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    A11_inv = np.linalg.inv(A11)
    A22_inv = 1 / np.einsum("ij,ij->j", sc_cor, sc_cor)
    B_inv = np.zeros_like(inner)
    B_inv[:a_size, :a_size] = A11_inv
    B_inv[a_size:, :a_size] = -(A22_inv[:, None] * A21) @ A11_inv
    B_inv[a_size:, a_size:] = np.diag(A22_inv)
    W = B_inv @ inner @ B_inv.T
    if num_idx:
        # correlations with a continuous variable become covariances (rho * sd), and its
        # "threshold" is minus its mean (lavaan's H matrix and sign flip)
        H = np.eye(len(W))
        H[a_size:, :a_size] = H21
        H[a_size:, a_size:] = np.diag(H22)
        W = H @ W @ H.T
        flip = np.ones(len(W))
        flip[[start[j] for j in num_idx]] = -1
        W = W * np.outer(flip, flip)
    nacov = N * W
    offdiag = np.array([R[i, j] * H22[k] for k, (i, j) in enumerate(pairs)])
    wls_obs = np.concatenate(ths + [np.array(var), offdiag])
    return OrdinalStats(items=list(items), levels=levels, thresholds=ths, cor=R, wls_obs=wls_obs,
                        nacov=nacov, n=N, empty_cells=empty, numeric=numeric, variances=np.array(var),
                        item_variances=X.var(axis=0, ddof=1))


def _polyserial_pair(y, tau, codes, k, sc_cor, A21, mean_col, th_cols, var_col, what, names) -> float:
    """Two-step polyserial correlation of continuous y and an ordinal item, and its scores.

    As lavaan's ``lav_bvmix_cor_twostep_fit`` / ``lav_bvmix_cor_scores``: mean, variance
    and thresholds fixed, rho by ML of P(item | y); the scores are those of the bivariate
    log-likelihood. Fills column k of ``sc_cor`` and row k of ``A21``.
    """
    mu, s2 = y.mean(), y.var()
    sd = np.sqrt(s2)
    z = (y - mu) / sd
    up, lo = tau[codes + 1], tau[codes]

    def parts(rho):
        r = np.sqrt(1 - rho * rho)
        u1, u2 = (up - rho * z) / r, (lo - rho * z) / r
        py = np.maximum(special.ndtr(u1) - special.ndtr(u2), np.finfo(float).eps)
        return r, u1, u2, py

    def negloglik(rho):
        return -np.log(parts(rho)[3]).sum()

    res = optimize.minimize_scalar(negloglik, bounds=(-0.999, 0.999), method="bounded",
                                   options={"xatol": 1e-13, "maxiter": 500})
    rho = float(res.x)
    if not res.success or abs(rho) > 0.995:
        raise ValueError(f"The polyserial correlation of {names[0]!r} and {names[1]!r} in {what} cannot be "
                         "estimated (it goes to +-1). Drop one of the two variables.")
    r, u1, u2, py = parts(rho)
    f1 = np.where(np.isfinite(u1), np.exp(-0.5 * np.where(np.isfinite(u1), u1, 0) ** 2) / np.sqrt(_TWO_PI), 0.0)
    f2 = np.where(np.isfinite(u2), np.exp(-0.5 * np.where(np.isfinite(u2), u2, 0) ** 2) / np.sqrt(_TWO_PI), 0.0)
    up_f, lo_f = np.where(np.isfinite(up), up, 0.0), np.where(np.isfinite(lo), lo, 0.0)
    dx_rho = (f1 * (up_f * rho - z) - f2 * (lo_f * rho - z)) / (py * r ** 3)
    dx_mu = (z + (rho / r) * (f1 - f2) / py) / sd
    dx_var = ((z * z - 1) + (rho * z / r) * (f1 - f2) / py) / (2 * s2)
    n_t = len(tau) - 2
    dx_th = np.zeros((len(y), n_t))
    rows = np.arange(len(y))
    m = codes < n_t
    dx_th[rows[m], codes[m]] += f1[m] / (r * py[m])
    m = codes >= 1
    dx_th[rows[m], codes[m] - 1] -= f2[m] / (r * py[m])
    sc_cor[:, k] = dx_rho
    A21[k, mean_col] = dx_rho @ dx_mu
    A21[k, th_cols] = dx_rho @ dx_th
    A21[k, var_col] = dx_rho @ dx_var
    return rho
