"""The study's analysis steps, one function each, driven by the analysis plan.

Each step takes the processed responses, the codebook and the plan (and the step's
settings), runs the generic statistics (:mod:`hpmob.reliability`, :mod:`hpmob.efa`,
:mod:`hpmob.validity`, :mod:`hpmob.compare`, :mod:`hpmob.sem`) and returns a
:class:`~hpmob.study.result.StepResult` with its tables, glue values, verdicts and
sentences. The notebooks display these; the claims table, the power analysis, own-export
runs and the in-process variants call the same functions, so there is one analysis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hpmob import criteria
from hpmob.codebook import Codebook
from hpmob.score import (
    agreement_share,
    composite_by_group,
    composite_scores,
    empty_agreement_table,
    item_statistics,
    mean_band,
    reverse_key,
)
from hpmob.study import sentences as S
from hpmob.study.models import indirect_label, measurement_syntax, structural_data, structural_syntax
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult
from hpmob.study.verdicts import (
    NOT_ESTIMABLE,
    NOT_SUPPORTED,
    NOT_TESTABLE,
    SUPPORTED,
    claims_rows,
    fit_problem,
    judge,
    latent_order_holds,
    ordinal_tables,
)

__all__ = ["breakdown_attributes", "breakdown_rules", "study_cleaning_rules", "descriptives", "measurement", "invariance",
           "ordinal_invariance", "comparisons", "structural", "claims", "fit_model"]


def fit_model(model: str, data: pd.DataFrame, plan: AnalysisPlan, *, estimator: str | None = None, **kw):
    """:func:`hpmob.sem.fit` with the plan's estimator and missing-data settings.

    Returns ``(result, messages)``: the engine's warnings (rows not used, non-convergence,
    Heywood cases) are not hidden but returned, and the result's convergence and propriety
    travel with every table built from it (:func:`fit_status`).

    Parameters
    ----------
    model : str
        lavaan syntax.
    data : DataFrame
        The analysis frame.
    plan : AnalysisPlan
        Gives the estimator, missing-data treatment and interval level.
    estimator : str, optional
        Replace the plan's estimator.
    **kw
        Passed to :func:`hpmob.sem.fit` (e.g. ``missing="listwise"``).

    Returns
    -------
    tuple
        ``(SemResult, tuple of str)``: the fit and its distinct warning messages.

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
    >>> items = codebook.items_of(plan.constructs[0])
    >>> res, messages = steps.fit_model(f"f =~ {' + '.join(items)}", responses[items], plan)
    >>> res.converged, res.missing == plan.estimation["missing"], isinstance(messages, tuple)
    (True, True, True)
    """
    from hpmob.sem import fit

    kw.setdefault("missing", plan.estimation["missing"])
    return caught(fit, model, data, estimator=estimator or plan.estimation["estimator"], ci=plan.estimation["conf"],
                  **kw)


def caught(fn, *args, **kw):
    """``(fn(*args, **kw), messages)``: the call's warnings about the fit as distinct messages
    instead of on stderr (those of other libraries, such as a progress bar's missing widget,
    are left alone: they say nothing about the results)."""
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        out = fn(*args, **kw)
    mine = [w for w in ws if "hpmob" in str(w.filename)]
    for w in ws:
        if w not in mine:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, tuple(dict.fromkeys(str(w.message) for w in mine))


#: Columns of the ``*_status`` tables: how each model behind a verdict was estimated.
STATUS_COLUMNS = ["model", "estimator", "missing", "n", "n_patterns", "converged", "proper", "convergence",
                  "improper", "warnings"]


def fit_status(res, model: str, messages=()) -> dict:
    """One ``*_status`` row: estimator, missing-data treatment, N used, convergence and
    propriety of fitted ``res`` (a single- or multigroup result).

    A verdict from a row with ``converged`` or ``proper`` false is "not estimable"
    (:func:`hpmob.study.verdicts.judge`).
    """
    return dict(zip(STATUS_COLUMNS, [
        model, res.estimator, "FIML" if res.missing == "ml" else "listwise", int(res.n),
        int(np.sum(res.n_patterns)) if res.missing == "ml" else 1, bool(res.converged),
        not res.improper, res.convergence, "; ".join(res.improper), "; ".join(messages)]))


def scale_bands(lo: float, hi: float) -> tuple:
    """The five mean bands of Vietnamese survey reports, stretched over a ``lo``–``hi`` scale.

    Examples
    --------
    >>> scale_bands(1, 5)[1]
    (1.81, 2.6, 'Thấp / Low')
    """
    from hpmob.score import VN_BANDS

    width = (hi - lo) / len(VN_BANDS)
    return tuple((round(lo + k * width + (0.01 if k else 0), 2), round(lo + (k + 1) * width, 2), label)
                 for k, (_, _, label) in enumerate(VN_BANDS))


def _hyps(plan: AnalysisPlan, kind: str):
    return [h for h in plan.hypotheses if h.type == kind]


def _joined(res: StepResult, keys) -> dict:
    """The sentences under ``keys`` (those present) as one paragraph in each language."""
    present = [res.sentences[k] for k in keys if k in res.sentences]
    if not present:
        return S.bilingual("No hypothesis of the plan is tested in this step.",
                           "Không có giả thuyết nào của kế hoạch được kiểm định ở bước này.")
    return {lang: " ".join(p[lang] for p in present) for lang in ("en", "vi")}


# --------------------------------------------------------------------------- cleaning
def breakdown_attributes(plan: AnalysisPlan, codebook: Codebook) -> tuple[str, ...]:
    """The attributes the published tables break down by: the plan's ``sample.composition``,
    else every categorical attribute of the codebook.

    Parameters
    ----------
    plan : AnalysisPlan
        The analysis plan.
    codebook : Codebook
        The instrument.

    Returns
    -------
    tuple of str
        The attributes, in order.

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
    >>> steps.breakdown_attributes(plan, codebook) == tuple(plan.sample["composition"])
    True
    """
    return tuple(plan.sample.get("composition") or [a for a in codebook.attribute_columns
                                                    if codebook.column_kind(a) == "categorical"])


def breakdown_rules(rules, codebook: Codebook, plan: AnalysisPlan):
    """`rules` with the plan's breakdowns as the attributes whose small groups are merged,
    unless the caller named them (:class:`hpmob.clean.CleaningRules`).

    Parameters
    ----------
    rules : CleaningRules
        The rules to extend.
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.

    Returns
    -------
    CleaningRules
        ``rules``, ``merge_small_groups`` set to :func:`breakdown_attributes` if it was None.

    Examples
    --------
    >>> from hpmob.clean import CleaningRules
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study import load_plan, steps
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> steps.breakdown_rules(CleaningRules(), codebook, plan).merge_small_groups == steps.breakdown_attributes(plan, codebook)
    True
    >>> steps.breakdown_rules(CleaningRules(merge_small_groups=()), codebook, plan).merge_small_groups
    ()
    """
    from dataclasses import replace

    if rules.merge_small_groups is not None:
        return rules
    return replace(rules, merge_small_groups=breakdown_attributes(plan, codebook))


def _variable_name(plan: AnalysisPlan, var: str, lang: str) -> str:
    """A structural variable as the sentences name it: a covariate's label, else its code."""
    return (plan.covariates.get(var, {}).get("label") or {}).get(lang, var)


