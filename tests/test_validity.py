"""Tests for hpmob.validity against semTools 0.5-6 and closed-form cases.

References (tests/reference/, see README.md):

* ``lavaan_hs.json`` — HolzingerSwineford1939 3-factor CFA: lavaan's
  parameter table, implied and sample covariances, ``compRelSEM`` (default and
  ``obs.var = FALSE``), ``AVE()`` and ``htmt()``.
* ``hpmob_cfa.json`` — the survey's 7-factor CFA (238 complete rows), same
  contents.
* ``efa_hs.json`` — ``htmt()`` with ``htmt2 = FALSE`` and ``absolute = FALSE``
  on HolzingerSwineford1939 and with ``htmt2 = FALSE`` on the survey.

Two kinds of comparison, with their tolerances (absolute):

* Formulas on lavaan's *own* estimates (a SemResult built from the JSON), so
  only our arithmetic is tested: CR ``"model"`` / ``"observed"`` vs
  ``compRelSEM(obs.var = FALSE)`` / ``compRelSEM()``, AVE ``"observed"`` vs
  ``AVE()``: ``TOL_FORMULA = 1e-10``; achieved ≤ 4e-15.
* End to end, hpmob.sem.fit + hpmob.validity on HolzingerSwineford1939:
  ``TOL_FIT = 1e-5``; achieved ≤ 3e-7 (the fit's own agreement with lavaan).
* HTMT from the data vs ``semTools::htmt``: ``TOL_FORMULA``; achieved ≤ 7e-16.

``method="standardized"`` (Fornell & Larcker's CR/AVE from standardized
loadings, the default) equals semTools only when the items' implied
variances are equal; the tests pin that it differs on real data.
"""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from hpmob import criteria
from hpmob.sem import SemResult, fit
from hpmob.validity import (
    average_variance_extracted,
    composite_reliability,
    fornell_larcker,
    htmt,
    standardized_loadings,
    validity_table,
)

TOL_FORMULA = 1e-10
TOL_FIT = 1e-5

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


# --------------------------------------------------------------------------- #
# Helpers and fixtures
# --------------------------------------------------------------------------- #
def _matrix(m: dict) -> pd.DataFrame:
    return pd.DataFrame(m["values"], index=m["rownames"], columns=m["colnames"], dtype=float)


def _from_lavaan(block: dict, model: str) -> SemResult:
    """A SemResult holding lavaan's own estimates, so only hpmob.validity is tested."""
    est = pd.DataFrame(block["parameterEstimates"])
    return SemResult(
        estimates=est,
        fit_measures=pd.Series(block["fitMeasures"], dtype=float),
        r2=pd.Series(dtype=float),
        implied_cov=_matrix(block["implied"]["cov"]),
        sample_cov=_matrix(block["sampstat"]["cov"]),
        n=int(block["nobs"]),
        estimator="ML",
        vcov=pd.DataFrame(),
        converged=True,
        model=model,
    )


def _cfa_result(loadings: dict, psi: np.ndarray, theta: dict, theta_cov: dict | None = None, S=None) -> SemResult:
    """A SemResult for a hand-made CFA: est, std.all and implied covariance from the parameters."""
    factors = list(loadings)
    items = list(dict.fromkeys(it for f in factors for it in loadings[f]))
    L = np.array([[loadings[f].get(it, 0.0) for f in factors] for it in items])
    T = np.diag([theta[it] for it in items])
    for (a, b), v in (theta_cov or {}).items():
        i, j = items.index(a), items.index(b)
        T[i, j] = T[j, i] = v
    sigma = L @ psi @ L.T + T
    sd = np.sqrt(np.diag(sigma))
    sd_lv = np.sqrt(np.diag(psi))
    rows = []
    for fi, f in enumerate(factors):
        for it, lam in loadings[f].items():
            rows.append((f, "=~", it, lam, lam * sd_lv[fi] / sd[items.index(it)]))
    for i, it in enumerate(items):
        rows.append((it, "~~", it, T[i, i], T[i, i] / sd[i] ** 2))
    for (a, b), v in (theta_cov or {}).items():
        rows.append((a, "~~", b, v, v / (sd[items.index(a)] * sd[items.index(b)])))
    for i, f in enumerate(factors):
        for j in range(i, len(factors)):
            rows.append((f, "~~", factors[j], psi[i, j], psi[i, j] / (sd_lv[i] * sd_lv[j])))
    est = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "std.all"])
    est["se"] = 0.1
    est["pvalue"] = 0.01
    implied = pd.DataFrame(sigma, index=items, columns=items)
    return SemResult(
        estimates=est,
        fit_measures=pd.Series(dtype=float),
        r2=pd.Series(dtype=float),
        implied_cov=implied,
        sample_cov=implied if S is None else S,
        n=500,
        estimator="ML",
        vcov=pd.DataFrame(),
        converged=True,
        model="",
    )


