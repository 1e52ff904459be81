"""Size and power of the specification-curve joint test on the study's own structural model.

Run from the repository root:

    .venv/bin/python bench/bench_joint_test.py [--n-studies 200] [--n-power 50] [--n-null 39] [--jobs 2]

``tests/test_speccurve.py`` checks the joint test's size and power on simulated regressions
(fast enough for ``make test``). This benchmark asks the same of the path claim H2
(IM ~ PM) on the SEM the study fits, with data drawn from ``data/population_model.yaml``:

* **size**: ``--n-studies`` studies from the population model with the path PM -> IM set
  to 0 (everything else as shipped), each of 465 respondents of whom a fifth skipped one
  item chosen at random (missing completely at random; the shipped export has about as
  many incomplete rows);
* **power**: ``--n-power`` studies from the population model as shipped (its true path).

Each study runs :func:`hpmob.robustness.path_joint_test` over a grid of 4 specifications,
two of the grid's own choices: level covariates (level / none) x missing data (FIML /
listwise). Level shifts PM only, not IM, so every specification estimates a path of 0 under
the null: the null is true for the whole grid. ``--n-null 39`` null draws make p = .05
attainable exactly ((1 + 1) / 40). The rejection rate of each summary at alpha = .05 is
printed with its Monte Carlo SE; the size should lie within about 2 SE of .05.
Studies are seeded by number (``SeedSequence(seed).spawn``), so the result does not
depend on ``--jobs``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

#: The path tested: H2 of the analysis plan, and its name in the population model.
LHS, RHS, SIGN = "IM", "PM", "+"
#: Share of respondents who skipped one item of the model (chosen at random).
SKIP_RATE = 0.2


def _study(seed_seq, model: dict, n: int, n_null: int) -> dict:
    from hpmob.codebook import load_codebook
    from hpmob.robustness import IN_SPEC, path_joint_test
    from hpmob.simulate import simulate_sample
    from hpmob.study.models import structural_data, structural_syntax
    from hpmob.study.plan import load_plan

    codebook = load_codebook()
    plan = load_plan(codebook=codebook)
    seed = int(seed_seq.generate_state(1)[0])
    sample = simulate_sample(n, seed, model=model, codebook=codebook)
    answers = sample.answers.astype(float)
    items = [c for c in answers.columns if c[:2] in {"AW", "PM", "IM", "DT", "SE", "CO"}]
    rng = np.random.default_rng(seed + 1)
    skip = np.flatnonzero(rng.random(n) < SKIP_RATE)
    cols = rng.integers(0, len(items), skip.size)
    for r, c in zip(skip, cols):
        answers.iloc[r, answers.columns.get_loc(items[c])] = np.nan
    responses = sample.attributes.join(answers)
    blocks, specs = [], []
    for k, (controls, missing) in enumerate([(c, m) for c in (True, False) for m in ("ml", "listwise")]):
        model_syntax = structural_syntax(plan, codebook, controls=controls, random_x=missing == "ml")
        data = structural_data(responses, codebook, plan, controls=controls)
        prefix = f"s{k}|"
        blocks.append(data.assign(**{IN_SPEC: 1.0}).add_prefix(prefix))
        specs.append({"prefix": prefix, "model": model_syntax, "fit": {"estimator": "ML", "ci": 0.95,
                                                                       "missing": missing}})
    wide = pd.concat(blocks, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = path_joint_test(None, LHS, RHS, SIGN, n_null=n_null, seed=seed, n_jobs=1, structural=(wide, specs))
    return dict(zip(res["statistic"], res["p_value"] <= 0.05))


def _rates(model, n_studies, seed, n, n_null, jobs) -> pd.DataFrame:
    from hpmob.execution import run_tasks

    children = np.random.SeedSequence(seed).spawn(n_studies)
    out = pd.DataFrame(run_tasks(_study, [(c, model, n, n_null) for c in children], n_jobs=jobs))
    rate = out.mean()
    return pd.DataFrame({"rejection rate": rate, "mc_se": np.sqrt(rate * (1 - rate) / n_studies),
                         "studies": n_studies})


def main() -> None:
    from hpmob.simulate import load_population_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-studies", type=int, default=200, help="simulated studies under the null")
    ap.add_argument("--n-power", type=int, default=50, help="simulated studies under the true effect")
    ap.add_argument("--n-null", type=int, default=39, help="null draws per joint test")
    ap.add_argument("--n", type=int, default=465, help="respondents per study")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    model = load_population_model()
    null = copy.deepcopy(model)
    null["latent"]["structural"][LHS]["paths"][RHS] = 0.0
    true_effect = model["latent"]["structural"][LHS]["paths"][RHS]
    for label, m, k, seed in (("size (path 0)", null, a.n_studies, a.seed),
                              (f"power (path {true_effect})", model, a.n_power, a.seed + 1)):
        if k < 1:
            continue
        start = time.perf_counter()
        rates = _rates(m, k, seed, a.n, a.n_null, a.jobs)
        seconds = time.perf_counter() - start
        print(f"== {label}: {k} studies of {a.n}, 4 specifications, {a.n_null} null draws each, "
              f"{seconds:.0f} s on {a.jobs} worker(s) ({seconds / k:.1f} s per study)")
        print(rates.round(4).to_string())


if __name__ == "__main__":
    main()
