"""The study under the grid of analytic choices (hpmob.robustness): the declared grid,
one row per claim and specification, identical results on a Dask LocalCluster, and the
chapter's sentences generated from the results."""

import numpy as np
import pandas as pd
import pytest
import yaml

from hpmob.robustness import (
    choice_flips,
    curve_figures,
    grid_specifications,
    multiverse_report,
    named_points_table,
    run_multiverse,
)


def test_the_shipped_grid_has_at_least_48_specifications_and_the_named_variants_as_points():
    specs = grid_specifications()
    assert len(specs) >= 48 and specs["spec_id"].is_unique
    named = set(specs["named"].dropna())
    # mlr changes the measurement chapter's estimator, which the grid does not rerun
    assert named == {"main", "listwise", "strict-cleaning", "lenient-cleaning", "no-straightliner-rule", "agree-75"}


SMALL_GRID = {
    "variants": {"main": {}},
    "grid": {"dimensions": {
        "cleaning": {"main": {}, "strict": {"speeder_fraction": 0.5, "max_item_missing": 0.10},
                     "lenient": {"speeder_fraction": 0.2, "max_item_missing": 0.30}},
        "agreement_cut": {"0.80": {}, "0.75": {"agree_threshold": 0.75}},
        "covariates": {"level": {}, "none": {"level_covariates": False}}}},
}


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "variants.yaml"
    path.write_text(yaml.safe_dump(SMALL_GRID), encoding="utf-8")
    return grid_specifications(path)


