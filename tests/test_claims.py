"""The claims table on the shipped data agrees with what the population model implies.

The population value of every estimand is obtained by running the same analysis on a
very large sample (60 000 officials) drawn from data/population_model.yaml; the expected
verdict on the shipped sample is then "supported" when that value lies on the claimed
side (beyond the threshold for shares) and the shipped sample has at least 80 % power to
show it (power from the shipped interval's width), "either" when power is lower.
"""

import pytest

from hpmob.claims import (
    CLAIM_COLUMNS,
    NOT_TESTABLE,
    SUPPORTED,
    claims_from_responses,
    claims_table,
    expected_verdict,
    power_two_sided,
)
from hpmob.clean import clean_export
from hpmob.io import load_export
from hpmob.simulate import simulate_sample
from hpmob.study.plan import load_plan
from hpmob.study.run import run_study


@pytest.fixture(scope="module")
def plan(cb):
    # the delta interval judges H3 here (the notebooks use the bootstrap)
    return load_plan(codebook=cb).with_settings(indirect_method="delta")


@pytest.fixture(scope="module")
def shipped_run(root, cb, plan):
    # the study's cleaning: the plan's grouping excludes respondents without a level
    responses = clean_export(load_export(root / "data" / "raw" / "hpmob_survey_export.csv", cb), cb,
                             plan.cleaning_rules()).responses
    return run_study(responses, cb, plan, measurement=False, comparisons=False, methods=("delta",))


@pytest.fixture(scope="module")
def shipped(shipped_run):
    return shipped_run["claims"].tables["claims"]


def test_solutions_are_listed_in_codebook_order_with_their_rank(shipped_run, cb, plan):
    # notebook 02 writes the solutions sorted by share; the claims table puts them back in codebook order
    tables = {k: t for r in shipped_run.values() for k, t in r.tables.items()}
    tables["solutions"] = tables["solutions"].sort_values("share")
    claims = claims_table(tables, codebook=cb, plan=plan).tables["claims"]
    tests = claims.loc[claims["hypothesis"] == "solutions", "test"]
    assert tests.str.extract(r"rating (SOL\d)")[0].tolist() == cb.items_of("SOL")
    best = tables["solutions"].sort_values("share").iloc[-1]["item"]
    assert tests[tests.str.contains(f"rating {best} ")].str.contains("rank 1 of 6").all()


@pytest.fixture(scope="module")
def population(cb, plan):
    # the study's own procedure, partial-invariance search included, on a very large sample
    sample = simulate_sample(60_000, seed=7)
    return claims_from_responses(sample.attributes.join(sample.answers), cb, plan, methods=("delta",))


def test_claims_table_has_the_required_columns_and_a_row_per_claim(shipped):
    assert list(shipped.columns) == CLAIM_COLUMNS
    assert {"H1", "H2", "H3", "H4", "H5", "H6", "H7", "solutions"} <= set(shipped["hypothesis"])
    assert (shipped["hypothesis"] == "H4").sum() == 3            # DT, SE, CO
    assert (shipped["hypothesis"] == "solutions").sum() == 6     # every SOL item, ranked
    assert (shipped["verdict"] == NOT_TESTABLE).sum() == 1
    testable = shipped[shipped["verdict"] != NOT_TESTABLE]
    assert (testable["ci_low"] <= testable["estimate"]).all() and (testable["estimate"] <= testable["ci_high"]).all()


def test_every_verdict_agrees_with_the_population_model(shipped, population):
    assert list(population["claim"]) == list(shipped["claim"])
    for (_, got), (_, truth) in zip(shipped.iterrows(), population.iterrows()):
        if got["verdict"] == NOT_TESTABLE:
            continue
        se = (got["ci_high"] - got["ci_low"]) / (2 * 1.959964)
        share = got["test"].startswith("share")
        threshold = float(got["test"].split("above ")[1].split("%")[0]) / 100 if share else 0.0
        effect = truth["estimate"] - threshold
        negative = got["hypothesis"] == "H4" or (got["hypothesis"].startswith("H6"))
        sign = -1 if negative and not share else 1
        expected = expected_verdict(effect, se, sign)
        assert expected in (got["verdict"], "either"), (
            f"{got['claim']}: shipped verdict {got['verdict']!r}, population {truth['estimate']:.3f} "
            f"(power {power_two_sided(effect, se):.2f}) implies {expected!r}")
    # the design gives the core hypotheses enough power to be expected, not merely allowed
    core = shipped[shipped["hypothesis"].isin(["H1", "H2", "H3", "H5", "H6", "H7"])]
    assert (core["verdict"] == SUPPORTED).all()


def test_power_closed_form():
    # effect 2.8 SE: power = Phi(2.8 - 1.96) + Phi(-2.8 - 1.96) = 0.7995 + 0.0000
    assert power_two_sided(2.8, 1.0) == pytest.approx(0.79955, abs=1e-4)
    assert expected_verdict(0.0, 0.1, 1) == "not supported"
    assert expected_verdict(-0.5, 0.1, 1) == "not supported"
    assert expected_verdict(0.5, 0.1, 1) == SUPPORTED
    assert expected_verdict(0.1, 0.1, 1) == "either"


def test_claims_about_constructs_a_trimmed_codebook_lacks_are_not_testable(root):
    """The study layer on a codebook without RT, SE, CO and SOL (optional constructs of the plan)."""
    import yaml

    from hpmob.codebook import codebook_from_dict

    spec = yaml.safe_load((root / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    dropped = {"RT", "SE", "CO", "SOL"}
    for code in dropped:
        spec["constructs"].pop(code)
    spec["items"] = [it for it in spec["items"] if it["construct"] not in dropped]
    cb = codebook_from_dict(spec, source="trimmed")
    sample = simulate_sample(600, seed=11, codebook=cb)
    plan = load_plan(codebook=cb).with_settings(indirect_method="delta")
    claims = claims_from_responses(sample.attributes.join(sample.answers), cb, plan,
                                   methods=("delta",)).set_index("test")
    untestable = claims[claims["verdict"] == NOT_TESTABLE]
    # H7 (RT), the SE and CO paths, the solutions, and the causal claim
    assert sorted(untestable["hypothesis"]) == ["H4", "H4", "H7", "solutions", "—"]
    assert untestable["estimate"].isna().all()
    assert any("not estimated: RT not in the codebook" in t for t in untestable.index)
    assert any("SE → IM" in t and "not estimated: SE not in the codebook" in t for t in untestable.index)
    tested = claims[claims["verdict"] != NOT_TESTABLE]
    assert set(tested["hypothesis"]) == {"H1", "H2", "H3", "H4", "H5", "H6", "H6 (AW)"}
    assert tested["estimate"].notna().all()
