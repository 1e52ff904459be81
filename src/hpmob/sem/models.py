"""lavaan-syntax model descriptions built from the codebook.

Writing the models from the codebook (not by hand in each notebook) keeps the CFA,
the invariance models and the structural model in step with the instrument, and lets
another team's codebook produce its own models.
"""

from __future__ import annotations

import pandas as pd

from hpmob.codebook import Codebook

__all__ = ["CORE_CONSTRUCTS", "challenge_constructs", "measurement_model", "structural_model",
           "structural_data", "TRAINING_Z"]

#: Name of the standardized training-courses covariate in the structural model.
TRAINING_Z = "training_z"


def measurement_model(codebook: Codebook, constructs: list[str] | None = None) -> str:
    """One ``construct =~ item + item + ...`` line per reflective construct.

    Parameters
    ----------
    codebook : Codebook
    constructs : list of str, optional
        Subset (in this order); defaults to every reflective construct.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> print(measurement_model(load_codebook(), ["RT"]))
    RT =~ RT1 + RT2 + RT3 + RT4
    """
    constructs = list(constructs) if constructs is not None else codebook.reflective_constructs
    not_reflective = [c for c in constructs if c not in codebook.reflective_constructs]
    if not_reflective:
        raise ValueError(f"{', '.join(not_reflective)} not reflective constructs of the codebook; "
                         f"use some of {', '.join(codebook.reflective_constructs)}")
    return "\n".join(f"{c} =~ {' + '.join(codebook.items_of(c))}" for c in constructs)


#: Constructs the structural model cannot do without (H1–H3 connect them).
CORE_CONSTRUCTS = ("AW", "PM", "IM")


def challenge_constructs(codebook: Codebook) -> list[str]:
    """Reflective constructs whose codebook ``role`` is ``challenge`` (H4), in file order.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> challenge_constructs(load_codebook())
    ['DT', 'SE', 'CO']
    """
    roles = codebook.constructs.set_index("code")["role"]
    return [c for c in codebook.reflective_constructs if roles[c] == "challenge"]


def structural_model(codebook: Codebook, *, training: str | None = TRAINING_Z,
                     covariates: tuple[str, ...] = (), covariates_on_exogenous: bool = True) -> str:
    """The study's structural model (hypotheses H1–H5) in lavaan syntax.

    ``PM ~ a*AW + h5*training``; ``IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO``, with the
    indirect effects ``ind := a*b`` (H3) and ``ind_train := h5*b`` and the total effect
    of awareness. The challenge predictors (H4) are the codebook's constructs with
    ``role: challenge`` (:func:`challenge_constructs`), labelled ``d1, d2, …`` in file
    order, so a codebook that dropped some challenges gets the model of those it kept.
    Observed ``covariates`` (e.g. governance-level dummies) are added as predictors of
    both PM and IM and, with ``covariates_on_exogenous``, of AW and the challenges too
    (a MIMIC specification): awareness and the challenges also differ between levels,
    and fixing their covariance with the dummies at zero (lavaan's default for fixed.x
    covariates) would bias the paths. Their residuals then covary freely.

    Raises
    ------
    ValueError
        If the codebook lacks one of :data:`CORE_CONSTRUCTS`.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> print(structural_model(load_codebook(), training=None).splitlines()[-3])
    IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO
    """
    missing = [c for c in CORE_CONSTRUCTS if c not in codebook.reflective_constructs]
    if missing:
        raise ValueError(
            f"the structural model needs the reflective constructs {', '.join(CORE_CONSTRUCTS)}; "
            f"the codebook {codebook.source} lacks {', '.join(missing)}")
    challenges = challenge_constructs(codebook)
    lines = [measurement_model(codebook, [*CORE_CONSTRUCTS, *challenges])]
    extra = "".join(f" + {v}" for v in covariates)
    lines.append(f"PM ~ a*AW{f' + h5*{training}' if training else ''}{extra}")
    d_terms = "".join(f" + d{k}*{c}" for k, c in enumerate(challenges, start=1))
    lines.append(f"IM ~ b*PM + c*AW{d_terms}{extra}")
    exogenous = ["AW", *challenges]
    if covariates and covariates_on_exogenous:
        lines += [f"{lv} ~ {' + '.join(covariates)}" for lv in exogenous]
        lines += [f"{lv} ~~ {' + '.join(exogenous[k + 1:])}" for k, lv in enumerate(exogenous[:-1])]
    lines.append("ind := a*b")
    if training:
        lines.append("ind_train := h5*b")
    lines.append("total := c + a*b")
    return "\n".join(lines)


