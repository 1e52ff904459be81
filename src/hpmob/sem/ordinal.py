"""Ordinal items: lavaan's ``estimator = "WLSMV"`` (DWLS, robust SEs, scaled-shifted test).

Five-point answers are ordered categories. This module fits a model in lavaan syntax
to the thresholds and polychoric correlations of the items (``polychoric.py``), as
lavaan 0.6-14 does with ``ordered = ...`` and ``estimator = "WLSMV"``:

* delta parameterization: each item's latent response ``y*`` has unit variance, the
  residual variances ``θ_jj = 1 − diag(ΛΨΛᵀ)`` are not free parameters, intercepts
  and latent means are fixed at 0, scaling factors (``~*~``) at 1;
* at most one continuous variable (an indicator or outcome): polyserial correlations,
  its mean and variance among the statistics, a free intercept and residual variance;
* DWLS estimates minimizing ``Σ w (s − σ(θ))²`` with ``w = 1 / diag(NACOV)``;
* robust SEs ``(ΔᵀWΔ)⁻¹ ΔᵀWΓWΔ (ΔᵀWΔ)⁻¹ / (N − 1)`` (lavaan's ``se = "robust.sem"``
  divides by ``N − G`` for every estimator but ML);
* the statistic ``T = (N − 1) Σ w (s − σ)²`` (lavaan's ``fmin`` for DWLS has the factor
  ``(N − 1)/N``) and the mean-and-variance adjusted test ``T' = a·T + (df − a·tr(UΓ))``
  with ``a = √(df / tr((UΓ)²))`` (``test = "scaled.shifted"``), the same for the
  independence model (thresholds free, correlations 0), hence CFI/TLI "scaled"; RMSEA
  with ``N − 1``;
* SRMR on the correlation residuals (lavaan's ``srmr`` for categorical data).

Validated line by line against lavaan in ``tests/test_sem_ordinal.py``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import measures
from .fit import prepare_data
from .fit_result import ESTIMATE_COLUMNS, RMSEA_CI_LEVEL, RMSEA_CLOSE_H0, SemResult, estimate_row
from .polychoric import OrdinalStats, bivariate_normal_cdf, ordinal_stats, polychoric
from .standardize import standardize
from .structure import Ram
from .syntax import parse_model

__all__ = ["OrdinalCFA", "bivariate_normal_cdf", "fit_dwls_cfa", "fit_wlsmv", "polychoric", "scaled_shifted",
           "scaled_shifted_traces"]


@dataclass
class WlsmvState:
    """What a later step (a difference test, a multigroup wrapper) needs from a WLSMV fit."""

    stats: OrdinalStats
    delta: np.ndarray  # d wls_est / d theta (ndat x npar)
    w: np.ndarray  # DWLS weights, 1 / diag(NACOV)
    e_inv: np.ndarray  # (Delta' W Delta)^-1
    theta: np.ndarray
    chisq: float
    df: int


def scaled_shifted(T: float, df: float, U_gamma: np.ndarray) -> tuple[float, float, float]:
    """Compute lavaan's scaled-shifted statistic from ``UΓ`` (``lav_test_satorra_bentler``).

    Parameters
    ----------
    T : float
        The unscaled test statistic.
    df : float
        Its degrees of freedom.
    U_gamma : numpy.ndarray
        The matrix ``UΓ`` whose traces set the correction.

    Returns
    -------
    tuple of float
        ``(stat, scaling_factor, shift)`` with ``stat = T / c + shift``, ``c = 1 / a``,
        ``a = √(df / tr((UΓ)²))``, ``shift = df − a·tr(UΓ)``.

    Examples
    --------
    >>> import numpy as np
    >>> scaled_shifted(10.0, 4, np.eye(4))  # UΓ idempotent of rank df: no correction
    (10.0, 1.0, 0.0)
    """
    return scaled_shifted_traces(T, df, float(np.trace(U_gamma)), float(np.sum(U_gamma * U_gamma.T)))


def scaled_shifted_traces(T: float, df: float, tr1: float, tr2: float) -> tuple[float, float, float]:
    """Compute :func:`scaled_shifted` from ``tr(UΓ)`` and ``tr((UΓ)²)``.

    Parameters
    ----------
    T : float
        The unscaled test statistic.
    df : float
        Its degrees of freedom.
    tr1, tr2 : float
        ``tr(UΓ)`` and ``tr((UΓ)²)``.

    Returns
    -------
    tuple of float
        ``(stat, scaling_factor, shift)`` as :func:`scaled_shifted`.

    Examples
    --------
    >>> from hpmob.sem.ordinal import scaled_shifted_traces
    >>> scaled_shifted_traces(10.0, 4, 8.0, 16.0)  # tr(UΓ) = 2 df: half the statistic
    (5.0, 2.0, 0.0)
    """
    a = math.sqrt(df / tr2)
    shift = df - a * tr1
    return T * a + shift, 1 / a, shift


def _u_gamma(w: np.ndarray, delta: np.ndarray | None, e_inv: np.ndarray | None, gamma: np.ndarray) -> np.ndarray:
    W = np.diag(w)
    U = W if delta is None else W - (W @ delta) @ e_inv @ (delta.T @ W)
    return U @ gamma


def fit_wlsmv(model: str, data: pd.DataFrame, ordered, *, ci: float = 0.95) -> SemResult:
    """Fit a model to ordinal items as lavaan's ``sem(..., ordered = ..., estimator = "WLSMV")``.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, labels and fixed values).
    data : DataFrame
        One row per respondent; rows with missing values in the model's variables
        are dropped (listwise).
    ordered : list of str
        The ordinal items. At most one other observed variable may be continuous
        (an indicator or outcome, not an exogenous predictor): its correlations with the
        items are polyserial and its mean, variance and residual variance are estimated.
    ci : float
        Level of the Wald confidence intervals.

    Returns
    -------
    SemResult
        ``.estimates`` in lavaan's layout (``=~``, ``~``, ``|`` thresholds ``t1, t2, …``,
        ``~~``, ``~*~``, ``~1``), ``.fit_measures`` with ``chisq.scaled``, ``cfi.scaled``,
        ``tli.scaled``, ``rmsea.scaled``, ``srmr``…; ``.sample_cov`` is the polychoric
        matrix and ``.implied_cov`` the implied correlation matrix of ``y*``.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4"]
    >>> d = hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop"))
    >>> res = fit_wlsmv("f =~ x1 + x2 + x3 + x4", d, ordered=items)
    >>> res.fit_measures[["chisq.scaled", "df", "cfi.scaled"]].round(3)
    chisq.scaled    7.953
    df              2.000
    cfi.scaled      0.961
    Name: value, dtype: float64
    """
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    pm = parse_model(model)
    ordered = [ordered] if isinstance(ordered, str) else list(ordered)
    continuous = [v for v in pm.ov if v not in ordered]
    if len(continuous) > 1 or len(continuous) == len(pm.ov):
        raise NotImplementedError(
            f"estimator='WLSMV' here takes ordinal items and at most one continuous variable; "
            f"{', '.join(map(repr, continuous))} are not in `ordered`. Add them to `ordered`, or fit "
            "the model with estimator='ML'/'MLR'."
        )
    if pm.ov_x:
        raise NotImplementedError(
            f"Observed predictors ({', '.join(pm.ov_x)}) need lavaan's conditional.x probit "
            "regressions, which this WLSMV does not implement; model them as indicators instead."
        )
    X, _ = prepare_data(data, pm)
    st = ordinal_stats(pd.DataFrame(X, columns=pm.ov), pm.ov, continuous=continuous)
    return _fit(pm, st, model, ci)


def _fit(pm, st: OrdinalStats, model: str, ci: float) -> SemResult:
    ov, lv = pm.ov, pm.lv
    p = len(ov)
    rows = pm.rows
    numeric = st.numeric or [False] * p
    num_ov = [v for v, nm in zip(ov, numeric) if nm]
    ordinal_ov = {v for v, nm in zip(ov, numeric) if not nm}
    # delta parameterization: an ordinal item's residual variance is 1 - diag(ΛΨΛᵀ)
    derived = [r.op == "~~" and r.lhs == r.rhs and r.lhs in ordinal_ov for r in rows]
    # free parameters: rows sharing a label share one parameter (lavaan's equality)
    keys: dict[str, int] = {}
    free_of_row = []
    for i, r in enumerate(rows):
        if r.free and not derived[i]:
            free_of_row.append(keys.setdefault(r.label or f"\x00{i}", len(keys)))
        else:
            free_of_row.append(-1)
    q_s = len(keys)
    ram = Ram(ov, lv)
    positions = [ram.position(r.lhs, r.op, r.rhs) for r in rows]
    groups = [[] for _ in range(q_s)]
    for i, k in enumerate(free_of_row):
        if k >= 0:
            groups[k].append(positions[i])
    fixed = [(positions[i], 0.0 if derived[i] else r.ustart) for i, r in enumerate(rows) if free_of_row[i] < 0]

    pairs = st.pairs
    pi_, pj_ = np.array([i for i, _ in pairs], dtype=int), np.array([j for _, j in pairs], dtype=int)
    nth = len(st.threshold_names)  # thresholds, and minus the mean of a continuous variable
    num_idx = np.array([ov.index(v) for v in num_ov], dtype=int)
    w = 1 / np.diag(st.nacov)
    # the structural part: variances of continuous variables, then the off-diagonal moments
    w_cor = w[nth:]
    r_obs = st.wls_obs[nth:]

    def set_theta(theta):
        for pos, val in fixed:
            ram.set(pos, val)
        for k, poss in enumerate(groups):
            for pos in poss:
                ram.set(pos, theta[k])

    def model_cor(theta):
        set_theta(theta)
        sigma, _ = ram.implied()
        return np.concatenate([sigma[num_idx, num_idx], sigma[pi_, pj_]])

    def jac(theta):
        set_theta(theta)
        dS, _ = ram.derivatives(groups)
        return np.vstack([dS[:, num_idx, num_idx].T, dS[:, pi_, pj_].T])

    sw = np.sqrt(w_cor)
    start = np.zeros(q_s)
    for i, r in enumerate(rows):
        k = free_of_row[i]
        if k < 0:
            continue
        if r.op == "=~":
            start[k] = 1.0
        elif r.op == "~~" and r.lhs == r.rhs:
            start[k] = 0.5  # latent variances, the residual variance of a continuous variable
    sol = optimize.least_squares(lambda t: sw * (r_obs - model_cor(t)), start,
                                 jac=lambda t: -sw[:, None] * jac(t), method="lm",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    theta_s = sol.x
    resid = r_obs - model_cor(theta_s)
    grad = jac(theta_s).T @ (w_cor * resid)
    converged = bool(sol.status > 0 and np.max(np.abs(grad)) < 1e-6)

    # the full parameter vector: lavaan orders free parameters by table row, and the
    # threshold rows follow the user's rows
    set_theta(theta_s)
    sigma_free, _ = ram.implied()
    theta_jj = 1 - np.diag(sigma_free)
    for i, r in enumerate(rows):
        if derived[i]:
            ram.set(positions[i], theta_jj[ov.index(r.lhs)])
    implied = ram.implied()[0]
    _, V_all, _ = ram.solve()
    est = np.array([theta_s[free_of_row[i]] if free_of_row[i] >= 0 else
                    (theta_jj[ov.index(r.lhs)] if derived[i] else r.ustart) for i, r in enumerate(rows)])
    std_lv, std_all = standardize(rows, est, lv, ov, V_all, ram)

    # Delta: d (thresholds, variances, off-diagonal moments) / d (structural params, thresholds)
    q = q_s + nth
    delta = np.zeros((len(st.wls_obs), q))
    delta[nth:, :q_s] = jac(theta_s)
    set_theta(theta_s)
    # a threshold is its own parameter; a continuous variable's entry is minus its intercept
    th_is_mean = np.array([name.endswith("~1") for name in st.threshold_names])
    delta[:nth, q_s:] = np.diag(np.where(th_is_mean, -1.0, 1.0))
    gamma = st.nacov
    N = st.n
    WD = w[:, None] * delta
    e_inv = np.linalg.inv(delta.T @ WD)
    # lavaan: NVarCov / (ntotal - ngroups) for every estimator but ML
    vcov = e_inv @ (WD.T @ gamma @ WD) @ e_inv / (N - 1)
    theta_all = np.concatenate([theta_s, np.where(th_is_mean, -1.0, 1.0) * st.wls_obs[:nth]])

    # fit measures
    ndat = len(st.wls_obs)
    df = ndat - q
    # lavaan's fmin for DWLS is ½ (N − 1)/N Σ w d², and the statistic 2 N fmin
    chisq = float((N - 1) * np.sum(w_cor * resid ** 2))
    fm = {"npar": q, "fmin": chisq / (2 * N), "chisq": chisq, "df": df,
          "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan}
    ug = _u_gamma(w, delta, e_inv, gamma)
    if df > 0:
        chisq_s, c, shift = scaled_shifted(chisq, df, ug)
    else:
        chisq_s, c, shift = chisq, math.nan, math.nan
    fm.update({"chisq.scaled": chisq_s, "df.scaled": df,
               "pvalue.scaled": float(stats.chi2.sf(chisq_s, df)) if df > 0 else math.nan,
               "chisq.scaling.factor": c, "chisq.shift.parameters": shift})
    # independence model: thresholds (means, variances) reproduce the sample, off-diagonal 0
    nv = len(num_idx)
    chisq_b = float((N - 1) * np.sum(w_cor[nv:] * r_obs[nv:] ** 2))
    df_b = len(pairs)
    delta_b = np.zeros((ndat, nth + nv))
    delta_b[:nth + nv, :nth + nv] = np.eye(nth + nv)
    e_inv_b = np.linalg.inv(delta_b.T @ (w[:, None] * delta_b))
    chisq_bs, c_b, _ = scaled_shifted(chisq_b, df_b, _u_gamma(w, delta_b, e_inv_b, gamma))
    fm.update({"baseline.chisq": chisq_b, "baseline.df": df_b,
               "baseline.pvalue": float(stats.chi2.sf(chisq_b, df_b)),
               "baseline.chisq.scaled": chisq_bs, "baseline.df.scaled": df_b,
               "baseline.pvalue.scaled": float(stats.chi2.sf(chisq_bs, df_b)),
               "baseline.chisq.scaling.factor": c_b})
    fm["cfi"] = measures.cfi(chisq, df, chisq_b, df_b)
    fm["tli"] = measures.tli(chisq, df, chisq_b, df_b)
    fm["cfi.scaled"] = measures.cfi(chisq_s, df, chisq_bs, df_b)
    fm["tli.scaled"] = measures.tli(chisq_s, df, chisq_bs, df_b)
    fm["ntotal"] = N
    n1 = N - 1  # lav_fit_rmsea: N - 1 unless the estimator is ML
    fm["rmsea"] = measures.rmsea(chisq, df, n1)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = measures.rmsea_ci(chisq, df, n1, level=RMSEA_CI_LEVEL)
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, n1, h0=RMSEA_CLOSE_H0)
    fm["rmsea.scaled"] = measures.rmsea(chisq_s, df, n1)
    lo, hi = measures.rmsea_ci(chisq_s, df, n1, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower.scaled"], fm["rmsea.ci.upper.scaled"] = lo, hi
    fm["rmsea.pvalue.scaled"] = measures.rmsea_closefit(chisq_s, df, n1, h0=RMSEA_CLOSE_H0)
    # lavaan's "srmr" for categorical data: Bentler's SRMR of the (polychoric) moments
    # without means, i.e. correlation residuals over p(p+1)/2 (a diagonal of ordinal items is 0)
    S_obs = st.cor.copy()
    if nv:
        sd = np.ones(p)
        sd[num_idx] = np.sqrt(st.variances)
        S_obs = S_obs * np.outer(sd, sd)
    sigma_model = implied.copy()
    np.fill_diagonal(sigma_model, np.where(numeric, np.diag(implied), 1.0))
    fm["srmr"] = measures.srmr_bentler(S_obs, sigma_model)
    fit_measures = pd.Series(fm, dtype=float, name="value")

    # the table in lavaan's order
    se_all = np.sqrt(np.clip(np.diag(vcov), 0, None))
    zq = stats.norm.ppf(1 - (1 - ci) / 2)
    records = []
    user = [i for i, r in enumerate(rows) if r.user]
    rest = [i for i, r in enumerate(rows) if not r.user]

    def add_row(i):
        r, k = rows[i], free_of_row[i]
        records.append(estimate_row(r.lhs, r.op, r.rhs, r.label, est[i], se_all[k] if k >= 0 else 0.0,
                            k >= 0, zq, std_lv[i], std_all[i]))

    for i in user:
        add_row(i)
    th_names = st.threshold_names
    for t, name in enumerate(th_names):
        if th_is_mean[t]:
            continue
        item, tk = name.split("|")
        val = st.wls_obs[t]
        records.append(estimate_row(item, "|", tk, "", val, se_all[q_s + t], True, zq, val, val))
    for i in rest:
        add_row(i)
    for v in ov:
        if v in ordinal_ov:
            records.append(estimate_row(v, "~*~", v, "", 1.0, 0.0, False, zq, 1.0, 1.0))
    for v in ov + lv:
        if v in num_ov:  # a continuous variable's intercept: free
            t = th_names.index(f"{v}~1")
            nu = theta_all[q_s + t]
            sd_v = float(np.sqrt(implied[ov.index(v), ov.index(v)]))
            records.append(estimate_row(v, "~1", "", "", nu, se_all[q_s + t], True, zq, nu, nu / sd_v))
        else:
            records.append(estimate_row(v, "~1", "", "", 0.0, 0.0, False, zq, 0.0, 0.0))
    estimates = pd.DataFrame.from_records(records, columns=ESTIMATE_COLUMNS)

    names = [""] * q
    for i, k in enumerate(free_of_row):
        if k >= 0 and not names[k]:
            r = rows[i]
            names[k] = r.label or f"{r.lhs}{r.op}{r.rhs}"
    names[q_s:] = th_names
    y_names = set(ov) | {r.lhs for r in rows if r.op == "~"}
    r2 = {}
    for i, r in enumerate(rows):
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in y_names:
            r2[r.lhs] = 1 - std_all[i]

    if not converged:
        warnings.warn(
            "The DWLS optimizer did not reach a stationary point; estimates, SEs and fit measures "
            "may be unreliable. Check the model's identification or simplify it.", stacklevel=3)
    neg = [r.lhs for r, e in zip(rows, est) if r.op == "~~" and r.lhs == r.rhs and e < 0]
    if neg:
        warnings.warn(
            f"Negative variance estimate(s) for {', '.join(neg)} (Heywood case): the solution is "
            "improper. Look for an item that nearly duplicates another, a factor with too few "
            "indicators, or a misspecified model before interpreting it.", stacklevel=3)
    state = WlsmvState(stats=st, delta=delta, w=w, e_inv=e_inv, theta=theta_all, chisq=chisq, df=df)
    return SemResult(
        estimates=estimates, fit_measures=fit_measures, r2=pd.Series(r2, dtype=float, name="r2"),
        implied_cov=pd.DataFrame(implied, index=ov, columns=ov),
        sample_cov=pd.DataFrame(st.cor, index=ov, columns=ov), n=N, estimator="WLSMV",
        vcov=pd.DataFrame(vcov, index=names, columns=names), converged=converged, model=model,
        _state=state,
    )


# ------------------------------------------------------------ notebook adapter


@dataclass(frozen=True)
class OrdinalCFA:
    """Summary of a simple-structure WLSMV CFA (see :func:`fit_dwls_cfa`).

    Parameters
    ----------
    loadings : DataFrame
        ``construct, item, std_all``: each item's standardized loading.
    factor_correlations : DataFrame
        The constructs' correlation matrix.
    srmr : float
        SRMR of the fit.
    n : int
        Rows used.
    polychoric : DataFrame
        The polychoric correlation matrix of the items.
    result : SemResult, optional
        The full fit from :func:`fit_wlsmv`.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> from hpmob.sem.ordinal import fit_dwls_cfa
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop"))
    >>> cfa = fit_dwls_cfa(d, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> cfa.n, cfa.loadings.shape, round(float(cfa.factor_correlations.loc["visual", "textual"]), 3)
    (301, (6, 3), 0.534)
    """

    loadings: pd.DataFrame  # construct, item, std_all
    factor_correlations: pd.DataFrame
    srmr: float
    n: int
    polychoric: pd.DataFrame
    result: SemResult | None = None


def fit_dwls_cfa(data: pd.DataFrame, constructs: dict[str, list[str]]) -> OrdinalCFA:
    """Fit a simple-structure CFA of ordinal items by :func:`fit_wlsmv` and summarize it.

    Parameters
    ----------
    data : DataFrame
        Ordinal item answers, one column per item.
    constructs : dict
        ``{construct: [items]}``; each item loads on one construct.

    Returns
    -------
    OrdinalCFA
        Standardized loadings, factor correlations, SRMR, n, the polychoric matrix and
        the full :class:`SemResult` (``.result``).

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> from hpmob.sem.ordinal import fit_dwls_cfa
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop"))
    >>> cfa = fit_dwls_cfa(d, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> cfa.loadings.round(3)
      construct item  std_all
    0    visual   x1    0.788
    1    visual   x2    0.500
    2    visual   x3    0.438
    3   textual   x4    0.819
    4   textual   x5    0.883
    5   textual   x6    0.878
    """
    items = [i for its in constructs.values() for i in its]
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise ValueError(f"items {', '.join(missing)} are not columns of the data")
    model = "\n".join(f"{c} =~ {' + '.join(its)}" for c, its in constructs.items())
    res = fit_wlsmv(model, data, ordered=items)
    e = res.estimates
    load = e[e["op"] == "=~"]
    loadings = pd.DataFrame({"construct": load["lhs"].to_numpy(), "item": load["rhs"].to_numpy(),
                             "std_all": load["std.all"].to_numpy()})
    factors = list(constructs)
    phi = pd.DataFrame(np.eye(len(factors)), index=factors, columns=factors)
    lvcov = e[(e["op"] == "~~") & e["lhs"].isin(factors) & e["rhs"].isin(factors) & (e["lhs"] != e["rhs"])]
    for a, b, v in zip(lvcov["lhs"], lvcov["rhs"], lvcov["std.all"]):
        phi.loc[a, b] = phi.loc[b, a] = v
    return OrdinalCFA(loadings, phi, float(res.fit_measures["srmr"]), res.n, res.sample_cov, res)

