"""Monte Carlo power analysis from the population model: how many respondents to survey?

For a planned number of respondents per group, samples are drawn from
``data/population_model.yaml`` (groups in equal numbers) and each is analysed by the
study's own decision procedure (:mod:`hpmob.study.steps`): the invariance step with its
partial-invariance *search* (the replicate is not told which intercept the population
model shifted), latent means at the level the search reached, and the structural model
with a delta-method interval of each indirect effect. The share of samples in which a
hypothesis is decided on the claimed side estimates its power (Muthén & Muthén 2002).
Which hypotheses are reported is the plan's ``power.hypotheses``:

* a ``latent_mean_order`` hypothesis (a latent-mean order claim) gives one effect per
  non-reference group (``"<label> <group>-<reference>"``: that group's latent mean
  differs from the reference group's on the claimed side);
* an ``indirect`` hypothesis gives ``"<label> indirect"``;
* a ``path`` hypothesis gives ``"<label> <rhs>→<lhs>"``.

Replicates are seeded with ``SeedSequence(seed).spawn``, so results do not depend on
``n_jobs``; they run in parallel with joblib.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from hpmob.codebook import Codebook, load_codebook
from hpmob.execution import run_tasks
from hpmob.simulate import load_population_model, simulate_sample
from hpmob.study.plan import AnalysisPlan, load_plan


def _equal_levels(model: dict) -> dict:
    model = copy.deepcopy(model)
    for spec in model["levels"].values():
        spec["share"] = 1 / len(model["levels"])
    return model


def power_effects(plan: AnalysisPlan) -> list[str]:
    """Name the effects a power run reports, from the plan's ``power.hypotheses``.

    Parameters
    ----------
    plan : AnalysisPlan
        The analysis plan.

    Returns
    -------
    list of str
        One name per latent-mean contrast, indirect effect and path, in the plan's order.

    Examples
    --------
    The bundled second study (examples/wellbeing) reports no power; name three of its
    hypotheses:

    >>> import dataclasses
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.paths import project_root
    >>> wb = project_root() / "examples" / "wellbeing"
    >>> plan = load_plan(wb / "analysis_plan.yaml", codebook=load_codebook(wb / "codebook.yaml"))
    >>> power_effects(dataclasses.replace(plan, power=["S3", "S2", "S1"]))
    ['S3 female-male', 'S2 indirect', 'S1 SP→EN']
    """
    names = []
    for hid in plan.power:
        h = plan.hypothesis(hid)
        if h.type == "latent_mean_order":
            ref = plan.grouping["order"][0]
            groups = [h["contrast"][0]] + [g for g in plan.grouping["order"][1:] if g != h["contrast"][0]]
            names += [f"{h.label} {g}-{ref}" for g in groups]
        elif h.type == "indirect":
            names.append(f"{h.label} indirect")
        elif h.type == "path":
            names.append(f"{h.label} {h['rhs']}→{h['lhs']}")
    return names


def decide(responses: pd.DataFrame, codebook: Codebook, plan: AnalysisPlan, *, seed: int = 1) -> dict:
    """Take the study's decisions on one sample: detection of each power effect, and what the search freed.

    Runs :func:`hpmob.study.steps.invariance` (partial-invariance search included) and
    :func:`hpmob.study.steps.structural` (delta-method intervals) and reads the verdicts.

    Parameters
    ----------
    responses : DataFrame
        A cleaned sample.
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The plan; its ``power.hypotheses`` name the effects.
    seed : int
        Seed of the structural step.

    Returns
    -------
    dict
        ``{effect name: detected (bool)}`` for :func:`power_effects`, plus ``"freed"``
        (the intercepts the search released, as a tuple).

    Examples
    --------
    >>> from hpmob.power import decide, power_effects
    >>> from hpmob.clean import clean_export
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> from hpmob.study import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> responses = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")).responses
    >>> out = decide(responses, codebook, plan)
    >>> sorted(out) == sorted([*power_effects(plan), "freed"]), all(isinstance(out[e], bool) for e in power_effects(plan))
    (True, True)
    """
    from hpmob.study import steps

    out: dict = {}
    wanted = [plan.hypothesis(hid) for hid in plan.power]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if any(h.type == "latent_mean_order" for h in wanted):
            inv = steps.invariance(responses, codebook, plan, full_sequence=False)
            out["freed"] = tuple(inv.verdicts.get("freed", ()))
            ref = plan.grouping["order"][0]
            for h in wanted:
                if h.type == "latent_mean_order":
                    # no contrasts when the invariance model could not be fitted ("not estimable"):
                    # a study that cannot estimate the effect has not detected it
                    contrasts = inv.verdicts.get(f"{h.id}_contrasts") or {}
                    for g in plan.grouping["order"][1:]:
                        out[f"{h.label} {g}-{ref}"] = bool(contrasts.get(g, False))
        if any(h.type in ("indirect", "path") for h in wanted):
            sem = steps.structural(responses, codebook, plan, methods=("delta",), seed=seed)
            for h in wanted:
                if h.type == "indirect":
                    out[f"{h.label} indirect"] = bool((sem.verdicts.get(f"{h.id}_detected") or {}).get("delta", False))
                elif h.type == "path":
                    out[f"{h.label} {h['rhs']}→{h['lhs']}"] = sem.verdicts[h.id] == "supported"
    return out


def _study_replicate(n_per_group: int, seed_seq, model: dict, codebook: Codebook, plan: AnalysisPlan) -> dict:
    seed = int(seed_seq.generate_state(1)[0])
    n_groups = len(plan.grouping["order"])
    sample = simulate_sample(n_groups * n_per_group, seed, model=model, codebook=codebook)
    decisions = decide(sample.attributes.join(sample.answers), codebook, plan, seed=seed)
    return {name: decisions[name] for name in power_effects(plan)}


def simulate_power(replicate, designs, *, n_rep: int, seed: int, n_jobs: int = 2, args: tuple = (),
                   progress=None, backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Estimate power by Monte Carlo: run ``replicate`` ``n_rep`` times per design and count detections.

    The engine behind :func:`power_curve` and :func:`two_group_power`: replicate ``r`` of
    design ``k`` gets child ``k * n_rep + r`` of ``SeedSequence(seed)``, so the result
    does not depend on ``n_jobs`` (joblib workers).

    Parameters
    ----------
    replicate : callable
        ``replicate(design, seed_sequence, *args) -> {effect: detected (bool)}``; must be
        picklable (a module-level function) when ``n_jobs > 1``.
    designs : sequence
        Design points (e.g. respondents per group), passed to ``replicate`` as they are.
    n_rep, seed, n_jobs
        Replicates per design, root seed, parallel workers.
    progress : callable, optional
        ``progress(k, n_designs, design)``, called before design ``k`` (0-based) is run;
        the seeds, hence the results, are the same with or without it.
    backend, scheduler
        ``"loky"`` (local processes) or ``"dask"`` with the address of a
        ``dask.distributed`` scheduler (:func:`hpmob.execution.run_tasks`); the result
        does not depend on them.
    args : tuple
        Further arguments of ``replicate``, after the design and the seed sequence.

    Returns
    -------
    DataFrame
        ``design, effect, power, mc_se, n_rep`` with ``mc_se`` the Monte Carlo standard
        error sqrt(p(1 − p)/n_rep).

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.power import simulate_power
    >>> def replicate(n, seed_seq):
    ...     x = np.random.default_rng(seed_seq).normal(0.5, 1.0, n)
    ...     return {"mean > 0": bool(x.mean() / (x.std(ddof=1) / np.sqrt(n)) > 1.96)}
    >>> simulate_power(replicate, [10, 80], n_rep=200, seed=1, n_jobs=1)[["design", "power"]]
       design  power
    0      10  0.395
    1      80  0.995
    """
    if n_rep < 2:
        raise ValueError(f"n_rep must be at least 2 simulated studies, not {n_rep}")
    designs = list(designs)
    children = np.random.SeedSequence(seed).spawn(len(designs) * n_rep)
    def run(tasks):
        return run_tasks(replicate, tasks, n_jobs=n_jobs, backend=backend, scheduler=scheduler)

    if progress is None:
        results = run([(d, children[k * n_rep + r], *args) for k, d in enumerate(designs) for r in range(n_rep)])
    else:  # one design at a time (same seeds), reporting before each
        results = []
        for k, d in enumerate(designs):
            progress(k, len(designs), d)
            results += run([(d, children[k * n_rep + r], *args) for r in range(n_rep)])
    rows = []
    for k, design in enumerate(designs):
        chunk = results[k * n_rep:(k + 1) * n_rep]
        for effect in chunk[0]:
            p = float(np.mean([r[effect] for r in chunk]))
            rows.append({"design": design, "effect": effect, "power": p,
                         "mc_se": float(np.sqrt(p * (1 - p) / n_rep)), "n_rep": n_rep})
    return pd.DataFrame(rows)


