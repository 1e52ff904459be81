"""Multigroup SEM with cross-group equality constraints, as lavaan fits it.

semopy cannot fit several groups with parameters constrained equal across
them (``group.equal`` in lavaan), so this module is hand-written with numpy
and scipy: the lavaan parameter table of each group is built from
:func:`hpmob.sem.syntax.parse_model`, equal parameters share one free
parameter (lavaan's equality constraints by reparametrisation), and the
multigroup normal-theory ML discrepancy is minimised by Fisher scoring and then
BFGS, with analytic derivatives of the RAM moments (``Sigma = F C P C' F'``,
``mu = F C m``, ``C = (I - A)^-1``), to a gradient below 1e-10 (lavaan's
nlminb stops earlier; see the tests).

Everything follows lavaan 0.6-14 (``lav_partable_flat``,
``lav_partable_labels``, ``lav_fit_*``) and is checked against
``tests/reference/lavaan_hs_invariance.json`` in ``tests/test_sem_multigroup.py``.

This module checks the data and runs a fit (:func:`fit_multigroup`, :func:`fit_groups`);
the engine underneath is split along its jobs (issue #20): the parameter table and the
model's moments and derivatives in :mod:`hpmob.sem.multigroup_model`, starting values, the
optimiser and the information in :mod:`hpmob.sem.multigroup_estimation`, and
:class:`MultigroupResult` with its fit measures and estimates table in
:mod:`hpmob.sem.multigroup_result` (all re-exported here as before).

lavaan conventions reproduced here
----------------------------------
* Mean structure always (lavaan's multigroup default): observed intercepts
  free, latent means 0 -- except that when ``"intercepts"`` is in
  ``group_equal`` (and ``"means"`` is not) the latent means are free in
  groups 2..G (group 1 is the reference at 0).
* First loading of each factor fixed to 1 in every group; residual and latent
  (co)variances free per group.
* ``F = sum_g (N_g / N) F_g``, ``F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) -
  log|S_g| - p + (ybar_g - mu_g)' Sigma_g^-1 (ybar_g - mu_g)`` with the
  N_g-divisor ``S_g``; ``chisq = N F`` (lavaan's ``fmin`` is ``F / 2``).
* RMSEA and its interval are multiplied by ``sqrt(G)``, the close-fit
  non-centrality divided by ``G`` (Dudgeon 2004; ``lav_fit_rmsea``); SRMR is
  the N_g-weighted mean of the groups' Bentler SRMR with means.
* Standard errors from the expected information ``sum_g (N_g/N) Delta_g' W_g
  Delta_g`` (unit information; ``vcov = info^-1 / N``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .blas import one_blas_thread as _one_blas_thread
from .fiml import normalise_missing
from .information import safe_inv, sandwich
from .multigroup_estimation import estimate, observed_information, optimize
from .multigroup_model import Entry, Model, build_table, normalise_partial, param_set
from .multigroup_result import (
    MultigroupResult,
    chisq_difference,
    estimates_table,
    fiml_fit_measures,
    first_order_fiml,
    fit_measures,
)
from .syntax import ParsedModel, parse_model, suggest

# the names these had before the split (issue #20), which tests import from here
_Model, _optimize = Model, optimize

__all__ = ["fit_multigroup", "MultigroupResult", "GROUP_EQUAL", "chisq_difference"]

#: Parameter sets that ``group_equal`` can constrain equal across groups (lavaan's names).
GROUP_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)

# ----------------------------------------------------------------------- data


def group_labels(series: pd.Series, group_order) -> list:
    """The groups in lavaan's order (first appearance), or ``group_order`` once checked against the data."""
    present = series.dropna()
    if group_order is not None:
        order = list(group_order)
        values = set(present.unique())
        absent = [g for g in order if g not in values]
        if absent:
            raise ValueError(
                f"group_order names group(s) {', '.join(map(repr, absent))} that do not occur in the "
                f"group column (values: {', '.join(map(repr, sorted(map(str, values))))})."
            )
        if len(set(order)) != len(order):
            raise ValueError("group_order lists a group twice.")
        return order
    # lavaan: group.label = unique(as.character(data[[group]])), the order of first appearance
    return list(pd.unique(present))


