"""Indirect effects: delta-method, Monte Carlo and bootstrap intervals for ``:=`` parameters.

An indirect effect such as ``ind := a*b`` is a product of two estimates, so its
sampling distribution is skewed and the symmetric delta-method (Sobel) interval
is known to be off in small samples. Two resampling alternatives are given next
to it:

* **Monte Carlo** (MacKinnon, Lockwood & Williams 2004; Preacher & Selig 2012):
  draw the parameters from N(theta_hat, vcov) and evaluate the ``:=``
  expression on each draw. Cheap, no refits.
* **Nonparametric bootstrap** (case resampling): refit the model on each
  resample and take percentile, bias-corrected (BC; lavaan's ``bca.simple``)
  or bias-corrected and accelerated (BCa; Efron 1987) intervals.

Refitting is the expensive part. ``fit()`` computes start values, iterates to
the optimum, polishes it and then computes SEs and fit measures, which costs
about 0.02-0.5 s per model. A bootstrap resample moves the
estimates by about one standard error, so the full-sample estimate is an
excellent start. From there, Newton steps with the exact analytic Hessian of
F_ML (falling back to Fisher scoring where that Hessian is not positive
definite) reach the resample's optimum in about 5-7 steps. The steps run on
vectorized RAM matrices, with no semopy model per replicate. Fisher scoring
alone, the iteration ``fit()`` uses to polish, converges only linearly under
misfit (about 40 steps for PoliticalDemocracy). A replicate whose
warm-started iteration does not converge is refitted from scratch with
``fit()``'s own estimator. If that fails as well, the
replicate is counted as failed, kept as a row of NaN, and reported.

Conventions follow lavaan 0.6-14 (``parameterEstimates`` with
``se = "bootstrap"``). Percentile endpoints use the order statistic
(R + 1) * alpha with interpolation on the normal quantile scale between
neighbouring order statistics (``boot:::norm.inter``, which lavaan copies). This
is not R's ``quantile(type = 6)``, although it uses the same (R + 1) * alpha
rank. ``bca.simple`` is z0 = qnorm(mean(t < t0)) with no acceleration. The
bootstrap standard error of a defined parameter is ``sd(t)`` (divisor R - 1), as lavaan's
``lav_model_vcov_se``. Nonadmissible replicates (negative variances) are kept,
and failed ones are excluded from the intervals, as lavaan does.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .blas import one_blas_thread as _one_blas_thread
from .defined import Expression, jacobian
from .fiml import normalise_missing
from .fit import SemResult, _estimate, _observed_information, _param_name, _prepare_data, fit
from .information import casewise_scores
from .structure import Ram
from .syntax import ParsedModel, parse_model, suggest

__all__ = ["indirect_effects", "bootstrap", "METHODS", "ACCELERATION"]

#: Methods accepted by :func:`indirect_effects`; ``"bootstrap"`` expands to the
#: three bootstrap intervals ``bootstrap_percentile``, ``bootstrap_bc`` and ``bootstrap_bca``.
METHODS = ("delta", "montecarlo", "bootstrap")
#: How the BCa acceleration is estimated: exact leave-one-out refits ("jackknife",
#: Efron 1987, eq. 6.6) or the analytic empirical influence of the ML estimator
#: ("influence", the infinitesimal jackknife; Efron & Tibshirani 1993, sec. 22.6).
ACCELERATION = ("jackknife", "influence")

_OUTPUT_COLUMNS = ["effect", "method", "est", "se", "ci.lower", "ci.upper", "n_draws"]
_OK, _RESTARTED, _FAILED = 0, 1, 2
#: The iteration stops when no parameter moves more than this (relative to 1 + |theta|),
#: or _NEWTON_TOL after a full Newton step...
_STEP_TOL = 1e-10
#: ...and a replicate counts as converged when max |gradient of F_ML| is below this,
#: which is the criterion ``fit()`` uses.
_GRAD_TOL = 1e-6
_NEWTON_TOL = 1e-6
_MAX_ITER = 200


# ------------------------------------------------------------------ refit plan


@dataclass
class _Plan:
    """Everything a worker needs to refit the model on resampled rows.

    All the index work (which RAM cell holds which parameter, which rows are
    fixed.x moments, which label names which row) is done once here, so a refit
    is a handful of numpy calls. The plan is pickled once per batch, never per replicate.
    """

    pm: ParsedModel
    X: np.ndarray  # complete-case data, in pm.ov order
    est0: np.ndarray  # full-sample values of every parameter-table row
    theta0: np.ndarray  # full-sample free parameters (warm start)
    free_of_row: list[int]
    cov_idx: np.ndarray  # free parameters that enter Sigma (not intercepts)
    A0: np.ndarray
    P0: np.ndarray
    a_cell: tuple[np.ndarray, np.ndarray, np.ndarray]  # (row, col, free index) of A parameters
    p_cell: tuple[np.ndarray, np.ndarray, np.ndarray]  # the same for P (symmetric)
    x_cell: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # fixed.x: P cell <- S cell
    deriv: tuple  # vectorized dSigma/dtheta: U/W column indices and the group-sum matrix
    exo_rows: tuple[np.ndarray, np.ndarray, np.ndarray]  # parameter rows holding S moments
    mean_rows: tuple[np.ndarray, np.ndarray]  # (~1 rows of observed variables, their ov index)
    free_names: list[str]
    first_row_of_free: np.ndarray
    label_row: dict[str, int]
    defined: list[tuple[str, str]]
    n_all: int
    p: int
    h_cells: tuple[np.ndarray, np.ndarray, np.ndarray]  # P cells (k, l, weight) for the Hessian
    row_cells: tuple  # (A rows, i, j, P rows, i, j) of every parameter row, for the admissibility check
    var_ov_rows: np.ndarray
    var_lv_rows: np.ndarray

    def __post_init__(self):
        G = self.deriv[-1]
        one_cell = G.shape[0] == G.shape[1] and np.all(G.sum(axis=0) == 1) and np.all(G.sum(axis=1) == 1)
        self.deriv_perm = np.argmax(G, axis=1) if one_cell else None
        free = np.array(self.free_of_row, dtype=int)
        self._free_rows = np.flatnonzero(free >= 0)
        self._free_idx = free[self._free_rows]

    @classmethod
    def build(cls, pm: ParsedModel, f, X: np.ndarray) -> _Plan:
        ram = Ram(pm.ov, pm.lv)
        rows = pm.rows
        positions = [ram.position(r.lhs, r.op, r.rhs) for r in rows]
        free_of_row = list(f.free_of_row)
        q = len(f.theta)
        is_cov = np.zeros(q, dtype=bool)
        for pos, k in zip(positions, free_of_row):
            if k >= 0 and pos[0] != "m":
                is_cov[k] = True
        cov_idx = np.flatnonzero(is_cov)
        where = {k: c for c, k in enumerate(cov_idx)}  # free index -> column of the cov subset

        a_i, a_j, a_k, p_i, p_j, p_k, pd_i, pd_k = ([] for _ in range(8))
        for pos, k in zip(positions, free_of_row):
            if k < 0 or pos[0] == "m":
                continue
            kind, i, j = pos
            if kind == "A":
                a_i.append(i), a_j.append(j), a_k.append(k)
            elif i != j:
                p_i.append(i), p_j.append(j), p_k.append(k)
            else:
                pd_i.append(i), pd_k.append(k)
        # dSigma/dtheta_k is a sum over the cells sharing parameter k of rank-2 terms
        # u w' + w u' (Ram.derivatives): A_ij gives u = C[:p, i], w = V[j, :p];
        # P_ij gives u = C[:p, i], w = C[:p, j]; a diagonal P_ii gives the same with w / 2
        npos = len(a_k) + len(p_k) + len(pd_k)
        G = np.zeros((len(cov_idx), npos))
        for col, k in enumerate(a_k + p_k + pd_k):
            G[where[k], col] += 1.0
        deriv = (
            np.array(a_i + p_i + pd_i, dtype=int),
            np.array(a_j, dtype=int),
            np.array(p_j, dtype=int),
            np.array(pd_i, dtype=int),
            G,
        )
        p_i_all = np.array(p_i + pd_i, dtype=int)
        p_j_all = np.array(p_j + pd_i, dtype=int)
        p_k_all = np.array(p_k + pd_k, dtype=int)

        ov_index = {v: i for i, v in enumerate(pm.ov)}
        xi, xj, xoi, xoj, er, eoi, eoj, mr, mo = ([] for _ in range(9))
        for n, (r, pos) in enumerate(zip(rows, positions)):
            if r.op == "~1":
                if r.lhs in ov_index:
                    mr.append(n), mo.append(ov_index[r.lhs])
            elif r.exo:
                xi.append(pos[1]), xj.append(pos[2]), xoi.append(ov_index[r.lhs]), xoj.append(ov_index[r.rhs])
                er.append(n), eoi.append(ov_index[r.lhs]), eoj.append(ov_index[r.rhs])

        first_row = np.zeros(q, dtype=int)
        names = [""] * q
        for n, k in enumerate(free_of_row):
            if k >= 0 and not names[k]:
                names[k] = _param_name(rows[n])
                first_row[k] = n
        label_row: dict[str, int] = {}
        for n, r in enumerate(rows):
            if r.label and r.label not in label_row:
                label_row[r.label] = n
        var_ov_rows = [n for n, r in enumerate(rows) if r.op == "~~" and r.lhs == r.rhs and r.lhs in ov_index]
        var_lv_rows = [n for n, r in enumerate(rows) if r.op == "~~" and r.lhs == r.rhs and r.lhs not in ov_index]
        ra = [(n, pos[1], pos[2]) for n, pos in enumerate(positions) if pos[0] == "A"]
        rp = [(n, pos[1], pos[2]) for n, pos in enumerate(positions) if pos[0] == "P"]
        row_cells = tuple(np.array([c[k] for c in cells], dtype=int) for cells in (ra, rp) for k in range(3))
        arr = lambda v: np.array(v, dtype=int)  # noqa: E731
        return cls(
            pm=pm, X=np.ascontiguousarray(X, dtype=float), est0=np.array(f.est, dtype=float),
            theta0=np.array(f.theta, dtype=float), free_of_row=free_of_row, cov_idx=cov_idx,
            A0=f.ram.A.copy(), P0=f.ram.P.copy(),
            a_cell=(arr(a_i), arr(a_j), arr(a_k)), p_cell=(p_i_all, p_j_all, p_k_all),
            x_cell=(arr(xi), arr(xj), arr(xoi), arr(xoj)), deriv=deriv,
            exo_rows=(arr(er), arr(eoi), arr(eoj)), mean_rows=(arr(mr), arr(mo)),
            free_names=names, first_row_of_free=first_row, label_row=label_row,
            defined=list(pm.defined), n_all=ram.n, p=ram.p,
            h_cells=(p_i_all, p_j_all, np.array([1.0] * len(p_i) + [0.5] * len(pd_i))),
            row_cells=row_cells, var_ov_rows=arr(var_ov_rows), var_lv_rows=arr(var_lv_rows),
        )  # fmt: skip

    # -------------------------------------------------------------- one refit
    def _moments(self, theta: np.ndarray, S: np.ndarray):
        A = self.A0.copy()
        P = self.P0.copy()
        ai, aj, ak = self.a_cell
        A[ai, aj] = theta[ak]
        pi, pj, pk = self.p_cell
        P[pi, pj] = theta[pk]
        P[pj, pi] = theta[pk]
        xi, xj, xoi, xoj = self.x_cell
        if xi.size:  # fixed.x: the covariates' (co)variances are this resample's moments
            P[xi, xj] = S[xoi, xoj]
            P[xj, xi] = S[xoi, xoj]
        C = np.linalg.inv(np.eye(self.n_all) - A)
        V = C @ P @ C.T
        return C, V

    def _objective(self, V, S, logdet_s) -> float:
        sigma = V[: self.p, : self.p]
        try:
            L = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return math.inf
        Li = np.linalg.inv(L)
        # F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, as fit()'s _fml
        return float(2 * np.log(np.diag(L)).sum() + np.sum((Li @ S) * Li) - logdet_s - self.p)

    def _derivatives(self, C, V, S, level: int):
        """Gradient of F_ML (level 0), plus twice the Fisher information (1) or the exact Hessian (2).

        dSigma/dtheta_k is a sum over the RAM cells that share parameter k of rank-2
        terms u w' + w u' (see Ram.derivatives). The exact Hessian adds to 2 * info the
        terms with the misfit Q = Sigma^-1 (Sigma - S) Sigma^-1. Fisher scoring alone
        converges only linearly, at a rate set by the misfit (about 0.5 for
        PoliticalDemocracy, so about 40 steps). Newton steps with the exact Hessian
        need about 5.
        """
        p = self.p
        sigma = V[:p, :p]
        Cp = C[:p, :]
        cols_u, a_j, p_j, pd_i, G = self.deriv
        U = Cp[:, cols_u]
        W = np.concatenate([V[a_j, :p].T, Cp[:, p_j], 0.5 * Cp[:, pd_i]], axis=1)
        D = np.einsum("ak,bk->kab", U, W)
        D += D.transpose(0, 2, 1)
        qc = G.shape[0]
        perm = self.deriv_perm
        # without equality constraints every parameter has one cell: a reordering, not a sum
        dS = D[perm] if perm is not None else (G @ D.reshape(D.shape[0], -1)).reshape(qc, p, p)
        Si = np.linalg.inv(sigma)
        Q = Si @ (sigma - S) @ Si
        g = dS.reshape(qc, -1) @ Q.ravel()
        if level == 0:
            return g, None
        SdS = Si @ dS
        M = SdS.reshape(qc, -1)
        Mt = SdS.transpose(0, 2, 1).reshape(qc, -1)
        H = M @ Mt.T  # tr(Si dS_k Si dS_l) = 2 * unit expected information
        if level == 1:
            return g, H
        # - 2 tr(Si dS_l Q dS_k), written as X + X' to keep H exactly symmetric
        X = M @ (Q @ dS).transpose(0, 2, 1).reshape(qc, -1).T
        H = H - (X + X.T)
        # tr(Q d2Sigma / dtheta_k dtheta_l): nonzero for A-A and A-P cell pairs
        ai, aj = self.a_cell[0], self.a_cell[1]
        pk, pl, pw = self.h_cells
        K = Cp.T @ Q @ Cp
        T = V[:, :p] @ Q @ Cp
        Cja = C[np.ix_(aj, ai)]
        Tja = T[np.ix_(aj, ai)]
        h_aa = Cja.T * Tja + Cja * Tja.T + K[np.ix_(ai, ai)] * V[np.ix_(aj, aj)]
        h_ap = pw * (C[np.ix_(aj, pk)] * K[np.ix_(pl, ai)].T + C[np.ix_(aj, pl)] * K[np.ix_(pk, ai)].T)
        na = ai.size
        Ga, Gp = G[:, :na], G[:, na:]
        cross = Ga @ h_ap @ Gp.T
        H = H + 2 * (Ga @ h_aa @ Ga.T + cross + cross.T)
        return g, H

    def _newton(self, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """Newton / Fisher scoring from the full-sample estimates (covariance parameters only)."""
        theta = self.theta0.copy()
        sign, logdet_s = np.linalg.slogdet(S)
        if sign <= 0:
            return theta, None, False
        x = theta[self.cov_idx].copy()
        C, V = self._moments(theta, S)
        f = self._objective(V, S, logdet_s)
        if not np.isfinite(f):
            return theta, C, False
        gmax = math.inf
        for _ in range(_MAX_ITER):
            g, H = self._derivatives(C, V, S, level=2)
            gmax = float(np.max(np.abs(g)))
            newton = True
            try:
                # Newton where the Hessian is positive definite. Otherwise (far from the
                # optimum, or near a boundary) take a Fisher-scoring step, which always descends.
                step = -_cho_solve(H, g)
            except np.linalg.LinAlgError:
                newton = False
                try:
                    step = -_cho_solve(self._derivatives(C, V, S, level=1)[1], g)
                except np.linalg.LinAlgError:
                    break
            t = 1.0
            while t > 1e-6:
                theta[self.cov_idx] = x + t * step
                C_new, V_new = self._moments(theta, S)
                f_new = self._objective(V_new, S, logdet_s)
                if np.isfinite(f_new) and f_new <= f + 1e-14 * max(1.0, abs(f)):
                    break
                t /= 2
            else:
                theta[self.cov_idx] = x
                break
            x, f, C, V = x + t * step, f_new, C_new, V_new
            size = np.max(np.abs(t * step)) / (1 + np.max(np.abs(x)))
            # a full Newton step of size d leaves an error of order d^2, so a step below
            # 1e-6 already lands within ~1e-12 of the optimum; other steps must be tiny
            if size < (_NEWTON_TOL if newton and t == 1.0 else _STEP_TOL):
                gmax = float(np.max(np.abs(self._derivatives(C, V, S, level=0)[0])))
                break
        theta[self.cov_idx] = x
        return theta, C, gmax < _GRAD_TOL

    def refit(self, X: np.ndarray, warm_start: bool = True) -> tuple[np.ndarray, int]:
        """Values of every parameter-table row for data X, and a status code."""
        N = X.shape[0]
        ybar = X.mean(axis=0)
        Yc = X - ybar
        S = Yc.T @ Yc / N
        if warm_start:
            theta, C, ok = self._newton(S)
            if ok:
                est = self.est0.copy()
                est[self._free_rows] = theta[self._free_idx]
                er, eoi, eoj = self.exo_rows
                est[er] = S[eoi, eoj]
                mr, mo = self.mean_rows
                if mr.size:
                    # saturated intercepts solve mu(nu) = ybar exactly, as in fit()
                    nu = np.linalg.solve(C[: self.p, : self.p], ybar)
                    est[mr] = nu[mo]
                return est, _OK
        # cold start: fit()'s own estimator (start values, optimiser, polish)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = _estimate(self.pm, X)
        except Exception:  # noqa: BLE001 - any failure of a resample is a failed replicate
            return np.full(self.est0.shape, np.nan), _FAILED
        if not f.converged:
            return np.full(self.est0.shape, np.nan), _FAILED
        return np.asarray(f.est, dtype=float), (_RESTARTED if warm_start else _OK)

    def admissible(self, est: np.ndarray) -> bool:
        """lavaan's ``lavInspect(fit, "post.check")`` (lav_object_post_check), which its bootstrap counts.

        A solution is nonadmissible if an observed or latent variance is negative,
        if the implied covariance matrix of the latent variables is not positive
        definite (checked only when no latent variance is negative), or if the
        residual covariance matrix of the observed variables (theta) is not positive
        definite (checked only when no observed variance is negative).
        """
        if not np.all(np.isfinite(est)):
            return False
        tol = -np.finfo(float).eps ** 0.75
        ov_ok = not np.any(est[self.var_ov_rows] < 0)
        lv_ok = not np.any(est[self.var_lv_rows] < 0)
        ok = ov_ok and lv_ok
        ar, ai, aj, pr, pi, pj = self.row_cells
        A = np.zeros((self.n_all, self.n_all))
        P = np.zeros((self.n_all, self.n_all))
        A[ai, aj] = est[ar]
        P[pi, pj] = est[pr]
        P[pj, pi] = est[pr]
        p = self.p
        if lv_ok and self.n_all > p:
            C = np.linalg.inv(np.eye(self.n_all) - A)
            cov_lv = (C @ P @ C.T)[p:, p:]
            ok = ok and bool(np.all(np.linalg.eigvalsh(cov_lv) >= tol))
        if ov_ok:
            ok = ok and bool(np.all(np.linalg.eigvalsh(P[:p, :p]) >= tol))
        return ok

    # ---------------------------------------------------- tidy replicate table
    def table(self, E: np.ndarray) -> pd.DataFrame:
        """Free and defined parameters from a (replicates x rows) matrix of row values."""
        out = {name: E[:, r] for name, r in zip(self.free_names, self.first_row_of_free)}
        out.update(self.evaluate_defined({lab: E[:, r] for lab, r in self.label_row.items()}))
        return pd.DataFrame(out)

    def evaluate_defined(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vals = dict(values)
        out = {}
        for name, text in self.defined:
            e = Expression(name, text)
            missing = [n for n in e.names if n not in vals]
            if missing:
                raise ValueError(
                    f"The defined parameter {name} := {text} uses {', '.join(map(repr, missing))}, "
                    f"which is not a parameter label.{suggest(missing[0], vals)}"
                )
            with np.errstate(all="ignore"):
                vals[name] = out[name] = np.asarray(_eval_vec(e.tree, vals), dtype=float)
        return out


def _cho_solve(H: np.ndarray, b: np.ndarray) -> np.ndarray:
    L = np.linalg.cholesky(H)  # raises LinAlgError unless H is positive definite
    return np.linalg.solve(L.T, np.linalg.solve(L, b))


# Vectorized twin of defined.Expression's evaluator: the same whitelist, numpy functions,
# so one call evaluates a := expression on all replicates or Monte Carlo draws at once.
_VEC_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide, ast.Pow: np.power}
_VEC_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_VEC_FUNCS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos, "tan": np.tan}


def _eval_vec(node, values):
    if isinstance(node, ast.BinOp):
        return _VEC_BINOPS[type(node.op)](_eval_vec(node.left, values), _eval_vec(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _VEC_UNARY[type(node.op)](_eval_vec(node.operand, values))
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    return _VEC_FUNCS[node.func.id](*(_eval_vec(a, values) for a in node.args))


# ------------------------------------------------------------ parallel driver


def _run_batch(plan: _Plan, kind: str, items: list, warm_start: bool):
    """Refit one batch. Module-level, so that loky can pickle it."""
    with _one_blas_thread():
        ids = np.empty(len(items), dtype=int)
        E = np.empty((len(items), plan.est0.size))
        status = np.empty(len(items), dtype=int)
        admissible = np.empty(len(items), dtype=bool)
        N = plan.X.shape[0]
        by_rows = hasattr(plan, "refit_rows")  # FIML: refits from row multiplicities, no resampled copy
        for n, item in enumerate(items):
            if kind == "bootstrap":
                rep, seq = item
                # one generator per replicate from its own SeedSequence child: the draw
                # does not depend on which worker or batch handles the replicate
                idx = np.random.default_rng(seq).integers(0, N, size=N)
            else:  # jackknife: leave out row `item`
                rep = item
                idx = np.delete(np.arange(N), item)
            ids[n] = rep
            E[n], status[n] = plan.refit_rows(idx, warm_start) if by_rows else plan.refit(plan.X[idx], warm_start)
            admissible[n] = status[n] == _FAILED or plan.admissible(E[n])
        return ids, E, status, admissible


def _refit_many(plan: _Plan, kind: str, items: list, *, n_jobs, progress, warm_start, desc):
    import joblib
    from tqdm.auto import tqdm

    n = len(items)
    n_workers = max(1, min(joblib.effective_n_jobs(n_jobs), n))
    # a few batches per worker balance the load; never one task per replicate, which
    # would pay pickling and scheduling costs n times
    n_batches = min(n, max(4 * n_workers, math.ceil(n / 250))) if n_workers > 1 else min(n, max(1, math.ceil(n / 100)))
    bounds = np.linspace(0, n, n_batches + 1).round().astype(int)
    batches = [items[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    E = np.empty((n, plan.est0.size))
    status = np.empty(n, dtype=int)
    admissible = np.empty(n, dtype=bool)
    pos = {(it[0] if kind == "bootstrap" else it): i for i, it in enumerate(items)}
    bar = tqdm(total=n, desc=desc, disable=not progress, unit="fit")
    try:
        if n_workers == 1:
            results = (_run_batch(plan, kind, b, warm_start) for b in batches)
        else:
            results = joblib.Parallel(n_jobs=n_workers, backend="loky", return_as="generator_unordered")(
                joblib.delayed(_run_batch)(plan, kind, b, warm_start) for b in batches
            )
        for ids, Eb, sb, ab in results:
            rows = [pos[i] for i in ids]
            E[rows] = Eb
            status[rows] = sb
            admissible[rows] = ab
            bar.update(len(ids))
    finally:
        bar.close()
    return E, status, admissible


# ------------------------------------------------------------------- bootstrap


def _check_seed(seed) -> int:
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(
            f"`seed` must be a non-negative integer (every random draw in hpmob takes an explicit "
            f"seed, e.g. seed=20250902); got {seed!r}."
        )
    return int(seed)


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _bootstrap_plan(plan: _Plan, *, n_boot, seed, n_jobs, progress, warm_start) -> pd.DataFrame:
    children = np.random.SeedSequence(seed).spawn(n_boot)
    items = list(enumerate(children))
    E, status, admissible = _refit_many(
        plan, "bootstrap", items, n_jobs=n_jobs, progress=progress, warm_start=warm_start, desc="bootstrap"
    )
    out = plan.table(E)
    out.index = pd.RangeIndex(n_boot, name="replicate")
    failed = np.flatnonzero(status == _FAILED)
    nonadmissible = np.flatnonzero(~admissible)
    out.attrs.update(
        {
            "n_boot": n_boot,
            "n_ok": int(n_boot - failed.size),
            "n_failed": int(failed.size),
            "failed_replicates": failed.tolist(),
            "n_cold_restarts": int(np.sum(status == _RESTARTED)),
            "n_nonadmissible": int(nonadmissible.size),
            "nonadmissible_replicates": nonadmissible.tolist(),
            "seed": seed,
            "warm_start": bool(warm_start),
        }
    )
    if failed.size:
        warnings.warn(
            f"{failed.size} of {n_boot} bootstrap replicates failed or did not converge "
            f"(replicates {failed[:10].tolist()}{' ...' if failed.size > 10 else ''}); their rows are NaN "
            "and they are excluded from the intervals, as in lavaan.",
            RuntimeWarning,
            stacklevel=3,
        )
    return out


def bootstrap(
    model: str,
    data: pd.DataFrame,
    *,
    n_boot: int,
    seed: int,
    n_jobs: int = 2,
    progress: bool = False,
    warm_start: bool = True,
    estimator: str = "ML",
    meanstructure: bool = False,
    missing: str = "listwise",
) -> pd.DataFrame:
    """Nonparametric (case-resampling) bootstrap of an SEM's free and defined parameters.

    Parameters
    ----------
    model : str
        lavaan model syntax, as for :func:`hpmob.sem.fit` (labels and ``:=`` allowed).
    data : pandas.DataFrame
        One row per respondent. Rows with missing values in the model's variables
        are dropped first (listwise, as ``fit``), and resampling draws from the
        complete rows.
    n_boot : int
        Number of bootstrap replicates (lavaan's ``bootstrap = R``).
    seed : int
        Seed of a :class:`numpy.random.SeedSequence`. Replicate ``r`` resamples
        with ``default_rng(SeedSequence(seed).spawn(n_boot)[r])``, so a replicate
        does not depend on ``n_jobs``, on the batching, or on ``n_boot``. The
        first 200 replicates of ``n_boot=2000`` are those of ``n_boot=200``.
    n_jobs : int
        Worker processes (joblib ``loky``; ``-1`` means all cores). The replicates
        go to the workers in a few batches, not one task per replicate.
    progress : bool
        Show a tqdm progress bar.
    warm_start : bool
        Start each refit from the full-sample estimates and take Newton steps
        (exact analytic Hessian, with Fisher scoring as the fallback) on
        vectorized RAM matrices. This is fast. If the warm start does not
        converge, the replicate is refitted from scratch. ``False`` always refits
        from scratch with ``fit()``'s estimator (start values, optimiser and
        polish), which is slow and meant for checking.
    estimator : {"ML", "MLR"}
        ML and MLR have the same point estimates, so the replicates are the
        same. The argument is accepted so that calls can mirror ``fit()``.
    meanstructure : bool
        As in ``fit()``: add free observed intercepts.
    missing : {"listwise", "ml"}
        ``"ml"`` (alias ``"fiml"``): resample all rows FIML uses, incomplete ones
        included, and refit each replicate by FIML (see
        :mod:`hpmob.sem.fiml_bootstrap`); the columns are then the free
        parameters of ``fit(model, data, missing="ml")`` (with the intercepts).

    Returns
    -------
    pandas.DataFrame
        One row per replicate (index ``replicate``, 0 .. n_boot - 1) and one
        column per free parameter (named as the rows of ``SemResult.vcov``: the
        label, else ``lhs op rhs``), followed by the defined parameters. Failed
        replicates stay in the table as rows of NaN and are not dropped.
        ``.attrs`` holds ``n_ok``, ``n_failed``, ``failed_replicates``,
        ``n_cold_restarts``, ``n_nonadmissible`` and ``nonadmissible_replicates``
        (lavaan's ``post.check``: a negative variance, or a non-positive-definite
        latent covariance or residual covariance matrix; kept, as lavaan keeps
        them), and ``seed``. A ``RuntimeWarning`` reports any failure.

    See Also
    --------
    indirect_effects : intervals for defined parameters from these replicates.

    Notes
    -----
    The full-sample estimate is not stored in the table. It is
    ``fit(model, data).estimates``. A warm-started refit stops after a full
    Newton step smaller than 1e-6, or any step smaller than 1e-10 (relative to
    1 + |theta|). It counts as converged when the gradient of F_ML is below
    1e-6, the criterion ``fit()`` uses. The replicates agree with cold
    ``fit()`` calls on the same resamples to about 1e-8. On lavaan 0.6-14's
    own resamples they agree with lavaan's bootstrap draws to 2e-4, which is
    lavaan's convergence tolerance (``tests/test_sem_indirect.py``).

    The resampling unit is the respondent (row), with replacement, n rows per
    replicate, as lavaan's ``bootstrap = R`` with ``type = "ordinary"``. With
    fixed.x covariates, their fixed (co)variances are recomputed on each
    resample, as lavaan does.

    Examples
    --------
    >>> from hpmob.sem.indirect import bootstrap
    >>> from semopy.examples import political_democracy
    >>> pd_data = political_democracy.get_data()
    >>> model = '''ind60 =~ x1 + x2 + x3
    ... dem60 =~ y1 + y2 + y3 + y4
    ... dem60 ~ a*ind60
    ... '''
    >>> boot = bootstrap(model, pd_data, n_boot=200, seed=1, n_jobs=1)
    >>> boot.shape, round(float(boot["a"].std()), 3), boot.attrs["n_failed"]
    ((200, 15), 0.317, 0)
    """
    n_boot = _check_count(n_boot, "n_boot", 2)
    seed = _check_seed(seed)
    est_name = str(estimator).upper()
    if est_name not in ("ML", "MLR"):
        raise ValueError(f"estimator must be 'ML' or 'MLR', not {estimator!r}.")
    if normalise_missing(missing) == "ml":
        from .fiml_bootstrap import FimlPlan

        pm = parse_model(model, meanstructure=True)
        X, _ = _prepare_data(data, pm, fiml=True)
        full = fit(model, data, missing="ml")
        if not full.converged:
            warnings.warn(
                "The full-sample fit did not reach a stationary point; warm starts begin from it.", stacklevel=2
            )
        plan = FimlPlan(pm, full, X)
        with _one_blas_thread():
            return _bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                   warm_start=warm_start)  # fmt: skip
    pm = parse_model(model, meanstructure=meanstructure)
    X, _ = _prepare_data(data, pm)
    f = _estimate(pm, X)
    if not f.converged:
        warnings.warn(
            "The full-sample fit did not reach a stationary point; warm starts begin from it.", stacklevel=2
        )
    plan = _Plan.build(pm, f, X)
    return _bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress, warm_start=warm_start)


# ------------------------------------------------------------------- intervals


def _norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Bootstrap quantiles as ``boot:::norm.inter`` (which lavaan copies for its CIs).

    The alpha quantile is the order statistic of rank (R + 1) * alpha. If the rank
    is not an integer, the value is interpolated between the neighbouring order
    statistics, linearly on the standard normal quantile scale.
    """
    t = np.sort(t[np.isfinite(t)])
    R = t.size
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    rk = (R + 1) * alpha
    if not np.all((rk > 1) & (rk < R)):
        warnings.warn(
            "extreme order statistics used as endpoints (too few replicates for this level).",
            RuntimeWarning,
            stacklevel=3,
        )
    k = np.trunc(rk).astype(int)
    out = np.empty(alpha.size)
    for n in range(alpha.size):
        if k[n] == rk[n] and 0 < k[n] <= R:
            out[n] = t[k[n] - 1]
        elif k[n] <= 0:
            out[n] = t[0]
        elif k[n] >= R:
            out[n] = t[R - 1]
        else:
            z = stats.norm.ppf([alpha[n], k[n] / (R + 1), (k[n] + 1) / (R + 1)])
            tk, tk1 = t[k[n] - 1], t[k[n]]
            out[n] = tk + (z[0] - z[1]) / (z[2] - z[1]) * (tk1 - tk)
    return out


