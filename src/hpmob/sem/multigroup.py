"""Multigroup SEM with cross-group equality constraints, as lavaan fits it.

semopy cannot fit several groups with parameters constrained equal across
them (``group.equal`` in lavaan), so this module is hand-written with numpy
and scipy: the lavaan parameter table of each group is built from
:func:`hpmob.sem.syntax.parse_model`, equal parameters share one free
parameter (lavaan's equality constraints by reparametrisation), and the
multigroup normal-theory ML discrepancy is minimised by Fisher scoring and then
BFGS, with analytic derivatives of the RAM moments (``Sigma = F C P C' F'``,
``mu = F C m``, ``C = (I - A)^-1``), to a gradient below 1e-10 (lavaan's
nlminb stops earlier; see the tests).

Everything follows lavaan 0.6-14 (``lav_partable_flat``,
``lav_partable_labels``, ``lav_fit_*``) and is checked against
``tests/reference/lavaan_hs_invariance.json`` in ``tests/test_sem_multigroup.py``.

lavaan conventions reproduced here
----------------------------------
* Mean structure always (lavaan's multigroup default): observed intercepts
  free, latent means 0 -- except that when ``"intercepts"`` is in
  ``group_equal`` (and ``"means"`` is not) the latent means are free in
  groups 2..G (group 1 is the reference at 0).
* First loading of each factor fixed to 1 in every group; residual and latent
  (co)variances free per group.
* ``F = sum_g (N_g / N) F_g``, ``F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) -
  log|S_g| - p + (ybar_g - mu_g)' Sigma_g^-1 (ybar_g - mu_g)`` with the
  N_g-divisor ``S_g``; ``chisq = N F`` (lavaan's ``fmin`` is ``F / 2``).
* RMSEA and its interval are multiplied by ``sqrt(G)``, the close-fit
  non-centrality divided by ``G`` (Dudgeon 2004; ``lav_fit_rmsea``); SRMR is
  the N_g-weighted mean of the groups' Bentler SRMR with means.
* Standard errors from the expected information ``sum_g (N_g/N) Delta_g' W_g
  Delta_g`` (unit information; ``vcov = info^-1 / N``).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from . import measures
from .blas import one_blas_thread as _one_blas_thread
from .fiml import Patterns, baseline_minus2_loglik, casewise_scores, em_h1, minus2_loglik, normalise_missing
from .fiml import baseline_trace as fiml_baseline_trace
from .fiml import h1_trace as fiml_h1_trace
from .fit import RMSEA_CI_LEVEL, RMSEA_CLOSE_H0, _safe_inv, _standardize
from .information import numeric_hessian, sandwich, yuan_bentler_mplus
from .structure import Ram
from .syntax import ParRow, ParsedModel, parse_model, suggest

__all__ = ["fit_multigroup", "MultigroupResult", "GROUP_EQUAL", "chisq_difference"]

#: Parameter sets that ``group_equal`` can constrain equal across groups (lavaan's names).
GROUP_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)

ESTIMATE_COLUMNS = [
    "lhs", "op", "rhs", "group", "group_label", "label", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.lv", "std.all",
]  # fmt: skip

_WS = re.compile(r"\s+")


# ------------------------------------------------------------------------ result


@dataclass(frozen=True, eq=False)
class MultigroupResult:
    """Result of :func:`fit_multigroup`, laid out like lavaan's output.

    Parameters
    ----------
    estimates : pandas.DataFrame
        ``parameterEstimates(fit, standardized = TRUE)``: one row per parameter
        and group in lavaan's order (all rows of group 1, then group 2, ...),
        columns ``lhs, op, rhs, group, group_label, label, est, se, z, pvalue,
        ci.lower, ci.upper, std.lv, std.all``. ``group`` is lavaan's 1-based
        group number; parameters constrained equal across groups carry lavaan's
        label (``.p2.`` etc.).
    fit_measures : pandas.Series
        ``fitMeasures(fit)`` subset with lavaan's names.
    group_fit : pandas.DataFrame
        Per group: ``group, group_label, n, chisq`` (the group's contribution
        ``N_g F_g``, as lavaan's summary prints it), ``srmr``, ``logl``.
    r2 : pandas.DataFrame
        ``inspect(fit, "r2")`` per group (rows: groups, columns: variables).
    implied, sample : dict
        ``{group_label: {"cov": DataFrame, "mean": Series}}``; sample moments
        use the N_g divisor.
    n : int
        Total number of complete rows used.
    n_by_group : pandas.Series
        Complete rows per group (index: group labels).
    group, group_labels, group_equal, group_partial
        The grouping variable, the group labels in lavaan's order, and the
        constraints as given (normalised).
    estimator : str
        ``"ML"``.
    vcov : pandas.DataFrame
        Covariance of the free parameters (equal parameters counted once).
    converged : bool
        Whether the optimizer reached a stationary point.
    model : str
        The model syntax.
    missing : str
        ``"listwise"`` or ``"ml"`` (FIML).
    n_patterns : pandas.Series
        Number of missing-data patterns per group (1 with listwise deletion).
    convergence : str
        Empty when converged, else why not (e.g. the final gradient).
    improper : tuple of str
        Heywood cases and non-positive-definite latent covariance matrices, one
        sentence each; empty for a proper solution.
    se : str
        ``"standard"``, or ``"none"`` when the fit skipped the standard errors
        (lavaan's ``se = "none"``: ``se``, ``z``, ``pvalue``, the intervals and
        ``vcov`` are NaN; estimates and fit measures are unaffected).
    _state : object, optional
        The engine's fitted state, which the score tests, latent mean differences and the
        bootstrap read.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> res.group_labels, res.n_by_group.tolist(), res.group_equal
    (('Pasteur', 'Grant-White'), [156, 145], ('loadings',))
    >>> res.group_fit[["group_label", "n"]]
       group_label    n
    0      Pasteur  156
    1  Grant-White  145
    """

    estimates: pd.DataFrame
    fit_measures: pd.Series
    group_fit: pd.DataFrame
    r2: pd.DataFrame
    implied: dict
    sample: dict
    n: int
    n_by_group: pd.Series
    group: str
    group_labels: tuple
    group_equal: tuple
    group_partial: tuple
    estimator: str
    vcov: pd.DataFrame
    converged: bool
    model: str
    _state: Any = field(default=None, repr=False)
    missing: str = "listwise"
    n_patterns: pd.Series | None = None
    convergence: str = ""
    improper: tuple = ()
    se: str = "standard"

    def __repr__(self) -> str:
        fm = self.fit_measures
        eq = ", ".join(self.group_equal) or "none"
        return (
            f"MultigroupResult(group={self.group!r}, groups={len(self.group_labels)}, n={self.n}, "
            f"group_equal=[{eq}], npar={int(fm['npar'])}, chisq={fm['chisq']:.3f}, df={int(fm['df'])}, "
            f"cfi={fm['cfi']:.3f}, rmsea={fm['rmsea']:.3f}, srmr={fm['srmr']:.3f})"
        )


# -------------------------------------------------------------- parameter table


@dataclass
class _Entry:
    """One row of the multigroup parameter table."""

    g: int  # 0-based group
    row: ParRow
    key: str  # lavaan's default label without group suffix, e.g. "visual=~x2", "x3~1"
    label: str  # lavaan's LABEL (equal labels = equal parameters)
    free: bool
    value: float  # fixed value (when not free) / start value
    pos: tuple  # RAM position (kind, i, j)
    plabel: str = ""
    theta: int = -1  # index into the free parameter vector (-1: fixed)
    x: int = -1  # index into lavaan's unconstrained vector (one per free row)
    out_label: str = ""  # label shown in the estimates table


def _key(r: ParRow) -> str:
    return f"{r.lhs}{r.op}{r.rhs}"


def param_set(r: ParRow, pm: ParsedModel) -> str | None:
    """The ``group_equal`` set a parameter belongs to (``lav_partable_labels``), or None."""
    if r.op == "=~":
        return "loadings"
    if r.op == "~":
        return "regressions"
    if r.op == "~1":
        if r.lhs in pm.lv:
            return "means"
        return "intercepts" if r.lhs in pm.ov_nox else None
    if r.op == "~~":
        if r.lhs in pm.ov_nox:
            return "residuals" if r.lhs == r.rhs else "residual.covariances"
        if r.lhs in pm.lv:
            return "lv.variances" if r.lhs == r.rhs else "lv.covariances"
    return None


def _normalise_partial(items, pm: ParsedModel) -> tuple[str, ...]:
    if isinstance(items, str):
        items = (items,)
    keys = {_key(r) for r in pm.rows}
    out = []
    for it in items:
        if not isinstance(it, str):
            raise TypeError(f"group_partial entries must be strings like 'x3~1', not {it!r}.")
        k = _WS.sub("", it)
        if k not in keys and "~~" in k:
            a, b = k.split("~~", 1)
            if f"{b}~~{a}" in keys:
                k = f"{b}~~{a}"
        if k not in keys:
            raise ValueError(
                f"The group_partial entry {it!r} names no parameter of the model. Write it as lavaan "
                "does, e.g. 'x3~1' (an intercept), 'visual=~x2' (a loading), 'x1~~x1' (a residual "
                f"variance).{suggest(k, sorted(keys))}"
            )
        out.append(k)
    return tuple(dict.fromkeys(out))


def _build_table(pm: ParsedModel, G: int, group_equal: tuple, partial: tuple) -> list[_Entry]:
    """lavaan's multigroup parameter table with LABELs (``lav_partable_labels``)."""
    ram = Ram(pm.ov, pm.lv)
    lv = set(pm.lv)
    free_lv_means = "intercepts" in group_equal and "means" not in group_equal
    entries: list[_Entry] = []
    for g in range(G):
        for r in pm.rows:
            rr = ParRow(**vars(r))
            if g > 0 and free_lv_means and rr.op == "~1" and rr.lhs in lv and not rr.user:
                rr.free, rr.ustart = True, math.nan
            key = _key(rr)
            entries.append(
                _Entry(
                    g=g,
                    row=rr,
                    key=key,
                    label=key if g == 0 else f"{key}.g{g + 1}",
                    free=rr.free,
                    value=rr.ustart,
                    pos=ram.position(rr.lhs, rr.op, rr.rhs),
                )
            )
    for i, e in enumerate(entries):
        e.plabel = f".p{i + 1}."

    if G > 1 and group_equal:
        ref = {e.key: e.label for e in entries
               if e.g == 0 and param_set(e.row, pm) in group_equal and e.key not in partial}  # fmt: skip
        for e in entries:
            if e.g > 0 and e.key in ref:
                e.label = ref[e.key]
    for e in entries:  # user labels override everything (and are shared by all groups)
        if e.row.label:
            e.label = e.row.label

    # equality sets: all free -> one parameter; any fixed -> all fixed at the first fixed value
    by_label: dict[str, list[_Entry]] = {}
    for e in entries:
        by_label.setdefault(e.label, []).append(e)
    for members in by_label.values():
        if len(members) > 1 and not all(m.free for m in members):
            fixed = next(m for m in members if not m.free)
            for m in members:
                m.free, m.value = False, fixed.value
    n_theta, n_x = 0, 0
    seen: dict[str, int] = {}
    for e in entries:
        if not e.free:
            continue
        e.x = n_x
        n_x += 1
        if e.label not in seen:
            seen[e.label] = n_theta
            n_theta += 1
        e.theta = seen[e.label]
        members = by_label[e.label]
        if e.row.label:
            e.out_label = e.row.label
        elif len(members) > 1:
            e.out_label = members[0].plabel
    return entries


# ------------------------------------------------------------------- one group


class _Block:
    """Implied moments, discrepancy and derivatives of one group."""

    def __init__(self, pm: ParsedModel, entries: list[_Entry], X: np.ndarray, fiml: bool = False,
                 h1: bool = True):  # fmt: skip
        self.ov, self.lv = pm.ov, pm.lv
        self.p = len(pm.ov)
        self.nv = self.p + len(pm.lv)
        self.patterns = None
        if fiml and not h1:
            # estimates only (bootstrap refits from a warm start): no EM; F is -2 log L / N, and
            # the available-case moments serve only the starting values
            self.patterns = Patterns(X)
            self.N = self.patterns.n
            self.ybar, var = self.patterns.available_moments()
            self.S = np.diag(var)
            self.m2ll_h1, self.em_converged = 0.0, True
        elif fiml:
            # incomplete rows: the EM (h1) moments play the part of the sample moments
            self.patterns = Patterns(X)
            self.N = self.patterns.n
            self.ybar, self.S, self.m2ll_h1, _, self.em_converged = em_h1(self.patterns)
        else:
            self.N = X.shape[0]
            self.ybar = X.mean(axis=0)
            Yc = X - self.ybar
            self.S = Yc.T @ Yc / self.N
        self.logdet_S = np.linalg.slogdet(self.S)[1]
        self.entries = entries
        nv = self.nv
        self.A0, self.P0, self.m0 = np.zeros((nv, nv)), np.zeros((nv, nv)), np.zeros(nv)
        free = [e for e in entries if e.free]
        for e in entries:
            if not e.free:
                kind, i, j = e.pos
                if kind == "A":
                    self.A0[i, j] = e.value
                elif kind == "P":
                    self.P0[i, j] = self.P0[j, i] = e.value
                else:
                    self.m0[i] = e.value
        self.free = free
        self.x_idx = np.array([e.x for e in free], dtype=int)
        self.theta_idx = np.array([e.theta for e in free], dtype=int)
        kinds = np.array([e.pos[0] for e in free])
        ii = np.array([e.pos[1] for e in free], dtype=int)
        jj = np.array([e.pos[2] for e in free], dtype=int)
        self.kA, self.kP, self.km = (np.flatnonzero(kinds == k) for k in ("A", "P", "m"))
        self.Ai, self.Aj = ii[self.kA], jj[self.kA]
        self.Pi, self.Pj = ii[self.kP], jj[self.kP]
        self.mi = ii[self.km]
        self.P_off = (self.Pi != self.Pj).astype(float)
        self.k = len(free)
        self.unique_theta = len(set(self.theta_idx.tolist())) == self.k

    # moments ---------------------------------------------------------
    def set(self, theta: np.ndarray) -> None:
        A, P, m = self.A0.copy(), self.P0.copy(), self.m0.copy()
        A[self.Ai, self.Aj] = theta[self.theta_idx[self.kA]]
        vals = theta[self.theta_idx[self.kP]]
        P[self.Pi, self.Pj] = vals
        P[self.Pj, self.Pi] = vals
        m[self.mi] = theta[self.theta_idx[self.km]]
        self.A, self.P, self.m = A, P, m
        self.C = np.linalg.inv(np.eye(self.nv) - A)
        self.V = self.C @ P @ self.C.T
        self.mu_all = self.C @ m
        p = self.p
        self.sigma = self.V[:p, :p]
        self.mu = self.mu_all[:p]

    def discrepancy(self) -> float:
        """F_g (with the mean part); inf when Sigma is not positive definite.

        With incomplete data (FIML) ``F_g = (-2 log L_g + 2 log L_h1,g) / N_g``, so that
        ``N_g F_g`` is again the group's chi-square contribution.
        """
        if self.patterns is not None:
            # only the patterns' blocks must be positive definite (as lavaan)
            m2ll, Q, r = minus2_loglik(self.sigma, self.mu, self.patterns, gradient=True)
            if not np.isfinite(m2ll):
                return math.inf
            self.fiml_Q, self.fiml_r = Q / self.N, r / self.N
            self.m2ll = m2ll
            return float((m2ll - self.m2ll_h1) / self.N)
        try:
            L = np.linalg.cholesky(self.sigma)
        except np.linalg.LinAlgError:
            return math.inf
        self.si = linalg.cho_solve((L, True), np.eye(self.p))
        d = self.ybar - self.mu
        self.d = d
        logdet = 2 * np.sum(np.log(np.diag(L)))
        return float(logdet + np.sum(self.S * self.si) - self.logdet_S - self.p + d @ self.si @ d)

    def gradient(self) -> np.ndarray:
        """dF_g / d(free entries), from the matrix derivatives (after discrepancy())."""
        p = self.p
        if self.patterns is not None:
            Q, sid = self.fiml_Q, self.fiml_r
        else:
            si, d = self.si, self.d
            sid = si @ d
            Q = si - si @ (self.S + np.outer(d, d)) @ si
        Cp = self.C[:p, :]
        Gm = -2 * Cp.T @ sid
        Qt = Cp.T @ Q  # (nv, p)
        GP = Qt @ Cp  # C' F' Q F C
        GA = 2 * (Qt @ self.V[:p, :]) + np.outer(Gm, self.mu_all)  # 2 C'F'QF V + mean part
        out = np.empty(self.k)
        out[self.kA] = GA[self.Ai, self.Aj]
        out[self.kP] = GP[self.Pi, self.Pj] * (1 + self.P_off)
        out[self.km] = Gm[self.mi]
        return out

    def information(self) -> np.ndarray:
        """Unit expected information of the free entries (expected Hessian of F_g / 2).

        Every dSigma/d(entry) has the form ``u w' + w u'`` (a loading or regression
        ``A_ij``: ``u = C_.i``, ``w = V_j.``; a (co)variance ``P_ij``: ``u = C_.i``,
        ``w = C_.j``, each scaled by 1/sqrt(2) on the diagonal), so
        ``0.5 tr(Si dS_k Si dS_l) = (U Si U')_kl (W Si W')_kl + (U Si W')_kl (U Si W')_lk``;
        this avoids forming the p x p derivative matrices.
        """
        p, k = self.p, self.k
        Cp = self.C[:p, :]
        U = np.zeros((k, p))
        W = np.zeros((k, p))
        dmu = np.zeros((k, p))
        if self.kA.size:
            U[self.kA] = Cp[:, self.Ai].T
            W[self.kA] = self.V[self.Aj, :p]
            dmu[self.kA] = (Cp[:, self.Ai] * self.mu_all[self.Aj]).T
        if self.kP.size:
            scale = np.where(self.P_off > 0, 1.0, math.sqrt(0.5))[:, None]
            U[self.kP] = Cp[:, self.Pi].T * scale
            W[self.kP] = Cp[:, self.Pj].T * scale
        if self.km.size:
            dmu[self.km] = Cp[:, self.mi].T
        # with incomplete data the complete-data information at Sigma serves as the scoring
        # matrix (the exact FIML expected information, a sum over patterns, cost 20x more per
        # call and saved no iteration)
        if self.patterns is None:
            si = self.si
        else:
            last = self.patterns.last_inverse
            si = last[1] if last is not None and last[0] is self.sigma else _inverse(self.sigma)
        Usi, Wsi = U @ si, W @ si
        UW = Usi @ W.T
        info = (Usi @ U.T) * (Wsi @ W.T) + UW * UW.T + (dmu @ si) @ dmu.T
        return (info + info.T) / 2


# --------------------------------------------------------------------- model


class _Model:
    """All groups; the free parameter vector theta is shared through equal labels."""

    def __init__(self, pm: ParsedModel, entries: list[_Entry], Xs: list[np.ndarray], fiml: bool = False,
                 h1: bool = True):  # fmt: skip
        self.pm = pm
        self.entries = entries
        G = len(Xs)
        self.blocks = [_Block(pm, [e for e in entries if e.g == g], X, fiml, h1) for g, X in enumerate(Xs)]
        self.Ng = np.array([b.N for b in self.blocks], dtype=float)
        self.N = float(self.Ng.sum())
        self.w = self.Ng / self.N
        self.q = 1 + max((e.theta for e in entries), default=-1)
        self.nx = 1 + max((e.x for e in entries), default=-1)
        self.G = G

    def objective(self, theta) -> float:
        f = 0.0
        for b, w in zip(self.blocks, self.w):
            b.set(theta)
            fg = b.discrepancy()
            if not np.isfinite(fg):
                return math.inf
            f += w * fg
        return f

    def gradient(self, theta) -> np.ndarray:
        """Gradient of F (call objective(theta) first)."""
        g = np.zeros(self.q)
        for b, w in zip(self.blocks, self.w):
            np.add.at(g, b.theta_idx, w * b.gradient())
        return g

    def information(self) -> np.ndarray:
        """Unit expected information for theta (expected Hessian of F / 2)."""
        info = np.zeros((self.q, self.q))
        for b, w in zip(self.blocks, self.w):
            ti = b.theta_idx
            if b.unique_theta:
                info[np.ix_(ti, ti)] += w * b.information()
            else:  # labels tie entries within the group
                np.add.at(info, (ti[:, None], ti[None, :]), w * b.information())
        return info

    def fun_and_grad(self, theta):
        f = self.objective(theta)
        if not np.isfinite(f):
            return 1e10, np.zeros(self.q)
        return f, self.gradient(theta)

    # unconstrained (lavaan "x") space, for score tests -------------------
    def x_gradient(self) -> np.ndarray:
        """Gradient of F for every free row separately (at the current theta)."""
        g = np.zeros(self.nx)
        for b, w in zip(self.blocks, self.w):
            g[b.x_idx] = w * b.gradient()
        return g

    def x_information(self) -> np.ndarray:
        info = np.zeros((self.nx, self.nx))
        for b, w in zip(self.blocks, self.w):
            info[np.ix_(b.x_idx, b.x_idx)] = w * b.information()
        return info


# ------------------------------------------------------------------- starts


def _starts(model: _Model, fabin: bool = False) -> np.ndarray:
    """Per-group starting values (marker-scaled moment estimates), averaged over equal parameters.

    ``fabin=True``: loadings by Hagglund's (1982) FABIN 3 instrumental-variable estimator
    (lavaan's default start, ``lav_cfa_fabin3``), which regresses each indicator on the
    marker with the factor's other indicators as instruments. Unlike the ratio of mean
    covariances it keeps the sign when the indicators load with mixed signs (reverse-keyed
    items, a negatively worded marker), where averaging positive and negative covariances
    can give a start near zero or of the wrong sign.
    """
    pm = model.pm
    ix = {v: i for i, v in enumerate(pm.ov)}
    where = {id(e): i for i, e in enumerate(model.entries)}
    vals = np.zeros(len(model.entries))
    for b in model.blocks:
        S, ybar = b.S, b.ybar
        lam: dict[tuple[str, str], float] = {}
        psi: dict[str, float] = {}
        for f in pm.lv:
            loads = [e for e in b.entries if e.row.op == "=~" and e.row.lhs == f and e.row.rhs in ix]
            if not loads:
                psi[f] = 0.05
                continue
            ind = [ix[e.row.rhs] for e in loads]
            marker = next((e for e in loads if not e.free), loads[0])
            m = ix[marker.row.rhs]
            lm = marker.value if not marker.free else 1.0
            lam[(f, marker.row.rhs)] = lm
            for e in loads:
                if e is marker:
                    continue
                j = ix[e.row.rhs]
                others = [k for k in ind if k not in (j, m)]
                val = 1.0
                if others and fabin:
                    W = _inverse(S[np.ix_(others, others)])
                    num, den = S[j, others] @ W @ S[others, m], S[m, others] @ W @ S[others, m]
                    if abs(den) > 1e-8 * S[m, m]:
                        val = lm * num / den
                elif others:
                    num, den = np.mean(S[j, others]), np.mean(S[m, others])
                    if abs(den) > 1e-8 * S[m, m]:
                        val = lm * num / den
                if not e.free:
                    val = e.value
                lam[(f, e.row.rhs)] = float(np.clip(val, -10 * abs(lm) - 1, 10 * abs(lm) + 1))
            cov_m = [S[m, ix[e.row.rhs]] / (lm * lam[(f, e.row.rhs)]) for e in loads
                     if e is not marker and abs(lam[(f, e.row.rhs)]) > 1e-3]  # fmt: skip
            v = float(np.mean(cov_m)) if cov_m else 0.5 * S[m, m] / lm**2
            psi[f] = float(np.clip(v, 0.05 * S[m, m] / lm**2, S[m, m] / lm**2))
        for e in b.entries:
            r = e.row
            if r.op == "=~":
                val = lam.get((r.lhs, r.rhs), 1.0)
            elif r.op == "~~" and r.lhs == r.rhs:
                if r.lhs in ix:
                    j = ix[r.lhs]
                    load = sum(lam.get((f, r.lhs), 0.0) ** 2 * psi[f] for f in pm.lv)
                    val = max(S[j, j] - load, 0.2 * S[j, j])
                else:
                    val = psi[r.lhs]
            elif r.op == "~~":
                if r.lhs in psi and r.rhs in psi:
                    fa = [(ix[x], l_) for (f, x), l_ in lam.items() if f == r.lhs]
                    fb = [(ix[x], l_) for (f, x), l_ in lam.items() if f == r.rhs]
                    cs = [S[i, j] / (li * lj) for i, li in fa for j, lj in fb
                          if i != j and abs(li * lj) > 1e-3]  # fmt: skip
                    c = float(np.mean(cs)) if cs else 0.0
                    lim = 0.8 * math.sqrt(psi[r.lhs] * psi[r.rhs])
                    val = float(np.clip(c, -lim, lim))
                else:
                    val = 0.0
            elif r.op == "~1":
                val = ybar[ix[r.lhs]] if r.lhs in ix else 0.0
            else:
                val = 0.0
            vals[where[id(e)]] = val if e.free else e.value
    theta = np.zeros(model.q)
    wsum = np.zeros(model.q)
    for i, e in enumerate(model.entries):
        if e.theta >= 0:
            w = model.Ng[e.g]
            theta[e.theta] += w * vals[i]
            wsum[e.theta] += w
    theta /= np.where(wsum > 0, wsum, 1)
    # free latent means: shift so that the (common) intercepts reproduce the group means
    for b in model.blocks:
        for e in b.free:
            r = e.row
            if r.op == "~1" and r.lhs in pm.lv:
                diffs = []
                for le in b.entries:
                    if le.row.op == "=~" and le.row.lhs == r.lhs and le.row.rhs in ix:
                        lv_ = theta[le.theta] if le.free else le.value
                        ie = next(x for x in b.entries if x.row.op == "~1" and x.row.lhs == le.row.rhs)
                        nu = theta[ie.theta] if ie.free else ie.value
                        if abs(lv_) > 1e-3:
                            diffs.append((b.ybar[ix[le.row.rhs]] - nu) / lv_)
                if diffs:
                    theta[e.theta] = float(np.mean(diffs))
    return theta


# ------------------------------------------------------------------ estimation


def _line_search(model: _Model, theta, f, g, step):
    """Backtracking (Armijo) along ``step``; returns (t, f_new) or (0, f) on failure."""
    slope = float(g @ step)
    t = 1.0
    while t > 1e-12:
        f_new = model.objective(theta + t * step)
        if np.isfinite(f_new) and f_new <= f + 1e-4 * t * slope + 1e-15 * abs(f):
            return t, f_new
        t /= 2
    return 0.0, f


def _optimize(model: _Model, theta: np.ndarray, *, max_iter: int = 2000, n_fisher: int = 8,
              gtol: float = 1e-10):  # fmt: skip
    """Minimise F: Fisher scoring first, then BFGS started from the Fisher information.

    Fisher scoring alone converges only linearly when the model misfits (the expected
    information then differs from the Hessian), so after a few scoring steps the
    inverse Hessian is refined by BFGS updates, starting from the scoring matrix.
    Returns (theta, f, converged).
    """
    f = model.objective(theta)
    if not np.isfinite(f):
        return theta, f, False
    g = model.gradient(theta)
    H, fresh = None, False
    for it in range(max_iter):
        if np.max(np.abs(g)) < gtol:
            break
        if H is None or it < n_fisher:
            H, fresh = _inverse(2 * model.information()), True
        step = -H @ g
        if not (np.all(np.isfinite(step)) and float(g @ step) < 0):
            # the quasi-Newton matrix lost positive definiteness: steepest descent this once
            step, H, fresh = -g / max(1.0, float(np.max(np.abs(g)))), None, False
        t, f_new = _line_search(model, theta, f, g, step)
        if t == 0.0:
            model.objective(theta)
            if fresh or H is None:
                break  # no descent even from the Fisher information: stationary to precision
            H = None  # retry from the Fisher information
            continue
        s = t * step
        theta = theta + s
        f_old, f = f, f_new
        g_new = model.gradient(theta)
        y, g = g_new - g, g_new
        fresh = False
        if H is not None and it >= n_fisher - 1:
            sy = float(s @ y)
            if sy > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):  # BFGS update of the inverse
                rho = 1.0 / sy
                Hy = H @ y
                H += (rho * rho * float(y @ Hy) + rho) * np.outer(s, s)
                H -= rho * (np.outer(Hy, s) + np.outer(s, Hy))
        if np.max(np.abs(s)) < 1e-13 * (1 + np.max(np.abs(theta))) and abs(f_old - f) <= 1e-15 * (1 + f):
            break
    model.objective(theta)
    g = model.gradient(theta)
    return theta, f, bool(np.isfinite(f) and np.max(np.abs(g)) < 1e-6)


