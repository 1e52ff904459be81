"""Tests for hpmob.efa against R (psych 2.2.9, GPArotation 2022.10-2) and factor_analyzer.

References (tests/reference/, see README.md and make_efa_references.R):

* ``efa_hs.json`` — HolzingerSwineford1939 x1..x9: ``psych::KMO``,
  ``cortest.bartlett``, ``fa.parallel`` observed eigenvalues and suggested
  numbers, ``fa(nfactors = 3, rotate = "oblimin")`` for minres and ML; and on
  the survey file with missing answers, KMO and Bartlett (pairwise).
* ``hpmob_cfa.json`` — KMO and Bartlett on the 238 rows of the survey that
  are complete on all 31 items.

Tolerances (absolute unless stated), and what is achieved:

* KMO overall / per item: ``TOL_EXACT = 1e-9``; achieved ≤ 2e-15.
* Bartlett chi-square: ``TOL_EXACT``; achieved ≤ 2e-12 (on a value of 4509).
  p-value: relative 1e-9; achieved ≤ 2e-13.
* Observed eigenvalues (pc and SMC-reduced): ``TOL_EXACT``; achieved ≤ 5e-15.
* ``psych::fa`` loadings: ``TOL_FA = 2e-5``; achieved 5.0e-6 (minres) and
  1.3e-6 (ML). Factor correlations and communalities: ``TOL_FA``; achieved
  ≤ 5.7e-6. Both programs stop their iterations at 1e-5-level criteria, so
  tighter agreement is not meaningful.
* Simulated eigenvalues are random; only the suggested number of factors is
  compared with psych (3 on HolzingerSwineford1939).
"""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

import hpmob.efa as efa
from hpmob.efa import bartlett_sphericity, efa_loadings, kmo, parallel_analysis, suitability_table

TOL_EXACT = 1e-9
TOL_FA = 2e-5

HS_ITEMS = [f"x{i}" for i in range(1, 10)]
HS_GROUPS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
HP_CONSTRUCTS = {
    "AW": [f"AW{i}" for i in range(1, 6)],
    "RT": [f"RT{i}" for i in range(1, 5)],
    "PM": [f"PM{i}" for i in range(1, 6)],
    "IM": [f"IM{i}" for i in range(1, 6)],
    "DT": [f"DT{i}" for i in range(1, 5)],
    "SE": [f"SE{i}" for i in range(1, 5)],
    "CO": [f"CO{i}" for i in range(1, 5)],
}
HP_ITEMS = [it for its in HP_CONSTRUCTS.values() for it in its]


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def ref_dir(root):
    return root / "tests" / "reference"


@pytest.fixture(scope="module")
def hs(hs):  # the nine test items of the shared data set
    return hs[HS_ITEMS]


@pytest.fixture(scope="module")
def ref(ref_dir):
    return json.loads((ref_dir / "efa_hs.json").read_text())


@pytest.fixture(scope="module")
def hp_raw(ref_dir):
    return pd.read_csv(ref_dir / "data" / "hpmob_analysed.csv")[HP_ITEMS]


@pytest.fixture(scope="module")
def hp_complete(hp_raw):
    return hp_raw.dropna()


@pytest.fixture(scope="module")
def hp_ref(ref_dir):
    path = ref_dir / "hpmob_cfa.json"
    if not path.exists():
        pytest.skip("tests/reference/hpmob_cfa.json not generated yet")
    return json.loads(path.read_text())


def _vec(d: dict) -> np.ndarray:
    return np.array(list(d.values()), dtype=float)


# --------------------------------------------------------------------------- #
# KMO
# --------------------------------------------------------------------------- #
def test_kmo_matches_psych_hs(hs, ref):
    overall, per_item = kmo(hs)
    assert overall == pytest.approx(ref["KMO"]["MSA"], abs=TOL_EXACT)
    assert list(per_item.index) == list(ref["KMO"]["MSAi"])
    np.testing.assert_allclose(per_item.to_numpy(), _vec(ref["KMO"]["MSAi"]), atol=TOL_EXACT, rtol=0)
    assert per_item.name == "msa" and isinstance(overall, float)


