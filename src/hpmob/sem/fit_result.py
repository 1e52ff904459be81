"""The result of a single-group fit, its fit measures and its estimates table.

:class:`SemResult` (re-exported by :mod:`hpmob.sem` and :mod:`hpmob.sem.fit`), the state the
engine hands over after estimation (:class:`Fitted`), lavaan's ``fitMeasures``
(:func:`compute_fit_measures`) and ``parameterEstimates`` with the ``:=`` rows
(:func:`parameter_table`). Split out of :mod:`hpmob.sem.fit` (issue #20), which keeps the
entry and the estimation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from . import measures
from .defined import Expression, jacobian
from .information import first_order_information, h1_trace, yuan_bentler_mplus
from .standardize import standardize
from .structure import Ram
from .syntax import ParsedModel, suggest

__all__ = ["SemResult", "RMSEA_CI_LEVEL", "RMSEA_CLOSE_H0"]


#: Level of the RMSEA confidence interval (lavaan's default; Browne & Cudeck 1993).
RMSEA_CI_LEVEL = 0.90
#: H0 of the close-fit test, RMSEA <= .05 (Browne & Cudeck 1993; lavaan ``rmsea.close.h0``).
RMSEA_CLOSE_H0 = 0.05

ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.lv", "std.all"]


@dataclass(frozen=True, eq=False)
class SemResult:
    """Result of :func:`fit`, laid out like lavaan's output.

    Parameters
    ----------
    estimates : pandas.DataFrame
        ``parameterEstimates(fit, standardized = TRUE)``: one row per parameter in
        lavaan's order, columns ``lhs, op, rhs, label, est, se, z, pvalue,
        ci.lower, ci.upper, std.lv, std.all``. (A multigroup fit would add a
        ``group`` column; single-group tables have none.)
    fit_measures : pandas.Series
        ``fitMeasures(fit)`` subset with lavaan's names.
    r2 : pandas.Series
        ``inspect(fit, "r2")``.
    implied_cov, sample_cov : pandas.DataFrame
        Model-implied and sample covariance (N divisor) of the observed variables.
    n : int
        Number of complete rows used.
    estimator : str
        ``"ML"`` or ``"MLR"``.
    vcov : pandas.DataFrame
        Covariance matrix of the free parameters (named by label, else ``lhs op rhs``).
    converged : bool
        Whether the optimizer reached a stationary point.
    model : str
        The model syntax as given.
    implied_mean, sample_mean : pandas.Series or None
        Only with ``meanstructure=True`` (always with ``missing="ml"``).
    missing : str
        ``"listwise"`` or ``"ml"`` (FIML). With ``"ml"``, ``sample_cov`` and
        ``sample_mean`` are the EM estimates of the saturated model (lavaan's
        ``lavInspect(fit, "sampstat")``).
    n_patterns : int
        Number of missing-data patterns among the rows used (1 with listwise deletion).
    convergence : str
        Empty when converged, else why not.
    improper : tuple of str
        Heywood cases and a non-positive-definite latent covariance matrix, one
        sentence each; empty for a proper solution.
    _state : object, optional
        The engine's fitted state, which :func:`hpmob.sem.modification_indices` and the
        bootstrap read through :attr:`state`.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from hpmob.sem import fit
    >>> res = fit("visual =~ x1 + x2 + x3", holzinger39.get_data())
    >>> res.n, res.estimator, res.converged, res.improper
    (301, 'ML', True, ())
    >>> res.estimates[["lhs", "op", "rhs", "est"]].head(3).round(3)
          lhs  op rhs    est
    0  visual  =~  x1  1.000
    1  visual  =~  x2  0.778
    2  visual  =~  x3  1.107
    """

    estimates: pd.DataFrame
    fit_measures: pd.Series
    r2: pd.Series
    implied_cov: pd.DataFrame
    sample_cov: pd.DataFrame
    n: int
    estimator: str
    vcov: pd.DataFrame
    converged: bool
    model: str
    implied_mean: pd.Series | None = None
    sample_mean: pd.Series | None = None
    _state: Any = field(default=None, repr=False)
    missing: str = "listwise"
    n_patterns: int = 1
    convergence: str = ""
    improper: tuple = ()

    def __repr__(self) -> str:  # a short summary; the tables are attributes
        fm = self.fit_measures
        return (
            f"SemResult(estimator={self.estimator!r}, n={self.n}, npar={int(fm['npar'])}, "
            f"chisq={fm['chisq']:.3f}, df={int(fm['df'])}, cfi={fm['cfi']:.3f}, "
            f"rmsea={fm['rmsea']:.3f}, srmr={fm['srmr']:.3f})"
        )

    @property
    def state(self) -> Any:
        """Return the engine's fitted state, which the package's other modules read.

        Internal to :mod:`hpmob.sem` (score tests, modification indices, the bootstrap,
        latent mean differences): its type depends on how the model was fitted and may
        change without notice; the other attributes are the stable API.

        Returns
        -------
        object or None
            The state the result was built with; None for a result built without one.

        Examples
        --------
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem import fit
        >>> res = fit("visual =~ x1 + x2 + x3", holzinger39.get_data())
        >>> res.state is not None
        True
        """
        return self._state


def param_name(r) -> str:
    """A free parameter's name in ``vcov`` and the bootstrap table: its label, else ``lhs op rhs``."""
    return r.label or (f"{r.lhs}{r.op}" if r.op == "~1" else f"{r.lhs}{r.op}{r.rhs}")


