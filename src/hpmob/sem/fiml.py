"""Full-information ML for incomplete data: casewise likelihood by missing-data pattern.

lavaan's ``missing = "ml"``: every row with at least one observed value counts;
its log-likelihood is the normal density of the variables it has observed
(Arbuckle 1996; Enders & Bandalos 2001). Rows sharing a pattern of observed
variables are grouped, so the likelihood needs one Cholesky factor per pattern
and the sufficient statistics (mean and N-divisor covariance) of each pattern.

The saturated (h1) model is estimated by EM (Dempster, Laird & Rubin 1977;
lavaan's ``lav_mvnorm_missing_h1_estimate_moments``); its moments stand in for
the sample moments in chi-square, SRMR and the starting values, as in lavaan.
The independence (baseline) model factors into one univariate normal per
variable, so its estimates are the available-case means and variances.
Everything is checked against lavaan 0.6-14 in ``tests/test_sem_fiml.py``.

Longer than 600 lines because its parts are one job, the FIML likelihood over the
:class:`Patterns` structure: the plain and the resample-weighted likelihood with their
gradients, the EM saturated model, the baseline, the casewise scores and the traces all
read the same per-pattern blocks, and the weighted likelihood stays next to the plain one
it must match (``tests/test_sem_fiml_bootstrap.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg

__all__ = ["normalise_missing", "Patterns", "minus2_loglik", "minus2_loglik_weighted", "Resample", "em_h1",
           "baseline_minus2_loglik", "casewise_scores"]

LOG2PI = math.log(2 * math.pi)
#: EM for the saturated model stops when no mean or covariance changes by more than this
#: (relative to the variable's variance); lavaan's default tolerance is looser (1e-5 on
#: the log-likelihood), which moves SRMR in the 5th decimal, so hpmob iterates further.
EM_TOL = 1e-10
EM_MAX_ITER = 20000


def normalise_missing(missing) -> str:
    """Map lavaan's ``missing`` values to the two hpmob knows: ``"listwise"`` or ``"ml"``.

    Parameters
    ----------
    missing : str
        ``"listwise"``, or ``"ml"`` and its aliases ``"fiml"`` and ``"direct"`` (any case).

    Returns
    -------
    str
        ``"listwise"`` or ``"ml"``; anything else is a ``ValueError``.

    Examples
    --------
    >>> from hpmob.sem.fiml import normalise_missing
    >>> normalise_missing("FIML")
    'ml'
    """
    key = str(missing).lower()
    if key == "listwise":
        return "listwise"
    if key in ("ml", "fiml", "direct"):
        return "ml"
    raise ValueError(
        f"missing={missing!r} is not supported; use 'listwise' (drop incomplete rows, lavaan's default) "
        "or 'ml' (full-information ML, alias 'fiml')."
    )


@dataclass(frozen=True)
class _Pattern:
    obs: np.ndarray  # indices of the observed variables
    rows: np.ndarray  # row indices (into Patterns.X) with this pattern
    n: int
    ybar: np.ndarray  # mean of the observed variables
    S: np.ndarray  # N-divisor covariance of the observed variables


class Patterns:
    """Rows of a data matrix grouped by their pattern of observed values.

    Parameters
    ----------
    X : ndarray (n, p)
        Data with ``nan`` for missing cells. Rows with no observed value are dropped
        (lavaan does the same and says so).

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns
    >>> pt = Patterns(np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 5.0], [np.nan, np.nan]]))
    >>> pt.n, pt.n_empty, len(pt.items)
    (3, 1, 2)
    """

    def __init__(self, X: np.ndarray):
        X = np.asarray(X, dtype=float)
        observed = np.isfinite(X)
        keep = observed.any(axis=1)
        self.n_empty = int((~keep).sum())
        #: positions in the input of the rows kept (a row with no observed value is dropped)
        self.kept = np.flatnonzero(keep)
        self.X = X[keep]
        observed = observed[keep]
        self.n, self.p = self.X.shape
        p = self.p
        # one integer code per row pattern (a bit per variable) is much faster to group than rows
        if p <= 62:
            codes = observed.astype(np.int64) @ (np.int64(1) << np.arange(p, dtype=np.int64))
            _, first, inverse, counts = np.unique(codes, return_index=True, return_inverse=True,
                                                  return_counts=True)  # fmt: skip
        else:
            _, first, inverse, counts = np.unique(observed, axis=0, return_index=True, return_inverse=True,
                                                  return_counts=True)  # fmt: skip
        inverse = inverse.ravel()
        # most frequent pattern first (complete rows usually), ties by first appearance
        order = np.lexsort((first, -counts))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        pid = rank[inverse]  # pattern of each row
        K = order.size
        self.row_pattern = pid
        X0 = np.where(observed, self.X, 0.0)
        self.X0 = X0  # the data with 0 for a missing cell (casewise terms of the weighted likelihood)
        by = np.argsort(pid, kind="stable")
        starts = np.searchsorted(pid[by], np.arange(K))
        self.counts = counts[order].astype(float)
        self.mask = observed[by[starts]].astype(float)
        sums = np.add.reduceat(X0[by], starts, axis=0)
        self.means = sums / self.counts[:, None]
        Xc = X0[by] - self.means[pid[by]] * observed[by]  # centred within the pattern, 0 if missing
        self.covs = np.add.reduceat(Xc[:, :, None] * Xc[:, None, :], starts, axis=0) / self.counts[:, None, None]
        items = []
        for k in range(K):
            obs = np.flatnonzero(self.mask[k])
            rows = by[starts[k] : starts[k] + int(self.counts[k])]
            items.append(_Pattern(obs=obs, rows=rows, n=int(self.counts[k]), ybar=self.means[k, obs],
                                  S=self.covs[k][np.ix_(obs, obs)]))  # fmt: skip
        self.items = items
        self.last_inverse = None
        self.observed = observed
        #: number of observed values per variable
        self.n_obs = observed.sum(axis=0)
        self.n_observed_in = self.mask.sum(axis=1)
        self._outer_mask = self.mask[:, :, None] * self.mask[:, None, :]
        self._pad = np.einsum("kp,pq->kpq", 1.0 - self.mask, np.eye(p))
        # patterns grouped by their number of missing variables r: (positions, missing indices)
        n_miss = p - self.n_observed_in.astype(int)
        self._by_missing = []
        for r in np.unique(n_miss):
            ks = np.flatnonzero(n_miss == r)
            miss = np.nonzero(self.mask[ks] == 0)[1].reshape(len(ks), r)  # row-major: per pattern
            self._by_missing.append((ks, miss))
        # the same groups with their rows, and each row's position in its group (weighted likelihood)
        # every incomplete pattern in one group, its missing indices padded to the largest count
        # with indices p, p + 1, ...: dummy variables with unit precision and no covariance, which
        # change no term and save a group of LAPACK calls per count of missing variables
        self._rows_by_missing = []
        inc = np.flatnonzero(n_miss > 0)
        if inc.size:
            r_max = int(n_miss.max())
            miss = np.tile(np.arange(p, p + r_max), (inc.size, 1))
            for j, k in enumerate(inc):
                m = np.flatnonzero(self.mask[k] == 0)
                miss[j, : m.size] = m
            where = np.full(K, -1)
            where[inc] = np.arange(inc.size)
            rows = np.flatnonzero(np.isin(pid, inc))
            self._rows_by_missing.append((inc, miss, rows, where[pid[rows]]))

    def inverse_blocks(self, sigma: np.ndarray):
        """Invert the observed block of ``sigma`` for each pattern (zero-padded), with its log-determinant.

        Parameters
        ----------
        sigma : numpy.ndarray
            A p × p covariance matrix of all variables.

        Returns
        -------
        tuple of numpy.ndarray or None
            ``(si, logdet)``: ``si`` of shape (K, p, p) holds each pattern's inverse in its observed
            rows and columns (zero elsewhere), ``logdet`` (K,) the log-determinants; None when a
            block is not positive definite.

        Examples
        --------
        >>> import numpy as np
        >>> from hpmob.sem.fiml import Patterns
        >>> pt = Patterns(np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0]]))
        >>> si, logdet = pt.inverse_blocks(np.array([[2.0, 0.5], [0.5, 1.0]]))
        >>> si.shape, [round(float(v), 4) + 0.0 for v in logdet]  # log 1.75 and log 1 (x2 alone)
        ((2, 2, 2), [0.5596, 0.0])
        """
        try:
            L = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return self._inverse_blocks_padded(sigma)
        # from the inverse P of the full matrix: inv(Sigma_oo) = P_oo - P_om inv(P_mm) P_mo and
        # det(Sigma_oo) = det(Sigma) det(P_mm), with P_mm only as large as the missing variables
        # (one full inverse and tiny ones instead of a LAPACK inverse per pattern, 10x faster)
        P = linalg.cho_solve((L, True), np.eye(self.p))
        self.last_inverse = (sigma, P)  # the scoring matrix at the same Sigma reuses it
        logdet_full = 2.0 * np.sum(np.log(np.diag(L)))
        K = len(self.items)
        si = np.broadcast_to(P, (K, self.p, self.p)).copy()
        logdet = np.full(K, logdet_full)
        for ks, miss in self._by_missing:
            if miss.shape[1] == 0:
                continue
            Pmm = P[miss[:, :, None], miss[:, None, :]]  # (K_r, r, r)
            Pm = np.transpose(P[:, miss], (1, 0, 2))  # (K_r, p, r)
            si[ks] -= Pm @ np.linalg.solve(Pmm, np.transpose(Pm, (0, 2, 1)))
            logdet[ks] += np.linalg.slogdet(Pmm)[1]
        return si * self._outer_mask, logdet

    def _inverse_blocks_padded(self, sigma: np.ndarray):
        """The same per pattern, for a matrix that is not positive definite as a whole."""
        self.last_inverse = None
        padded = sigma[None, :, :] * self._outer_mask + self._pad
        try:
            L = np.linalg.cholesky(padded)
        except np.linalg.LinAlgError:
            return None
        logdet = 2.0 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
        si = np.linalg.inv(padded) * self._outer_mask
        return si, logdet

    def available_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the available-case means and N-divisor variances of each variable.

        Returns
        -------
        mean, var : numpy.ndarray
            Length p each, from the observed cells of each column.

        Examples
        --------
        >>> import numpy as np
        >>> from hpmob.sem.fiml import Patterns
        >>> pt = Patterns(np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0]]))
        >>> pt.available_moments()
        (array([2., 4.]), array([1.        , 2.66666667]))
        """
        mean = np.nanmean(self.X, axis=0)
        var = np.nanmean((self.X - mean) ** 2, axis=0)
        return mean, var


