"""Input checks shared by the statistics modules (score, compare, reliability, efa, validity, plots).

One implementation per check, so every module rejects a bad argument with the same words,
the way pingouin keeps its checks in one place. The checks raise with a message that names
the calling function (``func``) and says what to pass instead, because the typical caller
is an analyst pointing a function at a fresh survey export in a notebook.

The names are public so that modules import them without reaching into another module's
private names, but they are internal to the package: ``__all__`` lists none of them, and
they may change without notice. This module imports nothing of the study (no codebook):
reliability, EFA and validity use it too, and import-linter forbids them the codebook. The
checks that need a :class:`~hpmob.codebook.Codebook` live in :mod:`hpmob.response_checks`.

Examples
--------
>>> from hpmob.checks import check_conf, format_list
>>> check_conf(0.9, "f")
0.9
>>> format_list(["a", 1])
'a, 1'
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd

from hpmob import privacy

__all__: list[str] = []

#: The two ways to handle missing answers in reliability, EFA and validity: ``"pairwise"``
#: uses every answered pair, ``"listwise"`` first drops every row with a missing item.
NAN_POLICIES = ("pairwise", "listwise")

#: Smallest group (cell) size, the package's one constant (:mod:`hpmob.privacy`).
MIN_CELL = privacy.MIN_CELL


def format_list(xs) -> str:
    """Join the items of ``xs`` with commas for a message; ``"(none)"`` when there are none."""
    xs = [str(x) for x in xs]
    return ", ".join(xs) if xs else "(none)"


def check_frame(data, func: str) -> None:
    """Raise TypeError unless ``data`` is a DataFrame of responses."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a pandas DataFrame of responses (one row per respondent, "
            f"one column per item); got {type(data).__name__}"
        )


def check_conf(conf, func: str) -> float:
    """Return ``conf`` as a float after checking it is a confidence level in (0, 1)."""
    if not isinstance(conf, Real) or isinstance(conf, bool) or not 0 < conf < 1:
        raise ValueError(f"{func}(): conf must be a confidence level between 0 and 1, e.g. 0.95; got {conf!r}")
    # pingouin.compute_esci asserts isinstance(confidence, float): an int-like 0.9
    # from a notebook parameter cell would fail there with a bare AssertionError.
    return float(conf)


def check_publishable_min_cell(min_cell, func: str) -> None:
    """Raise unless ``min_cell`` (the smallest publishable cell) is a non-negative integer."""
    if not isinstance(min_cell, Integral) or isinstance(min_cell, bool) or min_cell < 0:
        raise ValueError(
            f"{func}(): min_cell must be a non-negative integer (smallest publishable cell, "
            f"default {MIN_CELL}); got {min_cell!r}"
        )


def check_test_min_cell(min_cell, func: str) -> int:
    """Return ``min_cell`` (the smallest group that enters a test) as an int after checking it."""
    if not isinstance(min_cell, Integral) or isinstance(min_cell, bool) or min_cell < 0:
        raise ValueError(
            f"{func}(): min_cell must be a non-negative integer (smallest group that enters a "
            f"test, default {MIN_CELL}); got {min_cell!r}"
        )
    return int(min_cell)


def check_nan_policy(nan_policy: str, func: str) -> None:
    """Raise unless ``nan_policy`` is one of :data:`NAN_POLICIES`."""
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"{func}(): nan_policy must be one of {NAN_POLICIES}; got {nan_policy!r}.")


def as_item_frame(items, *, func: str, min_items: int = 2) -> pd.DataFrame:
    """Check that ``items`` is a numeric item DataFrame and return it as float.

    Raises with a message that names the offending column and says what to do,
    because the typical caller is an analyst pointing the function at a fresh
    survey export in a notebook.
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a pandas DataFrame whose columns are the items of one "
            f"scale; got {type(items).__name__}. Select the columns, e.g. "
            f"df[['q1', 'q2', 'q3']]."
        )
    cols = list(items.columns)
    if len(cols) < min_items:
        raise ValueError(
            f"{func}() needs at least {min_items} items (columns); got {len(cols)}"
            f"{' (' + ', '.join(map(repr, cols)) + ')' if cols else ''}. "
            f"Pass all items of the scale as columns of one DataFrame."
        )
    dup = items.columns[items.columns.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"{func}(): duplicated item column(s) {dup}; each item must appear once.")

    # Booleans are accepted (0/1 items, like pingouin); anything else must be a
    # real number. Text columns usually mean the value labels were not recoded.
    dtypes = dict(zip(cols, items.dtypes))  # one lookup, not one column copy per item
    bad = [
        c
        for c, dt in dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))
        or pd.api.types.is_complex_dtype(dt)
    ]
    if bad:
        detail = ", ".join(f"{c!r} (dtype {dtypes[c]})" for c in bad)
        raise TypeError(
            f"{func}(): items must be numeric, but column(s) {detail} are not. Recode the "
            f"response labels to numbers first (hpmob.clean / hpmob.score), or convert "
            f"with pd.to_numeric(..., errors='coerce') if the column holds numbers as text."
        )
    # to_numpy with na_value handles nullable Int64/Float64/boolean columns (pd.NA).
    out = pd.DataFrame(
        items.to_numpy(dtype=float, na_value=np.nan), index=items.index, columns=items.columns
    )
    values = out.to_numpy()
    inf_cols = [c for c, has in zip(cols, np.isinf(values).any(axis=0)) if has]
    if inf_cols:
        raise ValueError(
            f"{func}(): item column(s) {inf_cols} contain infinite values; replace them "
            f"with NaN (missing) or a valid response."
        )
    empty = [c for c, n in zip(cols, np.sum(~np.isnan(values), axis=0)) if n == 0]
    if empty:
        raise ValueError(
            f"{func}(): item column(s) {empty} have no non-missing values. Drop the "
            f"column from the scale or check that the export was read correctly."
        )
    return out


def item_correlation(x: pd.DataFrame, func: str) -> np.ndarray:
    """Return the Pearson correlations of the items; pairwise-complete when some answers are missing.

    numpy is used when nothing is missing (faster, same numbers); pandas'
    ``corr`` is R's ``cor(use = "pairwise")`` otherwise.
    """
    values = x.to_numpy()
    if not np.isnan(values).any():
        return np.corrcoef(values, rowvar=False)
    R = x.corr(min_periods=3).to_numpy(copy=True)
    if np.isnan(R).any():
        i, j = np.argwhere(np.isnan(R))[0]
        raise ValueError(
            f"{func}(): items {x.columns[i]!r} and {x.columns[j]!r} have too few rows answered "
            f"together (or no variance within them) for a correlation. Use "
            f"nan_policy='listwise' or drop one of the items."
        )
    return R


def cov2cor(C: np.ndarray) -> np.ndarray:
    """Return the correlation matrix of the covariance array ``C``."""
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d)


def cov2cor_frame(C: pd.DataFrame) -> pd.DataFrame:
    """Return the correlation matrix of the covariance DataFrame ``C``, labels kept."""
    d = np.sqrt(np.diag(C.to_numpy()))
    return C / np.outer(d, d)
