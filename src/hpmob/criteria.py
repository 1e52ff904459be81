"""Decision thresholds, each a named constant with its citation.

Every cut-off that turns a statistic into a verdict ("acceptable fit",
"discriminant validity holds") lives here, so that a reviewer can see which
rule was applied and where it comes from, and an analyst can change it in one
place. Other modules import the constants (``criteria.LOADING_MIN``) instead of
typing numbers.

The cut-offs are conventions, not laws: Marsh, Hau & Wen (2004) warn against
treating the Hu & Bentler (1999) values as golden rules. Report the statistic
and let the verdict be a summary of it.

Functions
---------
criteria_table
    All thresholds as a tidy table (name, value, direction, applies_to, reference).
judge
    Whether a value meets a named threshold.

Examples
--------
>>> from hpmob import criteria
>>> criteria.CFI_MIN
0.95
>>> criteria.judge(0.957, "CFI_MIN")
True
"""

from __future__ import annotations

import difflib
import math
import operator

import numpy as np
import pandas as pd

__all__ = [
    "ALPHA_MIN",
    "ITEM_REST_MIN",
    "KMO_MIN",
    "KMO_ITEM_MIN",
    "BARTLETT_P",
    "LOADING_MIN",
    "CFI_MIN",
    "CFI_ACCEPTABLE",
    "TLI_MIN",
    "TLI_ACCEPTABLE",
    "RMSEA_MAX",
    "RMSEA_ACCEPTABLE",
    "SRMR_MAX",
    "CHISQ_DF_MAX",
    "CR_MIN",
    "AVE_MIN",
    "HTMT_MAX",
    "HTMT_LIBERAL",
    "DELTA_CFI_MAX",
    "DELTA_RMSEA_MAX",
    "DELTA_SRMR_METRIC_MAX",
    "DELTA_SRMR_SCALAR_MAX",
    "CRITERIA",
    "criteria_table",
    "judge",
]

# --------------------------------------------------------------------------- #
# Reliability of a scale
# --------------------------------------------------------------------------- #
#: Cronbach's alpha >= .70 (Nunnally & Bernstein 1994, p. 265: "modest"
#: reliability, adequate for research use).
ALPHA_MIN = 0.70
#: Corrected item-total (item-rest) correlation >= .30 (Nunnally & Bernstein
#: 1994); lower items add little to the scale.
ITEM_REST_MIN = 0.30

# --------------------------------------------------------------------------- #
# Suitability of the data for factor analysis
# --------------------------------------------------------------------------- #
#: Overall KMO measure of sampling adequacy >= .60. Kaiser (1974) calls values
#: in the .50s "miserable" and the .60s "mediocre"; .60 is the usual minimum.
KMO_MIN = 0.60
#: Item-level MSA >= .50 (Kaiser 1974: below .50 is "unacceptable"); such items
#: are candidates for removal before EFA.
KMO_ITEM_MIN = 0.50
#: Bartlett's (1950) test of sphericity must reject R = I at p < .05.
BARTLETT_P = 0.05

