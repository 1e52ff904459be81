"""Data in which a fitted model holds exactly: the model-based (Bollen–Stine) transformation.

To bootstrap under a null hypothesis about a structural model ("forcing the null" in a
specification-curve joint test, or the Bollen–Stine test of fit), the rows are first
transformed so that the null model fits the sample perfectly, then resampled.

* Complete data (Bollen & Stine 1992; lavaan's ``bootstrapLavaan(type = "bollen.stine")``):
  ``z_i = mu0 + Sigma0^{1/2} S^{-1/2} (y_i - ybar)`` with *symmetric* (eigen) square
  roots, ``S`` the N-divisor sample covariance and ``Sigma0, mu0`` the implied moments.
  The transformed data have covariance ``Sigma0`` and mean ``mu0`` exactly.
* Incomplete data (Savalei & Yuan 2009, transformation 2; semTools' ``bsBootMiss``
  default): one symmetric matrix ``A`` for all missing-data patterns, the root of
  ``sum_j N_j M_j (A H_j A - Sigma0) M_j = 0`` (``H_j`` the N-divisor covariance of
  pattern ``j``'s observed variables, ``M_j`` the inverse of ``Sigma0``'s block for
  them, both zero-padded) found by Newton's method from the symmetrised
  ``Sigma0^{1/2} Sigma_EM^{-1/2}``; pattern ``j``'s rows become
  ``mu0_o + A_oo (y_o - ybar_j)``. Every pattern then has mean ``mu0_o`` and the
  saturated (EM) estimates of the transformed data are ``(mu0, Sigma0)``: the
  model's FIML chi-square is 0. (semTools' transformation 1 uses a Cholesky factor per
  pattern instead; hpmob follows the default.)

The two differ for complete data (transformation 2's ``A`` is symmetric,
``Sigma0^{1/2} S^{-1/2}`` is not), though both give the data exactly the implied moments;
``method="auto"`` uses Bollen–Stine when the rows used have no missing cell.
Checked against lavaan 0.6-14 and semTools 0.5-6 in ``tests/test_sem_bollen_stine.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .fiml import Patterns, em_h1
from .syntax import OP_RE, formulas, parse_term, split_top

__all__ = ["bollen_stine_transform", "impose_zero_path", "transform_to_moments", "zero_path_model"]

METHODS = ("auto", "bollen-stine", "savalei-yuan")
#: Newton's method for the Savalei–Yuan matrix stops when no estimating equation exceeds
#: this share of N times the largest diagonal element of Sigma0^-1 (semTools: 1e-11
#: absolute); the convergence is quadratic, so the last step lands near machine precision.
NEWTON_TOL = 1e-13
NEWTON_MAX_ITER = 100


def _sym_sqrt(m: np.ndarray, what: str, inverse: bool = False) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2)
    if w[0] <= 0:
        raise ValueError(f"The {what} is not positive definite (smallest eigenvalue {w[0]:.3g}); "
                         "the data cannot be transformed to it.")  # fmt: skip
    r = w ** (-0.5 if inverse else 0.5)
    return (v * r) @ v.T


def _savalei_yuan_matrix(pt: Patterns, sigma: np.ndarray, start_cov: np.ndarray) -> tuple[np.ndarray, int]:
    """The symmetric root ``A`` of Savalei & Yuan's (2009) eq. 12, and the Newton iterations used."""
    p = pt.p
    M, _ = pt.inverse_blocks(sigma)  # (J, p, p): Sigma_oo^-1, zero-padded
    H = pt.covs  # (J, p, p): pattern covariances (N divisor), zero-padded
    n = pt.counts
    NM = n[:, None, None] * M
    rows, cols = np.tril_indices(p)
    off = rows != cols
    scale = pt.n * np.max(np.abs(np.diagonal(np.linalg.inv(sigma))))
    B = _sym_sqrt(sigma, "model-implied covariance") @ _sym_sqrt(start_cov, "starting covariance", inverse=True)
    A = (B + B.T) / 2

    M_total = NM.sum(axis=0)

    def equations(A):
        MA = M @ A  # M_j A H_j A M_j = (M_j A) H_j (M_j A)'
        return np.einsum("j,jad->ad", n, MA @ H @ np.transpose(MA, (0, 2, 1))) - M_total

    g = equations(A)
    for it in range(1, NEWTON_MAX_ITER + 1):
        # derivative: dg(E) = sum_j N_j (M_j E G_j + G_j' E M_j), G_j = H_j A M_j; the first
        # term as W1[a, b, c, d] = sum_j N_j M_j[a, c] G_j[d, b], one matrix product over patterns
        G = H @ A @ M
        W1 = (NM.reshape(-1, p * p).T @ np.transpose(G, (0, 2, 1)).reshape(-1, p * p)).reshape(p, p, p, p)
        W1 = W1.transpose(0, 2, 1, 3)
        W = W1 + W1.transpose(1, 0, 3, 2)
        # columns: the symmetric directions e_c e_d' + e_d e_c' of vech(A); rows: vech(g)
        J = W[rows, cols][:, rows, cols] + np.where(off, W[rows, cols][:, cols, rows], 0.0)
        step = np.linalg.solve(J, -g[rows, cols])
        A[rows, cols] += step
        A[cols, rows] = A[rows, cols]
        g = equations(A)
        if np.max(np.abs(g)) <= NEWTON_TOL * scale:
            return A, it
    raise RuntimeError(
        f"Newton's method for the Savalei-Yuan transformation did not converge in {NEWTON_MAX_ITER} "
        f"iterations (largest estimating equation {np.max(np.abs(g)):.3g}); the implied covariance may be "
        "far from the data's. Check the model fit, or use method='bollen-stine' on complete rows.")


