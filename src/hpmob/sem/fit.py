"""Fit an SEM and report it the way lavaan does; the lavaan-shaped entry ``fit``.

Single-group, complete data (listwise): hpmob's own engine estimates the model
(moment or FABIN 3 starts, Fisher scoring then BFGS, the multigroup engine with one
group) and polishes the optimum by Fisher scoring to steps below 1e-11. semopy is
the fallback where that route fails or ends improper: its SLSQP solution (objective
``MLW``, N divisor, as lavaan's ``likelihood = "normal"``) is polished the same way,
because SLSQP stops about 1e-3 away from the optimum. Both routes reach the same
point to 1e-8 (``tests/test_sem_fit.py``); the native one costs a sixth of semopy's
model construction and SLSQP, which made a 31-item CFA slower than lavaan.
Everything after estimation is hpmob's and follows lavaan 0.6-14, validated in
``tests/test_sem_fit.py`` against ``tests/reference/lavaan_*.json``.

With ``group=`` the call goes to :func:`hpmob.sem.multigroup.fit_multigroup`;
with ``missing="ml"`` to the same hand-written engine with one group (FIML, see
:mod:`hpmob.sem.fiml`). Neither uses semopy.

This module holds the entry, the data checks and the estimation; :class:`SemResult`, the
fit measures and the estimates table are in :mod:`hpmob.sem.fit_result`, the semopy
fallback in :mod:`hpmob.sem.semopy_route`, the standardized solutions in
:mod:`hpmob.sem.standardize` and the information matrices in :mod:`hpmob.sem.information`
(issue #20).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .blas import one_blas_thread
from .fiml import normalise_missing
from .fit_result import (
    ESTIMATE_COLUMNS,
    RMSEA_CI_LEVEL,
    RMSEA_CLOSE_H0,
    Fitted,
    SemResult,
    compute_fit_measures,
    defined_records,
    param_name,
    parameter_table,
)
from .information import (
    expected_information,
    first_order_information,
    observed_information,
    safe_inv,
    sandwich,
)
from .semopy_route import SemopyEngine, backtrack
from .structure import Ram
from .syntax import ParsedModel, parse_model, suggest

__all__ = ["SemResult", "fit", "ESTIMATORS", "RMSEA_CI_LEVEL", "RMSEA_CLOSE_H0"]
#: Estimators: lavaan's ``"ML"`` (expected information, standard test) and ``"MLR"``
#: (Huber-White SEs from observed information, Yuan-Bentler "mplus" scaled test).
ESTIMATORS = ("ML", "MLR")

# --------------------------------------------------------------------------- data


def prepare_data(data: pd.DataFrame, pm: ParsedModel, fiml: bool = False) -> tuple[np.ndarray, int]:
    """The model's columns as a float matrix (complete rows, or with ``fiml`` every row with a value) and the rows dropped."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}.")
    cols = list(data.columns)
    missing = [v for v in pm.ov if v not in cols]
    if missing:
        hints = "".join(suggest(v, cols) for v in missing[:3])
        raise ValueError(
            f"The model uses variable(s) {', '.join(map(repr, missing))} that are not columns of "
            f"`data`.{hints} Latent variables must appear on the left of '=~'."
        )
    clash = [v for v in pm.lv if v in cols]
    if clash:
        raise ValueError(
            f"Latent variable name(s) {', '.join(map(repr, clash))} are also columns of `data`; "
            "rename the latent variable(s)."
        )
    bad = [
        f"{v!r} ({data[v].dtype})"
        for v in pm.ov
        if not (pd.api.types.is_numeric_dtype(data[v]) and not pd.api.types.is_complex_dtype(data[v]))
    ]
    if bad:
        raise ValueError(
            f"Column(s) {', '.join(bad)} are not numeric. Recode them to numbers "
            "(e.g. Likert labels to 1-5) before fitting."
        )
    X = data[pm.ov].astype(float).to_numpy()
    if fiml:
        # FIML uses every row with at least one observed value (as lavaan)
        from .multigroup import check_incomplete

        ok = np.any(np.isfinite(X), axis=1)
        n_drop = int((~ok).sum())
        X = X[ok]
        check_incomplete(X, pm.ov, "the data")
        if n_drop:
            warnings.warn(
                f"{n_drop} row(s) with no observed value in the model's variables were not used "
                f"(as lavaan); n = {X.shape[0]}.",
                stacklevel=3,
            )
        return X, n_drop
    ok = np.all(np.isfinite(X), axis=1)
    n_drop = int((~ok).sum())
    X = X[ok]
    p = len(pm.ov)
    if X.shape[0] <= p:
        raise ValueError(
            f"Too few complete rows: {X.shape[0]} (of {len(data)}) for {p} observed variables; "
            f"the sample covariance matrix needs at least {p + 1} complete rows."
        )
    if n_drop:
        warnings.warn(
            f"{n_drop} row(s) with missing values in the model's variables were dropped "
            f"(listwise deletion, lavaan's default); n = {X.shape[0]}.",
            stacklevel=3,
        )
    sd = X.std(axis=0)
    const = [pm.ov[i] for i in np.flatnonzero(sd == 0)]
    if const:
        raise ValueError(
            f"Variable(s) {', '.join(map(repr, const))} are constant in the complete rows; a constant "
            "item carries no information about a factor: remove it from the model."
        )
    return X, n_drop


