"""The study's analysis steps, one function each, driven by the analysis plan.

Each step takes the processed responses, the codebook and the plan (and the step's
settings), runs the generic statistics (:mod:`hpmob.reliability`, :mod:`hpmob.efa`,
:mod:`hpmob.validity`, :mod:`hpmob.compare`, :mod:`hpmob.sem`) and returns a
:class:`~hpmob.study.result.StepResult` with its tables, glue values, verdicts and
sentences. The notebooks display these; the claims table, the power analysis, own-export
runs and the in-process variants call the same functions, so there is one analysis.

The steps live in one module per group (:mod:`hpmob.study.steps_data`,
:mod:`~hpmob.study.steps_measurement`, :mod:`~hpmob.study.steps_groups`,
:mod:`~hpmob.study.steps_structural`, with what they share in :mod:`~hpmob.study.steps_common`)
and are re-exported here, so ``steps.cleaning(...)`` and every other name work as before.
"""

from __future__ import annotations

from hpmob.study.steps_common import (  # noqa: F401 (re-exported)
    STATUS_COLUMNS,
    caught,
    claimed,
    fit_model,
    fit_status,
    hyps,
    joined,
    scale_bands,
)
from hpmob.study.steps_data import (  # noqa: F401 (re-exported)
    breakdown_attributes,
    breakdown_rules,
    cleaning,
    descriptives,
    study_cleaning_rules,
)
from hpmob.study.steps_groups import (  # noqa: F401 (re-exported)
    DMACS_COLUMNS,
    FIT_ERRORS,
    LATENT_COLUMNS,
    TREATMENT_COLUMNS,
    comparisons,
    invariance,
    invariance_by_treatment,
    ordinal_invariance,
)
from hpmob.study.steps_measurement import (  # noqa: F401 (re-exported)
    FIT_KEYS,
    ORDINAL_FIT_KEYS,
    ROBUST_KEYS,
    measurement,
)
from hpmob.study.steps_structural import (  # noqa: F401 (re-exported)
    claims,
    structural,
)

__all__ = ["breakdown_attributes", "breakdown_rules", "study_cleaning_rules", "descriptives", "measurement", "invariance",
           "ordinal_invariance", "comparisons", "structural", "claims", "fit_model"]
