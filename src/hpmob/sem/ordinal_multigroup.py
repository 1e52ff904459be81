"""Multigroup WLSMV fits of ordinal items under the Wu & Estabrook (2016) identification.

The parameter list of every group (:func:`fit_step`'s constraints for each step of
:data:`ORDINAL_STEPS`), the implied thresholds and polychorics with their derivatives, the
Gauss-Newton estimation and the lavaan-shaped result, :func:`fit_ordinal_multigroup`.
The model and its conventions are described in :mod:`hpmob.sem.ordinal_invariance`, which
runs the invariance sequence on these fits and re-exports :func:`fit_ordinal_multigroup`.
Split out of it (issue #20).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import measures
from .fit_result import ESTIMATE_COLUMNS, RMSEA_CI_LEVEL, SemResult, estimate_row
from .multigroup import group_labels
from .ordinal import scaled_shifted_traces
from .polychoric import OrdinalStats, ordinal_stats
from .standardize import standardize
from .structure import Ram
from .syntax import parse_model, suggest

__all__ = ["ORDINAL_STEPS", "fit_ordinal_multigroup"]

#: The Wu & Estabrook (2016) sequence: which parameter sets are equal across groups.
ORDINAL_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "metric": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts"),
}


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
    meat: np.ndarray  # Σ_g f_g ΔᵀWΓWΔ
    pm: object = None  # the parsed model (hpmob.sem.invariance.latent_mean_differences reads pm.lv)


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

        # per group: where each parameter acts, as index arrays (the fit calls these often)
        self.th_ids, self.th_vals, self.d_ids, self.d_vals, self.ram_fixed, self.ram_free = [], [], [], [], [], []
        for g in range(self.G):
            th_ids, th_vals = np.full(self.nth, -1), np.zeros(self.nth)
            d_ids, d_vals = np.full(self.p, -1), np.ones(self.p)
            fixed, free = [], []
            for x in self.by_group[g]:
                if x.op == "|":
                    t = self.th_index[f"{x.lhs}|{x.rhs}"]
                    th_ids[t], th_vals[t] = x.free, x.value
                elif x.op == "~*~":
                    j = self.oix[x.lhs]
                    d_ids[j], d_vals[j] = x.free, x.value
                else:
                    pos = self.ram.position(x.lhs, x.op, x.rhs)
                    (free.append((pos, x.free)) if x.free >= 0 else fixed.append((pos, x.value)))
            self.th_ids.append(th_ids)
            self.th_vals.append(th_vals)
            self.d_ids.append(d_ids)
            self.d_vals.append(d_vals)
            self.ram_fixed.append(fixed)
            self.ram_free.append(free)

    def value(self, x: _Par, theta):
        return theta[x.free] if x.free >= 0 else x.value

    def group_parts(self, g, theta):
        """Group g's RAM matrices filled in, its thresholds tau and scaling factors delta."""
        ram = self.ram
        ram.A[:] = 0
        ram.P[:] = 0
        ram.m[:] = 0
        for pos, val in self.ram_fixed[g]:
            ram.set(pos, val)
        for pos, k in self.ram_free[g]:
            ram.set(pos, theta[k])
        ids = self.th_ids[g]
        tau = np.where(ids >= 0, theta[np.maximum(ids, 0)], self.th_vals[g])
        ids = self.d_ids[g]
        delta = np.where(ids >= 0, theta[np.maximum(ids, 0)], self.d_vals[g])
        return tau, delta, None

    def moments(self, g, theta, with_jacobian=False):
        tau, delta, _ = self.group_parts(g, theta)
        sigma, mu = self.ram.implied()
        pi, pj = self.pi, self.pj
        d_i, d_j = delta[pi], delta[pj]
        s_ij = sigma[pi, pj]
        cor = d_i * d_j * s_ij
        ti = self.th_item
        th = delta[ti] * (tau - mu[ti])
        est = np.concatenate([th, cor])
        if not with_jacobian:
            return est
        nth = self.nth
        J = np.zeros((len(est), self.q))
        free = self.ram_free[g]
        if free:
            dS, dmu = self.ram.derivatives([[pos] for pos, _ in free])
            ids = np.array([k for _, k in free])
            block = np.vstack([-delta[ti][:, None] * dmu[ti, :], (d_i * d_j)[:, None] * dS[:, pi, pj].T])
            if len(np.unique(ids)) == len(ids):
                J[:, ids] += block
            else:  # labels shared within the group
                np.add.at(J.T, ids, block.T)
        t_free = np.flatnonzero(self.th_ids[g] >= 0)
        J[t_free, self.th_ids[g][t_free]] += delta[ti[t_free]]  # one threshold per row
        for j in np.flatnonzero(self.d_ids[g] >= 0):
            k = self.d_ids[g][j]
            J[:nth, k] += np.where(ti == j, tau - mu[ti], 0.0)
            J[nth:, k] += np.where(pi == j, d_j * s_ij, 0.0) + np.where(pj == j, d_i * s_ij, 0.0)
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
    """Fit one Wu & Estabrook (2016) model of the ordinal invariance sequence, by WLSMV.

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
    group_order : sequence, optional
        Group labels in the order wanted (group 1 first, the reference); default the order
        of first appearance.
    ci : float
        Level of the Wald confidence intervals.

    Returns
    -------
    SemResult
        ``.estimates`` with ``group`` (1, 2, …) and ``group_label`` columns, ``.fit_measures``
        as the single-group WLSMV fit, ``.vcov``; ``.sample_cov`` and ``.implied_cov`` are
        group 1's polychoric and implied correlation matrices. :func:`hpmob.sem.invariance.latent_mean_differences` reads a scalar fit.

    Examples
    --------
    >>> import pandas as pd
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> items = ["x1", "x2", "x3", "x4", "x5", "x6"]
    >>> d = hs[["school"]].join(hs[items].apply(lambda x: pd.qcut(x, 4, labels=False, duplicates="drop")))
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
    >>> res = fit_ordinal_multigroup(m, d, "school", items, step="scalar")
    >>> round(float(res.fit_measures["cfi.scaled"]), 3)
    0.959
    """
    prepared = prepare(model, data, group, ordered, group_order)
    return fit_step(prepared, step, partial, model, ci)


