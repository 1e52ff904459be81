"""Information matrices, sandwich standard errors and the Yuan-Bentler test.

semopy gives the expected (Fisher) information only, and no robust (MLR)
machinery, so these are written here after lavaan 0.6-14
(``lav_model_information.R``, ``lav_model_vcov.R``, ``lav_mvnorm.R``,
``lav_test_yuan_bentler.R``). All information matrices are *unit* information
(per observation), as in lavaan; covariances of estimates divide by N.

Plain ML uses this module as much as MLR does (the expected information gives ML's
standard errors, :func:`ml_gradient` its score tests), hence its name: it was
``hpmob.sem.robust`` before issue #20.

Notation: ``S`` is the sample covariance (N divisor), ``sigma`` the implied
covariance, ``dS`` the derivatives of ``sigma`` with respect to the free
parameters (shape ``(q, p, p)``) and ``dmu`` those of the implied mean
(shape ``(p, q)``; only with a mean structure).
"""

from __future__ import annotations

import warnings

import numpy as np

from .structure import Ram

__all__ = [
    "expected_information",
    "ml_gradient",
    "casewise_scores",
    "numeric_hessian",
    "sandwich",
    "h1_trace",
    "yuan_bentler_mplus",
]


def _inv(a: np.ndarray) -> np.ndarray:
    return np.linalg.inv(a)


def expected_information(sigma, dS, dmu=None) -> np.ndarray:
    """Compute the unit expected information ``Delta' A1 Delta`` (h1 information "structured").

    Parameters
    ----------
    sigma : numpy.ndarray
        Implied covariance.
    dS : numpy.ndarray
        Shape (q, p, p): derivatives of ``sigma``.
    dmu : numpy.ndarray, optional
        Shape (p, q): derivatives of the implied mean.

    Returns
    -------
    numpy.ndarray
        The q × q information per case.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import expected_information
    >>> expected_information(np.eye(1) * 2.0, np.ones((1, 1, 1)))  # 1 / (2 σ⁴) at σ² = 2
    array([[0.125]])
    """
    si = _inv(sigma)
    M = si @ dS
    q = M.shape[0]
    # tr(M_k M_l) for all k, l as one matrix product (BLAS) instead of einsum's plain loop,
    # which was a third of a structural-model fit; same sums, reordered (differences ~1e-16)
    info = 0.5 * (M.reshape(q, -1) @ M.transpose(0, 2, 1).reshape(q, -1).T)
    if dmu is not None:
        info = info + dmu.T @ si @ dmu
    return info


def ml_gradient(sigma, S, dS) -> np.ndarray:
    """Compute the gradient of ``F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p``.

    Parameters
    ----------
    sigma, S : numpy.ndarray
        Implied and sample covariance.
    dS : numpy.ndarray
        Shape (q, p, p): derivatives of ``sigma``.

    Returns
    -------
    numpy.ndarray
        Length q; zero where ``sigma`` equals ``S``.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import ml_gradient
    >>> ml_gradient(np.eye(2), np.eye(2), np.ones((1, 2, 2)))
    array([0.])
    """
    si = _inv(sigma)
    Q = si @ (sigma - S) @ si
    return dS.reshape(dS.shape[0], -1) @ Q.ravel()