def transform_to_moments(X, sigma, mu, *, method: str = "auto", start_cov=None) -> np.ndarray:
    """Transform the rows of ``X`` so that they have the moments ``(mu, sigma)`` exactly.

    Parameters
    ----------
    X : array (n, p)
        Data, ``nan`` for a missing cell. Rows with no observed value stay empty.
    sigma, mu : array (p, p), array (p,)
        Target (model-implied) covariance and mean.
    method : {"auto", "bollen-stine", "savalei-yuan"}
        ``"bollen-stine"`` needs complete rows; ``"savalei-yuan"`` is Savalei & Yuan's
        (2009) transformation 2 (semTools' default); ``"auto"`` takes the first when no
        cell is missing, else the second.
    start_cov : array (p, p), optional
        Starting point of the Savalei–Yuan Newton iterations (``Sigma0^{1/2}
        start_cov^{-1/2}``, symmetrised, as semTools); the EM estimate of the saturated
        covariance by default. The root does not depend on it.

    Returns
    -------
    ndarray (n, p)
        Complete data: N-divisor covariance ``sigma`` and mean ``mu``. Incomplete data:
        every pattern has mean ``mu`` and the saturated ML (EM) estimates are ``(mu, sigma)``.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> sigma, mu = np.array([[1.0, 0.5], [0.5, 2.0]]), np.array([3.0, 4.0])
    >>> Z = transform_to_moments(X, sigma, mu)
    >>> bool(np.allclose(np.cov(Z, rowvar=False, bias=True), sigma)), bool(np.allclose(Z.mean(axis=0), mu))
    (True, True)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}.")
    X = np.asarray(X, dtype=float)
    sigma, mu = np.asarray(sigma, dtype=float), np.asarray(mu, dtype=float)
    p = X.shape[1]
    if sigma.shape != (p, p) or mu.shape != (p,):
        raise ValueError(f"sigma must be {p} x {p} and mu of length {p} for data with {p} columns; "
                         f"got {sigma.shape} and {mu.shape}.")  # fmt: skip
    observed = np.isfinite(X)
    used = observed.any(axis=1)
    complete = bool(observed[used].all())
    if method == "auto":
        method = "bollen-stine" if complete else "savalei-yuan"
    Z = np.full_like(X, np.nan)
    if method == "bollen-stine":
        if not complete:
            raise ValueError("method='bollen-stine' needs complete rows; use 'savalei-yuan' (or 'auto') "
                             "for data with missing cells.")  # fmt: skip
        Xu = X[used]
        Yc = Xu - Xu.mean(axis=0)
        S = Yc.T @ Yc / Xu.shape[0]
        # lavaan: X S^-1/2 Sigma^1/2 (rows), i.e. Sigma^1/2 S^-1/2 (y - ybar) per respondent
        Z[used] = Yc @ _sym_sqrt(S, "sample covariance", inverse=True) @ _sym_sqrt(sigma, "model-implied covariance") + mu
        return Z
    pt = Patterns(X[used])
    if start_cov is None:
        _, start_cov, *_ = em_h1(pt)
    A, _ = _savalei_yuan_matrix(pt, sigma, np.asarray(start_cov, dtype=float))
    Zu = np.full((pt.n, p), np.nan)
    for it in pt.items:
        o = it.obs
        Zu[np.ix_(it.rows, o)] = (pt.X[np.ix_(it.rows, o)] - it.ybar) @ A[np.ix_(o, o)] + mu[o]
    Z[used] = Zu
    return Z


def bollen_stine_transform(result, data: pd.DataFrame, *, method: str = "auto") -> pd.DataFrame:
    """The data transformed so that a fitted single-group model holds exactly in-sample.

    Parameters
    ----------
    result : SemResult
        A single-group :func:`hpmob.sem.fit` result (ML or MLR, listwise or ``missing="ml"``).
    data : DataFrame
        The data the model was fitted to.
    method : {"auto", "bollen-stine", "savalei-yuan"}
        See :func:`transform_to_moments`.

    Returns
    -------
    DataFrame
        ``data`` with the model's observed variables transformed, same index, columns and
        missing cells; other columns unchanged. The target moments are the model-implied
        covariance and means (the sample means when the fit had no mean structure, the
        saturated mean model; lavaan centres at 0 then). With listwise deletion the rows
        the fit did not use are returned unchanged (a listwise refit drops them again); with
        ``missing="ml"`` the starting matrix is the fit's EM estimate (``sample_cov``).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200); df = pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(size=200)})
    >>> res = fit("y ~ 0*x\\nx ~~ x", df)
    >>> z = bollen_stine_transform(res, df)
    >>> round(float(np.corrcoef(z["x"], z["y"])[0, 1]), 12)
    0.0
    """
    from .fit import SemResult

    if not isinstance(result, SemResult):
        raise TypeError(f"bollen_stine_transform takes a single-group hpmob.sem.fit result, not "
                        f"{type(result).__name__}; transform each group on its own.")  # fmt: skip
    if result.estimator not in ("ML", "MLR"):
        raise NotImplementedError(f"The transformation needs a normal-theory fit (ML/MLR), not {result.estimator}.")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}.")
    ov = list(result.implied_cov.index)
    absent = [v for v in ov if v not in data.columns]
    if absent:
        raise ValueError(f"The fitted model's variable(s) {absent} are not columns of `data`.")
    X = data[ov].astype(float).to_numpy()
    sigma = result.implied_cov.to_numpy()
    observed = np.isfinite(X)
    if result.missing == "ml":
        rows = observed.any(axis=1)
        start_cov = result.sample_cov.to_numpy()
    else:
        rows = observed.all(axis=1)
        start_cov = None
    Xu = X[rows]
    if Xu.shape[0] != result.n:
        raise ValueError(f"`data` has {Xu.shape[0]} usable rows but the model was fitted to {result.n}: "
                         "pass the data the model was fitted to.")  # fmt: skip
    if result.missing != "ml":
        Yc = Xu - Xu.mean(axis=0)
        S = Yc.T @ Yc / Xu.shape[0]
        if not np.allclose(S, result.sample_cov.to_numpy(), rtol=1e-8, atol=1e-12 * np.abs(S).max()):
            raise ValueError("The sample covariance of `data` differs from the fit's: pass the data the "
                             "model was fitted to.")  # fmt: skip
    mu = result.implied_mean.to_numpy() if result.implied_mean is not None else np.nanmean(Xu, axis=0)
    Z = transform_to_moments(Xu, sigma, mu, method=method, start_cov=start_cov)
    out = data.copy()
    out[ov] = out[ov].astype(float)
    out.loc[rows, ov] = Z
    return out


def _regression_terms(formula: str):
    m = OP_RE.search(formula)
    op = m.group(0)
    lhs_txt, rhs_txt = formula[: m.start()].strip(), formula[m.end():].strip()
    return op, lhs_txt, rhs_txt


def zero_path_model(model: str, lhs: str, rhs: str) -> tuple[str, list[str]]:
    """lavaan syntax of ``model`` with the regression ``lhs ~ rhs`` fixed at 0.

    The term becomes ``0*rhs``: its modifiers go (a label ``a*rhs`` too); every other
    term, label and line stays. A formula with several left-hand sides (``y1 + y2 ~ x``) is
    split so that only ``lhs``'s path is fixed. Defined parameters (``:=``) are dropped:
    they do not constrain the fit, so they cannot change its implied moments, and a
    definition using the removed label would no longer parse (``missing="ml"`` does not
    take ``:=`` either). A label shared with another parameter (an equality constraint)
    is an error: fixing one of two equal parameters is ambiguous.

    Parameters
    ----------
    model : str
        lavaan syntax containing the regression ``lhs ~ rhs``.
    lhs, rhs : str
        The outcome and the predictor of the path to fix.

    Returns
    -------
    (str, list of str)
        The null model's syntax and the names of the defined parameters dropped.

    Examples
    --------
    >>> syntax, dropped = zero_path_model("m ~ a*x\\ny ~ b*m + c*x\\nind := a*b", "y", "m")
    >>> print(syntax)
    m ~ a*x
    y ~ 0*m + c*x
    >>> dropped
    ['ind']
    """
    out: list[str] = []
    dropped: list[str] = []
    labels: list[str] = []
    removed_label = None
    found = False
    regressions = []
    for formula in formulas(model):
        op, lhs_txt, rhs_txt = _regression_terms(formula)
        if op == ":=":
            dropped.append(lhs_txt)
            continue
        lhs_names = split_top(lhs_txt, "+")
        terms = split_top(rhs_txt, "+")
        parsed = [parse_term(t, formula) for t in terms]
        hit = op == "~" and lhs in lhs_names and not found and any(t.var == rhs for t in parsed)
        if op == "~":
            regressions += [f"{y} ~ {t.var}" for y in lhs_names for t in parsed]
        if not hit:
            labels += [t.label for t in parsed if t.label] * len(lhs_names)
            out.append(formula)
            continue
        found = True
        others = [y for y in lhs_names if y != lhs]
        if others:
            out.append(f"{' + '.join(others)} ~ {rhs_txt}")
            labels += [t.label for t in parsed if t.label] * len(others)
        new_terms = []
        for txt, t in zip(terms, parsed):
            if t.var == rhs:
                removed_label = t.label or None
                new_terms.append(f"0*{rhs}")
            else:
                if t.label:
                    labels.append(t.label)
                new_terms.append(txt)
        out.append(f"{lhs} ~ {' + '.join(new_terms)}")
    if not found:
        raise ValueError(f"The model has no regression {lhs} ~ {rhs}; its regressions are: "
                         f"{', '.join(regressions) or 'none'}.")  # fmt: skip
    if removed_label is not None and removed_label in labels:
        raise ValueError(f"The label {removed_label!r} of {lhs} ~ {rhs} is shared with another parameter (an "
                         "equality constraint); fixing one of them at 0 is ambiguous. Give the path its own "
                         "label, or fix every parameter with that label yourself.")  # fmt: skip
    return "\n".join(out), dropped


def impose_zero_path(model: str, data: pd.DataFrame, lhs: str, rhs: str, **fit_kwargs) -> pd.DataFrame:
    """The data transformed so that ``model`` with the path ``lhs ~ rhs`` fixed at 0 holds exactly.

    The "forced null" of a path claim for :func:`hpmob.speccurve.joint_test`: the null
    model (:func:`zero_path_model`) is fitted with :func:`hpmob.sem.fit` and the data are
    transformed to its implied moments (:func:`bollen_stine_transform`), so bootstrap
    samples of the result come from a population in which the path is 0 and the rest of
    the model holds.

    Parameters
    ----------
    model : str
        lavaan syntax containing the regression ``lhs ~ rhs``.
    data : DataFrame
        The observed data (one row per case) that ``model`` is fitted to.
    lhs, rhs : str
        The outcome and the predictor of the path.
    **fit_kwargs
        Passed to :func:`hpmob.sem.fit` (e.g. ``missing="ml"``, ``meanstructure=True``);
        single-group only.

    Returns
    -------
    DataFrame
        As :func:`bollen_stine_transform`; ``.attrs["null_model"]`` holds the null model's
        ``syntax``, the ``dropped_defined`` parameters, its ``chisq``, ``df``,
        ``converged``, ``convergence`` and ``improper`` (a failed null fit travels with the
        data; the transformation is to its implied moments all the same).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=300); m = 0.6 * x + rng.normal(size=300); y = 0.4 * m + rng.normal(size=300)
    >>> df = pd.DataFrame({"x": x, "m": m, "y": y})
    >>> z = impose_zero_path("m ~ x\\ny ~ m", df, "y", "m")
    >>> from hpmob.sem import fit
    >>> est = fit("m ~ x\\ny ~ m", z).estimates.set_index(["lhs", "op", "rhs"])["est"]
    >>> round(float(est["y", "~", "m"]), 10) + 0.0  # the path is 0 in the transformed data
    0.0
    >>> z.attrs["null_model"]["syntax"]
    'm ~ x\\ny ~ 0*m'
    """
    from .fit import fit

    if fit_kwargs.get("group") is not None:
        raise NotImplementedError("impose_zero_path is single-group; transform each group's data on its own.")
    syntax, dropped = zero_path_model(model, lhs, rhs)
    res = fit(syntax, data, **fit_kwargs)
    out = bollen_stine_transform(res, data)
    fm = res.fit_measures
    out.attrs["null_model"] = {"syntax": syntax, "dropped_defined": dropped, "chisq": float(fm["chisq"]),
                               "df": int(fm["df"]), "converged": bool(res.converged),
                               "convergence": res.convergence, "improper": tuple(res.improper)}  # fmt: skip
    return out
