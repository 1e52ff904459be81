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

:func:`expected_verdicts` derives, from the population model alone, what each testable
verdict should be: ``supported`` when the true effect is in the claimed direction and
the study has at least 80 % power to detect it at the observed precision, ``either``
when power is lower (a "not supported" would then be a type II error the design
allows). The shipped data are checked against it in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hpmob.codebook import Codebook
from hpmob.score import empty_agreement_table

SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not supported", "not testable with these data"
CLAIM_COLUMNS = ["claim", "hypothesis", "test", "estimate", "ci_low", "ci_high", "verdict"]
#: Power below which a population effect is not expected to be detected (Cohen 1988).
POWER_TARGET = 0.80


def _verdict_positive(lo: float) -> str:
    return SUPPORTED if lo > 0 else NOT_SUPPORTED


def _verdict_negative(hi: float) -> str:
    return SUPPORTED if hi < 0 else NOT_SUPPORTED


def _row(claim, hypothesis, test, est, lo, hi, verdict) -> dict:
    return dict(zip(CLAIM_COLUMNS, [claim, hypothesis, test, est, lo, hi, verdict]))


def claims_table(
    *,
    agreement_rt: pd.DataFrame,
    latent_means: pd.DataFrame,
    sem_paths: pd.DataFrame,
    indirect: pd.DataFrame,
    solutions: pd.DataFrame,
    codebook: Codebook,
    agree_threshold: float = 0.80,
    indirect_method: str = "bootstrap_bca",
) -> pd.DataFrame:
    """Build the claims table from the results tables of notebooks 02–05.

    Parameters
    ----------
    agreement_rt : DataFrame
        ``results/tables/agreement_rt.csv`` (H7): rows with ``item == "composite"``
        and ``group == "all"`` give the share agreeing with the RT construct.
    latent_means : DataFrame
        ``results/tables/latent_means.csv``: ``factor, group_label, est, ci.lower,
        ci.upper`` at the invariance level reached (city = 0).
    sem_paths : DataFrame
        ``results/tables/sem_paths.csv``: regressions of the structural model.
    indirect : DataFrame
        ``results/tables/indirect_effects.csv``.
    solutions : DataFrame
        Agreement shares of the SOL items (``item, share, ci_low, ci_high``).
    codebook : Codebook
        For the wording of the solution items.
    agree_threshold : float
        "Most officials": the share that must be exceeded (H7 and the solutions).
    indirect_method : str
        Which interval of ``indirect`` judges H3.

    Returns
    -------
    DataFrame
        Columns ``claim, hypothesis, test, estimate, ci_low, ci_high, verdict``; one
        row per distinct claim of the abstract, in the abstract's order. A claim whose
        input is absent (an empty agreement or solutions table, no latent mean or path
        for the construct: a codebook without it) is kept as not testable, with the
        reason in ``test``.
    """
    rows = []

    def untestable(claim, hypothesis, test, why):
        # A construct the codebook does not have: the claim stays in the table (a reviewer
        # sees what was not asked) with the reason in the test column.
        rows.append(_row(claim, hypothesis, f"{test} — not estimated: {why}", np.nan, np.nan, np.nan, NOT_TESTABLE))

    claim = "Most officials recognize the fundamental role of mass mobilization in Party–people trust"
    test = f"share agreeing with RT (composite ≥ 4) above {agree_threshold:.0%}, Wilson 95% CI"
    comp = agreement_rt[(agreement_rt["item"] == "composite") & (agreement_rt["group"] == "all")]
    if len(comp):
        comp = comp.iloc[0]
        rows.append(_row(claim, "H7", test, comp["share"], comp["ci_low"], comp["ci_high"],
                         SUPPORTED if comp["ci_low"] > agree_threshold else NOT_SUPPORTED))
    else:
        untestable(claim, "H7", test, "no RT items in the codebook")

    lm = latent_means.set_index(["factor", "group_label"])

    def latent(factor, group):
        r = lm.loc[(factor, group)]
        return float(r["est"]), float(r["ci.lower"]), float(r["ci.upper"])

    def has_latent(factor):
        return (factor, "commune") in lm.index

    claim = "Comprehension of the Party's viewpoints is inconsistent across levels of governance"
    test = "latent mean of awareness, commune − city, partial scalar invariance"
    if has_latent("AW"):
        est, lo, hi = latent("AW", "commune")
        rows.append(_row(claim, "H6 (AW)", test, est, lo, hi, SUPPORTED if hi < 0 or lo > 0 else NOT_SUPPORTED))
    else:
        untestable(claim, "H6 (AW)", test, "awareness (AW) not compared across levels")
    claim = "Grassroots officials struggle most to master the principles and methods of mass mobilization"
    test = "latent mean of mastery ordered commune < district < city; commune − city shown"
    if has_latent("PM"):
        est, lo, hi = latent("PM", "commune")
        d_est = latent("PM", "district")[0]
        ordered = est < d_est < 0
        rows.append(_row(claim, "H6", test, est, lo, hi, SUPPORTED if ordered and hi < 0 else NOT_SUPPORTED))
    else:
        untestable(claim, "H6", test, "mastery (PM) not compared across levels")

    paths = sem_paths.set_index(["lhs", "rhs"])

    def path_row(claim, hypothesis, lhs, rhs, test, sign):
        # unstandardized estimate with its CI (the standardized paths are in notebook 05)
        if (lhs, rhs) not in paths.index:
            untestable(claim, hypothesis, test, f"{rhs} is not in the structural model (not in the codebook)")
            return
        r = paths.loc[(lhs, rhs)]
        est, lo, hi = float(r["est"]), float(r["ci.lower"]), float(r["ci.upper"])
        verdict = _verdict_positive(lo) if sign > 0 else _verdict_negative(hi)
        rows.append(_row(claim, hypothesis, test, est, lo, hi, verdict))

    path_row("Deeper awareness of the Party's viewpoints goes with better mastery of methods",
             "H1", "PM", "AW", "SEM path AW → PM, unstandardized, 95% CI", +1)
    path_row("Lack of proficiency hinders the effectiveness of mobilization (gap between intentions and outcomes)",
             "H2", "IM", "PM", "SEM path PM → IM, unstandardized, 95% CI", +1)
    claim, test = ("Awareness improves outcomes through mastery of principles and methods",
                   f"indirect effect a·b, {indirect_method.replace('_', ' ')} 95% CI")
    ind = indirect[(indirect["effect"] == "ind") & (indirect["method"] == indirect_method)]
    if len(ind):
        ind = ind.iloc[0]
        rows.append(_row(claim, "H3", test, ind["est"], ind["ci.lower"], ind["ci.upper"],
                         _verdict_positive(ind["ci.lower"])))
    else:
        untestable(claim, "H3", test, f"no {indirect_method} interval of the indirect effect")
    for code, text in [("DT", "Rapid digital transformation makes mobilization harder"),
                       ("SE", "Socio-economic change (urbanization, labor migration, demographics) makes mobilization harder"),
                       ("CO", "Coordination problems between units and levels limit the efficiency of mobilization")]:
        path_row(text, "H4", "IM", code, f"SEM path {code} → IM, unstandardized, 95% CI", -1)
    path_row("Training strengthens officials' theoretical and practical mastery", "H5", "PM", "training_z",
             "SEM path training courses → PM, unstandardized, 95% CI", +1)
    wording = codebook.items.set_index("code")["text_en"]
    # codebook order, so tables from different samples line up; the rank is in the test column
    if len(solutions):
        asked = set(solutions["item"])
        solutions = solutions.set_index("item").loc[[c for c in codebook.item_columns if c in asked]].reset_index()
        rank = solutions["share"].rank(ascending=False, method="min").astype(int)
        for r, k in zip(solutions.itertuples(index=False), rank):
            rows.append(_row(f"Officials consider necessary: {wording[r.item].rstrip('.')}", "solutions",
                             f"share rating {r.item} necessary (4–5) above {agree_threshold:.0%}, Wilson 95% CI "
                             f"(rank {k} of {len(solutions)})",
                             r.share, r.ci_low, r.ci_high, SUPPORTED if r.ci_low > agree_threshold else NOT_SUPPORTED))
    else:
        untestable("Officials consider the proposed solutions necessary", "solutions",
                   f"share rating each solution necessary (4–5) above {agree_threshold:.0%}",
                   "no solution (SOL) items in the codebook")
    rows.append(_row("Implementing the proposed solutions will improve mobilization, stability and development",
                     "—", "causal and prospective: needs an intervention or panel design", np.nan, np.nan, np.nan,
                     NOT_TESTABLE))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def power_two_sided(effect: float, se: float, alpha: float = 0.05) -> float:
    """Power of a two-sided z-test of ``effect`` with standard error ``se``."""
    z = stats.norm.ppf(1 - alpha / 2)
    shift = abs(effect) / se
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))