def prepare(model, data, group, ordered, group_order):
    """Parse, check and compute each group's sample statistics (once for a whole sequence)."""
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
    labels = group_labels(frame[group], group_order)
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
                    "Merge the sparse categories (collapse_categories) before fitting.")
    return pm, labels, stats_list


def fit_step(prepared, step, partial, model, ci, warm: SemResult | None = None) -> SemResult:
    """Fit one step of :data:`ORDINAL_STEPS` to :func:`prepare`'s statistics, ``partial`` constraints released."""
    pm, labels, stats_list = prepared
    if step not in ORDINAL_STEPS:
        raise ValueError(f"Unknown step {step!r}.{suggest(str(step), list(ORDINAL_STEPS))} "
                         f"Steps: {', '.join(ORDINAL_STEPS)}.")
    equal = ORDINAL_STEPS[step]
    st0 = stats_list[0]
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
    if warm is not None:  # the previous step's estimates (a nested model) as starting values
        e = warm.estimates
        prev = dict(zip(zip(e["group"], e["lhs"], e["op"], e["rhs"]), e["est"]))
        for x in pars:
            if x.free >= 0 and (x.group + 1, x.lhs, x.op, x.rhs) in prev:
                start[x.free] = prev[(x.group + 1, x.lhs, x.op, x.rhs)]
    theta, converged = _gauss_newton(mdl, start)
    return _result(mdl, theta, converged, labels, model, ci)


