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
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from . import measures
from .blas import one_blas_thread
from .defined import Expression, jacobian
from .fiml import normalise_missing
from .information import (
    casewise_scores,
    expected_information,
    h1_trace,
    ml_gradient,
    numeric_hessian,
    safe_inv,
    sandwich,
    yuan_bentler_mplus,
)
from .standardize import standardize
from .structure import Ram
from .syntax import ParsedModel, parse_model, suggest

__all__ = ["SemResult", "fit", "ESTIMATORS", "RMSEA_CI_LEVEL", "RMSEA_CLOSE_H0"]

#: Estimators: lavaan's ``"ML"`` (expected information, standard test) and ``"MLR"``
#: (Huber-White SEs from observed information, Yuan-Bentler "mplus" scaled test).
ESTIMATORS = ("ML", "MLR")
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
        bootstrap read; None for results built otherwise (the ordinal fits).

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


# ------------------------------------------------------------------------ engine


class _SemopyEngine:
    """The semopy model plus the mapping between its parameters and lavaan's."""

    def __init__(self, pm: ParsedModel, free_of_row: list[int], X: np.ndarray):
        import semopy

        self.safe = {v: f"o{i}" for i, v in enumerate(pm.ov)}
        self.safe.update({v: f"l{i}" for i, v in enumerate(pm.lv)})
        lines = []
        cov_free: list[int] = []
        for r, k in zip(pm.rows, free_of_row):
            if r.op == "~1" or r.exo:
                continue  # saturated means are handled analytically; fixed.x rows are semopy's START
            if k >= 0:
                mult = f"p{k}"
                cov_free.append(k)
            else:
                mult = repr(float(r.ustart))
            lhs, rhs = self.safe[r.lhs], self.safe[r.rhs]
            lines.append(f"{lhs} {r.op} {mult}*{rhs}")
        # semopy fixes covariances among its exogenous observed variables at their sample
        # values unless told otherwise; lavaan only does so within ov.x (fixed.x)
        sem_exo = self._semopy_obs_exo(pm)
        have = {(r.lhs, r.rhs) for r in pm.rows if r.op == "~~"}
        for a in sem_exo:
            for b in sem_exo:
                if a < b and (a, b) not in have and (b, a) not in have and not (a in pm.ov_x and b in pm.ov_x):
                    lines.append(f"{self.safe[a]} ~~ 0.0*{self.safe[b]}")
        self.description = "\n".join(lines)
        self.cov_free = sorted(set(cov_free))
        with _quiet_semopy():
            self.model = semopy.Model(self.description, cov_diag=True)
        # semopy's start_lambda loops forever for a factor without a fixed loading
        # (e.g. ``f =~ NA*x1 + x2`` with ``f ~~ 1*f``); point it at the first indicator
        for f in pm.lv:
            if self.model.first_manifs.get(self.safe[f]) is None:
                first = next(r.rhs for r in pm.rows if r.op == "=~" and r.lhs == f)
                if first in pm.ov:
                    self.model.first_manifs[self.safe[f]] = self.safe[first]
        self.data = pd.DataFrame(X, columns=[self.safe[v] for v in pm.ov])
        self.ov = pm.ov

    @staticmethod
    def _semopy_obs_exo(pm: ParsedModel) -> list[str]:
        ins = {r.rhs for r in pm.rows if r.op == "=~"} | {r.lhs for r in pm.rows if r.op == "~"}
        outs = {r.rhs for r in pm.rows if r.op == "~"} | {r.lhs for r in pm.rows if r.op == "=~"}
        return [v for v in pm.ov if v in outs and v not in ins]

    def fit(self):
        with _quiet_semopy():
            res = self.model.fit(self.data, obj="MLW", solver="SLSQP")
        sm = self.model
        self.active = [n for n, prm in sm.parameters.items() if prm.active]
        expected = [f"p{k}" for k in self.cov_free]
        if sorted(self.active) != sorted(expected):
            raise RuntimeError(
                "internal error: semopy's free parameters do not match lavaan's parameter table "
                f"({sorted(self.active)} vs {sorted(expected)})."
            )
        obs = sm.vars["observed"]
        self.perm = [obs.index(self.safe[v]) for v in self.ov]
        self.S = sm.mx_cov[np.ix_(self.perm, self.perm)]
        return res

    def evaluate(self, x):
        sm = self.model
        sm.update_matrices(x)
        sigma, (m, c) = sm.calc_sigma()
        grads = sm.calc_sigma_grad(m, c)
        ix = np.ix_(self.perm, self.perm)
        p0 = sigma.shape[0]
        G = np.stack([np.broadcast_to(np.asarray(g, dtype=float), (p0, p0))[ix] for g in grads])
        return sigma[ix], G

    def objective(self, x) -> float:
        sigma, _ = self.evaluate(x)
        return _fml(sigma, self.S)

    def polish(self, x, max_iter: int = 100) -> tuple[np.ndarray, bool]:
        """Fisher scoring from semopy's solution to a tight stationary point."""
        x = np.array(x, dtype=float)
        f = self.objective(x)
        for _ in range(max_iter):
            sigma, G = self.evaluate(x)
            g = ml_gradient(sigma, self.S, G)
            J = 2 * expected_information(sigma, G)
            try:
                step = np.linalg.solve(J, -g)
            except np.linalg.LinAlgError:
                break
            found = _backtrack(self.objective, x, f, step)
            if found is None:
                break
            x_new, f_new = found
            moved, x, f = x_new - x, x_new, f_new
            if np.max(np.abs(moved)) < 1e-11 * (1 + np.max(np.abs(x))):
                break
        sigma, G = self.evaluate(x)
        g = ml_gradient(sigma, self.S, G)
        return x, bool(np.isfinite(f) and np.max(np.abs(g)) < 1e-6)