@dataclass
class Fitted:
    """Internal state shared by the steps after estimation (``SemResult.state`` of a complete-data fit)."""

    pm: ParsedModel
    N: int
    S: np.ndarray
    ybar: np.ndarray
    Yc: np.ndarray
    free_of_row: list[int]
    groups: list[list]
    theta: np.ndarray
    est: np.ndarray
    ram: Ram
    sigma: np.ndarray
    mu: np.ndarray
    dS: np.ndarray
    dmu: np.ndarray | None  # only with a mean structure
    converged: bool

    @property
    def q(self) -> int:
        return len(self.groups)



# ------------------------------------------------------------------ tables


def ml_discrepancy(sigma, S) -> float:
    """F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p; inf when Sigma is not positive definite."""
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return math.inf
    _, logdet_s = np.linalg.slogdet(S)
    return float(logdet + np.sum(S * np.linalg.inv(sigma)) - logdet_s - S.shape[0])


def compute_fit_measures(f: Fitted, robust) -> pd.Series:
    """lavaan's fitMeasures (see measures.py for why each is computed here)."""
    pm, S, N, q = f.pm, f.S, f.N, f.q
    ms = pm.meanstructure
    p = S.shape[0]
    pstar = p * (p + 1) // 2
    px = len(pm.ov_x)
    # lav_partable_ndat: fixed.x moments are not data
    ndat = pstar + (p if ms else 0) - (px * (px + 1) // 2 + (px if ms else 0))
    df = ndat - q
    chisq = max(N * ml_discrepancy(f.sigma, S), 0.0)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan  # lavaan: NA when df = 0

    # independence (baseline) model: variances (and means) only; fixed.x block kept
    nox = [i for i, v in enumerate(pm.ov) if v not in pm.ov_x]
    x_idx = [i for i, v in enumerate(pm.ov) if v in pm.ov_x]
    sigma_b = np.zeros_like(S)
    sigma_b[nox, nox] = np.diag(S)[nox]
    if x_idx:
        sigma_b[np.ix_(x_idx, x_idx)] = S[np.ix_(x_idx, x_idx)]
    df_b = ndat - len(nox) * (2 if ms else 1)
    chisq_b = max(N * ml_discrepancy(sigma_b, S), 0.0)
    pvalue_b = float(stats.chi2.sf(chisq_b, df_b)) if df_b > 0 else math.nan

    logl = measures.normal_loglik(S, f.sigma, N)
    logl_h1 = measures.normal_loglik(S, S, N)
    if x_idx:
        # lavaan subtracts the marginal log-likelihood of the fixed x covariates
        Sxx = S[np.ix_(x_idx, x_idx)]
        lx = measures.normal_loglik(Sxx, Sxx, N)
        logl, logl_h1 = logl - lx, logl_h1 - lx

    fm: dict[str, float] = {"npar": q, "chisq": chisq, "df": df, "pvalue": pvalue}
    if robust is not None:
        A0, B0 = robust
        trace_h1 = h1_trace(f.Yc, S, ms)
        ndat_h1 = pstar + (p if ms else 0)
        c, trace_ug, sf_h1, sf_h0 = yuan_bentler_mplus(trace_h1, ndat_h1, A0, B0, df)
        A_b, B_b = _baseline_information(f.Yc, S, sigma_b, nox, ms)
        c_b = yuan_bentler_mplus(trace_h1, ndat_h1, A_b, B_b, df_b)[0]
        fm.update(
            {
                "chisq.scaled": chisq / c,
                "df.scaled": df,
                "pvalue.scaled": float(stats.chi2.sf(chisq / c, df)) if df > 0 else math.nan,
                "chisq.scaling.factor": c,
            }
        )
    fm.update({"baseline.chisq": chisq_b, "baseline.df": df_b, "baseline.pvalue": pvalue_b})
    if robust is not None:
        fm.update(
            {
                "baseline.chisq.scaled": chisq_b / c_b,
                "baseline.df.scaled": df_b,
                "baseline.pvalue.scaled": float(stats.chi2.sf(chisq_b / c_b, df_b)) if df_b > 0 else math.nan,
                "baseline.chisq.scaling.factor": c_b,
            }
        )
    fm["cfi"] = measures.cfi(chisq, df, chisq_b, df_b)
    fm["tli"] = measures.tli(chisq, df, chisq_b, df_b)
    if robust is not None:
        fm["cfi.scaled"] = measures.cfi(chisq / c, df, chisq_b / c_b, df_b)
        fm["tli.scaled"] = measures.tli(chisq / c, df, chisq_b / c_b, df_b)
        fm["cfi.robust"] = measures.cfi(chisq, df, chisq_b, df_b, c, c_b)
        fm["tli.robust"] = measures.tli(chisq, df, chisq_b, df_b, c, c_b)
    fm["logl"] = logl
    fm["unrestricted.logl"] = logl_h1
    fm["aic"] = -2 * logl + 2 * q
    fm["bic"] = -2 * logl + math.log(N) * q
    fm["ntotal"] = N
    if robust is not None:
        fm["scaling.factor.h1"] = sf_h1
        fm["scaling.factor.h0"] = sf_h0
    fm["rmsea"] = measures.rmsea(chisq, df, N)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = measures.rmsea_ci(chisq, df, N, level=RMSEA_CI_LEVEL)
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, N, h0=RMSEA_CLOSE_H0)
    if robust is not None:
        # lavaan's "scaled" RMSEA keeps X2 and replaces df by tr(U Gamma) = c * df
        fm["rmsea.scaled"] = measures.rmsea(chisq, trace_ug, N)
        lo, hi = measures.rmsea_ci(chisq, trace_ug, N, level=RMSEA_CI_LEVEL)
        fm["rmsea.ci.lower.scaled"], fm["rmsea.ci.upper.scaled"] = lo, hi
        fm["rmsea.pvalue.scaled"] = measures.rmsea_closefit(chisq, trace_ug, N, h0=RMSEA_CLOSE_H0)
        # robust RMSEA (Brosseau-Liard, Savalei & Li 2012; Savalei 2018); its CI and
        # close-fit test start from the scaled statistic X2 / c
        fm["rmsea.robust"] = measures.rmsea(chisq, df, N, c_hat=c)
        lo, hi = measures.rmsea_ci(chisq / c, df, N, c_hat=c, level=RMSEA_CI_LEVEL)
        fm["rmsea.ci.lower.robust"], fm["rmsea.ci.upper.robust"] = lo, hi
        fm["rmsea.pvalue.robust"] = measures.rmsea_closefit(chisq / c, df, N, c_hat=c, h0=RMSEA_CLOSE_H0)
    # lavaan's default "srmr" is srmr_bentler (with the means if there is a mean structure)
    fm["srmr"] = measures.srmr_bentler(S, f.sigma, f.ybar if ms else None, f.mu if ms else None)
    return pd.Series(fm, dtype=float, name="value")


