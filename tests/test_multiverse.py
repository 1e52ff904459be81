"""The grid of analytic choices (hpmob.multiverse): expansion, exclusions, named points,
located errors, and per-specification seeds that do not depend on where a spec runs."""

import pandas as pd
import pytest

from hpmob.multiverse import GridError, choice_labels, expand_grid, load_grid, run_grid, spec_seed
from hpmob.paths import project_root

GRID = {
    "dimensions": {
        "cleaning": {"main": {}, "strict": {"speeder_fraction": 0.5}},
        "missing": {"fiml": {}, "listwise": {"missing": "listwise"}},
        "estimator": {"ML": {}, "MLR": {"estimator": "MLR"}, "WLSMV": {"estimator": "WLSMV"}},
    },
    "exclude": [{"missing": "fiml", "estimator": "WLSMV"}],
}


def test_cross_product_less_exclusions_in_grid_order():
    specs = expand_grid(GRID)
    assert len(specs) == 2 * 2 * 3 - 2  # WLSMV with FIML excluded under both cleanings
    assert not ((specs["missing"] == "fiml") & (specs["estimator"] == "WLSMV")).any()
    assert specs["spec_id"].is_unique
    assert specs["spec_id"].iloc[0] == "cleaning=main|missing=fiml|estimator=ML"
    assert specs.loc[specs["spec_id"] == "cleaning=strict|missing=listwise|estimator=MLR", "params"].item() == {
        "speeder_fraction": 0.5, "missing": "listwise", "estimator": "MLR"}


def test_named_variants_are_points_of_the_grid():
    specs = expand_grid(GRID, named={"main": {}, "mlr": {"estimator": "MLR"}, "elsewhere": {"agree": 0.75}})
    named = specs.dropna(subset=["named"]).set_index("named")["spec_id"]
    assert named.to_dict() == {"main": "cleaning=main|missing=fiml|estimator=ML",
                               "mlr": "cleaning=main|missing=fiml|estimator=MLR"}


def test_every_problem_is_reported_at_once_with_its_place():
    bad = {"dimensions": {"estimator": {"ML": {}, "MLR": "robust"}, "cut": []},
           "exclude": [{"estimator": "GLS"}, {"colour": "red"}]}
    with pytest.raises(GridError) as err:
        expand_grid(bad, where="my-variants.yaml")
    msg = str(err.value)
    assert "my-variants.yaml: grid.dimensions.estimator.MLR: parameters must be a mapping" in msg
    assert "grid.dimensions.cut: needs at least one level" in msg
    assert "grid.exclude[0]: estimator has no level 'GLS'; its levels are ML, MLR" in msg
    assert "grid.exclude[1]: unknown choice 'colour'" in msg
    with pytest.raises(GridError, match="needs 'dimensions:'"):
        expand_grid({})


def test_a_parameter_set_by_two_choices_is_refused():
    clash = {"dimensions": {"a": {"x": {"estimator": "MLR"}}, "b": {"y": {"estimator": "ML"}}}}
    with pytest.raises(GridError, match="sets estimator, which another choice also sets"):
        expand_grid(clash)


def _runner(params, seed):
    return pd.DataFrame({"claim": ["H1", "H2"], "estimate": [len(params), seed % 1000]})


def test_run_grid_is_the_same_for_one_or_two_workers_and_seeded_by_spec():
    specs = expand_grid(GRID)
    one = run_grid(specs, _runner, seed=3, n_jobs=1)
    two = run_grid(specs, _runner, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 2 * len(specs)
    first = one[one["spec_id"] == specs["spec_id"].iloc[0]]
    assert first["estimate"].tolist() == [0, spec_seed(specs["spec_id"].iloc[0], 3) % 1000]
    assert list(one.columns[:5]) == ["spec_id", "cleaning", "missing", "estimator", "named"]


def test_choice_labels_word_every_level_and_refuse_labels_for_what_the_grid_lacks():
    labelled = {**GRID, "labels": {"missing": {"name": "missing data", "levels": {"fiml": "FIML"}}}}
    words = choice_labels(labelled).set_index(["choice", "level"])
    assert words.loc[("missing", "fiml"), ["choice_label", "level_label"]].tolist() == ["missing data", "FIML"]
    assert words.loc[("missing", "listwise"), "level_label"] == "listwise"  # unnamed: keeps its name
    assert words.loc[("estimator", "MLR"), "choice_label"] == "estimator"
    assert len(words) == 2 + 2 + 3
    bad = {**GRID, "labels": {"colour": {"name": "c"}, "missing": {"levels": {"pairwise": "x", "fiml": 3}},
                              "estimator": {"title": "x"}}}
    with pytest.raises(GridError) as err:
        choice_labels(bad, where="v.yaml")
    msg = str(err.value)
    assert "v.yaml: grid.labels: unknown choice 'colour'" in msg
    assert "grid.labels.missing.levels: missing has no level 'pairwise'; its levels are fiml, listwise" in msg
    assert "grid.labels.missing.levels.fiml: must be text, got 3" in msg
    assert "grid.labels.estimator: give 'name' and/or 'levels'" in msg


def test_the_shipped_grid_words_every_choice_and_level():
    words = choice_labels(load_grid(project_root() / "variants.yaml"))
    assert not words["choice_label"].str.contains("_").any()
    coded = words[words["level"].str.contains("_")]
    assert (coded["level_label"] != coded["level"]).all()
    assert dict(zip(words["level"], words["level_label"]))["listwise"] == "listwise deletion"
