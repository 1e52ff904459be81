"""Tidy tables of a fitted model's regressions and their named values for the book.

Generic: any :class:`hpmob.sem.SemResult`, no study. The study's models are generated
from its analysis plan by :mod:`hpmob.study.models`.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PATH_COLUMNS", "regression_paths", "path_glue_values"]


#: Columns of :func:`regression_paths`.
PATH_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all",
                "std.ci.lower", "std.ci.upper"]


def regression_paths(result) -> pd.DataFrame:
    """The regressions (``~`` rows) of a fitted model, with a standardized interval.

    The standardized interval rescales the raw interval by the path's standardization
    factor ``std.all / est``: it treats the standardizing variances as fixed, a
    first-order approximation to lavaan's delta-method ``standardizedSolution()``
    intervals (exact when those variances are known).

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fit with at least one regression (``~``) row.

    Returns
    -------
    DataFrame
        :data:`PATH_COLUMNS`, one row per regression, in lavaan's order.

    Examples
    --------
    >>> from semopy.examples import political_democracy
    >>> from hpmob.sem import fit
    >>> res = fit("ind60 =~ x1 + x2 + x3\\ndem60 =~ y1 + y2 + y3 + y4\\ndem60 ~ ind60", political_democracy.get_data())
    >>> regression_paths(res)[["lhs", "rhs", "est", "std.all", "std.ci.lower", "std.ci.upper"]].round(3)
         lhs    rhs    est  std.all  std.ci.lower  std.ci.upper
    0  dem60  ind60  1.439     0.46         0.223         0.698
    """
    paths = result.estimates[result.estimates["op"] == "~"][PATH_COLUMNS[:-2]].copy()
    bounds = paths[["ci.lower", "ci.upper"]].mul(paths["std.all"] / paths["est"], axis=0)
    paths["std.ci.lower"] = bounds.min(axis=1)  # a negative factor swaps the bounds
    paths["std.ci.upper"] = bounds.max(axis=1)
    return paths.reset_index(drop=True)


def path_glue_values(paths) -> dict[str, float]:
    """Named numbers of each path for the book: ``path_<lhs>_<rhs>_<stat>``.

    ``stat`` is ``est``, ``lo``, ``hi`` (unstandardized estimate and interval), ``p``,
    ``std``, ``std_lo`` and ``std_hi`` (standardized estimate and interval).

    Parameters
    ----------
    paths : DataFrame
        Regression rows as :func:`regression_paths` returns them (``lhs, rhs, est, ci.lower,
        ci.upper, pvalue, std.all, std.ci.lower, std.ci.upper``).

    Returns
    -------
    dict
        ``path_<lhs>_<rhs>_<stat>`` to the value, as float.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(lhs="y", rhs="x", est=0.4, **{"ci.lower": 0.3, "ci.upper": 0.5, "pvalue": 0.01,
    ...            "std.all": 0.43, "std.ci.lower": 0.32, "std.ci.upper": 0.54})
    >>> path_glue_values(pd.DataFrame([row]))["path_y_x_std"]
    0.43
    """
    names = {"est": "est", "lo": "ci.lower", "hi": "ci.upper", "p": "pvalue", "std": "std.all",
             "std_lo": "std.ci.lower", "std_hi": "std.ci.upper"}
    return {f"path_{row['lhs']}_{row['rhs']}_{stat}": float(row[col])
            for _, row in paths.iterrows() for stat, col in names.items()}
