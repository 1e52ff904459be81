"""Estimation of the multigroup model: starting values, the optimiser, the information (internal).

Moment or FABIN 3 starting values, Fisher scoring then BFGS (:func:`optimize`), the
fallback from the other starts (:func:`estimate`), the improper-solution check and the
numerical observed information. Split out of :mod:`hpmob.sem.multigroup` (issue #20).
"""

from __future__ import annotations

import math

import numpy as np

from .information import numeric_hessian
from .multigroup_model import Model, inverse

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []

# ------------------------------------------------------------------- starts


def _starts(model: Model, fabin: bool = False) -> np.ndarray:
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
                    W = inverse(S[np.ix_(others, others)])
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


def _line_search(model: Model, theta, f, g, step):
    """Backtracking (Armijo) along ``step``; returns (t, f_new) or (0, f) on failure."""
    slope = float(g @ step)
    t = 1.0
    while t > 1e-12:
        f_new = model.objective(theta + t * step)
        if np.isfinite(f_new) and f_new <= f + 1e-4 * t * slope + 1e-15 * abs(f):
            return t, f_new
        t /= 2
    return 0.0, f


def optimize(model: Model, theta: np.ndarray, *, max_iter: int = 2000, n_fisher: int = 8,
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
            H, fresh = inverse(2 * model.information()), True
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


def _admissible_starts(model: Model, fabin: bool, theta0: np.ndarray | None = None) -> np.ndarray | None:
    if theta0 is None:
        theta0 = _starts(model, fabin=fabin)
    if not np.isfinite(model.objective(theta0)):
        theta0 = _safe_starts(model, theta0)
    return theta0 if np.isfinite(model.objective(theta0)) else None


def improper(model: Model, theta: np.ndarray) -> bool:
    """A negative variance or a non-positive-definite latent covariance matrix in some group."""
    model.objective(theta)
    p = model.blocks[0].p
    for b in model.blocks:
        if np.any(np.diag(b.P) < 0):
            return True
        if b.nv > p and np.linalg.eigvalsh(b.V[p:, p:])[0] <= 0:
            return True
    return False


def estimate(model: Model) -> tuple[np.ndarray, bool, str]:
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
    theta, f, ok = optimize(model, theta0)
    if not ok or improper(model, theta):
        alt0 = _admissible_starts(model, not first, starts[not first].copy())
        if alt0 is not None:
            alt, f_alt, ok_alt = optimize(model, alt0)
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


def observed_information(model: Model, theta: np.ndarray) -> np.ndarray:
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


def _safe_starts(model: Model, theta: np.ndarray) -> np.ndarray:
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
