"""Indirect effects: delta-method, Monte Carlo and bootstrap intervals for ``:=`` parameters.

An indirect effect such as ``ind := a*b`` is a product of two estimates, so its
sampling distribution is skewed and the symmetric delta-method (Sobel) interval
is known to be off in small samples. Two resampling alternatives are given next
to it:

* **Monte Carlo** (MacKinnon, Lockwood & Williams 2004; Preacher & Selig 2012):
  draw the parameters from N(theta_hat, vcov) and evaluate the ``:=``
  expression on each draw. Cheap, no refits.
* **Nonparametric bootstrap** (case resampling): refit the model on each
  resample and take percentile, bias-corrected (BC; lavaan's ``bca.simple``)
  or bias-corrected and accelerated (BCa; Efron 1987) intervals.

Refitting is the expensive part. ``fit()`` computes start values, iterates to
the optimum, polishes it and then computes SEs and fit measures, which costs
about 0.02-0.5 s per model. A bootstrap resample moves the
estimates by about one standard error, so the full-sample estimate is an
excellent start. From there, Newton steps with the exact analytic Hessian of
F_ML (falling back to Fisher scoring where that Hessian is not positive
definite) reach the resample's optimum in about 5-7 steps. The steps run on
vectorized RAM matrices, with no semopy model per replicate. Fisher scoring
alone, the iteration ``fit()`` uses to polish, converges only linearly under
misfit (about 40 steps for PoliticalDemocracy). A replicate whose
warm-started iteration does not converge is refitted from scratch with
``fit()``'s own estimator. If that fails as well, the
replicate is counted as failed, kept as a row of NaN, and reported.

Conventions follow lavaan 0.6-14 (``parameterEstimates`` with
``se = "bootstrap"``). Percentile endpoints use the order statistic
(R + 1) * alpha with interpolation on the normal quantile scale between
neighbouring order statistics (``boot:::norm.inter``, which lavaan copies). This
is not R's ``quantile(type = 6)``, although it uses the same (R + 1) * alpha
rank. ``bca.simple`` is z0 = qnorm(mean(t < t0)) with no acceleration. The
bootstrap standard error of a defined parameter is ``sd(t)`` (divisor R - 1), as lavaan's
``lav_model_vcov_se``. Nonadmissible replicates (negative variances) are kept,
and failed ones are excluded from the intervals, as lavaan does.

This module holds the two public functions; the refits (the plan, the batches, the
workers) are in :mod:`hpmob.sem.refits`, the interval formulas and their table rows in
:mod:`hpmob.sem.intervals` (issue #20).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .blas import one_blas_thread as _one_blas_thread
from .defined import jacobian
from .fiml import normalise_missing
from .fit import SemResult, estimate, fit, prepare_data
from .information import casewise_scores, observed_information
from .intervals import OUTPUT_COLUMNS, bootstrap_records, norm_inter, record
from .refits import FAILED, OK, Plan, bootstrap_plan, check_count, check_seed, refit_many
from .syntax import parse_model, suggest

__all__ = ["indirect_effects", "bootstrap", "METHODS", "ACCELERATION"]

#: Methods accepted by :func:`indirect_effects`; ``"bootstrap"`` expands to the
#: three bootstrap intervals ``bootstrap_percentile``, ``bootstrap_bc`` and ``bootstrap_bca``.
METHODS = ("delta", "montecarlo", "bootstrap")
#: How the BCa acceleration is estimated: exact leave-one-out refits ("jackknife",
#: Efron 1987, eq. 6.6) or the analytic empirical influence of the ML estimator
#: ("influence", the infinitesimal jackknife; Efron & Tibshirani 1993, sec. 22.6).
ACCELERATION = ("jackknife", "influence")


def bootstrap(
    model: str,
    data: pd.DataFrame,
    *,
    n_boot: int,
    seed: int,
    n_jobs: int = 2,
    progress: bool = False,
    warm_start: bool = True,
    estimator: str = "ML",
    meanstructure: bool = False,
    missing: str = "listwise",
) -> pd.DataFrame:
    """Nonparametric (case-resampling) bootstrap of an SEM's free and defined parameters.

    Parameters
    ----------
    model : str
        lavaan model syntax, as for :func:`hpmob.sem.fit` (labels and ``:=`` allowed).
    data : pandas.DataFrame
        One row per respondent. Rows with missing values in the model's variables
        are dropped first (listwise, as ``fit``), and resampling draws from the
        complete rows.
    n_boot : int
        Number of bootstrap replicates (lavaan's ``bootstrap = R``).
    seed : int
        Seed of a :class:`numpy.random.SeedSequence`. Replicate ``r`` resamples
        with ``default_rng(SeedSequence(seed).spawn(n_boot)[r])``, so a replicate
        does not depend on ``n_jobs``, on the batching, or on ``n_boot``. The
        first 200 replicates of ``n_boot=2000`` are those of ``n_boot=200``.
    n_jobs : int
        Worker processes (joblib ``loky``; ``-1`` means all cores). The replicates
        go to the workers in a few batches, not one task per replicate.
    progress : bool
        Show a tqdm progress bar.
    warm_start : bool
        Start each refit from the full-sample estimates and take Newton steps
        (exact analytic Hessian, with Fisher scoring as the fallback) on
        vectorized RAM matrices. This is fast. If the warm start does not
        converge, the replicate is refitted from scratch. ``False`` always refits
        from scratch with ``fit()``'s estimator (start values, optimiser and
        polish), which is slow and meant for checking.
    estimator : {"ML", "MLR"}
        ML and MLR have the same point estimates, so the replicates are the
        same. The argument is accepted so that calls can mirror ``fit()``.
    meanstructure : bool
        As in ``fit()``: add free observed intercepts.
    missing : {"listwise", "ml"}
        ``"ml"`` (alias ``"fiml"``): resample all rows FIML uses, incomplete ones
        included, and refit each replicate by FIML (see
        :mod:`hpmob.sem.fiml_bootstrap`); the columns are then the free
        parameters of ``fit(model, data, missing="ml")`` (with the intercepts).

    Returns
    -------
    pandas.DataFrame
        One row per replicate (index ``replicate``, 0 .. n_boot - 1) and one
        column per free parameter (named as the rows of ``SemResult.vcov``: the
        label, else ``lhs op rhs``), followed by the defined parameters. Failed
        replicates stay in the table as rows of NaN and are not dropped.
        ``.attrs`` holds ``n_ok``, ``n_failed``, ``failed_replicates``,
        ``n_cold_restarts``, ``n_nonadmissible`` and ``nonadmissible_replicates``
        (lavaan's ``post.check``: a negative variance, or a non-positive-definite
        latent covariance or residual covariance matrix; kept, as lavaan keeps
        them), and ``seed``. A ``RuntimeWarning`` reports any failure.

    See Also
    --------
    indirect_effects : intervals for defined parameters from these replicates.

    Notes
    -----
    The full-sample estimate is not stored in the table. It is
    ``fit(model, data).estimates``. A warm-started refit stops after a full
    Newton step smaller than 1e-6, or any step smaller than 1e-10 (relative to
    1 + |theta|). It counts as converged when the gradient of F_ML is below
    1e-6, the criterion ``fit()`` uses. The replicates agree with cold
    ``fit()`` calls on the same resamples to about 1e-8. On lavaan 0.6-14's
    own resamples they agree with lavaan's bootstrap draws to 2e-4, which is
    lavaan's convergence tolerance (``tests/test_sem_indirect.py``).

    The resampling unit is the respondent (row), with replacement, n rows per
    replicate, as lavaan's ``bootstrap = R`` with ``type = "ordinary"``. With
    fixed.x covariates, their fixed (co)variances are recomputed on each
    resample, as lavaan does.

    Examples
    --------
    >>> from hpmob.sem.indirect import bootstrap
    >>> from semopy.examples import political_democracy
    >>> pd_data = political_democracy.get_data()
    >>> model = '''ind60 =~ x1 + x2 + x3
    ... dem60 =~ y1 + y2 + y3 + y4
    ... dem60 ~ a*ind60
    ... '''
    >>> boot = bootstrap(model, pd_data, n_boot=200, seed=1, n_jobs=1)
    >>> boot.shape, round(float(boot["a"].std()), 3), boot.attrs["n_failed"]
    ((200, 15), 0.317, 0)
    """
    n_boot = check_count(n_boot, "n_boot", 2)
    seed = check_seed(seed)
    est_name = str(estimator).upper()
    if est_name not in ("ML", "MLR"):
        raise ValueError(f"estimator must be 'ML' or 'MLR', not {estimator!r}.")
    if normalise_missing(missing) == "ml":
        from .fiml_bootstrap import FimlPlan

        pm = parse_model(model, meanstructure=True)
        X, _ = prepare_data(data, pm, fiml=True)
        full = fit(model, data, missing="ml")
        if not full.converged:
            warnings.warn(
                "The full-sample fit did not reach a stationary point; warm starts begin from it.", stacklevel=2
            )
        plan = FimlPlan(pm, full, X)
        with _one_blas_thread():
            return bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                   warm_start=warm_start)  # fmt: skip
    pm = parse_model(model, meanstructure=meanstructure)
    X, _ = prepare_data(data, pm)
    f = estimate(pm, X)
    if not f.converged:
        warnings.warn(
            "The full-sample fit did not reach a stationary point; warm starts begin from it.", stacklevel=2
        )
    plan = Plan.build(pm, f, X)
    return bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress, warm_start=warm_start)


def _influence_values(plan: Plan, f, names: list[str]) -> np.ndarray:
    """Infinitesimal-jackknife influence values of the defined parameters (n x k).

    The ML estimator's empirical influence is IF_i = H^-1 s_i: s_i is respondent i's
    score and H is the unit observed information (Hessian of F_ML / 2). Of a
    defined parameter it is J IF_i, with J the Jacobian of the := expressions.
    """
    is_cov = np.array([any(pos[0] != "m" for pos in g) for g in f.groups])
    H = observed_information(f.ram, f.groups, f.theta, is_cov, f.S, f.sigma, f.dmu)
    scores = casewise_scores(f.Yc, f.sigma, f.dS, f.dmu)
    IF = np.linalg.solve(H, scores.T).T  # n x q

    def defined_at(theta):
        vals = {}
        for lab, r in plan.label_row.items():
            k = plan.free_of_row[r]
            vals[lab] = np.array(theta[k] if k >= 0 else plan.est0[r])
        d = plan.evaluate_defined(vals)
        return np.array([float(d[nm]) for nm in names])

    J = jacobian(defined_at, f.theta)
    return IF @ J.T


# ------------------------------------------------------------ indirect effects


def indirect_effects(
    result: SemResult,
    data: pd.DataFrame,
    *,
    defined: str | list[str] | None = None,
    methods=("delta", "montecarlo", "bootstrap"),
    n_boot: int = 2000,
    n_mc: int = 20000,
    ci: float = 0.95,
    seed: int,
    n_jobs: int = 2,
    progress: bool = False,
    acceleration: str = "jackknife",
    replicates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Delta-method, Monte Carlo and bootstrap intervals for defined (``:=``) parameters.

    Parameters
    ----------
    result : SemResult
        The fit, from :func:`hpmob.sem.fit`, of a model with ``:=`` parameters,
        e.g. ``ind := a*b``.
    data : pandas.DataFrame
        The data ``result`` was fitted to. It is checked against the fit, and it is
        resampled for the bootstrap.
    defined : str or list of str, optional
        Defined parameters to report. Default: all of them, in model order.
    methods : sequence of {"delta", "montecarlo", "bootstrap"}
        ``"bootstrap"`` gives three rows per effect: ``bootstrap_percentile``,
        ``bootstrap_bc`` (bias-corrected; lavaan's ``bca.simple``) and
        ``bootstrap_bca`` (bias-corrected and accelerated).
    n_boot : int
        Bootstrap replicates (ignored when ``replicates`` is given).
    n_mc : int
        Monte Carlo draws.
    ci : float
        Confidence level.
    seed : int
        The bootstrap uses ``SeedSequence(seed).spawn(n_boot)``, exactly as
        :func:`bootstrap`. The Monte Carlo draws use ``default_rng(seed)``, the
        root of that SeedSequence, which is independent of its children.
    n_jobs, progress
        Passed to :func:`bootstrap` (and to the jackknife refits).
    acceleration : {"jackknife", "influence"}
        How BCa's acceleration is estimated. ``"jackknife"`` uses the exact
        leave-one-out jackknife of Efron (1987): n warm-started refits, which
        cost about n / n_boot of the bootstrap. ``"influence"`` uses the
        analytic empirical influence values of the ML estimator (the
        infinitesimal jackknife) and needs no refits. It is not available when
        the model has fixed.x covariates, whose fixed moments also vary between
        samples.
    replicates : pandas.DataFrame, optional
        Output of :func:`bootstrap` for the same model, data and seed, to reuse
        an existing bootstrap.

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per effect and method, with columns ``effect, method, est,
        se, ci.lower, ci.upper, n_draws``. ``est`` is always the full-sample
        estimate (as lavaan reports it). ``se`` is the delta-method standard error, or the
        SD of the Monte Carlo draws or of the successful bootstrap replicates
        (divisor n - 1, as lavaan for defined parameters). ``n_draws`` is the
        number of draws or successful replicates behind the interval.
        ``.attrs`` holds ``z0`` (bias correction) and ``acceleration`` per effect,
        and the bootstrap's counts (``n_failed``, ``n_cold_restarts``,
        ``n_nonadmissible``).

    Notes
    -----
    * **delta**: ``est +/- z * se`` with the delta-method standard error from ``result`` (ML
      expected information, or the MLR sandwich). This is lavaan's default
      ``:=`` row.
    * **montecarlo**: draws of the labelled parameters from
      N(theta_hat, vcov) (MacKinnon et al. 2004; Preacher & Selig 2012). The
      interval is the ``ci`` quantiles of the expression over the draws, with
      linear interpolation (R's type 7, numpy's default). This is
      semTools::monteCarloCI's convention.
    * **bootstrap_percentile**: lavaan's ``boot.ci.type = "perc"``
      (``boot:::norm.inter``: rank (R + 1) * alpha with normal-scale
      interpolation; for R = 2000 and 95 % this lies between the 50th and
      51st order statistics).
    * **bootstrap_bc**: lavaan's ``boot.ci.type = "bca.simple"``.
      z0 = qnorm(mean(t < t_hat)), a = 0.
    * **bootstrap_bca**: Efron (1987), with acceleration
      a = sum(L^3) / (6 * sum(L^2)^1.5) from jackknife or influence values L.

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.sem.indirect import indirect_effects
    >>> from semopy.examples import political_democracy
    >>> pd_data = political_democracy.get_data()
    >>> model = '''ind60 =~ x1 + x2 + x3
    ... dem60 =~ y1 + y2 + y3 + y4
    ... dem65 =~ y5 + y6 + y7 + y8
    ... dem60 ~ a*ind60
    ... dem65 ~ c*ind60 + b*dem60
    ... y1 ~~ y5
    ... y2 ~~ y4 + y6
    ... y3 ~~ y7
    ... y4 ~~ y8
    ... y6 ~~ y8
    ... ind := a*b
    ... total := c + a*b
    ... '''
    >>> res = fit(model, pd_data)
    >>> indirect_effects(res, pd_data, defined="ind", n_boot=300, n_mc=5000, seed=1, n_jobs=1).round(3)
      effect                method    est     se  ci.lower  ci.upper  n_draws
    0    ind                 delta  1.242  0.355     0.545     1.938     <NA>
    1    ind            montecarlo  1.242  0.357     0.566     1.973     5000
    2    ind  bootstrap_percentile  1.242  0.354     0.615     1.942      300
    3    ind          bootstrap_bc  1.242  0.354     0.640     2.136      300
    4    ind         bootstrap_bca  1.242  0.354     0.630     2.079      300
    """
    if not isinstance(result, SemResult) or result.state is None:
        raise TypeError("`result` must be the SemResult returned by hpmob.sem.fit().")
    if result.missing != "listwise":
        return _indirect_effects_fiml(result, data, defined=defined, methods=methods, n_boot=n_boot, n_mc=n_mc,
                                      ci=ci, seed=seed, n_jobs=n_jobs, progress=progress, replicates=replicates,
                                      acceleration=acceleration)
    f = result.state
    pm = f.pm
    if not pm.defined:
        raise ValueError(
            "The model has no defined parameters; add one such as 'ind := a*b' (label the paths "
            "with 'a*' and 'b*') and fit again."
        )
    all_defined = [name for name, _ in pm.defined]
    if defined is None:
        names = all_defined
    else:
        names = [defined] if isinstance(defined, str) else list(defined)
        unknown = [n for n in names if n not in all_defined]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a defined parameter of the model (defined: "
                f"{', '.join(all_defined)}).{suggest(unknown[0], all_defined)}"
            )
    if isinstance(methods, str):
        methods = [methods]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {list(methods)!r}.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    if acceleration not in ACCELERATION:
        raise ValueError(f"acceleration must be one of {ACCELERATION}, not {acceleration!r}.")
    seed = check_seed(seed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit() already reported dropped rows
        X, _ = prepare_data(data, pm)
    Xc = X - X.mean(axis=0)
    if X.shape[0] != f.N or not np.allclose(Xc.T @ Xc / X.shape[0], f.S, rtol=1e-10, atol=1e-12):
        raise ValueError(
            "`data` is not the data `result` was fitted to (different complete rows or values); "
            "pass the same DataFrame that went into fit()."
        )
    plan = Plan.build(pm, f, X)
    table = result.estimates.set_index("lhs")
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    records: list[dict] = []
    attrs: dict = {"ci": ci, "seed": seed, "z0": {}, "acceleration": {}}
    est_hat = {n: float(table.loc[n, "est"]) for n in names}

    if "delta" in methods:
        for n in names:
            se = float(table.loc[n, "se"])
            records.append(record(n, "delta", est_hat[n], se, est_hat[n] - z * se, est_hat[n] + z * se, pd.NA))

    if "montecarlo" in methods:
        n_mc = check_count(n_mc, "n_mc", 100)
        draws = _monte_carlo(plan, result.vcov.to_numpy(), n_mc, seed)
        q = np.quantile(draws.to_numpy()[:, [list(draws.columns).index(n) for n in names]],
                        [(1 - ci) / 2, (1 + ci) / 2], axis=0)  # fmt: skip
        for j, n in enumerate(names):
            t = draws[n].to_numpy()
            records.append(record(n, "montecarlo", est_hat[n], float(np.std(t, ddof=1)), q[0, j], q[1, j], n_mc))

    if "bootstrap" in methods:
        if replicates is None:
            n_boot = check_count(n_boot, "n_boot", 2)
            replicates = bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                         warm_start=True)  # fmt: skip
        else:
            missing = [n for n in names if n not in replicates.columns]
            if missing:
                raise ValueError(f"`replicates` has no column {missing[0]!r}; pass bootstrap() of this model.")
        attrs.update({k: replicates.attrs[k] for k in ("n_failed", "n_cold_restarts", "n_nonadmissible")
                      if k in replicates.attrs})  # fmt: skip
        L = _jackknife_or_influence(plan, f, names, acceleration, n_jobs=n_jobs, progress=progress)
        boot_records, z0s, accelerations = bootstrap_records(names, replicates, est_hat, L, ci)
        records += boot_records
        attrs["z0"].update(z0s)
        attrs["acceleration"].update(accelerations)
        for n, z0 in z0s.items():
            if not np.isfinite(z0):
                warnings.warn(
                    f"All bootstrap replicates of {n} lie on one side of the estimate; the BC and BCa "
                    "intervals are undefined (NaN).",
                    RuntimeWarning,
                    stacklevel=2,
                )
        attrs["acceleration_method"] = acceleration

    # effect-major, methods in a fixed order, whatever order they were computed in
    method_order = ["delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca"]
    records.sort(key=lambda r: (names.index(r["effect"]), method_order.index(r["method"])))
    out = pd.DataFrame.from_records(records, columns=OUTPUT_COLUMNS)
    out["n_draws"] = out["n_draws"].astype("Int64")
    out.attrs.update(attrs)
    return out