def study_cleaning_rules(rules, codebook: Codebook, plan: AnalysisPlan):
    """`rules` as the study cleans: the plan's breakdowns merged (:func:`breakdown_rules`) and
    the plan's required grouping value (:meth:`AnalysisPlan.cleaning_rules`). Notebook 01, the
    design check before ``hpmob run`` and the robustness grid all clean with these.

    Parameters
    ----------
    rules : CleaningRules
        The rules to extend.
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.

    Returns
    -------
    CleaningRules
        The rules the study cleans with.

    Examples
    --------
    >>> from hpmob.clean import CleaningRules
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study import load_plan, steps
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> rules = steps.study_cleaning_rules(CleaningRules(), codebook, plan)
    >>> rules.require_value == (plan.grouping["variable"],), rules.merge_small_groups == tuple(plan.sample["composition"])
    (True, True)
    """
    return plan.cleaning_rules(breakdown_rules(rules, codebook, plan))


def cleaning(raw_path, codebook: Codebook, plan: AnalysisPlan, rules, *, processed_dir=None,
             verify_manifest: bool = True, source: str | None = None) -> StepResult:
    """Manifest check, validation, cleaning rules, missingness and sample composition.

    Stops (``ValueError`` listing every problem) if the export has validation errors.
    Tables: ``validation`` (warnings), ``cleaning_flow``, ``exclusions``,
    ``missingness``, ``sample_composition``; ``objects["responses"]`` is the analysed
    sample. With ``processed_dir`` the processed data are written there.
    """
    from hpmob.clean import NO_GROUP_VALUE, RULES, clean_export, rules_table, write_processed
    from hpmob.disclosure import suppress_flow
    from hpmob.io import read_export, sha256_file, validate_export
    from hpmob.io import verify_manifest as check_manifest
    from hpmob.sample import missingness, sample_composition

    res = StepResult("cleaning", full_precision={"missingness", "sample_composition", "cleaning_flow"})
    if verify_manifest:
        check_manifest(raw_path.parent)
        res.sentences["manifest"] = S.bilingual(f"`{raw_path.name}` matches its SHA-256 manifest.",
                                                f"`{raw_path.name}` khớp với bản kê SHA-256.")
    else:
        digest = sha256_file(raw_path)
        res.sentences["manifest"] = S.bilingual(f"No manifest check: `{raw_path.name}` has SHA-256 `{digest}`.",
                                                f"Không kiểm tra bản kê: `{raw_path.name}` có SHA-256 `{digest}`.")
    raw = read_export(raw_path)
    problems = validate_export(raw, codebook, source=source or str(raw_path))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValueError("the export has errors; run `hpmob validate` and fix them:\n" + "\n".join(map(str, errors)))
    res.tables["validation"] = pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value,
                                              "problem": p.problem} for p in problems],
                                            columns=["row", "column", "value", "problem"])
    res.glue.update(n_raw=len(raw), n_warnings=len(problems))
    rules = study_cleaning_rules(rules, codebook, plan)
    result = clean_export(raw, codebook, rules)
    if processed_dir is not None:
        write_processed(result, processed_dir)
    res.objects.update(responses=result.responses, result=result)
    res.tables["rules"] = rules_table(rules)
    # the flow is published: a small exclusion count is blank with a complement, and so
    # are the numbers remaining that would give them back (hpmob.disclosure.suppress_flow)
    flow = suppress_flow(result.flow, threshold=rules.min_group)
    res.tables["cleaning_flow"] = flow
    res.tables["exclusions"] = result.exclusions
    n_analysed = int(flow["n_remaining"].iloc[-1])
    res.glue.update(n_analysed=n_analysed, n_excluded=len(raw) - n_analysed,
                    pct_excluded=100 * (len(raw) - n_analysed) / len(raw))
    shown = flow[~flow["suppressed"]]
    for rule, n in zip(shown["rule"], shown["n_excluded"]):
        if rule in (*RULES, NO_GROUP_VALUE):
            res.glue[f"n_{rule}"] = int(n)
    res.sentences["flow"] = S.cleaning_flow(flow, len(raw), rules.min_group, plan.grouping.get("variable"))
    group = plan.grouping.get("variable")
    miss = missingness(result.responses, codebook, by=group)
    res.tables["missingness"] = miss
    res.glue["max_item_missing_pct"] = float(miss.loc[miss.group == "all", "pct_missing"].max())
    groups = ["all"] + (list(plan.grouping["order"]) if group else [])
    res.objects["missingness_wide"] = miss.pivot(index="item", columns="group", values="pct_missing")[groups].round(1).T
    comp = sample_composition(result.responses, codebook, breakdown_attributes(plan, codebook))
    res.tables["sample_composition"] = comp
    if group:
        for row in comp[comp.attribute == group].itertuples():
            res.glue[f"n_{group}_{row.value}"] = int(row.n) if not row.suppressed else 0
    return res


