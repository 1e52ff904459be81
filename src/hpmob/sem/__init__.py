"""Structural equation models with lavaan's conventions and output.

``fit`` is the one entry, shaped like lavaan's ``sem()``: a model in lavaan syntax
and a DataFrame give a :class:`SemResult` (with ``group=``, a
:class:`MultigroupResult`) whose tables use lavaan's names and row order, so that
results can be compared line by line with R (see ``tests/test_sem_*.py``).

What is computed where:

* Single-group fits with complete data (listwise) are estimated by hpmob's own
  engine (moment/FABIN 3 starts, Fisher scoring, BFGS, a Fisher-scoring polish).
  semopy is only the fallback start where that route fails or ends improper (its
  SLSQP stops about 1e-3 from the optimum, so hpmob polishes it the same way).
  Standard errors, robust corrections, fit measures, standardized solutions,
  defined parameters and modification indices are hpmob's own code.
* Multigroup fits (:func:`fit_multigroup`; semopy cannot constrain parameters equal
  across groups), full-information ML for incomplete data (``missing="ml"``, see
  :mod:`hpmob.sem.fiml`), bootstrap refits and the ordinal fits are hand-written
  (numpy/scipy) and never call semopy.
* :func:`invariance` runs the configural → metric → scalar → strict sequence and
  :func:`partial_invariance_search` frees the constraint with the largest score test
  until the criterion holds; a step that did not converge is "not estimable".

Every fit pins BLAS to one thread (:mod:`hpmob.sem.blas`) and reports
``converged``, the reason if not, and improper solutions (Heywood cases,
non-positive-definite latent covariances).

Examples
--------
>>> from hpmob.sem import fit, modification_indices  # doctest: +SKIP
>>> res = fit("f =~ x1 + x2 + x3", df)  # doctest: +SKIP
>>> fiml = fit("f =~ x1 + x2 + x3", df, missing="ml")  # doctest: +SKIP
>>> mg = fit("f =~ x1 + x2 + x3", df, group="school", group_equal=("loadings",))  # doctest: +SKIP
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