# --------------------------------------------------------------------------- #
# Measurement model (CFA)
# --------------------------------------------------------------------------- #
#: Standardized loading >= .50 (Hair, Black, Babin & Anderson 2019,
#: *Multivariate Data Analysis*, 8th ed.; .70 ideal).
LOADING_MIN = 0.50
#: CFI >= .95 for good fit (Hu & Bentler 1999).
CFI_MIN = 0.95
#: CFI >= .90 for acceptable fit (Bentler & Bonett 1980).
CFI_ACCEPTABLE = 0.90
#: TLI >= .95 for good fit (Hu & Bentler 1999).
TLI_MIN = 0.95
#: TLI >= .90 for acceptable fit (Bentler & Bonett 1980).
TLI_ACCEPTABLE = 0.90
#: RMSEA <= .06 for good fit (Hu & Bentler 1999).
RMSEA_MAX = 0.06
#: RMSEA <= .08 for reasonable fit (Browne & Cudeck 1993).
RMSEA_ACCEPTABLE = 0.08
#: SRMR <= .08 (Hu & Bentler 1999).
SRMR_MAX = 0.08
#: chi-square / df <= 3 (Carmines & McIver 1981; Kline 2016 cautions that the
#: ratio inherits the chi-square's dependence on N).
CHISQ_DF_MAX = 3.0
#: Composite reliability >= .70 (Hair et al. 2019; Fornell & Larcker 1981).
CR_MIN = 0.70
#: Average variance extracted >= .50 (Fornell & Larcker 1981): the construct
#: explains at least half of its indicators' variance.
AVE_MIN = 0.50
#: Heterotrait-monotrait ratio <= .85 (Henseler, Ringle & Sarstedt 2015, HTMT.85).
HTMT_MAX = 0.85
#: Liberal HTMT cut-off <= .90 (Henseler et al. 2015, HTMT.90, after Gold,
#: Malhotra & Segars 2001), for conceptually close constructs.
HTMT_LIBERAL = 0.90

# --------------------------------------------------------------------------- #
# Measurement invariance (change from the less to the more constrained model)
# --------------------------------------------------------------------------- #
#: Drop in CFI <= .01 (Cheung & Rensvold 2002; Chen 2007).
DELTA_CFI_MAX = 0.01
#: Rise in RMSEA <= .015 (Chen 2007).
DELTA_RMSEA_MAX = 0.015
#: Rise in SRMR <= .030 when testing metric (loading) invariance (Chen 2007).
DELTA_SRMR_METRIC_MAX = 0.030
#: Rise in SRMR <= .010 when testing scalar or residual invariance (Chen 2007).
DELTA_SRMR_SCALAR_MAX = 0.010

# name, direction (value <direction> threshold passes), applies_to, reference.
# The value column is read from the constants above so the two cannot drift.
_SPEC = [
    ("ALPHA_MIN", ">=", "Cronbach's alpha of a scale", "Nunnally & Bernstein (1994)"),
    ("ITEM_REST_MIN", ">=", "corrected item-total (item-rest) correlation", "Nunnally & Bernstein (1994)"),
    ("KMO_MIN", ">=", "overall KMO measure of sampling adequacy", "Kaiser (1974)"),
    ("KMO_ITEM_MIN", ">=", "item-level MSA (KMO per item)", "Kaiser (1974)"),
    ("BARTLETT_P", "<", "p-value of Bartlett's test of sphericity", "Bartlett (1950)"),
    ("LOADING_MIN", ">=", "standardized factor loading", "Hair et al. (2019)"),
    ("CFI_MIN", ">=", "CFI, good fit", "Hu & Bentler (1999)"),
    ("CFI_ACCEPTABLE", ">=", "CFI, acceptable fit", "Bentler & Bonett (1980)"),
    ("TLI_MIN", ">=", "TLI, good fit", "Hu & Bentler (1999)"),
    ("TLI_ACCEPTABLE", ">=", "TLI, acceptable fit", "Bentler & Bonett (1980)"),
    ("RMSEA_MAX", "<=", "RMSEA, good fit", "Hu & Bentler (1999)"),
    ("RMSEA_ACCEPTABLE", "<=", "RMSEA, reasonable fit", "Browne & Cudeck (1993)"),
    ("SRMR_MAX", "<=", "SRMR", "Hu & Bentler (1999)"),
    ("CHISQ_DF_MAX", "<=", "chi-square / df", "Carmines & McIver (1981); Kline (2016)"),
    ("CR_MIN", ">=", "composite reliability of a construct", "Hair et al. (2019); Fornell & Larcker (1981)"),
    ("AVE_MIN", ">=", "average variance extracted of a construct", "Fornell & Larcker (1981)"),
    ("HTMT_MAX", "<=", "HTMT ratio of two constructs", "Henseler, Ringle & Sarstedt (2015)"),
    ("HTMT_LIBERAL", "<=", "HTMT ratio, conceptually close constructs", "Henseler et al. (2015); Gold et al. (2001)"),
    ("DELTA_CFI_MAX", "<=", "drop in CFI, less to more constrained model", "Cheung & Rensvold (2002); Chen (2007)"),
    ("DELTA_RMSEA_MAX", "<=", "rise in RMSEA, less to more constrained model", "Chen (2007)"),
    ("DELTA_SRMR_METRIC_MAX", "<=", "rise in SRMR, configural to metric model", "Chen (2007)"),
    ("DELTA_SRMR_SCALAR_MAX", "<=", "rise in SRMR, metric to scalar (or residual) model", "Chen (2007)"),
]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}