def casewise_scores(Yc, sigma, dS, dmu=None) -> np.ndarray:
    """Compute the case-wise scores of the normal log-likelihood (N x q).

    ``Yc`` holds the deviations from the implied mean; without a mean structure
    lavaan uses the sample mean there (``lav_mvnorm_scores_vech_sigma``).

    Parameters
    ----------
    Yc : numpy.ndarray
        N × p deviations from the implied mean (from the sample mean without a mean structure).
    sigma : numpy.ndarray
        Implied covariance.
    dS : numpy.ndarray
        Shape (q, p, p): derivatives of ``sigma``.
    dmu : numpy.ndarray, optional
        Shape (p, q): derivatives of the implied mean.

    Returns
    -------
    numpy.ndarray
        N × q: each case's gradient of its log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import casewise_scores
    >>> Yc = np.array([[1.0], [-1.0], [2.0]])
    >>> casewise_scores(Yc, np.eye(1), np.ones((1, 1, 1)))  # d/dσ² of each case at σ² = 1
    array([[0. ],
           [0. ],
           [1.5]])
    """
    si = _inv(sigma)
    Z = Yc @ si
    quad = np.einsum("ia,kab,ib->ik", Z, dS, Z, optimize=True)
    tr = np.einsum("ab,kba->k", si, dS)
    scores = 0.5 * (quad - tr)
    if dmu is not None:
        scores = scores + Z @ dmu
    return scores


def numeric_hessian(grad_fn, x, h: float = 1e-6, richardson: bool = True) -> np.ndarray:
    """Compute a Hessian from an analytic gradient by central differences.

    ``richardson=True``: four gradients per parameter, Richardson-extrapolated (as
    ``lav_model_hessian``). ``False``: two (``(g(x+h) - g(x-h)) / 2h``), half the cost;
    with ``h = 1e-5`` its error (about ``h^2``, 1e-10) is far below the 1e-4 to which
    standard errors are compared, which is what the FIML fits use.

    Parameters
    ----------
    grad_fn : callable
        Maps a parameter vector to the gradient.
    x : array_like
        The point.
    h : float
        The step.
    richardson : bool
        Four gradients per parameter, Richardson-extrapolated, rather than two.

    Returns
    -------
    numpy.ndarray
        The symmetrized q × q Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import numeric_hessian
    >>> numeric_hessian(lambda v: np.array([2 * v[0] + v[1], v[0] + 6 * v[1]]), [1.0, 1.0]).round(6)
    array([[2., 1.],
           [1., 6.]])
    """
    x = np.asarray(x, dtype=float)
    q = x.size
    H = np.zeros((q, q))
    for j in range(q):
        e = np.zeros(q)
        e[j] = h
        if richardson:
            g_l2, g_l, g_r, g_r2 = grad_fn(x - 2 * e), grad_fn(x - e), grad_fn(x + e), grad_fn(x + 2 * e)
            H[:, j] = (g_l2 - 8 * g_l + 8 * g_r - g_r2) / (12 * h)
        else:
            H[:, j] = (grad_fn(x + e) - grad_fn(x - e)) / (2 * h)
    return (H + H.T) / 2


def sandwich(A, B, n) -> np.ndarray:
    """Compute the Huber-White covariance ``A^-1 B A^-1 / N`` (lavaan ``se = "robust.huber.white"``).

    Parameters
    ----------
    A : numpy.ndarray
        The (unit) information, the bread.
    B : numpy.ndarray
        The first-order information (mean outer product of the case-wise scores), the meat.
    n : int
        Sample size.

    Returns
    -------
    numpy.ndarray
        The covariance matrix of the estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import sandwich
    >>> sandwich(np.eye(2) * 2.0, np.eye(2), 100)
    array([[0.0025, 0.    ],
           [0.    , 0.0025]])
    """
    Ai = _inv(A)
    return Ai @ B @ Ai / n


def h1_trace(Yc, S, meanstructure: bool) -> float:
    """Compute ``tr(A1^-1 B1)`` of the saturated model (unstructured h1 information).

    With ``B1 = A1 Gamma A1`` the trace is ``tr(Gamma A1)``, which for the
    covariance part reduces to ``(b2p - p) / 2`` with Mardia's multivariate
    kurtosis ``b2p``; the mean part contributes ``p``.

    Parameters
    ----------
    Yc : numpy.ndarray
        N × p deviations from the sample mean.
    S : numpy.ndarray
        Sample covariance (N divisor).
    meanstructure : bool
        Whether the mean part (p) counts.

    Returns
    -------
    float
        ``(b2p - p) / 2`` (plus p with the mean part), ``b2p`` being Mardia's kurtosis.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import h1_trace
    >>> Y = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    >>> round(float(h1_trace(Y, (Y.T @ Y) / 4, meanstructure=False)), 4)
    0.18
    """
    p = S.shape[0]
    m = np.einsum("ia,ab,ib->i", Yc, _inv(S), Yc)
    tr = 0.5 * (np.mean(m**2) - p)
    return tr + (p if meanstructure else 0.0)


