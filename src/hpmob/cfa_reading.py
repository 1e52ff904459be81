"""Reading a fitted CFA for the validity measures: its estimates, factors and indicators, checked.

The checks :mod:`hpmob.convergent_validity` and :mod:`hpmob.discriminant_validity` share
before they compute anything from a :class:`hpmob.sem.SemResult`: that it is one, fitted
to one group, with a measurement part and (where the measure needs it) no regressions
between the latent variables. The names are public so that those modules import no
private name, but internal to the package: ``__all__`` lists none of them.

Examples
--------
>>> import pandas as pd
>>> from hpmob.cfa_reading import factor_structure
>>> est = pd.DataFrame({"lhs": ["f", "f"], "op": ["=~", "=~"], "rhs": ["a", "b"]})
>>> factor_structure(est)
(['f'], {'f': ['a', 'b']})
"""

from __future__ import annotations

import pandas as pd

__all__: list[str] = []

#: The definitions of CR and AVE ``method`` chooses from (see :mod:`hpmob.validity`).
METHODS = ("standardized", "model", "observed")


def cfa_estimates(result, func: str) -> pd.DataFrame:
    """Return ``result.estimates`` after checking it is one group's fit with a measurement part."""
    est = getattr(result, "estimates", None)
    if not isinstance(est, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a fitted model from hpmob.sem.fit (a SemResult); got "
            f"{type(result).__name__}."
        )
    need = {"lhs", "op", "rhs", "est", "std.all"}
    if not need <= set(est.columns):
        raise ValueError(f"{func}(): result.estimates lacks column(s) {sorted(need - set(est.columns))}.")
    if "group" in est.columns and est["group"].nunique() > 1:
        raise NotImplementedError(
            f"{func}(): multigroup results are not supported; fit the CFA per group or pooled."
        )
    if not (est["op"] == "=~").any():
        raise ValueError(f"{func}(): the model has no measurement part ('=~' rows); fit a CFA first.")
    return est


def factor_structure(est: pd.DataFrame) -> tuple[list[str], dict[str, list[str]]]:
    """Return the factors in model order and their indicators."""
    load = est[est["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    items = {f: load.loc[load["lhs"] == f, "rhs"].tolist() for f in factors}
    return factors, items


def _has_latent_regressions(est: pd.DataFrame, factors) -> bool:
    reg = est[est["op"] == "~"]
    return bool(reg["lhs"].isin(factors).any() or reg["rhs"].isin(factors).any())


def require_cfa(est, factors, func: str, what: str) -> None:
    """Raise unless the model is a CFA: no regression involves a latent variable."""
    # In a structural model a latent variable's '~~' row is a residual (not
    # total) variance and latent correlations are not parameters, so these
    # statistics would silently be wrong.
    if _has_latent_regressions(est, factors):
        raise ValueError(
            f"{func}(): {what} needs the measurement model (a CFA in which the factors only "
            f"covary), but this model regresses latent variables. Fit the CFA with the same "
            f"'=~' lines and all factors correlated, and pass that result."
        )


def check_method(method: str, func: str) -> None:
    """Raise unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(
            f"{func}(): method must be one of {METHODS} (see the hpmob.validity docstring for "
            f"which semTools call each matches); got {method!r}."
        )