def power_curve(n_per_level=(50, 100, 150, 200), *, n_rep: int = 100, seed: int, n_jobs: int = 2,
                model: dict | None = None, codebook: Codebook | None = None,
                plan: AnalysisPlan | None = None, progress=None, backend: str = "loky",
                scheduler: str | None = None) -> pd.DataFrame:
    """Estimate power by Monte Carlo for several planned sample sizes.

    Parameters
    ----------
    n_per_level : sequence of int
        Respondents per group of the plan's grouping variable (groups sampled equally).
    n_rep : int
        Simulated studies per sample size.
    seed : int
        Root of the random streams (one child per replicate).
    n_jobs : int
        Parallel workers (joblib); results do not depend on it.
    model, codebook, plan
        Population model, instrument and analysis plan (default: the shipped ones).
    progress : callable, optional
        Called before each size (see :func:`simulate_power`); results do not depend on it.
    backend, scheduler
        Local processes (``"loky"``) or a Dask cluster (``"dask"``, scheduler address);
        results do not depend on them (:func:`simulate_power`).

    Returns
    -------
    DataFrame
        ``n_per_level, n_total, effect, power, mc_se, n_rep`` with ``mc_se`` the Monte
        Carlo standard error sqrt(p(1 − p)/n_rep).

    Examples
    --------
    >>> curve = power_curve((40,), n_rep=2, seed=1, n_jobs=1)
    >>> curve.columns.tolist()
    ['n_per_level', 'n_total', 'effect', 'power', 'mc_se', 'n_rep']
    >>> int(curve["n_total"].iloc[0]), bool(curve["power"].between(0, 1).all())
    (120, True)
    """
    sizes = [int(n) for n in n_per_level]
    if min(sizes) < 20:
        raise ValueError(f"at least 20 respondents per group are needed to fit the models; got {min(sizes)}")
    model = _equal_levels(model or load_population_model())
    codebook = codebook or load_codebook()
    plan = plan or load_plan(codebook=codebook)
    curve = simulate_power(_study_replicate, sizes, n_rep=n_rep, seed=seed, n_jobs=n_jobs,
                           args=(model, codebook, plan), progress=progress, backend=backend, scheduler=scheduler)
    curve = curve.rename(columns={"design": "n_per_level"})
    curve.insert(1, "n_total", len(plan.grouping["order"]) * curve["n_per_level"])
    return curve