# --------------------------------------------------------------------------- descriptives
def descriptives(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, min_items: float = 0.5,
                 min_cell: int = 5, agree_threshold: float | None = None) -> StepResult:
    """Items, reliability, composites by group and the share / ranking hypotheses.

    Tables: ``item_stats``, ``reliability``, ``item_rest``, ``composites_by_level``
    (composites by the grouping variable), ``composites_overall``, one
    ``agreement_<construct>`` per ``share_above`` hypothesis and one table per
    ``ranking`` hypothesis (named by its id).

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    min_items : float
        Share (or number) of a construct's items a respondent must answer to get a composite.
    min_cell : int
        Smallest group published.
    agree_threshold : float, optional
        Replace the plan's default share threshold (None: keep it).

    Returns
    -------
    StepResult
        The tables above, the share verdicts, glue values and sentences.

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
    >>> res = steps.descriptives(responses, codebook, plan)
    >>> {"item_stats", "reliability", "composites_by_level"} <= set(res.tables), res.glue["n_resp"] == len(responses)
    (True, True)
    """
    from hpmob.reliability import item_total_statistics, reliability_table

    plan = plan.with_settings(agree_threshold=agree_threshold)
    conf = plan.estimation["conf"]
    reflective = [c for c in codebook.reflective_constructs]
    res = StepResult("descriptives")
    res.glue.update(n_resp=len(responses), n_reflective=len(reflective))
    res.tables["item_stats"] = item_statistics(responses, codebook)
    keyed = reverse_key(responses, codebook)
    rel = reliability_table(keyed, {c: codebook.items_of(c) for c in reflective}, ci=conf)
    res.tables["reliability"] = rel
    for row in rel.itertuples():
        res.glue[f"alpha_{row.construct}"] = float(row.alpha)
        res.glue[f"omega_{row.construct}"] = float(row.omega)
    res.glue.update(alpha_min=float(rel["alpha"].min()), alpha_max=float(rel["alpha"].max()))
    res.sentences["alpha"] = S.alpha_range(res.glue["alpha_min"], res.glue["alpha_max"], len(reflective))
    item_rest = pd.concat({c: item_total_statistics(keyed[codebook.items_of(c)]).set_index("item")
                           for c in reflective}, names=["construct"])
    res.tables["item_rest"] = item_rest
    res.index_tables.add("item_rest")
    lowest = [sub.index.get_level_values("item")[int(np.argmin(sub["r_drop"].to_numpy()))]
              for _, sub in item_rest.groupby(level="construct")]
    rev = [i for i in codebook.reverse_items if any(i in codebook.items_of(c) for c in reflective)]
    res.sentences["reverse_items"] = S.reverse_items_item_rest(rev, lowest)

    group = plan.grouping.get("variable")
    scale = tuple(float(v) for v in codebook.scale_range(codebook.items_of(reflective[0])[0]))
    bands = scale_bands(*scale)
    res.objects.update(scale=scale, bands=bands)
    scores = composite_scores(responses, codebook, constructs=reflective, min_items=min_items)
    if group:
        by = composite_by_group(scores.join(responses[group]), group, conf=conf, min_cell=min_cell,
                                order=plan.grouping["order"])
        by["band"] = mean_band(by["mean"], bands).astype(str)
        res.tables["composites_by_level"] = by
        for row in by.itertuples():
            res.glue[f"mean_{row.construct}_{row.group}"] = float(row.mean)
        for h in _hyps(plan, "latent_mean_order"):
            if h.get("order") and h["construct"] in set(by["construct"]):
                sub = by[by["construct"] == h["construct"]].set_index("group")["mean"]
                res.sentences[f"means_{h.id}"] = S.group_means(h["construct"], sub.to_dict())
    overall = composite_by_group(scores.assign(all="all"), "all", conf=conf, min_cell=min_cell)
    overall["band"] = mean_band(overall["mean"], bands).astype(str)
    res.tables["composites_overall"] = overall
    res.objects["scores"] = scores

    asked = set(codebook.constructs["code"])
    for h in _hyps(plan, "share_above"):
        c = h.get("construct")
        thr = plan.threshold(h)
        key = f"agreement_{(c or h.id).lower()}"
        if c in asked:
            items = c if c else list(h["items"])
            kw = dict(conf=conf, threshold=thr, min_cell=min_cell)
            # with `by`, agreement_share already gives the overall ("all") rows first
            tab = agreement_share(responses, codebook, items, by=group or None, **kw)
        else:
            tab = empty_agreement_table()
        res.tables[key] = tab
        row = judge(h, plan, codebook, res.tables)[0]
        items_only = tab[(tab["item"] != "composite") & (tab["group"] == "all")]
        vals = {"share": 100 * float(row["estimate"]), "low": 100 * float(row["ci_low"]),
                "high": 100 * float(row["ci_high"]), "verdict": row["verdict"],
                "item_min": 100 * float(items_only["share"].min()) if len(items_only) else float("nan")}
        p = h.id.lower()
        for k, v in vals.items():
            res.glue[f"{p}_{k}"] = v
        res.glue[f"{p}_threshold"] = 100 * thr
        res.verdicts[h.id] = row["verdict"]
        res.sentences[h.id] = S.share_verdict(h.label, c, row["verdict"], vals["share"], vals["low"], vals["high"],
                                              100 * thr, vals["item_min"])
    res.objects["rankings"] = {}
    res.sentences["hypotheses"] = _joined(res, [h.id for h in _hyps(plan, "share_above")])
    res.sentences["group_means"] = _joined(res, [f"means_{h.id}" for h in _hyps(plan, "latent_mean_order")])
    for h in _hyps(plan, "ranking"):
        c = h.get("construct")
        if c in asked or h.get("items"):
            items = list(h["items"]) if h.get("items") else codebook.items_of(c)
            tab = agreement_share(responses, codebook, items, conf=conf, threshold=plan.threshold(h), min_cell=min_cell)
            tab = tab[tab["item"] != "composite"].sort_values("share", ascending=False)
        else:
            tab = empty_agreement_table()
        res.tables[h.id] = tab
        res.verdicts[h.id] = [r["verdict"] for r in judge(h, plan, codebook, res.tables)]
        wording = codebook.items.set_index("code")["text_en"]
        res.objects["rankings"][h.id] = tab.assign(wording=tab["item"].map(wording))[
            ["item", "wording", "n", "share", "ci_low", "ci_high"]].round(3)
    return res


# --------------------------------------------------------------------------- measurement
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