def _inverse(M: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(M)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(M)


def _admissible_starts(model: _Model, fabin: bool, theta0: np.ndarray | None = None) -> np.ndarray | None:
    if theta0 is None:
        theta0 = _starts(model, fabin=fabin)
    if not np.isfinite(model.objective(theta0)):
        theta0 = _safe_starts(model, theta0)
    return theta0 if np.isfinite(model.objective(theta0)) else None


def _improper(model: _Model, theta: np.ndarray) -> bool:
    """A negative variance or a non-positive-definite latent covariance matrix in some group."""
    model.objective(theta)
    p = model.blocks[0].p
    for b in model.blocks:
        if np.any(np.diag(b.P) < 0):
            return True
        if b.nv > p and np.linalg.eigvalsh(b.V[p:, p:])[0] <= 0:
            return True
    return False


def _estimate(model: _Model) -> tuple[np.ndarray, bool, str]:
    """Minimise F from the moment starts; if that fails, or ends improper, again from FABIN 3 starts.

    The second run is the fallback, not the default, so that fits that converge keep their
    (bitwise) results; of the two solutions the converged one, then the lower minimum, wins.
    """
    # when the two estimators disagree on the sign of a loading the moment starts are the
    # unreliable ones (mixed-sign indicators): start from FABIN 3 and keep the other as fallback
    loading = np.array([e.theta for e in model.entries if e.theta >= 0 and e.row.op == "=~"], dtype=int)
    starts = {False: _starts(model), True: _starts(model, fabin=True)}  # each computed once
    first = not np.array_equal(np.sign(starts[False][loading]), np.sign(starts[True][loading]))
    theta0 = _admissible_starts(model, first, starts[first].copy())
    if theta0 is None:
        first = not first
        theta0 = _admissible_starts(model, first, starts[first].copy())
    if theta0 is None:
        raise RuntimeError(
            "No admissible starting values: the implied covariance matrix is not positive definite "
            "even with diagonal starts. Check fixed values in the model (e.g. '0*x1', '1*f')."
        )
    theta, f, ok = _optimize(model, theta0)
    if not ok or _improper(model, theta):
        alt0 = _admissible_starts(model, not first, starts[not first].copy())
        if alt0 is not None:
            alt, f_alt, ok_alt = _optimize(model, alt0)
            better = f_alt < f - 1e-10 * (1 + abs(f)) if np.isfinite(f) else np.isfinite(f_alt)
            if (ok_alt and not ok) or (ok_alt == ok and better):
                theta, f, ok = alt, f_alt, ok_alt
    model.objective(theta)
    reason = ""
    if not ok:
        if not np.isfinite(f):
            reason = "the objective is not finite at the solution"
        else:
            model.objective(theta)
            gmax = float(np.max(np.abs(model.gradient(theta))))
            reason = f"largest gradient element {gmax:.2g} at the end, above the tolerance 1e-06"
    return theta, ok, reason


def _observed_information(model: _Model, theta: np.ndarray) -> np.ndarray:
    """Unit observed information (Hessian of F / 2), numerically from the analytic gradient.

    lavaan's default under ``missing = "ml"`` (``information = "observed"``,
    ``observed.information = "hessian"``; lavaan's ``lav_model_hessian`` extrapolates four
    gradients per parameter, two are enough at the tolerance of the comparison).
    """

    def grad(t):
        model.objective(t)
        return model.gradient(t)

    H = 0.5 * numeric_hessian(grad, theta, h=1e-5, richardson=False)
    model.objective(theta)
    return H


def _safe_starts(model: _Model, theta: np.ndarray) -> np.ndarray:
    """Starts whose implied covariance is positive definite whatever the data: no covariances or
    regressions, latent variances 0.05, residual variances half the observed variances."""
    theta = theta.copy()
    ix = {v: i for i, v in enumerate(model.pm.ov)}
    S = sum(w * b.S for b, w in zip(model.blocks, model.w))
    for e in model.entries:
        if e.theta < 0:
            continue
        r = e.row
        if r.op == "~":
            theta[e.theta] = 0.0
        elif r.op == "~~":
            if r.lhs != r.rhs:
                theta[e.theta] = 0.0
            else:
                theta[e.theta] = 0.5 * S[ix[r.lhs], ix[r.lhs]] if r.lhs in ix else 0.05
    return theta


# ----------------------------------------------------------------------- data


def _group_labels(series: pd.Series, group_order) -> list:
    present = series.dropna()
    if group_order is not None:
        order = list(group_order)
        values = set(present.unique())
        absent = [g for g in order if g not in values]
        if absent:
            raise ValueError(
                f"group_order names group(s) {', '.join(map(repr, absent))} that do not occur in the "
                f"group column (values: {', '.join(map(repr, sorted(map(str, values))))})."
            )
        if len(set(order)) != len(order):
            raise ValueError("group_order lists a group twice.")
        return order
    # lavaan: group.label = unique(as.character(data[[group]])), the order of first appearance
    return list(pd.unique(present))


def _prepare(data: pd.DataFrame, pm: ParsedModel, group: str, group_order, fiml: bool = False):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}.")
    cols = list(data.columns)
    if not isinstance(group, str) or group not in cols:
        raise ValueError(
            f"The group column {group!r} is not a column of `data`.{suggest(str(group), cols)}"
        )
    if group in pm.ov or group in pm.lv:
        raise ValueError(f"The group column {group!r} is also a variable of the model.")
    missing = [v for v in pm.ov if v not in cols]
    if missing:
        raise ValueError(
            f"The model uses variable(s) {', '.join(map(repr, missing))} that are not columns of "
            f"`data`.{''.join(suggest(v, cols) for v in missing[:3])} Latent variables must appear "
            "on the left of '=~'."
        )
    clash = [v for v in pm.lv if v in cols]
    if clash:
        raise ValueError(
            f"Latent variable name(s) {', '.join(map(repr, clash))} are also columns of `data`; "
            "rename the latent variable(s)."
        )
    is_num, is_cplx = pd.api.types.is_numeric_dtype, pd.api.types.is_complex_dtype
    bad = [f"{v!r} ({data[v].dtype})" for v in pm.ov if not (is_num(data[v]) and not is_cplx(data[v]))]
    if bad:
        raise ValueError(
            f"Column(s) {', '.join(bad)} are not numeric. Recode them to numbers "
            "(e.g. Likert labels to 1-5) before fitting."
        )
    gcol = data[group]
    n_na_group = int(gcol.isna().sum())
    if n_na_group:
        warnings.warn(
            f"{n_na_group} row(s) with a missing value in the group column {group!r} were dropped.",
            stacklevel=3,
        )
    labels = _group_labels(gcol, group_order)
    if len(labels) < 2:
        raise ValueError(
            f"The group column {group!r} has {len(labels)} group(s); a multigroup fit needs at least "
            "two. For one group use hpmob.sem.fit."
        )
    p = len(pm.ov)
    Xall = data[pm.ov].astype(float).to_numpy()
    # FIML keeps every row with at least one observed value (lavaan drops empty rows too)
    ok = np.any(np.isfinite(Xall), axis=1) if fiml else np.all(np.isfinite(Xall), axis=1)
    Xs, n_drop = [], 0
    in_groups = np.zeros(len(data), dtype=bool)
    for lab in labels:
        mask = (gcol == lab).to_numpy() & gcol.notna().to_numpy()
        in_groups |= mask
        n_drop += int((mask & ~ok).sum())
        X = Xall[mask & ok]
        if fiml:
            _check_incomplete(X, pm.ov, f"group {lab!r} of {group!r}")
            Xs.append(X)
            continue
        if X.shape[0] < p + 1:
            raise ValueError(
                # no counts in the message: it ends up in logs and failed notebooks, and a
                # group this small is one whose size must not be published
                f"Group {lab!r} of {group!r} has fewer than {p + 1} complete rows; "
                f"with {p} observed variables every group needs at least {p + 1} complete rows for its "
                f"sample covariance matrix. Merge {lab!r} with a similar group (recode {group!r}), or "
                "leave it out with group_order=[...] naming the groups to keep."
            )
        sd = X.std(axis=0)
        const = [pm.ov[i] for i in np.flatnonzero(sd == 0)]
        if const:
            raise ValueError(
                f"Variable(s) {', '.join(map(repr, const))} are constant in group {lab!r} of {group!r}; "
                "a multigroup fit needs variance in every group. Drop the variable or merge groups."
            )
        ev = np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True))
        if ev[0] <= 1e-10 * max(ev[-1], 1e-300):
            raise ValueError(
                f"The sample covariance matrix of group {lab!r} of {group!r} is singular (some variables "
                "are exact linear combinations of others in this group); drop the redundant ones or "
                "merge groups."
            )
        Xs.append(X)
    n_other = int((gcol.notna().to_numpy() & ~in_groups).sum())
    if n_other:
        warnings.warn(f"{n_other} row(s) of groups not named in group_order were not used.", stacklevel=3)
    if n_drop and fiml:
        warnings.warn(
            f"{n_drop} row(s) with no observed value in the model's variables were not used "
            f"(as lavaan); n = {sum(len(X) for X in Xs)}.",
            stacklevel=3,
        )
    elif n_drop:
        warnings.warn(
            f"{n_drop} row(s) with missing values in the model's variables were dropped "
            f"(listwise deletion, lavaan's default); n = {sum(len(X) for X in Xs)}.",
            stacklevel=3,
        )
    return Xs, labels


