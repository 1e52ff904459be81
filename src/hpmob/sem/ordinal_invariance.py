"""Measurement invariance of ordinal items: Wu & Estabrook (2016) with lavaan's WLSMV.

The sequence and identification are those of semTools
``measEq.syntax(ID.cat = "Wu.Estabrook.2016", ID.fac = "std.lv", parameterization = "delta")``:

========== =========================================================================
step       constraints (group 1 is the reference; "free" means in groups 2…G)
========== =========================================================================
configural thresholds and loadings free in every group; intercepts 0, scaling
           factors 1, latent means 0, latent variances 1
thresholds thresholds equal; intercepts and scaling factors free
metric     + loadings equal; latent variances free
scalar     + intercepts equal (so 0); latent means free
========== =========================================================================

Each group's sample statistics are its thresholds, polychorics and NACOV
(``polychoric.py``); the model implies, in the delta parameterization,
``corr(y*) = D Λ Ψ Λᵀ D`` off the diagonal and thresholds ``D (τ − ν − Λα)``, ``D`` the
scaling factors. Estimation, SEs and the scaled-shifted test follow lavaan 0.6-14 for
several groups: ``F = Σ_g (N_g/N) · ½ (N_g − 1)/N_g Σ w_g d_g²``, information
``Σ_g (N_g/N) Δ_gᵀW_gΔ_g``, robust covariance divided by ``N − G``, and ``UΓ`` from the
stacked groups (``lav_test_satorra_bentler``). Checked against lavaan and semTools in
``tests/test_sem_ordinal_invariance.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from . import measures
from .fit import (
    ESTIMATE_COLUMNS,
    RMSEA_CI_LEVEL,
    SemResult,
    _row,
    _standardize,
)
from .invariance import _criteria, _holds
from .multigroup import _group_labels
from .ordinal import scaled_shifted
from .polychoric import OrdinalStats, ordinal_stats
from .structure import Ram
from .syntax import parse_model, suggest

__all__ = ["ORDINAL_STEPS", "fit_ordinal_multigroup", "ordinal_difference_test", "ordinal_invariance"]

#: The Wu & Estabrook (2016) sequence: which parameter sets are equal across groups.
ORDINAL_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts"),
}

ORDINAL_TABLE_COLUMNS = [
    "model", "npar", "chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
    "delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "decision",
]  # fmt: skip


@dataclass
class _Par:
    """One parameter of one group: where it acts and which free parameter (or value) it is."""

    group: int
    lhs: str
    op: str
    rhs: str
    free: int  # index into theta, -1 if fixed
    value: float  # the fixed value (or start)
    user_row: int = -1  # index of the parsed row for =~ / ~ / ~~ rows


@dataclass
class MultigroupOrdinalState:
    """What a difference test needs from a multigroup WLSMV fit."""

    stats: list[OrdinalStats]
    delta: list[np.ndarray]
    w: list[np.ndarray]
    e_inv: np.ndarray
    n: list[int]


def _partial_key(entry: str) -> tuple[str, str, str]:
    s = entry.replace(" ", "")
    for op in ("=~", "~~", "~*~", "|"):
        if op in s:
            lhs, rhs = s.split(op, 1)
            return lhs, op, rhs
    if s.endswith("~1"):
        return s[:-2], "~1", ""
    raise ValueError(f"Cannot read the group_partial entry {entry!r}; write e.g. 'f=~x2', 'x3|t1' or 'x3~1'.")


def _build(pm, st0: OrdinalStats, G: int, equal: tuple, partial: set):
    """The parameter list of every group under the Wu & Estabrook identification."""
    ov, lv = pm.ov, pm.lv
    pars: list[_Par] = []
    nfree = 0
    shared: dict[tuple, int] = {}

    def add(g, lhs, op, rhs, kind, free, value, row=-1):
        nonlocal nfree
        key = (lhs, op, rhs)
        if not free:
            pars.append(_Par(g, lhs, op, rhs, -1, value, row))
            return
        if kind in equal and key not in partial:
            if key not in shared:
                shared[key] = nfree
                nfree += 1
            k = shared[key]
        else:
            k = nfree
            nfree += 1
        pars.append(_Par(g, lhs, op, rhs, k, value, row))

    for g in range(G):
        ref = g == 0
        for i, r in enumerate(pm.rows):
            if r.op == "=~":
                free = not r.fixed_by_user
                add(g, r.lhs, r.op, r.rhs, "loadings", free, 0.7 if free else r.ustart, i)
            elif r.op == "~":
                add(g, r.lhs, r.op, r.rhs, "regressions", r.free, 0.0 if r.free else r.ustart, i)
        for v, th in zip(ov, st0.thresholds):
            for k, t in enumerate(th):
                add(g, v, "|", f"t{k + 1}", "thresholds", True, float(t))
        for i, r in enumerate(pm.rows):
            if r.op != "~~":
                continue
            if r.lhs == r.rhs and r.lhs in ov:
                continue  # delta parameterization: derived
            if r.lhs == r.rhs and r.lhs in lv and not r.fixed_by_user:
                # std.lv: 1 in group 1; free in the others once loadings are equal
                key = (r.lhs, r.op, r.rhs)
                free = (not ref) and ("loadings" in equal) and key not in partial
                add(g, r.lhs, r.op, r.rhs, "lv.variances", free, 1.0, i)
            else:
                add(g, r.lhs, r.op, r.rhs, "lv.covariances", r.free, 0.0 if r.free else r.ustart, i)
        for v in ov:
            # scaling factors: 1 in group 1 and in the configural model, free otherwise
            add(g, v, "~*~", v, "scaling", (not ref) and "thresholds" in equal, 1.0)
        for v in ov:
            key = (v, "~1", "")
            free_nu = (not ref) and "thresholds" in equal and ("intercepts" not in equal or key in partial)
            add(g, v, "~1", "", "intercepts", free_nu, 0.0)
        for f in lv:
            add(g, f, "~1", "", "means", (not ref) and "intercepts" in equal, 0.0)
    return pars, nfree


class _Model:
    def __init__(self, pm, stats_list: list[OrdinalStats], pars: list[_Par], q: int):
        self.pm, self.st, self.pars, self.q = pm, stats_list, pars, q
        self.G = len(stats_list)
        ov, lv = pm.ov, pm.lv
        self.ov, self.lv = ov, lv
        self.p = len(ov)
        self.ram = Ram(ov, lv)
        self.by_group = [[x for x in pars if x.group == g] for g in range(self.G)]
        self.oix = {v: i for i, v in enumerate(ov)}
        st0 = stats_list[0]
        self.nth = len(st0.threshold_names)
        self.th_item = np.repeat(np.arange(self.p), [len(t) for t in st0.thresholds])
        self.pairs = st0.pairs
        self.pi = np.array([i for i, _ in self.pairs], dtype=int)
        self.pj = np.array([j for _, j in self.pairs], dtype=int)
        self.th_index = {name: t for t, name in enumerate(st0.threshold_names)}
        self.w = [1 / np.diag(s.nacov) for s in stats_list]
        self.n = [s.n for s in stats_list]

    def value(self, x: _Par, theta):
        return theta[x.free] if x.free >= 0 else x.value

    def group_parts(self, g, theta):
        """RAM filled for group g, plus tau, nu-free part handled by RAM means, delta."""
        ram = self.ram
        ram.A[:] = 0
        ram.P[:] = 0
        ram.m[:] = 0
        tau = np.zeros(self.nth)
        delta = np.ones(self.p)
        ram_pars = []
        for x in self.by_group[g]:
            val = self.value(x, theta)
            if x.op == "|":
                tau[self.th_index[f"{x.lhs}|{x.rhs}"]] = val
            elif x.op == "~*~":
                delta[self.oix[x.lhs]] = val
            else:
                pos = ram.position(x.lhs, x.op, x.rhs)
                ram.set(pos, val)
                ram_pars.append((x, pos))
        return tau, delta, ram_pars

    def moments(self, g, theta, with_jacobian=False):
        tau, delta, ram_pars = self.group_parts(g, theta)
        sigma, mu = self.ram.implied()
        d_i, d_j = delta[self.pi], delta[self.pj]
        cor = d_i * d_j * sigma[self.pi, self.pj]
        ti = self.th_item
        th = delta[ti] * (tau - mu[ti])
        est = np.concatenate([th, cor])
        if not with_jacobian:
            return est
        J = np.zeros((len(est), self.q))
        groups = [[pos] for _, pos in ram_pars]
        if groups:
            dS, dmu = self.ram.derivatives(groups)
            for c, (x, _) in enumerate(ram_pars):
                if x.free < 0:
                    continue
                J[:self.nth, x.free] += -delta[ti] * dmu[ti, c]
                J[self.nth:, x.free] += d_i * d_j * dS[c][self.pi, self.pj]
        for x in self.by_group[g]:
            if x.free < 0:
                continue
            if x.op == "|":
                t = self.th_index[f"{x.lhs}|{x.rhs}"]
                J[t, x.free] += delta[ti[t]]
            elif x.op == "~*~":
                j = self.oix[x.lhs]
                J[:self.nth, x.free] += np.where(ti == j, tau - mu[ti], 0.0)
                dc = np.zeros(len(self.pairs))
                dc[self.pi == j] += d_j[self.pi == j] * sigma[self.pi, self.pj][self.pi == j]
                dc[self.pj == j] += d_i[self.pj == j] * sigma[self.pi, self.pj][self.pj == j]
                J[self.nth:, x.free] += dc
        return est, J

    def residuals(self, theta):
        out = []
        for g in range(self.G):
            s = self.st[g].wls_obs
            out.append(np.sqrt((self.n[g] - 1) * self.w[g]) * (s - self.moments(g, theta)))
        return np.concatenate(out)

    def jac(self, theta):
        out = []
        for g in range(self.G):
            _, J = self.moments(g, theta, with_jacobian=True)
            out.append(-np.sqrt((self.n[g] - 1) * self.w[g])[:, None] * J)
        return np.vstack(out)


def fit_ordinal_multigroup(model: str, data: pd.DataFrame, group: str, ordered, *,
                           step: str = "configural", partial=(), group_order=None,
                           ci: float = 0.95) -> SemResult:
    """One Wu & Estabrook (2016) model of the ordinal invariance sequence, by WLSMV.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement model (``=~``; factor covariances free).
    data : DataFrame
        Rows with missing values in the items or the group are dropped.
    group : str
        Grouping column; group 1 (first appearance, or ``group_order[0]``) is the reference.
    ordered : list of str
        The ordinal items (every observed variable of the model).
    step : {"configural", "thresholds", "metric", "scalar"}
        The level (:data:`ORDINAL_STEPS`).
    partial : sequence of str
        lavaan ``group.partial`` entries to leave unequal, e.g. ``("x3~1",)``
        (intercept of x3 free in groups 2…G) or ``("f=~x2",)``.

    Returns
    -------
    SemResult
        ``.estimates`` with a ``group`` column (1, 2, …), ``.fit_measures`` as the
        single-group WLSMV fit, ``.vcov``; ``.implied_cov``/``.sample_cov`` of group 1.

    Examples
    --------
    >>> d = pd.read_csv("tests/reference/data/HolzingerSwineford1939_ordinal.csv")  # doctest: +SKIP
    >>> fit_ordinal_multigroup(m, d, "school", items, step="scalar").fit_measures["cfi.scaled"]  # doctest: +SKIP
    """
    if step not in ORDINAL_STEPS:
        raise ValueError(f"Unknown step {step!r}.{suggest(str(step), list(ORDINAL_STEPS))} "
                         f"Steps: {', '.join(ORDINAL_STEPS)}.")
    equal = ORDINAL_STEPS[step]
    pm = parse_model(model)
    ordered = [ordered] if isinstance(ordered, str) else list(ordered)
    missing = [v for v in pm.ov if v not in ordered]
    if missing:
        raise NotImplementedError(
            f"Ordinal invariance needs every observed variable in `ordered`; {', '.join(map(repr, missing))} "
            "is not. Add it, or use hpmob.sem.invariance for continuous items.")
    if any(r.op == "~" for r in pm.rows):
        raise NotImplementedError("Ordinal invariance is implemented for measurement models (=~) only.")
    cols = list(data.columns)
    if group not in cols:
        raise ValueError(f"The group column {group!r} is not a column of `data`.{suggest(str(group), cols)}")
    absent = [v for v in pm.ov if v not in cols]
    if absent:
        raise ValueError(f"Item(s) {', '.join(map(repr, absent))} are not columns of `data`.")
    frame = data[[group] + pm.ov].dropna()
    labels = _group_labels(frame[group], group_order)
    stats_list = []
    for lab in labels:
        sub = frame[frame[group] == lab]
        stats_list.append(ordinal_stats(sub, pm.ov, what=f"group {lab!r}"))
    st0 = stats_list[0]
    for lab, st in zip(labels[1:], stats_list[1:]):
        for v, l0, lg in zip(pm.ov, st0.levels, st.levels):
            if len(l0) != len(lg) or np.any(l0 != lg):
                raise ValueError(
                    f"Item {v!r} has categories {list(map(float, lg))} in group {lab!r} but "
                    f"{list(map(float, l0))} in group {labels[0]!r}: thresholds cannot be compared. "
                    "Merge the sparse categories (e.g. recode 1 and 2 into one) before fitting.")
    if equal and any(len(t) < 2 for t in st0.thresholds):
        binary = [v for v, t in zip(pm.ov, st0.thresholds) if len(t) < 2]
        raise NotImplementedError(
            f"Binary item(s) {', '.join(binary)}: the Wu & Estabrook identification of binary items "
            "(intercepts or scaling factors fixed) is not implemented.")
    part = {_partial_key(e) for e in ([partial] if isinstance(partial, str) else partial)}
    pars, q = _build(pm, st0, len(labels), equal, part)
    mdl = _Model(pm, stats_list, pars, q)
    start = np.zeros(q)
    for x in pars:
        if x.free >= 0:
            start[x.free] = x.value
    sol = optimize.least_squares(mdl.residuals, start, jac=mdl.jac, method="lm",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=5000)
    theta = sol.x
    grad = mdl.jac(theta).T @ mdl.residuals(theta)
    converged = bool(sol.status > 0 and np.max(np.abs(grad)) < 1e-5)
    return _result(mdl, theta, converged, labels, model, ci)


def _result(mdl: _Model, theta, converged, labels, model, ci) -> SemResult:
    G, q, N_g = mdl.G, mdl.q, mdl.n
    N = sum(N_g)
    fg = [n / N for n in N_g]
    deltas, resid = [], []
    for g in range(G):
        est, J = mdl.moments(g, theta, with_jacobian=True)
        deltas.append(J)
        resid.append(mdl.st[g].wls_obs - est)
    E = sum(fg[g] * deltas[g].T @ (mdl.w[g][:, None] * deltas[g]) for g in range(G))
    e_inv = np.linalg.inv(E)
    B = sum(fg[g] * (mdl.w[g][:, None] * deltas[g]).T @ mdl.st[g].nacov @ (mdl.w[g][:, None] * deltas[g])
            for g in range(G))
    vcov = e_inv @ B @ e_inv / (N - G)
    ndat = sum(len(s.wls_obs) for s in mdl.st)
    df = ndat - q
    chisq = float(sum((N_g[g] - 1) * np.sum(mdl.w[g] * resid[g] ** 2) for g in range(G)))
    fm = {"npar": q, "fmin": chisq / (2 * N), "chisq": chisq, "df": df,
          "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan}
    ug = _stacked_ug(mdl, deltas, e_inv, fg)
    chisq_s, c, shift = scaled_shifted(chisq, df, ug) if df > 0 else (chisq, math.nan, math.nan)
    fm.update({"chisq.scaled": chisq_s, "df.scaled": df,
               "pvalue.scaled": float(stats.chi2.sf(chisq_s, df)) if df > 0 else math.nan,
               "chisq.scaling.factor": c, "chisq.shift.parameters": shift})
    # independence model: thresholds free per group, correlations 0
    nth, npairs = mdl.nth, len(mdl.pairs)
    chisq_b = float(sum((N_g[g] - 1) * np.sum(mdl.w[g][nth:] * mdl.st[g].wls_obs[nth:] ** 2) for g in range(G)))
    df_b = G * npairs
    d_b = []
    for g in range(G):
        D = np.zeros((nth + npairs, G * nth))
        D[:nth, g * nth:(g + 1) * nth] = np.eye(nth)
        d_b.append(D)
    E_b = sum(fg[g] * d_b[g].T @ (mdl.w[g][:, None] * d_b[g]) for g in range(G))
    chisq_bs, c_b, _ = scaled_shifted(chisq_b, df_b, _stacked_ug(mdl, d_b, np.linalg.inv(E_b), fg))
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
    nr = N - G  # lav_fit_rmsea for estimators other than ML: N - G, times sqrt(G)
    fm["rmsea"] = measures.rmsea(chisq, df, nr) * math.sqrt(G)
    fm["rmsea.scaled"] = measures.rmsea(chisq_s, df, nr) * math.sqrt(G)
    lo, hi = measures.rmsea_ci(chisq_s, df, nr, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower.scaled"], fm["rmsea.ci.upper.scaled"] = lo * math.sqrt(G), hi * math.sqrt(G)
    p = mdl.p
    srmr_g = [math.sqrt(np.sum(resid[g][nth:] ** 2) / (p * (p + 1) / 2)) for g in range(G)]
    fm["srmr"] = float(sum(fg[g] * srmr_g[g] for g in range(G)))
    fit_measures = pd.Series(fm, dtype=float, name="value")

    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    zq = stats.norm.ppf(1 - (1 - ci) / 2)
    records = []
    for g in range(G):
        records += _group_table(mdl, g, theta, se, zq)
    estimates = pd.DataFrame.from_records(records, columns=["group"] + ESTIMATE_COLUMNS)
    names = [""] * q
    for x in mdl.pars:
        if x.free >= 0 and not names[x.free]:
            names[x.free] = f"{x.lhs}{x.op}{x.rhs}" + (f".g{x.group + 1}" if x.group else "")
    if not converged:
        warnings.warn("The DWLS optimizer did not reach a stationary point; estimates, SEs and fit "
                      "measures may be unreliable.", stacklevel=3)
    neg = estimates[(estimates["op"] == "~~") & (estimates["lhs"] == estimates["rhs"]) & (estimates["est"] < 0)]
    if len(neg):
        warnings.warn(
            "Negative variance estimate(s) (Heywood case) for "
            + ", ".join(f"{a} in group {g}" for a, g in zip(neg["lhs"], neg["group"]))
            + ": the solution is improper.", stacklevel=3)
    st0 = mdl.st[0]
    state = MultigroupOrdinalState(stats=mdl.st, delta=deltas, w=mdl.w, e_inv=e_inv, n=N_g)
    return SemResult(
        estimates=estimates, fit_measures=fit_measures, r2=pd.Series(dtype=float, name="r2"),
        implied_cov=pd.DataFrame(np.nan, index=mdl.ov, columns=mdl.ov),
        sample_cov=pd.DataFrame(st0.cor, index=mdl.ov, columns=mdl.ov), n=N, estimator="WLSMV",
        vcov=pd.DataFrame(vcov, index=names, columns=names), converged=converged, model=model,
        _state=state)


def _stacked_ug(mdl, deltas, e_inv, fg):
    """U Γ of the stacked groups, lavaan's ``lav_test_satorra_bentler_trace_original``."""
    V = linalg.block_diag(*[fg[g] * np.diag(mdl.w[g]) for g in range(mdl.G)])
    Gam = linalg.block_diag(*[mdl.st[g].nacov / fg[g] for g in range(mdl.G)])
    D = np.vstack(deltas)
    U = V - V @ D @ e_inv @ D.T @ V
    return U @ Gam