# --------------------------------------------------------------------- main entry


def fit(
    model: str,
    data: pd.DataFrame,
    *,
    group: str | None = None,
    group_equal=(),
    group_partial=(),
    group_order=None,
    missing: str = "listwise",
    estimator: str = "ML",
    meanstructure: bool = False,
    ci: float = 0.95,
    ordered: list[str] | None = None,
):
    """Fit a structural equation model in lavaan syntax, with lavaan's defaults and output.

    One entry as lavaan's ``sem()``/``cfa()``: with ``group`` the call is
    :func:`hpmob.sem.multigroup.fit_multigroup` (and returns its
    :class:`~hpmob.sem.multigroup.MultigroupResult`).

    Parameters
    ----------
    model : str
        lavaan model syntax: ``=~`` (measurement), ``~`` (regression), ``~~``
        (variance/covariance), modifiers ``a*x`` (label), ``1*x`` (fixed value),
        ``NA*x`` (free), and ``:=`` defined parameters such as ``ind := a*b``.
    data : pandas.DataFrame
        One row per respondent.
    group, group_equal, group_partial, group_order
        lavaan's ``group``, ``group.equal``, ``group.partial`` and the order of the
        groups (see :func:`~hpmob.sem.multigroup.fit_multigroup`).
    missing : {"listwise", "ml"}
        ``"listwise"`` (lavaan's default) drops rows with a missing value in the
        model's variables. ``"ml"`` (alias ``"fiml"``) is full-information ML:
        every row with an observed value counts, the model gets a mean
        structure, the h1 model is estimated by EM and the SEs come from the
        observed information, all as lavaan's ``missing = "ml"``.
    estimator : {"ML", "MLR"}
        ``"ML"``: normal-theory SEs from the expected information. ``"MLR"``:
        Huber-White SEs (observed information, first-order meat) and the
        Yuan-Bentler (Mplus variant) scaled test with robust CFI/TLI/RMSEA.
    meanstructure : bool
        Add intercepts (saturated: observed intercepts free, latent means 0).
    ci : float
        Level of the Wald confidence intervals of the parameters.
    ordered : list of str, optional
        Ordinal items; with ``estimator="WLSMV"`` the model is fitted by
        :func:`hpmob.sem.ordinal.fit_wlsmv` (lavaan's ``ordered =``, ``estimator = "WLSMV"``).

    Returns
    -------
    SemResult or MultigroupResult
        ``.estimates``, ``.fit_measures``, ``.r2``, ``.implied_cov``, ``.sample_cov``,
        ``.n`` (rows used), ``.n_patterns``, ``.converged`` and ``.convergence`` (why
        not), ``.improper``; a :class:`~hpmob.sem.multigroup.MultigroupResult` with
        ``group``.

    Notes
    -----
    lavaan defaults used (``cfa()``/``sem()``): ML with the N divisor
    (``likelihood = "normal"``), first loading of each factor fixed to 1,
    residual and latent variances free, covariances of exogenous latent
    variables free, residual covariances of pure outcomes free, exogenous
    observed covariates fixed at their sample moments (``fixed.x = TRUE``).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9", hs)
    >>> round(float(res.fit_measures["cfi"]), 3)
    0.931
    """
    if group is not None:
        from .multigroup import fit_multigroup

        return fit_multigroup(model, data, group, group_equal=group_equal, group_partial=group_partial,
                              group_order=group_order, estimator=estimator, missing=missing, ci=ci)  # fmt: skip
    given = [n for n, v in (("group_equal", group_equal), ("group_partial", group_partial),
                            ("group_order", group_order)) if v]  # fmt: skip
    if given:
        raise ValueError(f"{', '.join(given)} need(s) a grouping column: pass group='...'.")
    est_name = str(estimator).upper()
    if ordered is not None:  # ordinal items: hpmob.sem.ordinal
        from .ordinal import fit_wlsmv  # imported here: ordinal builds on this module

        if est_name != "WLSMV" or not ordered:
            raise ValueError("Ordinal items (ordered=[items]) need estimator='WLSMV'.")
        return fit_wlsmv(model, data, ordered, ci=ci)
    if est_name not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, not {estimator!r}.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    if normalise_missing(missing) == "ml":
        return _fit_fiml(model, data, est_name, ci)
    pm = parse_model(model, meanstructure=meanstructure)
    X, _ = prepare_data(data, pm)
    if est_name == "MLR" and pm.ov_x:
        raise NotImplementedError(
            f"estimator='MLR' with fixed exogenous covariates ({', '.join(pm.ov_x)}) is not "
            "validated against lavaan; use estimator='ML', or treat the covariates as random by "
            f"adding e.g. '{pm.ov_x[0]} ~~ {pm.ov_x[0]}' to the model."
        )
    with one_blas_thread():
        return _fit_complete(model, pm, X, est_name, meanstructure, ci)