# --------------------------------------------------------------------------- invariance
def invariance(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, full_sequence: bool = True
               ) -> StepResult:
    """Measurement invariance across the plan's groups, the partial-invariance search, latent
    means at the level reached and the ``latent_mean_order`` hypotheses.

    With ``full_sequence=False`` (the power analysis) only the search and the latent means
    run: the decision procedure without the descriptive sequence table.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    full_sequence : bool
        Also fit and tabulate the configural → strict sequence and the full target model.

    Returns
    -------
    StepResult
        Tables ``invariance`` (with ``full_sequence``), ``partial_invariance``,
        ``invariance_decision``, ``latent_means``, ``invariance_status``, dMACS; the level
        reached and the freed parameters as verdicts; glue values and sentences.

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
    >>> res = steps.invariance(responses, codebook, plan, full_sequence=False)
    >>> res.verdicts["level"].endswith(plan.grouping["invariance_target"]), "latent_means" in res.tables
    (True, True)
    """
    from hpmob.sem import fit_multigroup, latent_mean_differences, partial_invariance_search, release_order
    from hpmob.sem import invariance as invariance_sequence
    from hpmob.sem.dmacs import dmacs

    group = plan.grouping["variable"]
    levels = list(plan.grouping["order"])
    target = plan.grouping["invariance_target"]
    constructs = plan.group_constructs
    items = [i for c in constructs for i in codebook.items_of(c)]
    missing = plan.estimation["missing"]
    # the plan's estimator (ML; MLR adds the scaled tests and robust indices to the sequence table)
    estimator = plan.estimation["estimator"]
    keyed = reverse_key(responses, codebook)[items + [group]]
    keyed = keyed[keyed[group].isin(levels)]
    # FIML uses every respondent with a known group and at least one answer; listwise the complete ones
    data = keyed[keyed[items].notna().any(axis=1)] if missing == "ml" else keyed.dropna()
    model = measurement_syntax(codebook, constructs)
    res = StepResult("invariance")
    counts = data[group].value_counts().reindex(levels)
    res.tables["invariance_n"] = counts.rename("n").to_frame().T
    res.glue["inv_n"] = len(data)
    res.glue["inv_missing"] = missing
    for lev, n in counts.items():
        res.glue[f"inv_n_{lev}"] = int(n)
    status = []
    try:
        search, msgs = caught(partial_invariance_search, model, data, group, level=target, group_order=levels,
                              missing=missing, estimator=estimator)
    except FIT_ERRORS as err:  # e.g. a group too small for the model: no estimate, so no verdict
        return _invariance_not_estimable(res, plan, codebook, data, err, target, counts)
    status.append(fit_status(search.result, "latent means", msgs))
    if full_sequence:
        seq, msgs = caught(invariance_sequence, model, data, group, group_order=levels, missing=missing,
                           estimator=estimator)
        res.tables["invariance"] = seq
        decisions, deltas = {}, {}
        for row in seq.itertuples():
            res.glue[f"inv_{row.model}_cfi"] = float(row.cfi)
            res.glue[f"inv_{row.model}_decision"] = row.decision
            if row.model != "configural":
                res.glue[f"inv_{row.model}_dcfi"] = float(row.delta_cfi)
                res.glue[f"inv_{row.model}_drmsea"] = float(row.delta_rmsea)
                decisions[row.model], deltas[row.model] = row.decision, (row.delta_cfi, row.delta_rmsea)
        res.verdicts["sequence"] = decisions
        res.sentences["invariance_sequence"] = S.invariance_sequence(decisions, deltas)
    full = None
    if full_sequence:
        full, msgs = caught(fit_multigroup, model, data, group, group_order=levels,
                            group_equal=("loadings", "intercepts"), missing=missing, estimator=estimator)
        status.append(fit_status(full, f"full {target}", msgs))
    res.tables["invariance_status"] = pd.DataFrame(status, columns=STATUS_COLUMNS)
    res.tables["partial_invariance"] = search.table
    res.objects.update(search=search, data=data, model=model)
    freed = list(search.freed)
    _dmacs_step(res, "invariance_dmacs", dmacs, search.result, freed, "ML")
    res.verdicts.update(freed=freed, partial_holds=bool(search.holds))
    res.glue["inv_freed"] = ", ".join(freed) or "none"
    res.glue["inv_partial_holds"] = "holds" if search.holds else "does not hold"
    level_used = (f"partial {target}" if freed else f"full {target}") if search.holds else \
        f"{target} (not reached)"
    res.verdicts["level"] = level_used
    res.glue["inv_level"] = level_used
    res.tables["invariance_decision"] = pd.DataFrame([{"target": target, "level": level_used, "holds": search.holds,
                                                       "freed": ", ".join(freed)}])
    if full is not None:
        ranking = release_order(full)
        res.tables["intercept_score_tests"] = ranking
        res.glue.update(inv_top_param=str(ranking["param"].iloc[0]), inv_top_x2=float(ranking["X2"].iloc[0]),
                        inv_top_group=str(ranking["group_label_rhs"].iloc[0]))
        res.sentences["partial_search"] = S.partial_search(
            res.glue["inv_top_param"], res.glue["inv_top_x2"], res.glue["inv_top_group"], freed, bool(search.holds),
            target, not freed and bool(search.holds))

    latent = pd.concat([latent_mean_differences(search.result, f).assign(factor=f) for f in constructs],
                       ignore_index=True)
    res.tables["latent_means"] = latent
    res.objects["latent_vs_reference"] = latent[latent["group_label"] != levels[0]]
    for f in constructs:
        sub = latent[latent["factor"] == f].set_index("group_label")
        for lev in levels[1:]:
            for col, key in [("est", "est"), ("ci.lower", "lo"), ("ci.upper", "hi"), ("pvalue", "p"), ("std.lv", "d")]:
                res.glue[f"lm_{f}_{lev}_{key}"] = float(sub.loc[lev, col])
        rows = {lev: tuple(float(sub.loc[lev, c]) for c in ("est", "ci.lower", "ci.upper", "std.lv"))
                for lev in levels[1:]}
        res.sentences[f"latent_{f}"] = S.latent_contrasts(f, levels[0], rows)
        res.glue[f"lm_{f}_{levels[-1]}_phrase"] = ("also lower" if rows[levels[-1]][2] < 0 else
                                                   "not clearly lower")
    for f in plan.grouping.get("constructs", []):
        if f in plan.absent:  # declared but not in this codebook: say so rather than leave a hole
            for lev in levels[1:]:
                for key in ("est", "lo", "hi", "p", "d"):
                    res.glue[f"lm_{f}_{lev}_{key}"] = float("nan")
            res.glue[f"lm_{f}_{levels[-1]}_phrase"] = "not compared (not in the codebook)"
    res.sentences["invariance_n"] = S.group_sizes(len(data), counts.to_dict(), missing)
    res.sentences["latent_contrasts"] = _joined(res, [f"latent_{f}" for f in constructs])
    for h in _hyps(plan, "latent_mean_order"):
        row = judge(h, plan, codebook, res.tables, invariance=level_used)[0]
        res.verdicts[h.id] = row["verdict"]
        if row["verdict"] == NOT_TESTABLE:
            continue
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the latent-means model",
                                                  fit_problem(res.tables["invariance_status"].iloc[0]))
            res.glue[f"{h.id.lower()}_verdict"] = row["verdict"]
            continue
        sub = latent[latent["factor"] == h["construct"]].set_index("group_label")
        ordered = latent_order_holds(sub["est"].to_dict(), h["order"]) if h.get("order") else None
        g = h["contrast"][0]
        rows = {lev: tuple(float(sub.loc[lev, c]) for c in ("est", "ci.lower", "ci.upper", "std.lv"))
                for lev in levels[1:]}
        res.sentences[h.id] = S.latent_mean_verdict(h.label, h["construct"], row["verdict"], rows, h["contrast"],
                                                    h.get("order"), ordered)
        p = h.id.lower()
        res.glue[f"{p}_verdict"] = row["verdict"]
        res.verdicts[f"{h.id}_contrasts"] = {lev: bool(_claimed(h["sign"], *rows[lev][1:3])) for lev in levels[1:]}
        if h.get("order"):
            res.glue[f"{p}_ordered"] = "hold" if ordered and res.verdicts[f"{h.id}_contrasts"][g] else "do not hold"
        for lev in levels[1:]:
            res.glue[f"{p}_{lev}_sig"] = "excludes" if (rows[lev][1] > 0 or rows[lev][2] < 0) else "includes"
    res.sentences["hypotheses"] = _joined(res, [h.id for h in _hyps(plan, "latent_mean_order")])
    return res


#: what the engine raises when a model cannot be fitted at all (too few rows, no admissible start)
FIT_ERRORS = (ValueError, RuntimeError, np.linalg.LinAlgError)


