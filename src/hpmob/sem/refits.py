"""Bootstrap and jackknife refits of a complete-data SEM: the plan, the batches, the workers (internal).

:class:`Plan` does the index work once (which RAM cell holds which parameter, which rows
are fixed.x moments) so that a refit from a warm start is a handful of numpy calls
(Newton steps with the exact Hessian, Fisher scoring as fallback, a cold ``fit()``-style
refit as the last resort); :func:`refit_many` sends the replicates to loky workers in a
few batches, and :func:`bootstrap_plan` draws the resamples, one
:class:`numpy.random.SeedSequence` child per replicate. :class:`hpmob.sem.fiml_bootstrap.FimlPlan`
is the FIML counterpart of :class:`Plan`. Split out of :mod:`hpmob.sem.indirect`
(issue #20), which holds the public :func:`~hpmob.sem.indirect.bootstrap`.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .blas import one_blas_thread
from .defined import Expression
from .fit import estimate
from .fit_result import param_name
from .structure import Ram
from .syntax import ParsedModel, suggest

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []

#: A replicate's status: converged from the warm start (or from scratch when asked), refitted
#: from scratch after the warm start failed, or failed (a row of NaN).
OK, RESTARTED, FAILED = 0, 1, 2
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
class Plan:
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
    def build(cls, pm: ParsedModel, f, X: np.ndarray) -> Plan:
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
                names[k] = param_name(rows[n])
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
                return est, OK
        # cold start: fit()'s own estimator (start values, optimiser, polish)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = estimate(self.pm, X)
        except Exception:  # noqa: BLE001 - any failure of a resample is a failed replicate
            return np.full(self.est0.shape, np.nan), FAILED
        if not f.converged:
            return np.full(self.est0.shape, np.nan), FAILED
        return np.asarray(f.est, dtype=float), (RESTARTED if warm_start else OK)

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
                vals[name] = out[name] = np.asarray(eval_vec(e.tree, vals), dtype=float)
        return out


def _cho_solve(H: np.ndarray, b: np.ndarray) -> np.ndarray:
    L = np.linalg.cholesky(H)  # raises LinAlgError unless H is positive definite
    return np.linalg.solve(L.T, np.linalg.solve(L, b))


# Vectorized twin of defined.Expression's evaluator: the same whitelist, numpy functions,
# so one call evaluates a := expression on all replicates or Monte Carlo draws at once.
_VEC_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide, ast.Pow: np.power}
_VEC_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_VEC_FUNCS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos, "tan": np.tan}


def eval_vec(node, values):
    if isinstance(node, ast.BinOp):
        return _VEC_BINOPS[type(node.op)](eval_vec(node.left, values), eval_vec(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _VEC_UNARY[type(node.op)](eval_vec(node.operand, values))
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    return _VEC_FUNCS[node.func.id](*(eval_vec(a, values) for a in node.args))


# ------------------------------------------------------------ parallel driver


def run_batch(plan: Plan, kind: str, items: list, warm_start: bool):
    """Refit one batch. Module-level, so that loky can pickle it."""
    with one_blas_thread():
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
            admissible[n] = status[n] == FAILED or plan.admissible(E[n])
        return ids, E, status, admissible


def refit_many(plan: Plan, kind: str, items: list, *, n_jobs, progress, warm_start, desc):
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
            results = (run_batch(plan, kind, b, warm_start) for b in batches)
        else:
            results = joblib.Parallel(n_jobs=n_workers, backend="loky", return_as="generator_unordered")(
                joblib.delayed(run_batch)(plan, kind, b, warm_start) for b in batches
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


def check_seed(seed) -> int:
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(
            f"`seed` must be a non-negative integer (every random draw in hpmob takes an explicit "
            f"seed, e.g. seed=20250902); got {seed!r}."
        )
    return int(seed)


def check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def bootstrap_plan(plan: Plan, *, n_boot, seed, n_jobs, progress, warm_start) -> pd.DataFrame:
    children = np.random.SeedSequence(seed).spawn(n_boot)
    items = list(enumerate(children))
    E, status, admissible = refit_many(
        plan, "bootstrap", items, n_jobs=n_jobs, progress=progress, warm_start=warm_start, desc="bootstrap"
    )
    out = plan.table(E)
    out.index = pd.RangeIndex(n_boot, name="replicate")
    failed = np.flatnonzero(status == FAILED)
    nonadmissible = np.flatnonzero(~admissible)
    out.attrs.update(
        {
            "n_boot": n_boot,
            "n_ok": int(n_boot - failed.size),
            "n_failed": int(failed.size),
            "failed_replicates": failed.tolist(),
            "n_cold_restarts": int(np.sum(status == RESTARTED)),
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
