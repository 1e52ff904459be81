"""Convergent and discriminant validity of a fitted CFA.

The functions read a :class:`hpmob.sem.SemResult` (from ``hpmob.sem.fit``) of
a confirmatory factor analysis and return tidy pandas objects: standardized
loadings with flags, composite reliability (CR), average variance extracted
(AVE), the Fornell-Larcker matrix, and the heterotrait-monotrait ratio (HTMT,
from the data). :func:`validity_table` collects them per construct with
verdicts from :mod:`hpmob.criteria`. Checked against ``semTools`` 0.5-6 in
``tests/test_validity.py``.

Two definitions of CR and AVE
-----------------------------
Fornell & Larcker (1981) define CR and AVE from *standardized* loadings λ*
and error variances θ* = 1 − λ*². semTools computes them on the items' raw
scale. The two agree only when the items have equal model-implied variances,
so they differ slightly for real data (AVE by up to 0.013 on the hpmob
survey, CR by up to 0.004 on HolzingerSwineford1939). ``method`` chooses:

* ``"standardized"`` (default; Fornell & Larcker 1981):
  CR = (Σλ*)² / 1ᵀR̂1, which is (Σλ*)² / ((Σλ*)² + Σθ*) without correlated
  errors; AVE = mean(λ*²).
* ``"model"``: CR = (Σλ)²ψ / 1ᵀΣ̂1 = ``semTools::compRelSEM(fit, obs.var =
  FALSE)`` (= ``reliability(fit)["omega", ]``); AVE = Σλ²ψ / Σσ̂ᵢᵢ =
  ``semTools::AVE(fit, obs.var = FALSE)``.
* ``"observed"``: CR = (Σλ)²ψ / 1ᵀS1 = ``semTools::compRelSEM(fit)`` (its
  default, = ``reliability(fit)["omega3", ]``); AVE = Σλ²ψ / Σsᵢᵢ =
  ``semTools::AVE(fit)`` (its default).

R̂, Σ̂ are the model-implied correlation and covariance of the factor's
items, S their sample covariance (N divisor), ψ the factor variance, λ the
raw and λ* the standardized (``std.all``) loadings. ``"standardized"`` is the
default because it is the definition behind the thresholds
:data:`~hpmob.criteria.CR_MIN` and :data:`~hpmob.criteria.AVE_MIN`; use
``"model"`` or ``"observed"`` to compare with semTools line by line.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import criteria
from .checks import as_item_frame, check_nan_policy, cov2cor_frame, item_correlation

__all__ = [
    "average_variance_extracted",
    "composite_reliability",
    "fornell_larcker",
    "htmt",
    "standardized_loadings",
    "validity_table",
]

METHODS = ("standardized", "model", "observed")

# A correlation this close to 0 is 0 up to rounding (e.g. integer responses
# whose cross-products cancel exactly). Snapping it makes HTMT2 (a geometric
# mean) deterministic: 0 exactly, as R gets, rather than a value driven by
# whether rounding left 1e-17 or 2e-16.
_ZERO_R = 1e-12


# --------------------------------------------------------------------------- #
# Reading a fitted CFA
# --------------------------------------------------------------------------- #
def _estimates(result, func: str) -> pd.DataFrame:
    est = getattr(result, "estimates", None)
    if not isinstance(est, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a fitted model from hpmob.sem.fit (a SemResult); got "
            f"{type(result).__name__}."
        )
    need = {"lhs", "op", "rhs", "est", "std.all"}
    if not need <= set(est.columns):
        raise ValueError(f"{func}(): result.estimates lacks column(s) {sorted(need - set(est.columns))}.")
    if "group" in est.columns and est["group"].nunique() > 1:
        raise NotImplementedError(
            f"{func}(): multigroup results are not supported; fit the CFA per group or pooled."
        )
    if not (est["op"] == "=~").any():
        raise ValueError(f"{func}(): the model has no measurement part ('=~' rows); fit a CFA first.")
    return est


def _structure(est: pd.DataFrame) -> tuple[list[str], dict[str, list[str]]]:
    """Factors in model order and their indicators."""
    load = est[est["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    items = {f: load.loc[load["lhs"] == f, "rhs"].tolist() for f in factors}
    return factors, items


def _has_latent_regressions(est: pd.DataFrame, factors) -> bool:
    reg = est[est["op"] == "~"]
    return bool(reg["lhs"].isin(factors).any() or reg["rhs"].isin(factors).any())


def _require_cfa(est, factors, func: str, what: str) -> None:
    # In a structural model a latent variable's '~~' row is a residual (not
    # total) variance and latent correlations are not parameters, so these
    # statistics would silently be wrong.
    if _has_latent_regressions(est, factors):
        raise ValueError(
            f"{func}(): {what} needs the measurement model (a CFA in which the factors only "
            f"covary), but this model regresses latent variables. Fit the CFA with the same "
            f"'=~' lines and all factors correlated, and pass that result."
        )


def _cross_loaded(items: dict[str, list[str]]) -> set[str]:
    seen: dict[str, int] = {}
    for its in items.values():
        for it in its:
            seen[it] = seen.get(it, 0) + 1
    return {it for it, k in seen.items() if k > 1}


def _lv_variance(est: pd.DataFrame, f: str) -> float:
    row = est[(est["op"] == "~~") & (est["lhs"] == f) & (est["rhs"] == f)]
    return float(row["est"].iloc[0]) if len(row) else 1.0


def _matrix(result, name: str, func: str) -> pd.DataFrame:
    m = getattr(result, name, None)
    if not isinstance(m, pd.DataFrame):
        raise TypeError(f"{func}(): result.{name} must be a DataFrame (a SemResult from hpmob.sem.fit).")
    return m


def _check_method(method: str, func: str) -> None:
    if method not in METHODS:
        raise ValueError(
            f"{func}(): method must be one of {METHODS} (see the hpmob.validity docstring for "
            f"which semTools call each matches); got {method!r}."
        )


# --------------------------------------------------------------------------- #
# Loadings, CR, AVE
# --------------------------------------------------------------------------- #
def standardized_loadings(result, *, min_loading: float = criteria.LOADING_MIN) -> pd.DataFrame:
    """Factor loadings with their standardized values and a flag for weak items.

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA (or SEM).
    min_loading : float, default :data:`hpmob.criteria.LOADING_MIN` (.50)
        Standardized loadings below this are flagged.

    Returns
    -------
    pandas.DataFrame
        One row per loading in model order: ``construct, item, est, se,
        pvalue, std_all, flag``. ``est``/``se``/``pvalue`` are unstandardized
        (the marker item's loading is fixed at 1, so its se is 0 and its
        p-value NaN, as in lavaan); ``std_all`` is lavaan's ``std.all``;
        ``flag`` is True when ``std_all < min_loading``. A negative loading
        is flagged too: items should be reverse-keyed before the CFA.

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import standardized_loadings
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", hs)
    >>> standardized_loadings(res)[["item", "std_all", "flag"]].head(3).round(3)
      item  std_all   flag
    0   x1    0.778  False
    1   x2    0.431   True
    2   x3    0.568  False
    """
    func = "standardized_loadings"
    if not isinstance(min_loading, (int, float, np.floating)) or not 0 <= min_loading < 1:
        raise ValueError(f"{func}(): min_loading must be a number in [0, 1), e.g. 0.5; got {min_loading!r}.")
    est = _estimates(result, func)
    load = est[est["op"] == "=~"]
    out = pd.DataFrame(
        {
            "construct": load["lhs"].to_numpy(),
            "item": load["rhs"].to_numpy(),
            "est": load["est"].to_numpy(dtype=float),
            "se": load["se"].to_numpy(dtype=float) if "se" in load else np.nan,
            "pvalue": load["pvalue"].to_numpy(dtype=float) if "pvalue" in load else np.nan,
            "std_all": load["std.all"].to_numpy(dtype=float),
        }
    )
    out["flag"] = out["std_all"] < min_loading
    return out


def _loadings_and_item_cov(result, method: str, func: str):
    """What CR and AVE both start from: estimates, factors, their items, the loading rows and,
    unless ``method="standardized"``, the item covariance matrix the method divides by."""
    _check_method(method, func)
    est = _estimates(result, func)
    factors, items = _structure(est)
    C = None
    if method != "standardized":
        _require_cfa(est, factors, func, f"method={method!r}")
        C = _matrix(result, "implied_cov" if method == "model" else "sample_cov", func)
    return est, factors, items, est[est["op"] == "=~"], C


def composite_reliability(result, *, method: str = "standardized") -> pd.Series:
    """Composite (construct) reliability of each factor.

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA.
    method : {"standardized", "model", "observed"}, default "standardized"
        ``"standardized"``: Fornell & Larcker's ρc = (Σλ*)² / ((Σλ*)² + Σθ*)
        from the standardized solution (generally: denominator 1ᵀR̂1, the
        model-implied variance of the sum of standardized items, which adds
        any correlated errors). ``"model"``: reliability of the raw sum
        score, (Σλ)²ψ / 1ᵀΣ̂1 = ``semTools::compRelSEM(fit, obs.var =
        FALSE)``. ``"observed"``: the same with the observed total variance
        1ᵀS1 = ``semTools::compRelSEM(fit)`` (its default). See the module
        docstring.

    Returns
    -------
    pandas.Series
        Indexed by factor (model order), named ``"cr"``.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation
    models with unobservable variables and measurement error. *Journal of
    Marketing Research*, 18, 39–50.

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import composite_reliability
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit(model, hs)
    >>> composite_reliability(res, method="model").round(4)
    visual     0.6253
    textual    0.8852
    speed      0.6878
    Name: cr, dtype: float64
    """
    func = "composite_reliability"
    est, factors, items, load, C = _loadings_and_item_cov(result, method, func)
    if method == "standardized":
        R = cov2cor_frame(_matrix(result, "implied_cov", func))
    out = {}
    for f in factors:
        rows = load[load["lhs"] == f]
        its = items[f]
        if method == "standardized":
            out[f] = rows["std.all"].sum() ** 2 / R.loc[its, its].to_numpy().sum()
        else:
            out[f] = rows["est"].sum() ** 2 * _lv_variance(est, f) / C.loc[its, its].to_numpy().sum()
    return pd.Series(out, name="cr", dtype=float)


def average_variance_extracted(result, *, method: str = "standardized") -> pd.Series:
    """Average variance extracted (AVE) of each factor.

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA.
    method : {"standardized", "model", "observed"}, default "standardized"
        ``"standardized"``: mean squared standardized loading (Fornell &
        Larcker 1981). ``"model"``: Σλ²ψ over the sum of model-implied item
        variances = ``semTools::AVE(fit, obs.var = FALSE)``. ``"observed"``:
        over the sum of sample variances (N divisor) = ``semTools::AVE(fit)``
        (its default). See the module docstring.

    Returns
    -------
    pandas.Series
        Indexed by factor (model order), named ``"ave"``. NaN for a factor
        with a cross-loading item (as semTools), where the item's variance
        cannot be attributed to one factor.

    Warns
    -----
    UserWarning
        When a factor's AVE is NaN because of cross-loadings.

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import average_variance_extracted
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> average_variance_extracted(fit(model, hs)).round(3)
    visual     0.371
    textual    0.720
    speed      0.430
    Name: ave, dtype: float64
    """
    func = "average_variance_extracted"
    est, factors, items, load, C = _loadings_and_item_cov(result, method, func)
    crossed = _cross_loaded(items)
    out = {}
    for f in factors:
        rows = load[load["lhs"] == f]
        if crossed & set(items[f]):
            out[f] = np.nan
            continue
        if method == "standardized":
            out[f] = float((rows["std.all"] ** 2).mean())
        else:
            its = items[f]
            out[f] = (rows["est"] ** 2).sum() * _lv_variance(est, f) / np.diag(C.loc[its, its].to_numpy()).sum()
    res = pd.Series(out, name="ave", dtype=float)
    if res.isna().any():
        warnings.warn(
            f"{func}(): AVE is undefined for {res.index[res.isna()].tolist()}, whose items "
            f"{sorted(crossed)} load on more than one factor.",
            UserWarning,
            stacklevel=2,
        )
    return res


# --------------------------------------------------------------------------- #
# Discriminant validity
# --------------------------------------------------------------------------- #
def _factor_correlations(est: pd.DataFrame, factors: list[str], func: str) -> pd.DataFrame:
    _require_cfa(est, factors, func, "the factor correlation matrix")
    if len(factors) < 2:
        raise ValueError(f"{func}(): discriminant validity needs at least 2 factors; the model has {factors}.")
    phi = pd.DataFrame(np.eye(len(factors)), index=factors, columns=factors)
    cov = est[(est["op"] == "~~") & est["lhs"].isin(factors) & est["rhs"].isin(factors) & (est["lhs"] != est["rhs"])]
    # A pair without a row is uncorrelated by the model (lavaan's orthogonal = TRUE).
    for a, b, r in zip(cov["lhs"], cov["rhs"], cov["std.all"].astype(float)):
        phi.loc[a, b] = phi.loc[b, a] = r
    return phi


def fornell_larcker(result, *, method: str = "standardized") -> pd.DataFrame:
    """Fornell-Larcker criterion: √AVE of each factor against its correlations.

    Discriminant validity holds for a factor when √AVE exceeds its absolute
    correlation with every other factor, i.e. the factor shares more
    variance with its own items than with any other construct (Fornell &
    Larcker 1981).

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA with at least two correlated factors.
    method : {"standardized", "model", "observed"}, default "standardized"
        AVE definition, see :func:`average_variance_extracted`.

    Returns
    -------
    pandas.DataFrame
        Index and first columns: the factors; √AVE on the diagonal, factor
        correlations (``std.all``) off it. Then ``max_abs_r`` (largest
        absolute correlation with another factor) and ``passes`` (√AVE >
        ``max_abs_r``). ``out.iloc[:, :k]`` is the matrix for k factors.

    See Also
    --------
    htmt : the more sensitive criterion (Henseler et al. 2015).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import fornell_larcker
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> fornell_larcker(fit(model, hs)).round(3)
             visual  textual  speed  max_abs_r  passes
    visual    0.609    0.459  0.471      0.471    True
    textual   0.459    0.848  0.283      0.459    True
    speed     0.471    0.283  0.656      0.471    True
    """
    func = "fornell_larcker"
    est = _estimates(result, func)
    factors, _ = _structure(est)
    phi = _factor_correlations(est, factors, func)
    ave = average_variance_extracted(result, method=method)
    sqrt_ave = np.sqrt(ave.reindex(factors).to_numpy())
    m = phi.to_numpy().copy()
    np.fill_diagonal(m, sqrt_ave)
    out = pd.DataFrame(m, index=factors, columns=factors)
    off = phi.abs().to_numpy(copy=True)
    np.fill_diagonal(off, np.nan)
    out["max_abs_r"] = np.nanmax(off, axis=1)
    out["passes"] = sqrt_ave > out["max_abs_r"].to_numpy()
    return out


def _construct_items(constructs, func: str) -> dict[str, list[str]]:
    if not isinstance(constructs, Mapping) or len(constructs) < 2:
        raise ValueError(
            f"{func}(): constructs must be a dict of at least 2 constructs to their item "
            f"columns, e.g. {{'F1': ['x1', 'x2'], 'F2': ['x3', 'x4']}}; got {constructs!r}."
        )
    out: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for c, its in constructs.items():
        if isinstance(its, (str, bytes)) or not isinstance(its, Iterable):
            raise TypeError(f"{func}(): the items of {c!r} must be a list of column names; got {its!r}.")
        its = list(its)
        if len(its) < 2:
            raise ValueError(
                f"{func}(): construct {c!r} has {len(its)} item(s); HTMT needs at least 2 per "
                f"construct (the monotrait correlations)."
            )
        for it in its:
            if it in owner:
                raise ValueError(f"{func}(): item {it!r} is listed under both {owner[it]!r} and {c!r}.")
            owner[it] = c
        out[str(c)] = its
    return out


def htmt(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    htmt2: bool = True,
    absolute: bool = True,
    nan_policy: str = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations (Henseler, Ringle & Sarstedt 2015).

    For constructs i and j, HTMT is the average correlation between their
    items (heterotrait) divided by the geometric mean of the average
    correlations among each construct's own items (monotrait). Values near 1
    mean the two constructs are not distinct; see
    :data:`~hpmob.criteria.HTMT_MAX` (.85) and
    :data:`~hpmob.criteria.HTMT_LIBERAL` (.90).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items (other columns are ignored).
    constructs : dict of str to list of str
        Construct → its item columns (≥ 2 items each, ≥ 2 constructs),
        e.g. ``codebook`` items per reflective construct.
    htmt2 : bool, default True
        Average with geometric means of the absolute correlations (HTMT2,
        Roemer, Schuberth & Henseler 2021), which is consistent also when the
        items are not tau-equivalent; ``False`` gives the original arithmetic
        HTMT. semTools' default is ``True``.
    absolute : bool, default True
        Use absolute correlations (semTools' default; HTMT2 always does).
        With ``False`` a negative heterotrait correlation lowers the mean.
    nan_policy : {"listwise", "pairwise"}, default "listwise"
        Listwise is semTools' default (``missing = "listwise"``) and uses
        the rows complete on all items of ``constructs``.

    Returns
    -------
    pandas.DataFrame
        Symmetric construct × construct matrix (diagonal 1), as
        ``semTools::htmt(model, data, htmt2, absolute)`` returns it.

    Warns
    -----
    UserWarning
        If a correlation is 0 (to 1e-12) under HTMT2: the geometric mean is
        then 0 whatever the other correlations are, so the HTMT2 for that
        pair says nothing; compare ``htmt2=False``.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for
    assessing discriminant validity in variance-based structural equation
    modeling. *Journal of the Academy of Marketing Science*, 43, 115–135.

    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 – an improved
    criterion for assessing discriminant validity in structural equation
    modeling. *Industrial Management & Data Systems*, 121, 2637–2650.

    Examples
    --------
    >>> from hpmob.validity import htmt
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...           "speed": ["x7", "x8", "x9"]}
    >>> htmt(hs, groups).round(3)
             visual  textual  speed
    visual    1.000    0.384  0.387
    textual   0.384    1.000  0.280
    speed     0.387    0.280  1.000
    """
    func = "htmt"
    check_nan_policy(nan_policy, func)
    groups = _construct_items(constructs, func)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{func}() needs a pandas DataFrame as data; got {type(data).__name__}.")
    items = [it for its in groups.values() for it in its]
    absent = [it for it in items if it not in data.columns]
    if absent:
        raise KeyError(f"{func}(): item(s) {absent} are not columns of data. Check the construct definitions.")
    x = as_item_frame(data[items], func=func)
    if nan_policy == "listwise":
        x = x.dropna()
    else:
        x = x.dropna(how="all")
    if len(x) < 3:
        raise ValueError(f"{func}(): {len(x)} usable row(s); correlations need at least 3.")
    sd = x.std()
    const = sd.index[~(sd > 0)].tolist()
    if const:
        raise ValueError(f"{func}(): item(s) {const} have zero variance; their correlations are undefined.")
    R = item_correlation(x, func)
    R[np.abs(R) < _ZERO_R] = 0.0
    if absolute or htmt2:
        R = np.abs(R)
    pos = {it: i for i, it in enumerate(items)}
    idx = {c: [pos[it] for it in its] for c, its in groups.items()}
    names = list(groups)

    def block_mean(a: str, b: str) -> float:
        block = R[np.ix_(idx[a], idx[b])]
        if a == b:
            block = block[~np.eye(len(idx[a]), dtype=bool)]
        if htmt2 and (block == 0).any():
            sub = R[np.ix_(idx[a], idx[b])]
            i, j = next((i, j) for i, j in np.argwhere(sub == 0) if a != b or i != j)
            pair = (groups[a][i], groups[b][j])
            warnings.warn(
                f"{func}(): items {pair[0]!r} and {pair[1]!r} correlate 0, so the geometric mean "
                f"(HTMT2) of {a!r}–{b!r} is {'0' if a != b else 'undefined'} whatever the other "
                f"correlations are; compare htmt2=False.",
                UserWarning,
                stacklevel=3,
            )
        if htmt2:
            with np.errstate(divide="ignore"):
                return float(np.exp(np.mean(np.log(block))))
        return float(np.mean(block))

    mono = {c: block_mean(c, c) for c in names}
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            with np.errstate(divide="ignore", invalid="ignore"):
                out.loc[a, b] = out.loc[b, a] = block_mean(a, b) / np.sqrt(mono[a] * mono[b])
    return out