def minus2_loglik(sigma: np.ndarray, mu: np.ndarray, pt: Patterns, gradient: bool = False):
    """Compute ``-2 log L`` of the incomplete data under N(mu, sigma), optionally with its derivatives.

    Parameters
    ----------
    sigma, mu : numpy.ndarray
        Covariance (p × p) and mean (p) of the normal distribution.
    pt : Patterns
        The data, grouped by pattern.
    gradient : bool
        Also return the derivatives.

    Returns
    -------
    float or tuple
        ``m2ll``, or ``(m2ll, Q, r)`` such that ``d(-2 log L) = tr(Q dSigma) - 2 r' dmu``
        (Q symmetric); ``inf`` (with None for Q and r) when a pattern's covariance block is
        not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, minus2_loglik
    >>> from scipy import stats
    >>> X = np.array([[0.5, np.nan], [1.0, 2.0], [np.nan, -1.0]])
    >>> S, m = np.array([[1.0, 0.3], [0.3, 2.0]]), np.zeros(2)
    >>> direct = -2 * (stats.norm.logpdf(0.5) + stats.multivariate_normal(m, S).logpdf([1.0, 2.0])
    ...                + stats.norm.logpdf(-1.0, scale=np.sqrt(2.0)))
    >>> bool(np.isclose(minus2_loglik(S, m, Patterns(X)), direct))
    True
    """
    inv = pt.inverse_blocks(sigma)
    if inv is None:
        return (math.inf, None, None) if gradient else math.inf
    si, logdet = inv
    n = pt.counts
    d = (pt.means - mu[None, :]) * pt.mask
    sid = np.einsum("kpq,kq->kp", si, d)
    tr = np.einsum("kpq,kqp->k", si, pt.covs)
    quad = np.einsum("kp,kp->k", d, sid)
    total = float(n @ (pt.n_observed_in * LOG2PI + logdet + tr + quad))
    if not gradient:
        return total
    siS = si @ pt.covs
    Qk = si - siS @ si - sid[:, :, None] * sid[:, None, :]
    Q = np.einsum("k,kpq->pq", n, Qk)
    r = n @ sid
    return total, (Q + Q.T) / 2, r


