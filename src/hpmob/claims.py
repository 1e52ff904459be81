"""Map every claim of the abstract to a test, an estimate, an interval and a verdict.

The claims table is the compendium's answer to "which of the abstract's statements do
these data support?". Each row names the claim (in our words), the hypothesis, the
test, the estimate with its confidence interval, and one of three verdicts:

``supported``
    the interval lies entirely on the claimed side (above a stated threshold for
    shares, beyond zero in the claimed direction for effects);
``not supported``
    it does not;
``not testable with these data``
    the claim is causal or about the future (e.g. "implementing the solutions will
    improve effectiveness") and a cross-sectional survey cannot test it, or it concerns
    a construct the survey's codebook does not have (``hpmob run --raw`` with a trimmed
    codebook); the test column then says what was not estimated and why.

The columns ``ordinal_verdict`` and ``ordinal_level`` judge the latent-mean hypotheses a
second time with the items treated as ordered categories (WLSMV, Wu & Estabrook 2016; the
``ordinal_*`` tables of notebook 04) and name the invariance level reached there; they are
empty for the other hypotheses, and "not estimable" when the ordinal model cannot be fitted.

The verdicts are computed by the study layer from the analysis plan
(:func:`hpmob.study.verdicts.judge`, one function per hypothesis type); this module
builds the table from results tables (notebook 06) or from responses (one in-process run
of :func:`hpmob.study.run.run_study`).

:func:`expected_verdict` derives, from the population model alone, what each testable
verdict should be: ``supported`` when the true effect is in the claimed direction and
the study has at least 80 % power to detect it at the observed precision, ``either``
when power is lower (a "not supported" would then be a type II error the design
allows). The shipped data are checked against it in the tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from hpmob.codebook import Codebook
from hpmob.study.plan import AnalysisPlan
from hpmob.study.verdicts import CLAIM_COLUMNS, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED

__all__ = ["SUPPORTED", "NOT_SUPPORTED", "NOT_TESTABLE", "CLAIM_COLUMNS", "POWER_TARGET", "claims_table",
           "claims_from_responses", "read_results_tables", "power_two_sided", "expected_verdict"]

#: Power below which a population effect is not expected to be detected (Cohen 1988).
POWER_TARGET = 0.80


def read_results_tables(folder: str | Path) -> dict:
    """Read every ``*.csv`` of a results folder, by file stem (the input of :func:`claims_table`).

    Parameters
    ----------
    folder : path-like
        The folder of results tables.

    Returns
    -------
    dict
        File stem to DataFrame, in name order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.claims import read_results_tables
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "sem_paths.csv").write_text("lhs,rhs,est\\ny,x,0.4\\n")
    >>> {name: t.shape for name, t in read_results_tables(folder).items()}
    {'sem_paths': (1, 3)}
    """
    return {p.stem: pd.read_csv(p) for p in sorted(Path(folder).glob("*.csv"))}


def claims_table(tables: dict | str | Path, *, codebook: Codebook, plan: AnalysisPlan,
                 invariance_level: str | None = None):
    """Build the claims table from the results tables of notebooks 02–05 (or a folder of them).

    Parameters
    ----------
    tables : dict of DataFrame, or a folder of CSV files
        ``agreement_<construct>``, the ranking tables, ``latent_means``, ``sem_paths``,
        ``indirect_effects``; a claim whose table is absent is kept as not testable.
    codebook, plan
        The instrument and the analysis plan whose claims are judged.
    invariance_level : str, optional
        Invariance level of the latent means; read from ``invariance_decision`` if absent.

    Returns
    -------
    hpmob.study.result.StepResult
        ``.tables["claims"]`` (columns :data:`CLAIM_COLUMNS`, one row per claim in the
        plan's order), ``.tables["claims_vi"]``, the counts as glue values and the summary
        sentence.

    Examples
    --------
    Without any results table every claim is kept, as not testable:

    >>> from hpmob.claims import claims_table
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> claims = claims_table({}, codebook=codebook, plan=plan).tables["claims"]
    >>> len(claims) == len(plan.hypotheses), claims["verdict"].unique().tolist()
    (True, ['not testable with these data'])
    """
    from hpmob.study.steps import claims

    if not isinstance(tables, dict):
        tables = read_results_tables(tables)
    if invariance_level is None:
        decision = tables.get("invariance_decision")
        invariance_level = str(decision["level"].iloc[0]) if decision is not None and len(decision) else ""
    return claims(plan, codebook, tables, invariance_level=invariance_level)


def claims_from_responses(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, **settings
                          ) -> pd.DataFrame:
    """Build the claims table of one in-process run of the study (:func:`hpmob.study.run.run_study`).

    Only the steps the claims depend on run; ``settings`` as in ``run_study``
    (``methods=("delta",)`` is fast; the notebooks judge indirect effects by the plan's
    ``indirect_method``, a bootstrap interval for this study).

    Parameters
    ----------
    responses : DataFrame
        Cleaned responses (:func:`hpmob.clean.clean_export`).
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan whose claims are judged.
    **settings
        Passed to ``run_study`` (``methods``, ``n_boot``, ``seed``, ...).

    Returns
    -------
    DataFrame
        The claims table, columns :data:`CLAIM_COLUMNS`, one row per claim in the plan's order.

    Examples
    --------
    >>> from hpmob.claims import claims_from_responses
    >>> from hpmob.clean import clean_export
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> from hpmob.study import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> responses = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")).responses
    >>> table = claims_from_responses(responses, codebook, plan, methods=("delta",), ordinal=False)
    >>> list(table.columns[:3]), set(table["verdict"]) <= {"supported", "not supported",
    ...     "not testable with these data", "not estimable"}
    (['claim', 'hypothesis', 'test'], True)
    """
    from hpmob.study.run import run_study

    out = run_study(responses, codebook, plan, measurement=False, comparisons=False, **settings)
    return out["claims"].tables["claims"]


def power_two_sided(effect: float, se: float, alpha: float = 0.05) -> float:
    """Compute the power of a two-sided z-test of ``effect`` with standard error ``se``.

    Parameters
    ----------
    effect : float
        The true effect.
    se : float
        The standard error of its estimate.
    alpha : float
        The test's level.

    Returns
    -------
    float
        The probability that the test rejects, on either side.

    Examples
    --------
    >>> from hpmob.claims import power_two_sided
    >>> round(power_two_sided(2.8, 1.0), 3), round(power_two_sided(0.0, 1.0), 3)
    (0.8, 0.05)
    """
    z = stats.norm.ppf(1 - alpha / 2)
    shift = abs(effect) / se
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))


def expected_verdict(true_effect: float, se: float, claimed_sign: int) -> str:
    """Tell what a claim's verdict should be, given the truth and the study's precision.

    Parameters
    ----------
    true_effect : float
        The effect in the population.
    se : float
        The study's standard error of its estimate.
    claimed_sign : {1, -1}
        The sign the claim states.

    Returns
    -------
    str
        ``"supported"`` if the true effect has the claimed sign and power is at least
        :data:`POWER_TARGET`, ``"not supported"`` if the true effect is zero or of the other
        sign, else ``"either"``.

    Examples
    --------
    >>> from hpmob.claims import expected_verdict
    >>> expected_verdict(0.3, 0.05, 1), expected_verdict(0.0, 0.05, 1), expected_verdict(0.05, 0.05, 1)
    ('supported', 'not supported', 'either')
    """
    if true_effect == 0 or np.sign(true_effect) != claimed_sign:
        return NOT_SUPPORTED
    return SUPPORTED if power_two_sided(true_effect, se) >= POWER_TARGET else "either"
