"""The multigroup result, its fit measures and its estimates table.

:class:`MultigroupResult` (re-exported by :mod:`hpmob.sem` and :mod:`hpmob.sem.multigroup`),
lavaan's ``fitMeasures`` with complete data (:func:`fit_measures`) and under
``missing = "ml"`` (:func:`fiml_fit_measures`), ``parameterEstimates`` per group
(:func:`estimates_table`) and the chi-square difference test of two nested fits
(:func:`chisq_difference`). Split out of :mod:`hpmob.sem.multigroup` (issue #20).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import measures
from .fiml import baseline_minus2_loglik, casewise_scores
from .fiml import baseline_trace as fiml_baseline_trace
from .fiml import h1_trace as fiml_h1_trace
from .fit_result import RMSEA_CI_LEVEL, RMSEA_CLOSE_H0
from .information import yuan_bentler_mplus
from .multigroup_model import Model
from .standardize import standardize
from .structure import Ram

__all__ = ["MultigroupResult", "chisq_difference"]

ESTIMATE_COLUMNS = [
    "lhs", "op", "rhs", "group", "group_label", "label", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.lv", "std.all",
]  # fmt: skip


# ------------------------------------------------------------------------ result


@dataclass(frozen=True, eq=False)
class MultigroupResult:
    """Result of :func:`fit_multigroup`, laid out like lavaan's output.

    Parameters
    ----------
    estimates : pandas.DataFrame
        ``parameterEstimates(fit, standardized = TRUE)``: one row per parameter
        and group in lavaan's order (all rows of group 1, then group 2, ...),
        columns ``lhs, op, rhs, group, group_label, label, est, se, z, pvalue,
        ci.lower, ci.upper, std.lv, std.all``. ``group`` is lavaan's 1-based
        group number; parameters constrained equal across groups carry lavaan's
        label (``.p2.`` etc.).
    fit_measures : pandas.Series
        ``fitMeasures(fit)`` subset with lavaan's names.
    group_fit : pandas.DataFrame
        Per group: ``group, group_label, n, chisq`` (the group's contribution
        ``N_g F_g``, as lavaan's summary prints it), ``srmr``, ``logl``.
    r2 : pandas.DataFrame
        ``inspect(fit, "r2")`` per group (rows: groups, columns: variables).
    implied, sample : dict
        ``{group_label: {"cov": DataFrame, "mean": Series}}``; sample moments
        use the N_g divisor.
    n : int
        Total number of complete rows used.
    n_by_group : pandas.Series
        Complete rows per group (index: group labels).
    group, group_labels, group_equal, group_partial
        The grouping variable, the group labels in lavaan's order, and the
        constraints as given (normalised).
    estimator : str
        ``"ML"``.
    vcov : pandas.DataFrame
        Covariance of the free parameters (equal parameters counted once).
    converged : bool
        Whether the optimizer reached a stationary point.
    model : str
        The model syntax.
    missing : str
        ``"listwise"`` or ``"ml"`` (FIML).
    n_patterns : pandas.Series
        Number of missing-data patterns per group (1 with listwise deletion).
    convergence : str
        Empty when converged, else why not (e.g. the final gradient).
    improper : tuple of str
        Heywood cases and non-positive-definite latent covariance matrices, one
        sentence each; empty for a proper solution.
    se : str
        ``"standard"``, or ``"none"`` when the fit skipped the standard errors
        (lavaan's ``se = "none"``: ``se``, ``z``, ``pvalue``, the intervals and
        ``vcov`` are NaN; estimates and fit measures are unaffected).
    _state : object, optional
        The engine's fitted state, which the score tests, latent mean differences and the
        bootstrap read through :attr:`state`.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> res.group_labels, res.n_by_group.tolist(), res.group_equal
    (('Pasteur', 'Grant-White'), [156, 145], ('loadings',))
    >>> res.group_fit[["group_label", "n"]]
       group_label    n
    0      Pasteur  156
    1  Grant-White  145
    """

    estimates: pd.DataFrame
    fit_measures: pd.Series
    group_fit: pd.DataFrame
    r2: pd.DataFrame
    implied: dict
    sample: dict
    n: int
    n_by_group: pd.Series
    group: str
    group_labels: tuple
    group_equal: tuple
    group_partial: tuple
    estimator: str
    vcov: pd.DataFrame
    converged: bool
    model: str
    _state: Any = field(default=None, repr=False)
    missing: str = "listwise"
    n_patterns: pd.Series | None = None
    convergence: str = ""
    improper: tuple = ()
    se: str = "standard"

    def __repr__(self) -> str:
        fm = self.fit_measures
        eq = ", ".join(self.group_equal) or "none"
        return (
            f"MultigroupResult(group={self.group!r}, groups={len(self.group_labels)}, n={self.n}, "
            f"group_equal=[{eq}], npar={int(fm['npar'])}, chisq={fm['chisq']:.3f}, df={int(fm['df'])}, "
            f"cfi={fm['cfi']:.3f}, rmsea={fm['rmsea']:.3f}, srmr={fm['srmr']:.3f})"
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
        >>> from hpmob.sem import fit_multigroup
        >>> from semopy.examples import holzinger39
        >>> res = fit_multigroup("visual =~ x1 + x2 + x3", holzinger39.get_data(), "school")
        >>> res.state is not None
        True
        """
        return self._state


# --------------------------------------------------------------- fit measures


def fit_measures(mdl: Model, labels) -> tuple[pd.Series, pd.DataFrame]:
    """lavaan's fitMeasures with complete data, and the per-group fit table (``group_fit``)."""
    G, N, q = mdl.G, mdl.N, mdl.q
    p = mdl.blocks[0].p
    ndat = G * (p * (p + 1) // 2 + p)
    df = ndat - q
    chis, srmrs, logls, logls_h1, chis_b = [], [], [], [], []
    for b in mdl.blocks:
        fg = b.discrepancy()
        chis.append(b.N * fg)
        srmrs.append(measures.srmr_bentler(b.S, b.sigma, b.ybar, b.mu))
        logls.append(measures.normal_loglik(b.S, b.sigma, b.N, b.ybar, b.mu))
        logls_h1.append(measures.normal_loglik(b.S, b.S, b.N))
        # independence model: variances and means free per group
        chis_b.append(b.N * (np.sum(np.log(np.diag(b.S))) - b.logdet_S))
    chisq = max(float(np.sum(chis)), 0.0)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan
    chisq_b = float(np.sum(chis_b))
    df_b = ndat - G * 2 * p
    pvalue_b = float(stats.chi2.sf(chisq_b, df_b)) if df_b > 0 else math.nan
    logl, logl_h1 = float(np.sum(logls)), float(np.sum(logls_h1))
    fm = {
        "npar": q,
        "fmin": chisq / N / 2,
        "chisq": chisq,
        "df": df,
        "pvalue": pvalue,
        "baseline.chisq": chisq_b,
        "baseline.df": df_b,
        "baseline.pvalue": pvalue_b,
        "cfi": measures.cfi(chisq, df, chisq_b, df_b),
        "tli": measures.tli(chisq, df, chisq_b, df_b),
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + math.log(N) * q,
        "ntotal": N,
    }
    sg = math.sqrt(G)
    fm["rmsea"] = measures.rmsea(chisq, df, N) * sg
    lo, hi = measures.rmsea_ci(chisq, df, N, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = lo * sg, hi * sg
    # Dudgeon (2004): the close-fit non-centrality is divided by G
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, N, h0=RMSEA_CLOSE_H0 / sg)
    fm["srmr"] = float(np.sum(mdl.w * np.array(srmrs)))
    group_fit = pd.DataFrame(
        {
            "group": np.arange(1, G + 1),
            "group_label": labels,
            "n": [b.N for b in mdl.blocks],
            "chisq": chis,
            "srmr": srmrs,
            "logl": logls,
        }
    )
    return pd.Series(fm, dtype=float, name="value"), group_fit


def first_order_fiml(mdl: Model) -> np.ndarray:
    """Unit first-order information ``sum_i s_i s_i' / N`` from the casewise scores of every group."""
    blocks = []
    for b in mdl.blocks:
        ram = Ram(mdl.pm.ov, mdl.pm.lv)
        ram.A, ram.P, ram.m = b.A, b.P, b.m
        groups: list[list] = [[] for _ in range(mdl.q)]
        for e in b.free:
            groups[e.theta].append(e.pos)
        dS, dmu = ram.derivatives(groups)
        blocks.append(casewise_scores(b.sigma, b.mu, b.patterns, dS, dmu))
    sc = np.vstack(blocks)
    return sc.T @ sc / mdl.N


def fiml_fit_measures(mdl: Model, labels, robust=None) -> tuple[pd.Series, pd.DataFrame]:
    """lavaan's fitMeasures under ``missing = "ml"``.

    The chi-square is the likelihood-ratio statistic against the EM-estimated
    saturated model, ``2 (logl_h1 - logl)``, and the baseline chi-square the same
    against the independence model; SRMR compares the implied moments with the EM
    moments (lavaan uses the h1 estimates as "sample" statistics). RMSEA, CFI and
    TLI then follow from these exactly as with complete data.
    """
    G, N, q = mdl.G, mdl.N, mdl.q
    p = mdl.blocks[0].p
    ndat = G * (p * (p + 1) // 2 + p)
    df = ndat - q
    chis, srmrs, logls, m2ll_h1, chis_b = [], [], [], [], []
    for b in mdl.blocks:
        b.discrepancy()
        chis.append(b.m2ll - b.m2ll_h1)
        srmrs.append(measures.srmr_bentler(b.S, b.sigma, b.ybar, b.mu))
        logls.append(-b.m2ll / 2)
        m2ll_h1.append(b.m2ll_h1)
        chis_b.append(baseline_minus2_loglik(b.patterns) - b.m2ll_h1)
    chisq = max(float(np.sum(chis)), 0.0)
    chisq_b = float(np.sum(chis_b))
    df_b = ndat - G * 2 * p
    logl, logl_h1 = float(np.sum(logls)), -float(np.sum(m2ll_h1)) / 2
    fm = {
        "npar": q,
        "fmin": chisq / N / 2,
        "chisq": chisq,
        "df": df,
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan,
        "baseline.chisq": chisq_b,
        "baseline.df": df_b,
        "baseline.pvalue": float(stats.chi2.sf(chisq_b, df_b)) if df_b > 0 else math.nan,
        "cfi": measures.cfi(chisq, df, chisq_b, df_b),
        "tli": measures.tli(chisq, df, chisq_b, df_b),
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + math.log(N) * q,
        "ntotal": N,
    }
    sg = math.sqrt(G)
    fm["rmsea"] = measures.rmsea(chisq, df, N) * sg
    lo, hi = measures.rmsea_ci(chisq, df, N, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = lo * sg, hi * sg
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, N, h0=RMSEA_CLOSE_H0 / sg)
    fm["srmr"] = float(np.sum(mdl.w * np.array(srmrs)))
    if robust is not None:
        # Yuan-Bentler (Mplus variant) scaling: c = (tr(A1^-1 B1) - tr(A0^-1 B0)) / df, with the
        # h1 information at the EM (unrestricted) moments, as lavaan's test does
        A0, B0 = robust
        trace_h1 = sum(fiml_h1_trace(b.S, b.ybar, b.patterns) for b in mdl.blocks)
        c, trace_ug, sf_h1, sf_h0 = yuan_bentler_mplus(trace_h1, ndat, A0, B0, df)
        sf_h0 *= q / mdl.nx  # lavaan divides tr(A0^-1 B0) by the free rows, equal ones counted apart
        trace_b = sum(fiml_baseline_trace(b.patterns) for b in mdl.blocks)
        c_b = (trace_h1 - trace_b) / df_b if df_b > 0 else math.nan
        fm.update({
            "chisq.scaled": chisq / c,
            "df.scaled": df,
            "pvalue.scaled": float(stats.chi2.sf(chisq / c, df)) if df > 0 else math.nan,
            "chisq.scaling.factor": c,
            "baseline.chisq.scaled": chisq_b / c_b,
            "baseline.df.scaled": df_b,
            "baseline.pvalue.scaled": float(stats.chi2.sf(chisq_b / c_b, df_b)) if df_b > 0 else math.nan,
            "baseline.chisq.scaling.factor": c_b,
            "cfi.scaled": measures.cfi(chisq / c, df, chisq_b / c_b, df_b),
            "tli.scaled": measures.tli(chisq / c, df, chisq_b / c_b, df_b),
            "scaling.factor.h1": sf_h1,
            "scaling.factor.h0": sf_h0,
        })  # fmt: skip
        # lavaan's "scaled" RMSEA keeps X2 and replaces df by tr(U Gamma) = c * df.
        fm["rmsea.scaled"] = measures.rmsea(chisq, trace_ug, N) * sg
        lo, hi = measures.rmsea_ci(chisq, trace_ug, N, level=RMSEA_CI_LEVEL)
        fm["rmsea.ci.lower.scaled"], fm["rmsea.ci.upper.scaled"] = lo * sg, hi * sg
        # Robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei & Li 2012) from
        # the scaling factors, as lavaan with complete data. Under missing data lavaan follows Zhang &
        # Savalei (2021) instead, which is not implemented: NaN rather than a number that is not lavaan's.
        complete = all(np.isfinite(b.patterns.X).all() for b in mdl.blocks)
        fm["cfi.robust"] = measures.cfi(chisq, df, chisq_b, df_b, c, c_b) if complete else math.nan
        fm["tli.robust"] = measures.tli(chisq, df, chisq_b, df_b, c, c_b) if complete else math.nan
        fm["rmsea.robust"] = measures.rmsea(chisq, df, N, c_hat=c) * sg if complete else math.nan
    group_fit = pd.DataFrame(
        {
            "group": np.arange(1, G + 1),
            "group_label": labels,
            "n": [b.N for b in mdl.blocks],
            "chisq": chis,
            "srmr": srmrs,
            "logl": logls,
        }
    )
    return pd.Series(fm, dtype=float, name="value"), group_fit


# ------------------------------------------------------------------ estimates


def estimates_table(mdl: Model, theta, vcov, labels, ci):
    """parameterEstimates(fit, standardized = TRUE) and inspect(fit, "r2"), per group."""
    pm = mdl.pm
    zq = stats.norm.ppf(1 - (1 - ci) / 2)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    cols: dict[str, list] = {k: [] for k in ("lhs", "op", "rhs", "group", "group_label", "label")}
    est_all, se_all, free_all, slv_all, sall_all = [], [], [], [], []
    r2_rows = {}
    y_names = {r.rhs for r in pm.rows if r.op == "=~"} | {r.lhs for r in pm.rows if r.op == "~"}
    for g, b in enumerate(mdl.blocks):
        rows = [e.row for e in b.entries]
        est = np.array([theta[e.theta] if e.free else e.value for e in b.entries], dtype=float)
        ram = Ram(pm.ov, pm.lv)
        ram.A, ram.P, ram.m = b.A, b.P, b.m
        std_lv, std_all = standardize(rows, est, pm.lv, pm.ov, b.V, ram)
        r2 = {}
        for i, e in enumerate(b.entries):
            r = e.row
            for k, v in (("lhs", r.lhs), ("op", r.op), ("rhs", r.rhs), ("group", g + 1),
                         ("group_label", labels[g]), ("label", e.out_label)):  # fmt: skip
                cols[k].append(v)
            se_all.append(se_free[e.theta] if e.free else 0.0)
            free_all.append(e.free)
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in y_names:
                val = 1 - std_all[i]
                r2[r.lhs] = val if val <= 1 else math.nan
        est_all.append(est)
        slv_all.append(std_lv)
        sall_all.append(std_all)
        r2_rows[labels[g]] = r2
    est = np.concatenate(est_all)
    se = np.array(se_all)
    test = np.array(free_all) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(test, est / se, np.nan)
    # fixed parameters: lavaan shows se = 0, no z or p, and the value as both interval ends
    out = pd.DataFrame(cols)
    out["est"] = est
    out["se"] = se
    out["z"] = z
    out["pvalue"] = np.where(test, 2 * stats.norm.sf(np.abs(z)), np.nan)
    # no standard error (se = "none"): no interval either, not the point as both ends
    out["ci.lower"] = np.where(np.isnan(se), np.nan, np.where(test, est - zq * se, est))
    out["ci.upper"] = np.where(np.isnan(se), np.nan, np.where(test, est + zq * se, est))
    out["std.lv"] = np.concatenate(slv_all)
    out["std.all"] = np.concatenate(sall_all)
    r2 = pd.DataFrame.from_dict(r2_rows, orient="index")
    r2.index.name = "group_label"
    return out[ESTIMATE_COLUMNS], r2


# ------------------------------------------------------------ model comparison


def chisq_difference(less: MultigroupResult, more: MultigroupResult) -> dict:
    """Test the chi-square difference of two nested multigroup fits, as ``lavTestLRT(less, more)``.

    ML: the difference of the two statistics. MLR: the scaled difference of Satorra &
    Bentler (2001), ``(T₀ − T₁) / c_d`` with ``c_d = (df₀c₀ − df₁c₁) / (df₀ − df₁)`` and
    ``c`` each model's scaling factor (NaN when ``c_d`` is not positive, lavaan's NA).

    Parameters
    ----------
    less, more : MultigroupResult
        The less and the more constrained model (either order is accepted; the
        models are sorted by df, as lavaan does).

    Returns
    -------
    dict
        ``chisq_diff``, ``df_diff``, ``p``, ``method`` and lavaan's ``rmsea`` of the
        difference, ``sqrt(max(0, (dchisq - ddf) / (N ddf))) * sqrt(G)``.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from hpmob.sem.multigroup import chisq_difference
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> configural = fit_multigroup(m, hs, "school")
    >>> metric = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> test = chisq_difference(configural, metric)
    >>> round(test["chisq_diff"], 3), test["df_diff"], test["method"]
    (8.192, 6.0, 'standard')
    """
    a, b = sorted([less, more], key=lambda r: r.fit_measures["df"])
    fa, fb = a.fit_measures, b.fit_measures
    d_chi = float(fb["chisq"] - fa["chisq"])
    d_df = float(fb["df"] - fa["df"])
    method = "standard"
    if a.estimator == "MLR" or b.estimator == "MLR":
        if a.estimator != b.estimator:
            raise ValueError(f"Both fits need the same estimator ({a.estimator} vs {b.estimator}).")
        c1 = float(fa["chisq.scaling.factor"]) if fa["df"] > 0 else 1.0
        cd = (fb["df"] * fb["chisq.scaling.factor"] - fa["df"] * c1) / d_df if d_df > 0 else math.nan
        d_chi = d_chi / cd if cd > 0 else math.nan
        method = "satorra.bentler.2001"
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else math.nan
    N, G = float(fb["ntotal"]), len(b.group_labels)
    rm = math.sqrt(max(0.0, (d_chi - d_df) / (N * d_df))) * math.sqrt(G) if d_df > 0 and np.isfinite(d_chi) \
        else math.nan
    return {"chisq_diff": d_chi, "df_diff": d_df, "p": p, "rmsea": rm, "method": method}
