"""Disclosure control for published tables.

A breakdown of respondents by several attributes (say area and position) can single
people out when a cell is small (the one holder of a rare position in a rare area).
Published group tables therefore suppress every cell with fewer than :data:`MIN_CELL` respondents.
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


#: File types searched for personal data (text formats a value could be written into).
TEXT_SUFFIXES = {".csv", ".html", ".ipynb", ".txt", ".json", ".md", ".js", ".yml", ".yaml", ".tex"}


def find_personal_data(raw: pd.DataFrame, codebook, places, *, min_length: int = 6) -> list[tuple]:
    """Search output folders for any value of the export's personal columns.

    Parameters
    ----------
    raw : DataFrame
        The raw export (:func:`hpmob.io.read_export`), holding the personal columns.
    codebook : hpmob.codebook.Codebook
        Names the personal columns (``personal:`` in the YAML).
    places : iterable of path-like
        Folders (searched recursively) or files.
    min_length : int
        Values shorter than this are skipped: a two-letter fragment would match anywhere.

    Returns
    -------
    list of (pathlib.Path, str)
        Each file that contains a personal value, with one of the values; empty when clean.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.codebook import load_codebook
    >>> find_personal_data(pd.DataFrame({"phone": ["0912345678"]}), load_codebook(), [])
    []
    """
    from pathlib import Path

    columns = [c for c in codebook.personal_columns if c in raw.columns]
    needles = {str(v) for c in columns for v in raw[c].dropna() if len(str(v).strip()) >= min_length}
    files = []
    for place in map(Path, places):
        if place.is_file():
            files.append(place)
        elif place.is_dir():
            files += sorted(p for p in place.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="ignore")
        hit = next((n for n in needles if n in text), None)
        if hit is not None:
            found.append((path, hit))
    return found
