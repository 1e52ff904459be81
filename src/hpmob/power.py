"""Monte Carlo power analysis from the population model: how many officials to survey?

For a planned number of officials per governance level, samples are drawn from
``data/population_model.yaml`` (levels in equal numbers), analysed exactly as the
study analyses them, and the share of samples in which the effect is detected at 95 %
confidence estimates the power (Muthén & Muthén 2002's Monte Carlo approach):

* **H6** — the commune − city latent mean difference of mastery (PM), and the
  district − city one, from the partial scalar multigroup model (PM3's intercept free);
* **H3** — the indirect effect of awareness on effectiveness through mastery (a·b),
  delta-method interval of the study's structural model.

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

LEVELS = ("city", "district", "commune")
EFFECTS = ("H6 commune-city", "H6 district-city", "H3 indirect")


def _equal_levels(model: dict) -> dict:
    model = copy.deepcopy(model)
    for spec in model["levels"].values():
        spec["share"] = 1 / len(model["levels"])
    return model


def _one_replicate(n_per_level: int, seed_seq, model: dict, codebook: Codebook) -> dict:
    from hpmob.score import reverse_key
    from hpmob.sem import fit, fit_multigroup, latent_mean_differences
    from hpmob.sem.indirect import indirect_effects
    from hpmob.sem.models import measurement_model, structural_data, structural_model

    seed = int(seed_seq.generate_state(1)[0])
    sample = simulate_sample(3 * n_per_level, seed, model=model, codebook=codebook)
    responses = sample.attributes.join(sample.answers)
    constructs = ["AW", "PM", "IM"]
    items = [i for c in constructs for i in codebook.items_of(c)]
    keyed = reverse_key(responses, codebook)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mg = fit_multigroup(measurement_model(codebook, constructs), keyed[items + ["level"]], "level",
                            group_order=list(LEVELS), group_equal=("loadings", "intercepts"),
                            group_partial=("PM3~1",))
        pm = latent_mean_differences(mg, "PM").set_index("group_label")
        out["H6 commune-city"] = bool(pm.loc["commune", "ci.upper"] < 0)
        out["H6 district-city"] = bool(pm.loc["district", "ci.upper"] < 0)
        data = structural_data(responses, codebook)
        sem = fit(structural_model(codebook, covariates=("district", "commune")), data)
        ind = indirect_effects(sem, data, defined="ind", methods=("delta",), seed=seed)
    out["H3 indirect"] = bool(ind["ci.lower"].iloc[0] > 0)
    return out


def simulate_power(replicate, designs, *, n_rep: int, seed: int, n_jobs: int = 2, args: tuple = (),
                   progress=None, backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Monte Carlo power: run ``replicate`` ``n_rep`` times per design, count detections.

    The engine behind :func:`power_curve` and :func:`two_group_power`: replicate ``r`` of
    design ``k`` gets child ``k * n_rep + r`` of ``SeedSequence(seed)``, so the result
    does not depend on ``n_jobs`` (joblib workers).

    Parameters
    ----------
    replicate : callable
        ``replicate(design, seed_sequence, *args) -> {effect: detected (bool)}``; must be
        picklable (a module-level function) when ``n_jobs > 1``.
    designs : sequence
        Design points (e.g. officials per level), passed to ``replicate`` as they are.
    n_rep, seed, n_jobs
        Replicates per design, root seed, parallel workers.
    progress : callable, optional
        ``progress(k, n_designs, design)``, called before design ``k`` (0-based) is run;
        the seeds, hence the results, are the same with or without it.
    backend, scheduler
        ``"loky"`` (local processes) or ``"dask"`` with the address of a
        ``dask.distributed`` scheduler (:func:`hpmob.execution.run_tasks`); the result
        does not depend on them.

    Returns
    -------
    DataFrame
        ``design, effect, power, mc_se, n_rep`` with ``mc_se`` the Monte Carlo standard
        error sqrt(p(1 − p)/n_rep).
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
                model: dict | None = None, codebook: Codebook | None = None, progress=None,
                backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Estimate power by Monte Carlo for several planned sample sizes.

    Parameters
    ----------
    n_per_level : sequence of int
        Officials per governance level (the three levels are sampled equally).
    n_rep : int
        Simulated studies per sample size.
    seed : int
        Root of the random streams (one child per replicate).
    n_jobs : int
        Parallel workers (joblib); results do not depend on it.
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
    >>> power_curve((60,), n_rep=4, seed=1, n_jobs=1)  # doctest: +SKIP
    """
    sizes = [int(n) for n in n_per_level]
    if min(sizes) < 20:
        raise ValueError(f"at least 20 officials per level are needed to fit the models; got {min(sizes)}")
    model = _equal_levels(model or load_population_model())
    codebook = codebook or load_codebook()
    curve = simulate_power(_one_replicate, sizes, n_rep=n_rep, seed=seed, n_jobs=n_jobs, args=(model, codebook),
                           progress=progress, backend=backend, scheduler=scheduler)
    curve = curve.rename(columns={"design": "n_per_level"})
    curve.insert(1, "n_total", 3 * curve["n_per_level"])
    return curve


def _two_group_replicate(design, seed_seq, d: float, alpha: float) -> dict:
    from scipy import stats

    n1, n2 = design
    rng = np.random.default_rng(seed_seq)
    x, y = rng.normal(0.0, 1.0, n1), rng.normal(d, 1.0, n2)
    return {"t-test": bool(stats.ttest_ind(x, y).pvalue < alpha)}


def two_group_power(n1: int, n2: int, d: float, *, n_rep: int, seed: int, alpha: float = 0.05,
                    n_jobs: int = 1, backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Monte Carlo power of Student's two-sample t-test for a standardized difference ``d``.

    The simplest case the Monte Carlo engine (:func:`simulate_power`) can be checked on:
    its answer must agree, within Monte Carlo error, with the closed form from the
    noncentral t distribution (:func:`pingouin.power_ttest2n`). Notebook 08 shows the
    check at the shipped sample's city and commune sizes; the tests assert it.

    Returns
    -------
    DataFrame
        One row: ``design`` (n1, n2), ``effect``, ``power``, ``mc_se``, ``n_rep``.
    """
    return simulate_power(_two_group_replicate, [(int(n1), int(n2))], n_rep=n_rep, seed=seed, n_jobs=n_jobs,
                          args=(float(d), float(alpha)), backend=backend, scheduler=scheduler)


def required_n(curve: pd.DataFrame, target: float = 0.80) -> pd.DataFrame:
    """Smallest planned n per level whose estimated power reaches ``target``, per effect (NaN if none)."""
    rows = []
    for effect, sub in curve.groupby("effect", sort=False):
        ok = sub[sub["power"] >= target]
        rows.append({"effect": effect, "target": target,
                     "n_per_level": int(ok["n_per_level"].min()) if len(ok) else np.nan})
    return pd.DataFrame(rows)
