"""Scoring: reverse keying, composite scores, item statistics and agreement shares.

Every function reads construct membership, response scales, reverse keying and agree
codes from the :class:`~hpmob.codebook.Codebook`, never from hard-coded item lists, so
the same code scores a trimmed codebook, an edited one or a real export that follows
it. Inputs are the processed responses (``data/processed/responses.csv``): items as
integer codes **as answered** (not yet reverse-keyed), blank = missing; read with
pandas, the item columns arrive as float or nullable ``Int64``, both are accepted.

Reliability (alpha, omega, item–rest correlations) lives in :mod:`hpmob.reliability`;
feed it the output of :func:`reverse_key`.

Functions
---------
reverse_key
    Map reverse-keyed items x → lo + hi − x (per the codebook only).
composite_scores
    Mean of the keyed items per construct, with a minimum-answered rule.
item_statistics
    One row per item: n, mean, sd, skew, kurtosis, missing, agree, floor, ceiling.
mean_band
    Label a mean with the Vietnamese five-band convention (width 0.8).
wilson_ci
    Wilson score interval for a proportion.
agreement_share
    Share agreeing with Wilson CI per item and construct, overall and by group.
composite_by_group
    Mean, sd, n and t-based CI of composites per construct × group.

Examples
--------
The bundled second instrument (examples/wellbeing), simulated from its population model:

>>> from hpmob.codebook import load_codebook
>>> from hpmob.paths import project_root
>>> from hpmob.simulate import load_population_model, simulate_sample
>>> wb = project_root() / "examples" / "wellbeing"
>>> cb = load_codebook(wb / "codebook.yaml")
>>> s = simulate_sample(200, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
>>> scores = composite_scores(s.answers, cb, constructs=["SP", "WB"])
>>> list(scores.columns)
['SP', 'WB']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats

from hpmob import privacy
from hpmob.codebook import Codebook
from hpmob.disclosure import suppress_small_groups

__all__ = [
    "COMPOSITE_LABEL",
    "MIN_CELL",
    "OVERALL_GROUP",
    "VN_BANDS",
    "agreement_share",
    "composite_by_group",
    "composite_scores",
    "item_statistics",
    "mean_band",
    "reverse_key",
    "wilson_ci",
]

#: Smallest group (cell) size whose statistics may be published (one constant for the
#: whole package, see :mod:`hpmob.privacy`). Shares and means of fewer than five
#: respondents can identify individuals; suppressing them is the usual "threshold rule"
#: of statistical disclosure control (Hundepool et al., 2012, *Statistical Disclosure
#: Control*, Wiley). Here ``n`` stays visible so the reader sees why a cell is blank.
MIN_CELL = privacy.MIN_CELL

#: Value of the ``group`` column for rows computed over all respondents.
OVERALL_GROUP = "all"

#: Value of the ``item`` column for the rows that describe a construct composite.
COMPOSITE_LABEL = "composite"

#: Mean bands of the five-point scale as used in Vietnamese survey reports: the range
#: 1–5 cut into five intervals of width (max − min) / 5 = 0.8, with limits written to
#: two decimals (means are reported to two decimals, so 1.80 and 1.81 are the
#: neighbouring reportable values). Each entry is ``(lowest, highest, label)``.
VN_BANDS: tuple[tuple[float, float, str], ...] = (
    (1.00, 1.80, "Rất thấp / Very low"),
    (1.81, 2.60, "Thấp / Low"),
    (2.61, 3.40, "Trung bình / Medium"),
    (3.41, 4.20, "Cao / High"),
    (4.21, 5.00, "Rất cao / Very high"),
)


# --------------------------------------------------------------------------- helpers
def _fmt(xs: Iterable) -> str:
    xs = list(xs)
    return ", ".join(map(str, xs)) if xs else "(none)"


def _row(label) -> str:
    """Row label as the user sees it in pandas (7, not np.int64(7))."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _check_frame(data, func: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a pandas DataFrame of responses (one row per respondent, "
            f"one column per item); got {type(data).__name__}"
        )


def _check_codebook(codebook, func: str) -> None:
    if not isinstance(codebook, Codebook):
        raise TypeError(
            f"{func}() needs a Codebook as second argument (see hpmob.codebook.load_codebook); "
            f"got {type(codebook).__name__}"
        )


