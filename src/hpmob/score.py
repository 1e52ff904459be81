"""Scoring: reverse keying, composite scores, item statistics and agreement shares.

Every function reads construct membership, response scales, reverse keying and agree
codes from the :class:`~hpmob.codebook.Codebook`, never from hard-coded item lists, so
the same code scores a trimmed codebook, an edited one or a real export that follows
it. Inputs are the processed responses (``data/processed/responses.csv``): items as
integer codes **as answered** (not yet reverse-keyed), blank = missing; read with
pandas, the item columns arrive as float or nullable ``Int64``, both are accepted.

Reliability (alpha, omega, item–rest correlations) lives in :mod:`hpmob.reliability`;
feed it the output of :func:`reverse_key`.

The shares and group summaries (:func:`wilson_ci`, :func:`agreement_share`,
:func:`composite_by_group`) are defined in :mod:`hpmob.group_scores` and re-exported here;
the checks of responses against the codebook are in :mod:`hpmob.response_checks`.

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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hpmob.checks import check_frame, format_list
from hpmob.codebook import Codebook

# The shares and group means live in hpmob.group_scores; re-exported here, where callers import
# them (the two names outside __all__ are imported from here by the study layer).
from hpmob.group_scores import AGREEMENT_COLUMNS as AGREEMENT_COLUMNS
from hpmob.group_scores import (
    COMPOSITE_LABEL,
    MIN_CELL,
    OVERALL_GROUP,
    agreement_share,
    composite_by_group,
    wilson_ci,
)
from hpmob.group_scores import empty_agreement_table as empty_agreement_table
from hpmob.response_checks import (
    check_codebook,
    keyed_items,
    reject_unknown,
    require_columns,
    required_count,
    resolve_constructs,
)

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
    check_frame(data, "reverse_key")
    check_codebook(codebook, "reverse_key")
    items = [c for c in codebook.item_columns if c in data.columns]
    out = data.copy()
    keyed = keyed_items(data, items, codebook, "reverse_key")
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
    check_frame(data, "composite_scores")
    check_codebook(codebook, "composite_scores")
    constructs = resolve_constructs(codebook, constructs, "composite_scores")
    out = {}
    for con in constructs:
        items = codebook.items_of(con)
        need = required_count(min_items, len(items), con, "composite_scores")
        require_columns(data, items, "composite_scores", f"of construct {con!r}")
        x = keyed_items(data, items, codebook, "composite_scores", reverse=reverse)
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
    check_frame(data, "item_statistics")
    check_codebook(codebook, "item_statistics")
    known = codebook.item_columns
    if items is None:
        items = known
    elif isinstance(items, str):
        items = [items]
    items = list(items)
    reject_unknown(items, known, "item", "item_statistics", f"the codebook defines {format_list(known)}")
    require_columns(data, items, "item_statistics", "")
    x = keyed_items(data, items, codebook, "item_statistics")
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
