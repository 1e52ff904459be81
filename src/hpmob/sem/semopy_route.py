"""The semopy route of a single-group fit: semopy's SLSQP solution polished by Fisher scoring (internal).

:func:`hpmob.sem.fit` starts from hpmob's own engine; where that fails or ends improper,
:class:`SemopyEngine` builds the semopy model of lavaan's parameter table, fits it
(objective ``MLW``) and polishes the solution to a tight stationary point, because SLSQP
stops about 1e-3 from the optimum. Split out of :mod:`hpmob.sem.fit` (issue #20).
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import pandas as pd

from .fit_result import ml_discrepancy
from .information import expected_information, ml_gradient
from .syntax import ParsedModel

# the package's engine, not a user API: nothing here is exported
__all__: list[str] = []


class SemopyEngine:
    """The semopy model plus the mapping between its parameters and lavaan's."""

    def __init__(self, pm: ParsedModel, free_of_row: list[int], X: np.ndarray):
        import semopy

        self.safe = {v: f"o{i}" for i, v in enumerate(pm.ov)}
        self.safe.update({v: f"l{i}" for i, v in enumerate(pm.lv)})
        lines = []
        cov_free: list[int] = []
        for r, k in zip(pm.rows, free_of_row):
            if r.op == "~1" or r.exo:
                continue  # saturated means are handled analytically; fixed.x rows are semopy's START
            if k >= 0:
                mult = f"p{k}"
                cov_free.append(k)
            else:
                mult = repr(float(r.ustart))
            lhs, rhs = self.safe[r.lhs], self.safe[r.rhs]
            lines.append(f"{lhs} {r.op} {mult}*{rhs}")
        # semopy fixes covariances among its exogenous observed variables at their sample
        # values unless told otherwise; lavaan only does so within ov.x (fixed.x)
        sem_exo = self._semopy_obs_exo(pm)
        have = {(r.lhs, r.rhs) for r in pm.rows if r.op == "~~"}
        for a in sem_exo:
            for b in sem_exo:
                if a < b and (a, b) not in have and (b, a) not in have and not (a in pm.ov_x and b in pm.ov_x):
                    lines.append(f"{self.safe[a]} ~~ 0.0*{self.safe[b]}")
        self.description = "\n".join(lines)
        self.cov_free = sorted(set(cov_free))
        with quiet_semopy():
            self.model = semopy.Model(self.description, cov_diag=True)
        # semopy's start_lambda loops forever for a factor without a fixed loading
        # (e.g. ``f =~ NA*x1 + x2`` with ``f ~~ 1*f``); point it at the first indicator
        for f in pm.lv:
            if self.model.first_manifs.get(self.safe[f]) is None:
                first = next(r.rhs for r in pm.rows if r.op == "=~" and r.lhs == f)
                if first in pm.ov:
                    self.model.first_manifs[self.safe[f]] = self.safe[first]
        self.data = pd.DataFrame(X, columns=[self.safe[v] for v in pm.ov])
        self.ov = pm.ov

    @staticmethod
    def _semopy_obs_exo(pm: ParsedModel) -> list[str]:
        ins = {r.rhs for r in pm.rows if r.op == "=~"} | {r.lhs for r in pm.rows if r.op == "~"}
        outs = {r.rhs for r in pm.rows if r.op == "~"} | {r.lhs for r in pm.rows if r.op == "=~"}
        return [v for v in pm.ov if v in outs and v not in ins]

    def fit(self):
        with quiet_semopy():
            res = self.model.fit(self.data, obj="MLW", solver="SLSQP")
        sm = self.model
        self.active = [n for n, prm in sm.parameters.items() if prm.active]
        expected = [f"p{k}" for k in self.cov_free]
        if sorted(self.active) != sorted(expected):
            raise RuntimeError(
                "internal error: semopy's free parameters do not match lavaan's parameter table "
                f"({sorted(self.active)} vs {sorted(expected)})."
            )
        obs = sm.vars["observed"]
        self.perm = [obs.index(self.safe[v]) for v in self.ov]
        self.S = sm.mx_cov[np.ix_(self.perm, self.perm)]
        return res

    def evaluate(self, x):
        sm = self.model
        sm.update_matrices(x)
        sigma, (m, c) = sm.calc_sigma()
        grads = sm.calc_sigma_grad(m, c)
        ix = np.ix_(self.perm, self.perm)
        p0 = sigma.shape[0]
        G = np.stack([np.broadcast_to(np.asarray(g, dtype=float), (p0, p0))[ix] for g in grads])
        return sigma[ix], G

    def objective(self, x) -> float:
        sigma, _ = self.evaluate(x)
        return ml_discrepancy(sigma, self.S)

    def polish(self, x, max_iter: int = 100) -> tuple[np.ndarray, bool]:
        """Fisher scoring from semopy's solution to a tight stationary point."""
        x = np.array(x, dtype=float)
        f = self.objective(x)
        for _ in range(max_iter):
            sigma, G = self.evaluate(x)
            g = ml_gradient(sigma, self.S, G)
            J = 2 * expected_information(sigma, G)
            try:
                step = np.linalg.solve(J, -g)
            except np.linalg.LinAlgError:
                break
            found = backtrack(self.objective, x, f, step)
            if found is None:
                break
            x_new, f_new = found
            moved, x, f = x_new - x, x_new, f_new
            if np.max(np.abs(moved)) < 1e-11 * (1 + np.max(np.abs(x))):
                break
        sigma, G = self.evaluate(x)
        g = ml_gradient(sigma, self.S, G)
        return x, bool(np.isfinite(f) and np.max(np.abs(g)) < 1e-6)


def backtrack(objective, x: np.ndarray, f: float, step: np.ndarray):
    """Halve ``step`` until the objective does not increase (to 1e-14 relative); ``None`` if it
    still does at a step of 1e-6 (the Newton/Fisher direction is then no descent direction)."""
    t = 1.0
    while t > 1e-6:
        x_new = x + t * step
        f_new = objective(x_new)
        if np.isfinite(f_new) and f_new <= f + 1e-14 * max(1.0, abs(f)):
            return x_new, f_new
        t /= 2
    return None


@contextlib.contextmanager
def quiet_semopy():
    """semopy logs warnings through the root logger; hpmob reports problems itself."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
