"""Tests for hpmob.reliability against R (psych, lavaan + semTools) and pingouin.

References live in tests/reference/ (see its README): psych 2.2.9 ``alpha()``,
lavaan 0.6.14 ``cfa(std.lv = TRUE)`` + semTools 0.5.6 ``compRelSEM()``, all on
HolzingerSwineford1939 as read back from the committed CSVs.

Tolerances (absolute), and what is achieved:

* psych::alpha statistics: ``TOL_PSYCH = 1e-6``; achieved ≤ 1e-14 (same
  closed-form arithmetic, JSON keeps 15 significant digits).
* pingouin alpha: ``TOL_PSYCH``; pingouin *rounds its CI to 3 decimals*, so the
  CI is compared within half a unit in the third decimal (5e-4).
* semTools omega (both forms): ``TOL_OMEGA = 1e-6``; achieved ≤ 5.2e-7 (all
  nine items) and ≤ 2.5e-8 (3-item sets). The difference is lavaan's: our ML
  fit reaches a lower discrepancy than lavaan's nlminb stopping point and, for
  the saturated 3-item models, equals the closed-form solution to 1e-10.
* lavaan loadings / residual variances: ``TOL_LAVAAN_PAR = 1e-5``; achieved
  ≤ 1.7e-6.
"""

from __future__ import annotations

import doctest
import json
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

import hpmob.reliability as rel
from hpmob.reliability import (
    alpha_from_model,
    cronbach_alpha,
    item_total_statistics,
    omega_total,
    reliability_table,
)

TOL_PSYCH = 1e-6
TOL_PINGOUIN_CI = 5e-4 + 1e-12  # pingouin returns np.round(ci, 3)
TOL_OMEGA = 1e-6
TOL_LAVAAN_PAR = 1e-5

SETS = ["visual", "textual", "speed", "all9"]


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def ref_dir(root):
    return root / "tests" / "reference"


@pytest.fixture(scope="module")
def hs_missing(ref_dir):
    return pd.read_csv(ref_dir / "data" / "HolzingerSwineford1939_x123_missing.csv")[["x1", "x2", "x3"]]


@pytest.fixture(scope="module")
def psych_ref(ref_dir):
    return json.loads((ref_dir / "psych_alpha.json").read_text())


@pytest.fixture(scope="module")
def omega_ref(ref_dir):
    return json.loads((ref_dir / "omega.json").read_text())


