"""lavaan syntax of the study's models, generated from the analysis plan and the codebook.

Writing the models from plan + codebook (never by hand in a notebook) keeps the CFA, the
invariance models and the structural model in step with the instrument and the declared
hypotheses, and lets another team's plan produce its own models.
"""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook
from hpmob.score import reverse_key
from hpmob.study.plan import AnalysisPlan

__all__ = ["measurement_syntax", "structural_syntax", "structural_data", "covariate_columns", "indirect_label"]


def measurement_syntax(codebook: Codebook, constructs: list[str]) -> str:
    """Write one ``construct =~ item + item + ...`` line per construct, in the order given.

    Parameters
    ----------
    codebook : Codebook
        Gives each construct's items.
    constructs : list of str
        The constructs.

    Returns
    -------
    str
        lavaan syntax, one line per construct.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> print(measurement_syntax(load_codebook(), ["RT"]))
    RT =~ RT1 + RT2 + RT3 + RT4
    """
    return "\n".join(f"{c} =~ {' + '.join(codebook.items_of(c))}" for c in constructs)


def covariate_columns(plan: AnalysisPlan, codebook: Codebook, name: str) -> list[str]:
    """Return the analysis columns of a declared covariate: itself, or one dummy per non-reference level.

    Parameters
    ----------
    plan : AnalysisPlan
        The plan that declares the covariate.
    codebook : Codebook
        Gives a dummy covariate's levels.
    name : str
        The covariate.

    Returns
    -------
    list of str
        ``[name]``, or the non-reference levels of a ``dummy`` covariate.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> cb = load_codebook()
    >>> covariate_columns(load_plan(codebook=cb), cb, "level_dummies")
    ['district', 'commune']
    """
    spec = plan.covariates[name]
    if spec["coding"] != "dummy":
        return [name]
    values = list(codebook.value_labels(spec["source"], "en"))
    reference = spec.get("reference", values[0])
    return [v for v in values if v != reference]


def structural_syntax(plan: AnalysisPlan, codebook: Codebook, *, controls: bool = True,
                      random_x: bool = False) -> str:
    """Write the plan's structural model in lavaan syntax.

    Measurement lines for the constructs the regressions use (codebook order); one
    regression line per outcome with the declared paths (``label*rhs``) and, when
    ``controls``, the control covariates; the exogenous constructs regressed on the
    controls too, with freely covarying residuals (a MIMIC specification: fixing their
    covariance with the controls at zero would bias the paths); then the ``:=`` lines of
    the defined parameters whose labels remain. Paths through constructs the codebook
    lacks (optional constructs) are left out.

    With ``random_x`` the observed covariates get free variances and covariances
    (lavaan's ``fixed.x = FALSE``), which full-information ML needs to use respondents
    with a missing covariate; on complete data the other estimates equal the fixed-x
    model's.

    Parameters
    ----------
    plan : AnalysisPlan
        The plan: constructs, regressions, covariates, controls, defined parameters.
    codebook : Codebook
        Gives the items of each construct.
    controls : bool
        Add the control covariates.
    random_x : bool
        Free the observed covariates' variances and covariances.

    Returns
    -------
    str
        lavaan syntax.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> cb = load_codebook()
    >>> print(structural_syntax(load_plan(codebook=cb), cb, controls=False).splitlines()[-4])
    IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO
    """
    regs = plan.structural_regressions
    lines = [measurement_syntax(codebook, plan.structural_constructs)]
    extra = [col for c in plan.controls for col in covariate_columns(plan, codebook, c)] if controls else []
    outcomes = list(dict.fromkeys(r["lhs"] for r in regs))
    for lhs in outcomes:
        terms = [f"{r['label']}*{r['rhs']}" if r.get("label") else r["rhs"] for r in regs if r["lhs"] == lhs]
        lines.append(f"{lhs} ~ {' + '.join(terms + extra)}")
    exogenous = [c for c in plan.structural_constructs if c not in outcomes]
    if extra:
        lines += [f"{lv} ~ {' + '.join(extra)}" for lv in exogenous]
        lines += [f"{lv} ~~ {' + '.join(exogenous[k + 1:])}" for k, lv in enumerate(exogenous[:-1])]
    if random_x:
        names = set(plan.covariates)
        observed = list(dict.fromkeys([r["rhs"] for r in regs if r["rhs"] in names] + extra))
        lines += [f"{x} ~~ {' + '.join(observed[k:])}" for k, x in enumerate(observed)]
    labels = {r["label"] for r in regs if r.get("label")}
    import re

    for name, expr in plan.defined.items():
        if set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)) <= labels:
            lines.append(f"{name} := {expr}")
    return "\n".join(lines)


def indirect_label(plan: AnalysisPlan, chain: list[str]) -> tuple[str, str]:
    """Find the defined parameter of an indirect chain and its product of labels (``("ind", "a*b")``).

    Parameters
    ----------
    plan : AnalysisPlan
        The plan with the labelled regressions and the defined parameters.
    chain : list of str
        The constructs along the chain, first cause first.

    Returns
    -------
    tuple of str
        The defined parameter's name and the product; a chain no defined parameter
        multiplies out is a ``KeyError``.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> indirect_label(load_plan(codebook=load_codebook()), ["AW", "PM", "IM"])
    ('ind', 'a*b')
    """
    by_pair = {(r["lhs"], r["rhs"]): r["label"] for r in plan.regressions}
    product = "*".join(by_pair[(b, a)] for a, b in zip(chain, chain[1:]))
    for name, expr in plan.defined.items():
        if expr.replace(" ", "") == product:
            return name, product
    raise KeyError(f"{plan.source}: no defined parameter is {product} (the chain {' → '.join(chain)}); "
                   f"add it under structural.defined")


def structural_data(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *,
                    controls: bool = True) -> pd.DataFrame:
    """Build the analysis frame of :func:`structural_syntax`: keyed items plus the coded covariates.

    Reverse-keyed items are reversed; a ``standardize`` covariate is
    ``(source − center) / scale``; a ``dummy`` covariate adds one 0/1 column per
    non-reference level (missing where the level is unknown); ``raw`` copies the column.

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses.
    codebook : Codebook
        Gives the reverse keys.
    plan : AnalysisPlan
        Declares the covariates and their coding.
    controls : bool
        Add the dummy columns of the control covariates (False: leave them out).

    Returns
    -------
    DataFrame
        The responses with keyed items and one column per covariate (or dummy level).

    Examples
    --------
    >>> from hpmob.clean import clean_export
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> from hpmob.study.models import covariate_columns, structural_data
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> responses = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")).responses
    >>> data = structural_data(responses, codebook, plan)
    >>> len(data) == len(responses), all(c in data for name in plan.covariates for c in covariate_columns(plan, codebook, name))
    (True, True)
    """
    data = reverse_key(responses, codebook)
    for name, spec in plan.covariates.items():
        if spec["coding"] == "dummy":
            if not controls and name in plan.controls:
                continue
            known = data[spec["source"]].notna()
            for lev in covariate_columns(plan, codebook, name):
                data[lev] = (data[spec["source"]] == lev).astype("float64").where(known)
        elif spec["coding"] == "standardize":
            data[name] = (data[spec["source"]].astype("float64") - spec["center"]) / spec["scale"]
        else:
            data[name] = data[spec["source"]].astype("float64")
    return data