def _group_table(mdl: _Model, g: int, theta, se, zq) -> list[dict]:
    pm, ov, lv = mdl.pm, mdl.ov, mdl.lv
    _, delta, _ = mdl.group_parts(g, theta)
    ram = mdl.ram
    sigma0, _ = ram.implied()
    theta_jj = 1 / delta**2 - np.diag(sigma0)
    for j, v in enumerate(ov):
        ram.set(ram.position(v, "~~", v), theta_jj[j])
    _, V_all, _ = ram.solve()
    rows = pm.rows
    est_rows = []
    row_par = {x.user_row: x for x in mdl.by_group[g] if x.user_row >= 0}
    for i, r in enumerate(rows):
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in ov:
            est_rows.append(theta_jj[mdl.oix[r.lhs]])
        else:
            est_rows.append(mdl.value(row_par[i], theta))
    std_lv, std_all = _standardize(rows, np.array(est_rows), lv, ov, V_all, ram)
    sd_y = 1 / delta  # SD of y*: delta parameterization

    def rec(x_or_none, lhs, op, rhs, est, s_lv, s_all):
        free = x_or_none is not None and x_or_none.free >= 0
        out = _row(lhs, op, rhs, "", est, se[x_or_none.free] if free else 0.0, free, zq, s_lv, s_all)
        return {"group": g + 1, **out}

    records = []
    user = [i for i, r in enumerate(rows) if r.user]
    rest = [i for i, r in enumerate(rows) if not r.user]
    for i in user:
        r = rows[i]
        records.append(rec(row_par.get(i), r.lhs, r.op, r.rhs, est_rows[i], std_lv[i], std_all[i]))
    by_key = {(x.lhs, x.op, x.rhs): x for x in mdl.by_group[g]}
    for name in mdl.st[0].threshold_names:
        item, tk = name.split("|")
        x = by_key[(item, "|", tk)]
        val = mdl.value(x, theta)
        records.append(rec(x, item, "|", tk, val, val, val / sd_y[mdl.oix[item]]))
    for i in rest:
        r = rows[i]
        records.append(rec(row_par.get(i), r.lhs, r.op, r.rhs, est_rows[i], std_lv[i], std_all[i]))
    for v in ov:
        x = by_key[(v, "~*~", v)]
        val = mdl.value(x, theta)
        records.append(rec(x, v, "~*~", v, val, val, 1.0))
    for v in ov:
        x = by_key[(v, "~1", "")]
        val = mdl.value(x, theta)
        records.append(rec(x, v, "~1", "", val, val, val / sd_y[mdl.oix[v]]))
    for f in lv:
        x = by_key[(f, "~1", "")]
        val = mdl.value(x, theta)
        sd_f = math.sqrt(V_all[ram.index[f], ram.index[f]])
        records.append(rec(x, f, "~1", "", val, val / sd_f, val / sd_f))
    return records


