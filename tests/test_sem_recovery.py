"""Parameter recovery of the structural model (H1-H5) over 50 simulated samples.

Each sample of 450 officials is drawn from data/population_model.yaml and the study's
structural model (notebook 05: level indicators as covariates, MIMIC on the exogenous
constructs) is fitted to the continuous item responses y*, for which it is correctly
specified. True paths in the model's metric (first loading fixed to 1) are the
population paths rescaled by the marker loadings, e.g. a = 0.45 x lambda(PM1) / lambda(AW1).
The pooled coverage of the 350 nominal 95 % intervals must lie in 90-98 % (binomial SD
of the coverage: 1.2 points). About 25 s.
"""

import warnings

import pytest

from hpmob.codebook import load_codebook
from hpmob.sem import fit
from hpmob.simulate import load_population_model, simulate_sample
from hpmob.study.models import structural_syntax
from hpmob.study.plan import load_plan


@pytest.mark.slow
def test_structural_paths_intervals_cover_the_truth():
    cb = load_codebook()
    pm = load_population_model()
    lam = {k: v["loading"] for k, v in pm["items"].items()}
    paths = pm["latent"]["structural"]
    truth = {
        ("PM", "AW"): paths["PM"]["paths"]["AW"] * lam["PM1"] / lam["AW1"],
        ("PM", "training_z"): paths["PM"]["paths"]["train_z"] * lam["PM1"],
        ("IM", "PM"): paths["IM"]["paths"]["PM"] * lam["IM1"] / lam["PM1"],
        ("IM", "AW"): paths["IM"]["paths"]["AW"] * lam["IM1"] / lam["AW1"],
        **{("IM", c): paths["IM"]["paths"][c] * lam["IM1"] / lam[f"{c}1"] for c in ("DT", "SE", "CO")},
    }
    model = structural_syntax(load_plan(codebook=cb), cb)
    tc = pm["attributes"]["training_courses"]
    covered = 0
    for k in range(50):
        s = simulate_sample(450, seed=5000 + k)
        data = s.ystar.copy()
        data["training_z"] = (s.attributes["training_courses"] - tc["z_mean"]) / tc["z_sd"]
        for lev in ("district", "commune"):
            data[lev] = (s.attributes["level"] == lev).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = fit(model, data).estimates
        reg = est[est["op"] == "~"].set_index(["lhs", "rhs"])
        covered += sum(reg.loc[key, "ci.lower"] <= value <= reg.loc[key, "ci.upper"] for key, value in truth.items())
    coverage = covered / (50 * len(truth))
    assert 0.90 <= coverage <= 0.98, f"coverage {coverage:.3f}"