def _check_incomplete(X: np.ndarray, ov: list[str], where: str) -> None:
    """Each variable needs two distinct observed values for FIML (and the rows a PD EM covariance)."""
    n_obs = np.isfinite(X).sum(axis=0)
    few = [f"{v!r} ({k})" for v, k in zip(ov, n_obs) if k < 2]
    if few:
        raise ValueError(
            f"Variable(s) {', '.join(few)} have fewer than two observed values in {where}; FIML cannot "
            "estimate their variance. Drop the variable or merge groups."
        )
    with np.errstate(invalid="ignore"):
        const = [v for v, sd in zip(ov, np.nanstd(X, axis=0)) if not sd > 0]
    if const:
        raise ValueError(
            f"Variable(s) {', '.join(map(repr, const))} are constant in {where}; a constant item carries "
            "no information about a factor: remove it from the model."
        )


# ------------------------------------------------------------------ main entry


def _normalise_equal(group_equal) -> tuple[str, ...]:
    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    out = tuple(dict.fromkeys(group_equal or ()))
    bad = [x for x in out if x not in GROUP_EQUAL]
    if bad:
        hint = suggest(str(bad[0]), GROUP_EQUAL)
        raise ValueError(
            f"Unknown group_equal value {bad[0]!r}.{hint} Allowed: {', '.join(GROUP_EQUAL)}."
        )
    return out