def _invariance_not_estimable(res: StepResult, plan: AnalysisPlan, codebook: Codebook, data, err, target, counts):
    """The invariance step when its models cannot be fitted: status, empty tables and the
    ``latent_mean_order`` hypotheses "not estimable" (never judged from no estimate)."""
    from hpmob.sem.invariance import TABLE_COLUMNS

    missing = plan.estimation["missing"]
    res.tables["invariance_status"] = pd.DataFrame([dict(zip(STATUS_COLUMNS, [
        "latent means", plan.estimation["estimator"], "FIML" if missing == "ml" else "listwise", len(data), np.nan,
        False, False, f"the model could not be fitted: {err}", "", ""]))], columns=STATUS_COLUMNS)
    res.tables["invariance"] = pd.DataFrame(columns=TABLE_COLUMNS)
    res.tables["partial_invariance"] = pd.DataFrame(columns=TABLE_COLUMNS)
    res.tables["invariance_dmacs"] = pd.DataFrame(columns=DMACS_COLUMNS)
    res.sentences["invariance_dmacs"] = S.bilingual("No dMACS: the invariance models could not be fitted.",
                                                    "Không có dMACS: các mô hình bất biến không ước lượng được.")
    level = f"{target} (not estimable)"
    res.verdicts.update(freed=[], partial_holds=False, level=level)
    res.glue.update(inv_freed="none", inv_partial_holds="not estimable", inv_level=level)
    res.tables["invariance_decision"] = pd.DataFrame([{"target": target, "level": level, "holds": False, "freed": ""}])
    res.tables["latent_means"] = pd.DataFrame(columns=["factor", "group_label", "est", "se", "ci.lower", "ci.upper",
                                                       "pvalue", "std.lv"])
    res.objects["latent_vs_reference"] = res.tables["latent_means"]
    res.sentences["invariance_n"] = S.group_sizes(len(data), counts.to_dict(), missing)
    problem = fit_problem(res.tables["invariance_status"].iloc[0])
    for h in _hyps(plan, "latent_mean_order"):
        row = judge(h, plan, codebook, res.tables, invariance=level)[0]
        res.verdicts[h.id] = row["verdict"]
        res.glue[f"{h.id.lower()}_verdict"] = row["verdict"]
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the latent-means model", problem)
    res.sentences["hypotheses"] = _joined(res, [h.id for h in _hyps(plan, "latent_mean_order")])
    return res


# --------------------------------------------------------------------------- ordinal invariance
#: Columns of the dMACS tables (:func:`hpmob.sem.dmacs.dmacs`): one row per freed item and group pair.
DMACS_COLUMNS = ["item", "factor", "reference", "focal", "dmacs", "mean_difference", "sd_pooled"]
LATENT_COLUMNS = ["factor", "group", "group_label", "reference", "est", "se", "z", "pvalue", "ci.lower", "ci.upper",
                  "std.lv"]


def _freed_items(freed) -> list[str]:
    """The items whose intercept or loading a partial model frees (``"PM3~1"``, ``"PM=~PM3"``)."""
    return list(dict.fromkeys(e[:-2] if e.endswith("~1") else e.split("=~", 1)[1] for e in freed))


def _dmacs_step(res: StepResult, key: str, fn, result, freed, treatment: str) -> None:
    """Table ``key``: dMACS (``fn``) of each item a partial model frees, for every group pair,
    and its sentence; an undefined dMACS (a Heywood case) is said, not hidden."""
    items = _freed_items(freed)
    try:
        table = fn(result, items=items) if items else pd.DataFrame(columns=DMACS_COLUMNS)
    except ValueError as err:
        res.tables[key] = pd.DataFrame(columns=DMACS_COLUMNS)
        res.sentences[key] = S.bilingual(f"dMACS of the freed items ({', '.join(items)}) is not estimable: {err}",
                                         f"dMACS của các câu được nới ({', '.join(items)}) không ước lượng được.")
        return
    res.tables[key] = table
    res.sentences[key] = S.dmacs_freed(list(table[["item", "reference", "focal", "dmacs"]].itertuples(
        index=False, name=None)), treatment)


#: Columns of ``invariance_treatments``: each invariance model under each treatment of the items.
TREATMENT_COLUMNS = ["treatment", "model", "npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_chisq",
                     "delta_df", "p_delta", "delta_cfi", "delta_rmsea", "decision"]


def invariance_by_treatment(ml: StepResult, ordinal_table: pd.DataFrame) -> pd.DataFrame:
    """The ML sequence (step :func:`invariance`) and the ordinal one stacked, one row per model
    and treatment; the ordinal rows carry the scaled-shifted χ², the scaled CFI/TLI/RMSEA and
    lavTestLRT's scaled difference test."""
    status = ml.tables["invariance_status"].iloc[0]
    ml_rows = ml.tables["invariance"].assign(treatment=f"{status['estimator']} ({status['missing']}), continuous")
    scaled = {"chisq.scaled": "chisq", "cfi.scaled": "cfi", "tli.scaled": "tli", "rmsea.scaled": "rmsea"}
    ord_rows = ordinal_table.drop(columns="chisq").rename(columns=scaled).assign(
        treatment="WLSMV (listwise), ordinal")
    return pd.concat([ml_rows[TREATMENT_COLUMNS], ord_rows[TREATMENT_COLUMNS]], ignore_index=True)


