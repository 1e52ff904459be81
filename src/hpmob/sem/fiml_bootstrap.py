"""Case-resampling bootstrap of single-group FIML fits (``bootstrap(..., missing="ml")``).

Each replicate draws N rows with replacement from the rows FIML uses (incomplete ones
included, as lavaan's ``bootstrap`` with ``missing = "ml"``), and refits from the
full-sample estimate, without the EM step for the saturated model (only the estimates
are needed). The fast route never builds the resample: its rows are rows of the data,
so its missing-data patterns are the data's with new counts, and the likelihood is
evaluated casewise with the resample's multiplicities as weights
(:func:`hpmob.sem.fiml.minus2_loglik_weighted`). The iteration is quasi-Newton (BFGS)
starting from the full-sample Hessian of F, which is within O(1/sqrt(N)) of every
resample's, so a refit takes about 6-10 gradient evaluations, against about 15
evaluations plus 8 information matrices for Fisher scoring (the complete-data
information is a poor scoring matrix when a fifth of the values are missing). It stops
on the gradient (1e-10), not on F, so the replicate equals a tightly converged fit of
the resample to about 1e-9 (``tests/test_sem_fiml_bootstrap.py``).

Where the fast route fails, the replicate is refitted as before: Fisher scoring then
BFGS on the resample's own patterns, then cold (moment / FABIN 3 starts); if that fails
too its row is NaN. The plan has the interface of :class:`hpmob.sem.indirect._Plan`
(plus ``refit_rows``), so batching, seeding and the replicate table are those of the
complete-data bootstrap.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from .defined import Expression
from .syntax import ParsedModel

__all__ = ["FimlPlan", "GTOL"]

#: A warm-started refit stops when no gradient element of F = -2 log L / N exceeds this;
#: the complete-data bootstrap counts a refit as converged below 1e-6 (``indirect._GRAD_TOL``).
GTOL = 1e-6
#: The fast route iterates on until the gradient is below this (or the step is below
#: ``_STEP_TOL`` relative): quasi-Newton steps converge superlinearly, so the last
#: digits cost one or two gradient evaluations.
_TIGHT_GTOL = 1e-10
_STEP_TOL = 1e-12
_MAX_ITER = 200


class FimlPlan:
    """Everything a FIML refit needs; picklable for the worker processes."""

    def __init__(self, pm: ParsedModel, result, X: np.ndarray):
        st = result._state
        self.pm = pm
        self.entries = st.entries
        self.X = X
        self.est0 = np.asarray(st.theta, dtype=float).copy()
        self.free_names = list(result.vcov.index)
        self.defined = list(pm.defined)
        self.label_theta = {}
        self.label_fixed = {}
        for e in self.entries:
            lab = e.row.label
            if lab and lab not in self.label_theta and lab not in self.label_fixed:
                if e.theta >= 0:
                    self.label_theta[lab] = e.theta
                else:
                    self.label_fixed[lab] = e.value
        self._admissible = True
        self._fast = None
        self._Hinv = self._inverse_hessian()

    # ------------------------------------------------------------- fast route
    def _inverse_hessian(self) -> np.ndarray | None:
        """Inverse Hessian of F = -2 log L / N at the full-sample estimate; None if not positive definite."""
        from .multigroup import _Model, _observed_information

        mdl = _Model(self.pm, self.entries, [self.X], fiml=True, h1=False)
        self._fast = mdl.blocks[0]  # kept for the refits in this process
        H = 2 * _observed_information(mdl, self.est0)  # twice the unit observed information
        H = (H + H.T) / 2
        try:
            np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            return None  # the fast route is off; every replicate takes the Fisher-scoring route
        return np.linalg.inv(H)

    def __getstate__(self):  # the workers rebuild the data's patterns themselves (milliseconds)
        state = dict(self.__dict__)
        state["_fast"] = None
        return state

    def _weighted_functions(self, w: np.ndarray):
        """``(fun, grad, N)`` of the resample with row multiplicities ``w``: ``fun(theta)`` is
        F = -2 log L / N, ``grad()`` its gradient at the last point passed to ``fun``."""
        from .fiml import Resample, minus2_loglik_weighted
        from .multigroup import _Block

        if self._fast is None:
            self._fast = _Block(self.pm, self.entries, self.X, fiml=True, h1=False)
        blk = self._fast
        pt = blk.patterns
        rs = Resample(pt, np.asarray(w, dtype=float)[pt.kept])
        N = rs.n
        q = self.est0.size
        ti = blk.theta_idx

        def fun(theta):
            blk.set(theta)
            m2ll, Q, r = minus2_loglik_weighted(blk.sigma, blk.mu, pt, rs)
            if not np.isfinite(m2ll):
                return math.inf
            blk.fiml_Q, blk.fiml_r = Q / N, r / N
            return m2ll / N

        def grad():
            g = np.zeros(q)
            np.add.at(g, ti, blk.gradient())
            return g

        return fun, grad, N

    def _weighted_fit(self, w: np.ndarray) -> tuple[np.ndarray, bool]:
        """Quasi-Newton refit of the resample with row multiplicities ``w`` (over the data's rows)."""
        Hinv0 = self._Hinv
        if Hinv0 is None:
            return self.est0, False
        fun, grad, _ = self._weighted_functions(w)
        blk = self._fast

        theta = self.est0.copy()
        f = fun(theta)
        if not np.isfinite(f):
            return theta, False
        g = grad()
        H, fresh = Hinv0.copy(), True
        for _ in range(_MAX_ITER):
            if np.max(np.abs(g)) < _TIGHT_GTOL:
                break
            step = -H @ g
            slope = float(g @ step)
            if not slope < 0:
                if fresh:
                    break
                H, fresh = Hinv0.copy(), True
                continue
            # Armijo, with F allowed to rise by rounding only: near the optimum F changes by
            # less than its precision and the gradient decides (as fit()'s polish)
            t, f_new = 1.0, math.inf
            while t > 1e-10:
                f_new = fun(theta + t * step)
                if np.isfinite(f_new) and f_new <= f + 1e-4 * t * slope + 1e-14 * max(1.0, abs(f)):
                    break
                t /= 2
            else:
                fun(theta)
                if fresh:
                    break
                H, fresh = Hinv0.copy(), True
                continue
            s = t * step
            theta = theta + s
            f = f_new
            g_new = grad()
            y, g = g_new - g, g_new
            fresh = False
            sy = float(s @ y)
            if sy > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):  # BFGS update of the inverse Hessian
                rho = 1.0 / sy
                Hy = H @ y
                H += (rho * rho * float(y @ Hy) + rho) * np.outer(s, s)
                H -= rho * (np.outer(Hy, s) + np.outer(s, Hy))
            if np.max(np.abs(s)) < _STEP_TOL * (1 + np.max(np.abs(theta))):
                break
        ok = bool(np.isfinite(fun(theta)) and np.max(np.abs(grad())) < GTOL)
        if ok:
            p = blk.p
            self._admissible = not (np.any(np.diag(blk.P) < 0)
                                    or (blk.nv > p and np.linalg.eigvalsh(blk.V[p:, p:])[0] <= 0))  # fmt: skip
        return theta, ok

    def refit_rows_se(self, rows: np.ndarray, k: int) -> tuple[float, float] | None:
        """Estimate and standard error of free parameter ``k`` in the resample of rows ``rows``.

        What :func:`hpmob.sem.fit` with ``missing="ml"`` reports for that parameter on the
        resampled data (the observed information, lavaan's default with FIML), without the
        resample's copy, its EM step or the full numeric Hessian: the fast route refits
        (:meth:`refit_rows`), then ``(H^-1)_kk`` of the Hessian H of F comes from conjugate
        gradients on ``H x = e_k`` with Hessian-vector products by central differences of
        the analytic gradient (step 1e-5, as fit()'s Hessian columns), preconditioned by the
        full-sample inverse Hessian, which is within O(1/sqrt(N)) of H: a few products
        instead of the 2q gradients of the full Hessian. ``se = sqrt(2 (H^-1)_kk / N)``
        (fit(): vcov = inverse unit information / N, unit information = H / 2). Agrees
        with fit() to about 1e-8 relative (``tests/test_sem_fiml_bootstrap.py``).

        Returns None where the fast route does not converge or the Hessian is not
        positive definite along the way; the caller then fits the resample itself.
        """
        Hinv0 = self._Hinv
        if Hinv0 is None:
            return None
        w = np.bincount(rows, minlength=self.X.shape[0])
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                theta, ok = self._weighted_fit(w)
                if not ok or not self._admissible:
                    return None
                fun, grad, N = self._weighted_functions(w)
                x = _pcg_inverse_column(fun, grad, theta, k, Hinv0)
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            return None
        fun(theta)  # leave the block at the estimate
        if x is None or not x[k] > 0:
            return None
        return float(theta[k]), float(math.sqrt(2.0 * x[k] / N))

    def refit_rows(self, rows: np.ndarray, warm_start: bool = True) -> tuple[np.ndarray, int]:
        """Refit the resample made of the data's rows ``rows`` (indices, repeats allowed)."""
        from .indirect import _OK

        if warm_start:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    theta, ok = self._weighted_fit(np.bincount(rows, minlength=self.X.shape[0]))
            except (ValueError, RuntimeError, np.linalg.LinAlgError):
                ok = False
            if ok:
                return theta, _OK
        return self.refit(self.X[rows], warm_start)

    def refit(self, X: np.ndarray, warm_start: bool = True) -> tuple[np.ndarray, int]:
        from .indirect import _FAILED, _OK, _RESTARTED
        from .multigroup import _estimate, _improper, _Model, _optimize

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if warm_start:
                    mdl = _Model(self.pm, self.entries, [X], fiml=True, h1=False)
                    theta, _, ok = _optimize(mdl, self.est0.copy(), gtol=GTOL)
                    if ok:
                        self._admissible = not _improper(mdl, theta)
                        return theta, _OK
                mdl = _Model(self.pm, self.entries, [X], fiml=True)
                theta, ok, _ = _estimate(mdl)
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            ok = False
        if not ok:
            self._admissible = False
            return np.full(self.est0.shape, np.nan), _FAILED
        self._admissible = not _improper(mdl, theta)
        return theta, (_RESTARTED if warm_start else _OK)

    def admissible(self, est: np.ndarray) -> bool:
        """Of the replicate just refitted: no negative variance, PD latent covariance matrix."""
        return bool(self._admissible and np.all(np.isfinite(est)))

    def table(self, E: np.ndarray) -> pd.DataFrame:
        from .indirect import _eval_vec

        out = {name: E[:, k] for k, name in enumerate(self.free_names)}
        vals = {lab: E[:, k] for lab, k in self.label_theta.items()}
        vals.update({lab: np.full(E.shape[0], v) for lab, v in self.label_fixed.items()})
        for name, text in self.defined:
            e = Expression(name, text)
            with np.errstate(all="ignore"):
                vals[name] = out[name] = np.asarray(_eval_vec(e.tree, vals), dtype=float)
        return pd.DataFrame(out)