@pytest.mark.slow
def test_a_12_specification_grid_is_byte_identical_on_a_local_cluster(small_grid):
    distributed = pytest.importorskip("distributed")
    assert len(small_grid) == 12
    local = run_multiverse(small_grid, seed=7, n_jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as cluster:
        dask = run_multiverse(small_grid, seed=7, backend="dask", scheduler=cluster.scheduler_address)
    assert local.to_csv(index=False).encode() == dask.to_csv(index=False).encode()
    # one tidy row per specification and claim, with N and convergence
    assert len(local) == 12 * local["claim"].nunique()
    assert {"spec_id", "cleaning", "agreement_cut", "covariates", "estimate", "ci_low", "ci_high", "verdict", "n",
            "converged"} <= set(local.columns)
    # the agreement cut moves only the share claims; cleaning changes N
    by = local.groupby(["spec_id"])["n"].first()
    assert by.filter(like="cleaning=strict").iloc[0] < by.filter(like="cleaning=lenient").iloc[0]
    paths = local[local["test"].str.startswith("SEM path")]
    assert (paths.groupby(["claim", "cleaning", "covariates"])["estimate"].nunique() == 1).all()


def _results():
    rows = []
    for k, (sl, cut) in enumerate([("excluded", "0.80"), ("excluded", "0.75"), ("kept", "0.80"), ("kept", "0.75")]):
        named = {0: "main", 1: "agree-75"}.get(k)
        rows += [
            {"spec_id": f"s{k}", "straight_liners": sl, "agreement_cut": cut, "named": named, "claim": "stable",
             "hypothesis": "H1", "estimate": 0.4 + 0.01 * k, "ci_low": 0.2, "ci_high": 0.6, "verdict": "supported"},
            {"spec_id": f"s{k}", "straight_liners": sl, "agreement_cut": cut, "named": named, "claim": "fragile",
             "hypothesis": "H6", "estimate": -0.3 if sl == "excluded" else -0.05, "ci_low": -0.5,
             "ci_high": -0.1 if sl == "excluded" else 0.1,
             "verdict": "supported" if sl == "excluded" else "not supported"},
        ]
    return pd.DataFrame(rows)


def test_the_choice_that_flips_a_claim_is_found(tmp_path):
    res = _results()
    flips = choice_flips(res, ["straight_liners", "agreement_cut"]).set_index(["hypothesis", "choice", "level"])
    assert flips.loc[("H6", "straight_liners", "kept"), "n_supported"] == 0
    assert flips.loc[("H6", "straight_liners", "excluded"), "spread"] == 1.0
    assert flips.loc[("H6", "agreement_cut", "0.75"), "spread"] == 0.0
    assert flips.loc[("H1", "straight_liners", "kept"), "spread"] == 0.0


def test_the_chapter_sentences_follow_the_results(tmp_path):
    from hpmob.robustness import claim_curves

    res = _results()
    res.to_csv(tmp_path / "specifications.csv", index=False)
    claim_curves(res).to_csv(tmp_path / "curves.csv", index=False)
    pd.DataFrame([{"grid": "full grid", "n_specifications": 4, "choices": "straight_liners, agreement_cut",
                   "seconds": 8.0, "seconds_per_specification": 2.0}]).to_csv(tmp_path / "grid.csv", index=False)
    rep = multiverse_report(tmp_path)
    text = rep["sentences"]["fragility"]["en"]
    assert text.startswith("1 of the 2 judged claims is fragile, its verdict")
    # without choices.csv a choice keeps its name, read with spaces, never the code name
    assert "H6 (straight liners: 2/2 supported with excluded, 0/2 supported with kept)" in text
    # with it, the grid's own words name the choice and its levels, in the sentences and the figures
    pd.DataFrame({"choice": ["straight_liners"] * 2 + ["agreement_cut"] * 2, "level": ["excluded", "kept", "0.80", "0.75"],
                  "choice_label": ["straight-liners"] * 2 + ["agreement cut-off"] * 2,
                  "level_label": ["dropped", "kept in", "80 %", "75 %"]}).to_csv(tmp_path / "choices.csv", index=False)
    rep = multiverse_report(tmp_path)
    assert "H6 (straight-liners: 2/2 supported with dropped, 0/2 supported with kept in)" in \
        rep["sentences"]["fragility"]["en"]
    assert "over the choices straight-liners, agreement cut-off" in rep["sentences"]["grid"]["en"]
    fig = curve_figures(rep)["c01"]
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "straight-liners: dropped" in ticks and "agreement cut-off: 80 %" in ticks
    assert not any("_" in t for t in ticks), ticks
    (tmp_path / "choices.csv").unlink()
    assert "H1" not in text
    assert rep["glue"]["mv_n_fragile"] == 1
    assert "full grid" in rep["sentences"]["grid"]["en"] and "make multiverse" not in rep["sentences"]["grid"]["en"]
    # a grid where nothing flips says so, and no claim is called fragile
    stable = res[res["claim"] == "stable"]
    stable.to_csv(tmp_path / "specifications.csv", index=False)
    claim_curves(stable).to_csv(tmp_path / "curves.csv", index=False)
    assert multiverse_report(tmp_path)["sentences"]["fragility"]["en"].startswith("Every one of the 1 judged")
    # the named variants in the robustness chapter's layout, with verdict changes against main
    named = named_points_table(res)
    assert set(named["variant"]) == {"main", "agree-75"} and not named["changes"].any()


def test_joint_test_sentences_state_p_and_monte_carlo_error():
    from hpmob.study.sentences import joint_test

    s = joint_test("H2", 24, {"median estimate": (0.6, 0.01, 0.0099), "Stouffer Z": (9.1, 0.01, 0.0099)}, 100)
    assert "more extreme than chance" in s["en"] and "p = 0.010 ± 0.010" in s["en"]
    s = joint_test("H4", 24, {"median estimate": (-0.1, 0.3, 0.046)}, 100)
    assert "not more extreme than chance" in s["en"]


@pytest.mark.slow
def test_path_joint_test_runs_the_claim_under_its_null(small_grid):
    """Two distinct specifications, 3 null draws: the observed curve is the specifications'
    own estimates (the same as the grid's claims table), and every p-value is a valid
    bootstrap p-value (1 + #null >= observed) / (1 + draws)."""
    from hpmob.robustness import claim_path_estimate, path_joint_test, run_specification

    specs = small_grid[(small_grid["agreement_cut"] == "0.80") & (small_grid["covariates"] == "level")].head(2)
    res = path_joint_test(specs, "IM", "PM", "+", n_null=3, seed=1, n_jobs=1)
    assert res["statistic"].tolist() == ["median estimate", "share significant", "Stouffer Z"]
    assert res["n_specifications"].eq(2).all()
    assert set(res["p_value"].round(6)) <= {round(k / 4, 6) for k in range(1, 5)}
    estimates = [claim_path_estimate(run_specification(p, 1), "IM", "PM") for p in specs["params"]]
    assert res.loc[0, "observed"] == pytest.approx(float(np.median(estimates)), rel=1e-6)


@pytest.mark.slow
def test_the_joint_tests_follow_each_specifications_own_plan_file(tmp_path):
    """A grid whose specifications read another analysis plan (``plan_file``) gets the joint
    tests of that plan's path claims, not of the shipped plan's: here a plan in which H2 is
    the only path claim."""
    from hpmob.paths import project_root
    from hpmob.robustness import build_multiverse

    plan = yaml.safe_load((project_root() / "data" / "analysis_plan.yaml").read_text(encoding="utf-8"))
    plan["hypotheses"] = [h for h in plan["hypotheses"] if h["type"] != "path" or h["id"] == "H2"]
    plan_file = tmp_path / "one_path_plan.yaml"
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    variants = tmp_path / "variants.yaml"
    variants.write_text(yaml.safe_dump({"variants": {}, "grid": {"dimensions": {
        "plan": {"one_path": {"plan_file": str(plan_file), "missing": "listwise"}}}}}), encoding="utf-8")
    written = build_multiverse(tmp_path / "out", joint_tests=True, n_null=2, n_jobs=1, variants_file=variants)
    joint = pd.read_csv(written["joint_tests"])
    assert set(joint["hypothesis"]) == {"H2"}
    assert joint[["lhs", "rhs"]].drop_duplicates().values.tolist() == [["IM", "PM"]]


@pytest.mark.slow
def test_the_fast_null_refits_equal_fits_of_the_resampled_null_data(small_grid):
    """A null draw's estimate and p-value come from the warm-started FIML refit (or, for
    listwise deletion, a fit of the resample): the same numbers as fitting the resampled null
    data, for both missing-data settings, up to fit()'s own convergence tolerance (it stops at
    a gradient of 1e-6, the fast refit at 1e-10: about 1e-7 on an estimate whose SE is .07)."""
    from hpmob.robustness import _path_estimate, _path_null, _path_prepare, _path_refit, structural_grid

    specs = small_grid[(small_grid["agreement_cut"] == "0.80") & (small_grid["cleaning"] == "main")]
    specs = pd.concat([specs, specs.assign(params=[{**p, "missing": "listwise"} for p in specs["params"]])])
    wide, spec_list = structural_grid(specs)
    assert {s["fit"]["missing"] for s in spec_list} == {"ml", "listwise"}
    rng = np.random.default_rng(5)
    for spec in spec_list:
        spec = {**spec, "lhs": "IM", "rhs": "PM"}
        null = _path_null(spec, wide, _path_estimate(spec, wide)[0])
        state = _path_prepare(spec, null)
        assert (state["plan"] is not None) == (spec["fit"]["missing"] == "ml")
        for _ in range(2):
            rows = rng.integers(0, len(wide), len(wide))
            want = _path_estimate(spec, null.iloc[rows])
            assert _path_refit(state, rows) == pytest.approx(want, rel=1e-6, abs=1e-6)


def test_a_named_variant_off_the_grid_shows_its_points_claims_which_are_exactly_its_own():
    """mlr is no grid point: it differs from main only in the measurement chapter's estimator.
    The chapter shows it with main's claims (named_equivalents), which is exact: the claims
    table under estimator=MLR, measurement step included, equals main's."""
    from hpmob.clean import clean_export
    from hpmob.codebook import load_codebook
    from hpmob.io import read_export
    from hpmob.paths import project_root
    from hpmob.robustness import named_equivalents, named_variants
    from hpmob.study.plan import load_plan
    from hpmob.study.run import run_study

    eq = named_equivalents(grid_specifications(), named_variants())
    assert eq.to_dict("records") == [{"variant": "mlr", "point": "main", "settings": "estimator"}]
    cb = load_codebook()
    plan = load_plan(codebook=cb)
    responses = clean_export(read_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv"), cb).responses
    runs = {e: run_study(responses, cb, plan, comparisons=False, ordinal=False, methods=("delta",), estimator=e)
            for e in ("ML", "MLR")}
    # the chapter it changes does change: the robust (Yuan-Bentler) test is reported under MLR only
    assert "chisq.scaled" in runs["MLR"]["measurement"].tables["cfa_fit"].index
    assert "chisq.scaled" not in runs["ML"]["measurement"].tables["cfa_fit"].index
    pd.testing.assert_frame_equal(runs["MLR"]["claims"].tables["claims"], runs["ML"]["claims"].tables["claims"])
    # and the table the chapter shows has a column for every named variant
    res = _results()
    table = named_points_table(res, pd.DataFrame([{"variant": "mlr", "point": "main", "settings": "estimator"}]))
    assert set(table["variant"]) == {"main", "agree-75", "mlr"}
    assert table[table["variant"] == "mlr"]["verdict"].tolist() == table[table["variant"] == "main"]["verdict"].tolist()
