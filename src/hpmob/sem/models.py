"""lavaan-syntax model descriptions built from the codebook.

Writing the models from the codebook (not by hand in each notebook) keeps the CFA,
the invariance models and the structural model in step with the instrument, and lets
another team's codebook produce its own models.
"""

from __future__ import annotations

from hpmob.codebook import Codebook

__all__ = ["measurement_model", "structural_model", "TRAINING_Z"]

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


def structural_model(codebook: Codebook, *, training: str | None = TRAINING_Z,
                     covariates: tuple[str, ...] = (), covariates_on_exogenous: bool = True) -> str:
    """The study's structural model (hypotheses H1–H5) in lavaan syntax.

    ``PM ~ a*AW + h5*training``; ``IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO``, with the
    indirect effects ``ind := a*b`` (H3) and ``ind_train := h5*b`` and the total effect
    of awareness. Observed ``covariates`` (e.g. governance-level dummies) are added as
    predictors of both PM and IM and, with ``covariates_on_exogenous``, of AW, DT, SE and
    CO too (a MIMIC specification): awareness and the challenges also differ between
    levels, and fixing their covariance with the dummies at zero (lavaan's default for
    fixed.x covariates) would bias the paths. Their residuals then covary freely.
    """
    needed = ["AW", "PM", "IM", "DT", "SE", "CO"]
    lines = [measurement_model(codebook, needed)]
    extra = "".join(f" + {v}" for v in covariates)
    lines.append(f"PM ~ a*AW{f' + h5*{training}' if training else ''}{extra}")
    lines.append(f"IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO{extra}")
    exogenous = ["AW", "DT", "SE", "CO"]
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
