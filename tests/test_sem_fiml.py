"""Full-information ML (``missing="ml"``) against lavaan 0.6-14.

References: ``tests/reference/lavaan_fiml.json`` and the data with imposed MAR
missingness in ``tests/reference/data/*_mar.csv``, both written by
``tests/reference/make_references_fiml.R`` (lavaan 0.6.14, ``missing = "ml"``; the
version is also checked below).

Tolerances: every fit measure lavaan reports for the model (chisq, df, pvalue,
baseline.chisq, cfi, tli, rmsea and its CI, srmr, logl, unrestricted.logl, aic,
bic, npar) 1e-4 relative; every est, se, z, CI bound, std.lv and std.all within
1e-4 relative or 1e-4 absolute (lavaan's nlminb stops about 1e-5 from the
optimum; observed: 2e-5 absolute at worst). lavaan's EM for the h1 model stops at
a looser tolerance than hpmob's, which moves SRMR in the 6th digit.

MLR with missing data (robust SEs, Yuan-Bentler scaled chi-square, its scaling
factor, scaled baseline, CFI/TLI/RMSEA): 1e-3 relative (observed: 4e-7 for the
scaling factors, 2e-5 for the SEs).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpmob.sem import fit, fit_multigroup
from hpmob.sem.fiml import Patterns, baseline_minus2_loglik, em_h1, minus2_loglik

REF = Path(__file__).parent / "reference"
JSON = REF / "lavaan_fiml.json"
HS_CSV = REF / "data" / "HolzingerSwineford1939_mar.csv"
PD_CSV = REF / "data" / "PoliticalDemocracy_mar.csv"
FIT_KEYS = [
    "npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
    "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "unrestricted.logl",
    "aic", "bic", "ntotal",
]  # fmt: skip
EST_COLS = ["est", "se", "z", "ci.lower", "ci.upper", "std.lv", "std.all"]
LEVELS = {"hs_configural": (), "hs_metric": ("loadings",), "hs_scalar": ("loadings", "intercepts")}


@pytest.fixture(scope="module")
def ref():
    d = json.loads(JSON.read_text())
    assert d["lavaan_version"] == "0.6.14"
    return d


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(HS_CSV)


@pytest.fixture(scope="module")
def poldem():
    return pd.read_csv(PD_CSV)


def _check_measures(fm: pd.Series, want: dict):
    for k in FIT_KEYS:
        assert fm[k] == pytest.approx(want[k], rel=1e-4, abs=1e-10), k


def _check_estimates(est: pd.DataFrame, rows: list[dict]):
    pe = pd.DataFrame(rows)
    assert len(est) == len(pe)
    for c in ("lhs", "op", "rhs"):
        assert est[c].tolist() == pe[c].tolist()
    if "group" in pe:
        assert est["group"].tolist() == pe["group"].tolist()
    for c in EST_COLS:
        a, b = est[c].to_numpy(float), pe[c].to_numpy(float)
        both = np.isfinite(b)
        assert np.array_equal(np.isfinite(a), both), c
        assert np.all(np.abs(a[both] - b[both]) <= 1e-4 + 1e-4 * np.abs(b[both])), c


def test_data_have_mar_missingness(hs, poldem):
    # the drivers of the missingness are complete; the others are missing in 5-30 % of rows
    assert hs[["x1", "x4", "x7"]].notna().all().all()
    share = hs[["x2", "x3", "x5", "x6", "x8", "x9"]].isna().mean()
    assert share.between(0.05, 0.30).all()
    assert poldem[["x1", "x2", "x3"]].notna().all().all()
    assert hs.dropna().shape[0] < 0.8 * len(hs)


@pytest.mark.parametrize("name,csv,key", [("hs", HS_CSV, "hs_model"), ("poldem", PD_CSV, "pd_model"),
                                          ("poldem_ind", PD_CSV, "pd_model_ind")])  # fmt: skip
def test_single_group(ref, name, csv, key):
    want = ref["fits"][name]
    res = fit(ref[key], pd.read_csv(csv), missing="ml")
    assert want["information"][0] == "observed"  # lavaan's default that the SEs reproduce
    assert res.converged and want["converged"]
    assert res.missing == "ml"
    assert res.n == want["ntotal"]
    assert res.n_patterns == want["npatterns"]
    _check_measures(res.fit_measures, want["fitMeasures"])
    _check_estimates(res.estimates, want["parameterEstimates"])
    assert res.estimates["label"].tolist() == [r.get("label", "") for r in want["parameterEstimates"]]


def test_h1_is_the_em_estimate(ref, hs):
    res = fit(ref["hs_model"], hs, missing="fiml")  # lavaan's alias
    cov = np.array(ref["fits"]["hs"]["h1"]["cov"])
    assert np.allclose(res.sample_cov.to_numpy(), cov, atol=5e-5)
    assert np.allclose(res.sample_mean.to_numpy(), ref["fits"]["hs"]["h1"]["mean"], atol=5e-5)


@pytest.mark.parametrize("name", list(LEVELS))
def test_multigroup(ref, hs, name):
    want = ref["fits"][name]
    res = fit_multigroup(ref["hs_model"], hs, "school", group_equal=LEVELS[name], missing="ml")
    assert res.converged and want["converged"]
    assert res.n == want["ntotal"]
    assert res.n_by_group.tolist() == want["nobs"]  # in lavaan's group order
    assert res.n_patterns.to_dict() == want["npatterns"]
    _check_measures(res.fit_measures, want["fitMeasures"])
    _check_estimates(res.estimates, want["parameterEstimates"])


def test_fiml_equals_listwise_on_complete_data():
    # with no missing value FIML is ML with a saturated mean structure: same chi-square and estimates
    hs = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    m = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    a = fit(m, hs, missing="ml")
    b = fit(m, hs, meanstructure=True)
    assert a.n_patterns == 1 and a.n == b.n
    for k in ("chisq", "df", "cfi", "rmsea", "srmr", "logl", "unrestricted.logl"):
        assert a.fit_measures[k] == pytest.approx(b.fit_measures[k], rel=1e-7), k
    assert np.allclose(a.estimates["est"], b.estimates["est"], atol=1e-6)


def test_loglik_matches_closed_form_per_row():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 4)) @ np.array([[1, 0.5, 0, 0], [0, 1, 0.3, 0], [0, 0, 1, 0.2], [0, 0, 0, 1.0]])
    X[rng.random(X.shape) < 0.2] = np.nan
    pt = Patterns(X)
    sigma = np.cov(np.nan_to_num(X), rowvar=False) + np.eye(4)
    mu = np.full(4, 0.1)
    from scipy import stats

    direct = 0.0
    for row in pt.X:
        o = np.isfinite(row)
        direct += stats.multivariate_normal(mu[o], sigma[np.ix_(o, o)]).logpdf(row[o])
    m2, Q, r = minus2_loglik(sigma, mu, pt, gradient=True)
    assert m2 == pytest.approx(-2 * direct, rel=1e-12)
    # analytic derivatives against central differences
    h = 1e-6
    E = np.zeros((4, 4))
    E[1, 2] = E[2, 1] = 1.0
    num = (minus2_loglik(sigma + h * E, mu, pt) - minus2_loglik(sigma - h * E, mu, pt)) / (2 * h)
    assert num == pytest.approx(np.sum(Q * E), rel=1e-6)
    e = np.zeros(4)
    e[3] = 1.0
    num = (minus2_loglik(sigma, mu + h * e, pt) - minus2_loglik(sigma, mu - h * e, pt)) / (2 * h)
    assert num == pytest.approx(-2 * r[3], rel=1e-6)
    # EM reaches a stationary point of the saturated likelihood
    mu1, s1, m2_1, _, ok = em_h1(pt)
    _, Q1, r1 = minus2_loglik(s1, mu1, pt, gradient=True)
    assert ok and np.max(np.abs(Q1)) < 1e-6 and np.max(np.abs(r1)) < 1e-6
    assert baseline_minus2_loglik(pt) > m2_1


def test_errors(hs, ref):
    with pytest.raises(ValueError, match="missing='pairwise'"):
        fit(ref["hs_model"], hs, missing="pairwise")
    bad = hs.copy()
    bad.loc[bad.index[1:], "x2"] = np.nan
    with pytest.raises(ValueError, match="fewer than two observed values"):
        fit(ref["hs_model"], bad, missing="ml")
    empty = hs.copy()
    empty.loc[0, [f"x{i}" for i in range(1, 10)]] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        res = fit(ref["hs_model"], empty, missing="ml")
    assert res.n == len(hs) - 1
    with pytest.raises(NotImplementedError, match="Modification indices"):
        from hpmob.sem import modification_indices

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            modification_indices(fit(ref["hs_model"], hs, missing="ml"))


ROBUST_KEYS = [
    "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
    "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "scaling.factor.h1", "scaling.factor.h0",
    "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
]  # fmt: skip


@pytest.mark.parametrize("name", ["hs_mlr", "hs_scalar_mlr"])
def test_mlr_with_missing(ref, hs, name):
    """Robust statistics 1e-3 relative (observed: 4e-7 for the scaling factor, 4e-6 for SEs)."""
    want = ref["fits"][name]
    if name == "hs_mlr":
        res = fit(ref["hs_model"], hs, missing="ml", estimator="MLR")
    else:
        res = fit(ref["hs_model"], hs, group="school", group_equal=("loadings", "intercepts"), missing="ml",
                  estimator="MLR")  # fmt: skip
    assert res.estimator == "MLR" and res.converged
    _check_measures(res.fit_measures, want["fitMeasures"])  # the unscaled test is ML's
    for k in ROBUST_KEYS:
        assert res.fit_measures[k] == pytest.approx(want["fitMeasures"][k], rel=1e-3), k
    pe = pd.DataFrame(want["parameterEstimates"])
    a, b = res.estimates["se"].to_numpy(), pe["se"].to_numpy()
    assert np.all(np.abs(a - b) <= 1e-3 * np.abs(b) + 1e-6)


def test_mlr_multigroup_on_complete_rows_is_listwise_mlr(ref):
    """Data without a missing cell take the listwise path, and give lavaan's listwise MLR.

    The complete HolzingerSwineford1939 by school, not the complete rows of the MAR copy:
    those leave 44 Grant-White rows with a Heywood case on which neither hpmob nor lavaan
    0.6-14 converges, and a test must not judge a failed fit."""
    mlr = json.loads((REF / "lavaan_mlr_invariance.json").read_text())
    complete = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or Heywood warning
        res = fit(mlr["model"], complete, group=mlr["group"], estimator="MLR")
    assert res.estimator == "MLR" and res.missing == "listwise" and res.n == mlr["complete"]["n"] == len(complete)
    want = mlr["complete"]["fit_measures"]["configural"]
    for key in ("chisq", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled"):
        assert res.fit_measures[key] == pytest.approx(want[key], rel=1e-4), key


def test_bootstrap_fiml_replicates_are_fiml_fits(ref, poldem):
    """Each replicate is the FIML fit of its resample (that fit is checked against lavaan above)."""
    from hpmob.sem.indirect import bootstrap

    model = ref["pd_model_ind"]
    boot = bootstrap(model, poldem, n_boot=6, seed=11, n_jobs=1, missing="ml")
    assert boot.attrs["n_ok"] == 6 and boot.attrs["n_failed"] == 0
    full = fit(model, poldem, missing="ml")
    assert list(boot.columns) == list(full.vcov.index) + ["ind", "total"]
    children = np.random.SeedSequence(11).spawn(6)
    for r in (0, 5):
        # the resample of replicate r, drawn as bootstrap() documents
        idx = np.random.default_rng(children[r]).integers(0, full.n, size=full.n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cold = fit(model, poldem.iloc[idx].reset_index(drop=True), missing="ml")
        est = cold.estimates
        want = est.loc[est["se"] > 0, "est"].to_numpy()  # free rows in order, then the := rows
        assert np.allclose(boot.iloc[r].to_numpy(), want, atol=2e-5)
    # two workers give the same table
    pd.testing.assert_frame_equal(boot, bootstrap(model, poldem, n_boot=6, seed=11, n_jobs=2, missing="ml"))


def test_invariance_with_fiml(ref, hs):
    from hpmob.sem import invariance

    tab = invariance(ref["hs_model"], hs, "school", steps=("configural", "metric", "scalar"), missing="ml")
    assert tab["converged"].all()
    for _, row in tab.iterrows():
        want = ref["fits"][f"hs_{row['model']}"]["fitMeasures"]
        for k in ("chisq", "df", "cfi", "rmsea", "srmr"):
            assert row[k] == pytest.approx(want[k], rel=1e-4), (row["model"], k)
    lrt = tab.loc[1, "delta_chisq"]
    assert lrt == pytest.approx(
        ref["fits"]["hs_metric"]["fitMeasures"]["chisq"] - ref["fits"]["hs_configural"]["fitMeasures"]["chisq"], rel=1e-4
    )


def test_indirect_effects_of_a_fiml_fit(ref, poldem):
    """indirect_effects() of a FIML fit: delta = the := rows (checked against lavaan above), the
    bootstrap = bootstrap(missing="ml")'s replicates, BCa by Efron's formula from a jackknife of
    cold FIML fits written out here; Monte Carlo's SD near the delta SE."""
    from scipy import stats

    from hpmob.sem.indirect import _norm_inter, bootstrap, indirect_effects

    model = ref["pd_model_ind"]
    full = fit(model, poldem, missing="ml")
    tab = indirect_effects(full, poldem, methods=("delta", "montecarlo", "bootstrap"), n_boot=200, seed=3, n_jobs=1)
    est = full.estimates.set_index("lhs")
    z = stats.norm.ppf(0.975)
    delta = tab[tab["method"] == "delta"].set_index("effect")
    for name in ("ind", "total"):
        assert delta.loc[name, "se"] == est.loc[name, "se"]
        assert delta.loc[name, "ci.lower"] == pytest.approx(est.loc[name, "est"] - z * est.loc[name, "se"], rel=1e-12)
    mc = tab[tab["method"] == "montecarlo"].set_index("effect")
    assert mc.loc["ind", "se"] == pytest.approx(delta.loc["ind", "se"], rel=0.05)
    boot = bootstrap(model, poldem, n_boot=200, seed=3, n_jobs=1, missing="ml")
    t = boot["ind"].to_numpy()
    t = t[np.isfinite(t)]
    theta_i = []
    X = poldem[poldem[[c for c in poldem.columns]].notna().any(axis=1)].reset_index(drop=True)
    assert len(X) == full.n
    for i in range(len(X)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theta_i.append(fit(model, X.drop(index=i), missing="ml").estimates.set_index("lhs").loc["ind", "est"])
    theta_i = np.array(theta_i)
    L = (len(X) - 1) * (theta_i.mean() - theta_i)
    L = L - L.mean()
    a = np.sum(L**3) / (6 * np.sum(L**2) ** 1.5)
    t0 = est.loc["ind", "est"]
    z0 = stats.norm.ppf(np.mean(t < t0))
    zalpha = stats.norm.ppf([0.025, 0.975])
    want = _norm_inter(t, stats.norm.cdf(z0 + (z0 + zalpha) / (1 - a * (z0 + zalpha))))
    bca = tab[(tab["effect"] == "ind") & (tab["method"] == "bootstrap_bca")].iloc[0]
    assert [bca["ci.lower"], bca["ci.upper"]] == pytest.approx(list(want), rel=1e-5)
    assert tab.attrs["acceleration"]["ind"] == pytest.approx(a, rel=1e-4, abs=1e-7)