def ordinal_invariance(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *,
                       ml: StepResult | None = None) -> StepResult:
    """The invariance sequence with the items as ordered categories, and the ordinal H6 verdicts.

    WLSMV with the Wu & Estabrook (2016) identification and sequence (configural →
    thresholds → metric → scalar; :func:`hpmob.sem.ordinal_invariance.ordinal_invariance`),
    on the respondents with a known group who answered every item of the plan's grouping
    constructs. Categories some group never used are merged first by the declared rule of
    :func:`~hpmob.sem.ordinal_invariance.collapse_categories` (table ``ordinal_recodes``).
    Where full invariance at the plan's ``invariance_target`` fails, the partial search
    (:func:`~hpmob.sem.ordinal_invariance.ordinal_partial_search`) frees constraints as the
    ML step does; latent means are compared at the level reached, and each freed item gets
    its dMACS (:func:`hpmob.sem.dmacs.dmacs_ordinal`).

    Tables: ``ordinal_invariance_n``, ``ordinal_recodes``, ``ordinal_invariance``,
    ``ordinal_partial_invariance``, ``ordinal_invariance_status``,
    ``ordinal_invariance_decision``, ``ordinal_latent_means``, ``ordinal_dmacs``; with ``ml``
    (the result of :func:`invariance` with its sequence), ``invariance_treatments`` sets both
    sequences side by side (:func:`invariance_by_treatment`). A model that cannot be fitted,
    does not converge or is improper makes the ordinal verdicts "not estimable".

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    ml : StepResult, optional
        The ML :func:`invariance` step, whose sequence the ordinal one is set beside.

    Returns
    -------
    StepResult
        Tables ``ordinal_invariance``, ``ordinal_recodes``, ``ordinal_latent_means``,
        ``ordinal_invariance_status``, ``ordinal_invariance_decision``, dMACS; glue values
        and sentences.

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
    >>> res = steps.ordinal_invariance(responses, codebook, plan)
    >>> {"ordinal_invariance", "ordinal_latent_means"} <= set(res.tables), res.step
    (True, 'ordinal_invariance')
    """
    from hpmob.sem import latent_mean_differences
    from hpmob.sem.dmacs import dmacs_ordinal
    from hpmob.sem.ordinal_invariance import collapse_categories, ordinal_partial_search
    from hpmob.sem.ordinal_invariance import ordinal_invariance as sequence

    group, levels = plan.grouping["variable"], list(plan.grouping["order"])
    target, constructs = plan.grouping["invariance_target"], plan.group_constructs
    items = [i for c in constructs for i in codebook.items_of(c)]
    keyed = reverse_key(responses, codebook)[items + [group]]
    keyed = keyed[keyed[group].isin(levels)]
    data = keyed.dropna()
    res = StepResult("ordinal_invariance")
    counts = data[group].value_counts().reindex(levels, fill_value=0)
    res.tables["ordinal_invariance_n"] = counts.rename("n").to_frame().T
    res.glue["oinv_n"] = len(data)
    res.sentences["oinv_n"] = S.ordinal_sample(len(data), len(keyed[keyed[items].notna().any(axis=1)]),
                                               counts.to_dict())
    collapsed, recodes = collapse_categories(data, items, group)
    res.tables["ordinal_recodes"] = recodes
    res.glue["oinv_n_recodes"] = len(recodes)
    res.sentences["oinv_recodes"] = S.ordinal_recodes(list(recodes.itertuples(index=False, name=None)), len(items))
    model = measurement_syntax(codebook, constructs)
    try:
        (seq, fits), msgs = caught(sequence, model, collapsed, group, items, group_order=levels, return_fits=True)
        search, search_msgs = caught(ordinal_partial_search, model, collapsed, group, items, level=target,
                                     group_order=levels, fits=fits)
    except FIT_ERRORS + (NotImplementedError,) as err:
        return _ordinal_not_estimable(res, plan, codebook, len(data), err, target, ml)
    res.objects.update(fits=fits, search=search, data=collapsed, model=model)
    res.tables["ordinal_invariance"] = seq
    if ml is not None and "invariance" in ml.tables:
        res.tables["invariance_treatments"] = invariance_by_treatment(ml, seq)
    decisions, deltas = {}, {}
    for row in seq.to_dict("records"):
        step = row["model"]
        res.glue[f"oinv_{step}_cfi"] = float(row["cfi.scaled"])
        if step != "configural":
            decisions[step], deltas[step] = row["decision"], (row["delta_cfi"], row["delta_rmsea"])
            res.glue.update({f"oinv_{step}_decision": row["decision"], f"oinv_{step}_dcfi": float(row["delta_cfi"]),
                             f"oinv_{step}_drmsea": float(row["delta_rmsea"])})
    res.verdicts["sequence"] = decisions
    res.sentences["oinv_sequence"] = S.invariance_sequence(decisions, deltas)
    res.tables["ordinal_partial_invariance"] = search.table
    res.tables["ordinal_invariance_status"] = pd.DataFrame(
        [fit_status(search.result, "latent means", msgs + search_msgs),
         fit_status(fits[target], f"full {target}", msgs)],
        columns=STATUS_COLUMNS)
    freed = list(search.freed)
    level = (f"partial {target}" if freed else f"full {target}") if search.holds else f"{target} (not reached)"
    res.verdicts.update(freed=freed, partial_holds=bool(search.holds), level=level)
    res.glue.update(oinv_freed=", ".join(freed) or "none", oinv_level=level)
    res.tables["ordinal_invariance_decision"] = pd.DataFrame([{"target": target, "level": level,
                                                               "holds": search.holds, "freed": ", ".join(freed)}])
    top = search.score_tests[0].iloc[0] if search.score_tests else None
    res.sentences["oinv_partial"] = S.ordinal_partial(
        None if top is None else str(top["param"]), float("nan") if top is None else float(top["X2"]), freed,
        bool(search.holds), target, not freed and bool(search.holds))
    _dmacs_step(res, "ordinal_dmacs", dmacs_ordinal, search.result, freed, "ordinal")
    latent = pd.concat([latent_mean_differences(search.result, f).assign(factor=f) for f in constructs],
                       ignore_index=True)[LATENT_COLUMNS]
    res.tables["ordinal_latent_means"] = latent
    res.objects["latent_vs_reference"] = latent[latent["group_label"] != levels[0]]
    for f in constructs:
        sub = latent[latent["factor"] == f].set_index("group_label")
        for lev in levels[1:]:
            for col, key in [("est", "est"), ("ci.lower", "lo"), ("ci.upper", "hi"), ("pvalue", "p")]:
                res.glue[f"olm_{f}_{lev}_{key}"] = float(sub.loc[lev, col])
    _ordinal_hypotheses(res, plan, codebook, level)
    return res


def _ordinal_hypotheses(res: StepResult, plan: AnalysisPlan, codebook: Codebook, level: str,
                        problem: str = "") -> None:
    problem = problem or fit_problem(res.tables["ordinal_invariance_status"].iloc[0])
    for h in _hyps(plan, "latent_mean_order"):
        row = judge(h, plan, codebook, ordinal_tables(res.tables), invariance=level)[0]
        res.verdicts[h.id] = row["verdict"]
        res.glue[f"{h.id.lower()}_ordinal_verdict"] = row["verdict"]
        if row["verdict"] == NOT_TESTABLE:
            continue
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[f"oinv_{h.id}"] = S.not_estimable(h.label, "the ordinal latent-means model", problem)
            continue
        sub = res.tables["ordinal_latent_means"]
        sub = sub[sub["factor"] == h["construct"]].set_index("group_label")
        rows = {lev: tuple(float(sub.loc[lev, c]) for c in ("est", "ci.lower", "ci.upper", "std.lv"))
                for lev in sub.index[1:]}
        ordered = latent_order_holds(sub["est"].to_dict(), h["order"]) if h.get("order") else None
        res.sentences[f"oinv_{h.id}"] = S.ordinal_latent_verdict(h.label, h["construct"], row["verdict"], level, rows,
                                                                 h["contrast"], h.get("order"), ordered)
    res.sentences["oinv_hypotheses"] = _joined(res, [f"oinv_{h.id}" for h in _hyps(plan, "latent_mean_order")])


def _ordinal_not_estimable(res: StepResult, plan: AnalysisPlan, codebook: Codebook, n: int, err, target: str,
                           ml: StepResult | None = None):
    """The ordinal step when its models cannot be fitted: empty tables, "not estimable" verdicts."""
    from hpmob.sem.ordinal_invariance import ORDINAL_TABLE_COLUMNS

    res.tables["ordinal_invariance_status"] = pd.DataFrame([dict(zip(STATUS_COLUMNS, [
        "latent means", "WLSMV", "listwise", n, 1, False, False, f"the model could not be fitted: {err}", "", ""]))],
        columns=STATUS_COLUMNS)
    for name in ("ordinal_invariance", "ordinal_partial_invariance"):
        res.tables[name] = pd.DataFrame(columns=ORDINAL_TABLE_COLUMNS)
    if ml is not None and "invariance" in ml.tables:  # the ML rows alone: no ordinal model to set beside them
        res.tables["invariance_treatments"] = invariance_by_treatment(ml, res.tables["ordinal_invariance"])
    res.tables["ordinal_latent_means"] = pd.DataFrame(columns=LATENT_COLUMNS)
    res.tables["ordinal_dmacs"] = pd.DataFrame(columns=DMACS_COLUMNS)
    level = f"{target} (not estimable)"
    res.verdicts.update(freed=[], partial_holds=False, level=level, sequence={})
    res.glue.update(oinv_freed="none", oinv_level=level)
    res.tables["ordinal_invariance_decision"] = pd.DataFrame([{"target": target, "level": level, "holds": False,
                                                               "freed": ""}])
    for key in ("oinv_sequence", "oinv_partial", "ordinal_dmacs"):
        res.sentences[key] = S.bilingual(f"The ordinal invariance models are not estimable: {err}",
                                         f"Các mô hình bất biến thứ bậc không ước lượng được: {err}")
    _ordinal_hypotheses(res, plan, codebook, level, problem=f"could not be fitted ({err})")
    return res