class Resample:
    """The rows of :class:`Patterns` repeated ``weights`` times (a bootstrap or jackknife sample).

    A resample consists of rows of the original data, so its patterns are those of ``pt``
    with new counts. The complete rows enter the likelihood through their weighted sum and
    cross-product (computed here once per resample: ``(p x p)`` work per evaluation, however
    many rows), the incomplete rows with a positive weight casewise.

    Parameters
    ----------
    pt : Patterns
        The grouped rows of the original data.
    weights : ndarray (pt.n,)
        Multiplicity of each (kept) row.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, Resample
    >>> pt = Patterns(np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 5.0]]))
    >>> rs = Resample(pt, np.array([2.0, 1.0, 0.0]))  # the first row twice, the second once
    >>> rs.n, rs.n_c, rs.mean_c
    (3.0, 2.0, array([1., 2.]))
    """

    def __init__(self, pt: Patterns, weights: np.ndarray):
        w = np.asarray(weights, dtype=float)
        self.counts = np.bincount(pt.row_pattern, weights=w, minlength=len(pt.items))
        self.n = float(self.counts.sum())
        full = np.flatnonzero(pt.n_observed_in == pt.p)
        if full.size:
            rows = np.flatnonzero(pt.row_pattern == full[0])
            Xc, wc = pt.X[rows], w[rows]
            self.n_c = float(wc.sum())
            self.mean_c = wc @ Xc / max(self.n_c, 1.0)
            D = Xc - self.mean_c  # centred first: no cancellation when the means are large
            self.scatter_c = D.T @ (wc[:, None] * D)
        else:
            self.n_c, self.mean_c, self.scatter_c = 0.0, np.zeros(pt.p), np.zeros((pt.p, pt.p))
        # incomplete rows drawn at least once, by number of missing variables
        self.groups = []
        for ks, miss, rows, at in pt._rows_by_missing:
            on = w[rows] > 0
            self.groups.append((ks, miss, rows[on], at[on], w[rows[on]]))