def structural_data(responses, codebook: Codebook, *, training_center: float = 2.5,
                    training_scale: float = 1.7, level_dummies: bool = True):
    """Analysis frame for :func:`structural_model`: keyed items plus observed covariates.

    Reverse-keyed items are reversed; ``training_z = (training_courses − center) / scale``
    puts training on a scale of about one standard deviation of the sampling frame
    (2.5 courses in five years, SD 1.7: the population model's values), so its path
    reads as the change in mastery per SD of training. With ``level_dummies``, indicator
    columns ``district`` and ``commune`` (city = reference) are added, missing where the
    level is unknown.

    Returns
    -------
    DataFrame
    """
    from hpmob.score import reverse_key

    data = reverse_key(responses, codebook)
    data[TRAINING_Z] = (data["training_courses"].astype("float64") - training_center) / training_scale
    if level_dummies:
        known = data["level"].notna()
        for lev in ("district", "commune"):
            data[lev] = (data["level"] == lev).astype("float64").where(known)
    return data


#: Columns of :func:`regression_paths`.
PATH_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper", "std.all",
                "std.ci.lower", "std.ci.upper"]


def regression_paths(result) -> pd.DataFrame:
    """The regressions (``~`` rows) of a fitted model, with a standardized interval.

    The standardized interval rescales the raw interval by the path's standardization
    factor ``std.all / est``: it treats the standardizing variances as fixed, a
    first-order approximation to lavaan's delta-method ``standardizedSolution()``
    intervals (exact when those variances are known).

    Parameters
    ----------
    result : hpmob.sem.SemResult

    Returns
    -------
    DataFrame
        :data:`PATH_COLUMNS`, one row per regression, in lavaan's order.
    """
    paths = result.estimates[result.estimates["op"] == "~"][PATH_COLUMNS[:-2]].copy()
    bounds = paths[["ci.lower", "ci.upper"]].mul(paths["std.all"] / paths["est"], axis=0)
    paths["std.ci.lower"] = bounds.min(axis=1)  # a negative factor swaps the bounds
    paths["std.ci.upper"] = bounds.max(axis=1)
    return paths.reset_index(drop=True)


def path_glue_values(paths) -> dict[str, float]:
    """Named numbers of each path for the book: ``path_<lhs>_<rhs>_<stat>``.

    ``stat`` is ``est``, ``lo``, ``hi`` (unstandardized estimate and interval), ``p``,
    ``std``, ``std_lo`` and ``std_hi`` (standardized estimate and interval).

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(lhs="PM", rhs="AW", est=0.4, **{"ci.lower": 0.3, "ci.upper": 0.5, "pvalue": 0.01,
    ...            "std.all": 0.43, "std.ci.lower": 0.32, "std.ci.upper": 0.54})
    >>> path_glue_values(pd.DataFrame([row]))["path_PM_AW_std"]
    0.43
    """
    names = {"est": "est", "lo": "ci.lower", "hi": "ci.upper", "p": "pvalue", "std": "std.all",
             "std_lo": "std.ci.lower", "std_hi": "std.ci.upper"}
    return {f"path_{row['lhs']}_{row['rhs']}_{stat}": float(row[col])
            for _, row in paths.iterrows() for stat, col in names.items()}
