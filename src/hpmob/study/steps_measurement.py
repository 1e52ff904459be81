"""The measurement step: suitability, CFA, reliability and validity, method checks.

Part of :mod:`hpmob.study.steps`, which re-exports every public name here.
"""

from __future__ import annotations

import pandas as pd

from hpmob import criteria
from hpmob.codebook import Codebook
from hpmob.score import (
    reverse_key,
)
from hpmob.study import sentences as S
from hpmob.study.models import measurement_syntax
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult
from hpmob.study.steps_common import (
    STATUS_COLUMNS,
    fit_model,
    fit_status,
)

__all__ = ["measurement"]


FIT_KEYS = ["npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
            "rmsea.pvalue", "srmr", "logl", "aic", "bic"]
#: lavaan's WLSMV fit measures reported for the ordinal CFA (scaled-shifted test, scaled indices)
ORDINAL_FIT_KEYS = ["npar", "chisq.scaled", "df", "pvalue.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"]
ROBUST_KEYS = ["chisq.scaled", "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust"]


def measurement(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, estimator: str | None = None,
                seed: int = 20250902, n_iter: int = 100, run_ordinal: bool = True) -> StepResult:
    """EFA checks, the CFA of the plan's constructs, validity, modification indices,
    Harman's check and the ordinal sensitivity check.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    estimator : str, optional
        Replace the plan's estimator for the CFA.
    seed : int
        Seed of the parallel analysis.
    n_iter : int
        Simulated data sets of the parallel analysis.
    run_ordinal : bool
        Also fit the DWLS (polychoric) CFA of the ordinal sensitivity check.

    Returns
    -------
    StepResult
        EFA suitability and loadings, CFA fit, loadings, validity, HTMT, modification
        indices, Harman's check and the ordinal comparison, with glue values and sentences.

    Examples
    --------
    >>> from hpmob.clean import clean_export
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> from hpmob.study import load_plan, steps
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> responses = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")).responses
    >>> res = steps.measurement(responses, codebook, plan, n_iter=10, run_ordinal=False)
    >>> {"cfa_fit", "cfa_loadings", "validity"} <= set(res.tables), isinstance(res.verdicts["cfa_meets_cutoffs"], bool)
    (True, True)
    """
    from scipy import stats

    from hpmob.efa import efa_loadings, parallel_analysis, suitability_table
    from hpmob.sem import modification_indices
    from hpmob.sem.ordinal import fit_dwls_cfa
    from hpmob.validity import fornell_larcker, htmt, standardized_loadings, validity_table

    estimator = estimator or plan.estimation["estimator"]
    constructs = {c: codebook.items_of(c) for c in plan.constructs}
    items = [i for its in constructs.values() for i in its]
    keyed = reverse_key(responses, codebook)
    complete = keyed[items].dropna()
    res = StepResult("measurement")
    res.glue.update(n_analysed=len(keyed), n_constructs=len(constructs), n_items=len(items),
                    n_complete=len(complete), pct_complete=100 * len(complete) / len(keyed))

    suit = suitability_table(complete, seed=seed, n_iter=n_iter)
    res.tables["efa_suitability"] = suit
    row = suit.iloc[0]
    res.glue.update(kmo=float(row["kmo"]), bartlett_chisq=float(row["bartlett_chisq"]),
                    bartlett_df=int(row["bartlett_df"]), n_factors_parallel=int(row["n_factors_parallel"]),
                    n_components_parallel=int(row["n_components_parallel"]))
    # the figure shows the common-factor analysis whose count the text reports; Harman's
    # check needs the first principal component
    res.objects["parallel_fa"] = parallel_analysis(complete, seed=seed, n_iter=n_iter, method="fa")
    pa_pc = parallel_analysis(complete, seed=seed, n_iter=n_iter, method="pca")
    res.sentences["suitability"] = S.suitability(
        row["kmo"], bool(row["kmo_ok"]), row["bartlett_chisq"], int(row["bartlett_df"]), bool(row["bartlett_ok"]),
        int(row["n_factors_parallel"]), int(row["n_components_parallel"]), len(constructs))

    efa = efa_loadings(complete, len(constructs), rotation="oblimin", constructs=constructs)
    res.tables["efa_loadings"] = efa.loadings
    res.index_tables.add("efa_loadings")
    res.objects["efa"] = efa
    cols = [c for c in efa.loadings.columns if c in efa.phi.columns]
    # the display hides loadings below .30, the usual salience cut
    res.objects["efa_display"] = efa.loadings[cols].where(efa.loadings[cols].abs() >= 0.30).join(
        efa.loadings[["communality"]]).style.format(precision=2, na_rep="")

    cfa, cfa_msgs = fit_model(measurement_syntax(codebook, plan.constructs), keyed[items], plan, estimator=estimator)
    res.objects["cfa"] = cfa
    res.glue.update(cfa_n=int(cfa.n), cfa_missing=plan.estimation["missing"])
    res.sentences["cfa_n"] = S.model_n("The CFA", "Mô hình CFA", int(cfa.n), len(keyed), plan.estimation["missing"])
    fm = cfa.fit_measures
    keys = FIT_KEYS + (ROBUST_KEYS if estimator == "MLR" else [])
    res.tables["cfa_fit"] = fm[keys].rename("value").to_frame()
    res.index_tables.add("cfa_fit")
    for k in keys:
        res.glue[f"cfa_{k.replace('.', '_')}"] = float(fm[k])
    res.glue["cfa_chisq_df"] = float(fm["chisq"] / fm["df"])
    meets = all([criteria.judge(fm["cfi"], "CFI_MIN"), criteria.judge(fm["tli"], "TLI_MIN"),
                 criteria.judge(fm["rmsea"], "RMSEA_MAX"), criteria.judge(fm["srmr"], "SRMR_MAX")])
    res.verdicts["cfa_meets_cutoffs"] = meets
    res.glue["cfa_verdict"] = "meets" if meets else "does not meet"
    res.sentences["cfa_fit"] = S.cfa_fit(meets, fm["df"], fm["chisq"], fm["chisq"] / fm["df"], fm["cfi"], fm["tli"],
                                         fm["rmsea"], fm["rmsea.ci.lower"], fm["rmsea.ci.upper"], fm["srmr"])

    loadings = standardized_loadings(cfa)
    res.tables["cfa_loadings"] = loadings
    weakest = str(loadings.loc[loadings["std_all"].idxmin(), "item"])
    res.glue.update(loading_min=float(loadings["std_all"].min()), loading_min_item=weakest)
    res.sentences["weakest_loading"] = S.weakest_loading(res.glue["loading_min"], weakest,
                                                         weakest in codebook.reverse_items)

    val = validity_table(cfa, complete, constructs)
    res.tables["validity"] = val
    fl = fornell_larcker(cfa)
    res.tables["fornell_larcker"] = fl
    ave_ok = criteria.judge(val["ave"], "AVE_MIN")
    res.glue.update(cr_min=float(val["cr"].min()), ave_min=float(val["ave"].min()), n_ave_ok=int(ave_ok.sum()),
                    n_fl_ok=int(fl["passes"].sum()), htmt_max=float(val["max_htmt"].max()))
    res.verdicts["n_ave_ok"] = int(ave_ok.sum())
    res.sentences["validity"] = S.validity(
        res.glue["cr_min"], bool(criteria.judge(val["cr"], "CR_MIN").all()), res.glue["n_ave_ok"], len(constructs),
        res.glue["ave_min"], res.glue["n_fl_ok"], res.glue["htmt_max"],
        bool(criteria.judge(val["max_htmt"].max(), "HTMT_MAX")))
    res.tables["htmt"] = htmt(complete, constructs)
    res.index_tables.add("htmt")

    # modification indices are score tests of the complete-data likelihood: under FIML they come
    # from the same CFA fitted to the complete answers (the sentence says so)
    mi_fit = cfa if cfa.missing != "ml" else fit_model(measurement_syntax(codebook, plan.constructs), keyed[items], plan,
                                                       estimator=estimator, missing="listwise")[0]
    res.glue["mi_fit_n"] = int(mi_fit.n)
    all_mi = modification_indices(mi_fit, top=None)
    critical = float(stats.chi2.ppf(1 - 0.05 / len(all_mi), 1))
    mi = all_mi.head(10)
    res.tables["cfa_modindices"] = mi
    res.glue.update(mi_max=float(mi["mi"].iloc[0]), mi_max_param=f"{mi['lhs'].iloc[0]} {mi['op'].iloc[0]} "
                    f"{mi['rhs'].iloc[0]}", mi_n=len(all_mi), mi_critical=critical,
                    mi_n_over=int((all_mi["mi"] > critical).sum()))
    res.sentences["modindices"] = S.modification_indices(res.glue["mi_max"], res.glue["mi_max_param"], len(all_mi),
                                                         critical, res.glue["mi_n_over"],
                                                         int(mi_fit.n) if mi_fit is not cfa else None)

    first_share = float(pa_pc["observed"].iloc[0] / len(items))
    one, one_msgs = fit_model("G =~ " + " + ".join(items), keyed[items], plan, estimator="ML")
    res.tables["cfa_status"] = pd.DataFrame([fit_status(cfa, "CFA", cfa_msgs), fit_status(one, "one factor", one_msgs)],
                                            columns=STATUS_COLUMNS)
    ofm = one.fit_measures
    res.tables["harman"] = pd.DataFrame({
        "model": ["one factor", f"{len(constructs)} factors"], "chisq": [ofm["chisq"], fm["chisq"]],
        "df": [ofm["df"], fm["df"]], "cfi": [ofm["cfi"], fm["cfi"]], "rmsea": [ofm["rmsea"], fm["rmsea"]],
        "srmr": [ofm["srmr"], fm["srmr"]]})
    dominates = bool(first_share >= 0.5 or ofm["cfi"] >= criteria.CFI_ACCEPTABLE)
    res.verdicts["general_factor_dominates"] = dominates
    res.glue.update(harman_first_share=100 * first_share, harman_one_cfi=float(ofm["cfi"]),
                    harman_one_rmsea=float(ofm["rmsea"]),
                    harman_verdict="a general factor may dominate the answers" if dominates else
                    "no general factor dominates",
                    harman_fit_phrase="fits about as well as" if dominates else "fits far worse than")
    res.sentences["harman"] = S.harman(100 * first_share, dominates, ofm["cfi"], ofm["rmsea"], len(constructs))

    if run_ordinal:
        ordinal = fit_dwls_cfa(complete, constructs)
        compare = loadings[["construct", "item", "std_all"]].rename(columns={"std_all": "ML"}).merge(
            ordinal.loadings.rename(columns={"std_all": "DWLS (polychoric)"}), on=["construct", "item"])
        compare["difference"] = compare["DWLS (polychoric)"] - compare["ML"]
        res.tables["cfa_ordinal_sensitivity"] = compare
        ofm = ordinal.result.fit_measures
        keys = [k for k in ORDINAL_FIT_KEYS if k in ofm.index]
        res.tables["cfa_ordinal_fit"] = ofm[keys].rename("value").to_frame()
        res.index_tables.add("cfa_ordinal_fit")
        for k in keys:
            res.glue[f"ordinal_{k.replace('.', '_')}"] = float(ofm[k])
        res.glue.update(ordinal_mean_diff=float(compare["difference"].mean()), ordinal_srmr=ordinal.srmr,
                        ordinal_n=int(ordinal.n))
        keeps = bool((compare["DWLS (polychoric)"] >= 0.30).all())
        res.sentences["ordinal_fit"] = S.ordinal_fit(int(ordinal.n), ofm, bool(ordinal.result.converged))
    else:
        res.glue.update(ordinal_mean_diff=float("nan"), ordinal_srmr=float("nan"))
        keeps = False
        res.sentences["ordinal_fit"] = S.bilingual("The ordinal (WLSMV) CFA was not run.",
                                                   "Không chạy CFA thứ bậc (WLSMV).")
    res.sentences["ordinal"] = S.ordinal(res.glue["ordinal_mean_diff"], res.glue["ordinal_srmr"], keeps)
    return res