def yuan_bentler_mplus(trace_h1, ndat_h1, A0, B0, df):
    """Compute the scaling factor of lavaan's ``test = "yuan.bentler.mplus"``.

    Parameters
    ----------
    trace_h1 : float
        ``tr(A1^-1 B1)`` of the saturated model (:func:`h1_trace`).
    ndat_h1 : int
        Number of sample statistics of the saturated model.
    A0 : numpy.ndarray
        The (observed) information of the fitted model.
    B0 : numpy.ndarray
        Its first-order information.
    df : float
        Degrees of freedom.

    Returns
    -------
    tuple of float
        ``(c, trace_UGamma, scaling_factor_h1, scaling_factor_h0)`` with
        ``c = (tr(A1^-1 B1) - tr(A0^-1 B0)) / df`` (NaN when df is 0 or c is negative).

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.information import yuan_bentler_mplus
    >>> yuan_bentler_mplus(4.0, 3, np.eye(1), np.eye(1), 2)
    (1.5, 3.0, 1.3333333333333333, 1.0)
    """
    trace_h0 = float(np.sum(B0 * _inv(A0).T))
    trace_ug = trace_h1 - trace_h0
    c = trace_ug / df if df > 0 else np.nan
    if c < 0:
        c = np.nan
    return c, trace_ug, trace_h1 / ndat_h1, trace_h0 / A0.shape[0]


def safe_inv(info: np.ndarray) -> np.ndarray:
    """Invert an information matrix; a pseudo-inverse, with a warning, when it is singular."""
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        warnings.warn(
            "The information matrix is singular (the model may not be identified); "
            "standard errors use a pseudo-inverse.",
            stacklevel=3,
        )
        return np.linalg.pinv(info)


def first_order_information(Yc, sigma, dS, dmu):
    """Unit first-order (outer product of the casewise scores) information, ``sum_i s_i s_i' / N``."""
    sc = casewise_scores(Yc, sigma, dS, dmu)
    return sc.T @ sc / Yc.shape[0]


def observed_information(ram, groups, theta, is_cov, S, sigma, dmu):
    """Unit observed information: Hessian of F_ML / 2, plus the mean part.

    lavaan's MLR uses ``information = "observed"`` (``observed.information =
    "hessian"``): a Richardson-extrapolated numerical Hessian of the analytic
    gradient, as here. At saturated means the mean residual is zero, so the
    mean block is exactly ``dmu' Sigma^-1 dmu``.
    """
    cov_idx = np.flatnonzero(is_cov)
    work = Ram(ram.ov, ram.lv)
    work.A, work.P, work.m = ram.A.copy(), ram.P.copy(), ram.m.copy()
    cov_groups = [groups[k] for k in cov_idx]

    def grad(xc):
        for k, val in zip(cov_idx, xc):
            for pos in groups[k]:
                work.set(pos, val)
        sig, _ = work.implied()
        dSk, _ = work.derivatives(cov_groups)
        return 0.5 * ml_gradient(sig, S, dSk)

    q = len(groups)
    H = np.zeros((q, q))
    H[np.ix_(cov_idx, cov_idx)] = numeric_hessian(grad, theta[cov_idx])
    if dmu is not None:
        H = H + dmu.T @ np.linalg.inv(sigma) @ dmu
    return H


# the names these had before issue #20 made them public for the package's other modules;
