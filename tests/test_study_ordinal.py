"""The ordinal invariance step and the claims table's ordinal columns follow the results.

Small simulated samples of the study's design (two of the plan's grouping constructs, AW
and PM, to keep the fits fast): one from the shipped population model with PM3's commune
intercept shift doubled (so that 500 respondents detect it: full scalar invariance fails and
the search frees it), one with
no intercept shift (full scalar invariance), and one in which nobody at city level varies on
PM1 (no ordinal model can be fitted). The ordinal verdicts, levels, dMACS rows and sentences
must change with them, and the claims table must carry what the step decided.
"""

import copy
import dataclasses

import pandas as pd
import pytest

from hpmob.simulate import load_population_model, simulate_sample
from hpmob.study import steps
from hpmob.study.plan import load_plan
from hpmob.study.verdicts import NOT_ESTIMABLE, NOT_SUPPORTED, SUPPORTED, claims_rows

N, SEED = 500, 3


@pytest.fixture(scope="module")
def plan(cb):
    plan = load_plan(codebook=cb)
    return dataclasses.replace(plan, grouping={**plan.grouping, "constructs": ["AW", "PM"]})


def _sample(cb, shifts=None):
    model = load_population_model()
    if shifts is not None:
        model = copy.deepcopy(model)
        model["intercept_shifts"] = shifts
    s = simulate_sample(N, SEED, model=model, codebook=cb)
    return s.attributes.join(s.answers)


@pytest.fixture(scope="module")
def runs(cb, plan):
    shipped = _sample(cb, shifts={"PM3": {"commune": -1.0}})
    flat = _sample(cb, shifts={})
    constant = shipped.copy()
    constant.loc[constant["level"] == "city", "PM1"] = 4
    out = {"flat": steps.ordinal_invariance(flat, cb, plan)}
    out["ml"] = steps.invariance(shipped, cb, plan)
    out["constant"] = steps.ordinal_invariance(constant, cb, plan, ml=out["ml"])
    out["shipped"] = steps.ordinal_invariance(shipped, cb, plan, ml=out["ml"])
    return out


def _claims(plan, cb, *results):
    tables = {k: t for r in results for k, t in r.tables.items()}
    return claims_rows(plan, cb, tables).set_index("hypothesis")


def test_the_search_frees_the_shifted_intercept_and_reports_its_dmacs(runs):
    res = runs["shipped"]
    assert res.verdicts["sequence"]["scalar"] == "not invariant"
    assert res.verdicts["freed"] == ["PM3~1"] and res.verdicts["level"] == "partial scalar"
    dm = res.tables["ordinal_dmacs"]
    assert list(dm["item"]) == ["PM3", "PM3"] and list(dm["focal"]) == ["district", "commune"]
    assert set(dm["reference"]) == {"city"} and (dm["dmacs"] > 0).all()
    # the population shifts PM3 at commune level only: that pair's dMACS is the larger
    assert dm.set_index("focal").loc["commune", "dmacs"] > dm.set_index("focal").loc["district", "dmacs"]
    assert "Released by the search" not in res.sentences["oinv_partial"]["en"]  # the ML wording is not reused
    assert "released by the search: PM3~1" in res.sentences["oinv_partial"]["en"]
    assert "PM3" in res.sentences["ordinal_dmacs"]["en"] and "commune against city" in res.sentences[
        "ordinal_dmacs"]["en"]
    # ML frees the same item, and its dMACS rows are in its own invariance tables
    assert runs["ml"].verdicts["freed"] == ["PM3~1"]
    assert list(runs["ml"].tables["invariance_dmacs"]["focal"]) == ["district", "commune"]


def test_full_scalar_invariance_frees_nothing_and_reports_no_dmacs(runs):
    res = runs["flat"]
    assert res.verdicts["freed"] == [] and res.verdicts["level"] == "full scalar"
    assert res.tables["ordinal_dmacs"].empty
    assert res.sentences["oinv_partial"]["en"].startswith("Treating the items as ordinal, full scalar invariance holds")
    assert res.sentences["ordinal_dmacs"]["en"] == "The ordinal search freed no item, so no dMACS is reported."


