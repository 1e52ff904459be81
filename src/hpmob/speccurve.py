"""Specification-curve analysis: one claim's estimate across a grid of analytic choices.

Simonsohn, Simmons & Nelson (2020, *Nature Human Behaviour* 4, 1208–1214) ask three
things of a claim analysed under every defensible specification:

1. the curve: the estimates sorted, with their intervals, and the share of
   specifications supporting the claim (:func:`specification_curve`);
2. three summaries of the curve (:func:`curve_statistics`): the median estimate, the
   share of specifications significant in the claimed direction, and Stouffer's Z of
   the one-sided p-values;
3. inference under the null (:func:`joint_test`): the same grid rerun on bootstrap
   samples of data in which the effect has been removed ("forcing the null"), and for
   each summary the share of null curves at least as extreme as the observed one.

The module knows no study and no estimator: the caller passes ``estimate(spec, data)``
returning ``(estimate, p_value)`` and ``impose_null(spec, data, estimate)`` returning the
data with that specification's effect removed (for a regression slope ``b`` of ``x`` on
``y``: ``y − b·x``, the paper's construction). The R packages ``specr`` and
``speccurvieR`` implement the same steps; neither has a Python counterpart, hence this
module. Bootstrap draws are seeded per draw (``SeedSequence(seed).spawn``), so the test
does not depend on the number of workers or the backend (:mod:`hpmob.execution`).

Examples
--------
>>> import numpy as np
>>> curve = specification_curve(pd.DataFrame({"spec": ["a", "b", "c"], "estimate": [0.3, 0.1, 0.2],
...     "ci.lower": [0.1, -0.1, 0.0], "ci.upper": [0.5, 0.3, 0.4], "supported": [True, False, True]}))
>>> curve[["rank", "spec", "estimate"]].to_dict("list")
{'rank': [1, 2, 3], 'spec': ['b', 'c', 'a'], 'estimate': [0.1, 0.2, 0.3]}
>>> round(curve.attrs["share_supported"], 3)
0.667
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hpmob.execution import run_tasks

STATISTICS = ("median estimate", "share significant", "Stouffer Z")


def specification_curve(results: pd.DataFrame, *, estimate: str = "estimate",
                        supported: str = "supported") -> pd.DataFrame:
    """Sort one claim's specifications by their estimate (the curve's upper panel).

    Parameters
    ----------
    results : DataFrame
        One row per specification, with at least ``estimate`` and ``supported`` (the
        verdict of that specification, bool); any other columns (choices, CI, N,
        converged) are kept.
    estimate, supported : str
        Column names of the estimate and of the verdict.

    Returns
    -------
    DataFrame
        ``results`` sorted by estimate (stable, so ties keep the grid order) with a
        1-based ``rank`` column first; ``.attrs`` holds ``n_specifications`` and
        ``share_supported`` (the share of specifications whose verdict supports the
        claim, among those that have an estimate).

    Examples
    --------
    >>> df = pd.DataFrame({"estimate": [2.0, np.nan, 1.0], "supported": [True, False, False]})
    >>> out = specification_curve(df)
    >>> out["rank"].tolist(), out.attrs["n_specifications"], out.attrs["share_supported"]
    ([1, 2, 3], 2, 0.5)
    """
    missing = [c for c in (estimate, supported) if c not in results.columns]
    if missing:
        raise KeyError(f"specification_curve needs the column(s) {missing}; got {list(results.columns)}")
    out = results.sort_values(estimate, kind="stable", na_position="last").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    has = out[estimate].notna()
    out.attrs["n_specifications"] = int(has.sum())
    out.attrs["share_supported"] = float(out.loc[has, supported].astype(bool).mean()) if has.any() else float("nan")
    return out


def curve_statistics(estimates: Sequence[float], p_values: Sequence[float], *, direction: int = 1,
                     alpha: float = 0.05) -> dict[str, float]:
    """The three summaries of a specification curve in the claimed direction.

    Parameters
    ----------
    estimates, p_values : sequence of float
        One estimate and its two-sided p-value per specification (NaN entries, e.g. of
        specifications that did not converge, are left out).
    direction : {1, -1}
        The claimed sign of the effect.
    alpha : float
        Significance level of a single specification.

    Returns
    -------
    dict
        ``median estimate`` (times ``direction``, so larger is always "more in the
        claimed direction"), ``share significant`` (two-sided p < alpha with the claimed
        sign) and ``Stouffer Z`` (sum of the one-sided z-scores in the claimed
        direction over the square root of their number).

    Examples
    --------
    >>> s = curve_statistics([0.5, 0.2, -0.1], [0.001, 0.04, 0.6])
    >>> round(s["median estimate"], 2), round(s["share significant"], 3)
    (0.2, 0.667)
    >>> round(s["Stouffer Z"], 3)  # (3.291 + 2.054 - 0.524) / sqrt(3): one-sided p .0005, .02, .70
    2.783
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 or -1, not {direction!r}")
    est = np.asarray(estimates, dtype=float)
    p = np.asarray(p_values, dtype=float)
    ok = np.isfinite(est) & np.isfinite(p)
    est, p = est[ok], np.clip(p[ok], 1e-300, 1.0)
    if est.size == 0:
        return {s: float("nan") for s in STATISTICS}
    agrees = np.sign(est) == direction
    # one-sided p in the claimed direction from the two-sided one (symmetric statistics)
    p_one = np.where(agrees, p / 2, 1 - p / 2)
    z = stats.norm.isf(p_one)
    return {"median estimate": float(direction * np.median(est)),
            "share significant": float(np.mean(agrees & (p < alpha))),
            "Stouffer Z": float(z.sum() / np.sqrt(z.size))}


