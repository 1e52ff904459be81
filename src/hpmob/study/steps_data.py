"""The data steps: the study's cleaning rules, cleaning, and descriptives.

Part of :mod:`hpmob.study.steps`, which re-exports every public name here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult
from hpmob.study.steps_common import (
    hyps,
    joined,
    scale_bands,
)
from hpmob.study.verdicts import (
    judge,
)

__all__ = ["breakdown_attributes", "breakdown_rules", "study_cleaning_rules", "descriptives"]


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
        # plain text (the pages glue sentences as text): no Markdown code spans
        res.sentences["manifest"] = S.bilingual(f"The raw file {raw_path.name} matches its SHA-256 manifest.",
                                                f"Tệp gốc {raw_path.name} khớp với bản kê SHA-256.")
    else:
        digest = sha256_file(raw_path)
        res.sentences["manifest"] = S.bilingual(f"No manifest check: the raw file {raw_path.name} has SHA-256 {digest}.",
                                                f"Không kiểm tra bản kê: tệp gốc {raw_path.name} có SHA-256 {digest}.")
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
        for h in hyps(plan, "latent_mean_order"):
            if h.get("order") and h["construct"] in set(by["construct"]):
                sub = by[by["construct"] == h["construct"]].set_index("group")["mean"]
                res.sentences[f"means_{h.id}"] = S.group_means(h["construct"], sub.to_dict())
    overall = composite_by_group(scores.assign(all="all"), "all", conf=conf, min_cell=min_cell)
    overall["band"] = mean_band(overall["mean"], bands).astype(str)
    res.tables["composites_overall"] = overall
    res.objects["scores"] = scores

    asked = set(codebook.constructs["code"])
    for h in hyps(plan, "share_above"):
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
    res.sentences["hypotheses"] = joined(res, [h.id for h in hyps(plan, "share_above")])
    res.sentences["group_means"] = joined(res, [f"means_{h.id}" for h in hyps(plan, "latent_mean_order")])
    for h in hyps(plan, "ranking"):
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
