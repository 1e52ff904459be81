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

import warnings
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import criteria
from .checks import as_item_frame, check_nan_policy, item_correlation

__all__ = [
    "EFASolution",
    "bartlett_sphericity",
    "efa_loadings",
    "kmo",
    "parallel_analysis",
    "suitability_table",
]

PARALLEL_METHODS = ("pca", "fa")
EFA_METHODS = ("minres", "ml")

#: Percentile of the simulated eigenvalues an observed one must exceed in
#: parallel analysis: the 95th (Glorfeld 1995), psych's ``quant = .95``.
#: Horn's (1965) original compared with the mean, which over-extracts.
PARALLEL_QUANTILE = 0.95

# factor_analyzer bounds uniquenesses below at 0.005 (as psych's minres); a
# solution on the bound is a Heywood case.
_UNIQUENESS_FLOOR = 0.005

# Parallel analysis draws this many normal numbers per numpy batch at most
# (~32 MB), so that n_iter = 10 000 on a large survey does not exhaust memory.
# Batches come from one Generator in sequence, so results do not depend on it.
_BATCH_NUMBERS = 4_000_000


# --------------------------------------------------------------------------- #
# Validation and shared pieces
# --------------------------------------------------------------------------- #


def _prepare(data, *, func: str, nan_policy: str, min_items: int = 2) -> pd.DataFrame:
    """Validate, apply the NaN policy, and check rows and variances."""
    check_nan_policy(nan_policy, func)
    x = as_item_frame(data, func=func, min_items=min_items)
    answered = ~np.isnan(x.to_numpy())
    if not answered.all():
        # A row that answered nothing carries no information under either policy.
        keep = answered.all(axis=1) if nan_policy == "listwise" else answered.any(axis=1)
        x = x.loc[keep]
    n, p = x.shape
    if n <= p:
        raise ValueError(
            f"{func}(): {n} usable row(s) for {p} items"
            f"{' after listwise deletion' if nan_policy == 'listwise' else ''}; the "
            f"correlation matrix of p items is singular unless there are more than p "
            f"respondents (and factor analysis wants many more: at least 5-10 per item)."
        )
    values = x.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column, reported below
        const = [c for c, lo, hi in zip(x.columns, np.nanmin(values, 0), np.nanmax(values, 0)) if not lo < hi]
    if const:
        raise ValueError(
            f"{func}(): item(s) {const} have zero variance (or no answers), so their "
            f"correlations are undefined. Drop them before the analysis."
        )
    return x


def _check_positive_definite(R: np.ndarray, columns, func: str) -> None:
    """Raise if R is (numerically) singular, naming the items involved."""
    evals, evecs = np.linalg.eigh(R)
    if evals[0] > 1e-10 * max(evals[-1], 1.0):
        return
    v = evecs[:, 0]
    involved = [c for c, w in zip(columns, v) if abs(w) > 0.1 * np.abs(v).max()]
    raise ValueError(
        f"{func}(): the correlation matrix is singular or not positive definite (smallest "
        f"eigenvalue {evals[0]:.3g}): items {involved} are (nearly) linearly dependent, e.g. a "
        f"duplicated item or a total score among the items"
        + (", or pairwise deletion produced an inconsistent matrix (try nan_policy='listwise')"
           if evals[0] < -1e-10 else "")
        + ". Drop the redundant item."
    )