def _prepare(data: pd.DataFrame, pm: ParsedModel, group: str, group_order, fiml: bool = False):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}.")
    cols = list(data.columns)
    if not isinstance(group, str) or group not in cols:
        raise ValueError(
            f"The group column {group!r} is not a column of `data`.{suggest(str(group), cols)}"
        )
    if group in pm.ov or group in pm.lv:
        raise ValueError(f"The group column {group!r} is also a variable of the model.")
    missing = [v for v in pm.ov if v not in cols]
    if missing:
        raise ValueError(
            f"The model uses variable(s) {', '.join(map(repr, missing))} that are not columns of "
            f"`data`.{''.join(suggest(v, cols) for v in missing[:3])} Latent variables must appear "
            "on the left of '=~'."
        )
    clash = [v for v in pm.lv if v in cols]
    if clash:
        raise ValueError(
            f"Latent variable name(s) {', '.join(map(repr, clash))} are also columns of `data`; "
            "rename the latent variable(s)."
        )
    is_num, is_cplx = pd.api.types.is_numeric_dtype, pd.api.types.is_complex_dtype
    bad = [f"{v!r} ({data[v].dtype})" for v in pm.ov if not (is_num(data[v]) and not is_cplx(data[v]))]
    if bad:
        raise ValueError(
            f"Column(s) {', '.join(bad)} are not numeric. Recode them to numbers "
            "(e.g. Likert labels to 1-5) before fitting."
        )
    gcol = data[group]
    n_na_group = int(gcol.isna().sum())
    if n_na_group:
        warnings.warn(
            f"{n_na_group} row(s) with a missing value in the group column {group!r} were dropped.",
            stacklevel=3,
        )
    labels = group_labels(gcol, group_order)
    if len(labels) < 2:
        raise ValueError(
            f"The group column {group!r} has {len(labels)} group(s); a multigroup fit needs at least "
            "two. For one group use hpmob.sem.fit."
        )
    p = len(pm.ov)
    Xall = data[pm.ov].astype(float).to_numpy()
    # FIML keeps every row with at least one observed value (lavaan drops empty rows too)
    ok = np.any(np.isfinite(Xall), axis=1) if fiml else np.all(np.isfinite(Xall), axis=1)
    Xs, n_drop = [], 0
    in_groups = np.zeros(len(data), dtype=bool)
    for lab in labels:
        mask = (gcol == lab).to_numpy() & gcol.notna().to_numpy()
        in_groups |= mask
        n_drop += int((mask & ~ok).sum())
        X = Xall[mask & ok]
        if fiml:
            check_incomplete(X, pm.ov, f"group {lab!r} of {group!r}")
            Xs.append(X)
            continue
        if X.shape[0] < p + 1:
            raise ValueError(
                # no counts in the message: it ends up in logs and failed notebooks, and a
                # group this small is one whose size must not be published
                f"Group {lab!r} of {group!r} has fewer than {p + 1} complete rows; "
                f"with {p} observed variables every group needs at least {p + 1} complete rows for its "
                f"sample covariance matrix. Merge {lab!r} with a similar group (recode {group!r}), or "
                "leave it out with group_order=[...] naming the groups to keep."
            )
        sd = X.std(axis=0)
        const = [pm.ov[i] for i in np.flatnonzero(sd == 0)]
        if const:
            raise ValueError(
                f"Variable(s) {', '.join(map(repr, const))} are constant in group {lab!r} of {group!r}; "
                "a multigroup fit needs variance in every group. Drop the variable or merge groups."
            )
        ev = np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True))
        if ev[0] <= 1e-10 * max(ev[-1], 1e-300):
            raise ValueError(
                f"The sample covariance matrix of group {lab!r} of {group!r} is singular (some variables "
                "are exact linear combinations of others in this group); drop the redundant ones or "
                "merge groups."
            )
        Xs.append(X)
    n_other = int((gcol.notna().to_numpy() & ~in_groups).sum())
    if n_other:
        warnings.warn(f"{n_other} row(s) of groups not named in group_order were not used.", stacklevel=3)
    if n_drop and fiml:
        warnings.warn(
            f"{n_drop} row(s) with no observed value in the model's variables were not used "
            f"(as lavaan); n = {sum(len(X) for X in Xs)}.",
            stacklevel=3,
        )
    elif n_drop:
        warnings.warn(
            f"{n_drop} row(s) with missing values in the model's variables were dropped "
            f"(listwise deletion, lavaan's default); n = {sum(len(X) for X in Xs)}.",
            stacklevel=3,
        )
    return Xs, labels