def _baseline_information(Yc, S, sigma_b, nox, ms):
    """Observed and first-order information of the independence model at its estimate.

    With Sigma = diag(s_jj) the Hessian of F_ML / 2 is diagonal, 1 / (2 s_jj^2);
    the mean block (saturated) is diag(1 / s_jj).
    """
    p = S.shape[0]
    k = len(nox)
    dS_b = np.zeros((k * (2 if ms else 1), p, p))
    for a, j in enumerate(nox):
        dS_b[a, j, j] = 1.0
    diag = [1 / (2 * S[j, j] ** 2) for j in nox]
    dmu_b = None
    if ms:
        dmu_b = np.zeros((p, 2 * k))
        for a, j in enumerate(nox):
            dmu_b[j, k + a] = 1.0
        diag += [1 / S[j, j] for j in nox]
    return np.diag(diag), first_order_information(Yc, sigma_b, dS_b, dmu_b)


def parameter_table(f: Fitted, vcov: np.ndarray, ci: float):
    """parameterEstimates(fit, standardized = TRUE) and inspect(fit, "r2")."""
    pm, rows, est, free_of_row = f.pm, f.pm.rows, f.est, f.free_of_row
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    _, V_all, _ = f.ram.solve()
    std_lv, std_all = standardize(rows, est, pm.lv, pm.ov, V_all, f.ram)

    zq = stats.norm.ppf(1 - (1 - ci) / 2)
    records = []
    for i, r in enumerate(rows):
        k = free_of_row[i]
        se = se_free[k] if k >= 0 else 0.0
        records.append(estimate_row(r.lhs, r.op, r.rhs, r.label, est[i], se, k >= 0, zq, std_lv[i], std_all[i]))
    records += defined_records(pm, rows, est, free_of_row, f.theta, vcov, std_lv, std_all, zq)
    estimates = pd.DataFrame.from_records(records, columns=ESTIMATE_COLUMNS)

    # R2 of indicators and regression outcomes: 1 - standardized residual variance
    y_names = {r.rhs for r in rows if r.op == "=~"} | {r.lhs for r in rows if r.op == "~"}
    r2 = {}
    for i, r in enumerate(rows):
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in y_names:
            val = 1 - std_all[i]
            r2[r.lhs] = val if val <= 1 else math.nan
    return estimates, pd.Series(r2, dtype=float, name="r2")