def minus2_loglik_weighted(sigma: np.ndarray, mu: np.ndarray, pt: Patterns, rs: Resample):
    """Compute ``(-2 log L, Q, r)`` of :func:`minus2_loglik` for the resample ``rs`` of the rows of ``pt``.

    With ``e_i`` the observed part of ``x_i - mu``, ``P = Sigma^-1`` and, per pattern,
    ``Sigma_oo^-1 = P_oo - P_om P_mm^-1 P_mo`` (zero in the missing rows and columns) and
    ``det(Sigma_oo) = det(Sigma) det(P_mm)``: ``-2 log L = sum_k n_k (p_k log 2pi +
    log|Sigma_oo|) + sum_i w_i e_i' z_i`` with ``z_i = Sigma_oo^-1 e_i``, ``Q = sum_k n_k
    Sigma_oo^-1 - sum_i w_i z_i z_i'`` and ``r = sum_i w_i z_i``. The complete rows' terms
    come from their weighted moments; no resampled copy of the data, no per-pattern inverse
    (one Cholesky factor, and solves of the size of the missing variables).

    Parameters
    ----------
    sigma, mu : numpy.ndarray
        Covariance (p × p) and mean (p).
    pt : Patterns
        The original data, grouped by pattern.
    rs : Resample
        The row multiplicities of the resample.

    Returns
    -------
    tuple
        ``(m2ll, Q, r)`` as :func:`minus2_loglik` with ``gradient=True`` on the resampled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, Resample, minus2_loglik, minus2_loglik_weighted
    >>> X = np.array([[0.5, np.nan], [1.0, 2.0], [np.nan, -1.0], [0.2, 0.1]])
    >>> S, m = np.array([[1.0, 0.3], [0.3, 2.0]]), np.array([0.1, 0.2])
    >>> pt = Patterns(X)
    >>> rs = Resample(pt, np.array([2.0, 0.0, 1.0, 1.0])[pt.kept])  # rows 0, 0, 2, 3
    >>> got = minus2_loglik_weighted(S, m, pt, rs)
    >>> want = minus2_loglik(S, m, Patterns(X[[0, 0, 2, 3]]), gradient=True)
    >>> all(np.allclose(a, b, rtol=1e-13) for a, b in zip(got, want))
    True
    """
    try:
        L = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return _minus2_loglik_weighted_blocks(sigma, mu, pt, rs)
    p = pt.p
    P = linalg.cho_solve((L, True), np.eye(p), check_finite=False)
    logdet = np.full(len(pt.items), 2.0 * np.sum(np.log(np.diag(L))))
    pad = pt._rows_by_missing[0][1].shape[1] if pt._rows_by_missing else 0
    Pa = np.eye(p + pad)  # P and the padding variables (see Patterns)
    Pa[:p, :p] = P
    # complete rows: sum w (x - mu)(x - mu)' from their moments
    d = rs.mean_c - mu
    P_scatter = P @ (rs.scatter_c + rs.n_c * np.outer(d, d))
    quad = float(np.trace(P_scatter))
    SI = rs.n * P
    Q_rows = P_scatter @ P
    r = rs.n_c * (P @ d)
    for ks, miss, rows, at, w in rs.groups:
        Pmm = Pa[miss[:, :, None], miss[:, None, :]]  # (K_r, r, r)
        Pm = np.transpose(Pa[:p, miss], (1, 0, 2))  # (K_r, p, r)
        if miss.shape[1] == 1:  # one variable missing at most (the common case): no LAPACK call
            W = np.transpose(Pm, (0, 2, 1)) / Pmm
            logdet[ks] += np.log(Pmm[:, 0, 0])
        else:
            W = np.linalg.solve(Pmm, np.transpose(Pm, (0, 2, 1)))  # P_mm^-1 P_mo, (K_r, r, p)
            logdet[ks] += np.linalg.slogdet(Pmm)[1]
        SI -= np.transpose(Pm * rs.counts[ks][:, None, None], (1, 0, 2)).reshape(p, -1) @ W.reshape(-1, p)
        if rows.size:
            obs = pt.observed[rows]
            E = (pt.X0[rows] - mu) * obs
            Z = E @ P
            # (P e)_m of each row; the padding's value is never used (its row of W is 0)
            v = np.take_along_axis(Z, np.minimum(miss[at], p - 1), axis=1)
            Z -= np.einsum("ir,irp->ip", v, W[at])
            Z *= obs  # exact zeros where the Schur complement leaves rounding residue
            wZ = w[:, None] * Z
            quad += float(np.sum(wZ * E))
            Q_rows += Z.T @ wZ
            r += wZ.sum(axis=0)
    total = float(rs.counts @ (pt.n_observed_in * LOG2PI + logdet)) + quad
    Q = SI - Q_rows
    return total, (Q + Q.T) / 2, r


