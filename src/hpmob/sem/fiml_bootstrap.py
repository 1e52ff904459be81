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
too its row is NaN. The plan has the interface of :class:`hpmob.sem.refits.Plan`
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
#: the complete-data bootstrap counts a refit as converged below 1e-6 (``refits._GRAD_TOL``).
GTOL = 1e-6
#: The fast route iterates on until the gradient is below this (or the step is below
#: ``_STEP_TOL`` relative): quasi-Newton steps converge superlinearly, so the last
#: digits cost one or two gradient evaluations.
_TIGHT_GTOL = 1e-10
_STEP_TOL = 1e-12
_MAX_ITER = 200


class FimlPlan:
    """Everything a FIML refit needs; picklable for the worker processes.

    Parameters
    ----------
    pm : ParsedModel
        The model, parsed with a mean structure.
    result : SemResult
        The full-sample FIML fit (``missing="ml"``); its estimates are the warm starts.
    X : numpy.ndarray
        The data matrix of the fit, columns in ``pm.ov`` order, NaN for missing cells.

    Examples
    --------
    >>> import numpy as np
    >>> from semopy.examples import holzinger39
    >>> from hpmob.sem import fit
    >>> from hpmob.sem.fiml_bootstrap import FimlPlan
    >>> from hpmob.sem.syntax import parse_model
    >>> df = holzinger39.get_data()[["x1", "x2", "x3"]]
    >>> df = df.assign(x2=df["x2"].where(df.index > 30))
    >>> model = "f =~ x1 + x2 + x3"
    >>> pm = parse_model(model, meanstructure=True)
    >>> X = df[pm.ov].to_numpy()
    >>> plan = FimlPlan(pm, fit(model, df, missing="ml"), X)
    >>> est, status = plan.refit_rows(np.arange(len(X)))  # every row once: the full-sample estimates
    >>> bool(np.allclose(est, plan.est0, atol=1e-4)), plan.admissible(est)
    (True, True)
    >>> list(plan.table(est[None, :]).columns[:3])
    ['f=~x2', 'f=~x3', 'x1~~x1']
    """

    def __init__(self, pm: ParsedModel, result, X: np.ndarray):
        st = result.state
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
        self._Hinv = self._inverse_hessian(getattr(st, "info", None))

    # ------------------------------------------------------------- fast route
    def _inverse_hessian(self, info: np.ndarray | None = None) -> np.ndarray | None:
        """Inverse Hessian of F = -2 log L / N at the full-sample estimate; None if not positive definite.

        ``info``: the fit's unit observed information, when it has one (a FIML fit computes it
        for its standard errors: the same numerical Hessian of the same objective at the same
        estimate, so reusing it saves one Hessian per plan and changes no bit).
        """
        if info is None or np.shape(info) != (self.est0.size, self.est0.size):
            from .multigroup_estimation import observed_information
            from .multigroup_model import Model

            mdl = Model(self.pm, self.entries, [self.X], fiml=True, h1=False)
            self._fast = mdl.blocks[0]  # kept for the refits in this process
            info = observed_information(mdl, self.est0)
        H = 2 * np.asarray(info, dtype=float)  # twice the unit observed information
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
        from .multigroup_model import Block

        if self._fast is None:
            self._fast = Block(self.pm, self.entries, self.X, fiml=True, h1=False)
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

        Parameters
        ----------
        rows : ndarray of int
            The resample's rows (indices into the data, with repeats).
        k : int
            Position of the free parameter in the parameter vector.

        Returns
        -------
        tuple of float or None
            ``(estimate, standard error)``; None where the fast route does not converge or
            the Hessian is not positive definite along the way (the caller then fits the
            resample itself).

        Examples
        --------
        >>> import numpy as np
        >>> from semopy.examples import political_democracy
        >>> from hpmob.sem import fit
        >>> from hpmob.sem.fiml_bootstrap import FimlPlan
        >>> from hpmob.sem.fit import prepare_data
        >>> from hpmob.sem.syntax import parse_model
        >>> d = political_democracy.get_data()
        >>> m = "ind60 =~ x1 + x2 + x3\\ndem60 =~ y1 + y2 + y3 + y4\\ndem60 ~ ind60"
        >>> res = fit(m, d, missing="ml")
        >>> pm = parse_model(res.model, meanstructure=True)
        >>> plan = FimlPlan(pm, res, prepare_data(d, pm, fiml=True)[0])
        >>> k = list(res.vcov.index).index("dem60~ind60")
        >>> est, se = plan.refit_rows_se(np.arange(len(d)), k)  # the full sample: the fit itself
        >>> row = res.estimates.query("lhs == 'dem60' and op == '~'").iloc[0]
        >>> bool(np.isclose(est, row["est"], rtol=1e-6)), bool(np.isclose(se, row["se"], rtol=1e-5))
        (True, True)
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
        """Refit the resample made of the data's rows ``rows`` (indices, repeats allowed).

        Parameters
        ----------
        rows : numpy.ndarray
            Row indices into the plan's data.
        warm_start : bool
            Try the weighted quasi-Newton refit from the full-sample estimates first (no copy of
            the data); fall back on :meth:`refit` of the resampled rows.

        Returns
        -------
        tuple of (numpy.ndarray, int)
            As :meth:`refit`.

        Examples
        --------
        >>> import numpy as np
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem import fit
        >>> from hpmob.sem.fiml_bootstrap import FimlPlan
        >>> from hpmob.sem.syntax import parse_model
        >>> df = holzinger39.get_data()[["x1", "x2", "x3"]]
        >>> df = df.assign(x2=df["x2"].where(df.index > 30))
        >>> pm = parse_model("f =~ x1 + x2 + x3", meanstructure=True)
        >>> X = df[pm.ov].to_numpy()
        >>> plan = FimlPlan(pm, fit("f =~ x1 + x2 + x3", df, missing="ml"), X)
        >>> rows = np.random.default_rng(1).integers(0, len(X), len(X))  # one bootstrap resample
        >>> est, status = plan.refit_rows(rows)
        >>> bool(np.abs(est - plan.est0).max() > 0), bool(np.isfinite(est).all())
        (True, True)
        """
        from .refits import OK

        if warm_start:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    theta, ok = self._weighted_fit(np.bincount(rows, minlength=self.X.shape[0]))
            except (ValueError, RuntimeError, np.linalg.LinAlgError):
                ok = False
            if ok:
                return theta, OK
        return self.refit(self.X[rows], warm_start)

    def refit(self, X: np.ndarray, warm_start: bool = True) -> tuple[np.ndarray, int]:
        """Refit the model to a resampled data matrix, from the full-sample estimates if asked.

        Parameters
        ----------
        X : numpy.ndarray
            The resampled rows (columns as the plan's data).
        warm_start : bool
            Start the quasi-Newton refit at the full-sample estimates; if that fails, or when
            False, estimate from scratch.

        Returns
        -------
        tuple of (numpy.ndarray, int)
            The estimates (NaN when the refit failed) and the status code of
            :mod:`hpmob.sem.indirect` (ok, restarted from scratch, failed).

        Examples
        --------
        >>> import numpy as np
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem import fit
        >>> from hpmob.sem.fiml_bootstrap import FimlPlan
        >>> from hpmob.sem.syntax import parse_model
        >>> df = holzinger39.get_data()[["x1", "x2", "x3"]]
        >>> df = df.assign(x2=df["x2"].where(df.index > 30))
        >>> pm = parse_model("f =~ x1 + x2 + x3", meanstructure=True)
        >>> X = df[pm.ov].to_numpy()
        >>> plan = FimlPlan(pm, fit("f =~ x1 + x2 + x3", df, missing="ml"), X)
        >>> rows = np.random.default_rng(1).integers(0, len(X), len(X))  # one bootstrap resample
        >>> est, status = plan.refit(X[rows], warm_start=False)  # from scratch
        >>> est.shape == plan.est0.shape, bool(np.isfinite(est).all())
        (True, True)
        """
        from .multigroup_estimation import estimate, improper, optimize
        from .multigroup_model import Model
        from .refits import FAILED, OK, RESTARTED

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if warm_start:
                    mdl = Model(self.pm, self.entries, [X], fiml=True, h1=False)
                    theta, _, ok = optimize(mdl, self.est0.copy(), gtol=GTOL)
                    if ok:
                        self._admissible = not improper(mdl, theta)
                        return theta, OK
                mdl = Model(self.pm, self.entries, [X], fiml=True)
                theta, ok, _ = estimate(mdl)
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            ok = False
        if not ok:
            self._admissible = False
            return np.full(self.est0.shape, np.nan), FAILED
        self._admissible = not improper(mdl, theta)
        return theta, (RESTARTED if warm_start else OK)

    def admissible(self, est: np.ndarray) -> bool:
        """Tell whether the replicate just refitted is admissible.

        Parameters
        ----------
        est : numpy.ndarray
            Its estimates.

        Returns
        -------
        bool
            True when the refit had no negative variance, a positive-definite latent covariance
            matrix and finite estimates.

        Examples
        --------
        >>> import numpy as np
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem import fit
        >>> from hpmob.sem.fiml_bootstrap import FimlPlan
        >>> from hpmob.sem.syntax import parse_model
        >>> df = holzinger39.get_data()[["x1", "x2", "x3"]]
        >>> df = df.assign(x2=df["x2"].where(df.index > 30))
        >>> pm = parse_model("f =~ x1 + x2 + x3", meanstructure=True)
        >>> X = df[pm.ov].to_numpy()
        >>> plan = FimlPlan(pm, fit("f =~ x1 + x2 + x3", df, missing="ml"), X)
        >>> rows = np.random.default_rng(1).integers(0, len(X), len(X))  # one bootstrap resample
        >>> est, status = plan.refit_rows(rows)
        >>> plan.admissible(est)
        True
        """
        return bool(self._admissible and np.all(np.isfinite(est)))

    def table(self, E: np.ndarray) -> pd.DataFrame:
        """Name the replicates' estimates and add the defined parameters.

        Parameters
        ----------
        E : numpy.ndarray
            Shape (R, q): one row of free-parameter estimates per replicate.

        Returns
        -------
        DataFrame
            One column per free parameter (named as ``result.vcov``) and per defined
            parameter (``:=``), evaluated on each row.

        Examples
        --------
        >>> import numpy as np
        >>> from semopy.examples import holzinger39
        >>> from hpmob.sem import fit
        >>> from hpmob.sem.fiml_bootstrap import FimlPlan
        >>> from hpmob.sem.syntax import parse_model
        >>> df = holzinger39.get_data()[["x1", "x2", "x3"]]
        >>> df = df.assign(x2=df["x2"].where(df.index > 30))
        >>> pm = parse_model("f =~ x1 + x2 + x3", meanstructure=True)
        >>> X = df[pm.ov].to_numpy()
        >>> plan = FimlPlan(pm, fit("f =~ x1 + x2 + x3", df, missing="ml"), X)
        >>> rows = np.random.default_rng(1).integers(0, len(X), len(X))  # one bootstrap resample
        >>> plan.table(np.vstack([plan.est0, plan.refit_rows(rows)[0]])).shape
        (2, 9)
        """
        from .refits import eval_vec

        out = {name: E[:, k] for k, name in enumerate(self.free_names)}
        vals = {lab: E[:, k] for lab, k in self.label_theta.items()}
        vals.update({lab: np.full(E.shape[0], v) for lab, v in self.label_fixed.items()})
        for name, text in self.defined:
            e = Expression(name, text)
            with np.errstate(all="ignore"):
                vals[name] = out[name] = np.asarray(eval_vec(e.tree, vals), dtype=float)
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