def ordinal_difference_test(restricted: SemResult, general: SemResult) -> dict:
    """lavTestLRT's default for WLSMV (Satorra 2000, scaled-shifted) between two multigroup fits.

    Same definitions as :func:`hpmob.sem.difference.chisq_difference_test`, with the
    groups stacked (``V = ⊕ f_g W_g``, ``Γ = ⊕ Γ_g / f_g``).
    """
    s0, s1 = restricted._state, general._state
    f0, f1 = restricted.fit_measures, general.fit_measures
    m = int(f0["df"] - f1["df"])
    if m <= 0:
        raise ValueError(f"The first model must be the restricted one (more df): df {f0['df']:g} vs {f1['df']:g}.")
    D1, D0 = np.vstack(s1.delta), np.vstack(s0.delta)
    A = linalg.null_space((np.linalg.pinv(D1) @ D0).T).T
    P_inv = s1.e_inv
    PAAPAAP = P_inv @ A.T @ np.linalg.pinv(A @ P_inv @ A.T) @ A @ P_inv
    N = sum(s1.n)
    fg = [n / N for n in s1.n]
    V = linalg.block_diag(*[np.diag(w) for w in s1.w])
    Gam = linalg.block_diag(*[fg[g] * s1.stats[g].nacov for g in range(len(fg))])
    UG = V @ D1 @ PAAPAAP @ D1.T @ V @ Gam
    tr1, tr2 = float(np.trace(UG)), float(np.trace(UG @ UG))
    a = math.sqrt(m / tr2)
    T = a * (f0["chisq"] - f1["chisq"]) + (m - a * tr1)
    return {"Chisq diff": float(T), "Df diff": m, "Pr(>Chisq)": float(stats.chi2.sf(T, m)),
            "method": "satorra.2000"}