def expected_verdict(true_effect: float, se: float, claimed_sign: int) -> str:
    """What a claim's verdict should be, given the truth and the study's precision.

    Returns ``"supported"`` if the true effect has the claimed sign and power is at
    least :data:`POWER_TARGET`, ``"not supported"`` if the true effect is zero or of
    the other sign, else ``"either"``.
    """
    if true_effect == 0 or np.sign(true_effect) != claimed_sign:
        return NOT_SUPPORTED
    return SUPPORTED if power_two_sided(true_effect, se) >= POWER_TARGET else "either"


def claim_inputs(responses: pd.DataFrame, codebook: Codebook, *, agree_threshold: float = 0.80,
                 methods: tuple[str, ...] = ("delta",), seed: int = 1, n_boot: int = 2000,
                 partial: tuple[str, ...] | None = None) -> dict:
    """Run, in one call, the analyses that :func:`claims_table` needs.

    Notebooks 02–05 compute the same quantities step by step (with figures and the
    bootstrap); this function is for the tests (where the truth comes from running it
    on a very large simulated sample) and for quick reruns on another export.

    Parameters
    ----------
    responses : DataFrame
        Processed responses (``hpmob.clean``), items as answered.
    codebook : Codebook
    agree_threshold : float
    methods : tuple of str
        Indirect-effect intervals to compute (``"delta"`` is instant; ``"bootstrap"``
        costs ``n_boot`` refits).
    seed, n_boot
        For the bootstrap.
    partial : tuple of str, optional
        Intercepts to free in the latent-mean model; by default the partial-invariance
        search decides.

    Returns
    -------
    dict
        Keyword arguments for :func:`claims_table` (without ``codebook``).
    """
    import warnings

    from hpmob.score import agreement_share, reverse_key
    from hpmob.sem import fit, fit_multigroup, latent_mean_differences, partial_invariance_search
    from hpmob.sem.indirect import indirect_effects
    from hpmob.sem.models import CORE_CONSTRUCTS, measurement_model, structural_data, structural_model

    levels = list(codebook.value_labels("level", "en"))
    present = set(codebook.constructs["code"])
    rt = (agreement_share(responses, codebook, "RT", threshold=agree_threshold) if "RT" in present
          else empty_agreement_table())
    sol = (agreement_share(responses, codebook, codebook.items_of("SOL"), threshold=agree_threshold)
           if "SOL" in present else empty_agreement_table())
    sol = sol[sol["item"] != "composite"]
    constructs = list(CORE_CONSTRUCTS)
    items = [i for c in constructs for i in codebook.items_of(c)]
    keyed = reverse_key(responses, codebook)[items + ["level"]].dropna()
    model = measurement_model(codebook, constructs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if partial is None:
            result = partial_invariance_search(model, keyed, "level", level="scalar", group_order=levels).result
        else:
            result = fit_multigroup(model, keyed, "level", group_order=levels,
                                    group_equal=("loadings", "intercepts"), group_partial=partial)
        latent = pd.concat([latent_mean_differences(result, f).assign(factor=f) for f in constructs],
                           ignore_index=True)
        data = structural_data(responses, codebook)
        sem = fit(structural_model(codebook, covariates=("district", "commune")), data)
    paths = sem.estimates[sem.estimates["op"] == "~"]
    indirect = indirect_effects(sem, data, methods=methods, seed=seed, n_boot=n_boot)
    return {"agreement_rt": rt, "latent_means": latent, "sem_paths": paths, "indirect": indirect,
            "solutions": sol, "agree_threshold": agree_threshold}