def test_claims_rows_carry_the_ordinal_verdicts_and_levels(runs, plan, cb):
    for name in ("shipped", "flat"):
        res = runs[name]
        claims = _claims(plan, cb, res)
        for h in (h for h in plan.hypotheses if h.type == "latent_mean_order"):
            row = claims.loc[h.label]
            assert row["ordinal_verdict"] == res.verdicts[h.id] and row["ordinal_verdict"] in (SUPPORTED,
                                                                                                NOT_SUPPORTED)
            assert row["ordinal_level"] == res.verdicts["level"]
            assert f"{h.label} {row['ordinal_verdict']};" in res.sentences[f"oinv_{h.id}"]["en"]
    assert _claims(plan, cb, runs["shipped"]).loc["H6", "ordinal_level"] == "partial scalar"
    assert _claims(plan, cb, runs["flat"]).loc["H6", "ordinal_level"] == "full scalar"
    # the other hypotheses have no ordinal treatment, and without the ordinal step nobody has
    claims = _claims(plan, cb, runs["shipped"])
    assert (claims.loc[["H1", "H2", "H7"], ["ordinal_verdict", "ordinal_level"]] == "").all().all()
    assert (_claims(plan, cb, runs["ml"])["ordinal_verdict"] == "").all()


def test_an_ordinal_model_that_cannot_be_fitted_gives_not_estimable_never_a_verdict(runs, plan, cb):
    res = runs["constant"]
    status = res.tables["ordinal_invariance_status"].iloc[0]
    assert not status["converged"] and "PM1" in status["convergence"]
    assert res.tables["ordinal_latent_means"].empty and res.verdicts["level"] == "scalar (not estimable)"
    # notebook 04 still shows the ML sequence, with no ordinal row beside it
    assert set(res.tables["invariance_treatments"]["treatment"]) == {"ML (FIML), continuous"}
    claims = _claims(plan, cb, runs["ml"], res)
    for label in ("H6", "H6 (AW)"):
        assert claims.loc[label, "ordinal_verdict"] == NOT_ESTIMABLE
        assert claims.loc[label, "verdict"] in (SUPPORTED, NOT_SUPPORTED)  # the ML verdict stands
    assert res.sentences["oinv_H6"]["en"].startswith("H6 verdict: not estimable.")
    assert "supported" not in res.sentences["oinv_hypotheses"]["en"]
    # the categories the rule merged are reported, item by item
    rec = res.tables["ordinal_recodes"]
    assert {"item", "from", "to"} <= set(rec.columns) and (rec["item"] == "PM1").any()
    assert "PM1 " in res.sentences["oinv_recodes"]["en"]


def test_the_claims_step_says_which_verdicts_the_ordinal_treatment_changes(runs, plan, cb):
    tables = {k: t for r in (runs["ml"], runs["shipped"]) for k, t in r.tables.items()}
    res = steps.claims(plan, cb, tables)
    table = res.tables["claims"].set_index("hypothesis")
    same = [lab for lab in ("H6 (AW)", "H6") if table.loc[lab, "verdict"] == table.loc[lab, "ordinal_verdict"]]
    assert res.glue["n_ordinal"] == 2 and res.glue["n_ordinal_same"] == len(same)
    text = res.sentences["ordinal_claims"]["en"]
    for lab in ("H6 (AW)", "H6"):
        phrase = f"{lab} unchanged" if lab in same else f"that of {lab} from"
        assert phrase in text
    vi = res.tables["claims_vi"]
    assert set(vi.loc[vi["ordinal_verdict"] != "", "ordinal_verdict"]) <= {"được ủng hộ", "không được ủng hộ"}
    assert pd.api.types.is_string_dtype(res.tables["claims"]["ordinal_level"])


def test_the_two_sequences_side_by_side_and_no_glue_key_shared(runs):
    ml, res = runs["ml"], runs["shipped"]
    table = res.tables["invariance_treatments"]
    by = dict(iter(table.groupby("treatment", sort=False)))
    assert list(by) == ["ML (FIML), continuous", "WLSMV (listwise), ordinal"]
    cont, ordinal = by["ML (FIML), continuous"], by["WLSMV (listwise), ordinal"]
    assert list(cont["model"]) == list(ml.tables["invariance"]["model"])
    assert list(ordinal["model"]) == ["configural", "thresholds", "metric", "scalar"]
    seq = res.tables["ordinal_invariance"]
    for ours, theirs in (("chisq", "chisq.scaled"), ("cfi", "cfi.scaled"), ("rmsea", "rmsea.scaled"),
                         ("decision", "decision"), ("delta_chisq", "delta_chisq")):
        pd.testing.assert_series_equal(ordinal[ours].reset_index(drop=True), seq[theirs], check_names=False)
    assert cont["cfi"].tolist() == ml.tables["invariance"]["cfi"].tolist()
    # notebook 04 publishes both steps: a shared glue key would fail the book build
    assert not set(ml.glue_values()) & set(res.glue_values())
