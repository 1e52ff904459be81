"""The structural step and the claims table.

Part of :mod:`hpmob.study.steps`, which re-exports every public name here.
"""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook
from hpmob.study import sentences as S
from hpmob.study.models import indirect_label, structural_data, structural_syntax
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult
from hpmob.study.steps_common import (
    STATUS_COLUMNS,
    caught,
    claimed,
    fit_model,
    fit_status,
    hyps,
    joined,
)
from hpmob.study.verdicts import (
    NOT_ESTIMABLE,
    NOT_SUPPORTED,
    NOT_TESTABLE,
    SUPPORTED,
    claims_rows,
    fit_problem,
    judge,
    variable_name,
)

__all__ = ["structural", "claims"]


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
    for h in hyps(plan, "path"):
        row = judge(h, plan, codebook, res.tables)[0]
        res.verdicts[h.id] = row["verdict"]
        if row["verdict"] == NOT_ESTIMABLE:
            res.sentences[h.id] = S.not_estimable(h.label, "the structural model", sem_problem)
        else:
            # a covariate by its label (what the path diagram shows), a construct by its code
            lhs, rhs = ({lang: variable_name(plan, v, lang) for lang in ("en", "vi")} for v in (h["lhs"], h["rhs"]))
            p = by_pair.loc[(h["lhs"], h["rhs"])] if (h["lhs"], h["rhs"]) in by_pair.index else None
            numbers = ([p["std.all"], p["std.ci.lower"], p["std.ci.upper"], p["est"], p["ci.lower"], p["ci.upper"]]
                       if p is not None else [float("nan")] * 6)
            res.sentences[h.id] = S.path_verdict(h.label, lhs, rhs, h["sign"], row["verdict"], *numbers)
    for h in hyps(plan, "indirect"):
        rows = judge(h, plan, codebook, res.tables)
        res.verdicts[h.id] = rows[0]["verdict"]
        if plan.missing_for(h):
            continue
        name, _ = indirect_label(plan, h["chain"])
        ind = effects[effects["effect"] == name]
        intervals = {r["method"]: (float(r["ci.lower"]), float(r["ci.upper"])) for _, r in ind.iterrows()}
        # every interval's decision (the power analysis reads the delta method's)
        res.verdicts[f"{h.id}_detected"] = {m: claimed(h["sign"], lo, hi) for m, (lo, hi) in intervals.items()}
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
    res.sentences["paths"] = joined(res, [h.id for h in hyps(plan, "path")])
    res.sentences["indirect"] = joined(res, [h.id for h in hyps(plan, "indirect")])
    return res


def _grouped_paths(res: StepResult, plan: AnalysisPlan, codebook: Codebook, paths: pd.DataFrame) -> None:
    """For a label shared by several path hypotheses (H4: one per challenge): the paths in
    words and how many lie on the claimed side (``<label>_paths``, ``<label>_summary``)."""
    labels = codebook.constructs.set_index("code")["label_en"]
    groups: dict = {}
    for h in hyps(plan, "path"):
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
