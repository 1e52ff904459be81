"""Small-cell disclosure control for published group tables, with complementary suppression.

Blanking a cell of 3 is not enough when the table also publishes the other cells and
their total (or a percentage, from which the total follows): 3 is then recovered by
subtraction. :func:`suppress_small_groups` therefore suppresses, within every set of
cells that add up to a published margin (a *partition*), the cells under the threshold
(*primary* suppression) and then as many of the smallest other cells as needed
(*complementary* suppression) until at least two cells are blank and the blank cells
together hold at least ``threshold`` respondents. No blank count can then be derived
from the margin, and the blank total is not itself a small count.

A *missing* category (respondents who left the grouping attribute blank) is a cell of
the partition like any other: the margin counts them, so the margin minus the published
groups gives their number even when no row shows it. It is suppressed when small, with a
complement from the groups, and it is never itself chosen as a complement, since the
"No answer" row of a composition table, or the same subtraction on another table, may
publish it.

:func:`suppress_flow` applies the same rule to a sequential flow (a CONSORT diagram), whose
margins are the total excluded and the number remaining after every step.

:func:`merge_small_groups` handles a degenerate design instead: a group too small to
publish at all (three respondents in one group) is merged into its neighbour in a declared
order, and the merge is reported.

The module knows no study: the threshold, the count column, the partition and the
group order are the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def suppression_pattern(counts: Sequence[int], threshold: int, *, fixed: Sequence[bool] | None = None) -> list[bool]:
    """Which cells of one partition to suppress (primary and complementary).

    Parameters
    ----------
    counts : sequence of int
        Cell counts that add up to a published margin. Zero cells describe nobody and
        are neither suppressed nor used as complements.
    threshold : int
        Smallest count that may be published (or derived).
    fixed : sequence of bool, optional
        Cells never chosen as complements (a missing category, whose count another
        table may publish); they are still suppressed when small.

    Returns
    -------
    list of bool
        ``True`` for each cell to suppress. Complements are the smallest remaining
        cells, the first in order on ties, so the same counts always give the same pattern.

    Examples
    --------
    >>> suppression_pattern([3, 40, 60], 5)
    [True, True, False]
    >>> suppression_pattern([3, 4, 60], 5)
    [True, True, False]
    >>> suppression_pattern([2, 2, 60, 80], 5)
    [True, True, True, False]
    >>> suppression_pattern([40, 60], 5)
    [False, False]
    >>> suppression_pattern([3, 40, 60, 9], 5, fixed=[False, False, False, True])  # 9 missing: no complement
    [True, True, False, False]
    """
    counts = [int(c) for c in counts]
    fixed = [False] * len(counts) if fixed is None else [bool(f) for f in fixed]
    hide = [0 < c < threshold for c in counts]
    if not any(hide):
        return hide
    while sum(hide) < 2 or sum(c for c, h in zip(counts, hide) if h) < threshold:
        rest = [(c, k) for k, (c, h, f) in enumerate(zip(counts, hide, fixed)) if not h and not f and c > 0]
        if not rest:
            break  # every non-empty cell that may be a complement is blank already
        hide[min(rest)[1]] = True
    return hide


def suppress_small_groups(table: pd.DataFrame, *, n_col: str, threshold: int, within: Sequence[str] = (),
                          value_cols: Sequence[str] | None = None, margin_mask: pd.Series | None = None,
                          missing_mask: pd.Series | None = None) -> pd.DataFrame:
    """Suppress small cells and their complements in every partition of a table.

    Parameters
    ----------
    table : DataFrame
        One row per cell, with a count column ``n_col``.
    n_col : str
        The count column; it is blanked in suppressed rows.
    threshold : int
        Smallest count that may be published or derived.
    within : sequence of str
        Columns identifying a partition: rows with equal values add up to one margin
        (e.g. ``["attribute"]`` for a composition table, ``["construct"]`` for a table
        of group means per construct). Empty: the whole table is one partition.
    value_cols : sequence of str, optional
        Statistics to blank along with the count (anything from which the count could
        be recomputed: shares, standard errors, intervals). Default: every numeric column.
    margin_mask : Series of bool, optional
        Rows that *are* margins (an ``all`` row): not part of any partition, suppressed
        only if themselves under the threshold.
    missing_mask : Series of bool, optional
        Rows counting the respondents of a partition without a group value (a "No
        answer" cell): part of the partition, suppressed when small, never complements
        (see the module docstring). A caller that does not publish such a row drops it
        afterwards; the complements it caused stay blank.

    Returns
    -------
    DataFrame
        A copy; suppressed rows have missing ``n_col`` and ``value_cols`` and
        ``suppressed`` True (an existing ``suppressed`` column is kept where True).

    Examples
    --------
    >>> t = pd.DataFrame({"attr": ["a"] * 3, "n": [3, 40, 60], "pct": [2.9, 38.8, 58.3]})
    >>> suppress_small_groups(t, n_col="n", threshold=5, within=["attr"])["n"].tolist()
    [<NA>, <NA>, 60]

    Three respondents without a value hide the smallest group with them:

    >>> t = pd.DataFrame({"attr": ["a"] * 3, "value": ["x", "y", None], "n": [40, 60, 3]})
    >>> suppress_small_groups(t, n_col="n", threshold=5, within=["attr"],
    ...                       missing_mask=t["value"].isna())["n"].tolist()
    [<NA>, 60, <NA>]
    """
    out = table.copy()
    margin = pd.Series(False, index=out.index) if margin_mask is None else margin_mask.reindex(out.index).fillna(False)
    missing = (pd.Series(False, index=out.index) if missing_mask is None
               else missing_mask.reindex(out.index).fillna(False).astype(bool))
    hide = pd.Series(False, index=out.index)
    counts = pd.to_numeric(out[n_col], errors="coerce").fillna(0).astype(int)
    cells = out[~margin]
    groups = cells.groupby(list(within), sort=False, dropna=False).groups.values() if within else [cells.index]
    for index in groups:
        hide.loc[index] = suppression_pattern(counts.loc[index].tolist(), threshold,
                                              fixed=missing.loc[index].tolist())
    hide |= margin & (counts > 0) & (counts < threshold)
    cols = list(value_cols) if value_cols is not None else [
        c for c in out.columns if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])]
    for col in dict.fromkeys([*cols, n_col]):
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64").mask(hide)
        elif pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("Float64").mask(hide)
        else:
            out[col] = out[col].mask(hide)
    previous = out["suppressed"].fillna(False).astype(bool) if "suppressed" in out else False
    out["suppressed"] = (hide | previous).to_numpy()
    return out


def suppress_flow(flow: pd.DataFrame, *, threshold: int, excluded: str = "n_excluded",
                  remaining: str = "n_remaining") -> pd.DataFrame:
    """Suppress small exclusion counts of a sequential flow, with complements and margins.

    A flow (raw → excluded by each step → analysed) publishes two kinds of margins: the
    total excluded (first minus last ``remaining``), which all exclusion counts add up to,
    and the ``remaining`` after every step, whose consecutive differences are the
    exclusion counts. A count under `threshold` is suppressed with the smallest other
    counts needed (:func:`suppression_pattern`), and so is every ``remaining`` from the
    first suppressed step up to the last one: the shown ``remaining`` values then give
    only the blank counts' total, which holds at least `threshold` respondents.

    Parameters
    ----------
    flow : DataFrame
        First row the start (its ``remaining`` the number who entered), then one row per
        step, last row the end (its `excluded` the total excluded, its `remaining` the
        number analysed). Steps that exclude nobody (0) are neither suppressed nor
        complements.
    threshold : int
        Smallest count that may be published (or derived).
    excluded, remaining : str
        The count columns.

    Returns
    -------
    DataFrame
        `flow` with `excluded` and `remaining` as nullable integers (missing where
        suppressed) and a ``suppressed`` column marking the steps whose count is blank.
        With a single step excluding anyone there is no complement: its count is the
        total excluded, and is left as it is.

    Examples
    --------
    >>> f = pd.DataFrame({"rule": ["start", "a", "b", "c", "end"], "n_excluded": [0, 13, 6, 3, 22],
    ...                   "n_remaining": [100, 87, 81, 78, 78]})
    >>> out = suppress_flow(f, threshold=5)
    >>> out["n_excluded"].tolist(), out["n_remaining"].tolist()
    ([0, 13, <NA>, <NA>, 22], [100, 87, <NA>, 78, 78])
    """
    out = flow.copy()
    steps = out.index[1:-1]
    counts = pd.to_numeric(out.loc[steps, excluded], errors="coerce").fillna(0).astype(int).tolist()
    hide = suppression_pattern(counts, threshold)
    if sum(hide) < 2:  # nothing small, or no complement to hide it with
        hide = [False] * len(counts)
    hidden = [k for k, h in zip(steps, hide) if h]
    out[excluded] = pd.array(out[excluded], dtype="Int64")
    out[remaining] = pd.array(out[remaining], dtype="Int64")
    out["suppressed"] = out.index.isin(hidden)
    if hidden:
        out.loc[hidden, excluded] = pd.NA
        first, last = out.index.get_loc(hidden[0]), out.index.get_loc(hidden[-1])
        out.loc[out.index[first:last], remaining] = pd.NA
    return out


def merge_small_groups(values: pd.Series, order: Sequence, threshold: int) -> tuple[pd.Series, pd.DataFrame]:
    """Merge groups with fewer than ``threshold`` members into a neighbour, by a declared rule.

    Rule: the smallest group under the threshold is merged into its next group in
    ``order`` (the previous one for the last), and this repeats until every remaining
    group has at least ``threshold`` members or only one group is left. Missing values
    stay missing.

    Parameters
    ----------
    values : pandas.Series
        Group membership, one value per respondent (missing allowed).
    order : sequence
        The declared order of the groups (the neighbours a small group may join).
    threshold : int
        Smallest group size that may stand on its own.

    Returns
    -------
    (Series, DataFrame)
        The recoded values, and one row per merge: ``group, merged_into, reason``
        (no counts: they are what must not be published).

    Examples
    --------
    >>> v = pd.Series(["a"] * 3 + ["b"] * 40 + ["c"] * 60)
    >>> merged, log = merge_small_groups(v, ["a", "b", "c"], 5)
    >>> merged.value_counts().to_dict(), log["merged_into"].tolist()
    ({'c': 60, 'b': 43}, ['b'])
    """
    values = values.copy()
    live = [g for g in order if (values == g).any()]
    rows = []
    while len(live) > 1:
        sizes = {g: int((values == g).sum()) for g in live}
        small = [g for g in live if sizes[g] < threshold]
        if not small:
            break
        group = min(small, key=lambda g: (sizes[g], live.index(g)))
        k = live.index(group)
        into = live[k + 1] if k + 1 < len(live) else live[k - 1]
        values = values.mask(values == group, into)
        rows.append({"group": group, "merged_into": into,
                     "reason": f"fewer than {threshold} members; merged into the "
                               f"{'next' if k + 1 < len(live) else 'previous'} group in the declared order"})
        live.remove(group)
    return values, pd.DataFrame(rows, columns=["group", "merged_into", "reason"])


def find_small_counts(folder, threshold: int, *, count_column: str = "n",
                      skip: dict[str, set] | None = None) -> list[tuple]:
    """Published counts under ``threshold`` in the CSV tables of a folder.

    Parameters
    ----------
    folder : path-like
        Folder of published tables (``*.csv``, searched recursively).
    threshold : int
        Counts 1 … ``threshold − 1`` are reported (0 describes nobody).
    count_column : str
        Name of the group-size column.
    skip : dict, optional
        ``{column: values}``: rows whose column holds one of the values are not group
        cells (e.g. non-response rows).

    Returns
    -------
    list of (pathlib.Path, int, str, int)
        File, 1-based data row, column, count; empty when nothing small is published.

    Examples
    --------
    >>> find_small_counts("no-such-folder", 5)
    []
    """
    from pathlib import Path

    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*.csv")) if folder.is_dir() else []:
        try:
            table = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        if count_column not in table:
            continue
        keep = pd.Series(True, index=table.index)
        for col, values in (skip or {}).items():
            if col in table:
                keep &= ~table[col].isin(values)
        counts = pd.to_numeric(table[count_column], errors="coerce")
        small = keep & (counts > 0) & (counts < threshold)
        found += [(path, int(i) + 1, count_column, int(counts[i])) for i in table.index[small]]
    return found
