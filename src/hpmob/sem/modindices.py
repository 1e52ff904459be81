"""Modification indices as lavaan's ``modindices()``.

semopy has no score tests. This follows lavaan 0.6-14 (``lav_modification.R``,
``lav_partable_full.R``): univariate score tests of every parameter that could
be added (or freed), from the *expected* information of the extended model
(Saris, Satorra & Sorbom 1987), with the expected parameter change (EPC) and
its standardized versions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .fit import SemResult
from .information import expected_information, ml_gradient
from .standardize import standardize
from .syntax import ParRow

__all__ = ["modification_indices"]


def _candidates(pm, rows) -> list[ParRow]:
    """Rows of lavaan's ``lav_partable_full`` (strict.exo = FALSE)."""
    ov, lv, ov_x = pm.ov, pm.lv, pm.ov_x
    ov_nox = [v for v in ov if v not in ov_x]
    ov_ind = list(dict.fromkeys(r.rhs for r in rows if r.op == "=~" and r.rhs not in lv))
    eqs = list(
        dict.fromkeys([r.lhs for r in rows if r.op == "~"] + [r.rhs for r in rows if r.op == "~"])
    )
    out: list[ParRow] = []
    for f in lv:
        for v in ov_nox:
            if v not in eqs:
                out.append(ParRow(f, "=~", v))
    other = {v for v in ov if v not in ov_ind}

    def lower(names):
        n = len(names)
        return [(names[c], names[r]) for c in range(n) for r in range(c, n)]

    for a, b in lower(ov_nox):
        if a in other or b in other:
            continue
        out.append(ParRow(a, "~~", b))
    for a, b in lower(ov_x):
        out.append(ParRow(a, "~~", b))
    for a, b in lower(lv):
        out.append(ParRow(a, "~~", b))
    for y in eqs:
        for x in eqs:
            if y == x or (y in ov_ind and x in lv):
                continue
            out.append(ParRow(y, "~", x))
    if pm.meanstructure:
        for v in ov + lv:
            out.append(ParRow(v, "~1", ""))
    return out


def modification_indices(result: SemResult, top: int | None = 10, *, minimum: float = 0.0) -> pd.DataFrame:
    """Modification indices, largest first, as ``modindices(fit, sort. = TRUE)``.

    Parameters
    ----------
    result : SemResult
        A fit from :func:`hpmob.sem.fit`.
    top : int or None
        Number of rows to return (None: all).
    minimum : float
        Drop rows with ``mi`` not above this value.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, mi, epc, sepc.lv, sepc.all``. ``mi`` is the
        expected drop in chi-square (1 df) if the parameter were freed, ``epc``
        the expected change of the parameter.

    Examples
    --------
    >>> from hpmob.sem import fit, modification_indices
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> modification_indices(fit(m, hs), top=3).round(3)
          lhs  op rhs      mi    epc  sepc.lv  sepc.all
    0  visual  =~  x9  36.411  0.577    0.519     0.515
    1      x7  ~~  x8  34.145  0.536    0.536     0.859
    2  visual  =~  x7  18.631 -0.422   -0.380    -0.349
    """
    if not isinstance(result, SemResult) or result.state is None:
        raise TypeError("`result` must be a SemResult returned by hpmob.sem.fit.")
    if result.missing != "listwise":
        raise NotImplementedError("Modification indices are not implemented for missing='ml' fits yet.")
    f = result.state
    pm, ram, rows, est = f.pm, f.ram, f.pm.rows, f.est
    free_of_row, groups = f.free_of_row, f.groups
    S, sigma, N = f.S, f.sigma, f.N
    ms = pm.meanstructure

    # extended table: model rows (fixed ones become candidates) + new rows
    have = set()
    for r in rows:
        have.add((r.lhs, r.op, r.rhs))
        if r.op == "~~":
            have.add((r.rhs, r.op, r.lhs))
    extra_rows: list[ParRow] = [r for r, k in zip(rows, free_of_row) if k < 0]
    for r in _candidates(pm, rows):
        if (r.lhs, r.op, r.rhs) not in have:
            extra_rows.append(r)
            have.add((r.lhs, r.op, r.rhs))
            if r.op == "~~":
                have.add((r.rhs, r.op, r.lhs))
    if not extra_rows:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all"])

    extra_groups = [[ram.position(r.lhs, r.op, r.rhs)] for r in extra_rows]
    dS, dmu = ram.derivatives(groups + extra_groups)
    q = len(groups)
    info = expected_information(sigma, dS, dmu if ms else None)
    I22_inv = np.linalg.inv(info[:q, :q])
    I11 = info[q:, q:]
    I12 = info[q:, :q]
    V = np.diag(I11) - np.einsum("ij,jk,ik->i", I12, I22_inv, I12)
    V[V < np.finfo(float).eps ** (1 / 3)] = np.nan
    # unit gradient of lavaan's fmin = F_ML / 2; the mean part vanishes at saturated means
    score = 0.5 * ml_gradient(sigma, S, dS[q:])
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = N * score**2 / V
        d = -N * score
        d[np.abs(d) < 1e-15] = 1.0
        epc = mi / d

    # standardized EPC: variances carry their estimates (cov.std = TRUE)
    all_rows = list(rows) + extra_rows
    epc_all = np.concatenate([est, epc])
    is_extra = np.r_[np.zeros(len(rows), bool), np.ones(len(extra_rows), bool)]
    EPC = epc_all.copy()
    for i, r in enumerate(all_rows):
        if r.op == "~~" and r.lhs == r.rhs and not r.exo:
            EPC[i] = est[i] if i < len(rows) else epc_all[i]
    # for new variance rows (none in practice) lavaan also uses est, which is 0 there
    small = np.array(
        [r.op == "~~" and r.lhs == r.rhs and abs(EPC[i]) < math.sqrt(np.finfo(float).eps) for i, r in enumerate(all_rows)]
    )
    EPC[small] = np.nan
    sign = np.sign(epc_all)
    _, V_all, _ = ram.solve()
    s_lv, s_all = standardize(all_rows, np.abs(EPC), pm.lv, pm.ov, V_all, ram)
    s_lv, s_all = sign * s_lv, sign * s_all
    s_lv[small], s_all[small] = 0.0, 0.0

    out = pd.DataFrame(
        {
            "lhs": [r.lhs for r in extra_rows],
            "op": [r.op for r in extra_rows],
            "rhs": [r.rhs for r in extra_rows],
            "mi": mi,
            "epc": epc,
            "sepc.lv": s_lv[is_extra],
            "sepc.all": s_all[is_extra],
        }
    )
    out = out.sort_values("mi", ascending=False, kind="stable", na_position="last")
    if minimum > 0:
        out = out[out["mi"] > minimum]
    if top is not None:
        out = out.iloc[:top]
    out = out[out["mi"].notna()]
    return out.reset_index(drop=True)
