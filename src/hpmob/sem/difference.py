"""Chi-square difference tests of nested models, with lavaan's default for each estimator.

``lavTestLRT(general, restricted)`` in lavaan 0.6-14 uses

* ML: the plain difference of the two statistics;
* MLR: the scaled difference of Satorra & Bentler (2001), ``(T₀ − T₁) / c_d`` with
  ``c_d = (df₀c₀ − df₁c₁) / (df₀ − df₁)`` and ``c`` each model's scaling factor;
* WLSMV: Satorra's (2000) difference test, scaled and shifted: with ``A`` spanning the
  orthogonal complement of ``Δ₁⁺Δ₀`` (lavaan's ``A.method = "delta"``), ``P⁻¹`` its inverse information
  and ``U = WΔ P⁻¹Aᵀ(AP⁻¹Aᵀ)⁻AP⁻¹ ΔᵀW``, the statistic is ``a (T₀ − T₁) + b`` with
  ``a = √(m / tr((UΓ)²))`` and ``b = m − a·tr(UΓ)`` (``lav_test_diff_Satorra2000``).

Validated against ``lavTestLRT`` in ``tests/test_sem_difference.py``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, stats

__all__ = ["chisq_difference_test"]


def chisq_difference_test(restricted, general) -> dict:
    """Difference test of two nested single-group fits of the same data and estimator.

    Parameters
    ----------
    restricted, general : SemResult
        The restricted (more df) and the general model, both from :func:`hpmob.sem.fit`.

    Returns
    -------
    dict
        ``{"Chisq diff", "Df diff", "Pr(>Chisq)", "method"}`` (lavaan's column names);
        ``"Chisq diff"`` is NaN when the Satorra–Bentler scaling factor is negative
        (lavaan's NA).

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> restricted = fit(m + "\\nvisual ~~ 0*speed", hs, estimator="MLR")
    >>> test = chisq_difference_test(restricted, fit(m, hs, estimator="MLR"))
    >>> round(test["Chisq diff"], 2), test["Df diff"], test["method"]
    (18.38, 1, 'satorra.bentler.2001')
    """
    if restricted.estimator != general.estimator:
        raise ValueError(
            f"Both fits need the same estimator ({restricted.estimator} vs {general.estimator}).")
    if restricted.n != general.n:
        raise ValueError(f"The two fits use different rows (n = {restricted.n} vs {general.n}).")
    f0, f1 = restricted.fit_measures, general.fit_measures
    T0, T1, r0, r1 = f0["chisq"], f1["chisq"], int(f0["df"]), int(f1["df"])
    m = r0 - r1
    if m <= 0:
        raise ValueError(
            f"The first model must be the restricted one (more df): df {r0} vs {r1}. Swap the arguments.")
    est = general.estimator
    if est == "ML":
        T, method = T0 - T1, "standard"
    elif est == "MLR":
        c0 = f0["chisq.scaling.factor"]
        c1 = f1["chisq.scaling.factor"] if r1 > 0 else 1.0
        cd = (r0 * c0 - r1 * c1) / m
        T = (T0 - T1) / cd if cd > 0 else math.nan
        method = "satorra.bentler.2001"
    elif est == "WLSMV":
        T, method = _satorra_2000(restricted.state, general.state, T0 - T1, m), "satorra.2000"
    else:  # pragma: no cover - fit() admits no other estimator
        raise ValueError(f"no difference test for estimator {est!r}")
    p = float(stats.chi2.sf(T, m)) if np.isfinite(T) else math.nan
    return {"Chisq diff": float(T), "Df diff": m, "Pr(>Chisq)": p, "method": method}


def _restrictions(s0, s1) -> np.ndarray:
    """A as lavaan's ``lav_test_diff_A(method = "delta")``.

    The rows span the orthogonal complement of ``H = Δ₁⁺Δ₀``, each Δ at its own model's
    estimates (so A is the delta-method approximation, not the exact restriction matrix).
    """
    H = np.linalg.pinv(s1.delta) @ s0.delta
    return linalg.null_space(H.T).T


def _satorra_2000(s0, s1, T_diff: float, m: int) -> float:
    A = _restrictions(s0, s1)
    P_inv = s1.e_inv
    APA = A @ P_inv @ A.T
    keep = ~((np.abs(APA.sum(axis=0)) < np.sqrt(np.finfo(float).eps))
             & (np.abs(APA.sum(axis=1)) < np.sqrt(np.finfo(float).eps)))
    A = A[keep]
    Q = P_inv @ A.T @ np.linalg.pinv(A @ P_inv @ A.T) @ A @ P_inv
    # tr(UΓ) and tr((UΓ)²) with U = WΔ Q ΔᵀW: the q × q form Q · ΔᵀWΓWΔ
    WD = s1.w[:, None] * s1.delta
    QB = Q @ (WD.T @ s1.stats.nacov @ WD)
    tr1, tr2 = float(np.trace(QB)), float(np.sum(QB * QB.T))
    a = math.sqrt(m / tr2)
    return a * T_diff + (m - a * tr1)
