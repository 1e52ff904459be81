"""Convergent and discriminant validity of a fitted CFA.

The functions read a :class:`hpmob.sem.SemResult` (from ``hpmob.sem.fit``) of
a confirmatory factor analysis and return tidy pandas objects: standardized
loadings with flags, composite reliability (CR), average variance extracted
(AVE), the Fornell-Larcker matrix, and the heterotrait-monotrait ratio (HTMT,
from the data). :func:`validity_table` collects them per construct with
verdicts from :mod:`hpmob.criteria`. Checked against ``semTools`` 0.5-6 in
``tests/test_validity.py``.

Two definitions of CR and AVE
-----------------------------
Fornell & Larcker (1981) define CR and AVE from *standardized* loadings λ*
and error variances θ* = 1 − λ*². semTools computes them on the items' raw
scale. The two agree only when the items have equal model-implied variances,
so they differ slightly for real data (AVE by up to 0.013 on the hpmob
survey, CR by up to 0.004 on HolzingerSwineford1939). ``method`` chooses:

* ``"standardized"`` (default; Fornell & Larcker 1981):
  CR = (Σλ*)² / 1ᵀR̂1, which is (Σλ*)² / ((Σλ*)² + Σθ*) without correlated
  errors; AVE = mean(λ*²).
* ``"model"``: CR = (Σλ)²ψ / 1ᵀΣ̂1 = ``semTools::compRelSEM(fit, obs.var =
  FALSE)`` (= ``reliability(fit)["omega", ]``); AVE = Σλ²ψ / Σσ̂ᵢᵢ =
  ``semTools::AVE(fit, obs.var = FALSE)``.
* ``"observed"``: CR = (Σλ)²ψ / 1ᵀS1 = ``semTools::compRelSEM(fit)`` (its
  default, = ``reliability(fit)["omega3", ]``); AVE = Σλ²ψ / Σsᵢᵢ =
  ``semTools::AVE(fit)`` (its default).

R̂, Σ̂ are the model-implied correlation and covariance of the factor's
items, S their sample covariance (N divisor), ψ the factor variance, λ the
raw and λ* the standardized (``std.all``) loadings. ``"standardized"`` is the
default because it is the definition behind the thresholds
:data:`~hpmob.criteria.CR_MIN` and :data:`~hpmob.criteria.AVE_MIN`; use
``"model"`` or ``"observed"`` to compare with semTools line by line.

The measures are defined in :mod:`hpmob.convergent_validity` (loadings, CR, AVE) and
:mod:`hpmob.discriminant_validity` (Fornell-Larcker, HTMT), on the checks of
:mod:`hpmob.cfa_reading`; this module re-exports them and holds :func:`validity_table`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from . import criteria
from .cfa_reading import METHODS as METHODS  # not in __all__; where callers find it
from .cfa_reading import cfa_estimates, check_method, factor_structure

# The measures are defined in hpmob.convergent_validity and hpmob.discriminant_validity and
# re-exported here, where callers import them from; validity_table combines them.
from .convergent_validity import average_variance_extracted, composite_reliability, standardized_loadings
from .discriminant_validity import factor_correlations, fornell_larcker, htmt

__all__ = [
    "average_variance_extracted",
    "composite_reliability",
    "fornell_larcker",
    "htmt",
    "standardized_loadings",
    "validity_table",
]


# --------------------------------------------------------------------------- #
# Summary table
# --------------------------------------------------------------------------- #
def validity_table(
    result,
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "standardized",
    htmt2: bool = True,
) -> pd.DataFrame:
    """Convergent and discriminant validity per construct, with verdicts.

    Parameters
    ----------
    result : hpmob.sem.SemResult
        A fitted CFA with at least two correlated factors.
    data : pandas.DataFrame
        The data the CFA was fitted to (for HTMT).
    constructs : dict of str to list of str, optional
        Construct → items for HTMT. Defaults to the model's ``=~`` lines;
        if given, its keys must be the model's factors.
    method : {"standardized", "model", "observed"}, default "standardized"
        CR and AVE definition (see the module docstring).
    htmt2 : bool, default True
        Passed to :func:`htmt`.

    Returns
    -------
    pandas.DataFrame
        One row per factor: ``construct, n_items, min_loading`` (smallest
        standardized loading), ``cr, ave, sqrt_ave, max_r`` (largest
        absolute correlation with another factor), ``max_shared_variance``
        (``max_r``², the MSV), ``max_htmt``, and verdicts ``loadings_ok``
        (all ≥ :data:`~hpmob.criteria.LOADING_MIN`), ``cr_ok`` (≥
        :data:`~hpmob.criteria.CR_MIN`), ``ave_ok`` (≥
        :data:`~hpmob.criteria.AVE_MIN`), ``fornell_larcker_ok`` (AVE > MSV)
        and ``htmt_ok`` (max HTMT ≤ :data:`~hpmob.criteria.HTMT_MAX`).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.validity import validity_table
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> tab = validity_table(fit(model, hs), hs)
    >>> tab[["construct", "cr", "ave", "max_htmt", "ave_ok", "htmt_ok"]].round(3)
      construct     cr    ave  max_htmt  ave_ok  htmt_ok
    0    visual  0.626  0.371     0.387   False     True
    1   textual  0.885  0.720     0.384    True     True
    2     speed  0.691  0.430     0.387   False     True
    """
    func = "validity_table"
    check_method(method, func)
    est = cfa_estimates(result, func)
    factors, items = factor_structure(est)
    if constructs is None:
        constructs = items
    elif set(constructs) != set(factors):
        raise ValueError(
            f"{func}(): constructs {sorted(constructs)} must name the model's factors {factors}; "
            f"leave constructs=None to use the model's own '=~' lines."
        )
    load = standardized_loadings(result)
    cr = composite_reliability(result, method=method)
    ave = average_variance_extracted(result, method=method)
    phi = factor_correlations(est, factors, func)
    ht = htmt(data, {f: list(constructs[f]) for f in factors}, htmt2=htmt2)
    off = phi.abs().to_numpy(copy=True)
    np.fill_diagonal(off, np.nan)
    h = ht.to_numpy().copy()
    np.fill_diagonal(h, np.nan)
    out = pd.DataFrame(
        {
            "construct": factors,
            "n_items": [len(items[f]) for f in factors],
            "min_loading": [load.loc[load["construct"] == f, "std_all"].min() for f in factors],
            "cr": cr.reindex(factors).to_numpy(),
            "ave": ave.reindex(factors).to_numpy(),
        }
    )
    out["sqrt_ave"] = np.sqrt(out["ave"])
    out["max_r"] = np.nanmax(off, axis=1)
    out["max_shared_variance"] = out["max_r"] ** 2
    out["max_htmt"] = np.nanmax(h, axis=1)
    out["loadings_ok"] = criteria.judge(out["min_loading"], "LOADING_MIN")
    out["cr_ok"] = criteria.judge(out["cr"], "CR_MIN")
    out["ave_ok"] = criteria.judge(out["ave"], "AVE_MIN")
    out["fornell_larcker_ok"] = (out["ave"] > out["max_shared_variance"]) & out["ave"].notna()
    out["htmt_ok"] = criteria.judge(out["max_htmt"], "HTMT_MAX")
    return out