def ordinal_invariance(model: str, data: pd.DataFrame, group: str, ordered, *,
                       steps=("configural", "thresholds", "metric", "scalar"), partial=(),
                       criteria="chen2007", group_order=None, return_fits: bool = False):
    """The Wu & Estabrook (2016) sequence by WLSMV, each model compared with the one before.

    Parameters
    ----------
    model, data, group, ordered
        As :func:`fit_ordinal_multigroup`.
    steps : sequence of str
        Levels from :data:`ORDINAL_STEPS`, in order.
    partial : sequence of str or mapping
        ``group.partial`` for every step, or ``{step: entries}``.
    criteria : "chen2007" or mapping
        As :func:`hpmob.sem.invariance.invariance`, applied to ``cfi.scaled`` and
        ``rmsea.scaled``.
    return_fits : bool
        Also return ``{step: SemResult}``.

    Returns
    -------
    DataFrame
        Columns ``model, npar, chisq, df, chisq.scaled, cfi.scaled, tli.scaled,
        rmsea.scaled, srmr, delta_chisq, delta_df, p_delta, delta_cfi, delta_rmsea,
        decision``; ``delta_chisq`` is lavTestLRT's scaled-shifted difference (Satorra 2000).

    Examples
    --------
    >>> ordinal_invariance(m, d, "school", items)[["model", "cfi.scaled", "decision"]]  # doctest: +SKIP
    """
    crit = _criteria(criteria)
    rows, fits, prev = [], {}, None
    for step in [steps] if isinstance(steps, str) else steps:
        part = partial.get(step, ()) if isinstance(partial, Mapping) else partial
        res = fit_ordinal_multigroup(model, data, group, ordered, step=step, partial=part,
                                     group_order=group_order)
        fits[step] = res
        fm = res.fit_measures
        row = {"model": step, **{k: float(fm[k]) for k in ORDINAL_TABLE_COLUMNS[1:9]}}
        row.update({k: math.nan for k in ("delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea")})
        row["decision"] = "reference"
        if prev is not None:
            lrt = ordinal_difference_test(res, prev)
            d_cfi = float(fm["cfi.scaled"] - prev.fit_measures["cfi.scaled"])
            d_rmsea = float(fm["rmsea.scaled"] - prev.fit_measures["rmsea.scaled"])
            row.update({"delta_chisq": lrt["Chisq diff"], "delta_df": lrt["Df diff"], "p_delta": lrt["Pr(>Chisq)"],
                        "delta_cfi": d_cfi, "delta_rmsea": d_rmsea,
                        "decision": "invariant" if _holds(d_cfi, d_rmsea, crit) else "not invariant"})
        rows.append(row)
        prev = res
    table = pd.DataFrame.from_records(rows, columns=ORDINAL_TABLE_COLUMNS)
    table[["npar", "df"]] = table[["npar", "df"]].astype(int)
    return (table, fits) if return_fits else table