# --------------------------------------------------------------------------- #
# Summary table
# --------------------------------------------------------------------------- #
def validity_table(
    result,
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "standardized",
    htmt2: bool = True,
) -> pd.DataFrame:
    """Convergent and discriminant validity per construct, with verdicts.

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA with at least two correlated factors.
    data : pandas.DataFrame
        The data the CFA was fitted to (for HTMT).
    constructs : dict of str to list of str, optional
        Construct → items for HTMT. Defaults to the model's ``=~`` lines;
        if given, its keys must be the model's factors.
    method : {"standardized", "model", "observed"}, default "standardized"
        CR and AVE definition (see the module docstring).
    htmt2 : bool, default True
        Passed to :func:`htmt`.

    Returns
    -------
    pandas.DataFrame
        One row per factor: ``construct, n_items, min_loading`` (smallest
        standardized loading), ``cr, ave, sqrt_ave, max_r`` (largest
        absolute correlation with another factor), ``max_shared_variance``
        (``max_r``², the MSV), ``max_htmt``, and verdicts ``loadings_ok``
        (all ≥ :data:`~hpmob.criteria.LOADING_MIN`), ``cr_ok`` (≥
        :data:`~hpmob.criteria.CR_MIN`), ``ave_ok`` (≥
        :data:`~hpmob.criteria.AVE_MIN`), ``fornell_larcker_ok`` (AVE > MSV)
        and ``htmt_ok`` (max HTMT ≤ :data:`~hpmob.criteria.HTMT_MAX`).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import validity_table
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> tab = validity_table(fit(model, hs), hs)
    >>> tab[["construct", "cr", "ave", "max_htmt", "ave_ok", "htmt_ok"]].round(3)
      construct     cr    ave  max_htmt  ave_ok  htmt_ok
    0    visual  0.626  0.371     0.387   False     True
    1   textual  0.885  0.720     0.384    True     True
    2     speed  0.691  0.430     0.387   False     True
    """
    func = "validity_table"
    _check_method(method, func)
    est = _estimates(result, func)
    factors, items = _structure(est)
    if constructs is None:
        constructs = items
    elif set(constructs) != set(factors):
        raise ValueError(
            f"{func}(): constructs {sorted(constructs)} must name the model's factors {factors}; "
            f"leave constructs=None to use the model's own '=~' lines."
        )
    load = standardized_loadings(result)
    cr = composite_reliability(result, method=method)
    ave = average_variance_extracted(result, method=method)
    phi = _factor_correlations(est, factors, func)
    ht = htmt(data, {f: list(constructs[f]) for f in factors}, htmt2=htmt2)
    off = phi.abs().to_numpy(copy=True)
    np.fill_diagonal(off, np.nan)
    h = ht.to_numpy().copy()
    np.fill_diagonal(h, np.nan)
    out = pd.DataFrame(
        {
            "construct": factors,
            "n_items": [len(items[f]) for f in factors],
            "min_loading": [load.loc[load["construct"] == f, "std_all"].min() for f in factors],
            "cr": cr.reindex(factors).to_numpy(),
            "ave": ave.reindex(factors).to_numpy(),
        }
    )
    out["sqrt_ave"] = np.sqrt(out["ave"])
    out["max_r"] = np.nanmax(off, axis=1)
    out["max_shared_variance"] = out["max_r"] ** 2
    out["max_htmt"] = np.nanmax(h, axis=1)
    out["loadings_ok"] = criteria.judge(out["min_loading"], "LOADING_MIN")
    out["cr_ok"] = criteria.judge(out["cr"], "CR_MIN")
    out["ave_ok"] = criteria.judge(out["ave"], "AVE_MIN")
    out["fornell_larcker_ok"] = (out["ave"] > out["max_shared_variance"]) & out["ave"].notna()
    out["htmt_ok"] = criteria.judge(out["max_htmt"], "HTMT_MAX")
    return out
