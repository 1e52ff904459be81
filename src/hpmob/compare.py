"""Group comparisons: Welch ANOVA, Games–Howell, effect sizes and agreement by group.

A survey compares respondents by their attributes (position, area, gender, ...). The
groups differ in size (a few dozen in one, a few hundred in another) and, plausibly, in
spread, so the classical F test, whose error rate depends on
equal variances exactly when group sizes are unequal, is the wrong tool. This module
uses instead

* Welch's heteroscedastic one-way ANOVA (Welch, 1951) as the omnibus test,
* the Games–Howell procedure (Games & Howell, 1976) for pairwise follow-ups, which
  does not assume equal variances either,
* ω² with a noncentral-F confidence interval and η² as omnibus effect sizes, and
  Hedges' g with its confidence interval per pair,
* a chi-square test of independence with Cramér's V for "agree vs not" by group (the
  scale's agree codes, e.g. 4–5 of a 5-point scale).

The tests themselves are pingouin's (:func:`pingouin.welch_anova`,
:func:`pingouin.pairwise_gameshowell`, :func:`pingouin.compute_effsize`,
:func:`pingouin.compute_esci`, :func:`pingouin.multicomp`); what this module adds is
what pingouin lacks: ω² and its interval for Welch's F, disclosure control of small
groups, the codebook's order of groups, adjustment of p-values across several
outcomes, and one tidy table for the book.

Small groups
------------
A group with fewer than ``min_cell`` (default :data:`hpmob.privacy.MIN_CELL` = 5)
respondents is **dropped from the test and named** in a ``dropped_groups`` column.
Two reasons: its mean and variance would be published implicitly through the test
(disclosure control, see :mod:`hpmob.privacy`), and Welch's weights n/s² rest on a
variance estimated from a handful of answers, which makes the test erratic. A group
needs at least two respondents for a variance in any case.

Functions
---------
compare_groups
    Welch ANOVA per composite, with ω² (CI), η² and adjusted p-values.
posthoc_games_howell
    Games–Howell pairs with Hedges' g and its CI, in the codebook's group order.
group_comparison_table
    Descriptives, omnibus tests and pairs for several attributes in one long table.
agreement_chi2
    Chi-square test of "agree vs not" by group, with Cramér's V (raw and corrected).
omega_squared, omega_squared_ci, cramers_v
    The effect-size formulas, exposed so notebooks and tests can reuse them.

The functions are defined in three modules and re-exported here, where callers import
them from: the tests in :mod:`hpmob.group_tests`, the combined tables in
:mod:`hpmob.group_tables`, the effect sizes in :mod:`hpmob.effect_sizes`.

Examples
--------
The bundled second instrument (examples/wellbeing), simulated from its population model:

>>> from hpmob.codebook import load_codebook
>>> from hpmob.paths import project_root
>>> from hpmob.score import composite_scores
>>> from hpmob.simulate import load_population_model, simulate_sample
>>> wb = project_root() / "examples" / "wellbeing"
>>> cb = load_codebook(wb / "codebook.yaml")
>>> s = simulate_sample(300, 1, model=load_population_model(wb / "population_model.yaml"), codebook=cb)
>>> scores = composite_scores(s.answers, cb, constructs=["SP", "WB"])
>>> from hpmob.compare import compare_groups
>>> res = compare_groups(scores, s.attributes["gender"])
>>> res[["dv", "group", "k", "n"]]
   dv   group  k    n
0  SP  gender  2  300
1  WB  gender  2  300
"""

from __future__ import annotations

from hpmob.effect_sizes import cramers_v, omega_squared, omega_squared_ci
from hpmob.group_tables import MIN_EXPECTED as MIN_EXPECTED  # outside __all__, as before
from hpmob.group_tables import agreement_chi2, group_comparison_table
from hpmob.group_tests import MIN_CELL, PADJUST_METHODS, compare_groups, posthoc_games_howell

__all__ = [
    "MIN_CELL",
    "PADJUST_METHODS",
    "agreement_chi2",
    "compare_groups",
    "cramers_v",
    "group_comparison_table",
    "omega_squared",
    "omega_squared_ci",
    "posthoc_games_howell",
]