def _resample(data, idx):
    return data.iloc[idx] if isinstance(data, (pd.DataFrame, pd.Series)) else data[idx]


def _prepare_spec(spec, data, estimate: Callable, impose_null: Callable, prepare: Callable | None):
    """One specification's observed ``(estimate, p)`` and what its null refits need."""
    observed = estimate(spec, data)
    null_data = impose_null(spec, data, observed[0])
    return observed, (prepare(spec, null_data) if prepare is not None else (spec, null_data))


def _null_draws(draws: Sequence[int], seed: int, n_boot: int, n: int, states: list, estimate: Callable,
                refit: Callable | None, direction: int, alpha: float) -> list[dict[str, float]]:
    children = np.random.SeedSequence(seed).spawn(n_boot)
    out = []
    for b in draws:
        # draw b gets child b of SeedSequence(seed): the same rows whatever worker or batch runs it
        idx = np.random.default_rng(children[b]).integers(0, n, n)
        # one set of rows for every specification, so the null curves keep the dependence
        # between specifications that share data (the paper's step 3)
        if refit is None:
            res = [estimate(spec, _resample(d, idx)) for spec, d in states]
        else:
            res = [refit(state, idx) for state in states]
        out.append(curve_statistics([r[0] for r in res], [r[1] for r in res], direction=direction, alpha=alpha))
    return out


#: Null draws per task: the specifications' null states travel to a worker once for this
#: many draws, not once per draw (the result does not depend on it: draws are seeded by number).
DRAWS_PER_TASK = 10


def joint_test(specs: Sequence, data, estimate: Callable, impose_null: Callable, *, n_boot: int = 500,
               seed: int, direction: int = 1, alpha: float = 0.05, n_jobs: int = 1, backend: str = "loky",
               scheduler: str | None = None, prepare: Callable | None = None,
               refit: Callable | None = None) -> pd.DataFrame:
    """Test whether the curve as a whole is more extreme than chance, by a bootstrap under the null.

    For each specification ``k`` the data are modified so that its effect is zero
    (``impose_null(spec_k, data, estimate_k)``); ``n_boot`` bootstrap row samples are
    drawn, every specification is re-estimated on its null data at the same rows, and the
    three :func:`curve_statistics` of each null curve are compared with the observed ones.

    Parameters
    ----------
    specs : sequence
        The specifications, passed to ``estimate`` and ``impose_null`` as they are.
    data : DataFrame or ndarray
        Rows are resampling units (respondents).
    estimate : callable
        ``estimate(spec, data) -> (estimate, two-sided p-value)``; NaN for a specification
        that cannot be estimated. Module-level (picklable) for ``n_jobs > 1`` or Dask.
    impose_null : callable
        ``impose_null(spec, data, estimate) -> data`` with the effect removed.
    n_boot : int
        Null bootstrap draws.
    seed : int
        Root seed; draw ``b`` uses child ``b``.
    direction : {1, -1}
        The claimed sign.
    alpha : float
        Significance level of a single specification.
    n_jobs, backend, scheduler
        Where the specifications' preparation and the draws run
        (:func:`hpmob.execution.run_tasks`); the result does not depend on them.
    prepare, refit : callable, optional
        A faster route for the null draws, both module-level: ``prepare(spec, null_data)
        -> state`` once per specification (e.g. a fit of the null data to warm-start
        from), then ``refit(state, rows) -> (estimate, p)`` for each draw, with ``rows``
        the drawn row positions of ``data``. It must return what ``estimate(spec,
        null_data[rows])`` would. Without them every draw calls ``estimate`` on the
        resampled null data.

    Returns
    -------
    DataFrame
        One row per statistic: ``statistic, observed, p_value, mc_se, n_boot`` where
        ``p_value`` = (1 + #null ≥ observed) / (1 + n_boot) and ``mc_se`` its Monte Carlo
        standard error sqrt(p(1 − p)/n_boot).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(80, 1)); y = 0.5 * x[:, 0] + rng.normal(size=80)
    >>> def slope(spec, d):
    ...     r = stats.linregress(d[:, 0], d[:, 1]); return r.slope, r.pvalue
    >>> def null(spec, d, b):
    ...     d = d.copy(); d[:, 1] -= b * d[:, 0]; return d
    >>> res = joint_test(["ols"], np.column_stack([x, y]), slope, null, n_boot=99, seed=1)
    >>> res["p_value"].round(2).tolist()  # one specification: its share is 0 or 1, so p is about alpha
    [0.01, 0.05, 0.01]
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    if (prepare is None) != (refit is None):
        raise ValueError("pass both prepare and refit, or neither")
    specs = list(specs)
    run = {"n_jobs": n_jobs, "backend": backend, "scheduler": scheduler}
    prepared = run_tasks(_prepare_spec, [(spec, data, estimate, impose_null, prepare) for spec in specs], **run)
    observed = [o for o, _ in prepared]
    states = [st for _, st in prepared]
    obs = curve_statistics([o[0] for o in observed], [o[1] for o in observed], direction=direction, alpha=alpha)
    batches = [range(b, min(b + DRAWS_PER_TASK, n_boot)) for b in range(0, n_boot, DRAWS_PER_TASK)]
    draws = [d for batch in run_tasks(_null_draws, [(batch, seed, n_boot, len(data), states, estimate, refit,
                                                     direction, alpha) for batch in batches], **run)
             for d in batch]
    rows = []
    for s in STATISTICS:
        null = np.array([d[s] for d in draws])
        p = float((1 + np.sum(null >= obs[s])) / (1 + n_boot))
        rows.append({"statistic": s, "observed": obs[s], "p_value": p,
                     "mc_se": float(np.sqrt(p * (1 - p) / n_boot)), "n_boot": n_boot})
    return pd.DataFrame(rows)
