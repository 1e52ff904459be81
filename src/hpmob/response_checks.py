"""Checks of survey responses against a codebook, shared by scoring, group comparisons and plots.

Every check reads the item codes, scale ranges, missing codes and reverse keying from the
:class:`~hpmob.codebook.Codebook`, and raises with a message that names the calling
function (``func``) and says how to fix the data. The generic checks that need no codebook
(confidence levels, cell sizes, item frames) are in :mod:`hpmob.checks`; these are apart
because import-linter forbids reliability, EFA and validity the codebook.

The names are public so that :mod:`hpmob.score`, :mod:`hpmob.compare` and :mod:`hpmob.plots`
import them without reaching into another module's private names, but they are internal to
the package: ``__all__`` lists none of them.

Examples
--------
>>> from hpmob.codebook import load_codebook
>>> from hpmob.paths import project_root
>>> from hpmob.response_checks import resolve_constructs
>>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
>>> resolve_constructs(cb, "SP", "f")
['SP']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd

from hpmob.checks import format_list
from hpmob.codebook import Codebook

__all__: list[str] = []


def row_label(label) -> str:
    """Return a row label as the user sees it in pandas (7, not np.int64(7))."""
    return repr(label.item() if isinstance(label, np.generic) else label)



def check_codebook(codebook, func: str) -> None:
    """Raise TypeError unless ``codebook`` is a :class:`~hpmob.codebook.Codebook`."""
    if not isinstance(codebook, Codebook):
        raise TypeError(
            f"{func}() needs a Codebook as second argument (see hpmob.codebook.load_codebook); "
            f"got {type(codebook).__name__}"
        )



def reject_unknown(names, known, kind: str, func: str, hint: str) -> None:
    """Raise a KeyError naming every one of ``names`` not in ``known`` (items or constructs), with a hint."""
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"{func}(): unknown {kind}{'s' if len(unknown) > 1 else ''} {format_list(map(repr, unknown))}; {hint}")



def resolve_constructs(codebook: Codebook, constructs, func: str) -> list[str]:
    """Return the construct codes asked for (one, several, or all for None), each checked."""
    known = list(codebook.constructs["code"])
    if constructs is None:
        return known
    if isinstance(constructs, str):
        constructs = [constructs]
    constructs = list(constructs)
    reject_unknown(constructs, known, "construct", func, f"the codebook defines {format_list(known)}")
    if not constructs:
        raise ValueError(f"{func}(): constructs is empty; pass at least one of {format_list(known)} or None for all")
    return constructs



def require_columns(data: pd.DataFrame, items: Sequence[str], func: str, what: str) -> None:
    """Raise a KeyError naming every item column of ``items`` that ``data`` lacks."""
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise KeyError(
            f"{func}(): the data lack the item column{'s' if len(missing) > 1 else ''} "
            f"{format_list(missing)} {what}; check the column names against the codebook, or "
            "restrict the call to the constructs/items the data contain"
        )



def numeric_items(data: pd.DataFrame, items: Sequence[str], codebook: Codebook, func: str) -> pd.DataFrame:
    """Return the item columns as float with NaN for missing, after checking every value is a scale code.

    Nullable ``Int64`` columns (pd.NA) and float columns (NaN) both arrive from
    ``read_csv``; converting to plain float once keeps the arithmetic below simple.
    Anything that is not a valid code is an error rather than a silent NaN, because a
    stray 9 ("no answer") or a text label would bias every mean computed from it.
    """
    items = list(items)
    # fast path (the power simulation scores every replicate): one float conversion and one
    # vectorised range check for all columns; any problem goes through the column loop below,
    # which finds the first offending column and words the error
    if items and all(pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
                     for c in items):  # fmt: skip
        X = data[items].to_numpy(dtype="float64", na_value=np.nan)
        lo_hi = np.array([codebook.scale_range(c) for c in items], dtype=float)
        with np.errstate(invalid="ignore"):
            ok = np.isnan(X) | ((X >= lo_hi[:, 0]) & (X <= lo_hi[:, 1]) & (X == np.floor(X)))
        if ok.all():
            return pd.DataFrame(X, index=data.index, columns=items)
    out = {}
    for col in items:
        s = data[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            bad = s[s.notna() & pd.to_numeric(s, errors="coerce").isna()]
            if not len(bad):
                bad = s[s.notna()]
            example = f" (e.g. {bad.iloc[0]!r} at row {row_label(bad.index[0])})" if len(bad) else ""
            raise TypeError(
                f"{func}(): item column {col!r} is not numeric{example}; items must be integer "
                "codes, blank for missing. Recode text labels to codes with hpmob.clean first, "
                "or read the processed CSV with pandas.read_csv"
            )
        x = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index, name=col)
        lo, hi = codebook.scale_range(col)
        valid = x.isna() | (x.isin(np.arange(lo, hi + 1, dtype=float)))
        if not valid.all():
            bad = x[~valid]
            row, value = bad.index[0], bad.iloc[0]
            miss = codebook.missing_codes(col)
            hint = (
                f"; {format_list(miss)} means 'no answer' and must be blank (missing) in processed data"
                if value in miss else ""
            )
            raise ValueError(
                f"{func}(): item {col!r} has a value outside its scale {lo}–{hi} at row {row_label(row)}: "
                f"{value:g} ({len(bad)} such value{'s' if len(bad) > 1 else ''} in this column){hint}. "
                "Fix or blank these values in the cleaning step (hpmob.clean) before scoring"
            )
        out[col] = x
    return pd.DataFrame(out, index=data.index)



def keyed_items(data: pd.DataFrame, items: Sequence[str], codebook: Codebook, func: str,
                reverse: bool = True) -> pd.DataFrame:
    """Return the validated float item frame, reverse-keyed items flipped when `reverse`."""
    x = numeric_items(data, items, codebook, func)
    if reverse:
        flags = codebook.items.set_index("code")["reverse"]
        for col in items:
            if bool(flags[col]):
                lo, hi = codebook.scale_range(col)
                x[col] = lo + hi - x[col]
    return x



def required_count(min_items, k: int, construct: str, func: str) -> int:
    """Return the number of answered items a respondent needs for a composite of `k` items."""
    if isinstance(min_items, bool) or not isinstance(min_items, Real):
        raise TypeError(
            f"{func}(): min_items must be a fraction in (0, 1] (e.g. 0.5) or a whole number "
            f"of items (e.g. 3); got {min_items!r}"
        )
    if isinstance(min_items, Integral):
        if min_items < 1:
            raise ValueError(
                f"{func}(): min_items={min_items} asks for fewer than one answered item; "
                "use a positive count or a fraction in (0, 1]"
            )
        if min_items > k:
            raise ValueError(
                f"{func}(): min_items={min_items} exceeds the {k} items of construct {construct!r}; "
                "lower it or give a fraction such as 0.5"
            )
        return int(min_items)
    if not 0 < min_items <= 1:
        raise ValueError(
            f"{func}(): a fractional min_items must lie in (0, 1]; got {min_items!r}. "
            "Pass an int (e.g. 3) for an absolute number of items"
        )
    # The tolerance keeps 0.6 * 5 = 3.0000000000000004 from rounding up to 4.
    return max(1, math.ceil(min_items * k - 1e-9))
