"""The multigroup parameter table and the model it parametrises (internal to :mod:`hpmob.sem`).

:func:`build_table` is lavaan's multigroup parameter table with its LABELs (equal labels are
one free parameter); :class:`Block` holds one group's implied moments, discrepancy and
analytic derivatives, :class:`Model` all groups sharing the free parameter vector. Split
out of :mod:`hpmob.sem.multigroup` (issue #20); the estimation is in
:mod:`hpmob.sem.multigroup_estimation`, the result and its measures in
:mod:`hpmob.sem.multigroup_result`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .fiml import Patterns, em_h1, minus2_loglik
from .structure import Ram
from .syntax import ParRow, ParsedModel, suggest

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []

_WS = re.compile(r"\s+")



# -------------------------------------------------------------- parameter table


@dataclass
class Entry:
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


def normalise_partial(items, pm: ParsedModel) -> tuple[str, ...]:
    """The ``group_partial`` entries as parameter keys of the model (``'x3~1'``), each checked, once each."""
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


def build_table(pm: ParsedModel, G: int, group_equal: tuple, partial: tuple) -> list[Entry]:
    """lavaan's multigroup parameter table with LABELs (``lav_partable_labels``)."""
    ram = Ram(pm.ov, pm.lv)
    lv = set(pm.lv)
    free_lv_means = "intercepts" in group_equal and "means" not in group_equal
    entries: list[Entry] = []
    for g in range(G):
        for r in pm.rows:
            rr = ParRow(**vars(r))
            if g > 0 and free_lv_means and rr.op == "~1" and rr.lhs in lv and not rr.user:
                rr.free, rr.ustart = True, math.nan
            key = _key(rr)
            entries.append(
                Entry(
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
    by_label: dict[str, list[Entry]] = {}
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


class Block:
    """Implied moments, discrepancy and derivatives of one group."""

    def __init__(self, pm: ParsedModel, entries: list[Entry], X: np.ndarray, fiml: bool = False,
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
            si = last[1] if last is not None and last[0] is self.sigma else inverse(self.sigma)
        Usi, Wsi = U @ si, W @ si
        UW = Usi @ W.T
        info = (Usi @ U.T) * (Wsi @ W.T) + UW * UW.T + (dmu @ si) @ dmu.T
        return (info + info.T) / 2


# --------------------------------------------------------------------- model


class Model:
    """All groups; the free parameter vector theta is shared through equal labels."""

    def __init__(self, pm: ParsedModel, entries: list[Entry], Xs: list[np.ndarray], fiml: bool = False,
                 h1: bool = True):  # fmt: skip
        self.pm = pm
        self.entries = entries
        G = len(Xs)
        self.blocks = [Block(pm, [e for e in entries if e.g == g], X, fiml, h1) for g, X in enumerate(Xs)]
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



def inverse(M: np.ndarray) -> np.ndarray:
    """``M^-1``, or the pseudo-inverse when ``M`` is singular (no warning: starts and scoring steps)."""
    try:
        return np.linalg.inv(M)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(M)