def test_kmo_matches_psych_survey_complete_rows(hp_complete, hp_ref):
    assert len(hp_complete) == hp_ref["data"]["n_complete_31_items"]
    overall, per_item = kmo(hp_complete)
    assert overall == pytest.approx(hp_ref["KMO"]["MSA"], abs=TOL_EXACT)
    np.testing.assert_allclose(per_item[list(hp_ref["KMO"]["MSAi"])], _vec(hp_ref["KMO"]["MSAi"]), atol=TOL_EXACT)


def _check_survey_block_is_current(ref_dir, ref):
    # The survey export is regenerated when the simulator changes; its block in
    # efa_hs.json must then be rebuilt too, or these comparisons are meaningless.
    md5 = hashlib.md5((ref_dir / "data" / "hpmob_analysed.csv").read_bytes()).hexdigest()
    assert md5 == ref["hpmob"]["data_md5"], (
        "tests/reference/efa_hs.json was made from another version of data/hpmob_analysed.csv; "
        "rerun 'Rscript tests/reference/make_efa_references.R'."
    )


def test_kmo_pairwise_matches_psych_with_missing(hp_raw, ref, ref_dir):
    _check_survey_block_is_current(ref_dir, ref)
    r = ref["hpmob"]["KMO_pairwise"]
    assert hp_raw.isna().any().any()
    overall, per_item = kmo(hp_raw)  # default nan_policy="pairwise", as psych
    assert overall == pytest.approx(r["MSA"], abs=TOL_EXACT)
    np.testing.assert_allclose(per_item.to_numpy(), _vec(r["MSAi"]), atol=TOL_EXACT)
    # listwise is KMO on the complete rows
    assert kmo(hp_raw, nan_policy="listwise")[0] == pytest.approx(kmo(hp_raw.dropna())[0], abs=1e-14)


def test_kmo_equals_factor_analyzer_on_complete_data(hs):
    fa_items, fa_total = calculate_kmo(hs)
    overall, per_item = kmo(hs)
    assert overall == pytest.approx(fa_total, abs=1e-12)
    np.testing.assert_allclose(per_item.to_numpy(), fa_items, atol=1e-12)


def test_kmo_two_items_is_one_half():
    # With 2 items the partial correlation equals the correlation: MSA = .5 exactly.
    rng = np.random.default_rng(7)
    z = rng.normal(size=(50, 1))
    df = pd.DataFrame(np.hstack([z + rng.normal(size=(50, 1)), z + rng.normal(size=(50, 1))]), columns=["a", "b"])
    overall, per_item = kmo(df)
    assert overall == pytest.approx(0.5, abs=1e-14)
    np.testing.assert_allclose(per_item, 0.5, atol=1e-14)


# --------------------------------------------------------------------------- #
# Bartlett
# --------------------------------------------------------------------------- #
def test_bartlett_matches_psych_hs(hs, ref):
    r = ref["cortest.bartlett"]
    out = bartlett_sphericity(hs)
    assert list(out.index) == ["chisq", "df", "pvalue", "n"]
    assert out["chisq"] == pytest.approx(r["chisq"], abs=TOL_EXACT)
    assert out["df"] == r["df"] and out["n"] == r["n"] == 301
    assert out["pvalue"] == pytest.approx(r["p.value"], rel=1e-9)


def test_bartlett_matches_psych_survey(hp_complete, hp_ref):
    r = hp_ref["cortest.bartlett"]
    out = bartlett_sphericity(hp_complete)
    assert out["chisq"] == pytest.approx(r["chisq"], abs=TOL_EXACT)
    assert out["df"] == r["df"] == 465
    assert out["pvalue"] == pytest.approx(r["p.value"], rel=1e-9)