#: Step of the central differences of the gradient (fit()'s observed information uses 1e-5).
_HV_STEP = 1e-5
#: Conjugate gradients stop when the residual of ``H x = e_k`` is this small (relative).
_CG_TOL = 1e-10


def _pcg_inverse_column(fun, grad, theta: np.ndarray, k: int, M: np.ndarray) -> np.ndarray | None:
    """Column ``k`` of the inverse Hessian of ``fun`` at ``theta``, by preconditioned conjugate
    gradients (preconditioner ``M``, an approximate inverse Hessian); None if H is not
    positive definite along the search or the iteration does not converge."""

    def hv(v):
        nv = float(np.linalg.norm(v))
        u = v / nv
        if not np.isfinite(fun(theta + _HV_STEP * u)):
            raise ValueError("objective not finite")
        g_r = grad()
        if not np.isfinite(fun(theta - _HV_STEP * u)):
            raise ValueError("objective not finite")
        return (g_r - grad()) * (nv / (2 * _HV_STEP))

    q = theta.size
    b = np.zeros(q)
    b[k] = 1.0
    x = M[:, k].copy()  # the preconditioner's own answer as the start
    r = b - hv(x)
    z = M @ r
    d = z.copy()
    rz = float(r @ z)
    for _ in range(q):
        if np.linalg.norm(r) < _CG_TOL:
            return x
        Hd = hv(d)
        curv = float(d @ Hd)
        if not curv > 0:
            return None
        a = rz / curv
        x += a * d
        r -= a * Hd
        z = M @ r
        rz_new = float(r @ z)
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x if np.linalg.norm(r) < _CG_TOL else None