def _minus2_loglik_weighted_blocks(sigma, mu, pt: Patterns, rs: Resample):
    """The same when Sigma is not positive definite as a whole (only the observed blocks need be)."""
    inv = pt.inverse_blocks(sigma)
    if inv is None:
        return math.inf, None, None
    si, logdet = inv
    full = np.flatnonzero(pt.n_observed_in == pt.p)
    total = float(rs.counts @ (pt.n_observed_in * LOG2PI + logdet))
    Q, r = np.einsum("k,kpq->pq", rs.counts, si), 0.0
    if full.size and rs.n_c > 0:
        d = rs.mean_c - mu
        S = rs.scatter_c / rs.n_c
        s0 = si[full[0]]
        sid = s0 @ d
        total += rs.n_c * (float(np.sum(s0 * S)) + float(d @ sid))
        Q = Q - rs.n_c * (s0 @ S @ s0 + np.outer(sid, sid))
        r = r + rs.n_c * sid
    w = np.zeros(pt.n)
    for _, _, rows, _, wr in rs.groups:
        w[rows] = wr
    on = np.flatnonzero(w)
    E = (pt.X0[on] - mu) * pt.observed[on]
    Z = np.einsum("ipq,iq->ip", si[pt.row_pattern[on]], E)
    wZ = w[on][:, None] * Z
    total += float(np.sum(wZ * E))
    Q = Q - Z.T @ wZ
    return total, (Q + Q.T) / 2, r + wZ.sum(axis=0)