def _fit_complete(model, pm, X, est_name, meanstructure, ci) -> SemResult:
    f = estimate(pm, X)

    # covariance of the estimates
    if est_name == "ML":
        # lavaan's ML default: expected information, N (not N - 1) divisor; semopy's
        # calc_fim is the same matrix, recomputed here for lavaan's parameter set
        vcov = safe_inv(expected_information(f.sigma, f.dS, f.dmu)) / f.N
        robust = None
    else:
        is_cov = np.array([any(pos[0] != "m" for pos in g) for g in f.groups])
        A0 = observed_information(f.ram, f.groups, f.theta, is_cov, f.S, f.sigma, f.dmu)
        B0 = first_order_information(f.Yc, f.sigma, f.dS, f.dmu)
        vcov = sandwich(A0, B0, f.N)
        robust = (A0, B0)

    fit_measures = compute_fit_measures(f, robust)
    estimates, r2 = parameter_table(f, vcov, ci)

    names: list[str] = [""] * f.q
    for i, k in enumerate(f.free_of_row):
        if k >= 0 and not names[k]:
            names[k] = param_name(pm.rows[i])
    convergence = ""
    if not f.converged:
        convergence = "Fisher scoring stopped with a gradient above the tolerance 1e-06"
        warnings.warn(
            "The optimizer did not reach a stationary point; estimates, SEs and fit measures may be "
            "unreliable. Check the model's identification, rescale variables with very different "
            "variances, or simplify the model.", stacklevel=3)
    improper = []
    neg = [r.lhs for r, e in zip(pm.rows, f.est) if r.op == "~~" and r.lhs == r.rhs and e < 0]
    if neg:
        improper.append(f"negative variance (Heywood case): {', '.join(neg)}")
        warnings.warn(
            f"Negative variance estimate(s) for {', '.join(neg)} (Heywood case): the solution is "
            "improper. Look for an item that nearly duplicates another, a factor with too few "
            "indicators, or a misspecified model before interpreting it.", stacklevel=3)
    nlv = len(pm.lv)
    if nlv:
        _, V_all, _ = f.ram.solve()
        if np.linalg.eigvalsh(V_all[-nlv:, -nlv:])[0] <= 0:
            improper.append("latent covariance matrix not positive definite")
    return SemResult(
        estimates=estimates,
        fit_measures=fit_measures,
        r2=r2,
        implied_cov=pd.DataFrame(f.sigma, index=pm.ov, columns=pm.ov),
        sample_cov=pd.DataFrame(f.S, index=pm.ov, columns=pm.ov),
        n=f.N,
        estimator=est_name,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        converged=f.converged,
        model=model,
        implied_mean=pd.Series(f.mu, index=pm.ov, name="mean") if meanstructure else None,
        sample_mean=pd.Series(f.ybar, index=pm.ov, name="mean") if meanstructure else None,
        _state=f,
        convergence=convergence,
        improper=tuple(improper),
    )


