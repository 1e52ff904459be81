"""Disclosure control for published tables.

A breakdown of officials by governance level, area and position can single people out
when a cell is small (one island-district Fatherland Front cadre). Published group
tables therefore suppress every cell with fewer than :data:`MIN_CELL` respondents.
"""

from __future__ import annotations

import pandas as pd

#: Smallest number of respondents a published cell may describe.
MIN_CELL = 5


def suppress_small_cells(table: pd.DataFrame, *, n_col: str = "n", value_cols: list[str] | None = None,
                         min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Blank out the statistics of cells describing fewer than ``min_cell`` respondents.

    Parameters
    ----------
    table : DataFrame
        A group breakdown with a count column ``n_col``.
    n_col : str
        Column holding the number of respondents in each cell; it is suppressed too.
    value_cols : list of str, optional
        Columns to blank; defaults to every numeric column.
    min_cell : int
        Threshold (default :data:`MIN_CELL` = 5).

    Returns
    -------
    DataFrame
        A copy with the affected values set to missing and a boolean ``suppressed`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"group": ["a", "b"], "n": [40, 3], "mean": [3.2, 4.0]})
    >>> suppress_small_cells(t)["mean"].isna().tolist()
    [False, True]
    """
    if n_col not in table:
        raise KeyError(f"count column {n_col!r} not in the table (columns: {', '.join(table.columns)})")
    out = table.copy()
    small = out[n_col].fillna(0) < min_cell
    cols = value_cols if value_cols is not None else [
        c for c in out.columns if pd.api.types.is_numeric_dtype(out[c]) and c != "suppressed"]
    for col in dict.fromkeys([*cols, n_col]):
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64").mask(small)
        elif pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype("Float64").mask(small)
        else:
            out[col] = out[col].mask(small)
    out["suppressed"] = small.to_numpy()
    return out
