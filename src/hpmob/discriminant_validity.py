"""Discriminant validity of a fitted CFA: the Fornell-Larcker matrix and HTMT from the data.

:mod:`hpmob.validity` re-exports both functions, which is where to import them from.

Examples
--------
>>> from hpmob.sem import fit
>>> from semopy.examples import holzinger39
>>> hs = holzinger39.get_data()
>>> res = fit("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", hs)
>>> fornell_larcker(res).columns.tolist()
['visual', 'textual', 'max_abs_r', 'passes']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .cfa_reading import cfa_estimates, factor_structure, require_cfa
from .checks import as_item_frame, check_nan_policy, item_correlation
from .convergent_validity import average_variance_extracted

__all__ = ["fornell_larcker", "htmt"]


# A correlation this close to 0 is 0 up to rounding (e.g. integer responses
# whose cross-products cancel exactly). Snapping it makes HTMT2 (a geometric
# mean) deterministic: 0 exactly, as R gets, rather than a value driven by
# whether rounding left 1e-17 or 2e-16.
_ZERO_R = 1e-12


def factor_correlations(est: pd.DataFrame, factors: list[str], func: str) -> pd.DataFrame:
    """Return the standardized factor correlation matrix of a CFA (outside ``__all__``: shared with validity_table)."""
    require_cfa(est, factors, func, "the factor correlation matrix")
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
    est = cfa_estimates(result, func)
    factors, _ = factor_structure(est)
    phi = factor_correlations(est, factors, func)
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