@dataclass
class _State:
    """Internals kept for score tests and latent mean comparisons."""

    pm: ParsedModel
    model: _Model
    entries: list
    theta: np.ndarray
    vcov: np.ndarray
    info: np.ndarray
    labels: list
    constraints: list  # (ref entry, other entry) pairs, lavaan's order


def fit_multigroup(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    group_equal=(),
    group_partial=(),
    group_order=None,
    estimator: str = "ML",
    missing: str = "listwise",
    ci: float = 0.95,
    se: str = "standard",
) -> MultigroupResult:
    """Fit a multigroup SEM/CFA in lavaan syntax with lavaan's ``group.equal`` semantics.

    Parameters
    ----------
    model : str
        lavaan model syntax (``=~``, ``~``, ``~~``, modifiers ``a*x`` (a label
        shared by all groups, so the parameter is equal across groups), ``1*x``,
        ``NA*x``). Group-specific modifiers ``c(...)`` and ``:=`` are not supported.
    data : pandas.DataFrame
        One row per respondent. With ``missing="listwise"`` (lavaan's default) rows
        with missing values in the model's observed variables are dropped; with
        ``missing="ml"`` every row with at least one observed value is used (FIML).
    group : str
        Column that defines the groups.
    group_equal : sequence of str
        Parameter sets held equal across groups (lavaan's ``group.equal``):
        ``"loadings"``, ``"intercepts"``, ``"means"``, ``"residuals"``,
        ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``,
        ``"regressions"``.
    group_partial : sequence of str
        Parameters released from ``group_equal`` in every group (lavaan's
        ``group.partial``), e.g. ``("x3~1",)`` or ``("visual=~x2",)``.
    group_order : sequence, optional
        Group labels in the order wanted (group 1 first; it is the reference
        whose latent means are 0). Default: order of first appearance in
        ``data``, as lavaan. Rows of groups not listed are not used.
    estimator : {"ML", "MLR"}
        Normal-theory ML: standard errors from the expected information with
        complete data, from the observed information (lavaan's default) with
        ``missing="ml"``. ``"MLR"`` (only with ``missing="ml"``): Huber-White SEs
        and the Yuan-Bentler scaled test, as lavaan.
    missing : {"listwise", "ml"}
        lavaan's ``missing``: ``"ml"`` (alias ``"fiml"``) is full-information ML
        (see :mod:`hpmob.sem.fiml`); the h1 model is then estimated by EM.
    ci : float
        Level of the Wald confidence intervals.
    se : {"standard", "none"}
        lavaan's ``se``: ``"none"`` skips the information matrix (with ``missing="ml"``
        a numerical Hessian, most of a fit's time) when only the estimates and the fit
        measures are wanted, e.g. the steps of a partial-invariance search. Only with
        ``estimator="ML"`` (MLR's scaled test needs the information).

    Returns
    -------
    MultigroupResult
        Estimates, fit measures, per-group fit and moments, laid out as lavaan's.

    Examples
    --------
    >>> from hpmob.sem.multigroup import fit_multigroup
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> round(float(res.fit_measures["chisq"]), 3)
    124.044
    """
    est_name = str(estimator).upper()
    fiml = normalise_missing(missing) == "ml"
    if est_name not in ("ML", "MLR"):
        raise NotImplementedError(
            f"estimator={estimator!r}: multigroup fits support estimator='ML' (lavaan's default) and 'MLR'."
        )
    if se not in ("standard", "none"):
        raise ValueError(f"se must be 'standard' or 'none'; got {se!r}.")
    if se == "none" and est_name != "ML":
        raise ValueError(f"se='none' is only available with estimator='ML' (the {est_name} test statistic "
                         "needs the information matrix); use se='standard'.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    geq = _normalise_equal(group_equal)
    pm = parse_model(model, meanstructure=True)
    if pm.defined:
        raise NotImplementedError("Defined parameters (:=) are not supported in multigroup fits yet.")
    if pm.ov_x:
        raise NotImplementedError(
            f"Exogenous observed covariates ({', '.join(pm.ov_x)}) are not supported in multigroup fits; "
            f"treat them as random by adding e.g. '{pm.ov_x[0]} ~~ {pm.ov_x[0]}' to the model."
        )
    partial = _normalise_partial(group_partial, pm)
    Xs, labels = _prepare(data, pm, group, group_order, fiml)
    if est_name == "MLR" and not fiml:
        # MLR on the complete rows: the FIML engine with one pattern per group is lavaan's listwise MLR
        # (observed information, casewise scores, h1 at the sample moments); checked in
        # tests/test_sem_mlr_invariance.py
        res = fit_groups(model, pm, Xs, labels, group=group, group_equal=geq, group_partial=partial,
                         fiml=True, ci=ci, estimator=est_name)  # fmt: skip
        return replace(res, missing="listwise")
    return fit_groups(model, pm, Xs, labels, group=group, group_equal=geq, group_partial=partial,
                      fiml=fiml, ci=ci, estimator=est_name, se=se)  # fmt: skip


def fit_groups(model: str, pm: ParsedModel, Xs: list, labels: list, *, group, group_equal, group_partial,
               fiml: bool, ci: float, estimator: str = "ML", se: str = "standard") -> MultigroupResult:  # fmt: skip
    """Estimate prepared groups (``Xs``: one data matrix per group); ``fit_multigroup``'s engine.

    ``hpmob.sem.fit`` calls it with one group for single-group FIML.
    """
    geq, partial = group_equal, group_partial
    G = len(Xs)
    entries = _build_table(pm, G, geq, partial)
    for k in partial:
        if not any(e.key == k and e.g == 0 and param_set(e.row, pm) in geq for e in entries):
            warnings.warn(
                f"group_partial entry {k!r} is not constrained by group_equal={list(geq)}; it has no effect.",
                stacklevel=2,
            )
    mdl = _Model(pm, entries, Xs, fiml=fiml)
    with _one_blas_thread():
        theta, converged, reason = _estimate(mdl)
        bad_h1 = [labels[g] for g, b in enumerate(mdl.blocks) if not getattr(b, "em_converged", True)]
        if bad_h1 and converged:
            # no saturated model, so no chi-square or fit index: the fit is not a usable result
            converged = False
            reason = (f"the EM estimate of the saturated model did not converge in group(s) "
                      f"{', '.join(map(repr, bad_h1))} (too few rows for the variables?)")
        mdl.objective(theta)
        # lavaan's default information: expected with complete data, observed with missing = "ml"
        if se == "none":
            info = None
            vcov = np.full((mdl.q, mdl.q), np.nan)
        else:
            info = _observed_information(mdl, theta) if fiml else mdl.information()
            vcov = _safe_inv(info) / mdl.N
        robust = None
        if estimator == "MLR":
            # lavaan's MLR: Huber-White SEs (observed information, first-order meat) and the
            # Yuan-Bentler ("mplus") scaled test
            B0 = _first_order_fiml(mdl)
            vcov = sandwich(info, B0, mdl.N)
            robust = (info, B0)

    # lavaan's constraint list: for each label shared by free parameters (in order of the first
    # duplicate), the first row == each of the others
    by_label: dict[str, list[_Entry]] = {}
    order: list[str] = []
    for e in entries:
        if not e.free:
            continue
        lst = by_label.setdefault(e.label, [])
        lst.append(e)
        if len(lst) == 2:
            order.append(e.label)
    constraints = [(by_label[lab][0], o) for lab in order for o in by_label[lab][1:]]

    state = _State(pm=pm, model=mdl, entries=entries, theta=theta, vcov=vcov, info=info, labels=labels,
                   constraints=constraints)  # fmt: skip
    fm, group_fit = fiml_fit_measures(mdl, labels, robust) if fiml else _fit_measures(mdl, labels)
    estimates, r2 = _estimates(mdl, theta, vcov, labels, ci)
    names = [""] * mdl.q
    for e in entries:
        if e.theta >= 0 and not names[e.theta]:
            names[e.theta] = e.out_label or (e.label if e.g == 0 else f"{e.key}.g{e.g + 1}")
    if not converged:
        warnings.warn(
            f"The optimizer did not reach a stationary point ({reason}); results may be unreliable. Small "
            "groups with many parameters are the usual cause: simplify the model or merge groups.",
            stacklevel=3,
        )
    improper: list[str] = []
    neg = sorted({f"{e.row.lhs} (group {labels[e.g]!r})" for e, v in zip(entries, estimates["est"])
                  if e.row.op == "~~" and e.row.lhs == e.row.rhs and v < 0})  # fmt: skip
    if neg:
        improper.append(f"negative variance (Heywood case): {', '.join(neg)}")
        warnings.warn(f"Negative variance estimate(s) for {', '.join(neg)} (Heywood case).", stacklevel=3)
    nlv, p = len(pm.lv), len(pm.ov)
    if nlv:
        bad = [repr(lab) for lab, b in zip(labels, mdl.blocks)
               if np.linalg.eigvalsh(b.V[p:, p:])[0] <= 0]  # fmt: skip
        if bad:
            improper.append(f"latent covariance matrix not positive definite in group(s) {', '.join(bad)}")
            # as lavaan's post-fit check: often a factor that is empirically underidentified in a
            # small group
            warnings.warn(
                f"The covariance matrix of the latent variables is not positive definite in group(s) "
                f"{', '.join(bad)}; look for latent correlations at or beyond +-1 in `estimates`, or "
                "merge small groups.",
                stacklevel=3,
            )
    implied, sample = {}, {}
    for lab, b in zip(labels, mdl.blocks):
        implied[lab] = {"cov": pd.DataFrame(b.sigma.copy(), index=pm.ov, columns=pm.ov),
                        "mean": pd.Series(b.mu.copy(), index=pm.ov, name="mean")}  # fmt: skip
        sample[lab] = {"cov": pd.DataFrame(b.S.copy(), index=pm.ov, columns=pm.ov),
                       "mean": pd.Series(b.ybar.copy(), index=pm.ov, name="mean")}  # fmt: skip
    return MultigroupResult(
        estimates=estimates,
        fit_measures=fm,
        group_fit=group_fit,
        r2=r2,
        implied=implied,
        sample=sample,
        n=int(mdl.N),
        n_by_group=pd.Series([b.N for b in mdl.blocks], index=pd.Index(labels, name=group), name="n"),
        group=group,
        group_labels=tuple(labels),
        group_equal=geq,
        group_partial=partial,
        estimator=estimator,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        converged=converged,
        model=model,
        _state=state,
        missing="ml" if fiml else "listwise",
        n_patterns=pd.Series([len(b.patterns.items) if fiml else 1 for b in mdl.blocks],
                             index=pd.Index(labels, name=group), name="n_patterns"),
        convergence=reason,
        improper=tuple(improper),
        se=se,
    )




# --------------------------------------------------------------- fit measures


def _fit_measures(mdl: _Model, labels) -> tuple[pd.Series, pd.DataFrame]:
    G, N, q = mdl.G, mdl.N, mdl.q
    p = mdl.blocks[0].p
    ndat = G * (p * (p + 1) // 2 + p)
    df = ndat - q
    chis, srmrs, logls, logls_h1, chis_b = [], [], [], [], []
    for b in mdl.blocks:
        fg = b.discrepancy()
        chis.append(b.N * fg)
        srmrs.append(measures.srmr_bentler(b.S, b.sigma, b.ybar, b.mu))
        logls.append(measures.normal_loglik(b.S, b.sigma, b.N, b.ybar, b.mu))
        logls_h1.append(measures.normal_loglik(b.S, b.S, b.N))
        # independence model: variances and means free per group
        chis_b.append(b.N * (np.sum(np.log(np.diag(b.S))) - b.logdet_S))
    chisq = max(float(np.sum(chis)), 0.0)
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan
    chisq_b = float(np.sum(chis_b))
    df_b = ndat - G * 2 * p
    pvalue_b = float(stats.chi2.sf(chisq_b, df_b)) if df_b > 0 else math.nan
    logl, logl_h1 = float(np.sum(logls)), float(np.sum(logls_h1))
    fm = {
        "npar": q,
        "fmin": chisq / N / 2,
        "chisq": chisq,
        "df": df,
        "pvalue": pvalue,
        "baseline.chisq": chisq_b,
        "baseline.df": df_b,
        "baseline.pvalue": pvalue_b,
        "cfi": measures.cfi(chisq, df, chisq_b, df_b),
        "tli": measures.tli(chisq, df, chisq_b, df_b),
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + math.log(N) * q,
        "ntotal": N,
    }
    sg = math.sqrt(G)
    fm["rmsea"] = measures.rmsea(chisq, df, N) * sg
    lo, hi = measures.rmsea_ci(chisq, df, N, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = lo * sg, hi * sg
    # Dudgeon (2004): the close-fit non-centrality is divided by G
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, N, h0=RMSEA_CLOSE_H0 / sg)
    fm["srmr"] = float(np.sum(mdl.w * np.array(srmrs)))
    group_fit = pd.DataFrame(
        {
            "group": np.arange(1, G + 1),
            "group_label": labels,
            "n": [b.N for b in mdl.blocks],
            "chisq": chis,
            "srmr": srmrs,
            "logl": logls,
        }
    )
    return pd.Series(fm, dtype=float, name="value"), group_fit


def _first_order_fiml(mdl: _Model) -> np.ndarray:
    """Unit first-order information ``sum_i s_i s_i' / N`` from the casewise scores of every group."""
    blocks = []
    for b in mdl.blocks:
        ram = Ram(mdl.pm.ov, mdl.pm.lv)
        ram.A, ram.P, ram.m = b.A, b.P, b.m
        groups: list[list] = [[] for _ in range(mdl.q)]
        for e in b.free:
            groups[e.theta].append(e.pos)
        dS, dmu = ram.derivatives(groups)
        blocks.append(casewise_scores(b.sigma, b.mu, b.patterns, dS, dmu))
    sc = np.vstack(blocks)
    return sc.T @ sc / mdl.N


def fiml_fit_measures(mdl: _Model, labels, robust=None) -> tuple[pd.Series, pd.DataFrame]:
    """lavaan's fitMeasures under ``missing = "ml"``.

    The chi-square is the likelihood-ratio statistic against the EM-estimated
    saturated model, ``2 (logl_h1 - logl)``, and the baseline chi-square the same
    against the independence model; SRMR compares the implied moments with the EM
    moments (lavaan uses the h1 estimates as "sample" statistics). RMSEA, CFI and
    TLI then follow from these exactly as with complete data.
    """
    G, N, q = mdl.G, mdl.N, mdl.q
    p = mdl.blocks[0].p
    ndat = G * (p * (p + 1) // 2 + p)
    df = ndat - q
    chis, srmrs, logls, m2ll_h1, chis_b = [], [], [], [], []
    for b in mdl.blocks:
        b.discrepancy()
        chis.append(b.m2ll - b.m2ll_h1)
        srmrs.append(measures.srmr_bentler(b.S, b.sigma, b.ybar, b.mu))
        logls.append(-b.m2ll / 2)
        m2ll_h1.append(b.m2ll_h1)
        chis_b.append(baseline_minus2_loglik(b.patterns) - b.m2ll_h1)
    chisq = max(float(np.sum(chis)), 0.0)
    chisq_b = float(np.sum(chis_b))
    df_b = ndat - G * 2 * p
    logl, logl_h1 = float(np.sum(logls)), -float(np.sum(m2ll_h1)) / 2
    fm = {
        "npar": q,
        "fmin": chisq / N / 2,
        "chisq": chisq,
        "df": df,
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan,
        "baseline.chisq": chisq_b,
        "baseline.df": df_b,
        "baseline.pvalue": float(stats.chi2.sf(chisq_b, df_b)) if df_b > 0 else math.nan,
        "cfi": measures.cfi(chisq, df, chisq_b, df_b),
        "tli": measures.tli(chisq, df, chisq_b, df_b),
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + math.log(N) * q,
        "ntotal": N,
    }
    sg = math.sqrt(G)
    fm["rmsea"] = measures.rmsea(chisq, df, N) * sg
    lo, hi = measures.rmsea_ci(chisq, df, N, level=RMSEA_CI_LEVEL)
    fm["rmsea.ci.lower"], fm["rmsea.ci.upper"] = lo * sg, hi * sg
    fm["rmsea.pvalue"] = measures.rmsea_closefit(chisq, df, N, h0=RMSEA_CLOSE_H0 / sg)
    fm["srmr"] = float(np.sum(mdl.w * np.array(srmrs)))
    if robust is not None:
        # Yuan-Bentler (Mplus variant) scaling: c = (tr(A1^-1 B1) - tr(A0^-1 B0)) / df, with the
        # h1 information at the EM (unrestricted) moments, as lavaan's test does
        A0, B0 = robust
        trace_h1 = sum(fiml_h1_trace(b.S, b.ybar, b.patterns) for b in mdl.blocks)
        c, trace_ug, sf_h1, sf_h0 = yuan_bentler_mplus(trace_h1, ndat, A0, B0, df)
        sf_h0 *= q / mdl.nx  # lavaan divides tr(A0^-1 B0) by the free rows, equal ones counted apart
        trace_b = sum(fiml_baseline_trace(b.patterns) for b in mdl.blocks)
        c_b = (trace_h1 - trace_b) / df_b if df_b > 0 else math.nan
        fm.update({
            "chisq.scaled": chisq / c,
            "df.scaled": df,
            "pvalue.scaled": float(stats.chi2.sf(chisq / c, df)) if df > 0 else math.nan,
            "chisq.scaling.factor": c,
            "baseline.chisq.scaled": chisq_b / c_b,
            "baseline.df.scaled": df_b,
            "baseline.pvalue.scaled": float(stats.chi2.sf(chisq_b / c_b, df_b)) if df_b > 0 else math.nan,
            "baseline.chisq.scaling.factor": c_b,
            "cfi.scaled": measures.cfi(chisq / c, df, chisq_b / c_b, df_b),
            "tli.scaled": measures.tli(chisq / c, df, chisq_b / c_b, df_b),
            "scaling.factor.h1": sf_h1,
            "scaling.factor.h0": sf_h0,
        })  # fmt: skip
        # lavaan's "scaled" RMSEA keeps X2 and replaces df by tr(U Gamma) = c * df.
        fm["rmsea.scaled"] = measures.rmsea(chisq, trace_ug, N) * sg
        lo, hi = measures.rmsea_ci(chisq, trace_ug, N, level=RMSEA_CI_LEVEL)
        fm["rmsea.ci.lower.scaled"], fm["rmsea.ci.upper.scaled"] = lo * sg, hi * sg
        # Robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei & Li 2012) from
        # the scaling factors, as lavaan with complete data. Under missing data lavaan follows Zhang &
        # Savalei (2021) instead, which is not implemented: NaN rather than a number that is not lavaan's.
        complete = all(np.isfinite(b.patterns.X).all() for b in mdl.blocks)
        fm["cfi.robust"] = measures.cfi(chisq, df, chisq_b, df_b, c, c_b) if complete else math.nan
        fm["tli.robust"] = measures.tli(chisq, df, chisq_b, df_b, c, c_b) if complete else math.nan
        fm["rmsea.robust"] = measures.rmsea(chisq, df, N, c_hat=c) * sg if complete else math.nan
    group_fit = pd.DataFrame(
        {
            "group": np.arange(1, G + 1),
            "group_label": labels,
            "n": [b.N for b in mdl.blocks],
            "chisq": chis,
            "srmr": srmrs,
            "logl": logls,
        }
    )
    return pd.Series(fm, dtype=float, name="value"), group_fit


# ------------------------------------------------------------------ estimates


def _estimates(mdl: _Model, theta, vcov, labels, ci):
    """parameterEstimates(fit, standardized = TRUE) and inspect(fit, "r2"), per group."""
    pm = mdl.pm
    zq = stats.norm.ppf(1 - (1 - ci) / 2)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    cols: dict[str, list] = {k: [] for k in ("lhs", "op", "rhs", "group", "group_label", "label")}
    est_all, se_all, free_all, slv_all, sall_all = [], [], [], [], []
    r2_rows = {}
    y_names = {r.rhs for r in pm.rows if r.op == "=~"} | {r.lhs for r in pm.rows if r.op == "~"}
    for g, b in enumerate(mdl.blocks):
        rows = [e.row for e in b.entries]
        est = np.array([theta[e.theta] if e.free else e.value for e in b.entries], dtype=float)
        ram = Ram(pm.ov, pm.lv)
        ram.A, ram.P, ram.m = b.A, b.P, b.m
        std_lv, std_all = _standardize(rows, est, pm.lv, pm.ov, b.V, ram)
        r2 = {}
        for i, e in enumerate(b.entries):
            r = e.row
            for k, v in (("lhs", r.lhs), ("op", r.op), ("rhs", r.rhs), ("group", g + 1),
                         ("group_label", labels[g]), ("label", e.out_label)):  # fmt: skip
                cols[k].append(v)
            se_all.append(se_free[e.theta] if e.free else 0.0)
            free_all.append(e.free)
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in y_names:
                val = 1 - std_all[i]
                r2[r.lhs] = val if val <= 1 else math.nan
        est_all.append(est)
        slv_all.append(std_lv)
        sall_all.append(std_all)
        r2_rows[labels[g]] = r2
    est = np.concatenate(est_all)
    se = np.array(se_all)
    test = np.array(free_all) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(test, est / se, np.nan)
    # fixed parameters: lavaan shows se = 0, no z or p, and the value as both interval ends
    out = pd.DataFrame(cols)
    out["est"] = est
    out["se"] = se
    out["z"] = z
    out["pvalue"] = np.where(test, 2 * stats.norm.sf(np.abs(z)), np.nan)
    # no standard error (se = "none"): no interval either, not the point as both ends
    out["ci.lower"] = np.where(np.isnan(se), np.nan, np.where(test, est - zq * se, est))
    out["ci.upper"] = np.where(np.isnan(se), np.nan, np.where(test, est + zq * se, est))
    out["std.lv"] = np.concatenate(slv_all)
    out["std.all"] = np.concatenate(sall_all)
    r2 = pd.DataFrame.from_dict(r2_rows, orient="index")
    r2.index.name = "group_label"
    return out[ESTIMATE_COLUMNS], r2


# ------------------------------------------------------------ model comparison


def chisq_difference(less: MultigroupResult, more: MultigroupResult) -> dict:
    """Test the chi-square difference of two nested multigroup fits, as ``lavTestLRT(less, more)``.

    ML: the difference of the two statistics. MLR: the scaled difference of Satorra &
    Bentler (2001), ``(T₀ − T₁) / c_d`` with ``c_d = (df₀c₀ − df₁c₁) / (df₀ − df₁)`` and
    ``c`` each model's scaling factor (NaN when ``c_d`` is not positive, lavaan's NA).

    Parameters
    ----------
    less, more : MultigroupResult
        The less and the more constrained model (either order is accepted; the
        models are sorted by df, as lavaan does).

    Returns
    -------
    dict
        ``chisq_diff``, ``df_diff``, ``p``, ``method`` and lavaan's ``rmsea`` of the
        difference, ``sqrt(max(0, (dchisq - ddf) / (N ddf))) * sqrt(G)``.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from hpmob.sem.multigroup import chisq_difference
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> configural = fit_multigroup(m, hs, "school")
    >>> metric = fit_multigroup(m, hs, "school", group_equal=("loadings",))
    >>> test = chisq_difference(configural, metric)
    >>> round(test["chisq_diff"], 3), test["df_diff"], test["method"]
    (8.192, 6.0, 'standard')
    """
    a, b = sorted([less, more], key=lambda r: r.fit_measures["df"])
    fa, fb = a.fit_measures, b.fit_measures
    d_chi = float(fb["chisq"] - fa["chisq"])
    d_df = float(fb["df"] - fa["df"])
    method = "standard"
    if a.estimator == "MLR" or b.estimator == "MLR":
        if a.estimator != b.estimator:
            raise ValueError(f"Both fits need the same estimator ({a.estimator} vs {b.estimator}).")
        c1 = float(fa["chisq.scaling.factor"]) if fa["df"] > 0 else 1.0
        cd = (fb["df"] * fb["chisq.scaling.factor"] - fa["df"] * c1) / d_df if d_df > 0 else math.nan
        d_chi = d_chi / cd if cd > 0 else math.nan
        method = "satorra.bentler.2001"
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else math.nan
    N, G = float(fb["ntotal"]), len(b.group_labels)
    rm = math.sqrt(max(0.0, (d_chi - d_df) / (N * d_df))) * math.sqrt(G) if d_df > 0 and np.isfinite(d_chi) \
        else math.nan
    return {"chisq_diff": d_chi, "df_diff": d_df, "p": p, "rmsea": rm, "method": method}