def em_h1(pt: Patterns, tol: float = EM_TOL, max_iter: int = EM_MAX_ITER):
    """Estimate the saturated model's mean and covariance by ML with EM.

    Parameters
    ----------
    pt : Patterns
        The data, grouped by pattern.
    tol : float
        Stop when no mean or covariance changes by more than this, relative to the
        variables' variances.
    max_iter : int
        Most EM iterations.

    Returns
    -------
    tuple
        ``(mu, sigma, m2ll, iterations, converged)``: the estimates, ``-2 log L`` at them
        (NaN when the covariance became singular), the iterations run and whether ``tol``
        was reached.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, em_h1
    >>> X = np.random.default_rng(1).normal(size=(50, 3))
    >>> mu, sigma, *_ = em_h1(Patterns(X))  # complete data: the sample moments
    >>> bool(np.allclose(sigma, np.cov(X, rowvar=False, bias=True)))
    True
    """
    mu, var = pt.available_moments()
    sigma = np.diag(var)
    p, N = pt.p, pt.n
    n, M, Y = pt.counts, pt.mask, pt.means
    miss = 1.0 - M
    eye = np.eye(p)
    converged = False
    it_done = 0
    for it_done in range(1, max_iter + 1):
        inv = pt.inverse_blocks(sigma)
        if inv is None:
            # the saturated covariance became singular (e.g. fewer rows than variables in a
            # group): no h1 model, reported as EM not converged, not as a crash
            return mu, sigma, float("nan"), it_done, False
        si, _ = inv
        B = sigma[None, :, :] @ si  # rows of missing variables: Sigma_mo Sigma_oo^-1
        d = (Y - mu[None, :]) * M
        # E-step per pattern: expected mean and scatter of the completed rows
        xhat = M * Y + miss * (mu[None, :] + np.einsum("kpq,kq->kp", B, d))
        J = M[:, :, None] * eye[None, :, :] + miss[:, :, None] * B
        resid = sigma[None, :, :] - B @ sigma[None, :, :]
        cross = J @ pt.covs @ np.transpose(J, (0, 2, 1)) + miss[:, :, None] * resid * miss[:, None, :]
        mu_new = n @ xhat / N
        T2 = np.einsum("k,kpq->pq", n, cross + xhat[:, :, None] * xhat[:, None, :]) / N
        sigma_new = T2 - np.outer(mu_new, mu_new)
        sigma_new = (sigma_new + sigma_new.T) / 2
        scale = np.sqrt(np.diag(sigma_new))
        change = max(np.max(np.abs(mu_new - mu) / scale), np.max(np.abs(sigma_new - sigma) / np.outer(scale, scale)))
        mu, sigma = mu_new, sigma_new
        if change < tol:
            converged = True
            break
    return mu, sigma, minus2_loglik(sigma, mu, pt), it_done, converged


def baseline_minus2_loglik(pt: Patterns) -> float:
    """Compute ``-2 log L`` of the independence model (means and variances free) at its estimate.

    Parameters
    ----------
    pt : Patterns
        The data, grouped by pattern.

    Returns
    -------
    float
        The sum over variables of ``n_j (log 2π + log v_j + 1)``, with ``n_j`` and ``v_j`` the
        available-case count and variance.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, baseline_minus2_loglik
    >>> X = np.array([[0.0, 1.0], [2.0, np.nan], [4.0, 3.0]])
    >>> round(baseline_minus2_loglik(Patterns(X)), 6)
    17.131873
    """
    _, var = pt.available_moments()
    return float(np.sum(pt.n_obs * (LOG2PI + np.log(var) + 1.0)))


