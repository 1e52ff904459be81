"""Is a correlation matrix worth factoring: Kaiser-Meyer-Olkin adequacy and Bartlett's sphericity.

:mod:`hpmob.efa` re-exports both functions (and combines them in its suitability table),
which is where to import them from.

Examples
--------
>>> from semopy.examples import holzinger39
>>> hs = holzinger39.get_data()[["x1", "x2", "x3", "x4", "x5", "x6"]]
>>> round(kmo(hs)[0], 3)
0.762
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .checks import item_correlation
from .factor_input import check_positive_definite, prepare_factor_items

__all__ = ["bartlett_sphericity", "kmo"]


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
    x = prepare_factor_items(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    check_positive_definite(R, x.columns, func)
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
    x = prepare_factor_items(data, func=func, nan_policy=nan_policy)
    R = item_correlation(x, func)
    check_positive_definite(R, x.columns, func)
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
