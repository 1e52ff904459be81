"""The preparation EFA's procedures share: the item frame checked, and its correlation matrix usable.

:func:`prepare_factor_items` applies the NaN policy and refuses too few rows or items
without variance; :func:`check_positive_definite` names the items of a singular correlation
matrix; :func:`smc` and :func:`eigenvalues` are the pieces parallel analysis and the factor
extraction both use. The names are public so that :mod:`hpmob.efa`,
:mod:`hpmob.sampling_adequacy` and :mod:`hpmob.factor_loadings` import no private name, but
internal to the package: ``__all__`` lists none of them.

Examples
--------
>>> import numpy as np
>>> from hpmob.factor_input import smc
>>> smc(np.array([[1.0, 0.5], [0.5, 1.0]])).round(2).tolist()
[0.25, 0.25]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .checks import as_item_frame, check_nan_policy

__all__: list[str] = []


def prepare_factor_items(data, *, func: str, nan_policy: str, min_items: int = 2) -> pd.DataFrame:
    """Return the validated item frame, the NaN policy applied, after checking rows and variances."""
    check_nan_policy(nan_policy, func)
    x = as_item_frame(data, func=func, min_items=min_items)
    answered = ~np.isnan(x.to_numpy())
    if not answered.all():
        # A row that answered nothing carries no information under either policy.
        keep = answered.all(axis=1) if nan_policy == "listwise" else answered.any(axis=1)
        x = x.loc[keep]
    n, p = x.shape
    if n <= p:
        raise ValueError(
            f"{func}(): {n} usable row(s) for {p} items"
            f"{' after listwise deletion' if nan_policy == 'listwise' else ''}; the "
            f"correlation matrix of p items is singular unless there are more than p "
            f"respondents (and factor analysis wants many more: at least 5-10 per item)."
        )
    values = x.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column, reported below
        const = [c for c, lo, hi in zip(x.columns, np.nanmin(values, 0), np.nanmax(values, 0)) if not lo < hi]
    if const:
        raise ValueError(
            f"{func}(): item(s) {const} have zero variance (or no answers), so their "
            f"correlations are undefined. Drop them before the analysis."
        )
    return x


def check_positive_definite(R: np.ndarray, columns, func: str) -> None:
    """Raise if R is (numerically) singular, naming the items involved."""
    evals, evecs = np.linalg.eigh(R)
    if evals[0] > 1e-10 * max(evals[-1], 1.0):
        return
    v = evecs[:, 0]
    involved = [c for c, w in zip(columns, v) if abs(w) > 0.1 * np.abs(v).max()]
    raise ValueError(
        f"{func}(): the correlation matrix is singular or not positive definite (smallest "
        f"eigenvalue {evals[0]:.3g}): items {involved} are (nearly) linearly dependent, e.g. a "
        f"duplicated item or a total score among the items"
        + (", or pairwise deletion produced an inconsistent matrix (try nan_policy='listwise')"
           if evals[0] < -1e-10 else "")
        + ". Drop the redundant item."
    )


def smc(R: np.ndarray) -> np.ndarray:
    """Return the squared multiple correlations 1 − 1/diag(R⁻¹); works on a stack of matrices."""
    return 1.0 - 1.0 / np.diagonal(np.linalg.inv(R), axis1=-2, axis2=-1)


def eigenvalues(R: np.ndarray, method: str) -> np.ndarray:
    """Return the eigenvalues (descending) of R, or of R with SMCs on the diagonal for 'fa'."""
    if method == "fa":
        R = R.copy()
        d = smc(R)
        idx = np.arange(R.shape[-1])
        R[..., idx, idx] = d
    return np.linalg.eigvalsh(R)[..., ::-1]