def _check_conf(conf, func: str) -> None:
    if not isinstance(conf, Real) or isinstance(conf, bool) or not 0 < conf < 1:
        raise ValueError(f"{func}(): conf must be a confidence level between 0 and 1, e.g. 0.95; got {conf!r}")


def _check_min_cell(min_cell, func: str) -> None:
    if not isinstance(min_cell, Integral) or isinstance(min_cell, bool) or min_cell < 0:
        raise ValueError(
            f"{func}(): min_cell must be a non-negative integer (smallest publishable cell, "
            f"default {MIN_CELL}); got {min_cell!r}"
        )


def _reject_unknown(names, known, kind: str, func: str, hint: str) -> None:
    """KeyError naming every one of ``names`` not in ``known`` (items or constructs), with a hint."""
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"{func}(): unknown {kind}{'s' if len(unknown) > 1 else ''} {_fmt(map(repr, unknown))}; {hint}")


def _resolve_constructs(codebook: Codebook, constructs, func: str) -> list[str]:
    known = list(codebook.constructs["code"])
    if constructs is None:
        return known
    if isinstance(constructs, str):
        constructs = [constructs]
    constructs = list(constructs)
    _reject_unknown(constructs, known, "construct", func, f"the codebook defines {_fmt(known)}")
    if not constructs:
        raise ValueError(f"{func}(): constructs is empty; pass at least one of {_fmt(known)} or None for all")
    return constructs


def _require_columns(data: pd.DataFrame, items: Sequence[str], func: str, what: str) -> None:
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise KeyError(
            f"{func}(): the data lack the item column{'s' if len(missing) > 1 else ''} "
            f"{_fmt(missing)} {what}; check the column names against the codebook, or "
            "restrict the call to the constructs/items the data contain"
        )


def _numeric_items(data: pd.DataFrame, items: Sequence[str], codebook: Codebook, func: str) -> pd.DataFrame:
    """Item columns as float with NaN for missing, after checking every value is a scale code.

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
            example = f" (e.g. {bad.iloc[0]!r} at row {_row(bad.index[0])})" if len(bad) else ""
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
                f"; {_fmt(miss)} means 'no answer' and must be blank (missing) in processed data"
                if value in miss else ""
            )
            raise ValueError(
                f"{func}(): item {col!r} has a value outside its scale {lo}–{hi} at row {_row(row)}: "
                f"{value:g} ({len(bad)} such value{'s' if len(bad) > 1 else ''} in this column){hint}. "
                "Fix or blank these values in the cleaning step (hpmob.clean) before scoring"
            )
        out[col] = x
    return pd.DataFrame(out, index=data.index)


def _keyed(data: pd.DataFrame, items: Sequence[str], codebook: Codebook, func: str,
           reverse: bool = True) -> pd.DataFrame:
    """Validated float item frame, reverse-keyed items flipped when `reverse`."""
    x = _numeric_items(data, items, codebook, func)
    if reverse:
        flags = codebook.items.set_index("code")["reverse"]
        for col in items:
            if bool(flags[col]):
                lo, hi = codebook.scale_range(col)
                x[col] = lo + hi - x[col]
    return x


def _required_count(min_items, k: int, construct: str, func: str) -> int:
    """Number of answered items a respondent needs for a composite of `k` items."""
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


# ------------------------------------------------------------------- reverse keying
def reverse_key(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Reverse-key the items the codebook marks ``reverse: true``.

    A reverse-keyed item is worded against its construct ("I do not yet clearly
    understand ..."), so its code ``x`` is mapped to ``lo + hi − x`` on its scale
    (``1 ↔ 5``, ``2 ↔ 4`` on a 1–5 scale). Which items are flipped comes **only**
    from the codebook; flipping an item twice (once here, once by hand) is the
    classic scoring bug, so do not pre-reverse the data.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered (integer codes; NaN / ``pd.NA`` = missing).
        Columns that are not codebook items (``resp_id``, ``level``, ...) are copied
        unchanged. Codebook items absent from `data` are ignored.
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.

    Returns
    -------
    pandas.DataFrame
        A copy of `data`; item columns are float (NaN = missing), reverse-keyed
        items flipped.

    Raises
    ------
    TypeError
        If an item column is not numeric (text labels not yet recoded).
    ValueError
        If an item holds a value outside its scale (e.g. 9 = "no answer", 0, 2.5);
        the message names the column, the first row index and the value.

    Examples
    --------
    EN4 is the reverse-keyed item of the bundled second instrument (1–7 scale):

    >>> import pandas as pd
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> df = pd.DataFrame({"resp_id": ["r1", "r2"], "EN3": [7, 2], "EN4": [7, 2]})
    >>> reverse_key(df, cb)
      resp_id  EN3  EN4
    0      r1  7.0  1.0
    1      r2  2.0  6.0
    """
    _check_frame(data, "reverse_key")
    _check_codebook(codebook, "reverse_key")
    items = [c for c in codebook.item_columns if c in data.columns]
    out = data.copy()
    keyed = _keyed(data, items, codebook, "reverse_key")
    for col in items:
        out[col] = keyed[col]
    return out