def _claimed(sign: str, lo: float, hi: float) -> bool:
    from hpmob.study.verdicts import on_claimed_side

    return on_claimed_side(lo, hi, sign)


def comparisons(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, min_cell: int = 5,
                focus: str | None = None) -> StepResult:
    """Observed-score comparisons: Welch ANOVA by every categorical attribute, Games–Howell
    for the ordered ``latent_mean_order`` construct, χ² of the share constructs by group.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    min_cell : int
        Smallest group that enters a test or is published.
    focus : str, optional
        The construct of the Games–Howell pairs (default that of the plan's
        ``latent_mean_order`` hypothesis).

    Returns
    -------
    StepResult
        Tables ``group_comparisons``, ``welch``, ``group_means``, the Games–Howell pairs and
        the χ² tables of the share constructs, with their glue values and sentence.

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
    >>> res = steps.comparisons(responses, codebook, plan)
    >>> res.step, "welch" in res.tables, res.glue["welch_n_tests"] == len(res.tables["welch"])
    ('comparisons', True, True)
    """
    from hpmob.compare import agreement_chi2, group_comparison_table, posthoc_games_howell

    conf = plan.estimation["conf"]
    group = plan.grouping["variable"]
    res = StepResult("comparisons")
    reflective = codebook.reflective_constructs
    by = plan.sample.get("composition") or [group]
    table = group_comparison_table(responses, codebook, reflective, by=by, conf=conf, min_cell=min_cell)
    res.tables["group_comparisons"] = table
    welch = table[table["row"] == "welch"][["by", "construct", "k", "n", "F", "df1", "df2", "pvalue",
                                            "p_adjusted", "estimate", "ci_low", "ci_high", "dropped_groups"]]
    welch = welch.rename(columns={"estimate": "omega2"})
    res.tables["welch"] = welch
    res.glue.update(welch_n_sig=int((welch["p_adjusted"] < 0.05).sum()),
                    welch_n_tests=int(welch["p_adjusted"].notna().sum()))
    res.sentences["welch"] = S.welch(res.glue["welch_n_sig"], res.glue["welch_n_tests"])
    ordered = [h for h in _hyps(plan, "latent_mean_order") if h.get("order") and not plan.missing_for(h)]
    focus = focus or (ordered[0]["construct"] if ordered else None)
    if focus:
        sel = welch[(welch["by"] == group) & (welch["construct"] == focus)]
        f = focus.lower()
        if len(sel):
            r = sel.iloc[0]
            res.glue.update({f"welch_{f}_F": float(r["F"]), f"welch_{f}_df2": float(r["df2"]),
                             f"welch_{f}_omega2": float(r["omega2"])})
        scores = composite_scores(responses, codebook, constructs=reflective)
        res.tables[f"posthoc_{f}_{group}"] = posthoc_games_howell(scores.join(responses[group]), focus, group, conf=conf,
                                                              min_cell=min_cell)
    res.tables["group_means"] = table[table["row"] == "group"][["by", "construct", "level", "n", "mean", "sd",
                                                                "suppressed"]]
    asked = set(codebook.constructs["code"])
    for h in _hyps(plan, "share_above"):
        c = h.get("construct")
        if c in asked:
            res.tables[f"agreement_{c.lower()}_by_{group}"] = agreement_chi2(responses, codebook, c, group,
                                                                           min_cell=min_cell)
    return res


# --------------------------------------------------------------------------- structural
def structural(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, methods=("delta",),
               n_boot: int = 2000, n_mc: int = 20000, seed: int = 20250902, n_jobs: int = 1, progress: bool = False,
               controls: bool = True, estimator: str | None = None) -> StepResult:
    """The plan's structural model, its paths, explained variance, the indirect effects and
    the ``path`` and ``indirect`` hypotheses.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`, or ``responses.csv`` read back).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan.
    methods : sequence of str
        Interval methods of the indirect effects (``delta``, ``montecarlo``, ``bootstrap``).
    n_boot, n_mc : int
        Bootstrap replicates and Monte Carlo draws.
    seed : int
        Seed of the Monte Carlo and bootstrap intervals.
    n_jobs : int
        Workers of the bootstrap.
    progress : bool
        Show the bootstrap's progress bar.
    controls : bool
        Regress on the control covariates.
    estimator : str, optional
        Replace the plan's estimator.

    Returns
    -------
    StepResult
        Tables ``sem_paths``, ``sem_fit``, ``indirect_effects``, ``sem_status`` and the path
        and indirect verdicts, glue values and sentences.

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
    >>> res = steps.structural(responses, codebook, plan)
    >>> {"sem_paths", "indirect_effects"} <= set(res.tables), set(res.tables["indirect_effects"]["method"])
    (True, {'delta'})
    """
    from hpmob.sem.indirect import indirect_effects
    from hpmob.sem.regressions import path_glue_values, regression_paths

    conf = plan.estimation["conf"]
    data = structural_data(responses, codebook, plan, controls=controls)
    # FIML keeps respondents with a missing covariate only if the covariates are modelled (random x)
    model = structural_syntax(plan, codebook, controls=controls, random_x=plan.estimation["missing"] == "ml")
    res = StepResult("structural")
    res.objects.update(model=model, data=data)
    sem, sem_msgs = fit_model(model, data, plan, estimator=estimator or "ML")
    res.objects["sem"] = sem
    res.tables["sem_status"] = pd.DataFrame([fit_status(sem, "structural", sem_msgs)], columns=STATUS_COLUMNS)
    fm = sem.fit_measures
    keys = ["npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr",
            "aic", "bic"]
    res.tables["sem_fit"] = fm[keys].rename("value").to_frame()
    res.index_tables.add("sem_fit")
    res.glue["sem_n"] = sem.n
    for k in keys:
        res.glue[f"sem_{k.replace('.', '_')}"] = float(fm[k])
    paths = regression_paths(sem)
    res.tables["sem_paths"] = paths
    res.glue.update(path_glue_values(paths))
    outcomes = list(dict.fromkeys(r["lhs"] for r in plan.structural_regressions))
    r2 = sem.r2[outcomes]
    for k in outcomes:
        res.glue[f"r2_{k}"] = float(r2[k])
    res.sentences["r2"] = S.r2({k: float(r2[k]) for k in outcomes})

    if ":=" in model:
        effects, ind_msgs = caught(indirect_effects, sem, data, methods=methods, n_boot=n_boot, n_mc=n_mc, ci=conf,
                                   seed=seed, n_jobs=n_jobs, progress=progress)
        res.tables["sem_status"].loc[0, "warnings"] = "; ".join(dict.fromkeys(sem_msgs + ind_msgs))
    else:
        effects = pd.DataFrame(columns=["effect", "method", "est", "ci.lower", "ci.upper"])
    res.tables["indirect_effects"] = effects
    for _, row in effects.iterrows():
        key = f"{row['effect']}_{row['method']}"
        res.glue.update({f"{key}_est": float(row["est"]), f"{key}_lo": float(row["ci.lower"]),
                         f"{key}_hi": float(row["ci.upper"])})
    res.glue["boot_failed"] = int(effects.attrs.get("n_failed", 0))

    by_pair = paths.set_index(["lhs", "rhs"])
    sem_problem = fit_problem(res.tables["sem_status"].iloc[0])
    for h in _hyps(plan, "path"):
        row = judge(h, plan, codebook, res.tables)[0]
        res.verdicts[h.id] = row["verdict"]
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the structural model", sem_problem)
        else:
            # a covariate by its label (what the path diagram shows), a construct by its code
            lhs, rhs = ({lang: _variable_name(plan, v, lang) for lang in ("en", "vi")} for v in (h["lhs"], h["rhs"]))
            p = by_pair.loc[(h["lhs"], h["rhs"])] if (h["lhs"], h["rhs"]) in by_pair.index else None
            numbers = ([p["std.all"], p["std.ci.lower"], p["std.ci.upper"], p["est"], p["ci.lower"], p["ci.upper"]]
                       if p is not None else [float("nan")] * 6)
            res.sentences[h.id] = S.path_verdict(h.label, lhs, rhs, h["sign"], row["verdict"], *numbers)
    for h in _hyps(plan, "indirect"):
        rows = judge(h, plan, codebook, res.tables)
        res.verdicts[h.id] = rows[0]["verdict"]
        if plan.missing_for(h):
            continue
        name, _ = indirect_label(plan, h["chain"])
        ind = effects[effects["effect"] == name]
        intervals = {r["method"]: (float(r["ci.lower"]), float(r["ci.upper"])) for _, r in ind.iterrows()}
        # every interval's decision (the power analysis reads the delta method's)
        res.verdicts[f"{h.id}_detected"] = {m: _claimed(h["sign"], lo, hi) for m, (lo, hi) in intervals.items()}
        if rows[0]["verdict"] == NOT_TESTABLE:
            continue
        if rows[0]["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the structural model", sem_problem)
            continue
        res.sentences[h.id] = S.indirect_verdict(h.label, name, rows[0]["verdict"], plan.estimation["indirect_method"],
                                                 float(ind["est"].iloc[0]), intervals)
        excludes = [lo > 0 or hi < 0 for lo, hi in intervals.values()]
        res.glue[f"{name}_all_exclude"] = "every one of the" if all(excludes) else f"{sum(excludes)} of the"
        res.glue[f"{name}_n_intervals"] = len(intervals)
    _grouped_paths(res, plan, codebook, paths)
    res.sentences["fit"] = S.sem_fit(sem.n, fm, plan.estimation["missing"], len(data))
    res.sentences["paths"] = _joined(res, [h.id for h in _hyps(plan, "path")])
    res.sentences["indirect"] = _joined(res, [h.id for h in _hyps(plan, "indirect")])
    return res


