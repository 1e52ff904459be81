"""Every sentence that states a result, in English and Vietnamese, generated from verdicts.

The notebooks and the book never type a result into prose: they glue these sentences.
Each function takes the numbers and verdicts a step computed and returns
``{"en": ..., "vi": ...}``; a sentence cannot say what its numbers contradict because it
is built from them.

The sentences live in one module per subject (:mod:`hpmob.study.sentences_data`,
:mod:`~hpmob.study.sentences_measurement`, :mod:`~hpmob.study.sentences_groups`,
:mod:`~hpmob.study.sentences_structural`, :mod:`~hpmob.study.sentences_multiverse`,
:mod:`~hpmob.study.sentences_power`) and are
re-exported here, so ``from hpmob.study import sentences as S`` reaches every one.
"""

from __future__ import annotations

from hpmob.study.phrasing import bilingual, verdict_word
from hpmob.study.sentences_data import (  # noqa: F401 (re-exported)
    alpha_range,
    cleaning_flow,
    group_means,
    group_sizes,
    model_n,
    reverse_items_item_rest,
    share_verdict,
    welch,
)
from hpmob.study.sentences_groups import (  # noqa: F401 (re-exported)
    dmacs_freed,
    invariance_sequence,
    latent_contrasts,
    latent_mean_verdict,
    ordinal_claims,
    ordinal_latent_verdict,
    ordinal_partial,
    ordinal_recodes,
    ordinal_sample,
    partial_search,
)
from hpmob.study.sentences_measurement import (  # noqa: F401 (re-exported)
    cfa_fit,
    harman,
    modification_indices,
    ordinal,
    ordinal_fit,
    suitability,
    validity,
    weakest_loading,
)
from hpmob.study.sentences_multiverse import (  # noqa: F401 (re-exported)
    joint_test,
    multiverse_equivalents,
    multiverse_flip,
    multiverse_fragility,
    multiverse_grid,
    multiverse_joint_status,
)
from hpmob.study.sentences_power import (  # noqa: F401 (re-exported)
    power_bound,
    power_bounds,
    power_effect_label,
    power_requirements,
)
from hpmob.study.sentences_structural import (  # noqa: F401 (re-exported)
    claims_summary,
    indirect_verdict,
    not_estimable,
    path_verdict,
    r2,
    sem_fit,
)

__all__ = ["bilingual", "verdict_word"]
