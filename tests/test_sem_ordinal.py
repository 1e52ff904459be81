"""Ordinal items: bivariate normal CDF, polychorics, NACOV and WLSMV fits against lavaan.

References: ``tests/reference/make_references_ordinal.R`` (HolzingerSwineford1939 cut into
3 to 5 ordered categories, lavaan 0.6-14 ``sem(..., ordered = ..., estimator = "WLSMV")``)
and the WLSMV block of ``tests/reference/hpmob_cfa.json`` (the study's 31 items).
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hpmob.sem import fit
from hpmob.sem.ordinal import fit_dwls_cfa, fit_wlsmv, scaled_shifted
from hpmob.sem.polychoric import bivariate_normal_cdf, ordinal_stats, polychoric

ITEMS = [f"x{i}" for i in range(1, 10)]
# acceptance tolerances (issue 16)
EST_TOL, SE_TOL, FIT_TOL = 1e-4, 1e-3, 1e-3


@pytest.fixture(scope="module")
def hs_ord(root):
    return pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939_ordinal.csv")


@pytest.fixture(scope="module")
def refs(root):
    return json.loads((root / "tests" / "reference" / "lavaan_hs_ordinal.json").read_text())


@pytest.mark.parametrize("rho", [-0.97, -0.8, -0.3, 0.2, 0.6, 0.9, 0.95, 0.99])
def test_bivariate_normal_cdf_matches_scipy(rho):
    # independent reference: Phi2(h, k) = integral_{-inf}^{h} phi(x) Phi((k - rho x) / sqrt(1 - rho^2)) dx
    h = np.array([-2.0, -0.5, 0.0, 0.7, 1.9, 0.3])
    k = np.array([0.4, -1.2, 0.0, 2.2, -0.3, 0.3])
    s = np.sqrt(1 - rho**2)
    expected = np.array([
        integrate.quad(lambda x, b=b: stats.norm.pdf(x) * stats.norm.cdf((b - rho * x) / s), -np.inf, a,
                       epsabs=1e-14, epsrel=1e-13)[0]
        for a, b in zip(h, k)])
    assert np.abs(bivariate_normal_cdf(h, k, rho) - expected).max() < 1e-9


def test_bivariate_normal_cdf_infinite_limits():
    assert bivariate_normal_cdf(np.inf, 0.3, 0.5) == pytest.approx(stats.norm.cdf(0.3))
    assert bivariate_normal_cdf(-np.inf, 0.3, 0.5) == 0
    # closed form at the origin: 1/4 + asin(rho) / (2 pi)
    assert bivariate_normal_cdf(0.0, 0.0, 0.96) == pytest.approx(0.25 + np.arcsin(0.96) / (2 * np.pi), abs=1e-14)


def test_polychoric_recovers_the_latent_correlation():
    # categorizing a bivariate normal keeps its correlation: a large sample recovers it
    rng = np.random.default_rng(42)
    z = rng.multivariate_normal([0, 0], [[1, 0.55], [0.55, 1]], 40_000)
    x = np.digitize(z[:, 0], [-1.5, -0.5, 0.3, 1.0]) + 1
    y = np.digitize(z[:, 1], [-1.0, 0.0, 0.8]) + 1
    rho, se = polychoric(x, y)
    assert rho == pytest.approx(0.55, abs=3 * se)
    assert 0.002 < se < 0.01  # about (1 - rho^2) / sqrt(n), inflated by categorization


def test_polychoric_needs_variation():
    with pytest.raises(ValueError, match="two observed categories"):
        polychoric([3, 3, 3, 3], [1, 2, 3, 4])


def test_thresholds_polychorics_and_nacov_match_lavaan(hs_ord, refs):
    ref = refs["cfa"]
    st = ordinal_stats(hs_ord, ITEMS)
    assert st.threshold_names + [f"x{j + 1}~~x{i + 1}" for i, j in st.pairs] == list(ref["wls_obs"])
    assert np.abs(st.wls_obs - np.array(list(ref["wls_obs"].values()))).max() < 1e-6
    gamma = np.array(ref["nacov"]["values"])
    assert np.abs(st.nacov - gamma).max() < 1e-6  # entries up to 3.6
    # the categories with 3, 4 and 5 levels are all there
    assert sorted({len(lv) for lv in st.levels}) == [3, 4, 5]


@pytest.mark.parametrize("which", ["cfa", "sem"])
def test_wlsmv_matches_lavaan(hs_ord, refs, which):
    ref = refs[which]
    res = fit(ref["model"], hs_ord, ordered=ITEMS, estimator="WLSMV")
    assert res.converged and res.estimator == "WLSMV" and res.n == ref["nobs"]
    lav = pd.DataFrame(ref["estimates"])
    ours = res.estimates
    # same rows in the same order: =~, (~, user ~~), |, ~~, ~*~, ~1
    assert list(zip(ours.lhs, ours.op, ours.rhs)) == list(zip(lav.lhs, lav.op, lav.rhs))
    assert (ours["rhs"][ours["op"] == "|"].str.match(r"^t\d+$")).all()
    for col, tol in [("est", EST_TOL), ("std.lv", EST_TOL), ("std.all", EST_TOL), ("se", SE_TOL)]:
        assert np.abs(ours[col].to_numpy() - lav[col].to_numpy()).max() < tol, col
    fm, lfm = res.fit_measures, ref["fit_measures"]
    for key in ["chisq.scaled", "df", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
                "chisq", "chisq.scaling.factor", "baseline.chisq.scaled", "cfi", "tli", "rmsea",
                "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "pvalue.scaled", "npar"]:
        assert fm[key] == pytest.approx(lfm[key], abs=FIT_TOL), key
    # the covariance of the estimates, thresholds included
    V = pd.DataFrame(ref["vcov"]["values"], index=ref["vcov"]["rownames"], columns=ref["vcov"]["colnames"])
    mine = res.vcov.loc[V.index, V.columns].to_numpy()
    assert np.abs(mine - V.to_numpy()).max() < 1e-6


def test_study_items_match_lavaan_wlsmv(root):
    # 31 items, 7 factors; some items have empty categories (fewer thresholds)
    ref = json.loads((root / "tests" / "reference" / "hpmob_cfa.json").read_text())["WLSMV"]
    data = pd.read_csv(root / "tests" / "reference" / "data" / "hpmob_analysed.csv")
    constructs = {c: [i for i in data.columns if i.startswith(c) and i[len(c):].isdigit()]
                  for c in ["AW", "RT", "PM", "IM", "DT", "SE", "CO"]}
    with pytest.warns(UserWarning, match="listwise"):
        summary = fit_dwls_cfa(data, constructs)
    res = summary.result
    nobs = ref["nobs"]
    assert res.n == (nobs[0] if isinstance(nobs, list) else nobs)
    lav = pd.DataFrame(ref["parameterEstimates"])
    ours = res.estimates
    assert list(zip(ours.lhs, ours.op, ours.rhs)) == list(zip(lav.lhs, lav.op, lav.rhs))
    assert np.abs(ours["est"].to_numpy() - lav["est"].to_numpy()).max() < EST_TOL
    assert np.abs(ours["se"].to_numpy() - lav["se"].to_numpy()).max() < SE_TOL
    assert np.abs(ours["std.all"].to_numpy() - lav["std.all"].to_numpy()).max() < EST_TOL
    for key, value in ref["key_fitMeasures"].items():
        assert res.fit_measures[key] == pytest.approx(value, abs=FIT_TOL), key
    # the notebook's summary is read from the same fit
    lav_load = {r["rhs"]: r["std.all"] for r in ref["standardized_loadings"]}
    assert max(abs(summary.loadings.set_index("item")["std_all"][i] - v) for i, v in lav_load.items()) < EST_TOL
    assert summary.srmr == pytest.approx(ref["key_fitMeasures"]["srmr"], abs=FIT_TOL)


def test_scaled_shifted_closed_form():
    # UΓ = diag(2, ..., 2) (df of them): a = 1/2, shift = df - df = 0, so T/2 (Satorra-Bentler)
    T, c, shift = scaled_shifted(30.0, 5, 2 * np.eye(5))
    assert (T, c, shift) == pytest.approx((15.0, 2.0, 0.0))


def test_constant_item_is_named(hs_ord):
    d = hs_ord.copy()
    d["x2"] = 1
    with pytest.raises(ValueError, match="'x2'.*constant"):
        fit_wlsmv("f =~ x1 + x2 + x3", d, ordered=["x1", "x2", "x3"])


def test_degenerate_pair_is_named():
    # two binary items that always agree: the 2 x 2 table has two empty cells, rho -> 1
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2, 200)
    d = pd.DataFrame({"a": a, "b": a, "c": rng.integers(0, 3, 200), "e": rng.integers(0, 3, 200)})
    with pytest.raises(ValueError, match="'a' and 'b'.*Merge sparse"):
        ordinal_stats(d, ["a", "b", "c", "e"])


def test_continuous_variable_needs_ordered(hs_ord):
    with pytest.raises(NotImplementedError, match="'x3' is not in `ordered`"):
        fit("f =~ x1 + x2 + x3", hs_ord, ordered=["x1", "x2"], estimator="WLSMV")
    with pytest.raises(ValueError, match="need estimator=.WLSMV."):
        fit("f =~ x1 + x2 + x3", hs_ord, ordered=ITEMS)


def test_heywood_case_travels_with_the_result(hs_ord):
    # with x7 ~~ x8 free, lavaan estimates x9's residual variance at -0.125
    model = ("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
             "speed ~ visual + textual\nx7 ~~ x8")
    with pytest.warns(UserWarning, match="x9.*Heywood"):
        res = fit_wlsmv(model, hs_ord, ordered=ITEMS)
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    assert e.loc[("x9", "~~", "x9"), "est"] == pytest.approx(-0.1251, abs=1e-4)
