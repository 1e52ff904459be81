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

The engine's modules, by job (the public functions stay importable where they were;
modules whose ``__all__`` is empty are internal to the package):

* single group: :mod:`~hpmob.sem.fit` (entry, data, estimation),
  :mod:`~hpmob.sem.fit_result` (``SemResult``, fit measures, estimates table),
  :mod:`~hpmob.sem.semopy_route` (the semopy fallback);
* multigroup: :mod:`~hpmob.sem.multigroup` (entry, data),
  :mod:`~hpmob.sem.multigroup_model` (parameter table, moments, derivatives),
  :mod:`~hpmob.sem.multigroup_estimation` (starts, optimiser, information),
  :mod:`~hpmob.sem.multigroup_result` (``MultigroupResult``, fit measures, estimates);
* shared: :mod:`~hpmob.sem.syntax`, :mod:`~hpmob.sem.structure` (RAM matrices),
  :mod:`~hpmob.sem.information` (information matrices, sandwich, Yuan-Bentler),
  :mod:`~hpmob.sem.standardize`, :mod:`~hpmob.sem.measures` (fit indices),
  :mod:`~hpmob.sem.fiml` (the FIML likelihood);
* on top: :mod:`~hpmob.sem.invariance` and :mod:`~hpmob.sem.constraint_tests`,
  :mod:`~hpmob.sem.indirect` with :mod:`~hpmob.sem.refits` and
  :mod:`~hpmob.sem.intervals`, :mod:`~hpmob.sem.fiml_bootstrap`, the ordinal fits
  (:mod:`~hpmob.sem.polychoric`, :mod:`~hpmob.sem.ordinal`,
  :mod:`~hpmob.sem.ordinal_multigroup`, :mod:`~hpmob.sem.ordinal_invariance`).

Examples
--------
>>> from semopy.examples import holzinger39
>>> from hpmob.sem import fit, modification_indices
>>> df = holzinger39.get_data()
>>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"
>>> res = fit(model, df)
>>> res.fit_measures[["chisq", "df", "cfi", "rmsea", "srmr"]].round(3)
chisq    24.361
df        8.000
cfi       0.975
rmsea     0.082
srmr      0.047
Name: value, dtype: float64
>>> modification_indices(res, top=1)[["lhs", "op", "rhs"]]
  lhs  op rhs
0  x2  ~~  x3
>>> incomplete = df.assign(x2=df["x2"].where(df.index > 30))  # x2 missing in the first 30 rows
>>> fiml = fit(model, incomplete, missing="ml")
>>> int(fiml.fit_measures["ntotal"]), fiml.missing
(301, 'ml')
>>> mg = fit(model, df, group="school", group_equal=("loadings",))
>>> type(mg).__name__, round(float(mg.fit_measures["chisq"]), 3)
('MultigroupResult', 38.947)
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
