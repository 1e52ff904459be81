"""Standardized solutions, ``std.lv`` and ``std.all``, as lavaan computes them (internal).

Shared by the single-group, multigroup and ordinal fits. Split out of :mod:`hpmob.sem.fit`
(issue #20).
"""

from __future__ import annotations

import math

import numpy as np

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []


def standardize(rows, est, lv, ov, V_all, ram):
    """std.lv and std.all as lavaan's ``lav_standardize_lv`` / ``lav_standardize_all``."""
    lv_set, ov_set = set(lv), set(ov)
    diag = np.diag(V_all)
    eta2 = {v: diag[ram.index[v]] for v in lv}
    eta = {v: math.sqrt(x) if x >= 0 else math.nan for v, x in eta2.items()}
    ov2 = {v: diag[ram.index[v]] for v in ov}
    ov2 = {v: (x if abs(x) >= np.finfo(float).eps else math.nan) for v, x in ov2.items()}
    osd = {v: math.sqrt(x) if x >= 0 else math.nan for v, x in ov2.items()}
    rv = {r.lhs: math.sqrt(abs(e)) for r, e in zip(rows, est) if r.op == "~~" and r.lhs == r.rhs}

    # lavaan's two steps apply the same rules: std.lv rescales by the latent variables'
    # SDs, std.all then also by the observed variables' SDs
    std_lv = _rescale(est, rows, lv_set, eta, eta2, rv)
    std_all = _rescale(std_lv, rows, ov_set, osd, ov2, rv)
    return std_lv, std_all


def _rescale(values, rows, scaled: set, sd: dict, var: dict, rv: dict) -> np.ndarray:
    """Divide each parameter by the SDs (variances) of the ``scaled`` variables it involves.

    A loading or regression coefficient is multiplied by its predictor's SD and divided
    by its outcome's; a variance is divided by the variance, a covariance by the two
    residual SDs ``rv``, an intercept by the SD.
    """
    out = np.array(values, dtype=float)
    for i, r in enumerate(rows):
        lhs, rhs = r.lhs in scaled, r.rhs in scaled
        if r.op == "=~":  # lhs is the factor (predictor), rhs the indicator
            if lhs:
                out[i] *= sd[r.lhs]
            if rhs:
                out[i] /= sd[r.rhs]
        elif r.op == "~":  # lhs is the outcome, rhs the predictor
            if lhs:
                out[i] /= sd[r.lhs]
            if rhs:
                out[i] *= sd[r.rhs]
        elif r.op == "~~":
            if r.lhs == r.rhs:
                if lhs:
                    out[i] /= var[r.lhs]
            else:
                if lhs:
                    out[i] /= rv[r.lhs]
                if rhs:
                    out[i] /= rv[r.rhs]
        elif r.op == "~1" and lhs:
            out[i] /= sd[r.lhs]
    return out