def _two_group_replicate(design, seed_seq, d: float, alpha: float) -> dict:
    from scipy import stats

    n1, n2 = design
    rng = np.random.default_rng(seed_seq)
    x, y = rng.normal(0.0, 1.0, n1), rng.normal(d, 1.0, n2)
    return {"t-test": bool(stats.ttest_ind(x, y).pvalue < alpha)}


def two_group_power(n1: int, n2: int, d: float, *, n_rep: int, seed: int, alpha: float = 0.05,
                    n_jobs: int = 1, backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Estimate by Monte Carlo the power of Student's two-sample t-test for a standardized difference ``d``.

    The simplest case the Monte Carlo engine (:func:`simulate_power`) can be checked on:
    its answer must agree, within Monte Carlo error, with the closed form from the
    noncentral t distribution (:func:`pingouin.power_ttest2n`). Notebook 08 shows the
    check at the sizes of the shipped sample's first and last group (in the plan's group
    order); the tests assert it.

    Parameters
    ----------
    n1, n2 : int
        Group sizes.
    d : float
        The true standardized mean difference.
    n_rep : int
        Simulated studies.
    seed : int
        Root seed.
    alpha : float
        The test's level.
    n_jobs, backend, scheduler
        Where the replicates run (:func:`simulate_power`); the result does not depend on them.

    Returns
    -------
    DataFrame
        One row: ``design`` (n1, n2), ``effect``, ``power``, ``mc_se``, ``n_rep``.

    Examples
    --------
    >>> import pingouin as pg
    >>> from hpmob.power import two_group_power
    >>> mc = two_group_power(40, 40, 0.6, n_rep=400, seed=1)
    >>> exact = pg.power_ttest2n(40, 40, d=0.6)
    >>> bool(abs(mc["power"].iloc[0] - exact) < 3 * mc["mc_se"].iloc[0])
    True
    """
    return simulate_power(_two_group_replicate, [(int(n1), int(n2))], n_rep=n_rep, seed=seed, n_jobs=n_jobs,
                          args=(float(d), float(alpha)), backend=backend, scheduler=scheduler)


def required_n(curve: pd.DataFrame, target: float = 0.80) -> pd.DataFrame:
    """Find the smallest planned n per level whose estimated power reaches ``target``, per effect.

    Parameters
    ----------
    curve : DataFrame
        A power curve (:func:`power_curve`): ``n_per_level, effect, power``.
    target : float
        The power wanted.

    Returns
    -------
    DataFrame
        ``effect, target, n_per_level`` (NaN where no planned size reaches the target).

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.power import required_n
    >>> curve = pd.DataFrame({"n_per_level": [50, 100, 50, 100], "effect": ["a", "a", "b", "b"],
    ...                       "power": [0.62, 0.91, 0.30, 0.55]})
    >>> required_n(curve)
      effect  target  n_per_level
    0      a     0.8        100.0
    1      b     0.8          NaN
    """
    rows = []
    for effect, sub in curve.groupby("effect", sort=False):
        ok = sub[sub["power"] >= target]
        rows.append({"effect": effect, "target": target,
                     "n_per_level": int(ok["n_per_level"].min()) if len(ok) else np.nan})
    return pd.DataFrame(rows)
