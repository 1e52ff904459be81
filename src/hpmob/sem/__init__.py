"""Structural equation models with lavaan's conventions, estimated by semopy.

``fit`` takes a model in lavaan syntax and a DataFrame and returns a
:class:`SemResult` whose tables use lavaan's names and row order, so that
results can be compared line by line with R (see ``tests/test_sem_fit.py``).
Single-group models only; multigroup models are separate work.

Examples
--------
>>> from hpmob.sem import fit, modification_indices  # doctest: +SKIP
>>> res = fit("f =~ x1 + x2 + x3", df)  # doctest: +SKIP
>>> res.fit_measures[["chisq", "df", "cfi", "rmsea", "srmr"]]  # doctest: +SKIP
"""

from .fit import ESTIMATORS, RMSEA_CI_LEVEL, RMSEA_CLOSE_H0, SemResult, fit
from .modindices import modification_indices

__all__ = ["fit", "SemResult", "modification_indices", "ESTIMATORS", "RMSEA_CI_LEVEL", "RMSEA_CLOSE_H0"]
