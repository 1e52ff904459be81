"""The study's estimation settings travel with its verdicts.

- FIML is the plan's missing-data treatment; the ``listwise`` variant reproduces the claims
  table the study had before it switched (``tests/data/claims_before_fiml.csv``: the main
  variant's claims table computed in-process at commit 04b0d81, listwise deletion, 1000
  bootstrap resamples, seed 20250902). Its H7 and solutions rows (shares of available cases)
  were recomputed with the same settings when the plan's grouping began to exclude the three
  respondents without a level (rule ``no_group_value``); the model rows were unchanged,
  since listwise deletion already dropped them (the level dummies are covariates).
- The claims table says which estimator, missing-data treatment and N each verdict used.
- A model that cannot be fitted (a group far too small) or did not converge gives the
  verdict "not estimable", never supported / not supported, in the table and the sentence.
"""

import pandas as pd
import pytest

from hpmob.clean import clean_export
from hpmob.io import load_export
from hpmob.simulate import simulate_sample
from hpmob.study import steps
from hpmob.study.run import run_study
from hpmob.study.verdicts import NOT_ESTIMABLE, NOT_SUPPORTED, SUPPORTED, claims_rows, judge
from hpmob.variants import load_variants


@pytest.fixture(scope="module")
def responses(root, cb, plan):
    # the study's cleaning: the plan's grouping excludes respondents without a level
    return clean_export(load_export(root / "data" / "raw" / "hpmob_survey_export.csv", cb), cb,
                        plan.cleaning_rules()).responses


def test_the_plan_uses_fiml_and_the_listwise_variant_is_named(plan):
    assert plan.estimation["missing"] == "ml"
    assert load_variants()["listwise"]["missing"] == "listwise"


def test_listwise_variant_reproduces_the_claims_before_fiml(root, cb, plan, responses):
    before = pd.read_csv(root / "tests" / "data" / "claims_before_fiml.csv")
    listwise = plan.with_settings(missing="listwise")
    # the in-process variant's settings: 1000 resamples (variants.yaml defaults), the notebooks' seed
    out = run_study(responses, cb, listwise, measurement=False, comparisons=False, methods=("delta", "bootstrap"),
                    n_boot=1000, seed=20250902, n_jobs=1)
    now = out["claims"].tables["claims"]
    # the results CSV keeps 6 decimals: equal to within its rounding
    pd.testing.assert_frame_equal(now[before.columns].reset_index(drop=True), before, check_exact=False,
                                  rtol=0, atol=5.1e-7, check_dtype=False)
    model_rows = now[now["missing"] == "listwise"]
    assert len(model_rows) == 9  # H6 twice, H1-H5 with three H4 paths


@pytest.fixture(scope="module")
def fiml_run(cb, plan, responses):
    return run_study(responses, cb, plan.with_settings(indirect_method="delta"), measurement=False,
                     comparisons=False, methods=("delta",))


def test_claims_table_says_estimator_missing_treatment_and_n(fiml_run, responses):
    claims = fiml_run["claims"].tables["claims"]
    inv, sem = fiml_run["invariance"], fiml_run["structural"]
    h6 = claims[claims["hypothesis"].str.startswith("H6")]
    assert (h6["missing"] == "FIML").all() and (h6["estimator"] == "ML").all()
    assert (h6["n"] == inv.glue["inv_n"]).all()
    paths = claims[claims["hypothesis"].isin(["H1", "H2", "H3", "H4", "H5"])]
    assert (paths["missing"] == "FIML").all() and (paths["n"] == sem.objects["sem"].n).all()
    # FIML keeps the incomplete respondents listwise deletion drops (365 complete of 465)
    assert sem.objects["sem"].n == len(responses) > 365
    shares = claims[claims["hypothesis"].isin(["H7", "solutions"])]
    assert (shares["missing"] == "available cases").all() and (shares["n"] <= len(responses)).all()
    assert sem.tables["sem_status"]["converged"].all() and inv.tables["invariance_status"]["converged"].all()
    assert f"{sem.objects['sem'].n} of the {len(responses)} respondents" in sem.sentences["fit"]["en"]


def _tiny_commune(cb, k=6):
    s = simulate_sample(600, 3, codebook=cb)
    r = s.attributes.join(s.answers)
    keep = r.index.isin(r[r["level"] == "commune"].index[:k])
    return r[(r["level"] != "commune") | keep]


@pytest.mark.parametrize("missing", ["ml", "listwise"])
def test_a_group_too_small_makes_the_latent_mean_claims_not_estimable(cb, plan, missing):
    inv = steps.invariance(_tiny_commune(cb), cb, plan.with_settings(missing=missing), full_sequence=False)
    status = inv.tables["invariance_status"].iloc[0]
    assert not status["converged"] and "could not be fitted" in status["convergence"]
    claims = claims_rows(plan, cb, inv.tables)
    h6 = claims[claims["hypothesis"].str.startswith("H6")]
    assert len(h6) == 2 and (h6["verdict"] == NOT_ESTIMABLE).all()
    assert h6["test"].str.contains("not estimable").all() and h6["estimate"].isna().all()
    for hid in ("H6", "H6_AW"):
        if hid in inv.sentences:
            en = inv.sentences[hid]["en"]
            assert "not estimable" in en and "supported" not in en
            assert "không ước lượng được" in inv.sentences[hid]["vi"]


def _tables_with_status(converged: bool, proper: bool = True):
    latent = pd.DataFrame({"factor": ["PM"] * 3, "group_label": ["city", "district", "commune"],
                           "est": [0.0, -0.2, -0.5], "ci.lower": [0.0, -0.4, -0.7], "ci.upper": [0.0, -0.1, -0.3],
                           "std.lv": [0.0, -0.2, -0.5]})
    status = pd.DataFrame([{"model": "latent means", "estimator": "ML", "missing": "FIML", "n": 400,
                            "n_patterns": 9, "converged": converged, "proper": proper,
                            "convergence": "" if converged else "gradient 0.3",
                            "improper": "" if proper else "negative variance of PM2 (Heywood case)",
                            "warnings": ""}])
    return {"latent_means": latent, "invariance_status": status}


@pytest.mark.parametrize("converged, proper", [(False, True), (True, False)])
def test_a_nonconverged_or_improper_fit_never_gives_supported(plan, cb, converged, proper):
    h = plan.hypothesis("H6")
    ok = judge(h, plan, cb, _tables_with_status(True))[0]
    assert ok["verdict"] in (SUPPORTED, NOT_SUPPORTED) and ok["n"] == 400 and ok["missing"] == "FIML"
    bad = judge(h, plan, cb, _tables_with_status(converged, proper))[0]
    assert bad["verdict"] == NOT_ESTIMABLE
    assert ("did not converge" if not converged else "improper") in bad["test"]
    assert bad["estimate"] == ok["estimate"]  # the number is kept, the verdict is not drawn from it
