"""The whole study in one process: every step of :mod:`hpmob.study.steps` on one data set.

The notebooks run the steps one per notebook (with figures and explanations); this runs
the same functions in sequence without a kernel, for the in-process variants
(:func:`hpmob.variants.run_variant_in_process`), the tests and quick reruns. The claims
table it returns is the one notebook 06 writes from the notebooks' tables.
"""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook
from hpmob.study import steps
from hpmob.study.plan import AnalysisPlan

__all__ = ["run_study", "STEP_SETTINGS"]

#: Notebook parameters the in-process run understands, by the step that takes them.
STEP_SETTINGS = {
    "descriptives": ("min_items", "min_cell", "agree_threshold"),
    "measurement": ("estimator", "seed", "n_iter", "run_ordinal"),
    "structural": ("methods", "n_boot", "n_mc", "seed", "n_jobs", "controls"),
    "comparisons": ("min_cell",),
}


def run_study(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, measurement: bool = True,
              comparisons: bool = True, ordinal: bool = True, **settings) -> dict:
    """Run descriptives, measurement, invariance (ML and ordinal), comparisons, structural and claims.

    Parameters
    ----------
    responses : DataFrame
        Processed responses (:func:`hpmob.clean.clean_export`).
    codebook, plan
        The instrument and the analysis plan.
    measurement, comparisons : bool
        Skip the steps no claim depends on (the EFA/CFA chapter, the observed-score
        comparisons) when only the claims table is wanted.
    ordinal : bool
        Also judge the latent-mean hypotheses with the items as ordinal
        (:func:`~hpmob.study.steps.ordinal_invariance`; the claims table's ``ordinal_*`` columns
        stay empty without it).
    **settings
        Step settings by name (:data:`STEP_SETTINGS`), e.g. ``methods=("delta",)``,
        ``n_boot=1000``, ``agree_threshold=0.75``, ``estimator="MLR"``.

    Returns
    -------
    dict
        ``{step name: StepResult}``; ``result["claims"].tables["claims"]`` is the claims table.

    Examples
    --------
    >>> from hpmob.clean import clean_export
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> from hpmob.study.run import run_study
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> responses = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")).responses
    >>> out = run_study(responses, codebook, plan, measurement=False, comparisons=False, ordinal=False,
    ...                 methods=("delta",))
    >>> sorted(out), "claims" in out["claims"].tables
    (['claims', 'descriptives', 'invariance', 'structural'], True)
    """
    known = {k for ks in STEP_SETTINGS.values() for k in ks}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"run_study: unknown setting(s) {', '.join(unknown)}; use {', '.join(sorted(known))}")

    def kw(step):
        return {k: settings[k] for k in STEP_SETTINGS[step] if k in settings}

    plan = plan.with_settings(agree_threshold=settings.get("agree_threshold"))
    out = {"descriptives": steps.descriptives(responses, codebook, plan, **kw("descriptives"))}
    if measurement:
        out["measurement"] = steps.measurement(responses, codebook, plan, **kw("measurement"))
    level = ""
    if plan.grouping:
        out["invariance"] = steps.invariance(responses, codebook, plan)
        level = out["invariance"].verdicts["level"]
        if ordinal:
            out["ordinal_invariance"] = steps.ordinal_invariance(responses, codebook, plan, ml=out["invariance"])
        if comparisons:
            out["comparisons"] = steps.comparisons(responses, codebook, plan, **kw("comparisons"))
    if plan.structural_regressions:
        out["structural"] = steps.structural(responses, codebook, plan, **kw("structural"))
    tables = {name: t for r in out.values() for name, t in r.tables.items()}
    out["claims"] = steps.claims(plan, codebook, tables, invariance_level=level)
    return out