def _gauss_newton(mdl, theta, max_iter: int = 200):
    """Gauss-Newton on the weighted residuals (the DWLS objective is a sum of squares)."""
    r = mdl.residuals(theta)
    f = float(r @ r)
    for _ in range(max_iter):
        J = mdl.jac(theta)
        g = J.T @ r
        H = J.T @ J
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-10:
            new = theta + t * step
            r_new = mdl.residuals(new)
            f_new = float(r_new @ r_new)
            if np.isfinite(f_new) and f_new <= f + 1e-14 * max(f, 1.0):
                break
            t /= 2
        else:
            break
        theta, r, f = new, r_new, f_new
        # linear convergence (residuals are not small): steps below 1e-9 change no reported digit
        if np.max(np.abs(t * step)) < 1e-9 * (1 + np.max(np.abs(theta))):
            break
    grad = mdl.jac(theta).T @ mdl.residuals(theta)
    return theta, bool(np.max(np.abs(grad)) < 1e-6 * max(1.0, f))


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
    if df > 0:
        chisq_s, c, shift = scaled_shifted_traces(chisq, df, *_ug_traces(mdl, deltas, e_inv))
    else:
        chisq_s, c, shift = chisq, math.nan, math.nan
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
    chisq_bs, c_b, _ = scaled_shifted_traces(chisq_b, df_b, *_ug_traces(mdl, d_b, np.linalg.inv(E_b)))
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
    estimates.insert(1, "group_label", [labels[g - 1] for g in estimates["group"]])
    names = [""] * q
    for x in mdl.pars:
        if x.free >= 0 and not names[x.free]:
            names[x.free] = f"{x.lhs}{x.op}{x.rhs}" + (f".g{x.group + 1}" if x.group else "")
    if not converged:
        warnings.warn("The DWLS optimizer did not reach a stationary point; estimates, SEs and fit "
                      "measures may be unreliable.", stacklevel=3)
    neg = estimates[(estimates["op"] == "~~") & (estimates["lhs"] == estimates["rhs"]) & (estimates["est"] < 0)]
    improper = []
    if len(neg):
        where = ", ".join(f"{a} (group {labels[g - 1]!r})" for a, g in zip(neg["lhs"], neg["group"]))
        improper.append(f"negative variance (Heywood case): {where}")
        warnings.warn(f"Negative variance estimate(s) (Heywood case) for {where}: the solution is improper.",
                      stacklevel=3)
    bad = [repr(labels[g]) for g in range(G) if mdl.lv and np.linalg.eigvalsh(_latent_cov(mdl, g, theta))[0] <= 0]
    if bad:
        improper.append(f"latent covariance matrix not positive definite in group(s) {', '.join(bad)}")
        warnings.warn(f"The covariance matrix of the latent variables is not positive definite in group(s) "
                      f"{', '.join(bad)}.", stacklevel=3)
    st0 = mdl.st[0]
    _, delta0, _ = mdl.group_parts(0, theta)
    sigma0, _ = mdl.ram.implied()
    implied0 = delta0[:, None] * sigma0 * delta0[None, :]
    np.fill_diagonal(implied0, 1.0)
    state = MultigroupOrdinalState(stats=mdl.st, delta=deltas, w=mdl.w, e_inv=e_inv, n=N_g, meat=B, pm=mdl.pm)
    return SemResult(
        estimates=estimates, fit_measures=fit_measures, r2=pd.Series(dtype=float, name="r2"),
        implied_cov=pd.DataFrame(implied0, index=mdl.ov, columns=mdl.ov),
        sample_cov=pd.DataFrame(st0.cor, index=mdl.ov, columns=mdl.ov), n=N, estimator="WLSMV",
        vcov=pd.DataFrame(vcov, index=names, columns=names), converged=converged, model=model,
        _state=state, convergence="" if converged else "the gradient is not zero at the last iterate",
        improper=tuple(improper))


def _latent_cov(mdl: _Model, g: int, theta) -> np.ndarray:
    """Group g's covariance matrix of the latent variables at ``theta``."""
    mdl.group_parts(g, theta)
    ram = mdl.ram
    idx = [ram.index[f] for f in mdl.lv]
    return ram.P[np.ix_(idx, idx)].copy()


def _ug_traces(mdl, deltas, e_inv) -> tuple[float, float]:
    """tr(UΓ) and tr((UΓ)²) of the stacked groups (``lav_test_satorra_bentler_trace_original``).

    With ``V = ⊕ f_g W_g`` and ``Γ = ⊕ Γ_g / f_g``, ``UΓ = M − LR`` where ``M = ⊕ W_gΓ_g`` is
    block diagonal, ``L = VΔ`` and ``R = E⁻¹ΔᵀVΓ`` have rank q: the traces need only
    q × q products, never the stacked matrices.
    """
    tr1 = tr2 = 0.0
    RL = np.zeros((e_inv.shape[0], e_inv.shape[0]))
    cross = 0.0
    N = sum(mdl.n)
    for g in range(mdl.G):
        fg = mdl.n[g] / N
        M = mdl.w[g][:, None] * mdl.st[g].nacov
        L = fg * mdl.w[g][:, None] * deltas[g]
        R = e_inv @ (deltas[g].T @ M)
        RM = R @ M
        tr1 += float(np.trace(M))
        tr2 += float(np.sum(M * M.T))
        cross += float(np.sum(RM * L.T))
        RL += R @ L
    tr1 -= float(np.trace(RL))
    tr2 += -2 * cross + float(np.sum(RL * RL.T))
    return tr1, tr2


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
    std_lv, std_all = standardize(rows, np.array(est_rows), lv, ov, V_all, ram)
    sd_y = 1 / delta  # SD of y*: delta parameterization

    def rec(x_or_none, lhs, op, rhs, est, s_lv, s_all):
        free = x_or_none is not None and x_or_none.free >= 0
        out = estimate_row(lhs, op, rhs, "", est, se[x_or_none.free] if free else 0.0, free, zq, s_lv, s_all)
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