def check_incomplete(X: np.ndarray, ov: list[str], where: str) -> None:
    """Each variable needs two distinct observed values for FIML (and the rows a PD EM covariance)."""
    n_obs = np.isfinite(X).sum(axis=0)
    few = [f"{v!r} ({k})" for v, k in zip(ov, n_obs) if k < 2]
    if few:
        raise ValueError(
            f"Variable(s) {', '.join(few)} have fewer than two observed values in {where}; FIML cannot "
            "estimate their variance. Drop the variable or merge groups."
        )
    with np.errstate(invalid="ignore"):
        const = [v for v, sd in zip(ov, np.nanstd(X, axis=0)) if not sd > 0]
    if const:
        raise ValueError(
            f"Variable(s) {', '.join(map(repr, const))} are constant in {where}; a constant item carries "
            "no information about a factor: remove it from the model."
        )


# ------------------------------------------------------------------ main entry


def _normalise_equal(group_equal) -> tuple[str, ...]:
    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    out = tuple(dict.fromkeys(group_equal or ()))
    bad = [x for x in out if x not in GROUP_EQUAL]
    if bad:
        hint = suggest(str(bad[0]), GROUP_EQUAL)
        raise ValueError(
            f"Unknown group_equal value {bad[0]!r}.{hint} Allowed: {', '.join(GROUP_EQUAL)}."
        )
    return out


@dataclass
class _State:
    """Internals kept for score tests and latent mean comparisons."""

    pm: ParsedModel
    model: Model
    entries: list
    theta: np.ndarray
    vcov: np.ndarray
    info: np.ndarray
    labels: list
    constraints: list  # (ref entry, other entry) pairs, lavaan's order


