"""Structural equation models with lavaan's conventions, estimated by semopy.

``fit`` takes a model in lavaan syntax and a DataFrame and returns a
:class:`SemResult` whose tables use lavaan's names and row order, so that
results can be compared line by line with R (see ``tests/test_sem_fit.py``).
Multigroup models with cross-group equality constraints (which semopy cannot fit)
are estimated by :func:`fit_multigroup`; :func:`invariance` runs the configural →
metric → scalar → strict sequence and :func:`partial_invariance_search` frees the
constraint with the largest score test until the criterion holds.

Examples
--------
>>> from hpmob.sem import fit, modification_indices  # doctest: +SKIP
>>> res = fit("f =~ x1 + x2 + x3", df)  # doctest: +SKIP
>>> res.fit_measures[["chisq", "df", "cfi", "rmsea", "srmr"]]  # doctest: +SKIP
"""

from .bollen_stine import bollen_stine_transform, impose_zero_path
from .fit import ESTIMATORS, RMSEA_CI_LEVEL, RMSEA_CLOSE_H0, SemResult, fit
from .indirect import bootstrap, indirect_effects
from .invariance import invariance, latent_mean_differences, partial_invariance_search, release_order, score_tests
from .modindices import modification_indices
from .multigroup import MultigroupResult, fit_multigroup

__all__ = [
    "fit", "SemResult", "modification_indices", "ESTIMATORS", "RMSEA_CI_LEVEL", "RMSEA_CLOSE_H0",
    "fit_multigroup", "MultigroupResult", "invariance", "latent_mean_differences",
    "partial_invariance_search", "release_order", "score_tests", "bootstrap", "indirect_effects",
    "bollen_stine_transform", "impose_zero_path",
]