def _fit_fiml(model: str, data: pd.DataFrame, est_name: str, ci: float) -> SemResult:
    """Single-group FIML: the multigroup engine with one group, reported as a SemResult."""
    from .multigroup import fit_groups

    pm = parse_model(model, meanstructure=True)
    if pm.ov_x:
        raise NotImplementedError(
            f"missing='ml' with fixed exogenous covariates ({', '.join(pm.ov_x)}) is not supported; treat "
            f"them as random by adding e.g. '{pm.ov_x[0]} ~~ {pm.ov_x[0]}' to the model."
        )
    X, _ = prepare_data(data, pm, fiml=True)
    res = fit_groups(model, pm, [X], [""], group=None, group_equal=(), group_partial=(), fiml=True, ci=ci,
                     estimator=est_name)  # fmt: skip
    lab = res.group_labels[0]
    estimates = res.estimates.drop(columns=["group", "group_label"]).reset_index(drop=True)
    if pm.defined:
        st = res.state
        free_of_row = [e.theta for e in st.entries]
        estimates["label"] = [r.label for r in pm.rows]  # lavaan shows user labels only in one group
        defined = defined_records(pm, pm.rows, estimates["est"].to_numpy(), free_of_row, st.theta,
                                   st.vcov, estimates["std.lv"].to_numpy(), estimates["std.all"].to_numpy(),
                                   stats.norm.ppf(1 - (1 - ci) / 2))  # fmt: skip
        estimates = pd.concat([estimates, pd.DataFrame.from_records(defined, columns=ESTIMATE_COLUMNS)],
                              ignore_index=True)  # fmt: skip
    return SemResult(
        estimates=estimates,
        fit_measures=res.fit_measures,
        r2=res.r2.loc[lab].rename("r2").dropna(),
        implied_cov=res.implied[lab]["cov"],
        sample_cov=res.sample[lab]["cov"],
        n=res.n,
        estimator=est_name,
        vcov=res.vcov,
        converged=res.converged,
        model=model,
        implied_mean=res.implied[lab]["mean"],
        sample_mean=res.sample[lab]["mean"],
        _state=res.state,
        missing="ml",
        n_patterns=int(res.n_patterns.iloc[0]),
        convergence=res.convergence,
        improper=res.improper,
    )


def estimate(pm: ParsedModel, X: np.ndarray) -> Fitted:
    """Estimates (hpmob's engine, semopy as fallback); values, implied moments and derivatives per lavaan row."""
    N, p = X.shape
    ybar = X.mean(axis=0)
    Yc = X - ybar
    S = Yc.T @ Yc / N
    ev = np.linalg.eigvalsh(S)
    if ev[0] <= 1e-10 * max(ev[-1], 1e-300):
        raise ValueError(
            "The sample covariance matrix of the model's observed variables is singular "
            "(some variables are exact linear combinations of others); drop the redundant ones."
        )
    rows = pm.rows
    # free parameter index: rows with the same label share one parameter (lavaan's equality)
    keys: dict[str, int] = {}
    free_of_row: list[int] = []
    for i, r in enumerate(rows):
        if r.free:
            free_of_row.append(keys.setdefault(r.label or f"\x00{i}", len(keys)))
        else:
            free_of_row.append(-1)
    for lab in {r.label for r in rows if r.label}:
        if len({r.free for r in rows if r.label == lab}) > 1:
            raise ValueError(f"The label {lab!r} is given to both a free and a fixed parameter.")
    q = len(keys)
    ov_index = {v: i for i, v in enumerate(pm.ov)}

    native = _native_estimate(pm, X, S, free_of_row, q)
    engine = None
    if native is not None:
        theta, converged, sigma_check = native
    else:  # semopy's SLSQP start, then the same Fisher scoring on semopy's matrices
        engine = SemopyEngine(pm, free_of_row, X)
        engine.fit()
        x_sem, converged = engine.polish(engine.model.param_vals)
        theta = np.zeros(q)
        for k in engine.cov_free:
            theta[k] = x_sem[engine.active.index(f"p{k}")]

    ram = Ram(pm.ov, pm.lv)
    positions = [ram.position(r.lhs, r.op, r.rhs) for r in rows]
    est = np.zeros(len(rows))
    for i, r in enumerate(rows):
        if r.op == "~1":
            continue
        if free_of_row[i] >= 0:
            est[i] = theta[free_of_row[i]]
        elif r.exo:
            est[i] = S[ov_index[r.lhs], ov_index[r.rhs]]  # fixed.x: the sample moment
        else:
            est[i] = r.ustart
        ram.set(positions[i], est[i])
    if pm.meanstructure:
        # saturated means: the intercepts solve mu(nu) = ybar exactly
        C, _, _ = ram.solve()
        nu = np.linalg.solve(C[:p, :p], ybar)
        for i, r in enumerate(rows):
            if r.op == "~1":
                est[i] = nu[ov_index[r.lhs]] if r.lhs in ov_index else r.ustart
                if free_of_row[i] >= 0:
                    theta[free_of_row[i]] = est[i]
                ram.set(positions[i], est[i])
    sigma, mu = ram.implied()
    if engine is not None:
        sigma_check, _ = engine.evaluate(x_sem)
    if not np.allclose(sigma, sigma_check, rtol=1e-8, atol=1e-10):
        raise RuntimeError("internal error: implied covariance differs between the estimator and the RAM table.")
    groups: list[list] = [[] for _ in range(q)]
    for i, k in enumerate(free_of_row):
        if k >= 0:
            groups[k].append(positions[i])
    dS, dmu = ram.derivatives(groups)
    return Fitted(
        pm=pm, N=N, S=S, ybar=ybar, Yc=Yc, free_of_row=free_of_row, groups=groups, theta=theta,
        est=est, ram=ram, sigma=sigma, mu=mu, dS=dS, dmu=dmu if pm.meanstructure else None,
        converged=converged,
    )  # fmt: skip