def _backtrack(objective, x: np.ndarray, f: float, step: np.ndarray):
    """Halve ``step`` until the objective does not increase (to 1e-14 relative); ``None`` if it
    still does at a step of 1e-6 (the Newton/Fisher direction is then no descent direction)."""
    t = 1.0
    while t > 1e-6:
        x_new = x + t * step
        f_new = objective(x_new)
        if np.isfinite(f_new) and f_new <= f + 1e-14 * max(1.0, abs(f)):
            return x_new, f_new
        t /= 2
    return None


@contextlib.contextmanager
def _quiet_semopy():
    """semopy logs warnings through the root logger; hpmob reports problems itself."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fml(sigma, S) -> float:
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return math.inf
    _, logdet_s = np.linalg.slogdet(S)
    return float(logdet + np.sum(S * np.linalg.inv(sigma)) - logdet_s - S.shape[0])


# --------------------------------------------------------------------- main entry


def param_name(r) -> str:
    """A free parameter's name in ``vcov`` and the bootstrap table: its label, else ``lhs op rhs``."""
    return r.label or (f"{r.lhs}{r.op}" if r.op == "~1" else f"{r.lhs}{r.op}{r.rhs}")


@dataclass
class _Fitted:
    """Internal state shared by the steps after estimation."""

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
        B0 = _first_order(f.Yc, f.sigma, f.dS, f.dmu)
        vcov = sandwich(A0, B0, f.N)
        robust = (A0, B0)

    fit_measures = _fit_measures(f, robust)
    estimates, r2 = _parameter_table(f, vcov, ci)

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
        st = res._state
        free_of_row = [e.theta for e in st.entries]
        estimates["label"] = [r.label for r in pm.rows]  # lavaan shows user labels only in one group
        defined = _defined_records(pm, pm.rows, estimates["est"].to_numpy(), free_of_row, st.theta,
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
        _state=res._state,
        missing="ml",
        n_patterns=int(res.n_patterns.iloc[0]),
        convergence=res.convergence,
        improper=res.improper,
    )


def estimate(pm: ParsedModel, X: np.ndarray) -> _Fitted:
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
        engine = _SemopyEngine(pm, free_of_row, X)
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
    return _Fitted(
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
    """Fisher scoring to a tight stationary point (``_SemopyEngine.polish`` on hpmob's matrices).

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
        found = _backtrack(mdl.objective, x, f, step)
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


def _fit_measures(f: _Fitted, robust) -> pd.Series:
    """lavaan's fitMeasures (see measures.py for why each is computed here)."""
    pm, S, N, q = f.pm, f.S, f.N, f.q
    ms = pm.meanstructure
    p = S.shape[0]
    pstar = p * (p + 1) // 2
    px = len(pm.ov_x)
    # lav_partable_ndat: fixed.x moments are not data
    ndat = pstar + (p if ms else 0) - (px * (px + 1) // 2 + (px if ms else 0))
    df = ndat - q
    chisq = max(N * _fml(f.sigma, S), 0.0)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan  # lavaan: NA when df = 0

    # independence (baseline) model: variances (and means) only; fixed.x block kept
    nox = [i for i, v in enumerate(pm.ov) if v not in pm.ov_x]
    x_idx = [i for i, v in enumerate(pm.ov) if v in pm.ov_x]
    sigma_b = np.zeros_like(S)
    sigma_b[nox, nox] = np.diag(S)[nox]
    if x_idx:
        sigma_b[np.ix_(x_idx, x_idx)] = S[np.ix_(x_idx, x_idx)]
    df_b = ndat - len(nox) * (2 if ms else 1)
    chisq_b = max(N * _fml(sigma_b, S), 0.0)
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
    return np.diag(diag), _first_order(Yc, sigma_b, dS_b, dmu_b)


def _parameter_table(f: _Fitted, vcov: np.ndarray, ci: float):
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
    records += _defined_records(pm, rows, est, free_of_row, f.theta, vcov, std_lv, std_all, zq)
    estimates = pd.DataFrame.from_records(records, columns=ESTIMATE_COLUMNS)

    # R2 of indicators and regression outcomes: 1 - standardized residual variance
    y_names = {r.rhs for r in rows if r.op == "=~"} | {r.lhs for r in rows if r.op == "~"}
    r2 = {}
    for i, r in enumerate(rows):
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in y_names:
            val = 1 - std_all[i]
            r2[r.lhs] = val if val <= 1 else math.nan
    return estimates, pd.Series(r2, dtype=float, name="r2")


def _defined_records(pm, rows, est, free_of_row, theta, vcov, std_lv, std_all, zq) -> list[dict]:
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


def _first_order(Yc, sigma, dS, dmu):
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
# tests import them from here
_estimate, _prepare_data = estimate, prepare_data
