"""Case-resampling bootstrap of single-group FIML fits (``bootstrap(..., missing="ml")``).

Each replicate draws N rows with replacement from the rows FIML uses (incomplete ones
included, as lavaan's ``bootstrap`` with ``missing = "ml"``), and refits from the
full-sample estimate: Fisher scoring then BFGS on the casewise likelihood, without the
EM step for the saturated model (only the estimates are needed). A replicate whose warm
start fails is refitted cold (moment / FABIN 3 starts); if that fails too its row is NaN.
The plan has the interface of :class:`hpmob.sem.indirect._Plan`, so batching, seeding
and the replicate table are those of the complete-data bootstrap.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .defined import Expression
from .syntax import ParsedModel

__all__ = ["FimlPlan", "GTOL"]

#: A warm-started refit stops when no gradient element of F = -2 log L / N exceeds this;
#: the complete-data bootstrap counts a refit as converged below 1e-6 (``indirect._GRAD_TOL``).
GTOL = 1e-6


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
