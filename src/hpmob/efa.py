"""Exploratory checks before the CFA: sampling adequacy, sphericity, number of factors, loadings.

Every function takes a DataFrame whose columns are items (already
reverse-keyed) and whose rows are respondents, and returns a tidy pandas
object. Results are checked against R (``psych`` 2.2.9, ``GPArotation``
2022.10-2) in ``tests/test_efa.py`` with the references in
``tests/reference/efa_hs.json`` (HolzingerSwineford1939) and
``tests/reference/hpmob_cfa.json`` (the survey's 31 items).

Functions
---------
kmo
    Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (``psych::KMO``).
bartlett_sphericity
    Bartlett's (1950) test that the correlation matrix is an identity (``psych::cortest.bartlett``).
parallel_analysis
    Horn's (1965) parallel analysis with simulated normal data.
efa_loadings
    Rotated EFA loadings, communalities and factor correlations (``psych::fa``).
suitability_table
    One-row summary: n, items, KMO, Bartlett, number of factors by parallel analysis.

Relation to factor_analyzer
---------------------------
``factor_analyzer`` (0.5.1) does the factor extraction (minres, ML) and the
rotation in :func:`efa_loadings`; it agrees with ``psych::fa`` there. We do
*not* use it for the rest, because:

* ``calculate_kmo`` inverts the *covariance* matrix and switches to a
  pseudo-inverse with a warning whenever its determinant is below 1.2e-7.
  That determinant scales with the product of the item variances, so the
  switch depends on the units (the survey's 31 items divided by 5 trigger
  it), not on the correlations. KMO is a property of the correlation matrix,
  which is what ``psych::KMO`` and :func:`kmo` invert. (Where it does not
  switch, its KMO equals ours to 1e-15.)
* ``calculate_bartlett_sphericity`` computes ``log(det(R))`` as
  ``np.log(np.linalg.det(R))``, which underflows for many items; we use
  ``slogdet``. The formula and n (the number of rows) are the same as psych's.
* Neither function handles missing answers, and ``FactorAnalyzer`` imputes
  them with the median by default. Here missing answers are handled by
  pairwise-complete correlations, as psych does (or listwise deletion).
* ``FactorAnalyzer.fit`` re-orders the loading columns after an oblique
  rotation but not ``phi_`` (so the factor correlations refer to the wrong
  factors), and its ``get_communalities`` sums squared *pattern* loadings,
  which is not the communality when factors correlate. :func:`efa_loadings`
  therefore rotates with ``factor_analyzer.rotator.Rotator`` itself and
  orders loadings and correlations together, with communality
  ``diag(L Φ Lᵀ)`` as psych reports it.

Missing values
--------------
``nan_policy="pairwise"`` (default, as ``psych``'s ``use = "pairwise"``) uses
each item pair's complete rows for its correlation; ``n`` is the number of
rows with at least one answered item. ``"listwise"`` first drops rows with any
missing item (then everything agrees with R on ``na.omit(x)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import criteria
from .checks import NAN_POLICIES as NAN_POLICIES  # not in __all__; where callers find it
from .checks import item_correlation
from .factor_input import check_positive_definite, eigenvalues, prepare_factor_items

# KMO and Bartlett (hpmob.sampling_adequacy) and the loadings (hpmob.factor_loadings) are
# defined apart and re-exported here, where callers import them from.
from .factor_loadings import EFA_METHODS as EFA_METHODS
from .factor_loadings import EFASolution, efa_loadings
from .sampling_adequacy import bartlett_sphericity, kmo

__all__ = [
    "EFASolution",
    "bartlett_sphericity",
    "efa_loadings",
    "kmo",
    "parallel_analysis",
    "suitability_table",
]

PARALLEL_METHODS = ("pca", "fa")

#: Percentile of the simulated eigenvalues an observed one must exceed in
#: parallel analysis: the 95th (Glorfeld 1995), psych's ``quant = .95``.
#: Horn's (1965) original compared with the mean, which over-extracts.
PARALLEL_QUANTILE = 0.95


# Parallel analysis draws this many normal numbers per numpy batch at most
# (~32 MB), so that n_iter = 10 000 on a large survey does not exhaust memory.
# Batches come from one Generator in sequence, so results do not depend on it.
_BATCH_NUMBERS = 4_000_000


# --------------------------------------------------------------------------- #
# Parallel analysis
# --------------------------------------------------------------------------- #
def _as_generator(seed, func: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"{func}(): seed must be a non-negative int or a numpy Generator (the notebook's "
        f"`parameters` cell should set it, so reruns give the same numbers); got {seed!r}."
    )


def _simulated_eigenvalues(n: int, p: int, n_iter: int, rng: np.random.Generator, method: str) -> np.ndarray:
    """Eigenvalues of the correlation matrices of ``n_iter`` normal n × p data sets.

    One batched computation (einsum, eigvalsh) instead of a Python loop; the
    batches only cap memory and come from one generator in order, so the
    result does not depend on the batch size.
    """
    per_batch = max(1, min(n_iter, _BATCH_NUMBERS // (n * p)))
    out = np.empty((n_iter, p))
    done = 0
    while done < n_iter:
        b = min(per_batch, n_iter - done)
        Z = rng.standard_normal((b, n, p))
        Z -= Z.mean(axis=1, keepdims=True)
        # einsum's plain loop, not a batched BLAS matmul: on a busy machine
        # the many small multithreaded gemm calls stall (seconds instead of
        # ~50 ms), and a single-threaded sum does not depend on thread count.
        C = np.einsum("bni,bnj->bij", Z, Z)
        s = np.sqrt(np.diagonal(C, axis1=1, axis2=2))
        R = C / (s[:, :, None] * s[:, None, :])
        out[done : done + b] = eigenvalues(R, method)
        done += b
    return out


def parallel_analysis(
    data: pd.DataFrame,
    *,
    seed,
    n_iter: int = 100,
    quantile: float = PARALLEL_QUANTILE,
    method: str = "pca",
    nan_policy: str = "pairwise",
) -> pd.DataFrame:
    """Count the factors that stand out from noise by Horn's (1965) parallel analysis.

    The eigenvalues of the observed correlation matrix are compared with those
    of ``n_iter`` data sets of independent standard-normal variables of the
    same shape (n × p). Factors are retained while the observed eigenvalue
    exceeds the ``quantile`` of the simulated ones at the same position; the
    count stops at the first that does not (psych's rule).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items.
    seed : int or numpy.random.Generator
        Required, so that the simulation is reproducible.
    n_iter : int, default 100
        Number of simulated data sets.
    quantile : float, default 0.95
        Percentile of the simulated eigenvalues to beat (Glorfeld 1995); 0.5
        is close to Horn's original comparison with the mean.
    method : {"pca", "fa"}, default "pca"
        ``"pca"``: eigenvalues of R (components, Horn's original).
        ``"fa"``: eigenvalues of R with squared multiple correlations on the
        diagonal (common factors; ``psych::fa.parallel(SMC = TRUE)``). psych's
        default "fa" eigenvalues instead come from a one-factor minres fit to
        every simulated matrix, which cannot be vectorized; the SMC version is
        the classic one (Humphreys & Ilgen 1969) and suggests the same number
        of factors on HolzingerSwineford1939.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`kmo`. The simulated data have as many rows as the rows
        used.

    Returns
    -------
    pandas.DataFrame
        One row per eigenvalue: ``factor`` (1 … p), ``observed``,
        ``simulated_mean``, ``simulated_quantile`` and ``retain`` (True for
        the leading run of observed > simulated_quantile). The suggested
        number of factors is ``out["retain"].sum()``.

    Notes
    -----
    The observed eigenvalues equal psych's ``pc.values`` (``"pca"``) and the
    eigenvalues of ``fa.parallel(SMC = TRUE)`` (``"fa"``) to machine
    precision; the simulated ones agree only in distribution, since R and
    numpy draw different random numbers. 100 iterations on 450 × 31 take
    about 0.1 s.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in
    factor analysis. *Psychometrika*, 30, 179–185.

    Glorfeld, L. W. (1995). An improvement on Horn's parallel analysis
    methodology for selecting the correct number of factors to retain.
    *Educational and Psychological Measurement*, 55, 377–393.

    Examples
    --------
    >>> from hpmob.efa import parallel_analysis
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> pa = parallel_analysis(hs[[f"x{i}" for i in range(1, 10)]], seed=1)
    >>> int(pa["retain"].sum())
    3
    """
    func = "parallel_analysis"
    if method not in PARALLEL_METHODS:
        raise ValueError(f"{func}(): method must be one of {PARALLEL_METHODS}; got {method!r}.")
    if not isinstance(n_iter, (int, np.integer)) or isinstance(n_iter, bool) or n_iter < 2:
        raise ValueError(f"{func}(): n_iter must be an integer ≥ 2 (100 or more is usual); got {n_iter!r}.")
    if not isinstance(quantile, (int, float, np.floating)) or not 0 < quantile < 1:
        raise ValueError(f"{func}(): quantile must be between 0 and 1, e.g. 0.95; got {quantile!r}.")
    rng = _as_generator(seed, func)
    x = prepare_factor_items(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    if method == "fa":
        check_positive_definite(R, x.columns, func)  # SMCs need R⁻¹
    n, p = x.shape
    observed = eigenvalues(R, method)
    sim = _simulated_eigenvalues(n, p, int(n_iter), rng, method)
    q = np.quantile(sim, quantile, axis=0)  # numpy's default = R's quantile type 7
    above = observed > q
    n_retain = p if above.all() else int(np.argmin(above))
    return pd.DataFrame(
        {
            "factor": np.arange(1, p + 1),
            "observed": observed,
            "simulated_mean": sim.mean(axis=0),
            "simulated_quantile": q,
            "retain": np.arange(p) < n_retain,
        }
    )


# --------------------------------------------------------------------------- #
# Summary
# --------------------------------------------------------------------------- #
def suitability_table(
    data: pd.DataFrame,
    *,
    seed,
    n_iter: int = 100,
    quantile: float = PARALLEL_QUANTILE,
    nan_policy: str = "pairwise",
) -> pd.DataFrame:
    """Summarize in one row whether the items suit factor analysis, and how many factors.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items.
    seed : int or numpy.random.Generator
        Seed of the parallel analysis (required).
    n_iter, quantile :
        Passed to :func:`parallel_analysis`.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`kmo`.

    Returns
    -------
    pandas.DataFrame
        One row with columns ``n, n_items, kmo, kmo_item_min,
        kmo_item_min_name, bartlett_chisq, bartlett_df, bartlett_p,
        n_factors_parallel`` (``method="fa"``), ``n_components_parallel``
        (``method="pca"``), and verdicts ``kmo_ok`` (overall KMO ≥
        :data:`~hpmob.criteria.KMO_MIN`), ``kmo_items_ok`` (every item's MSA ≥
        :data:`~hpmob.criteria.KMO_ITEM_MIN`) and ``bartlett_ok`` (p <
        :data:`~hpmob.criteria.BARTLETT_P`).

    Examples
    --------
    >>> from hpmob.efa import suitability_table
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> tab = suitability_table(hs[[f"x{i}" for i in range(1, 10)]], seed=1)
    >>> tab[["n", "kmo", "n_factors_parallel", "kmo_ok"]].round(3)
         n    kmo  n_factors_parallel  kmo_ok
    0  301  0.752                   3    True
    """
    func = "suitability_table"
    x = prepare_factor_items(data, func=func, nan_policy=nan_policy)
    overall, per_item = kmo(x, nan_policy=nan_policy)
    bart = bartlett_sphericity(x, nan_policy=nan_policy)
    rng = _as_generator(seed, func)
    # Both analyses use the same simulated data sets: copy the generator state.
    state = rng.bit_generator.state
    pa_fa = parallel_analysis(x, seed=rng, n_iter=n_iter, quantile=quantile, method="fa", nan_policy=nan_policy)
    rng.bit_generator.state = state
    pa_pc = parallel_analysis(x, seed=rng, n_iter=n_iter, quantile=quantile, method="pca", nan_policy=nan_policy)
    row = {
        "n": int(bart["n"]),
        "n_items": x.shape[1],
        "kmo": overall,
        "kmo_item_min": float(per_item.min()),
        "kmo_item_min_name": per_item.idxmin(),
        "bartlett_chisq": bart["chisq"],
        "bartlett_df": int(bart["df"]),
        "bartlett_p": bart["pvalue"],
        "n_factors_parallel": int(pa_fa["retain"].sum()),
        "n_components_parallel": int(pa_pc["retain"].sum()),
        "kmo_ok": criteria.judge(overall, "KMO_MIN"),
        "kmo_items_ok": bool(criteria.judge(per_item.to_numpy(), "KMO_ITEM_MIN").all()),
        "bartlett_ok": criteria.judge(bart["pvalue"], "BARTLETT_P"),
    }
    return pd.DataFrame([row])