def casewise_scores(sigma: np.ndarray, mu: np.ndarray, pt: Patterns, dS: np.ndarray, dmu: np.ndarray):
    """Compute the per-row gradient of the log-likelihood with respect to the parameters.

    Parameters
    ----------
    sigma, mu : numpy.ndarray
        Implied covariance (p × p) and mean (p) at the parameters.
    pt : Patterns
        The data, grouped by pattern.
    dS : numpy.ndarray
        Shape (k, p, p): derivatives of the implied covariance.
    dmu : numpy.ndarray
        Shape (p, k): derivatives of the implied mean.

    Returns
    -------
    numpy.ndarray
        Shape (n, k): each row's score; the columns sum to the gradient of ``log L``.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.fiml import Patterns, casewise_scores
    >>> X = np.array([[0.5, np.nan], [1.0, 2.0], [np.nan, -1.0]])
    >>> dmu = np.eye(2)  # two parameters: the two means
    >>> casewise_scores(np.eye(2), np.zeros(2), Patterns(X), np.zeros((2, 2, 2)), dmu)
    array([[ 0.5,  0. ],
           [ 1. ,  2. ],
           [ 0. , -1. ]])
    """
    k = dS.shape[0]
    out = np.zeros((pt.n, k))
    for it in pt.items:
        o = it.obs
        si = np.linalg.inv(sigma[np.ix_(o, o)])
        Z = (pt.X[np.ix_(it.rows, o)] - mu[o]) @ si  # (n_pat, p_o)
        dSo = dS[:, o][:, :, o]
        quad = np.einsum("ia,kab,ib->ik", Z, dSo, Z, optimize=True)
        tr = np.einsum("ab,kba->k", si, dSo)
        out[it.rows] = 0.5 * (quad - tr) + Z @ dmu[o]
    return out


def _saturated_derivatives(p: int) -> tuple[np.ndarray, np.ndarray]:
    """dSigma (k, p, p) and dmu (p, k) of the saturated parameters (mu, vech(Sigma)), k = p + p(p+1)/2."""
    rows, cols = np.tril_indices(p)
    k = p + rows.size
    dS = np.zeros((k, p, p))
    dS[p + np.arange(rows.size), rows, cols] = 1.0
    dS[p + np.arange(rows.size), cols, rows] = 1.0
    dmu = np.zeros((p, k))
    dmu[np.arange(p), np.arange(p)] = 1.0
    return dS, dmu


def h1_trace(sigma: np.ndarray, mu: np.ndarray, pt: Patterns) -> float:
    """``tr(A1^-1 B1)`` of the saturated model with incomplete data, at the moments given.

    ``A1`` is the observed information (Hessian of ``-log L / N`` by central differences
    of the analytic gradient) and ``B1`` the first-order information (mean outer
    product of the casewise scores), both in the parameters ``(mu, vech(Sigma))``.
    For lavaan's Yuan-Bentler scaling factor under missing data they are evaluated at
    the EM estimates of the unrestricted model (checked: at the model-implied moments
    the HS scaling factor would be 1.104 instead of lavaan's 1.050).
    """
    p, N = pt.p, pt.n
    rows, cols = np.tril_indices(p)
    off = np.where(rows == cols, 1.0, 2.0)

    def grad(x):
        m = x[:p]
        S = np.zeros((p, p))
        S[rows, cols] = x[p:]
        S[cols, rows] = x[p:]
        _, Q, r = minus2_loglik(S, m, pt, gradient=True)
        return np.concatenate([-2 * r, Q[rows, cols] * off]) / (2 * N)

    from .information import numeric_hessian

    x0 = np.concatenate([mu, sigma[rows, cols]])
    A1 = numeric_hessian(grad, x0)
    dS, dmu = _saturated_derivatives(p)
    sc = casewise_scores(sigma, mu, pt, dS, dmu)
    B1 = sc.T @ sc / N
    return float(np.sum(B1 * np.linalg.inv(A1).T))


def baseline_trace(pt: Patterns) -> float:
    """``tr(A^-1 B)`` of the independence model (means and variances) at its estimate.

    Its log-likelihood is a sum over variables, so at the available-case estimates the
    observed information is diagonal: ``n_j / sigma_j`` for a mean, ``n_j / (2 sigma_j^2)``
    for a variance (divided by N, as B).
    """
    mean, var = pt.available_moments()
    Z = pt.X - mean
    ok = np.isfinite(Z)
    s_mu = np.where(ok, Z / var, 0.0)
    s_var = np.where(ok, (Z**2 / var - 1.0) / (2 * var), 0.0)
    n_j = pt.n_obs
    return float(np.sum((s_mu**2).sum(axis=0) * var / n_j + (s_var**2).sum(axis=0) * 2 * var**2 / n_j))
