"""Verdicts and sentences follow the numbers: a population that flips them flips the prose.

The study layer runs on two simulated data sets of the same design: one from the shipped
population model and one from a model in which H2 is null (mastery has no effect on
effectiveness), no intercept differs between levels (full scalar invariance holds) and the
items load more strongly (several constructs reach AVE .50, where the shipped model has
none). The generated sentences and the claims table must change with the verdicts, and no
sentence may state what its numbers contradict.
"""

import copy
import re

import pytest

from hpmob.codebook import load_codebook
from hpmob.simulate import load_population_model, simulate_sample
from hpmob.study.plan import load_plan
from hpmob.study.run import run_study

N, SEED = 1500, 4


def _flipped(model):
    model = copy.deepcopy(model)
    model["latent"]["structural"]["IM"]["paths"]["PM"] = 0.0          # H2 null (and H3 with it)
    model["intercept_shifts"] = {}                                    # full scalar invariance
    for spec in model["items"].values():                              # stronger items: AVE above .50
        spec["loading"] = min(spec["loading"] + 0.35, 1.1)
    return model


@pytest.fixture(scope="module")
def runs():
    cb = load_codebook()
    plan = load_plan(codebook=cb).with_settings(indirect_method="delta")
    out = {}
    for name, model in (("shipped", load_population_model()), ("flipped", _flipped(load_population_model()))):
        s = simulate_sample(N, SEED, model=model, codebook=cb)
        out[name] = run_study(s.attributes.join(s.answers), cb, plan, comparisons=False, methods=("delta",),
                              run_ordinal=False, n_iter=20)
    return out


def _claim(run, hypothesis, contains=""):
    claims = run["claims"].tables["claims"]
    rows = claims[(claims["hypothesis"] == hypothesis) & claims["claim"].str.contains(contains)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_h2_null_makes_h2_not_supported_and_its_sentence_says_so(runs):
    assert _claim(runs["shipped"], "H2")["verdict"] == "supported"
    flipped = _claim(runs["flipped"], "H2")
    assert flipped["verdict"] == "not supported" and flipped["ci_low"] < 0 < flipped["ci_high"]
    before = runs["shipped"]["structural"].sentences["H2"]["en"]
    after = runs["flipped"]["structural"].sentences["H2"]["en"]
    assert "the effect of PM on IM is positive" in before and "supported" in before
    assert "the effect of PM on IM is not distinguishable from zero" in after and "positive" not in after
    assert after.startswith("H2, not supported") and "không được ủng hộ" in runs["flipped"]["structural"].sentences[
        "H2"]["vi"]


def test_full_scalar_invariance_frees_nothing_and_the_sentences_say_full_scalar(runs):
    shipped, flipped = runs["shipped"]["invariance"], runs["flipped"]["invariance"]
    assert shipped.verdicts["freed"] == ["PM3~1"] and shipped.glue["inv_scalar_decision"] != "invariant"
    assert flipped.verdicts["freed"] == [] and flipped.glue["inv_scalar_decision"] == "invariant"
    assert "full scalar invariance does not hold" in shipped.sentences["invariance_sequence"]["en"]
    assert "full scalar invariance holds" in flipped.sentences["invariance_sequence"]["en"]
    assert flipped.sentences["partial_search"]["en"].startswith("Full scalar invariance holds, so no constraint")
    assert "Released by the search: PM3~1" in shipped.sentences["partial_search"]["en"]
    # the claims table names the level the latent means were compared at
    assert _claim(runs["shipped"], "H6")["test"].endswith("partial scalar invariance")
    assert _claim(runs["flipped"], "H6")["test"].endswith("full scalar invariance")


def test_more_constructs_reaching_ave_change_the_validity_sentence(runs):
    before, after = runs["shipped"]["measurement"], runs["flipped"]["measurement"]
    assert before.glue["n_ave_ok"] < after.glue["n_ave_ok"]
    for result in (before, after):
        k, n = result.glue["n_ave_ok"], result.glue["n_constructs"]
        ave_ok = (result.tables["validity"]["ave"] >= 0.50).sum()
        assert k == ave_ok
        expected = (f"AVE reaches .50 for all {n} constructs" if k == n else
                    f"AVE reaches .50 for none of the {n} constructs" if k == 0 else
                    f"AVE reaches .50 for {k} of the {n} constructs")
        assert expected in result.sentences["validity"]["en"]


@pytest.mark.parametrize("name", ["shipped", "flipped"])
def test_no_path_sentence_contradicts_its_interval(runs, name):
    structural = runs[name]["structural"]
    paths = structural.tables["sem_paths"].set_index(["lhs", "rhs"])
    plan = load_plan(codebook=load_codebook())
    for h in plan.hypotheses:
        if h.type != "path":
            continue
        text = structural.sentences[h.id]["en"]
        r = paths.loc[(h["lhs"], h["rhs"])]
        says = "+" if " is positive " in text else "-" if " is negative " in text else "none"
        truth = "+" if r["ci.lower"] > 0 else "-" if r["ci.upper"] < 0 else "none"
        assert says == truth, (h.id, text)
        verdict = _claim(runs[name], h.label, re.escape(h.claim["en"][:30]))["verdict"]
        assert text.startswith(f"{h.label}, {verdict}:"), (h.id, text, verdict)


def test_the_claims_table_follows_the_verdicts(runs):
    before = runs["shipped"]["claims"].tables["claims"].set_index("claim")["verdict"]
    after = runs["flipped"]["claims"].tables["claims"].set_index("claim")["verdict"]
    changed = sorted(c for c in before.index if before[c] != after[c])
    assert any(c.startswith("Lack of proficiency") for c in changed)           # H2
    assert any(c.startswith("Awareness improves outcomes") for c in changed)   # H3 = a·b with b = 0
    summary = runs["flipped"]["claims"].sentences["summary"]["en"]
    n_sup = int((after == "supported").sum())
    assert f"{n_sup} are supported" in summary
