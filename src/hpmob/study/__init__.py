"""The study layer: the analysis plan, one function per analysis step, verdicts and sentences.

Everything that knows *this* study's questions lives here and in the plan it reads
(``data/analysis_plan.yaml``); the statistics underneath (:mod:`hpmob.sem`,
:mod:`hpmob.reliability`, :mod:`hpmob.efa`, :mod:`hpmob.validity`, :mod:`hpmob.compare`)
know no study. The notebooks, the claims table, the power analysis, own-export runs and
the in-process variants all call the functions of :mod:`hpmob.study.steps`.

``hpmob.study`` also keeps the study metadata helpers (``load_study``, ``citation``, ...)
of :mod:`hpmob.study.metadata`.
"""

from hpmob.study.metadata import citation, hypotheses_table, load_study, sampling_frame_table
from hpmob.study.plan import AnalysisPlan, Hypothesis, PlanError, load_plan, plan_from_dict

__all__ = ["load_study", "citation", "hypotheses_table", "sampling_frame_table", "AnalysisPlan", "Hypothesis",
           "PlanError", "load_plan", "plan_from_dict"]