def _bias_corrected(t: np.ndarray, t0: float, ci: float, a: float) -> tuple[float, float, float]:
    """BC (a = 0; lavaan's bca.simple) or BCa endpoints (Efron 1987) and z0."""
    t = t[np.isfinite(t)]
    prop = np.mean(t < t0)  # strict '<', as boot::bca.ci and lavaan
    if prop <= 0 or prop >= 1:
        return math.nan, math.nan, math.nan
    z0 = stats.norm.ppf(prop)
    zalpha = stats.norm.ppf((1 + np.array([-ci, ci])) / 2)
    adj = stats.norm.cdf(z0 + (z0 + zalpha) / (1 - a * (z0 + zalpha)))
    lo, hi = _norm_inter(t, adj)
    return lo, hi, z0


def _acceleration(L: np.ndarray) -> float:
    """Efron's (1987) a = sum(L^3) / (6 sum(L^2)^1.5) from empirical influence values L."""
    L = L[np.isfinite(L)]
    L = L - L.mean()
    s2 = np.sum(L**2)
    return float(np.sum(L**3) / (6 * s2**1.5)) if s2 > 0 else 0.0


def _influence_values(plan: _Plan, f, names: list[str]) -> np.ndarray:
    """Infinitesimal-jackknife influence values of the defined parameters (n x k).

    The ML estimator's empirical influence is IF_i = H^-1 s_i: s_i is respondent i's
    score and H is the unit observed information (Hessian of F_ML / 2). Of a
    defined parameter it is J IF_i, with J the Jacobian of the := expressions.
    """
    is_cov = np.array([any(pos[0] != "m" for pos in g) for g in f.groups])
    H = _observed_information(f.ram, f.groups, f.theta, is_cov, f.S, f.sigma, f.dmu)
    scores = casewise_scores(f.Yc, f.sigma, f.dS, f.dmu)
    IF = np.linalg.solve(H, scores.T).T  # n x q

    def defined_at(theta):
        vals = {}
        for lab, r in plan.label_row.items():
            k = plan.free_of_row[r]
            vals[lab] = np.array(theta[k] if k >= 0 else plan.est0[r])
        d = plan.evaluate_defined(vals)
        return np.array([float(d[nm]) for nm in names])

    J = jacobian(defined_at, f.theta)
    return IF @ J.T