#: All thresholds as a tidy table; see :func:`criteria_table`.
CRITERIA = pd.DataFrame(
    [
        {"name": name, "value": float(globals()[name]), "direction": direction,
         "applies_to": applies_to, "reference": reference}
        for name, direction, applies_to, reference in _SPEC
    ]
)


def criteria_table() -> pd.DataFrame:
    """All decision thresholds with their direction and citation.

    Returns
    -------
    pandas.DataFrame
        One row per threshold, columns ``name`` (the constant's name in this
        module), ``value``, ``direction`` (``">="``, ``">"``, ``"<="`` or
        ``"<"``: a statistic meets the criterion when ``statistic direction
        value`` is true), ``applies_to`` and ``reference``. A copy, so callers
        may edit it freely.

    Examples
    --------
    >>> from hpmob.criteria import criteria_table
    >>> tab = criteria_table().set_index("name")
    >>> tab.loc["AVE_MIN", "value"], tab.loc["AVE_MIN", "reference"]
    (np.float64(0.5), 'Fornell & Larcker (1981)')
    """
    return CRITERIA.copy()


def _lookup(name: str) -> tuple[float, str]:
    if not isinstance(name, str):
        raise TypeError(f"judge(): name must be a threshold name such as 'CFI_MIN'; got {name!r}.")
    key = name.strip().upper()
    row = CRITERIA.loc[CRITERIA["name"] == key]
    if row.empty:
        close = difflib.get_close_matches(key, CRITERIA["name"].tolist(), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(
            f"judge(): unknown threshold {name!r}.{hint} criteria_table() lists all of them."
        )
    return float(row["value"].iloc[0]), str(row["direction"].iloc[0])


def judge(value, name: str):
    """Whether ``value`` meets the named threshold.

    Parameters
    ----------
    value : float, array-like or pandas.Series
        The statistic(s), e.g. a CFI or a column of AVEs.
    name : str
        Name of the threshold, as in :func:`criteria_table` (case-insensitive),
        e.g. ``"CFI_MIN"`` or ``"HTMT_MAX"``.

    Returns
    -------
    bool, numpy.ndarray of bool or pandas.Series of bool
        ``value direction threshold``; the boundary itself passes for ``>=``
        and ``<=`` criteria. A missing value (NaN or None) never passes,
        because an unknown statistic cannot support a verdict.

    Raises
    ------
    KeyError
        If ``name`` is not a threshold (the message suggests close names).

    Examples
    --------
    >>> from hpmob.criteria import judge
    >>> judge(0.08, "RMSEA_ACCEPTABLE"), judge(0.081, "RMSEA_ACCEPTABLE")
    (True, False)
    >>> judge([0.62, 0.48], "AVE_MIN")
    array([ True, False])
    """
    threshold, direction = _lookup(name)
    op = _OPS[direction]
    if isinstance(value, (str, bytes)):
        raise TypeError(f"judge(): value must be a number or numbers; got the text {value!r}.")
    if isinstance(value, pd.Series):
        v = pd.to_numeric(value, errors="coerce").astype(float)
        return op(v, threshold) & v.notna()
    if value is None or (np.isscalar(value) and not isinstance(value, str)):
        if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
            return False
        return bool(op(float(value), threshold))
    arr = np.asarray(value, dtype=float)
    return op(arr, threshold) & ~np.isnan(arr)