def _smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 − 1/diag(R⁻¹); works on a stack of matrices."""
    return 1.0 - 1.0 / np.diagonal(np.linalg.inv(R), axis1=-2, axis2=-1)


def _eigenvalues(R: np.ndarray, method: str) -> np.ndarray:
    """Eigenvalues (descending) of R, or of R with SMCs on the diagonal for 'fa'."""
    if method == "fa":
        R = R.copy()
        d = _smc(R)
        idx = np.arange(R.shape[-1])
        R[..., idx, idx] = d
    return np.linalg.eigvalsh(R)[..., ::-1]


# --------------------------------------------------------------------------- #
# KMO and Bartlett
# --------------------------------------------------------------------------- #
def kmo(data: pd.DataFrame, *, nan_policy: str = "pairwise") -> tuple[float, pd.Series]:
    """Kaiser-Meyer-Olkin measure of sampling adequacy (MSA), overall and per item.

    KMO compares the correlations with the anti-image (partial) correlations:
    with R the correlation matrix and Q = R⁻¹ rescaled to unit diagonal (whose
    off-diagonal elements are minus the partial correlations),

    .. math:: \\mathrm{MSA} = \\frac{\\sum_{i\\ne j} r_{ij}^2}{\\sum_{i\\ne j} r_{ij}^2 + \\sum_{i\\ne j} q_{ij}^2},

    and MSAᵢ is the same ratio over column i only. Values near 1 mean the
    items share common factors; Kaiser (1974) calls values below .50
    unacceptable and in the .60s mediocre (:data:`hpmob.criteria.KMO_MIN`).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items (≥ 2 numeric columns, more rows than items).
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        Missing answers: pairwise-complete correlations (``psych::KMO``'s
        ``cor(x, use = "pairwise")``) or listwise deletion.

    Returns
    -------
    overall : float
        ``psych::KMO(x)$MSA``.
    per_item : pandas.Series
        ``psych::KMO(x)$MSAi``, indexed by item, named ``"msa"``.

    Raises
    ------
    ValueError
        If the correlation matrix is singular (psych then silently uses R
        itself as the "image", which gives a meaningless MSA; we stop instead
        and name the linearly dependent items).

    See Also
    --------
    bartlett_sphericity, suitability_table

    References
    ----------
    Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika*,
    39, 31–36.

    Examples
    --------
    >>> from hpmob.efa import kmo
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> overall, per_item = kmo(hs[[f"x{i}" for i in range(1, 10)]])
    >>> round(overall, 3), per_item.idxmin()
    (0.752, 'x7')
    """
    func = "kmo"
    x = _prepare(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    _check_positive_definite(R, x.columns, func)
    Q = np.linalg.inv(R)
    d = np.sqrt(np.diag(Q))
    A = Q / np.outer(d, d)  # anti-image correlation, up to sign (squared below)
    np.fill_diagonal(A, 0.0)
    r = R.copy()
    np.fill_diagonal(r, 0.0)
    r2, a2 = r**2, A**2
    overall = float(r2.sum() / (r2.sum() + a2.sum()))
    per_item = pd.Series(r2.sum(0) / (r2.sum(0) + a2.sum(0)), index=x.columns, name="msa")
    per_item.index.name = "item"
    return overall, per_item


def bartlett_sphericity(data: pd.DataFrame, *, nan_policy: str = "pairwise") -> pd.Series:
    """Test that the items are uncorrelated (R = I), after Bartlett (1950).

    .. math:: \\chi^2 = -\\left(n - 1 - \\frac{2p + 5}{6}\\right)\\ln|R|, \\qquad df = p(p-1)/2.

    A significant result (p < :data:`hpmob.criteria.BARTLETT_P`) is a
    precondition for factor analysis, but with a few hundred respondents
    almost any item set passes; KMO is the more informative check.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`kmo`. Under ``"pairwise"``, n is the number of rows
        with at least one answer (psych uses ``nrow(x)``; the two agree
        unless some rows answered nothing).

    Returns
    -------
    pandas.Series
        Named ``"bartlett"``, float64, index ``chisq, df, pvalue, n``.
        ``chisq``, ``df`` and ``pvalue`` equal
        ``psych::cortest.bartlett(cor(x), n = nrow(x))`` (and
        ``factor_analyzer.calculate_bartlett_sphericity``, which uses the
        same n and formula).

    References
    ----------
    Bartlett, M. S. (1950). Tests of significance in factor analysis.
    *British Journal of Psychology, Statistical Section*, 3, 77–85.

    Examples
    --------
    >>> from hpmob.efa import bartlett_sphericity
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> bartlett_sphericity(hs[[f"x{i}" for i in range(1, 10)]]).round(1)
    chisq     904.1
    df         36.0
    pvalue      0.0
    n         301.0
    Name: bartlett, dtype: float64
    """
    func = "bartlett_sphericity"
    x = _prepare(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    _check_positive_definite(R, x.columns, func)
    n, p = x.shape
    factor = n - 1 - (2 * p + 5) / 6
    if factor <= 0:
        raise ValueError(
            f"{func}(): n = {n} is too small for {p} items (the test needs n > {(2 * p + 5) / 6 + 1:.1f}); "
            f"collect more responses or test fewer items."
        )
    _, logdet = np.linalg.slogdet(R)  # ln|R| without det() underflow for many items
    chisq = -factor * logdet
    df = p * (p - 1) / 2
    return pd.Series(
        {"chisq": chisq, "df": df, "pvalue": stats.chi2.sf(chisq, df), "n": float(n)},
        name="bartlett",
        dtype=float,
    )


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
        out[done : done + b] = _eigenvalues(R, method)
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
    x = _prepare(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    if method == "fa":
        _check_positive_definite(R, x.columns, func)  # SMCs need R⁻¹
    n, p = x.shape
    observed = _eigenvalues(R, method)
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
# EFA loadings
# --------------------------------------------------------------------------- #
class EFASolution(NamedTuple):
    """Result of :func:`efa_loadings`; unpack as ``loadings, phi = efa_loadings(...)``.

    Parameters
    ----------
    loadings : pandas.DataFrame
        Items × (factors, communality, uniqueness, primary[, construct]).
    phi : pandas.DataFrame
        Factor correlation matrix (identity for orthogonal or no rotation).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from hpmob.efa import efa_loadings
    >>> hs = holzinger39.get_data()
    >>> solution = efa_loadings(hs[[f"x{i}" for i in range(1, 10)]], 3)
    >>> type(solution).__name__, solution.loadings.shape, solution.phi.shape
    ('EFASolution', (9, 6), (3, 3))
    """

    #: Items × (factors, communality, uniqueness, primary[, construct]).
    loadings: pd.DataFrame
    #: Factor correlation matrix (identity for orthogonal or no rotation).
    phi: pd.DataFrame


def _item_constructs(constructs, items, func: str) -> dict[str, str]:
    """Normalize item → construct or construct → items to item → construct for ``items``."""
    if not isinstance(constructs, Mapping) or not constructs:
        raise TypeError(
            f"{func}(): constructs must be a non-empty dict, either item → construct "
            f"({{'x1': 'F1', ...}}) or construct → items ({{'F1': ['x1', ...]}})."
        )
    values = list(constructs.values())
    if all(isinstance(v, str) for v in values):
        mapping = {str(k): v for k, v in constructs.items()}
    elif all(isinstance(v, Iterable) and not isinstance(v, (str, bytes)) for v in values):
        mapping = {}
        for c, its in constructs.items():
            for it in its:
                if it in mapping and mapping[it] != c:
                    raise ValueError(f"{func}(): item {it!r} is listed under both {mapping[it]!r} and {c!r}.")
                mapping[it] = c
    else:
        raise TypeError(
            f"{func}(): constructs mixes the two forms; give either item → construct "
            f"(str values) or construct → items (list values)."
        )
    # Entries for items not analysed are ignored, so the codebook's full
    # mapping can be passed for a subset of items.
    out = {it: mapping[it] for it in items if it in mapping}
    if not out:
        raise ValueError(
            f"{func}(): none of the items {list(items)[:5]}… appears in constructs; check the item names."
        )
    return out


def _label_factors(L: np.ndarray, item_construct: dict, items: list) -> list:
    """Assign each construct to at most one factor (the one most of its items load on).

    counts[f, c] = number of items of construct c whose largest |loading| is
    on factor f. A one-to-one assignment maximizing the counts (Hungarian
    algorithm; ties broken by the sum of |loadings|) avoids two factors
    claiming the same construct. Factors that win no item keep no label.
    """
    k = L.shape[1]
    cons = list(dict.fromkeys(item_construct.values()))
    primary = np.abs(L).argmax(axis=1)
    counts = np.zeros((k, len(cons)))
    mass = np.zeros((k, len(cons)))
    for i, it in enumerate(items):
        if it in item_construct:
            c = cons.index(item_construct[it])
            counts[primary[i], c] += 1
            mass[:, c] += np.abs(L[i])
    score = counts + mass / (mass.sum() + 1.0)  # the tie-breaker stays below 1
    rows, cols = optimize.linear_sum_assignment(score, maximize=True)
    labels: list = [None] * k
    for f, c in zip(rows, cols):
        if counts[f, c] >= 1:
            labels[f] = cons[c]
    return labels


def efa_loadings(
    data: pd.DataFrame,
    n_factors: int,
    *,
    rotation: str | None = "oblimin",
    method: str = "minres",
    constructs: Mapping | None = None,
    nan_policy: str = "pairwise",
) -> EFASolution:
    """Exploratory factor analysis: rotated loadings, communalities, factor correlations.

    Factors are extracted from the correlation matrix by ``factor_analyzer``
    (minres or ML, as ``psych::fa``) and rotated with its ``Rotator``.
    Columns are then signed so that each factor's loadings sum to a positive
    number (psych's convention) and ordered: by construct when ``constructs``
    is given, else by variance explained, ``diag(Φ Lᵀ L)``, as psych does.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items.
    n_factors : int
        Number of factors (1 ≤ n_factors < number of items), e.g. from
        :func:`parallel_analysis`.
    rotation : str or None, default "oblimin"
        ``"oblimin"`` (quartimin, GPArotation's default), ``"promax"``,
        ``"quartimin"``, ``"geomin_obl"`` (oblique); ``"varimax"``,
        ``"quartimax"``, ``"equamax"``, ``"oblimax"``, ``"geomin_ort"``
        (orthogonal); ``None`` or ``"none"`` for the unrotated solution.
        Survey constructs correlate, so an oblique rotation is the default.
    method : {"minres", "ml"}, default "minres"
        Extraction: minimum residual (psych's default) or maximum likelihood.
    constructs : dict, optional
        Item → construct (``{"x1": "visual"}``) or construct → items
        (``{"visual": ["x1", ...]}``). Each factor is then named after the construct with
        the most items loading highest on it (one factor per construct);
        factors claimed by no construct are named ``F1``, ``F2``, … by
        position. Columns follow the order of the constructs. Entries for
        items not in ``data`` are ignored.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`kmo`.

    Returns
    -------
    EFASolution
        A named tuple ``(loadings, phi)``:

        * ``loadings`` — index ``item``; optional column ``construct``; one
          column per factor (pattern loadings); ``communality``
          (``diag(L Φ Lᵀ)``, psych's ``h2``), ``uniqueness`` (1 − h2, psych's
          ``u2``) and ``primary`` (the factor with the largest |loading|).
        * ``phi`` — factor correlations (identity for orthogonal rotations).

    Warns
    -----
    UserWarning
        If the model has negative degrees of freedom (too many factors for
        the items) or a uniqueness sits on its lower bound (Heywood case).

    Notes
    -----
    Against ``psych::fa(x, nfactors = 3, rotate = "oblimin")`` on
    HolzingerSwineford1939 the loadings, factor correlations and
    communalities agree to about 1e-5 for both minres and ML (both programs
    stop the rotation at a gradient norm of 1e-5).

    Examples
    --------
    >>> from hpmob.efa import efa_loadings
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...           "speed": ["x7", "x8", "x9"]}
    >>> loadings, phi = efa_loadings(hs[[f"x{i}" for i in range(1, 10)]], 3,
    ...                              constructs=groups)
    >>> loadings.loc["x4", ["visual", "textual", "speed"]].round(2).tolist()
    [0.02, 0.85, 0.01]
    >>> round(float(phi.loc["visual", "textual"]), 2)
    0.32
    """
    # factor_analyzer is imported here: it pulls in scikit-learn, which the
    # rest of hpmob.efa does not need.
    from factor_analyzer import FactorAnalyzer
    from factor_analyzer.rotator import OBLIQUE_ROTATIONS, POSSIBLE_ROTATIONS, Rotator

    func = "efa_loadings"
    if method not in EFA_METHODS:
        raise ValueError(f"{func}(): method must be one of {EFA_METHODS}; got {method!r}.")
    if isinstance(rotation, str) and rotation.lower() == "none":
        rotation = None
    if rotation is not None and rotation not in POSSIBLE_ROTATIONS:
        raise ValueError(f"{func}(): rotation must be None or one of {POSSIBLE_ROTATIONS}; got {rotation!r}.")
    x = _prepare(data, func=func, nan_policy=nan_policy)
    n, p = x.shape
    if not isinstance(n_factors, (int, np.integer)) or isinstance(n_factors, bool) or not 1 <= n_factors < p:
        raise ValueError(f"{func}(): n_factors must be an integer from 1 to {p - 1} for {p} items; got {n_factors!r}.")
    k = int(n_factors)
    dof = ((p - k) ** 2 - (p + k)) / 2
    if dof < 0:
        warnings.warn(
            f"{func}(): {k} factors for {p} items leave {dof:g} degrees of freedom; the model is "
            f"not identified and the loadings are arbitrary. Extract fewer factors.",
            UserWarning,
            stacklevel=2,
        )
    items = list(x.columns)
    item_construct = _item_constructs(constructs, items, func) if constructs is not None else None
    R = item_correlation(x, func)
    _check_positive_definite(R, items, func)

    fa = FactorAnalyzer(n_factors=k, rotation=None, method=method, is_corr_matrix=True)
    fa.fit(R)
    L = np.asarray(fa.loadings_, dtype=float)
    phi = np.eye(k)
    if rotation is not None and k > 1:
        rot = Rotator(method=rotation)
        L = rot.fit_transform(L)
        if rotation in OBLIQUE_ROTATIONS and rot.phi_ is not None:
            phi = np.asarray(rot.phi_, dtype=float)
    signs = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L = L * signs
    phi = phi * np.outer(signs, signs)
    h2 = np.einsum("ij,jk,ik->i", L, phi, L)

    variance = np.diag(phi @ L.T @ L)
    order = list(np.argsort(-variance, kind="stable"))
    labels: list = [None] * k
    if item_construct is not None:
        labels = _label_factors(L, item_construct, items)
        cons = list(dict.fromkeys(item_construct.values()))
        labelled = sorted((f for f in range(k) if labels[f] is not None), key=lambda f: cons.index(labels[f]))
        order = labelled + [f for f in order if labels[f] is None]
    names = [labels[f] if labels[f] is not None else f"F{pos + 1}" for pos, f in enumerate(order)]
    L = L[:, order]
    phi = phi[np.ix_(order, order)]

    out = pd.DataFrame(L, index=pd.Index(items, name="item"), columns=names)
    out["communality"] = h2
    out["uniqueness"] = 1.0 - h2
    out["primary"] = [names[j] for j in np.abs(L).argmax(axis=1)]
    if item_construct is not None:
        out.insert(0, "construct", [item_construct.get(it) for it in items])
    heywood = [it for it, u in zip(items, 1.0 - h2) if u <= _UNIQUENESS_FLOOR + 1e-6]
    if heywood:
        warnings.warn(
            f"{func}(): uniqueness of {heywood} is at its lower bound {_UNIQUENESS_FLOOR} (Heywood "
            f"case); the solution is improper. Try fewer factors or method='minres'.",
            UserWarning,
            stacklevel=2,
        )
    return EFASolution(out, pd.DataFrame(phi, index=names, columns=names))


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
    x = _prepare(data, func=func, nan_policy=nan_policy)
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