def _monte_carlo(plan: Plan, vcov: np.ndarray, n_mc: int, seed: int) -> pd.DataFrame:
    """Draws of the defined parameters with theta ~ N(theta_hat, vcov)."""
    # only the free parameters named in := expressions are drawn: their marginal
    # normal is all that matters, and it avoids factoring the whole (possibly
    # near-singular) vcov
    used = sorted({plan.free_of_row[r] for r in plan.label_row.values() if plan.free_of_row[r] >= 0})
    mean = plan.theta0[used]
    V = vcov[np.ix_(used, used)]
    try:
        root = np.linalg.cholesky(V)
    except np.linalg.LinAlgError:
        w, Q = np.linalg.eigh(V)
        root = Q * np.sqrt(np.clip(w, 0, None))
    rng = np.random.default_rng(seed)
    theta = mean + rng.standard_normal((n_mc, len(used))) @ root.T
    col = {k: c for c, k in enumerate(used)}
    values = {}
    for lab, r in plan.label_row.items():
        k = plan.free_of_row[r]
        values[lab] = theta[:, col[k]] if k >= 0 else np.full(n_mc, plan.est0[r])
    return pd.DataFrame(plan.evaluate_defined(values))


def _indirect_effects_fiml(result, data, *, defined, methods, n_boot, n_mc, ci, seed, n_jobs, progress, replicates,
                           acceleration) -> pd.DataFrame:
    """:func:`indirect_effects` of a FIML fit: the same intervals, refits by FIML.

    Delta: the ``:=`` rows of ``result.estimates`` (lavaan's delta-method SEs under
    FIML). Monte Carlo: free parameters drawn from N(theta_hat, vcov). Bootstrap: the
    FIML case-resampling replicates of :func:`bootstrap` (``missing="ml"``), BCa with the
    jackknife acceleration (each row left out once, refitted by FIML; the influence
    shortcut is for complete data only).
    """
    from .fiml_bootstrap import FimlPlan

    pm = parse_model(result.model, meanstructure=True)
    all_defined = [name for name, _ in pm.defined]
    if not all_defined:
        raise ValueError("The model has no defined parameters; add one such as 'ind := a*b' (label the paths "
                         "with 'a*' and 'b*') and fit again.")
    names = all_defined if defined is None else ([defined] if isinstance(defined, str) else list(defined))
    unknown = [n for n in names if n not in all_defined]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a defined parameter of the model (defined: "
                         f"{', '.join(all_defined)}).{suggest(unknown[0], all_defined)}")
    methods = [methods] if isinstance(methods, str) else list(methods)
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {list(methods)!r}.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    if acceleration == "influence" and "bootstrap" in methods:
        raise ValueError("acceleration='influence' is for complete-data fits; use acceleration='jackknife' "
                         "with missing='ml'.")
    seed = check_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit() already reported the rows it did not use
        X, _ = prepare_data(data, pm, fiml=True)
    if X.shape[0] != result.n:
        raise ValueError("`data` is not the data `result` was fitted to (a different number of usable rows); "
                         "pass the same DataFrame that went into fit().")
    plan = FimlPlan(pm, result, X)
    table = result.estimates.set_index("lhs")
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    est_hat = {n: float(table.loc[n, "est"]) for n in names}
    records: list[dict] = []
    attrs: dict = {"ci": ci, "seed": seed, "z0": {}, "acceleration": {}}
    if "delta" in methods:
        for n in names:
            se = float(table.loc[n, "se"])
            records.append(record(n, "delta", est_hat[n], se, est_hat[n] - z * se, est_hat[n] + z * se, pd.NA))
    if "montecarlo" in methods:
        n_mc = check_count(n_mc, "n_mc", 100)
        used = sorted(set(plan.label_theta.values()))
        V = result.vcov.to_numpy()[np.ix_(used, used)]
        try:
            root = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            w, Q = np.linalg.eigh(V)
            root = Q * np.sqrt(np.clip(w, 0, None))
        E = np.tile(plan.est0, (n_mc, 1))
        E[:, used] = plan.est0[used] + np.random.default_rng(seed).standard_normal((n_mc, len(used))) @ root.T
        draws = plan.table(E)
        for n in names:
            t = draws[n].to_numpy()
            lo, hi = np.quantile(t, [(1 - ci) / 2, (1 + ci) / 2])
            records.append(record(n, "montecarlo", est_hat[n], float(np.std(t, ddof=1)), lo, hi, n_mc))
    if "bootstrap" in methods:
        if replicates is None:
            n_boot = check_count(n_boot, "n_boot", 2)
            with _one_blas_thread():
                replicates = bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                             warm_start=True)  # fmt: skip
        attrs.update({k: replicates.attrs[k] for k in ("n_failed", "n_cold_restarts", "n_nonadmissible")
                      if k in replicates.attrs})  # fmt: skip
        with _one_blas_thread():
            E, status, _ = refit_many(plan, "jackknife", list(range(X.shape[0])), n_jobs=n_jobs, progress=progress,
                                       warm_start=True, desc="jackknife")  # fmt: skip
        theta_i = plan.table(E)[names].to_numpy(dtype=float, copy=True)
        theta_i[status == FAILED] = np.nan
        L = (X.shape[0] - 1) * (np.nanmean(theta_i, axis=0) - theta_i)
        # the same intervals as with complete data (acceleration_factor leaves out the rows
        # whose leave-one-out refit failed, NaN in L)
        boot_records, z0s, accelerations = bootstrap_records(names, replicates, est_hat, L, ci)
        records += boot_records
        attrs["z0"].update(z0s)
        attrs["acceleration"].update(accelerations)
        attrs["acceleration_method"] = "jackknife"
    method_order = ["delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca"]
    records.sort(key=lambda r: (names.index(r["effect"]), method_order.index(r["method"])))
    out = pd.DataFrame.from_records(records, columns=OUTPUT_COLUMNS)
    out["n_draws"] = out["n_draws"].astype("Int64")
    out.attrs.update(attrs)
    return out


def _jackknife_or_influence(plan: Plan, f, names, acceleration, *, n_jobs, progress) -> np.ndarray:
    """Empirical influence values (n x effects) for BCa's acceleration."""
    if acceleration == "influence":
        if plan.pm.ov_x:
            raise ValueError(
                "acceleration='influence' ignores the sampling variability of fixed.x covariates "
                f"({', '.join(plan.pm.ov_x)}); use acceleration='jackknife'."
            )
        return _influence_values(plan, f, names)
    n = plan.X.shape[0]
    E, status, _ = refit_many(plan, "jackknife", list(range(n)), n_jobs=n_jobs, progress=progress,
                            warm_start=True, desc="jackknife")  # fmt: skip
    theta_i = plan.table(E)[names].to_numpy(dtype=float, copy=True)
    theta_i[status == FAILED] = np.nan
    # jackknife influence values L_i = (n - 1) (mean of theta_(.) - theta_(-i))
    return (n - 1) * (np.nanmean(theta_i, axis=0) - theta_i)


# the names these had before the split (issue #20), which tests import from here
_norm_inter, _OK, _Plan = norm_inter, OK, Plan
