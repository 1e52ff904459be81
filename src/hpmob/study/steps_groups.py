"""The group steps: invariance (ML), ordinal invariance, and the group comparisons.

Part of :mod:`hpmob.study.steps`, which re-exports every public name here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpmob.codebook import Codebook
from hpmob.score import (
    composite_scores,
    reverse_key,
)
from hpmob.study import sentences as S
from hpmob.study.models import measurement_syntax
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult
from hpmob.study.steps_common import (
    STATUS_COLUMNS,
    caught,
    claimed,
    fit_status,
    hyps,
    joined,
)
from hpmob.study.verdicts import (
    NOT_ESTIMABLE,
    NOT_TESTABLE,
    fit_problem,
    judge,
    latent_order_holds,
    ordinal_tables,
)

__all__ = ["invariance", "ordinal_invariance", "comparisons"]


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
    res.sentences["latent_contrasts"] = joined(res, [f"latent_{f}" for f in constructs])
    for h in hyps(plan, "latent_mean_order"):
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
        res.verdicts[f"{h.id}_contrasts"] = {lev: bool(claimed(h["sign"], *rows[lev][1:3])) for lev in levels[1:]}
        if h.get("order"):
            res.glue[f"{p}_ordered"] = "hold" if ordered and res.verdicts[f"{h.id}_contrasts"][g] else "do not hold"
        for lev in levels[1:]:
            res.glue[f"{p}_{lev}_sig"] = "excludes" if (rows[lev][1] > 0 or rows[lev][2] < 0) else "includes"
    res.sentences["hypotheses"] = joined(res, [h.id for h in hyps(plan, "latent_mean_order")])
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
    for h in hyps(plan, "latent_mean_order"):
        row = judge(h, plan, codebook, res.tables, invariance=level)[0]
        res.verdicts[h.id] = row["verdict"]
        res.glue[f"{h.id.lower()}_verdict"] = row["verdict"]
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the latent-means model", problem)
    res.sentences["hypotheses"] = joined(res, [h.id for h in hyps(plan, "latent_mean_order")])
    return res


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
    for h in hyps(plan, "latent_mean_order"):
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
    res.sentences["oinv_hypotheses"] = joined(res, [f"oinv_{h.id}" for h in hyps(plan, "latent_mean_order")])


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
    ordered = [h for h in hyps(plan, "latent_mean_order") if h.get("order") and not plan.missing_for(h)]
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
    for h in hyps(plan, "share_above"):
        c = h.get("construct")
        if c in asked:
            res.tables[f"agreement_{c.lower()}_by_{group}"] = agreement_chi2(responses, codebook, c, group,
                                                                           min_cell=min_cell)
    return res