def defined_records(pm, rows, est, free_of_row, theta, vcov, std_lv, std_all, zq) -> list[dict]:
    """Rows of the ``:=`` parameters: values, delta-method SEs, and lavaan's standardized
    versions (the ``:=`` function applied to the standardized parameters)."""
    label_value, label_std = {}, {}
    for i, r in enumerate(rows):
        if r.label and r.label not in label_value:
            label_value[r.label] = est[i]
            label_std[r.label] = (std_lv[i], std_all[i])
    exprs = [Expression(name, text) for name, text in pm.defined]
    known = set(label_value)
    for e in exprs:
        unknown = [n for n in e.names if n not in known]
        if unknown:
            raise ValueError(
                f"The defined parameter {e.name} := {e.text} uses {', '.join(map(repr, unknown))}, "
                f"which is not a parameter label.{suggest(unknown[0], known)}"
            )
        known.add(e.name)
    if not exprs:
        return []

    def eval_defined(values: dict[str, float]) -> np.ndarray:
        vals = dict(values)
        out = []
        for e in exprs:
            vals[e.name] = e(vals)
            out.append(vals[e.name])
        return np.array(out)

    label_free = {r.label: free_of_row[i] for i, r in enumerate(rows) if r.label and free_of_row[i] >= 0}

    def as_function(th):
        vals = dict(label_value)
        for lab, k in label_free.items():
            vals[lab] = th[k]
        return eval_defined(vals)

    def_est = eval_defined(label_value)
    Jd = jacobian(as_function, theta)
    def_se = np.sqrt(np.clip(np.diag(Jd @ vcov @ Jd.T), 0, None))
    def_std_lv = eval_defined({k: v[0] for k, v in label_std.items()})
    def_std_all = eval_defined({k: v[1] for k, v in label_std.items()})
    return [
        estimate_row(e.name, ":=", e.text, e.name, def_est[j], def_se[j], True, zq, def_std_lv[j], def_std_all[j])
        for j, e in enumerate(exprs)
    ]


def estimate_row(lhs, op, rhs, label, est, se, free, zq, std_lv, std_all) -> dict:
    """One row of the estimates table: z, p and the Wald interval (the value itself at both ends when fixed)."""
    if free and se > 0:
        z = est / se
        # scipy's norm.sf is ndtr(-x); called per row it costs 0.1 ms of argument checks
        pv = 2 * float(special.ndtr(-abs(z)))
        lo, hi = est - zq * se, est + zq * se
    else:
        z = pv = math.nan
        lo = hi = est
    return {
        "lhs": lhs,
        "op": op,
        "rhs": rhs,
        "label": label,
        "est": est,
        "se": se,
        "z": z,
        "pvalue": pv,
        "ci.lower": lo,
        "ci.upper": hi,
        "std.lv": std_lv,
        "std.all": std_all,
    }