# ------------------------------------------------------------ indirect effects


def indirect_effects(
    result: SemResult,
    data: pd.DataFrame,
    *,
    defined: str | list[str] | None = None,
    methods=("delta", "montecarlo", "bootstrap"),
    n_boot: int = 2000,
    n_mc: int = 20000,
    ci: float = 0.95,
    seed: int,
    n_jobs: int = 2,
    progress: bool = False,
    acceleration: str = "jackknife",
    replicates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Delta-method, Monte Carlo and bootstrap intervals for defined (``:=``) parameters.

    Parameters
    ----------
    result : SemResult
        The fit, from :func:`hpmob.sem.fit`, of a model with ``:=`` parameters,
        e.g. ``ind := a*b``.
    data : pandas.DataFrame
        The data ``result`` was fitted to. It is checked against the fit, and it is
        resampled for the bootstrap.
    defined : str or list of str, optional
        Defined parameters to report. Default: all of them, in model order.
    methods : sequence of {"delta", "montecarlo", "bootstrap"}
        ``"bootstrap"`` gives three rows per effect: ``bootstrap_percentile``,
        ``bootstrap_bc`` (bias-corrected; lavaan's ``bca.simple``) and
        ``bootstrap_bca`` (bias-corrected and accelerated).
    n_boot : int
        Bootstrap replicates (ignored when ``replicates`` is given).
    n_mc : int
        Monte Carlo draws.
    ci : float
        Confidence level.
    seed : int
        The bootstrap uses ``SeedSequence(seed).spawn(n_boot)``, exactly as
        :func:`bootstrap`. The Monte Carlo draws use ``default_rng(seed)``, the
        root of that SeedSequence, which is independent of its children.
    n_jobs, progress
        Passed to :func:`bootstrap` (and to the jackknife refits).
    acceleration : {"jackknife", "influence"}
        How BCa's acceleration is estimated. ``"jackknife"`` uses the exact
        leave-one-out jackknife of Efron (1987): n warm-started refits, which
        cost about n / n_boot of the bootstrap. ``"influence"`` uses the
        analytic empirical influence values of the ML estimator (the
        infinitesimal jackknife) and needs no refits. It is not available when
        the model has fixed.x covariates, whose fixed moments also vary between
        samples.
    replicates : pandas.DataFrame, optional
        Output of :func:`bootstrap` for the same model, data and seed, to reuse
        an existing bootstrap.

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per effect and method, with columns ``effect, method, est,
        se, ci.lower, ci.upper, n_draws``. ``est`` is always the full-sample
        estimate (as lavaan reports it). ``se`` is the delta-method standard error, or the
        SD of the Monte Carlo draws or of the successful bootstrap replicates
        (divisor n - 1, as lavaan for defined parameters). ``n_draws`` is the
        number of draws or successful replicates behind the interval.
        ``.attrs`` holds ``z0`` (bias correction) and ``acceleration`` per effect,
        and the bootstrap's counts (``n_failed``, ``n_cold_restarts``,
        ``n_nonadmissible``).

    Notes
    -----
    * **delta**: ``est +/- z * se`` with the delta-method standard error from ``result`` (ML
      expected information, or the MLR sandwich). This is lavaan's default
      ``:=`` row.
    * **montecarlo**: draws of the labelled parameters from
      N(theta_hat, vcov) (MacKinnon et al. 2004; Preacher & Selig 2012). The
      interval is the ``ci`` quantiles of the expression over the draws, with
      linear interpolation (R's type 7, numpy's default). This is
      semTools::monteCarloCI's convention.
    * **bootstrap_percentile**: lavaan's ``boot.ci.type = "perc"``
      (``boot:::norm.inter``: rank (R + 1) * alpha with normal-scale
      interpolation; for R = 2000 and 95 % this lies between the 50th and
      51st order statistics).
    * **bootstrap_bc**: lavaan's ``boot.ci.type = "bca.simple"``.
      z0 = qnorm(mean(t < t_hat)), a = 0.
    * **bootstrap_bca**: Efron (1987), with acceleration
      a = sum(L^3) / (6 * sum(L^2)^1.5) from jackknife or influence values L.

    Examples
    --------
    >>> from hpmob.sem import fit
    >>> from hpmob.sem.indirect import indirect_effects
    >>> from semopy.examples import political_democracy
    >>> pd_data = political_democracy.get_data()
    >>> model = '''ind60 =~ x1 + x2 + x3
    ... dem60 =~ y1 + y2 + y3 + y4
    ... dem65 =~ y5 + y6 + y7 + y8
    ... dem60 ~ a*ind60
    ... dem65 ~ c*ind60 + b*dem60
    ... y1 ~~ y5
    ... y2 ~~ y4 + y6
    ... y3 ~~ y7
    ... y4 ~~ y8
    ... y6 ~~ y8
    ... ind := a*b
    ... total := c + a*b
    ... '''
    >>> res = fit(model, pd_data)
    >>> indirect_effects(res, pd_data, defined="ind", n_boot=300, n_mc=5000, seed=1, n_jobs=1).round(3)
      effect                method    est     se  ci.lower  ci.upper  n_draws
    0    ind                 delta  1.242  0.355     0.545     1.938     <NA>
    1    ind            montecarlo  1.242  0.357     0.566     1.973     5000
    2    ind  bootstrap_percentile  1.242  0.354     0.615     1.942      300
    3    ind          bootstrap_bc  1.242  0.354     0.640     2.136      300
    4    ind         bootstrap_bca  1.242  0.354     0.630     2.079      300
    """
    if not isinstance(result, SemResult) or result._state is None:
        raise TypeError("`result` must be the SemResult returned by hpmob.sem.fit().")
    if result.missing != "listwise":
        return _indirect_effects_fiml(result, data, defined=defined, methods=methods, n_boot=n_boot, n_mc=n_mc,
                                      ci=ci, seed=seed, n_jobs=n_jobs, progress=progress, replicates=replicates,
                                      acceleration=acceleration)
    f = result._state
    pm = f.pm
    if not pm.defined:
        raise ValueError(
            "The model has no defined parameters; add one such as 'ind := a*b' (label the paths "
            "with 'a*' and 'b*') and fit again."
        )
    all_defined = [name for name, _ in pm.defined]
    if defined is None:
        names = all_defined
    else:
        names = [defined] if isinstance(defined, str) else list(defined)
        unknown = [n for n in names if n not in all_defined]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a defined parameter of the model (defined: "
                f"{', '.join(all_defined)}).{suggest(unknown[0], all_defined)}"
            )
    if isinstance(methods, str):
        methods = [methods]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {list(methods)!r}.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    if acceleration not in ACCELERATION:
        raise ValueError(f"acceleration must be one of {ACCELERATION}, not {acceleration!r}.")
    seed = _check_seed(seed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit() already reported dropped rows
        X, _ = _prepare_data(data, pm)
    Xc = X - X.mean(axis=0)
    if X.shape[0] != f.N or not np.allclose(Xc.T @ Xc / X.shape[0], f.S, rtol=1e-10, atol=1e-12):
        raise ValueError(
            "`data` is not the data `result` was fitted to (different complete rows or values); "
            "pass the same DataFrame that went into fit()."
        )
    plan = _Plan.build(pm, f, X)
    table = result.estimates.set_index("lhs")
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    records: list[dict] = []
    attrs: dict = {"ci": ci, "seed": seed, "z0": {}, "acceleration": {}}
    est_hat = {n: float(table.loc[n, "est"]) for n in names}

    if "delta" in methods:
        for n in names:
            se = float(table.loc[n, "se"])
            records.append(_record(n, "delta", est_hat[n], se, est_hat[n] - z * se, est_hat[n] + z * se, pd.NA))

    if "montecarlo" in methods:
        n_mc = _check_count(n_mc, "n_mc", 100)
        draws = _monte_carlo(plan, result.vcov.to_numpy(), n_mc, seed)
        q = np.quantile(draws.to_numpy()[:, [list(draws.columns).index(n) for n in names]],
                        [(1 - ci) / 2, (1 + ci) / 2], axis=0)  # fmt: skip
        for j, n in enumerate(names):
            t = draws[n].to_numpy()
            records.append(_record(n, "montecarlo", est_hat[n], float(np.std(t, ddof=1)), q[0, j], q[1, j], n_mc))

    if "bootstrap" in methods:
        if replicates is None:
            n_boot = _check_count(n_boot, "n_boot", 2)
            replicates = _bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                         warm_start=True)  # fmt: skip
        else:
            missing = [n for n in names if n not in replicates.columns]
            if missing:
                raise ValueError(f"`replicates` has no column {missing[0]!r}; pass bootstrap() of this model.")
        attrs.update({k: replicates.attrs[k] for k in ("n_failed", "n_cold_restarts", "n_nonadmissible")
                      if k in replicates.attrs})  # fmt: skip
        L = _jackknife_or_influence(plan, f, names, acceleration, n_jobs=n_jobs, progress=progress)
        alpha = (1 + np.array([-ci, ci])) / 2  # as lavaan writes it, (1 + c(-level, level)) / 2
        for j, n in enumerate(names):
            t = replicates[n].to_numpy(dtype=float)
            t_ok = t[np.isfinite(t)]
            se = float(np.std(t_ok, ddof=1))
            lo, hi = _norm_inter(t_ok, alpha)
            records.append(_record(n, "bootstrap_percentile", est_hat[n], se, lo, hi, t_ok.size))
            lo, hi, z0 = _bias_corrected(t_ok, est_hat[n], ci, 0.0)
            records.append(_record(n, "bootstrap_bc", est_hat[n], se, lo, hi, t_ok.size))
            a = _acceleration(L[:, j])
            lo, hi, _ = _bias_corrected(t_ok, est_hat[n], ci, a)
            records.append(_record(n, "bootstrap_bca", est_hat[n], se, lo, hi, t_ok.size))
            attrs["z0"][n], attrs["acceleration"][n] = float(z0), float(a)
            if not np.isfinite(z0):
                warnings.warn(
                    f"All bootstrap replicates of {n} lie on one side of the estimate; the BC and BCa "
                    "intervals are undefined (NaN).",
                    RuntimeWarning,
                    stacklevel=2,
                )
        attrs["acceleration_method"] = acceleration

    # effect-major, methods in a fixed order, whatever order they were computed in
    method_order = ["delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca"]
    records.sort(key=lambda r: (names.index(r["effect"]), method_order.index(r["method"])))
    out = pd.DataFrame.from_records(records, columns=_OUTPUT_COLUMNS)
    out["n_draws"] = out["n_draws"].astype("Int64")
    out.attrs.update(attrs)
    return out


def _record(effect, method, est, se, lo, hi, n) -> dict:
    return {"effect": effect, "method": method, "est": est, "se": se, "ci.lower": float(lo),
            "ci.upper": float(hi), "n_draws": n}  # fmt: skip


def _monte_carlo(plan: _Plan, vcov: np.ndarray, n_mc: int, seed: int) -> pd.DataFrame:
    """Draws of the defined parameters with theta ~ N(theta_hat, vcov)."""
    # only the free parameters named in := expressions are drawn: their marginal
    # normal is all that matters, and it avoids factoring the whole (possibly
    # near-singular) vcov
    used = sorted({plan.free_of_row[r] for r in plan.label_row.values() if plan.free_of_row[r] >= 0})
    mean = plan.theta0[used]
    V = vcov[np.ix_(used, used)]
    try:
        root = np.linalg.cholesky(V)
    except np.linalg.LinAlgError:
        w, Q = np.linalg.eigh(V)
        root = Q * np.sqrt(np.clip(w, 0, None))
    rng = np.random.default_rng(seed)
    theta = mean + rng.standard_normal((n_mc, len(used))) @ root.T
    col = {k: c for c, k in enumerate(used)}
    values = {}
    for lab, r in plan.label_row.items():
        k = plan.free_of_row[r]
        values[lab] = theta[:, col[k]] if k >= 0 else np.full(n_mc, plan.est0[r])
    return pd.DataFrame(plan.evaluate_defined(values))


def _indirect_effects_fiml(result, data, *, defined, methods, n_boot, n_mc, ci, seed, n_jobs, progress, replicates,
                           acceleration) -> pd.DataFrame:
    """:func:`indirect_effects` of a FIML fit: the same intervals, refits by FIML.

    Delta: the ``:=`` rows of ``result.estimates`` (lavaan's delta-method SEs under
    FIML). Monte Carlo: free parameters drawn from N(theta_hat, vcov). Bootstrap: the
    FIML case-resampling replicates of :func:`bootstrap` (``missing="ml"``), BCa with the
    jackknife acceleration (each row left out once, refitted by FIML; the influence
    shortcut is for complete data only).
    """
    from .fiml_bootstrap import FimlPlan

    pm = parse_model(result.model, meanstructure=True)
    all_defined = [name for name, _ in pm.defined]
    if not all_defined:
        raise ValueError("The model has no defined parameters; add one such as 'ind := a*b' (label the paths "
                         "with 'a*' and 'b*') and fit again.")
    names = all_defined if defined is None else ([defined] if isinstance(defined, str) else list(defined))
    unknown = [n for n in names if n not in all_defined]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a defined parameter of the model (defined: "
                         f"{', '.join(all_defined)}).{suggest(unknown[0], all_defined)}")
    methods = [methods] if isinstance(methods, str) else list(methods)
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {list(methods)!r}.")
    if not (isinstance(ci, (int, float)) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1, e.g. 0.95; got {ci!r}.")
    if acceleration == "influence" and "bootstrap" in methods:
        raise ValueError("acceleration='influence' is for complete-data fits; use acceleration='jackknife' "
                         "with missing='ml'.")
    seed = _check_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit() already reported the rows it did not use
        X, _ = _prepare_data(data, pm, fiml=True)
    if X.shape[0] != result.n:
        raise ValueError("`data` is not the data `result` was fitted to (a different number of usable rows); "
                         "pass the same DataFrame that went into fit().")
    plan = FimlPlan(pm, result, X)
    table = result.estimates.set_index("lhs")
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    est_hat = {n: float(table.loc[n, "est"]) for n in names}
    records: list[dict] = []
    attrs: dict = {"ci": ci, "seed": seed, "z0": {}, "acceleration": {}}
    if "delta" in methods:
        for n in names:
            se = float(table.loc[n, "se"])
            records.append(_record(n, "delta", est_hat[n], se, est_hat[n] - z * se, est_hat[n] + z * se, pd.NA))
    if "montecarlo" in methods:
        n_mc = _check_count(n_mc, "n_mc", 100)
        used = sorted(set(plan.label_theta.values()))
        V = result.vcov.to_numpy()[np.ix_(used, used)]
        try:
            root = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            w, Q = np.linalg.eigh(V)
            root = Q * np.sqrt(np.clip(w, 0, None))
        E = np.tile(plan.est0, (n_mc, 1))
        E[:, used] = plan.est0[used] + np.random.default_rng(seed).standard_normal((n_mc, len(used))) @ root.T
        draws = plan.table(E)
        for n in names:
            t = draws[n].to_numpy()
            lo, hi = np.quantile(t, [(1 - ci) / 2, (1 + ci) / 2])
            records.append(_record(n, "montecarlo", est_hat[n], float(np.std(t, ddof=1)), lo, hi, n_mc))
    if "bootstrap" in methods:
        if replicates is None:
            n_boot = _check_count(n_boot, "n_boot", 2)
            with _one_blas_thread():
                replicates = _bootstrap_plan(plan, n_boot=n_boot, seed=seed, n_jobs=n_jobs, progress=progress,
                                             warm_start=True)  # fmt: skip
        attrs.update({k: replicates.attrs[k] for k in ("n_failed", "n_cold_restarts", "n_nonadmissible")
                      if k in replicates.attrs})  # fmt: skip
        with _one_blas_thread():
            E, status, _ = _refit_many(plan, "jackknife", list(range(X.shape[0])), n_jobs=n_jobs, progress=progress,
                                       warm_start=True, desc="jackknife")  # fmt: skip
        theta_i = plan.table(E)[names].to_numpy(dtype=float, copy=True)
        theta_i[status == _FAILED] = np.nan
        L = (X.shape[0] - 1) * (np.nanmean(theta_i, axis=0) - theta_i)
        alpha = (1 + np.array([-ci, ci])) / 2
        for j, n in enumerate(names):
            t = replicates[n].to_numpy(dtype=float)
            t_ok = t[np.isfinite(t)]
            se = float(np.std(t_ok, ddof=1))
            lo, hi = _norm_inter(t_ok, alpha)
            records.append(_record(n, "bootstrap_percentile", est_hat[n], se, lo, hi, t_ok.size))
            lo, hi, z0 = _bias_corrected(t_ok, est_hat[n], ci, 0.0)
            records.append(_record(n, "bootstrap_bc", est_hat[n], se, lo, hi, t_ok.size))
            a = _acceleration(L[np.isfinite(L[:, j]), j])
            lo, hi, _ = _bias_corrected(t_ok, est_hat[n], ci, a)
            records.append(_record(n, "bootstrap_bca", est_hat[n], se, lo, hi, t_ok.size))
            attrs["z0"][n], attrs["acceleration"][n] = float(z0), float(a)
        attrs["acceleration_method"] = "jackknife"
    method_order = ["delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca"]
    records.sort(key=lambda r: (names.index(r["effect"]), method_order.index(r["method"])))
    out = pd.DataFrame.from_records(records, columns=_OUTPUT_COLUMNS)
    out["n_draws"] = out["n_draws"].astype("Int64")
    out.attrs.update(attrs)
    return out


def _jackknife_or_influence(plan: _Plan, f, names, acceleration, *, n_jobs, progress) -> np.ndarray:
    """Empirical influence values (n x effects) for BCa's acceleration."""
    if acceleration == "influence":
        if plan.pm.ov_x:
            raise ValueError(
                "acceleration='influence' ignores the sampling variability of fixed.x covariates "
                f"({', '.join(plan.pm.ov_x)}); use acceleration='jackknife'."
            )
        return _influence_values(plan, f, names)
    n = plan.X.shape[0]
    E, status, _ = _refit_many(plan, "jackknife", list(range(n)), n_jobs=n_jobs, progress=progress,
                            warm_start=True, desc="jackknife")  # fmt: skip
    theta_i = plan.table(E)[names].to_numpy(dtype=float, copy=True)
    theta_i[status == _FAILED] = np.nan
    # jackknife influence values L_i = (n - 1) (mean of theta_(.) - theta_(-i))
    return (n - 1) * (np.nanmean(theta_i, axis=0) - theta_i)