# ------------------------------------------------------------------------ composites
def composite_scores(
    data: pd.DataFrame,
    codebook: Codebook,
    *,
    constructs: str | Sequence[str] | None = None,
    min_items: float | int = 0.5,
    reverse: bool = True,
) -> pd.DataFrame:
    """Composite score (mean of keyed items) per construct and respondent.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses with the item columns of the requested constructs, items as
        answered (see :func:`reverse_key`). Other columns are ignored.
    codebook : Codebook
        Defines construct membership, scales and reverse keying; any valid codebook
        works, including a trimmed one.
    constructs : str or list of str, optional
        Construct codes to score, in output order. Default: every construct of
        the codebook (all their items must then be in `data`).
    min_items : float or int, default 0.5
        How many of a construct's items a respondent must have answered for a
        composite; otherwise the composite is NaN. A float in (0, 1] is a fraction
        of the construct's items, rounded up (0.5 of 5 items → 3); an int ≥ 1 is an
        absolute count (``min_items=1`` → at least one item, ``1.0`` → all items).
        Averaging over answered items only ("person-mean imputation") is unbiased
        enough when most items are present, which is what the default demands.
    reverse : bool, default True
        Reverse-key first, per the codebook. Pass False only if `data` is already
        keyed (e.g. the output of :func:`reverse_key`).

    Returns
    -------
    pandas.DataFrame
        Same index as `data`, one float column per construct (named by its code).

    Raises
    ------
    KeyError
        Unknown construct, or an item column missing from `data`.
    ValueError, TypeError
        Invalid `min_items`, or item values outside the scale (see :func:`reverse_key`).

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> df = pd.DataFrame({"SP1": [7, 6], "SP2": [6, None], "SP3": [7, None], "SP4": [4, None]})
    >>> composite_scores(df, cb, constructs="SP")
        SP
    0  6.0
    1  NaN
    """
    _check_frame(data, "composite_scores")
    _check_codebook(codebook, "composite_scores")
    constructs = _resolve_constructs(codebook, constructs, "composite_scores")
    out = {}
    for con in constructs:
        items = codebook.items_of(con)
        need = _required_count(min_items, len(items), con, "composite_scores")
        _require_columns(data, items, "composite_scores", f"of construct {con!r}")
        x = _keyed(data, items, codebook, "composite_scores", reverse=reverse)
        answered = x.notna().sum(axis=1)
        out[con] = x.mean(axis=1, skipna=True).where(answered >= need)
    return pd.DataFrame(out, index=data.index)