def test_bartlett_pairwise_uses_all_rows_as_psych(hp_raw, ref, ref_dir):
    _check_survey_block_is_current(ref_dir, ref)
    r = ref["hpmob"]["cortest.bartlett_pairwise"]
    out = bartlett_sphericity(hp_raw)
    # psych's n is nrow(x); ours counts rows with at least one answer
    assert out["n"] == ref["hpmob"]["n_rows_any_item"] == ref["hpmob"]["n_rows"]
    assert out["chisq"] == pytest.approx(r["chisq"], abs=TOL_EXACT)


def test_bartlett_equals_factor_analyzer(hs):
    chisq, p = calculate_bartlett_sphericity(hs)
    out = bartlett_sphericity(hs)
    assert out["chisq"] == pytest.approx(chisq, abs=1e-9)
    assert out["pvalue"] == pytest.approx(p, rel=1e-9)


def test_bartlett_identity_correlation_gives_zero():
    # Orthogonal columns with zero means: R = I exactly, so chi-square is 0 and p is 1.
    H = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], dtype=float)
    df = pd.DataFrame(np.vstack([H[:, 1:]] * 3), columns=["a", "b", "c"])
    out = bartlett_sphericity(df)
    assert out["chisq"] == pytest.approx(0.0, abs=1e-12)
    assert out["pvalue"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- #
# Parallel analysis
# --------------------------------------------------------------------------- #
def test_parallel_observed_eigenvalues_match_psych(hs, ref):
    pa = parallel_analysis(hs, seed=1, method="pca")
    np.testing.assert_allclose(pa["observed"], ref["parallel"]["pc_values"], atol=TOL_EXACT)
    pa = parallel_analysis(hs, seed=1, method="fa")
    np.testing.assert_allclose(pa["observed"], ref["parallel"]["smc_values"], atol=TOL_EXACT)


@pytest.mark.parametrize("method", ["pca", "fa"])
def test_parallel_recovers_three_factors_on_hs(hs, ref, method):
    assert ref["parallel"]["SMC_TRUE"] == {"nfact": 3, "ncomp": 3}
    for seed in (1, 2, 3):
        pa = parallel_analysis(hs, seed=seed, method=method)
        assert int(pa["retain"].sum()) == 3


def test_parallel_recovers_seven_constructs_in_survey(hp_raw):
    # The population model has seven factors. The common-factor version (SMC-reduced
    # eigenvalues) finds them; the principal-component version is known to under-extract
    # correlated factors with modest loadings and may stop one short.
    for seed in (1, 20250902):
        assert int(parallel_analysis(hp_raw, seed=seed, method="fa")["retain"].sum()) == 7
        assert int(parallel_analysis(hp_raw, seed=seed, method="pca")["retain"].sum()) in (6, 7)


def test_parallel_layout_and_retain_is_a_leading_run(hs):
    pa = parallel_analysis(hs, seed=5)
    assert list(pa.columns) == ["factor", "observed", "simulated_mean", "simulated_quantile", "retain"]
    assert pa["factor"].tolist() == list(range(1, 10))
    k = int(pa["retain"].sum())
    assert pa["retain"].tolist() == [i < k for i in range(9)]
    assert (pa["observed"][pa["retain"]] > pa["simulated_quantile"][pa["retain"]]).all()
    assert not pa["observed"].iloc[k] > pa["simulated_quantile"].iloc[k]
    assert pa["observed"].is_monotonic_decreasing


def test_parallel_is_deterministic_for_a_seed(hs):
    a = parallel_analysis(hs, seed=11, n_iter=50)
    b = parallel_analysis(hs, seed=11, n_iter=50)
    pd.testing.assert_frame_equal(a, b)
    c = parallel_analysis(hs, seed=12, n_iter=50)
    assert not np.allclose(a["simulated_mean"], c["simulated_mean"])
    # A Generator is accepted and is the same stream as its int seed.
    d = parallel_analysis(hs, seed=np.random.default_rng(11), n_iter=50)
    pd.testing.assert_frame_equal(a, d)


def test_parallel_result_does_not_depend_on_batch_size(hs, monkeypatch):
    a = parallel_analysis(hs, seed=3, n_iter=40, method="fa")
    monkeypatch.setattr(efa, "_BATCH_NUMBERS", 7 * 301 * 9)  # 7 data sets per batch
    b = parallel_analysis(hs, seed=3, n_iter=40, method="fa")
    pd.testing.assert_frame_equal(a, b)


def test_parallel_simulated_pca_eigenvalues_sum_to_p(hs):
    # Each simulated correlation matrix has trace p, so the mean eigenvalues sum to p.
    pa = parallel_analysis(hs, seed=2, n_iter=30)
    assert pa["simulated_mean"].sum() == pytest.approx(9.0, abs=1e-10)


def test_parallel_quantile_half_is_close_to_mean(hs):
    pa = parallel_analysis(hs, seed=4, n_iter=400, quantile=0.5)
    np.testing.assert_allclose(pa["simulated_quantile"], pa["simulated_mean"], atol=0.02)


# --------------------------------------------------------------------------- #
# EFA loadings
# --------------------------------------------------------------------------- #
# psych names factors by extraction order; ours are labelled by construct.
PSYCH_TO_OURS = {"MR1": "textual", "MR3": "visual", "MR2": "speed", "ML1": "textual", "ML3": "visual", "ML2": "speed"}


@pytest.mark.parametrize(("method", "key"), [("minres", "fa_minres"), ("ml", "fa_ml")])
def test_efa_matches_psych_fa_oblimin(hs, ref, method, key):
    r = ref[key]
    loadings, phi = efa_loadings(hs, 3, method=method, constructs=HS_GROUPS)
    cols = [PSYCH_TO_OURS[c] for c in r["loadings"]["colnames"]]
    np.testing.assert_allclose(loadings[cols].to_numpy(), r["loadings"]["values"], atol=TOL_FA)
    np.testing.assert_allclose(phi.loc[cols, cols].to_numpy(), r["Phi"]["values"], atol=TOL_FA)
    np.testing.assert_allclose(loadings["communality"], _vec(r["communality"]), atol=TOL_FA)
    np.testing.assert_allclose(loadings["uniqueness"], _vec(r["uniquenesses"]), atol=TOL_FA)


def test_efa_layout_with_constructs(hs):
    loadings, phi = efa_loadings(hs, 3, constructs=HS_GROUPS)
    assert list(loadings.columns) == ["construct", "visual", "textual", "speed", "communality", "uniqueness", "primary"]
    assert loadings.index.name == "item" and list(loadings.index) == HS_ITEMS
    assert (loadings["primary"] == loadings["construct"]).all()
    assert list(phi.index) == list(phi.columns) == ["visual", "textual", "speed"]
    # item -> construct gives the same solution as construct -> items
    by_item = {it: c for c, its in HS_GROUPS.items() for it in its}
    l2, p2 = efa_loadings(hs, 3, constructs=by_item)
    pd.testing.assert_frame_equal(loadings, l2)
    pd.testing.assert_frame_equal(phi, p2)


def test_efa_without_constructs_orders_by_variance(hs):
    loadings, phi = efa_loadings(hs, 3)
    names = ["F1", "F2", "F3"]
    assert list(phi.columns) == names and "construct" not in loadings
    L, P = loadings[names].to_numpy(), phi.to_numpy()
    variance = np.diag(P @ L.T @ L)
    assert (np.diff(variance) <= 0).all()
    assert (L.sum(axis=0) > 0).all()  # psych's sign convention
    np.testing.assert_allclose(P, P.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(P), 1.0, atol=1e-12)
    np.testing.assert_allclose(loadings["communality"], np.einsum("ij,jk,ik->i", L, P, L), atol=1e-12)


def test_efa_communality_is_rotation_invariant(hs):
    obl, _ = efa_loadings(hs, 3, rotation="oblimin")
    var, phi_v = efa_loadings(hs, 3, rotation="varimax")
    none, phi_n = efa_loadings(hs, 3, rotation=None)
    np.testing.assert_allclose(obl["communality"], var["communality"], atol=1e-8)
    np.testing.assert_allclose(obl["communality"], none["communality"], atol=1e-8)
    np.testing.assert_allclose(phi_v.to_numpy(), np.eye(3))
    names = ["F1", "F2", "F3"]
    np.testing.assert_allclose(var["communality"], (var[names] ** 2).sum(axis=1), atol=1e-12)
    pd.testing.assert_frame_equal(efa_loadings(hs, 3, rotation="none")[0], none)


@pytest.mark.parametrize("rotation", ["promax", "quartimin", "geomin_obl", "quartimax", "equamax", "oblimax"])
def test_efa_loadings_and_phi_stay_consistent_for_every_rotation(hs, rotation):
    # h2 = diag(L Φ Lᵀ) is rotation invariant only if L and Φ are ordered and signed together.
    base, _ = efa_loadings(hs, 3, rotation=None)
    rotated, phi = efa_loadings(hs, 3, rotation=rotation)
    np.testing.assert_allclose(rotated["communality"], base["communality"], atol=1e-8)
    np.testing.assert_allclose(np.diag(phi.to_numpy()), 1.0, atol=1e-10)


def test_efa_recovers_survey_constructs(hp_complete):
    loadings, phi = efa_loadings(hp_complete, 7, constructs=HP_CONSTRUCTS)
    assert list(phi.columns) == list(HP_CONSTRUCTS)
    assert (loadings["primary"] == loadings["construct"]).all()


def test_efa_unclaimed_factors_get_positional_names(hs):
    loadings, phi = efa_loadings(hs, 3, constructs={"textual": ["x4", "x5", "x6"]})
    assert list(phi.columns) == ["textual", "F2", "F3"]
    assert (loadings.loc[["x4", "x5", "x6"], "primary"] == "textual").all()
    assert pd.isna(loadings.loc["x1", "construct"])


def test_efa_one_factor(hs):
    loadings, phi = efa_loadings(hs[["x4", "x5", "x6"]], 1)
    assert phi.shape == (1, 1) and (loadings["F1"] > 0.7).all()


def test_efa_warns_for_underidentified_model(hs):
    with pytest.warns(UserWarning, match="degrees of freedom"):
        efa_loadings(hs[["x1", "x2", "x3", "x4"]], 2)


# --------------------------------------------------------------------------- #
# Suitability table
# --------------------------------------------------------------------------- #
def test_suitability_table_agrees_with_the_parts(hs, ref):
    tab = suitability_table(hs, seed=1)
    assert len(tab) == 1
    row = tab.iloc[0]
    assert row["n"] == 301 and row["n_items"] == 9
    assert row["kmo"] == pytest.approx(ref["KMO"]["MSA"], abs=TOL_EXACT)
    assert row["kmo_item_min_name"] == "x7"
    assert row["bartlett_chisq"] == pytest.approx(ref["cortest.bartlett"]["chisq"], abs=TOL_EXACT)
    assert row["bartlett_df"] == 36
    assert row["n_factors_parallel"] == 3 and row["n_components_parallel"] == 3
    assert bool(row["kmo_ok"]) and bool(row["bartlett_ok"]) and bool(row["kmo_items_ok"])
    assert row["n_factors_parallel"] == int(parallel_analysis(hs, seed=1, method="fa")["retain"].sum())


def test_suitability_table_flags_poor_kmo():
    rng = np.random.default_rng(3)
    noise = pd.DataFrame(rng.normal(size=(300, 6)), columns=list("abcdef"))
    row = suitability_table(noise, seed=1).iloc[0]
    assert not row["kmo_ok"] and not row["bartlett_ok"]
    assert row["n_factors_parallel"] == 0


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #
ALL = [
    lambda d: kmo(d),
    lambda d: bartlett_sphericity(d),
    lambda d: parallel_analysis(d, seed=1, n_iter=5),
    lambda d: efa_loadings(d, 1),
    lambda d: suitability_table(d, seed=1, n_iter=5),
]


@pytest.mark.parametrize("call", ALL)
def test_constant_column_is_an_error(hs, call):
    bad = hs.head(40).assign(x5=3.0)
    with pytest.raises(ValueError, match=r"zero variance.*x5|x5.*zero variance"):
        call(bad)


@pytest.mark.parametrize("call", ALL)
def test_too_few_rows_is_an_error(hs, call):
    with pytest.raises(ValueError, match="more than p"):
        call(hs.head(9))


@pytest.mark.parametrize("call", ALL)
def test_non_numeric_is_an_error(hs, call):
    bad = hs.head(40).assign(x2=["agree"] * 40)
    with pytest.raises(TypeError, match="x2"):
        call(bad)


@pytest.mark.parametrize("call", ALL)
def test_not_a_dataframe_is_an_error(hs, call):
    with pytest.raises(TypeError, match="DataFrame"):
        call(hs.to_numpy())


def test_singular_matrix_names_the_items(hs):
    bad = hs.assign(total=hs["x1"] + hs["x2"])
    with pytest.raises(ValueError, match=r"singular.*'x1', 'x2'.*'total'"):
        kmo(bad)
    with pytest.raises(ValueError, match="singular"):
        bartlett_sphericity(bad)


def test_argument_errors(hs):
    with pytest.raises(TypeError, match="seed"):
        parallel_analysis(hs, seed=None)
    with pytest.raises(TypeError, match="seed"):
        parallel_analysis(hs, seed=1.5)
    with pytest.raises(ValueError, match="method"):
        parallel_analysis(hs, seed=1, method="pc")
    with pytest.raises(ValueError, match="n_iter"):
        parallel_analysis(hs, seed=1, n_iter=1)
    with pytest.raises(ValueError, match="quantile"):
        parallel_analysis(hs, seed=1, quantile=95)
    with pytest.raises(ValueError, match="nan_policy"):
        kmo(hs, nan_policy="drop")
    with pytest.raises(ValueError, match="n_factors"):
        efa_loadings(hs, 9)
    with pytest.raises(ValueError, match="n_factors"):
        efa_loadings(hs, 0)
    with pytest.raises(ValueError, match="rotation"):
        efa_loadings(hs, 2, rotation="oblique")
    with pytest.raises(ValueError, match="method"):
        efa_loadings(hs, 2, method="pa")
    with pytest.raises(ValueError, match="none of the items"):
        efa_loadings(hs, 2, constructs={"A": ["q1", "q2"]})
    with pytest.raises(TypeError, match="mixes"):
        efa_loadings(hs, 2, constructs={"x1": "A", "B": ["x2"]})


def test_missing_values_policies(hs):
    holes = hs.copy()
    rng = np.random.default_rng(9)
    mask = rng.random(holes.shape) < 0.05
    holes = holes.mask(mask)
    # listwise = the complete rows
    pd.testing.assert_series_equal(
        bartlett_sphericity(holes, nan_policy="listwise"), bartlett_sphericity(holes.dropna())
    )
    # pairwise uses pandas' pairwise correlations and counts rows with any answer
    out = bartlett_sphericity(holes)
    assert out["n"] == 301
    _, logdet = np.linalg.slogdet(holes.corr().to_numpy())
    assert out["chisq"] == pytest.approx(-(301 - 1 - (2 * 9 + 5) / 6) * logdet, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no imputation warnings, no RuntimeWarnings
        efa_loadings(holes, 3)
        parallel_analysis(holes, seed=1, n_iter=10)