def fit_multigroup(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    group_equal=(),
    group_partial=(),
    group_order=None,
    estimator: str = "ML",
    missing: str = "listwise",
    ci: float = 0.95,
    se: str = "standard",
) -> MultigroupResult:
    """Fit a multigroup SEM/CFA in lavaan syntax with lavaan's ``group.equal`` semantics.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, modifiers ``a*x`` (a label
        shared by all groups, so the parameter is equal across groups), ``1*x``,
        ``NA*x``). Group-specific modifiers ``c(...)`` and ``:=`` are not supported.
    data : pandas.DataFrame
        One row per respondent. With ``missing="listwise"`` (lavaan's default) rows
        with missing values in the model's observed variables are dropped; with
        ``missing="ml"`` every row with at least one observed value is used (FIML).
    group : str
        Column that defines the groups.
    group_equal : sequence of str
        Parameter sets held equal across groups (lavaan's ``group.equal``):
        ``"loadings"``, ``"intercepts"``, ``"means"``, ``"residuals"``,
        ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``,
        ``"regressions"``.
    group_partial : sequence of str
        Parameters released from ``group_equal`` in every group (lavaan's
        ``group.partial``), e.g. ``("x3~1",)`` or ``("visual=~x2",)``.
    group_order : sequence, optional
        Group labels in the order wanted (group 1 first; it is the reference
        whose latent means are 0). Default: order of first appearance in
        ``data``, as lavaan. Rows of groups not listed are not used.
    estimator : {"ML", "MLR"}
        Normal-theory ML: standard errors from the expected information with
        complete data, from the observed information (lavaan's default) with
        ``missing="ml"``. ``"MLR"`` (only with ``missing="ml"``): Huber-White SEs
        and the Yuan-Bentler scaled test, as lavaan.
    missing : {"listwise", "ml"}
        lavaan's ``missing``: ``"ml"`` (alias ``"fiml"``) is full-information ML
        (see :mod:`hpmob.sem.fiml`); the h1 model is then estimated by EM.
    ci : float
        Level of the Wald confidence intervals.
    se : {"standard", "none"}
        lavaan's ``se``: ``"none"`` skips the information matrix (with ``missing="ml"``
        a numerical Hessian, most of a fit's time) when only the estimates and the fit
        measures are wanted, e.g. the steps of a partial-invariance search. Only with
        ``estimator="ML"`` (MLR's scaled test needs the information).

    Returns
    -------
    MultigroupResult
        Estimates, fit measures, per-group fit and moments, laid out as lavaan's.

    Examples
    --------
    >>> from hpmob.sem.multigroup import fit_multigroup
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> round(float(res.fit_measures["chisq"]), 3)
    124.044
    """
    est_name = str(estimator).upper()
    fiml = normalise_missing(missing) == "ml"
    if est_name not in ("ML", "MLR"):
        raise NotImplementedError(
            f"estimator={estimator!r}: multigroup fits support estimator='ML' (lavaan's default) and 'MLR'."
        )
    if se not in ("standard", "none"):
        raise ValueError(f"se must be 'standard' or 'none'; got {se!r}.")
    if se == "none" and est_name != "ML":
        raise ValueError(f"se='none' is only available with estimator='ML' (the {est_name} test statistic "
                         "needs the information matrix); use se='standard'.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    geq = _normalise_equal(group_equal)
    pm = parse_model(model, meanstructure=True)
    if pm.defined:
        raise NotImplementedError("Defined parameters (:=) are not supported in multigroup fits yet.")
    if pm.ov_x:
        raise NotImplementedError(
            f"Exogenous observed covariates ({', '.join(pm.ov_x)}) are not supported in multigroup fits; "
            f"treat them as random by adding e.g. '{pm.ov_x[0]} ~~ {pm.ov_x[0]}' to the model."
        )
    partial = normalise_partial(group_partial, pm)
    Xs, labels = _prepare(data, pm, group, group_order, fiml)
    if est_name == "MLR" and not fiml:
        # MLR on the complete rows: the FIML engine with one pattern per group is lavaan's listwise MLR
        # (observed information, casewise scores, h1 at the sample moments); checked in
        # tests/test_sem_mlr_invariance.py
        res = fit_groups(model, pm, Xs, labels, group=group, group_equal=geq, group_partial=partial,
                         fiml=True, ci=ci, estimator=est_name)  # fmt: skip
        return replace(res, missing="listwise")
    return fit_groups(model, pm, Xs, labels, group=group, group_equal=geq, group_partial=partial,
                      fiml=fiml, ci=ci, estimator=est_name, se=se)  # fmt: skip


def fit_groups(model: str, pm: ParsedModel, Xs: list, labels: list, *, group, group_equal, group_partial,
               fiml: bool, ci: float, estimator: str = "ML", se: str = "standard") -> MultigroupResult:  # fmt: skip
    """Estimate prepared groups (``Xs``: one data matrix per group); ``fit_multigroup``'s engine.

    ``hpmob.sem.fit`` calls it with one group for single-group FIML.
    """
    geq, partial = group_equal, group_partial
    G = len(Xs)
    entries = build_table(pm, G, geq, partial)
    for k in partial:
        if not any(e.key == k and e.g == 0 and param_set(e.row, pm) in geq for e in entries):
            warnings.warn(
                f"group_partial entry {k!r} is not constrained by group_equal={list(geq)}; it has no effect.",
                stacklevel=2,
            )
    mdl = Model(pm, entries, Xs, fiml=fiml)
    with _one_blas_thread():
        theta, converged, reason = estimate(mdl)
        bad_h1 = [labels[g] for g, b in enumerate(mdl.blocks) if not getattr(b, "em_converged", True)]
        if bad_h1 and converged:
            # no saturated model, so no chi-square or fit index: the fit is not a usable result
            converged = False
            reason = (f"the EM estimate of the saturated model did not converge in group(s) "
                      f"{', '.join(map(repr, bad_h1))} (too few rows for the variables?)")
        mdl.objective(theta)
        # lavaan's default information: expected with complete data, observed with missing = "ml"
        if se == "none":
            info = None
            vcov = np.full((mdl.q, mdl.q), np.nan)
        else:
            info = observed_information(mdl, theta) if fiml else mdl.information()
            vcov = safe_inv(info) / mdl.N
        robust = None
        if estimator == "MLR":
            # lavaan's MLR: Huber-White SEs (observed information, first-order meat) and the
            # Yuan-Bentler ("mplus") scaled test
            B0 = first_order_fiml(mdl)
            vcov = sandwich(info, B0, mdl.N)
            robust = (info, B0)

    # lavaan's constraint list: for each label shared by free parameters (in order of the first
    # duplicate), the first row == each of the others
    by_label: dict[str, list[Entry]] = {}
    order: list[str] = []
    for e in entries:
        if not e.free:
            continue
        lst = by_label.setdefault(e.label, [])
        lst.append(e)
        if len(lst) == 2:
            order.append(e.label)
    constraints = [(by_label[lab][0], o) for lab in order for o in by_label[lab][1:]]

    state = _State(pm=pm, model=mdl, entries=entries, theta=theta, vcov=vcov, info=info, labels=labels,
                   constraints=constraints)  # fmt: skip
    fm, group_fit = fiml_fit_measures(mdl, labels, robust) if fiml else fit_measures(mdl, labels)
    estimates, r2 = estimates_table(mdl, theta, vcov, labels, ci)
    names = [""] * mdl.q
    for e in entries:
        if e.theta >= 0 and not names[e.theta]:
            names[e.theta] = e.out_label or (e.label if e.g == 0 else f"{e.key}.g{e.g + 1}")
    if not converged:
        warnings.warn(
            f"The optimizer did not reach a stationary point ({reason}); results may be unreliable. Small "
            "groups with many parameters are the usual cause: simplify the model or merge groups.",
            stacklevel=3,
        )
    improper: list[str] = []
    neg = sorted({f"{e.row.lhs} (group {labels[e.g]!r})" for e, v in zip(entries, estimates["est"])
                  if e.row.op == "~~" and e.row.lhs == e.row.rhs and v < 0})  # fmt: skip
    if neg:
        improper.append(f"negative variance (Heywood case): {', '.join(neg)}")
        warnings.warn(f"Negative variance estimate(s) for {', '.join(neg)} (Heywood case).", stacklevel=3)
    nlv, p = len(pm.lv), len(pm.ov)
    if nlv:
        bad = [repr(lab) for lab, b in zip(labels, mdl.blocks)
               if np.linalg.eigvalsh(b.V[p:, p:])[0] <= 0]  # fmt: skip
        if bad:
            improper.append(f"latent covariance matrix not positive definite in group(s) {', '.join(bad)}")
            # as lavaan's post-fit check: often a factor that is empirically underidentified in a
            # small group
            warnings.warn(
                f"The covariance matrix of the latent variables is not positive definite in group(s) "
                f"{', '.join(bad)}; look for latent correlations at or beyond +-1 in `estimates`, or "
                "merge small groups.",
                stacklevel=3,
            )
    implied, sample = {}, {}
    for lab, b in zip(labels, mdl.blocks):
        implied[lab] = {"cov": pd.DataFrame(b.sigma.copy(), index=pm.ov, columns=pm.ov),
                        "mean": pd.Series(b.mu.copy(), index=pm.ov, name="mean")}  # fmt: skip
        sample[lab] = {"cov": pd.DataFrame(b.S.copy(), index=pm.ov, columns=pm.ov),
                       "mean": pd.Series(b.ybar.copy(), index=pm.ov, name="mean")}  # fmt: skip
    return MultigroupResult(
        estimates=estimates,
        fit_measures=fm,
        group_fit=group_fit,
        r2=r2,
        implied=implied,
        sample=sample,
        n=int(mdl.N),
        n_by_group=pd.Series([b.N for b in mdl.blocks], index=pd.Index(labels, name=group), name="n"),
        group=group,
        group_labels=tuple(labels),
        group_equal=geq,
        group_partial=partial,
        estimator=estimator,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        converged=converged,
        model=model,
        _state=state,
        missing="ml" if fiml else "listwise",
        n_patterns=pd.Series([len(b.patterns.items) if fiml else 1 for b in mdl.blocks],
                             index=pd.Index(labels, name=group), name="n_patterns"),
        convergence=reason,
        improper=tuple(improper),
        se=se,
    )