def _grouped_paths(res: StepResult, plan: AnalysisPlan, codebook: Codebook, paths: pd.DataFrame) -> None:
    """For a label shared by several path hypotheses (H4: one per challenge): the paths in
    words and how many lie on the claimed side (``<label>_paths``, ``<label>_summary``)."""
    labels = codebook.constructs.set_index("code")["label_en"]
    groups: dict = {}
    for h in _hyps(plan, "path"):
        groups.setdefault(h.label, []).append(h)
    for label, hs in groups.items():
        if len(hs) < 2:
            continue
        sign = hs[0]["sign"]
        sel = [paths[(paths["lhs"] == h["lhs"]) & (paths["rhs"] == h["rhs"])] for h in hs]
        sub = pd.concat([x for x in sel if len(x)]) if any(len(x) for x in sel) else paths.iloc[:0]
        parts = [f"{labels.get(r.rhs, r.rhs).lower()} ({r['std.all']:.2f}; {r['std.ci.lower']:.2f} to "
                 f"{r['std.ci.upper']:.2f})" for _, r in sub.iterrows()]
        side, beyond = ("negative", "below") if sign == "-" else ("positive", "above")
        n_side = int((sub["est"] < 0).sum() if sign == "-" else (sub["est"] > 0).sum())
        n_excl = int((sub["ci.upper"] < 0).sum() if sign == "-" else (sub["ci.lower"] > 0).sum())
        key = label.lower().replace(" ", "_")
        res.glue[f"{key}_paths"] = "; ".join(parts) if parts else "none in this codebook"
        res.glue[f"{key}_summary"] = (f"{n_side} of {len(sub)} estimates are {side} and {n_excl} of their intervals "
                                      f"lie entirely {beyond} zero")


# --------------------------------------------------------------------------- claims
def claims(plan: AnalysisPlan, codebook: Codebook, tables: dict, *, invariance_level: str = "") -> StepResult:
    """The claims table from the results tables of the other steps (or their CSV files).

    Parameters
    ----------
    plan : AnalysisPlan
        The analysis plan whose claims are judged.
    codebook : Codebook
        The instrument.
    tables : dict of DataFrame
        The results tables of the other steps, by name.
    invariance_level : str
        The invariance level the latent means were compared at.

    Returns
    -------
    StepResult
        ``claims`` and ``claims_vi`` tables, the counts by verdict as glue values and the
        summary sentences.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study import load_plan, steps
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> res = steps.claims(plan, codebook, {})
    >>> res.glue["n_not_testable"] == res.glue["n_claims"], res.sentences["summary"]["en"][:16]
    (True, 'Of the 12 claims')
    """
    res = StepResult("claims")
    table = claims_rows(plan, codebook, tables, invariance=invariance_level)
    res.tables["claims"] = table
    counts = table["verdict"].value_counts()
    not_sup = table.loc[table["verdict"] == NOT_SUPPORTED, "claim"].tolist()
    res.glue.update(n_claims=len(table), n_supported=int(counts.get(SUPPORTED, 0)),
                    n_not_supported=int(counts.get(NOT_SUPPORTED, 0)), n_not_testable=int(counts.get(NOT_TESTABLE, 0)),
                    n_not_estimable=int(counts.get(NOT_ESTIMABLE, 0)),
                    not_supported_list="; ".join(not_sup) if not_sup else "none")
    res.verdicts = dict(zip(table["claim"], table["verdict"]))
    res.sentences["summary"] = S.claims_summary(len(table), res.glue["n_supported"], res.glue["n_not_supported"],
                                                res.glue["n_not_testable"], not_sup, res.glue["n_not_estimable"])
    judged = table[table["ordinal_verdict"] != ""]
    res.glue.update(n_ordinal=len(judged), n_ordinal_same=int((judged["verdict"] == judged["ordinal_verdict"]).sum()))
    res.sentences["ordinal_claims"] = S.ordinal_claims(list(judged[["hypothesis", "verdict", "ordinal_verdict",
                                                             "ordinal_level"]].itertuples(index=False, name=None)))
    # the Vietnamese table: claims and verdicts in Vietnamese (the test column stays in English)
    vi = claims_rows(plan, codebook, tables, invariance=invariance_level, lang="vi")
    for col in ("verdict", "ordinal_verdict"):
        vi[col] = vi[col].map(lambda v: S.verdict_word(v, "vi"))
    res.tables["claims_vi"] = vi
    return res
