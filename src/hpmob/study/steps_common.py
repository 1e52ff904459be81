"""What the analysis steps share: fitting with the plan's settings, status rows, helpers.

Part of :mod:`hpmob.study.steps`, which re-exports every public name here.
Only :func:`fit_model` is meant for users; the rest serves the step modules.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hpmob.study import sentences as S
from hpmob.study.plan import AnalysisPlan
from hpmob.study.result import StepResult

__all__ = ["fit_model"]


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


def hyps(plan: AnalysisPlan, kind: str):
    return [h for h in plan.hypotheses if h.type == kind]


def joined(res: StepResult, keys) -> dict:
    """The sentences under ``keys`` (those present) as one paragraph in each language."""
    present = [res.sentences[k] for k in keys if k in res.sentences]
    if not present:
        return S.bilingual("No hypothesis of the plan is tested in this step.",
                           "Không có giả thuyết nào của kế hoạch được kiểm định ở bước này.")
    return {lang: " ".join(p[lang] for p in present) for lang in ("en", "vi")}




def claimed(sign: str, lo: float, hi: float) -> bool:
    """Whether the interval ``lo``–``hi`` lies on the side that ``sign`` claims."""
    from hpmob.study.verdicts import on_claimed_side

    return on_claimed_side(lo, hi, sign)
