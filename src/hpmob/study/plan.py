"""The analysis plan: the study's models and hypotheses as data, checked against the codebook.

A plan (``data/analysis_plan.yaml``) declares what a study tests: the measurement model
(constructs of the codebook), the structural model (paths between constructs and observed
covariates, with the covariates' coding), the grouping variable of the invariance and
latent-mean analysis, the estimator settings, and every hypothesis as a typed test with
its claim in English and Vietnamese. :func:`load_plan` reads it and checks it against the
codebook, reporting every problem at once (file, line, entry and what to do) before
anything runs.

Hypothesis types
----------------
``path``
    ``lhs``, ``rhs``, ``sign`` (``+``/``-``): a declared regression of the structural
    model; supported when its interval lies on the claimed side of zero.
``indirect``
    ``chain`` (three or more constructs or covariates), ``sign``: the product of the
    chain's path labels (a ``defined`` parameter); judged by the plan's
    ``indirect_method`` interval.
``latent_mean_order``
    ``construct``, ``contrast`` (group, reference), ``sign`` (``+``, ``-`` or ``any``),
    optional ``order`` (groups, lowest first): latent means at the invariance level the
    partial-invariance search reached.
``share_above``
    ``construct`` (or ``items``), optional ``threshold``: the share agreeing with the
    construct (composite at or above the lowest agree code) credibly above the threshold.
``ranking``
    ``construct`` (or ``items``): one share per item, ranked, each against the threshold.
``not_testable``
    ``reason`` (en, vi): kept in the claims table with its reason.

Examples
--------
>>> from hpmob.codebook import load_codebook
>>> plan = load_plan(codebook=load_codebook())
>>> [h.id for h in plan.hypotheses][:3]
['H7', 'H6_AW', 'H6']
>>> plan.grouping["order"]
['city', 'district', 'commune']

The classes live in :mod:`hpmob.study.plan_classes`, the reading and checking of the YAML in
:mod:`hpmob.study.plan_reading`; every public name is re-exported here.
"""

from __future__ import annotations

from hpmob.study.plan_classes import (  # noqa: F401 (re-exported)
    AnalysisPlan,
    Hypothesis,
    PlanError,
    constructs_named,
)
from hpmob.study.plan_reading import (  # noqa: F401 (re-exported)
    CODINGS,
    ESTIMATORS,
    GROUP_MISSING,
    HYPOTHESIS_TYPES,
    INDIRECT_METHODS,
    INVARIANCE_LEVELS,
    MISSING,
    SIGNS,
    load_plan,
    plan_from_dict,
)

__all__ = ["AnalysisPlan", "Hypothesis", "PlanError", "load_plan", "plan_from_dict", "HYPOTHESIS_TYPES",
           "INDIRECT_METHODS"]

# These names' public home is this module (numpy's ``set_module`` idea): tracebacks and
# pickles name ``hpmob.study.plan.PlanError`` as before the split, and the API-docs test
# finds the entry points here. (The classes with methods stay in plan_classes: doctest
# collects a method only with its class's module.)
for _obj in (PlanError, load_plan, plan_from_dict):
    _obj.__module__ = __name__
del _obj