def _native_estimate(pm: ParsedModel, X: np.ndarray, S: np.ndarray, free_of_row: list[int], q: int):
    """The covariance parameters by hpmob's own engine; ``None`` where semopy's start is kept.

    Moment (or FABIN 3) starts, Fisher scoring then BFGS (:func:`hpmob.sem.multigroup_estimation.estimate`
    with one group), and the same Fisher-scoring polish as after semopy's SLSQP, so that the
    stationary point is reached to the same precision (steps below 1e-11): the two routes agree
    to about 1e-10, and this one costs a sixth of semopy's start (model construction, start
    values, SLSQP with semopy's derivatives). The means are saturated, so the centred data
    without mean rows give the same covariance parameters; ``fit()`` fills in the intercepts.

    Returns ``(theta, converged, sigma)`` or ``None`` when this route fails or ends improper
    (a negative variance, a non-positive-definite latent covariance matrix) or a label ties a
    mean to another parameter: there semopy's route runs as before, whose result may differ.
    """
    from dataclasses import replace

    from .multigroup_estimation import estimate as _estimate_native
    from .multigroup_estimation import improper
    from .multigroup_model import Model, build_table

    keep = [i for i, r in enumerate(pm.rows) if r.op != "~1"]
    mean_keys = {free_of_row[i] for i, r in enumerate(pm.rows) if r.op == "~1" and free_of_row[i] >= 0}
    if mean_keys & {free_of_row[i] for i in keep}:
        return None
    pm_cov = replace(pm, rows=[pm.rows[i] for i in keep], meanstructure=False, defined=[])
    entries = build_table(pm_cov, 1, (), ())
    ov_index = {v: i for i, v in enumerate(pm.ov)}
    for e in entries:
        if e.row.exo:  # fixed.x: the sample moment, as semopy's START
            e.value = S[ov_index[e.row.lhs], ov_index[e.row.rhs]]
    mdl = Model(pm_cov, entries, [X - X.mean(axis=0)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, ok, _ = _estimate_native(mdl)
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        return None
    if not ok or improper(mdl, t):
        return None
    t, converged = _polish(mdl, t)
    if not converged:
        return None
    theta = np.zeros(q)
    for e, i in zip(entries, keep):
        if e.theta >= 0:
            theta[free_of_row[i]] = t[e.theta]
    mdl.objective(t)
    return theta, converged, mdl.blocks[0].sigma


def _polish(mdl, x: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """Fisher scoring to a tight stationary point (``SemopyEngine.polish`` on hpmob's matrices).

    A step is taken when F does not rise by more than rounding (1e-14 relative), so the
    iteration is limited by the gradient, not by the precision of F.
    """
    x = np.array(x, dtype=float)
    f = mdl.objective(x)
    for _ in range(max_iter):
        g = mdl.gradient(x)
        try:
            step = np.linalg.solve(2 * mdl.information(), -g)
        except np.linalg.LinAlgError:
            break
        found = backtrack(mdl.objective, x, f, step)
        if found is None:
            mdl.objective(x)
            break
        x_new, f_new = found
        moved, x, f = x_new - x, x_new, f_new
        if np.max(np.abs(moved)) < 1e-11 * (1 + np.max(np.abs(x))):
            break
    f = mdl.objective(x)
    g = mdl.gradient(x)
    return x, bool(np.isfinite(f) and np.max(np.abs(g)) < 1e-6)


# tests import them from here
_estimate, _prepare_data, _SemopyEngine = estimate, prepare_data, SemopyEngine
