"""Convergent validity of a fitted CFA: standardized loadings, composite reliability (CR), AVE.

:mod:`hpmob.validity` re-exports the three functions and documents the three definitions
of CR and AVE that ``method`` chooses from; import them from there.

Examples
--------
>>> from hpmob.sem import fit
>>> from semopy.examples import holzinger39
>>> hs = holzinger39.get_data()
>>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", hs)
>>> list(composite_reliability(res).index)
['visual', 'textual']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import criteria
from .cfa_reading import cfa_estimates, check_method, factor_structure, require_cfa
from .checks import cov2cor_frame

__all__ = ["average_variance_extracted", "composite_reliability", "standardized_loadings"]


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
    est = cfa_estimates(result, func)
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
    check_method(method, func)
    est = cfa_estimates(result, func)
    factors, items = factor_structure(est)
    C = None
    if method != "standardized":
        require_cfa(est, factors, func, f"method={method!r}")
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