def _data_with_correlation(R: np.ndarray, n: int = 400, seed: int = 1) -> np.ndarray:
    """n rows whose sample correlation matrix is exactly R."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, R.shape[0]))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False))).T  # sample cov = I
    return Z @ np.linalg.cholesky(R).T


def _two_construct_correlation(lam_a, lam_b, phi) -> np.ndarray:
    lam = np.concatenate([lam_a, lam_b])
    grp = np.array([0] * len(lam_a) + [1] * len(lam_b))
    R = np.outer(lam, lam) * np.where(grp[:, None] == grp[None, :], 1.0, phi)
    np.fill_diagonal(R, 1.0)
    return R


@pytest.fixture(scope="module")
def ref_dir(root):
    return root / "tests" / "reference"


@pytest.fixture(scope="module")
def hs(ref_dir):
    return pd.read_csv(ref_dir / "data" / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def hs_ref(ref_dir):
    return json.loads((ref_dir / "lavaan_hs.json").read_text())


@pytest.fixture(scope="module")
def efa_ref(ref_dir):
    return json.loads((ref_dir / "efa_hs.json").read_text())


@pytest.fixture(scope="module")
def hs_lavaan(hs_ref):
    return _from_lavaan(hs_ref["ML"], hs_ref["model"])


@pytest.fixture(scope="module")
def hs_fit(hs, hs_ref):
    return fit(hs_ref["model"], hs)


@pytest.fixture(scope="module")
def hp_ref(ref_dir):
    path = ref_dir / "hpmob_cfa.json"
    if not path.exists():
        pytest.skip("tests/reference/hpmob_cfa.json not generated yet")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def hp_lavaan(hp_ref):
    return _from_lavaan(hp_ref["ML"], hp_ref["model"])


@pytest.fixture(scope="module")
def hp_data(ref_dir):
    items = [it for its in HP_CONSTRUCTS.values() for it in its]
    return pd.read_csv(ref_dir / "data" / "hpmob_analysed.csv").dropna(subset=items)


# --------------------------------------------------------------------------- #
# CR and AVE vs semTools, on lavaan's estimates
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("which", ["hs", "hp"])
def test_cr_and_ave_formulas_match_semtools(which, request):
    res = request.getfixturevalue(f"{which}_lavaan")
    st = request.getfixturevalue(f"{which}_ref")["ML"]["semTools"]
    cr_model = composite_reliability(res, method="model")
    cr_obs = composite_reliability(res, method="observed")
    ave_obs = average_variance_extracted(res, method="observed")
    assert list(cr_model.index) == list(st["compRelSEM"])
    np.testing.assert_allclose(cr_model, [st["compRelSEM_obs.var_FALSE"][f] for f in cr_model.index], atol=TOL_FORMULA)
    np.testing.assert_allclose(cr_obs, [st["compRelSEM"][f] for f in cr_obs.index], atol=TOL_FORMULA)
    np.testing.assert_allclose(ave_obs, [st["AVE"][f] for f in ave_obs.index], atol=TOL_FORMULA)
    assert cr_model.name == "cr" and ave_obs.name == "ave"


def test_hs_semtools_reliability_matrix_rows(hs_lavaan, hs_ref):
    # reliability()["omega", ] is compRelSEM(obs.var = FALSE), ["omega3", ] the default.
    rel = _matrix(hs_ref["ML"]["semTools"]["reliability"])
    np.testing.assert_allclose(composite_reliability(hs_lavaan, method="model"), rel.loc["omega"], atol=TOL_FORMULA)
    np.testing.assert_allclose(composite_reliability(hs_lavaan, method="observed"), rel.loc["omega3"], atol=TOL_FORMULA)
    np.testing.assert_allclose(average_variance_extracted(hs_lavaan, method="observed"), rel.loc["avevar"], atol=1e-6)


@pytest.mark.parametrize("which", ["hs", "hp"])
def test_standardized_definitions_are_fornell_larcker(which, request):
    res = request.getfixturevalue(f"{which}_lavaan")
    est = res.estimates
    load = est[est["op"] == "=~"]
    cr = composite_reliability(res)
    ave = average_variance_extracted(res)
    for f, rows in load.groupby("lhs", sort=False):
        lam = rows["std.all"].to_numpy()
        theta = est[(est["op"] == "~~") & est["lhs"].isin(rows["rhs"]) & (est["lhs"] == est["rhs"])]["std.all"]
        assert cr[f] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum()), abs=1e-12)
        assert ave[f] == pytest.approx(np.mean(lam**2), abs=1e-12)


def test_standardized_and_semtools_definitions_differ(hs_lavaan, hp_lavaan):
    # They coincide only for equal implied item variances; pin the size of the gap
    # so nobody "fixes" one into the other.
    cr_gap = composite_reliability(hs_lavaan) - composite_reliability(hs_lavaan, method="model")
    assert cr_gap["speed"] == pytest.approx(0.003614, abs=1e-5)
    ave_gap = average_variance_extracted(hs_lavaan) - average_variance_extracted(hs_lavaan, method="observed")
    assert ave_gap["speed"] == pytest.approx(0.005304, abs=1e-5)
    survey_gap = average_variance_extracted(hp_lavaan) - average_variance_extracted(hp_lavaan, method="observed")
    assert survey_gap.abs().max() > 1e-4


# --------------------------------------------------------------------------- #
# End to end with hpmob.sem.fit
# --------------------------------------------------------------------------- #
def test_end_to_end_matches_semtools(hs_fit, hs_ref):
    st = hs_ref["ML"]["semTools"]
    cr_model = composite_reliability(hs_fit, method="model")
    cr_obs = composite_reliability(hs_fit, method="observed")
    ave_obs = average_variance_extracted(hs_fit, method="observed")
    np.testing.assert_allclose(cr_model, list(st["compRelSEM_obs.var_FALSE"].values()), atol=TOL_FIT)
    np.testing.assert_allclose(cr_obs, list(st["compRelSEM"].values()), atol=TOL_FIT)
    np.testing.assert_allclose(ave_obs, list(st["AVE"].values()), atol=TOL_FIT)


def test_standardized_loadings_table(hs_fit, hs_ref):
    tab = standardized_loadings(hs_fit)
    assert list(tab.columns) == ["construct", "item", "est", "se", "pvalue", "std_all", "flag"]
    ref = pd.DataFrame(hs_ref["ML"]["parameterEstimates"])
    ref = ref[ref["op"] == "=~"]
    assert tab["item"].tolist() == ref["rhs"].tolist()
    np.testing.assert_allclose(tab["std_all"], ref["std.all"], atol=TOL_FIT)
    np.testing.assert_allclose(tab["est"], ref["est"], atol=TOL_FIT)
    assert tab.loc[tab["flag"], "item"].tolist() == ["x2"]  # std loading .42
    assert tab["flag"].equals(tab["std_all"] < criteria.LOADING_MIN)
    assert standardized_loadings(hs_fit, min_loading=0.6)["flag"].sum() == 3  # x2, x3, x7


def test_fornell_larcker_matrix(hs_fit, hs_ref):
    fl = fornell_larcker(hs_fit)
    f = ["visual", "textual", "speed"]
    assert list(fl.columns) == f + ["max_abs_r", "passes"]
    ref = pd.DataFrame(hs_ref["ML"]["parameterEstimates"])
    cov = ref[(ref["op"] == "~~") & ref["lhs"].isin(f) & (ref["lhs"] != ref["rhs"])]
    for a, b, r in zip(cov["lhs"], cov["rhs"], cov["std.all"]):
        assert fl.loc[a, b] == pytest.approx(r, abs=TOL_FIT)
        assert fl.loc[b, a] == fl.loc[a, b]
    np.testing.assert_allclose(np.diag(fl[f].to_numpy()), np.sqrt(average_variance_extracted(hs_fit)), atol=1e-14)
    assert fl["passes"].all()


def test_validity_table(hs_fit, hs):
    tab = validity_table(hs_fit, hs)
    assert list(tab.columns) == [
        "construct", "n_items", "min_loading", "cr", "ave", "sqrt_ave", "max_r", "max_shared_variance",
        "max_htmt", "loadings_ok", "cr_ok", "ave_ok", "fornell_larcker_ok", "htmt_ok",
    ]
    assert tab["construct"].tolist() == ["visual", "textual", "speed"]
    np.testing.assert_allclose(tab["cr"], composite_reliability(hs_fit), atol=1e-14)
    np.testing.assert_allclose(tab["ave"], average_variance_extracted(hs_fit), atol=1e-14)
    fl = fornell_larcker(hs_fit)
    np.testing.assert_allclose(tab["max_r"], fl["max_abs_r"], atol=1e-14)
    np.testing.assert_allclose(tab["max_shared_variance"], fl["max_abs_r"] ** 2, atol=1e-14)
    ht = htmt(hs, HS_GROUPS).to_numpy(copy=True)
    np.fill_diagonal(ht, np.nan)
    np.testing.assert_allclose(tab["max_htmt"], np.nanmax(ht, axis=1), atol=1e-14)
    assert tab["cr_ok"].tolist() == [False, True, False]
    assert tab["ave_ok"].tolist() == [False, True, False]
    assert tab["loadings_ok"].tolist() == [False, True, True]
    assert tab["fornell_larcker_ok"].all() and tab["htmt_ok"].all()
    semtools_like = validity_table(hs_fit, hs, HS_GROUPS, method="model")
    np.testing.assert_allclose(semtools_like["cr"], composite_reliability(hs_fit, method="model"), atol=1e-14)


def test_validity_table_survey(hp_lavaan, hp_data, hp_ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # HTMT2 warns if two items happen to correlate exactly 0
        tab = validity_table(hp_lavaan, hp_data, method="observed")
    assert tab["construct"].tolist() == list(HP_CONSTRUCTS)
    assert tab["n_items"].tolist() == [5, 4, 5, 5, 4, 4, 4]
    st = hp_ref["ML"]["semTools"]
    np.testing.assert_allclose(tab["cr"], [st["compRelSEM"][c] for c in HP_CONSTRUCTS], atol=TOL_FORMULA)
    np.testing.assert_allclose(tab["ave"], [st["AVE"][c] for c in HP_CONSTRUCTS], atol=TOL_FORMULA)
    ref_htmt = _matrix(hp_ref["htmt"]["matrix"]).to_numpy(copy=True)
    np.fill_diagonal(ref_htmt, np.nan)
    np.testing.assert_allclose(tab["max_htmt"], np.nanmax(ref_htmt, axis=1), atol=TOL_FORMULA)


# --------------------------------------------------------------------------- #
# Closed-form CFAs
# --------------------------------------------------------------------------- #
def test_unit_variance_model_all_methods_agree():
    lam = {"A": {"a1": 0.8, "a2": 0.7, "a3": 0.6}, "B": {"b1": 0.9, "b2": 0.5, "b3": 0.7}}
    theta = {it: 1 - v**2 for f in lam.values() for it, v in f.items()}
    res = _cfa_result(lam, np.array([[1.0, 0.3], [0.3, 1.0]]), theta)
    a = np.array([0.8, 0.7, 0.6])
    cr_a = a.sum() ** 2 / (a.sum() ** 2 + (1 - a**2).sum())
    for m in ("standardized", "model", "observed"):
        assert composite_reliability(res, method=m)["A"] == pytest.approx(cr_a, abs=1e-12)
        assert average_variance_extracted(res, method=m)["A"] == pytest.approx(np.mean(a**2), abs=1e-12)
        assert average_variance_extracted(res, method=m)["B"] == pytest.approx((0.81 + 0.25 + 0.49) / 3, abs=1e-12)


def test_unequal_variances_separate_the_definitions():
    # Raw loadings 2, 1, 0.5 with unit residual variances and factor variance 1.
    res = _cfa_result({"A": {"a1": 2.0, "a2": 1.0, "a3": 0.5}}, np.array([[1.0]]), {"a1": 1.0, "a2": 1.0, "a3": 1.0})
    assert composite_reliability(res, method="model")["A"] == pytest.approx(3.5**2 / (3.5**2 + 3), abs=1e-12)
    assert average_variance_extracted(res, method="model")["A"] == pytest.approx(5.25 / (5.25 + 3), abs=1e-12)
    std = np.array([2 / np.sqrt(5), 1 / np.sqrt(2), 0.5 / np.sqrt(1.25)])
    cr_std = std.sum() ** 2 / (std.sum() ** 2 + (1 - std**2).sum())
    assert composite_reliability(res)["A"] == pytest.approx(cr_std, abs=1e-12)
    assert average_variance_extracted(res)["A"] == pytest.approx(np.mean(std**2), abs=1e-12)


def test_correlated_errors_enter_the_cr_denominator():
    # compRelSEM(obs.var = FALSE) uses the implied total variance, which adds 2·θ12.
    lam = {"A": {"a1": 1.0, "a2": 1.0, "a3": 1.0}}
    res = _cfa_result(lam, np.array([[1.0]]), {"a1": 1.0, "a2": 1.0, "a3": 1.0}, theta_cov={("a1", "a2"): 0.4})
    assert composite_reliability(res, method="model")["A"] == pytest.approx(9 / (9 + 3 + 0.8), abs=1e-12)
    assert composite_reliability(res)["A"] == pytest.approx(9 / (9 + 3 + 0.8), abs=1e-12)  # equal variances


def test_observed_denominator_uses_sample_covariance():
    lam = {"A": {"a1": 1.0, "a2": 1.0, "a3": 1.0}}
    S = pd.DataFrame(np.full((3, 3), 1.2) + np.eye(3) * 0.8, index=["a1", "a2", "a3"], columns=["a1", "a2", "a3"])
    res = _cfa_result(lam, np.array([[1.0]]), {"a1": 1.0, "a2": 1.0, "a3": 1.0}, S=S)
    assert composite_reliability(res, method="observed")["A"] == pytest.approx(9 / S.to_numpy().sum(), abs=1e-12)
    assert average_variance_extracted(res, method="observed")["A"] == pytest.approx(3 / 6.0, abs=1e-12)


def test_fornell_larcker_closed_form():
    # AVE(A) = .49 < φ² = .64 fails; AVE(B) = .81 > .64 passes.
    lam = {"A": {"a1": 0.7, "a2": 0.7, "a3": 0.7}, "B": {"b1": 0.9, "b2": 0.9, "b3": 0.9}}
    theta = {it: 1 - v**2 for f in lam.values() for it, v in f.items()}
    res = _cfa_result(lam, np.array([[1.0, 0.8], [0.8, 1.0]]), theta)
    fl = fornell_larcker(res)
    np.testing.assert_allclose(fl[["A", "B"]].to_numpy(), [[0.7, 0.8], [0.8, 0.9]], atol=1e-12)
    assert fl["passes"].tolist() == [False, True]


def test_cross_loading_makes_ave_undefined():
    lam = {"A": {"a1": 0.8, "a2": 0.7, "a3": 0.6}, "B": {"b1": 0.8, "b2": 0.7, "a3": 0.3}}
    theta = {"a1": 0.36, "a2": 0.51, "a3": 0.4, "b1": 0.36, "b2": 0.51}
    res = _cfa_result(lam, np.array([[1.0, 0.2], [0.2, 1.0]]), theta)
    with pytest.warns(UserWarning, match="more than one factor"):
        ave = average_variance_extracted(res)
    assert ave.isna().all()
    assert composite_reliability(res).notna().all()


def test_structural_models_are_refused_where_needed():
    lam = {"A": {"a1": 0.8, "a2": 0.7}, "B": {"b1": 0.8, "b2": 0.7}}
    theta = {"a1": 0.36, "a2": 0.51, "b1": 0.36, "b2": 0.51}
    res = _cfa_result(lam, np.array([[1.0, 0.0], [0.0, 1.0]]), theta)
    est = pd.concat(
        [res.estimates, pd.DataFrame([{"lhs": "B", "op": "~", "rhs": "A", "est": 0.5, "std.all": 0.5}])],
        ignore_index=True,
    )
    sem = SemResult(**{**{k: getattr(res, k) for k in res.__dataclass_fields__ if k != "_state"}, "estimates": est})
    composite_reliability(sem)  # standardized: defined for any model
    with pytest.raises(ValueError, match="measurement model"):
        composite_reliability(sem, method="model")
    with pytest.raises(ValueError, match="measurement model"):
        fornell_larcker(sem)


def test_orthogonal_factors_without_covariance_rows():
    lam = {"A": {"a1": 0.8, "a2": 0.7}, "B": {"b1": 0.8, "b2": 0.7}}
    theta = {"a1": 0.36, "a2": 0.51, "b1": 0.36, "b2": 0.51}
    res = _cfa_result(lam, np.eye(2), theta)
    est = res.estimates
    est = est[~((est["lhs"] == "A") & (est["rhs"] == "B"))]
    sem = SemResult(**{**{k: getattr(res, k) for k in res.__dataclass_fields__ if k != "_state"}, "estimates": est})
    fl = fornell_larcker(sem)
    assert fl.loc["A", "B"] == 0.0 and fl["passes"].all()


# --------------------------------------------------------------------------- #
# HTMT
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({}, "htmt2_TRUE"),
        ({"htmt2": False}, "htmt2_FALSE"),
        ({"htmt2": False, "absolute": False}, "htmt2_FALSE_absolute_FALSE"),
    ],
)
def test_htmt_matches_semtools_hs(hs, efa_ref, hs_ref, kwargs, key):
    out = htmt(hs, HS_GROUPS, **kwargs)
    ref = efa_ref["htmt"][key]
    assert list(out.index) == list(out.columns) == ref["rownames"]
    np.testing.assert_allclose(out.to_numpy(), ref["values"], atol=TOL_FORMULA)
    if key == "htmt2_TRUE":  # the same numbers as in lavaan_hs.json
        np.testing.assert_allclose(out.to_numpy(), hs_ref["htmt"]["matrix"]["values"], atol=TOL_FORMULA)


def test_htmt_matches_semtools_survey(hp_data, hp_ref, efa_ref, ref_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = htmt(hp_data, HP_CONSTRUCTS)
    ref = np.array(hp_ref["htmt"]["matrix"]["values"])
    np.testing.assert_allclose(out.to_numpy(), ref, atol=TOL_FORMULA)
    # An exact 0 in R's HTMT2 comes from a zero item correlation, which we snap and warn about.
    assert bool(caught) == bool((ref == 0).any())
    md5 = hashlib.md5((ref_dir / "data" / "hpmob_analysed.csv").read_bytes()).hexdigest()
    if md5 != efa_ref["hpmob"]["data_md5"]:
        pytest.fail("efa_hs.json is stale: rerun 'Rscript tests/reference/make_efa_references.R'.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arith = htmt(hp_data, HP_CONSTRUCTS, htmt2=False)
    np.testing.assert_allclose(arith.to_numpy(), efa_ref["hpmob"]["htmt2_FALSE"]["matrix"]["values"], atol=TOL_FORMULA)


def test_htmt2_zero_correlation_gives_zero_and_warns():
    # Orthogonal ±1 columns make corr(a1, b1) exactly 0; the geometric mean is then 0.
    h = np.array([[1, 1, 1, 1, -1, -1, -1, -1], [1, 1, -1, -1, 1, 1, -1, -1], [1, -1, 1, -1, 1, -1, 1, -1]]).T
    h1, h2, h3 = h.T.astype(float)
    df = pd.DataFrame({"a1": h1, "a2": h1 + h2, "b1": h2 + h3, "b2": h3})
    groups = {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    with pytest.warns(UserWarning, match="'a1' and 'b1' correlate 0.*'A'–'B' is 0"):
        out = htmt(df, groups)
    assert out.loc["A", "B"] == 0.0
    # arithmetic HTMT: heterotrait |r| are 0, 0, .5, 0; monotrait both 1/sqrt(2)
    assert htmt(df, groups, htmt2=False).loc["A", "B"] == pytest.approx(0.125 / (2**-0.5), abs=1e-12)


def test_htmt_tau_equivalent_equals_factor_correlation():
    # Items of A load .8, items of B .6, φ = .5: within-A r = .64, within-B .36,
    # between .24, so HTMT = .24 / sqrt(.64 · .36) = .5 = φ, for both means.
    R = _two_construct_correlation([0.8] * 3, [0.6] * 3, 0.5)
    df = pd.DataFrame(_data_with_correlation(R), columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    groups = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}
    for h2 in (True, False):
        out = htmt(df, groups, htmt2=h2)
        assert out.loc["A", "B"] == pytest.approx(0.5, abs=1e-12)
        assert out.loc["B", "A"] == out.loc["A", "B"] and out.loc["A", "A"] == 1.0


def test_htmt2_is_consistent_for_congeneric_items():
    # With unequal loadings only the geometric-mean HTMT2 recovers φ exactly.
    R = _two_construct_correlation([0.9, 0.6, 0.4], [0.8, 0.5], 0.3)
    df = pd.DataFrame(_data_with_correlation(R), columns=["a1", "a2", "a3", "b1", "b2"])
    groups = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}
    assert htmt(df, groups).loc["A", "B"] == pytest.approx(0.3, abs=1e-12)
    assert abs(htmt(df, groups, htmt2=False).loc["A", "B"] - 0.3) > 1e-3


def test_htmt_absolute_handles_negative_correlations():
    R = _two_construct_correlation([0.8] * 3, [0.6] * 3, -0.5)
    df = pd.DataFrame(_data_with_correlation(R), columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    groups = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}
    assert htmt(df, groups).loc["A", "B"] == pytest.approx(0.5, abs=1e-12)
    assert htmt(df, groups, htmt2=False, absolute=False).loc["A", "B"] == pytest.approx(-0.5, abs=1e-12)
    # htmt2 always uses absolute values (as semTools)
    assert htmt(df, groups, absolute=False).loc["A", "B"] == pytest.approx(0.5, abs=1e-12)


def test_htmt_listwise_and_pairwise(hs):
    holes = hs.copy()
    holes.loc[::7, "x1"] = np.nan
    a = htmt(holes, HS_GROUPS)
    b = htmt(holes.dropna(subset=[c for cs in HS_GROUPS.values() for c in cs]), HS_GROUPS)
    pd.testing.assert_frame_equal(a, b)
    c = htmt(holes, HS_GROUPS, nan_policy="pairwise")
    assert not np.allclose(a.to_numpy(), c.to_numpy())


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #
def test_htmt_errors(hs):
    with pytest.raises(ValueError, match="at least 2 per"):
        htmt(hs, {"A": ["x1"], "B": ["x2", "x3"]})
    with pytest.raises(ValueError, match="at least 2 constructs"):
        htmt(hs, {"A": ["x1", "x2"]})
    with pytest.raises(ValueError, match="listed under both"):
        htmt(hs, {"A": ["x1", "x2"], "B": ["x2", "x3"]})
    with pytest.raises(KeyError, match="q9"):
        htmt(hs, {"A": ["x1", "x2"], "B": ["x3", "q9"]})
    with pytest.raises(TypeError, match="list of column names"):
        htmt(hs, {"A": "x1 x2", "B": ["x3", "x4"]})
    with pytest.raises(TypeError, match="numeric"):
        htmt(hs.assign(x1="a"), {"A": ["x1", "x2"], "B": ["x3", "x4"]})
    with pytest.raises(ValueError, match="zero variance"):
        htmt(hs.assign(x1=1.0), {"A": ["x1", "x2"], "B": ["x3", "x4"]})
    with pytest.raises(ValueError, match="usable row"):
        htmt(hs.head(2), {"A": ["x1", "x2"], "B": ["x3", "x4"]})
    with pytest.raises(ValueError, match="nan_policy"):
        htmt(hs, HS_GROUPS, nan_policy="drop")


def test_result_errors(hs_lavaan, hs):
    with pytest.raises(TypeError, match="SemResult"):
        composite_reliability(hs.head())
    with pytest.raises(ValueError, match="method"):
        average_variance_extracted(hs_lavaan, method="semtools")
    with pytest.raises(ValueError, match="model's factors"):
        validity_table(hs_lavaan, hs, {"visual": ["x1", "x2", "x3"], "verbal": ["x4", "x5", "x6"]})
    with pytest.raises(ValueError, match="min_loading"):
        standardized_loadings(hs_lavaan, min_loading=50)
    one = _cfa_result({"A": {"a1": 0.8, "a2": 0.7, "a3": 0.6}}, np.eye(1), {"a1": 0.36, "a2": 0.51, "a3": 0.64})
    with pytest.raises(ValueError, match="at least 2 factors"):
        fornell_larcker(one)