def _data_with_covariance(sigma: np.ndarray, n: int, seed: int = 1) -> pd.DataFrame:
    """n rows whose sample covariance (n − 1 divisor) is exactly ``sigma``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, sigma.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # cov(z) = I
    x = z @ np.linalg.cholesky(sigma).T + 3.0
    return pd.DataFrame(x, columns=[f"i{j + 1}" for j in range(sigma.shape[0])])


def _implied_cov(lam, theta) -> np.ndarray:
    lam = np.asarray(lam, float)
    return np.outer(lam, lam) + np.diag(theta)


# --------------------------------------------------------------------------- #
# cronbach_alpha vs psych::alpha
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", SETS)
def test_alpha_matches_psych(hs, psych_ref, name):
    ref = psych_ref["complete"][name]
    res = cronbach_alpha(hs[ref["items"]])
    assert res["n"] == ref["n_rows"] == 301
    assert res["n_items"] == ref["n_items"]
    assert res["alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL_PSYCH)
    assert res["std_alpha"] == pytest.approx(ref["std.alpha"], abs=TOL_PSYCH)
    assert res["average_r"] == pytest.approx(ref["average_r"], abs=TOL_PSYCH)
    assert res["alpha_ci_low"] == pytest.approx(ref["feldt_ci"]["lower"], abs=TOL_PSYCH)
    assert res["alpha_ci_high"] == pytest.approx(ref["feldt_ci"]["upper"], abs=TOL_PSYCH)
    assert list(res.index) == [
        "alpha", "n", "n_items", "alpha_ci_low", "alpha_ci_high", "std_alpha", "average_r",
    ]


@pytest.mark.parametrize("name", SETS)
def test_item_total_statistics_match_psych(hs, psych_ref, name):
    ref = psych_ref["complete"][name]
    res = item_total_statistics(hs[ref["items"]])
    stats_ref = pd.DataFrame(ref["item.stats"])
    drop_ref = pd.DataFrame(ref["alpha.drop"])
    assert list(res.columns) == [
        "item", "n", "mean", "sd", "r_drop", "r_cor", "alpha_if_deleted", "std_alpha_if_deleted",
    ]
    assert res["item"].tolist() == stats_ref["item"].tolist() == ref["items"]
    assert res["n"].tolist() == stats_ref["n"].tolist()
    for ours, theirs in [("mean", "mean"), ("sd", "sd"), ("r_drop", "r.drop"), ("r_cor", "r.cor")]:
        np.testing.assert_allclose(res[ours], stats_ref[theirs], rtol=0, atol=TOL_PSYCH, err_msg=ours)
    np.testing.assert_allclose(res["alpha_if_deleted"], drop_ref["raw_alpha"], rtol=0, atol=TOL_PSYCH)
    np.testing.assert_allclose(
        res["std_alpha_if_deleted"], drop_ref["std.alpha"], rtol=0, atol=TOL_PSYCH
    )


def test_r_drop_is_correlation_with_rest_score(hs):
    # Definition check independent of psych: item vs sum of the other items.
    items = hs[["x1", "x2", "x3", "x4"]]
    res = item_total_statistics(items)
    for i, col in enumerate(items.columns):
        rest = items.drop(columns=col).sum(axis=1)
        assert res.loc[i, "r_drop"] == pytest.approx(items[col].corr(rest), abs=1e-12)


# --------------------------------------------------------------------------- #
# Missing data: psych pairwise / listwise
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_missing_data_matches_psych(hs_missing, psych_ref, policy):
    ref = psych_ref["missing"][policy]
    res = cronbach_alpha(hs_missing, nan_policy=policy)
    # psych: n = nrow(x) = 301 for pairwise (incomplete rows count), 259 after na.omit.
    assert res["n"] == {"pairwise": 301, "listwise": 259}[policy] == ref["n_rows"]
    assert res["alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL_PSYCH)
    assert res["std_alpha"] == pytest.approx(ref["std.alpha"], abs=TOL_PSYCH)
    assert res["average_r"] == pytest.approx(ref["average_r"], abs=TOL_PSYCH)
    assert res["alpha_ci_low"] == pytest.approx(ref["feldt_ci"]["lower"], abs=TOL_PSYCH)
    assert res["alpha_ci_high"] == pytest.approx(ref["feldt_ci"]["upper"], abs=TOL_PSYCH)

    its = item_total_statistics(hs_missing, nan_policy=policy)
    stats_ref = pd.DataFrame(ref["item.stats"])
    drop_ref = pd.DataFrame(ref["alpha.drop"])
    assert its["n"].tolist() == stats_ref["n"].tolist()  # per item under pairwise: 280, 294, 284
    for ours, theirs in [("mean", "mean"), ("sd", "sd"), ("r_drop", "r.drop"), ("r_cor", "r.cor")]:
        np.testing.assert_allclose(its[ours], stats_ref[theirs], rtol=0, atol=TOL_PSYCH, err_msg=ours)
    np.testing.assert_allclose(its["alpha_if_deleted"], drop_ref["raw_alpha"], rtol=0, atol=TOL_PSYCH)
    np.testing.assert_allclose(
        its["std_alpha_if_deleted"], drop_ref["std.alpha"], rtol=0, atol=TOL_PSYCH
    )


def test_pairwise_covariance_matches_r(hs_missing, psych_ref):
    ref = psych_ref["missing"]["pairwise_cov"]
    C = rel._covariance(hs_missing)
    np.testing.assert_allclose(C, np.array(ref["values"]), rtol=0, atol=1e-12)


def test_rows_with_no_answer_are_ignored(hs_missing):
    # Documented departure from psych (which counts them in n = nrow(x)).
    padded = pd.concat([hs_missing, pd.DataFrame(np.nan, index=[-1, -2], columns=hs_missing.columns)])
    pd.testing.assert_series_equal(cronbach_alpha(padded), cronbach_alpha(hs_missing))
    pd.testing.assert_series_equal(omega_total(padded), omega_total(hs_missing))


def test_complete_data_same_under_both_policies(hs):
    items = hs[["x4", "x5", "x6"]]
    pd.testing.assert_series_equal(
        cronbach_alpha(items, nan_policy="pairwise"), cronbach_alpha(items, nan_policy="listwise")
    )


# --------------------------------------------------------------------------- #
# cronbach_alpha vs pingouin
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", SETS)
def test_alpha_matches_pingouin(hs, psych_ref, name):
    items = hs[psych_ref["item_sets"][name]]
    pg_alpha, pg_ci = pg.cronbach_alpha(data=items, ci=0.95)
    res = cronbach_alpha(items, ci=0.95)
    assert res["alpha"] == pytest.approx(pg_alpha, abs=TOL_PSYCH)
    # pingouin rounds the CI to 3 decimals: ours must round to within half a unit.
    assert abs(res["alpha_ci_low"] - pg_ci[0]) <= TOL_PINGOUIN_CI
    assert abs(res["alpha_ci_high"] - pg_ci[1]) <= TOL_PINGOUIN_CI


def test_pairwise_missing_matches_pingouin(hs_missing):
    pg_alpha, pg_ci = pg.cronbach_alpha(data=hs_missing)  # pingouin default: pairwise, n = len
    res = cronbach_alpha(hs_missing)
    assert res["alpha"] == pytest.approx(pg_alpha, abs=TOL_PSYCH)
    assert abs(res["alpha_ci_low"] - pg_ci[0]) <= TOL_PINGOUIN_CI
    assert abs(res["alpha_ci_high"] - pg_ci[1]) <= TOL_PINGOUIN_CI


def test_listwise_ci_differs_from_pingouin_as_documented(hs_missing):
    # Same alpha, but pingouin computes the Feldt CI with n = 301 (rows before
    # dropping) while we, like psych::alpha(na.omit(x)), use the 259 kept rows.
    pg_alpha, pg_ci = pg.cronbach_alpha(data=hs_missing, nan_policy="listwise")
    res = cronbach_alpha(hs_missing, nan_policy="listwise")
    assert res["alpha"] == pytest.approx(pg_alpha, abs=TOL_PSYCH)
    n_pg, k = 301, 3
    low_pg = 1 - (1 - pg_alpha) * stats.f.isf(0.025, n_pg - 1, (n_pg - 1) * (k - 1))
    assert round(low_pg, 3) == pg_ci[0]
    assert res["n"] == 259
    assert res["alpha_ci_low"] < pg_ci[0] - 0.005  # ours is wider, as it should be


def test_ci_level(hs):
    items = hs[["x1", "x2", "x3"]]
    r90, r99 = cronbach_alpha(items, ci=0.90), cronbach_alpha(items, ci=0.99)
    assert r99["alpha_ci_low"] < r90["alpha_ci_low"] < r90["alpha"] < r90["alpha_ci_high"] < r99["alpha_ci_high"]
    _, pg_ci = pg.cronbach_alpha(data=items, ci=0.90)
    assert abs(r90["alpha_ci_low"] - pg_ci[0]) <= TOL_PINGOUIN_CI


# --------------------------------------------------------------------------- #
# omega_total vs lavaan + semTools
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", SETS)
def test_omega_matches_semtools(hs, omega_ref, name):
    items = omega_ref["item_sets"][name]
    ref = omega_ref["results"][name]["compRelSEM"]
    res = omega_total(hs[items])
    assert res["omega"] == pytest.approx(ref["default"]["value"], abs=TOL_OMEGA)
    assert res["omega_model"] == pytest.approx(ref["obs.var_FALSE"]["value"], abs=TOL_OMEGA)
    assert res["n"] == 301 and res["n_items"] == len(items)
    # semTools' tau.eq = TRUE is coefficient alpha.
    assert cronbach_alpha(hs[items])["alpha"] == pytest.approx(ref["tau.eq_TRUE"]["value"], abs=TOL_PSYCH)


@pytest.mark.parametrize("name", SETS)
def test_one_factor_ml_matches_lavaan(hs, omega_ref, name):
    items = omega_ref["item_sets"][name]
    ref = omega_ref["results"][name]
    S = np.cov(hs[items].to_numpy(), rowvar=False, ddof=0)
    lam, theta, converged, _ = rel._fit_one_factor_ml(S)
    assert converged
    np.testing.assert_allclose(lam, [ref["loadings"][i] for i in items], rtol=0, atol=TOL_LAVAAN_PAR)
    np.testing.assert_allclose(
        theta, [ref["residual_variances"][i] for i in items], rtol=0, atol=TOL_LAVAAN_PAR
    )


@pytest.mark.parametrize("name", ["visual", "textual", "speed"])
def test_one_factor_ml_saturated_closed_form(hs, omega_ref, name):
    # With 3 items the model reproduces S exactly: λ₁² = s₁₂ s₁₃ / s₂₃, etc.
    items = omega_ref["item_sets"][name]
    S = np.cov(hs[items].to_numpy(), rowvar=False, ddof=0)
    lam, theta, _, _ = rel._fit_one_factor_ml(S)
    expected = np.sqrt([S[0, 1] * S[0, 2] / S[1, 2], S[0, 1] * S[1, 2] / S[0, 2], S[0, 2] * S[1, 2] / S[0, 1]])
    np.testing.assert_allclose(lam, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(_implied_cov(lam, theta), S, rtol=0, atol=1e-10)
    res = omega_total(hs[items])
    assert res["omega"] == pytest.approx(res["omega_model"], abs=1e-10)


def test_omega_uses_listwise_rows(hs_missing):
    res = omega_total(hs_missing)
    assert res["n"] == 259
    pd.testing.assert_series_equal(res, omega_total(hs_missing.dropna()))


def test_omega_equals_alpha_under_tau_equivalence():
    # Equal loadings, unequal residuals: population omega = alpha, and data with
    # exactly this covariance give the same value from every function.
    lam, theta = [0.7] * 5, [0.3, 0.5, 0.4, 0.6, 0.2]
    x = _data_with_covariance(_implied_cov(lam, theta), n=450)
    pop = alpha_from_model(lam, theta)
    omega_pop = (sum(lam) ** 2) / (sum(lam) ** 2 + sum(theta))
    assert pop == pytest.approx(omega_pop, abs=1e-12)
    assert cronbach_alpha(x)["alpha"] == pytest.approx(pop, abs=1e-10)
    om = omega_total(x)
    assert om["omega"] == pytest.approx(pop, abs=1e-8)
    assert om["omega_model"] == pytest.approx(pop, abs=1e-8)


def test_omega_exceeds_alpha_for_congeneric_items():
    lam, theta = [0.9, 0.7, 0.5, 0.3], [0.19, 0.51, 0.75, 0.91]
    x = _data_with_covariance(_implied_cov(lam, theta), n=450, seed=2)
    om = omega_total(x)
    omega_pop = (sum(lam) ** 2) / (sum(lam) ** 2 + sum(theta))
    assert om["omega_model"] == pytest.approx(omega_pop, abs=1e-8)
    assert cronbach_alpha(x)["alpha"] == pytest.approx(alpha_from_model(lam, theta), abs=1e-10)
    assert alpha_from_model(lam, theta) < omega_pop - 0.01


def test_omega_heywood_warns():
    # Saturated 3-item model with λ₁² = r₁₂ r₁₃ / r₂₃ = 1.6 > var(x₁) = 1, so θ₁ = −0.6.
    S = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.4], [0.8, 0.4, 1.0]])
    x = _data_with_covariance(S, n=300, seed=3)
    with pytest.warns(UserWarning, match="Heywood"):
        omega_total(x)


# --------------------------------------------------------------------------- #
# alpha_from_model
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("k, lam, theta", [(2, 0.6, 0.64), (4, 0.8, 0.36), (5, 0.5, 1.0), (10, 1.2, 0.3)])
def test_alpha_from_model_parallel_closed_form(k, lam, theta):
    # Parallel items: σ²ₜ = k²λ² + kθ and Σσ²ᵢ = k(λ² + θ), so
    # α = k/(k−1)·(1 − k(λ²+θ)/(k²λ²+kθ)) = kλ² / (kλ² + θ),
    # which is Spearman–Brown applied to the item reliability ρ = λ²/(λ²+θ).
    expected = k * lam**2 / (k * lam**2 + theta)
    rho = lam**2 / (lam**2 + theta)
    assert alpha_from_model([lam] * k, [theta] * k) == pytest.approx(expected, abs=1e-14)
    assert expected == pytest.approx(k * rho / (1 + (k - 1) * rho), abs=1e-14)


@pytest.mark.parametrize("name", ["visual", "textual", "speed"])
def test_alpha_from_model_reproduces_sample_alpha_for_saturated_fit(omega_ref, psych_ref, name):
    # For 3 items lavaan's Σ(λ, θ) equals S, so the implied alpha is the sample
    # alpha; agreement is limited by lavaan's convergence (~1e-8).
    ref = omega_ref["results"][name]
    items = omega_ref["item_sets"][name]
    implied = alpha_from_model([ref["loadings"][i] for i in items], [ref["residual_variances"][i] for i in items])
    assert implied == pytest.approx(psych_ref["complete"][name]["raw_alpha"], abs=TOL_PSYCH)


def test_alpha_from_model_accepts_series_and_arrays():
    lam = pd.Series([0.8, 0.7, 0.6], index=["a", "b", "c"])
    theta = np.array([0.36, 0.51, 0.64])
    assert alpha_from_model(lam, theta) == pytest.approx(alpha_from_model(lam.tolist(), theta.tolist()))


@pytest.mark.parametrize(
    "lam, theta, match",
    [
        ([0.7, 0.7], [0.5], "2 loadings but 1 residual"),
        ([0.7], [0.5], "at least 2 items"),
        ([0.7, 0.7], [0.5, -0.1], "≥ 0"),
        ([0.7, np.nan], [0.5, 0.5], "finite"),
    ],
)
def test_alpha_from_model_bad_input(lam, theta, match):
    with pytest.raises(ValueError, match=match):
        alpha_from_model(lam, theta)


# --------------------------------------------------------------------------- #
# reliability_table
# --------------------------------------------------------------------------- #
def test_reliability_table(hs, psych_ref, omega_ref):
    scales = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "all9": psych_ref["item_sets"]["all9"]}
    tab = reliability_table(hs, scales)
    assert list(tab.columns[:7]) == [
        "construct", "n_items", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
    ]
    assert tab["construct"].tolist() == list(scales)
    assert tab["n_items"].tolist() == [3, 3, 9]
    assert tab["n"].tolist() == [301, 301, 301]
    for _, row in tab.iterrows():
        ref_a = psych_ref["complete"][row["construct"]]
        ref_o = omega_ref["results"][row["construct"]]["compRelSEM"]
        assert row["alpha"] == pytest.approx(ref_a["raw_alpha"], abs=TOL_PSYCH)
        assert row["alpha_ci_low"] == pytest.approx(ref_a["feldt_ci"]["lower"], abs=TOL_PSYCH)
        assert row["alpha_ci_high"] == pytest.approx(ref_a["feldt_ci"]["upper"], abs=TOL_PSYCH)
        assert row["omega"] == pytest.approx(ref_o["default"]["value"], abs=TOL_OMEGA)
        assert row["omega_model"] == pytest.approx(ref_o["obs.var_FALSE"]["value"], abs=TOL_OMEGA)
        assert row["std_alpha"] == pytest.approx(ref_a["std.alpha"], abs=TOL_PSYCH)


def test_reliability_table_two_item_construct_has_no_omega(hs):
    tab = reliability_table(hs, {"pair": ["x1", "x2"], "visual": ["x1", "x2", "x3"]})
    assert np.isnan(tab.loc[0, "omega"]) and np.isnan(tab.loc[0, "omega_model"])
    assert tab.loc[0, "alpha"] == pytest.approx(cronbach_alpha(hs[["x1", "x2"]])["alpha"])
    assert not np.isnan(tab.loc[1, "omega"])


def test_reliability_table_missing_data_n(hs_missing):
    tab = reliability_table(hs_missing, {"v": ["x1", "x2", "x3"]})
    assert tab.loc[0, "n"] == 301 and tab.loc[0, "n_omega"] == 259
    tab_lw = reliability_table(hs_missing, {"v": ["x1", "x2", "x3"]}, nan_policy="listwise")
    assert tab_lw.loc[0, "n"] == 259


def test_reliability_table_bad_input(hs):
    with pytest.raises(KeyError, match="'x99'"):
        reliability_table(hs, {"visual": ["x1", "x2", "x99"]})
    with pytest.raises(ValueError, match="non-empty dict"):
        reliability_table(hs, {})
    with pytest.raises(TypeError, match="list of column"):
        reliability_table(hs, {"visual": "x1"})
    with pytest.raises(TypeError, match=r"construct 'bad'.*'school'"):
        reliability_table(hs, {"visual": ["x1", "x2", "x3"], "bad": ["x1", "school", "x3"]})


# --------------------------------------------------------------------------- #
# Bad inputs
# --------------------------------------------------------------------------- #
FUNCS = [cronbach_alpha, item_total_statistics, omega_total]


@pytest.mark.parametrize("func", FUNCS)
def test_too_few_items(hs, func):
    with pytest.raises(ValueError, match="at least .* items"):
        func(hs[["x1"]])


def test_omega_needs_three_items(hs):
    with pytest.raises(ValueError, match="at least 3 items"):
        omega_total(hs[["x1", "x2"]])


@pytest.mark.parametrize("func", FUNCS)
def test_non_numeric_column_is_named(hs, func):
    with pytest.raises(TypeError, match="'school'.*Recode"):
        func(hs[["x1", "x2", "school"]])


@pytest.mark.parametrize("func", FUNCS)
def test_constant_item_is_named(hs, func):
    x = hs[["x1", "x2", "x3"]].assign(x2=3.0)
    with pytest.raises(ValueError, match=r"\['x2'\] have zero variance"):
        func(x)


@pytest.mark.parametrize("func", FUNCS)
def test_all_nan_column_is_named(hs, func):
    x = hs[["x1", "x2", "x3"]].assign(x3=np.nan)
    with pytest.raises(ValueError, match=r"\['x3'\] have no non-missing values"):
        func(x)


def test_other_bad_inputs(hs):
    items = hs[["x1", "x2", "x3"]]
    with pytest.raises(TypeError, match="DataFrame"):
        cronbach_alpha(items.to_numpy())
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        cronbach_alpha(items, nan_policy="omit")
    with pytest.raises(ValueError, match="ci must be"):
        cronbach_alpha(items, ci=95)
    with pytest.raises(ValueError, match="infinite"):
        cronbach_alpha(items.assign(x1=np.inf))
    with pytest.raises(ValueError, match="at least 2 respondents"):
        cronbach_alpha(items.iloc[:1])
    with pytest.raises(ValueError, match="duplicated"):
        cronbach_alpha(hs[["x1", "x2", "x1"]])
    sparse = pd.DataFrame({"a": [1.0, 2.0, np.nan, np.nan], "b": [np.nan, np.nan, 1.0, 3.0], "c": [1, 2, 3, 5]})
    with pytest.raises(ValueError, match="'b' and 'a'|'a' and 'b'"):
        cronbach_alpha(sparse)


def test_unreversed_item_warns(hs):
    x = hs[["x4", "x5", "x6"]].assign(x5=lambda d: -d["x5"])
    with pytest.warns(UserWarning, match=r"\['x5'\].*reverse"):
        cronbach_alpha(x)


def test_nullable_and_integer_dtypes_accepted(hs):
    likert = (hs[["x4", "x5", "x6"]].round().clip(1, 5)).astype(int)
    nullable = likert.astype("Int64")
    nullable.iloc[0, 0] = pd.NA
    plain = likert.astype(float)
    plain.iloc[0, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_series_equal(cronbach_alpha(nullable), cronbach_alpha(plain))


# --------------------------------------------------------------------------- #
# Docstring examples stay true
# --------------------------------------------------------------------------- #
def test_docstring_examples():
    result = doctest.testmod(rel, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0
