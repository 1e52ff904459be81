"""Exploratory factor loadings: minres or ML extraction, rotated, with factors named by their items.

:mod:`hpmob.efa` re-exports :func:`efa_loadings` and :class:`EFASolution`, which is where
to import them from.

Examples
--------
>>> from semopy.examples import holzinger39
>>> hs = holzinger39.get_data()[["x1", "x2", "x3", "x4", "x5", "x6"]]
>>> efa_loadings(hs, 2).loadings.columns.tolist()
['F1', 'F2', 'communality', 'uniqueness', 'primary']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize

from .checks import item_correlation
from .factor_input import check_positive_definite, prepare_factor_items

__all__ = ["EFASolution", "efa_loadings"]


EFA_METHODS = ("minres", "ml")


# factor_analyzer bounds uniquenesses below at 0.005 (as psych's minres); a
# solution on the bound is a Heywood case.
_UNIQUENESS_FLOOR = 0.005


class EFASolution(NamedTuple):
    """Result of :func:`efa_loadings`; unpack as ``loadings, phi = efa_loadings(...)``.

    Parameters
    ----------
    loadings : pandas.DataFrame
        Items × (factors, communality, uniqueness, primary[, construct]).
    phi : pandas.DataFrame
        Factor correlation matrix (identity for orthogonal or no rotation).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from hpmob.efa import efa_loadings
    >>> hs = holzinger39.get_data()
    >>> solution = efa_loadings(hs[[f"x{i}" for i in range(1, 10)]], 3)
    >>> type(solution).__name__, solution.loadings.shape, solution.phi.shape
    ('EFASolution', (9, 6), (3, 3))
    """

    #: Items × (factors, communality, uniqueness, primary[, construct]).
    loadings: pd.DataFrame
    #: Factor correlation matrix (identity for orthogonal or no rotation).
    phi: pd.DataFrame


def _item_constructs(constructs, items, func: str) -> dict[str, str]:
    """Normalize item → construct or construct → items to item → construct for ``items``."""
    if not isinstance(constructs, Mapping) or not constructs:
        raise TypeError(
            f"{func}(): constructs must be a non-empty dict, either item → construct "
            f"({{'x1': 'F1', ...}}) or construct → items ({{'F1': ['x1', ...]}})."
        )
    values = list(constructs.values())
    if all(isinstance(v, str) for v in values):
        mapping = {str(k): v for k, v in constructs.items()}
    elif all(isinstance(v, Iterable) and not isinstance(v, (str, bytes)) for v in values):
        mapping = {}
        for c, its in constructs.items():
            for it in its:
                if it in mapping and mapping[it] != c:
                    raise ValueError(f"{func}(): item {it!r} is listed under both {mapping[it]!r} and {c!r}.")
                mapping[it] = c
    else:
        raise TypeError(
            f"{func}(): constructs mixes the two forms; give either item → construct "
            f"(str values) or construct → items (list values)."
        )
    # Entries for items not analysed are ignored, so the codebook's full
    # mapping can be passed for a subset of items.
    out = {it: mapping[it] for it in items if it in mapping}
    if not out:
        raise ValueError(
            f"{func}(): none of the items {list(items)[:5]}… appears in constructs; check the item names."
        )
    return out


def _label_factors(L: np.ndarray, item_construct: dict, items: list) -> list:
    """Assign each construct to at most one factor (the one most of its items load on).

    counts[f, c] = number of items of construct c whose largest |loading| is
    on factor f. A one-to-one assignment maximizing the counts (Hungarian
    algorithm; ties broken by the sum of |loadings|) avoids two factors
    claiming the same construct. Factors that win no item keep no label.
    """
    k = L.shape[1]
    cons = list(dict.fromkeys(item_construct.values()))
    primary = np.abs(L).argmax(axis=1)
    counts = np.zeros((k, len(cons)))
    mass = np.zeros((k, len(cons)))
    for i, it in enumerate(items):
        if it in item_construct:
            c = cons.index(item_construct[it])
            counts[primary[i], c] += 1
            mass[:, c] += np.abs(L[i])
    score = counts + mass / (mass.sum() + 1.0)  # the tie-breaker stays below 1
    rows, cols = optimize.linear_sum_assignment(score, maximize=True)
    labels: list = [None] * k
    for f, c in zip(rows, cols):
        if counts[f, c] >= 1:
            labels[f] = cons[c]
    return labels


def efa_loadings(
    data: pd.DataFrame,
    n_factors: int,
    *,
    rotation: str | None = "oblimin",
    method: str = "minres",
    constructs: Mapping | None = None,
    nan_policy: str = "pairwise",
) -> EFASolution:
    """Exploratory factor analysis: rotated loadings, communalities, factor correlations.

    Factors are extracted from the correlation matrix by ``factor_analyzer``
    (minres or ML, as ``psych::fa``) and rotated with its ``Rotator``.
    Columns are then signed so that each factor's loadings sum to a positive
    number (psych's convention) and ordered: by construct when ``constructs``
    is given, else by variance explained, ``diag(Φ Lᵀ L)``, as psych does.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents × items.
    n_factors : int
        Number of factors (1 ≤ n_factors < number of items), e.g. from
        :func:`parallel_analysis`.
    rotation : str or None, default "oblimin"
        ``"oblimin"`` (quartimin, GPArotation's default), ``"promax"``,
        ``"quartimin"``, ``"geomin_obl"`` (oblique); ``"varimax"``,
        ``"quartimax"``, ``"equamax"``, ``"oblimax"``, ``"geomin_ort"``
        (orthogonal); ``None`` or ``"none"`` for the unrotated solution.
        Survey constructs correlate, so an oblique rotation is the default.
    method : {"minres", "ml"}, default "minres"
        Extraction: minimum residual (psych's default) or maximum likelihood.
    constructs : dict, optional
        Item → construct (``{"x1": "visual"}``) or construct → items
        (``{"visual": ["x1", ...]}``). Each factor is then named after the construct with
        the most items loading highest on it (one factor per construct);
        factors claimed by no construct are named ``F1``, ``F2``, … by
        position. Columns follow the order of the constructs. Entries for
        items not in ``data`` are ignored.
    nan_policy : {"pairwise", "listwise"}, default "pairwise"
        As in :func:`kmo`.

    Returns
    -------
    EFASolution
        A named tuple ``(loadings, phi)``:

        * ``loadings`` — index ``item``; optional column ``construct``; one
          column per factor (pattern loadings); ``communality``
          (``diag(L Φ Lᵀ)``, psych's ``h2``), ``uniqueness`` (1 − h2, psych's
          ``u2``) and ``primary`` (the factor with the largest |loading|).
        * ``phi`` — factor correlations (identity for orthogonal rotations).

    Warns
    -----
    UserWarning
        If the model has negative degrees of freedom (too many factors for
        the items) or a uniqueness sits on its lower bound (Heywood case).

    Notes
    -----
    Against ``psych::fa(x, nfactors = 3, rotate = "oblimin")`` on
    HolzingerSwineford1939 the loadings, factor correlations and
    communalities agree to about 1e-5 for both minres and ML (both programs
    stop the rotation at a gradient norm of 1e-5).

    Examples
    --------
    >>> from hpmob.efa import efa_loadings
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> groups = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...           "speed": ["x7", "x8", "x9"]}
    >>> loadings, phi = efa_loadings(hs[[f"x{i}" for i in range(1, 10)]], 3,
    ...                              constructs=groups)
    >>> loadings.loc["x4", ["visual", "textual", "speed"]].round(2).tolist()
    [0.02, 0.85, 0.01]
    >>> round(float(phi.loc["visual", "textual"]), 2)
    0.32
    """
    # factor_analyzer is imported here: it pulls in scikit-learn, which the
    # rest of hpmob.efa does not need.
    from factor_analyzer import FactorAnalyzer
    from factor_analyzer.rotator import OBLIQUE_ROTATIONS, POSSIBLE_ROTATIONS, Rotator

    func = "efa_loadings"
    if method not in EFA_METHODS:
        raise ValueError(f"{func}(): method must be one of {EFA_METHODS}; got {method!r}.")
    if isinstance(rotation, str) and rotation.lower() == "none":
        rotation = None
    if rotation is not None and rotation not in POSSIBLE_ROTATIONS:
        raise ValueError(f"{func}(): rotation must be None or one of {POSSIBLE_ROTATIONS}; got {rotation!r}.")
    x = prepare_factor_items(data, func=func, nan_policy=nan_policy)
    n, p = x.shape
    if not isinstance(n_factors, (int, np.integer)) or isinstance(n_factors, bool) or not 1 <= n_factors < p:
        raise ValueError(f"{func}(): n_factors must be an integer from 1 to {p - 1} for {p} items; got {n_factors!r}.")
    k = int(n_factors)
    dof = ((p - k) ** 2 - (p + k)) / 2
    if dof < 0:
        warnings.warn(
            f"{func}(): {k} factors for {p} items leave {dof:g} degrees of freedom; the model is "
            f"not identified and the loadings are arbitrary. Extract fewer factors.",
            UserWarning,
            stacklevel=2,
        )
    items = list(x.columns)
    item_construct = _item_constructs(constructs, items, func) if constructs is not None else None
    R = item_correlation(x, func)
    check_positive_definite(R, items, func)

    fa = FactorAnalyzer(n_factors=k, rotation=None, method=method, is_corr_matrix=True)
    fa.fit(R)
    L = np.asarray(fa.loadings_, dtype=float)
    phi = np.eye(k)
    if rotation is not None and k > 1:
        rot = Rotator(method=rotation)
        L = rot.fit_transform(L)
        if rotation in OBLIQUE_ROTATIONS and rot.phi_ is not None:
            phi = np.asarray(rot.phi_, dtype=float)
    signs = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L = L * signs
    phi = phi * np.outer(signs, signs)
    h2 = np.einsum("ij,jk,ik->i", L, phi, L)

    variance = np.diag(phi @ L.T @ L)
    order = list(np.argsort(-variance, kind="stable"))
    labels: list = [None] * k
    if item_construct is not None:
        labels = _label_factors(L, item_construct, items)
        cons = list(dict.fromkeys(item_construct.values()))
        labelled = sorted((f for f in range(k) if labels[f] is not None), key=lambda f: cons.index(labels[f]))
        order = labelled + [f for f in order if labels[f] is None]
    names = [labels[f] if labels[f] is not None else f"F{pos + 1}" for pos, f in enumerate(order)]
    L = L[:, order]
    phi = phi[np.ix_(order, order)]

    out = pd.DataFrame(L, index=pd.Index(items, name="item"), columns=names)
    out["communality"] = h2
    out["uniqueness"] = 1.0 - h2
    out["primary"] = [names[j] for j in np.abs(L).argmax(axis=1)]
    if item_construct is not None:
        out.insert(0, "construct", [item_construct.get(it) for it in items])
    heywood = [it for it, u in zip(items, 1.0 - h2) if u <= _UNIQUENESS_FLOOR + 1e-6]
    if heywood:
        warnings.warn(
            f"{func}(): uniqueness of {heywood} is at its lower bound {_UNIQUENESS_FLOOR} (Heywood "
            f"case); the solution is improper. Try fewer factors or method='minres'.",
            UserWarning,
            stacklevel=2,
        )
    return EFASolution(out, pd.DataFrame(phi, index=names, columns=names))