# ------------------------------------------------------------------- item statistics
def item_statistics(
    data: pd.DataFrame,
    codebook: Codebook,
    *,
    items: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Descriptive statistics of each item, on the keyed scale.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered.
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.
    items : list of str, optional
        Item codes, in output order. Default: every codebook item (all must be in
        `data`).

    Returns
    -------
    pandas.DataFrame
        One row per item with columns

        - ``item``, ``construct``
        - ``reversed`` : True if the item is reverse-keyed in the codebook; its
          statistics are then computed **after** reverse keying (``lo + hi − x``),
          i.e. in the direction of the construct, so that a high mean always means
          "more of the construct". Its ``pct_agree`` is then the share whose keyed
          answer is an agree code, i.e. who *disagreed* with the statement as worded.
        - ``n`` : answered (non-missing) responses
        - ``mean``, ``sd`` (ddof = 1)
        - ``skew`` : adjusted Fisher–Pearson skewness G1 (bias-corrected), as
          ``pandas.Series.skew`` and ``scipy.stats.skew(x, bias=False)``
        - ``kurtosis`` : **excess** kurtosis G2 (bias-corrected, normal = 0), as
          ``pandas.Series.kurt`` and ``scipy.stats.kurtosis(x, fisher=True, bias=False)``
        - ``pct_missing`` : percent of rows missing
        - ``pct_agree`` : percent of answered in the scale's agree codes (e.g. 4–5)
        - ``pct_floor``, ``pct_ceiling`` : percent of answered at the lowest /
          highest code of the scale

        Percentages are on 0–100. ``skew`` needs n ≥ 3 and ``kurtosis`` n ≥ 4; both
        are NaN when undefined, including for an item everyone answered alike
        (sd = 0), where pandas would report 0.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(100, 3, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> tab = item_statistics(s.answers, cb, items=["EN3", "EN4"])
    >>> list(tab["reversed"])
    [False, True]
    """
    _check_frame(data, "item_statistics")
    _check_codebook(codebook, "item_statistics")
    known = codebook.item_columns
    if items is None:
        items = known
    elif isinstance(items, str):
        items = [items]
    items = list(items)
    _reject_unknown(items, known, "item", "item_statistics", f"the codebook defines {_fmt(known)}")
    _require_columns(data, items, "item_statistics", "")
    x = _keyed(data, items, codebook, "item_statistics")
    meta = codebook.items.set_index("code")
    rows = []
    n_rows = len(x)
    for col in items:
        v = x[col].dropna()
        n = len(v)
        lo, hi = codebook.scale_range(col)
        sd = v.std(ddof=1) if n > 1 else np.nan
        degenerate = not (sd > 0)
        rows.append({
            "item": col,
            "construct": meta.loc[col, "construct"],
            "reversed": bool(meta.loc[col, "reverse"]),
            "n": n,
            "mean": v.mean() if n else np.nan,
            "sd": sd,
            "skew": np.nan if degenerate else v.skew(),
            "kurtosis": np.nan if degenerate else v.kurt(),
            "pct_missing": 100 * (n_rows - n) / n_rows if n_rows else np.nan,
            "pct_agree": 100 * v.isin(codebook.agree_codes(col)).mean() if n else np.nan,
            "pct_floor": 100 * (v == lo).mean() if n else np.nan,
            "pct_ceiling": 100 * (v == hi).mean() if n else np.nan,
        })
    out = pd.DataFrame(rows)
    return out.astype({"n": "int64"})


# ------------------------------------------------------------------------ mean bands
def _check_bands(bands) -> list[tuple[float, float, str]]:
    try:
        bands = [(float(lo), float(hi), str(lab)) for lo, hi, lab in bands]
    except (TypeError, ValueError):
        raise ValueError(
            "mean_band(): bands must be a sequence of (lowest, highest, label) triples, "
            "like hpmob.score.VN_BANDS"
        ) from None
    if not bands:
        raise ValueError("mean_band(): bands is empty; pass (lowest, highest, label) triples")
    for (lo, hi, lab), nxt in zip(bands, bands[1:] + [None]):
        if hi < lo:
            raise ValueError(f"mean_band(): band {lab!r} has highest {hi} below lowest {lo}")
        if nxt is not None and nxt[0] <= hi:
            raise ValueError(
                f"mean_band(): bands {lab!r} and {nxt[2]!r} overlap; list bands in increasing order "
                "without overlap"
            )
    return bands


def mean_band(mean, bands: Sequence[tuple[float, float, str]] = VN_BANDS, *, decimals: int = 2):
    """Verbal band of a mean score, by the Vietnamese five-band convention.

    Means are first rounded to `decimals` (as they are printed) and then placed in
    the band whose closed interval ``[lowest, highest]`` contains them, so a table
    never shows "1.80" next to the label of the band above. With :data:`VN_BANDS`:
    1.00–1.80 very low, 1.81–2.60 low, 2.61–3.40 medium, 3.41–4.20 high,
    4.21–5.00 very high.

    Parameters
    ----------
    mean : float, array-like or pandas.Series
        Mean score(s) on the 1–5 scale; NaN gives a missing label.
    bands : sequence of (lowest, highest, label), default VN_BANDS
        Increasing, non-overlapping bands. The default labels are bilingual
        (``"Rất thấp / Very low"`` … ``"Rất cao / Very high"``).
    decimals : int, default 2
        Rounding applied before classification.

    Returns
    -------
    str, numpy.ndarray or pandas.Series
        A label for a scalar (NaN for NaN); an object array for array-likes; for a
        Series, an ordered categorical Series (categories in band order) with the
        same index and name.

    Raises
    ------
    ValueError
        If a (rounded) mean falls outside every band, e.g. 0.7 or 5.3: not a mean
        of 1–5 items.

    Examples
    --------
    >>> mean_band(1.80), mean_band(1.81)
    ('Rất thấp / Very low', 'Thấp / Low')
    >>> import pandas as pd
    >>> mean_band(pd.Series([4.20, 4.21])).tolist()
    ['Cao / High', 'Rất cao / Very high']
    """
    bands = _check_bands(bands)
    labels = [b[2] for b in bands]

    def classify(values: np.ndarray) -> np.ndarray:
        r = np.round(values.astype(float), decimals)
        out = np.full(r.shape, np.nan, dtype=object)
        done = np.isnan(r)
        eps = 1e-9  # float noise only; the limits themselves are exact to `decimals`
        for lo, hi, lab in bands:
            hit = ~done & (r >= lo - eps) & (r <= hi + eps)
            out[hit] = lab
            done |= hit
        if not done.all():
            bad = values[~done][0]
            raise ValueError(
                f"mean_band(): mean {bad!r} lies outside every band "
                f"({bands[0][0]:g}–{bands[-1][1]:g}); is it a mean of items on the 1–5 scale?"
            )
        return out

    if isinstance(mean, pd.Series):
        values = pd.to_numeric(mean, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        cat = pd.Categorical(classify(values), categories=labels, ordered=True)
        return pd.Series(cat, index=mean.index, name=mean.name)
    if np.ndim(mean) == 0:
        return classify(np.array([mean], dtype=float))[0]
    return classify(np.asarray(mean, dtype=float))


# ----------------------------------------------------------------- shares and groups
def wilson_ci(count, nobs, conf: float = 0.95) -> tuple:
    """Wilson score confidence interval for a binomial proportion.

    Unlike the Wald interval ``p ± z·sqrt(p(1−p)/n)``, the Wilson interval keeps
    close to nominal coverage for shares near 0 or 1 (Brown, Cai & DasGupta, 2001,
    *Statistical Science* 16(2), 101–133), which is where agreement shares such as
    "> 80 % agree" live. Same formula as
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Parameters
    ----------
    count, nobs : int or array-like
        Successes and trials; NaN where ``nobs`` is 0.
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float or numpy.ndarray
        The interval's bounds, clipped to [0, 1]; floats for scalar input.

    Examples
    --------
    >>> low, high = wilson_ci(45, 50)
    >>> round(low, 4), round(high, 4)
    (0.7864, 0.9565)
    """
    _check_conf(conf, "wilson_ci")
    k = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    if np.any((k < 0) | (k > n)):
        raise ValueError(f"wilson_ci(): count must lie between 0 and nobs; got count={count!r}, nobs={nobs!r}")
    z = stats.norm.ppf(1 - (1 - conf) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = centre - half, centre + half
    # Rounding can leave 1e-17 outside [0, 1] at p = 0 or 1.
    low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _group_keys(data: pd.DataFrame, by: str | None, codebook: Codebook | None, func: str):
    """[(label, mask)] with the overall row first, then groups in codebook order."""
    keys = [(OVERALL_GROUP, pd.Series(True, index=data.index))]
    if by is None:
        return keys
    if not isinstance(by, str) or by not in data.columns:
        raise KeyError(
            f"{func}(): by={by!r} is not a column of the data; use a respondent attribute "
            f"such as 'level' (columns: {_fmt(list(data.columns)[:12])}{', ...' if data.shape[1] > 12 else ''})"
        )
    g = data[by]
    present = list(pd.unique(g.dropna()))
    order = None
    if codebook is not None and by in codebook.attribute_columns:
        try:
            order = list(codebook.value_labels(by))
        except ValueError:  # integer attribute: no codebook order
            order = None
    if isinstance(g.dtype, pd.CategoricalDtype):
        order = list(g.cat.categories)
    if order is not None:
        levels = [v for v in order if v in present] + [v for v in present if v not in order]
    else:
        try:
            levels = sorted(present)
        except TypeError:
            levels = present
    return keys + [(lev, (g == lev).fillna(False).astype(bool)) for lev in levels]


#: Columns of :func:`agreement_share`'s result.
AGREEMENT_COLUMNS = ["construct", "item", "group", "n", "n_agree", "share", "ci_low", "ci_high", "threshold",
                     "verdict", "suppressed"]


def empty_agreement_table() -> pd.DataFrame:
    """A header-only :func:`agreement_share` table, for a construct the codebook does not have.

    Notebooks write it in place of the table so later steps (the claims table) read the
    same columns and mark the claim not testable instead of failing on a missing file.
    """
    return pd.DataFrame(columns=AGREEMENT_COLUMNS)


def agreement_share(
    data: pd.DataFrame,
    codebook: Codebook,
    items: str | Sequence[str],
    *,
    by: str | None = None,
    conf: float = 0.95,
    threshold: float | None = None,
    min_items: float | int = 0.5,
    composite_cut: float | None = None,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Compute the share of respondents agreeing, with Wilson CI and a verdict against the caller's threshold.

    For each item, a respondent agrees if the (keyed) answer is one of the scale's
    agree codes (e.g. 4–5 on a 1–5 scale). For each construct, a respondent "agrees
    with the construct" if the composite of the listed items is at least
    `composite_cut`, by default the lowest agree code (4.0 on that scale): on average the
    respondent agreed, not merely leaned towards it (3.5 would count a respondent
    who answered "neutral" to half the items as agreeing). The denominator is the
    respondents who answered the item (or have a composite).

    With a `threshold`, the verdict is ``"supported"`` when the **lower** confidence
    limit exceeds it, i.e. the share is credibly above it, else ``"not supported"``.
    The threshold is the claim's, so it has no default: a claim that most respondents
    agree with a construct passes the construct's code as `items` and its own share
    (the study layer reads it from the analysis plan). Without one the table gives
    the shares only (``threshold`` NaN, ``verdict`` missing).

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, items as answered, plus the `by` column if given.
    codebook : Codebook
        The instrument: items, scales, reverse keys and constructs.
    items : str or list of str
        A construct code (all its items) or a list of item codes, possibly from
        several constructs. One composite row per construct is computed over the
        listed items of that construct.
    by : str, optional
        Column to break the shares down by (e.g. ``"gender"``); groups appear in the
        codebook's order of values. Respondents with a missing `by` value count in
        the overall rows only.
    conf : float, default 0.95
        Confidence level of the Wilson interval (:func:`wilson_ci`).
    threshold : float, optional
        Share the lower confidence limit must exceed (the caller's claim); without
        it no verdict is given.
    min_items : float or int, default 0.5
        Minimum answered items for a composite (see :func:`composite_scores`).
    composite_cut : float, optional
        Composite value counted as agreeing; default the lowest agree code.
    min_cell : int, default MIN_CELL (5)
        Rows with fewer respondents (``n``) are suppressed: ``n``, ``n_agree``,
        ``share``, the CI are set to missing, ``verdict`` to ``"suppressed"`` and
        ``suppressed=True``; so are the smallest other groups of the item needed so
        that no blank count follows from the overall row
        (:func:`hpmob.disclosure.suppress_small_groups`). Respondents with a missing
        `by` value are a cell of that partition too (no row of their own): fewer than
        `min_cell` of them suppress the smallest group with them. Overall rows are
        suppressed only if themselves small.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct, item, group, n, n_agree, share, ci_low, ci_high,
        threshold, verdict, suppressed``; ``item`` is ``"composite"`` for
        construct rows and ``group`` is ``"all"`` for overall rows. Order: per
        construct, items then composite; within each, overall then groups.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> from hpmob.simulate import load_population_model, simulate_sample
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> cb = load_codebook(wb / "codebook.yaml")
    >>> s = simulate_sample(300, 2, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
    >>> df = s.answers.join(s.attributes)
    >>> tab = agreement_share(df, cb, "TR", by="gender", threshold=0.75)
    >>> tab.columns[:6].tolist()
    ['construct', 'item', 'group', 'n', 'n_agree', 'share']
    >>> tab.loc[tab["item"] == "composite", ["group", "verdict"]].values.tolist()
    [['all', 'supported'], ['male', 'not supported'], ['female', 'not supported']]
    >>> bool(agreement_share(df, cb, "TR")["verdict"].isna().all())
    True
    """
    func = "agreement_share"
    _check_frame(data, func)
    _check_codebook(codebook, func)
    _check_conf(conf, func)
    _check_min_cell(min_cell, func)
    if threshold is not None and (not isinstance(threshold, Real) or isinstance(threshold, bool)
                                  or not 0 <= threshold <= 1):
        raise ValueError(f"{func}(): threshold is a share between 0 and 1 (e.g. 0.80); got {threshold!r}")
    known_items = codebook.item_columns
    constructs_known = list(codebook.constructs["code"])
    if isinstance(items, str):
        if items in constructs_known:
            items = codebook.items_of(items)
        elif items in known_items:
            items = [items]
        else:
            raise KeyError(
                f"{func}(): {items!r} is neither a construct ({_fmt(constructs_known)}) nor an item code"
            )
    items = list(items)
    if not items:
        raise ValueError(f"{func}(): items is empty; pass a construct code of the codebook or a list of item codes")
    _reject_unknown(items, known_items, "item", func,
                    "pass item codes from the codebook or one of its construct codes")
    _require_columns(data, items, func, "")
    keyed = _keyed(data, items, codebook, func)
    groups = _group_keys(data, by, codebook, func)
    if by is not None and data[by].isna().any():
        # Respondents without a group count in the overall rows only, so the overall row
        # minus the groups gives their number: a cell of each item's partition, never a row.
        groups.append((None, data[by].isna().to_numpy(dtype=bool)))
    construct_of = codebook.items.set_index("code")["construct"]

    rows = []

    def add(construct, item, agree: pd.Series, answered: pd.Series):
        for label, mask in groups:
            m = mask & answered
            rows.append({
                "construct": construct, "item": item, "group": label,
                "n": int(m.sum()), "n_agree": int((agree & m).sum()),
            })

    by_construct: dict[str, list[str]] = {}
    for it in items:
        by_construct.setdefault(construct_of[it], []).append(it)
    for con, its in by_construct.items():
        for it in its:
            add(con, it, keyed[it].isin(codebook.agree_codes(it)), keyed[it].notna())
        need = _required_count(min_items, len(its), con, func)
        comp = keyed[its].mean(axis=1).where(keyed[its].notna().sum(axis=1) >= need)
        if composite_cut is None:
            codes = codebook.agree_codes(its[0])
            if not codes:
                raise ValueError(
                    f"{func}(): the scale of {its[0]!r} has no agree_codes in the codebook; "
                    "add them or pass composite_cut"
                )
            cut = min(codes)
        else:
            cut = composite_cut
        add(con, COMPOSITE_LABEL, comp >= cut, comp.notna())

    out = pd.DataFrame(rows)
    out["n_agree"] = out["n_agree"].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out["n_agree"] / out["n"]
    low, high = wilson_ci(out["n_agree"].to_numpy(), out["n"].to_numpy(), conf)
    out["ci_low"], out["ci_high"] = low, high
    if threshold is None:
        out["threshold"] = np.nan
        out["verdict"] = pd.Series(None, index=out.index, dtype="object")
    else:
        out["threshold"] = float(threshold)
        out["verdict"] = np.where(out["ci_low"] > threshold, "supported", "not supported")
    # Group rows of one item add up to its "all" row: a blank small group is suppressed
    # with a complement, so it cannot be recovered by subtraction (hpmob.disclosure).
    out = suppress_small_groups(out, n_col="n", threshold=min_cell, within=["construct", "item"],
                                value_cols=["n_agree", "share", "ci_low", "ci_high"],
                                margin_mask=out["group"] == "all", missing_mask=out["group"].isna())
    out = out[out["group"].notna()].reset_index(drop=True)
    out[["n_agree", "share", "ci_low", "ci_high"]] = out[["n_agree", "share", "ci_low", "ci_high"]].astype("float64")
    out.loc[out["suppressed"], "verdict"] = "suppressed"
    out["group"] = out["group"].astype(object)
    return out


def composite_by_group(
    scores: pd.DataFrame,
    group: str | pd.Series,
    *,
    conf: float = 0.95,
    min_cell: int = MIN_CELL,
    order: Sequence | None = None,
) -> pd.DataFrame:
    """Mean, sd, n and t-based confidence interval of composites per construct × group.

    Parameters
    ----------
    scores : pandas.DataFrame
        Composite scores, one column per construct (e.g. from
        :func:`composite_scores`), optionally with the grouping column.
    group : str or pandas.Series
        Name of the grouping column in `scores`, or a Series aligned on its index
        (e.g. ``attributes["gender"]``). Rows with a missing group get no row of
        their own (see `min_cell`).
    conf : float, default 0.95
        Confidence level; the interval is ``mean ± t(n−1) · sd / sqrt(n)``.
    min_cell : int, default MIN_CELL (5)
        Cells with fewer respondents are suppressed (``n`` and statistics missing,
        ``suppressed=True``), together with the smallest other groups of the construct
        needed so that no blank count follows from the total
        (:func:`hpmob.disclosure.suppress_small_groups`). Respondents with a missing
        group are a cell of that partition too (no row of their own: their number is
        the overall n minus the groups).
    order : sequence, optional
        Group order (the study layer passes its plan's group order). Default: the
        categories of a categorical group, else sorted.

    Returns
    -------
    pandas.DataFrame
        Long format with columns ``construct, group, n, mean, sd, se, ci_low,
        ci_high, conf, suppressed``; constructs in column order, groups in `order`.

    Examples
    --------
    >>> import pandas as pd
    >>> sc = pd.DataFrame({"A": [3.0, 4.0, 5.0, 4.0, 4.0, 2.0], "lev": list("aaaaab")})
    >>> composite_by_group(sc, "lev", min_cell=5)[["group", "n", "mean", "suppressed"]]
      group     n  mean  suppressed
    0     a  <NA>   NaN        True
    1     b  <NA>   NaN        True
    """
    func = "composite_by_group"
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"{func}() needs a DataFrame of composite scores; got {type(scores).__name__}")
    _check_conf(conf, func)
    _check_min_cell(min_cell, func)
    if isinstance(group, str):
        if group not in scores.columns:
            raise KeyError(
                f"{func}(): group={group!r} is not a column of scores; join the attribute first "
                "(scores.join(attributes['level'])) or pass it as a Series"
            )
        g = scores[group]
        values = scores.drop(columns=[group])
    elif isinstance(group, pd.Series):
        if not group.index.equals(scores.index):
            raise ValueError(
                f"{func}(): the group Series is not aligned with scores (different index); "
                "build both from the same DataFrame or reindex the group"
            )
        g = group
        values = scores
    else:
        raise TypeError(f"{func}(): group must be a column name or a Series; got {type(group).__name__}")
    for col in values.columns:
        if pd.api.types.is_bool_dtype(values[col]) or not pd.api.types.is_numeric_dtype(values[col]):
            raise TypeError(
                f"{func}(): column {col!r} of scores is not numeric; pass only composite-score "
                "columns plus the group column"
            )
    present = list(pd.unique(g.dropna()))
    if order is None:
        if isinstance(g.dtype, pd.CategoricalDtype):
            order = list(g.cat.categories)
        else:
            try:
                order = sorted(present)
            except TypeError:
                order = present
    order = [v for v in order if v in present] + [v for v in present if v not in order]
    rows = []
    no_group = g.isna().to_numpy(dtype=bool)
    for con in values.columns:
        x = pd.Series(values[con].to_numpy(dtype="float64", na_value=np.nan), index=values.index)
        if no_group.any():
            # respondents without a group: in the construct's overall n (published with the
            # overall composites), so a cell of the partition, suppressed when small; no row
            rows.append({"construct": con, "group": None, "n": int(x[no_group].notna().sum()), "mean": np.nan,
                         "sd": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "conf": float(conf),
                         "suppressed": False})
        for lev in order:
            v = x[(g == lev).fillna(False).to_numpy(dtype=bool)].dropna()
            n = len(v)
            mean = v.mean() if n else np.nan
            sd = v.std(ddof=1) if n > 1 else np.nan
            se = sd / np.sqrt(n) if n > 1 else np.nan
            half = stats.t.ppf(1 - (1 - conf) / 2, n - 1) * se if n > 1 else np.nan
            rows.append({
                "construct": con, "group": lev, "n": n, "mean": mean, "sd": sd, "se": se,
                "ci_low": mean - half, "ci_high": mean + half, "conf": float(conf),
                "suppressed": n < min_cell,
            })
    out = pd.DataFrame(rows, columns=["construct", "group", "n", "mean", "sd", "se",
                                      "ci_low", "ci_high", "conf", "suppressed"])
    # The groups of one construct add up to its overall n: complements keep a blank small
    # group from being recovered by subtraction; se and the interval would give n back.
    stats_cols = ["mean", "sd", "se", "ci_low", "ci_high"]
    out = suppress_small_groups(out, n_col="n", threshold=min_cell, within=["construct"], value_cols=stats_cols,
                                missing_mask=out["group"].isna())
    out = out[out["group"].notna()].reset_index(drop=True)
    out[stats_cols] = out[stats_cols].astype("float64")
    out["group"] = out["group"].astype(object)
    return out.astype({"suppressed": bool})
