"""hpmob.sem.indirect against lavaan 0.6-14 on PoliticalDemocracy.

References: ``tests/reference/lavaan_poldem.json`` (delta method) and
``tests/reference/hpmob_sem.json`` -> ``poldem_bootstrap`` (lavaan
``se = "bootstrap"``, R = 2000, ``set.seed(20250902)``, perc and bca.simple CIs).

Tolerances and why:

* delta method: 1e-4 absolute, as for every lavaan comparison in test_sem_fit.py.
* Monte Carlo: two checks. (1) The endpoints from 20,000 draws lie within 0.05 of
  those from 1,000,000 draws. The Monte Carlo SE of a 2.5 % quantile from 20,000
  draws is about 0.007 here, so 0.05 is about 7 SE. (2) The 1,000,000-draw interval
  differs from the delta interval by what the distribution of a product of
  two correlated normal variables predicts. That is the mean shift cov(a, b),
  the width change z * (sd - se_delta), and the Cornish-Fisher skewness term
  (z^2 - 1) * skew * sd / 6, which together are about +0.03 at both ends. The
  check allows 0.01 for the omitted higher-order terms and the remaining
  Monte Carlo error (about 0.001).
* bootstrap SE of ind: within 20 % of the delta SE, as the brief asks. With
  R = 500, the SD of a bootstrap SD is about 3 %.
* Percentile CIs against lavaan (different random draws): the difference of two
  quantile estimates has Monte Carlo SE sqrt(se_q(500)^2 + se_q(2000)^2). Here
  se_q(R) is the binomial SE of a quantile: the spread of the quantile function
  over p +/- sqrt(p (1 - p) / R), halved, estimated from our draws. The
  tolerance is 4 times that (two-sided P about 6e-5 per endpoint).
* Exact reproduction: lavaan 0.6-14 draws its resamples with R's Mersenne
  Twister (``iseed <- runif(1, 0, 999999999); set.seed(iseed)``, then
  ``sample.int(N, replace = TRUE)`` per replicate). Replayed here, the same 2000
  resamples give lavaan's perc and bca.simple CIs and bootstrap SEs to 1e-4,
  the tolerance used for every lavaan comparison. The observed agreement is
  1e-5, limited by lavaan's convergence tolerance in each refit. The same
  replay gives lavaan's count of nonadmissible replicates exactly.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpmob.sem import fit
from hpmob.sem.indirect import _norm_inter, _Plan, bootstrap, indirect_effects

REF = Path(__file__).parent / "reference"
SEED = 20250902
ALPHA = (1 + np.array([-0.95, 0.95])) / 2  # as lavaan writes it


@pytest.fixture(scope="module")
def poldem():
    ref = json.loads((REF / "lavaan_poldem.json").read_text())
    data = pd.read_csv(REF / "data" / "PoliticalDemocracy.csv")
    return ref, data, fit(ref["model"], data)


@pytest.fixture(scope="module")
def boot500(poldem):
    ref, data, _ = poldem
    return bootstrap(ref["model"], data, n_boot=500, seed=SEED, n_jobs=2)


@pytest.fixture(scope="module")
def effects(poldem, boot500):
    _, data, res = poldem
    return indirect_effects(res, data, seed=SEED, replicates=boot500, n_mc=20000, n_jobs=2)


def _lavaan_boot_ref():
    path = REF / "hpmob_sem.json"
    if not path.exists():
        pytest.skip("tests/reference/hpmob_sem.json not generated yet (make_references_hpmob.R)")
    return json.loads(path.read_text())["poldem_bootstrap"]


# ------------------------------------------------------------------ delta


def test_delta_matches_lavaan(poldem, effects):
    ref = {r["lhs"]: r for r in poldem[0]["parameterEstimates"] if r["op"] == ":="}
    delta = effects[effects.method == "delta"].set_index("effect")
    for name in ("ind", "total"):
        for col in ("est", "se", "ci.lower", "ci.upper"):
            assert delta.loc[name, col] == pytest.approx(ref[name][col], abs=1e-4), (name, col)
    assert delta.loc["ind", "est"] == pytest.approx(1.2418, abs=1e-4)
    assert delta.loc["ind", "se"] == pytest.approx(0.3554, abs=1e-4)


def test_output_layout(effects):
    assert list(effects.columns) == ["effect", "method", "est", "se", "ci.lower", "ci.upper", "n_draws"]
    methods = ["delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca"]
    assert effects.effect.tolist() == ["ind"] * 5 + ["total"] * 5
    assert effects.method.tolist() == methods * 2
    # est is always the full-sample estimate
    assert effects.groupby("effect").est.nunique().eq(1).all()
    assert effects.n_draws.isna().tolist() == [True, False, False, False, False] * 2
    assert (effects["ci.lower"] < effects.est).all() and (effects.est < effects["ci.upper"]).all()


# ------------------------------------------------------------ Monte Carlo


def _mc(res, data, seed, n_mc):
    out = indirect_effects(res, data, defined="ind", methods=["montecarlo"], n_mc=n_mc, seed=seed)
    return out.iloc[0]


def test_montecarlo_is_seeded(poldem):
    _, data, res = poldem
    a, b, c = (_mc(res, data, s, 5000) for s in (1, 1, 2))
    pd.testing.assert_series_equal(a, b)
    assert a["ci.lower"] != c["ci.lower"]


def test_montecarlo_close_to_large_run_and_to_delta(poldem, effects):
    _, data, res = poldem
    mc = effects[(effects.effect == "ind") & (effects.method == "montecarlo")].iloc[0]
    big = _mc(res, data, 7, 1_000_000)
    assert mc["ci.lower"] == pytest.approx(big["ci.lower"], abs=0.05)
    assert mc["ci.upper"] == pytest.approx(big["ci.upper"], abs=0.05)

    # the product a*b of (a, b) ~ N(mu, V): mean, variance and third cumulant
    est = res.estimates.set_index("label")["est"]
    ma, mb = est["a"], est["b"]
    va, vb, cab = res.vcov.loc["a", "a"], res.vcov.loc["b", "b"], res.vcov.loc["a", "b"]
    var = ma**2 * vb + mb**2 * va + 2 * ma * mb * cab + va * vb + cab**2
    k3 = 6 * (ma**2 * vb * cab + mb**2 * va * cab + ma * mb * va * vb + ma * mb * cab**2 + va * vb * cab) + 2 * cab**3
    sd, skew = np.sqrt(var), k3 / var**1.5
    z = stats.norm.ppf(0.975)
    se = res.estimates.set_index("label").loc["ind", "se"]
    cf = (z**2 - 1) / 6 * skew * sd  # Cornish-Fisher: both quantiles move toward the long tail
    expected_lower = ma * mb + cab - z * sd + cf
    expected_upper = ma * mb + cab + z * sd + cf
    assert big["ci.lower"] == pytest.approx(expected_lower, abs=0.01)
    assert big["ci.upper"] == pytest.approx(expected_upper, abs=0.01)
    # so the Monte Carlo interval is the delta interval moved right by about a tenth of an SE
    shift = np.array([big["ci.lower"] - (ma * mb - z * se), big["ci.upper"] - (ma * mb + z * se)])
    assert np.all((shift > 0) & (shift < 0.15 * se))


# -------------------------------------------------------------- bootstrap


def test_bootstrap_same_for_any_n_jobs_and_batching(poldem, boot500):
    ref, data, _ = poldem
    serial = bootstrap(ref["model"], data, n_boot=200, seed=SEED, n_jobs=1)
    parallel = bootstrap(ref["model"], data, n_boot=200, seed=SEED, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
    # replicate r depends only on (seed, r): the first 200 of 500 are the same draws
    pd.testing.assert_frame_equal(serial, boot500.iloc[:200], check_exact=True)
    assert serial.attrs["n_failed"] == 0


def test_bootstrap_table(poldem, boot500):
    _, _, res = poldem
    assert boot500.shape == (500, len(res.vcov) + 2)
    assert list(boot500.columns) == list(res.vcov.index) + ["ind", "total"]
    np.testing.assert_allclose(boot500["ind"], boot500["a"] * boot500["b"], rtol=1e-12)
    assert boot500.attrs["n_ok"] == 500
    # PoliticalDemocracy's dem65 residual variance is near zero: many replicates are
    # nonadmissible (lavaan: 700 of 2000), and they are kept
    assert 0.2 < boot500.attrs["n_nonadmissible"] / 500 < 0.5


def test_bootstrap_se_close_to_delta(effects):
    ind = effects[effects.effect == "ind"].set_index("method")
    assert ind.loc["bootstrap_percentile", "se"] == pytest.approx(ind.loc["delta", "se"], rel=0.20)


def test_warm_start_matches_cold_refits(poldem):
    ref, data, _ = poldem
    warm = bootstrap(ref["model"], data, n_boot=3, seed=11, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cold = bootstrap(ref["model"], data, n_boot=3, seed=11, n_jobs=1, warm_start=False)
    np.testing.assert_allclose(warm.to_numpy(), cold.to_numpy(), atol=1e-6)


def test_failed_replicates_are_counted_not_dropped():
    # a binary indicator that is 1 in only two of 15 rows: about (13/15)^15 = 12 % of
    # resamples contain no 1, so its variance is zero and the refit must fail
    rng = np.random.default_rng(3)
    f = rng.normal(size=15)
    df = pd.DataFrame({"x1": f + rng.normal(size=15), "x2": f + rng.normal(size=15)})
    df["x3"] = 0.0
    df.loc[[2, 9], "x3"] = 1.0
    with pytest.warns(RuntimeWarning, match="bootstrap replicates failed"):
        boot = bootstrap("f =~ x1 + a*x2 + b*x3\nab := a*b", df, n_boot=100, seed=5, n_jobs=1)
    n_failed = boot.attrs["n_failed"]
    assert 3 <= n_failed <= 30
    assert len(boot) == 100
    assert boot.isna().all(axis=1).sum() == n_failed
    assert boot.index[boot.isna().all(axis=1)].tolist() == boot.attrs["failed_replicates"]


def test_percentile_ci_agrees_with_lavaan_within_monte_carlo_error(poldem, boot500):
    ref = _lavaan_boot_ref()
    lav = {r["label"]: r for r in ref["parameterEstimates_perc"] if r["label"]}

    def quantile_se(t, p, R):
        s = np.sqrt(p * (1 - p) / R)
        lo, hi = np.quantile(t, [max(p - s, 0), min(p + s, 1)])
        return (hi - lo) / 2

    for name in ("a", "b", "c", "ind", "total"):
        t = boot500[name].to_numpy()
        ours = _norm_inter(t, ALPHA)
        for end, p, key in ((0, ALPHA[0], "ci.lower"), (1, ALPHA[1], "ci.upper")):
            tol = 4 * np.hypot(quantile_se(t, p, len(t)), quantile_se(t, p, ref["n_boot_ok"]))
            assert ours[end] == pytest.approx(lav[name][key], abs=tol), (name, key, tol)


def _r_mersenne_twister(seed: int) -> np.random.MT19937:
    """R's set.seed(seed) for the default Mersenne-Twister (RNG.c: Randomize + FixupSeeds)."""
    s = seed & 0xFFFFFFFF
    for _ in range(50):  # initial scrambling
        s = (69069 * s + 1) & 0xFFFFFFFF
    key = []
    for _ in range(625):  # dummy[0] (mti) + 624 words
        s = (69069 * s + 1) & 0xFFFFFFFF
        key.append(s)
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937", "state": {"key": np.array(key[1:], dtype=np.uint32), "pos": 624}}
    return bg


def _r_unif(bg, n):
    # MT_genrand: tempered 32-bit word * 2^-32 (fixup() only matters for exact 0 or 1)
    return bg.random_raw(n).astype(float) * 2.3283064365386963e-10


def _lavaan_resamples(seed: int, R: int, n: int) -> np.ndarray:
    """The 0-based row indices lavaan 0.6-14 resamples after set.seed(seed) (se = "bootstrap")."""
    bg = _r_mersenne_twister(seed)
    iseed = int(_r_unif(bg, 1)[0] * 999999999)  # lav_bootstrap_internal: iseed, set.seed(iseed)
    bg = _r_mersenne_twister(iseed)
    # sample.int(n, replace = TRUE), R >= 3.6 "Rejection": floor(u * 65536) masked to
    # ceil(log2 n) bits, redrawn while >= n; one uniform per attempt for n < 2^15
    bits = int(np.ceil(np.log2(n)))
    draws = np.empty(0, dtype=np.int64)
    while draws.size < R * n:
        v = np.floor(_r_unif(bg, 2 * R * n) * 65536).astype(np.int64) & ((1 << bits) - 1)
        draws = np.concatenate([draws, v[v < n]])
    return draws[: R * n].reshape(R, n)


def test_lavaan_resamples_reproduce_lavaan_exactly(poldem):
    ref = _lavaan_boot_ref()
    _, data, res = poldem
    f = res._state
    X = data[f.pm.ov].to_numpy(float)
    plan = _Plan.build(f.pm, f, X)
    idx = _lavaan_resamples(int(ref["seed"]), int(ref["R"]), len(X))
    E = np.array([plan.refit(X[i])[0] for i in idx])
    boot = plan.table(E)
    est = res.estimates.set_index("label")["est"]
    perc = {r["label"]: r for r in ref["parameterEstimates_perc"] if r["label"]}
    bc = {r["label"]: r for r in ref["parameterEstimates_bca.simple"] if r["label"]}
    out = indirect_effects(res, data, seed=0, methods=["bootstrap"], replicates=boot, n_jobs=1)
    out = out.set_index(["effect", "method"])
    for name in ("a", "b", "c", "ind", "total"):
        t = boot[name].to_numpy()
        # lavaan: SD with divisor R for free parameters (vcov rescaled), R - 1 for := ones
        sd = t.std(ddof=1 if name in ("ind", "total") else 0)
        assert sd == pytest.approx(perc[name]["se"], abs=1e-4)
        np.testing.assert_allclose(_norm_inter(t, ALPHA), [perc[name]["ci.lower"], perc[name]["ci.upper"]], atol=1e-4)
        if name in ("ind", "total"):
            for method, lav in (("bootstrap_percentile", perc), ("bootstrap_bc", bc)):
                row = out.loc[(name, method)]
                assert row["ci.lower"] == pytest.approx(lav[name]["ci.lower"], abs=1e-4), (name, method)
                assert row["ci.upper"] == pytest.approx(lav[name]["ci.upper"], abs=1e-4), (name, method)
                assert row["se"] == pytest.approx(lav[name]["se"], abs=1e-4)
        else:
            z0 = stats.norm.ppf(np.mean(t < est[name]))
            adj = stats.norm.cdf(2 * z0 + stats.norm.ppf(ALPHA))
            np.testing.assert_allclose(_norm_inter(t, adj), [bc[name]["ci.lower"], bc[name]["ci.upper"]], atol=1e-4)
    found = re.search(r"(\d+) bootstrap runs resulted in nonadmissible", " ".join(ref["warnings"]))
    n_nonadm = int(found.group(1)) if found else 0
    assert sum(not plan.admissible(e) for e in E) == n_nonadm


# ------------------------------------------------------------ BCa / helpers


def test_bca_acceleration_jackknife_vs_influence(poldem, boot500, effects):
    _, data, res = poldem
    infl = indirect_effects(res, data, seed=SEED, methods=["bootstrap"], replicates=boot500, acceleration="influence")
    for name in ("ind", "total"):
        a_jack, a_infl = effects.attrs["acceleration"][name], infl.attrs["acceleration"][name]
        assert abs(a_jack) < 0.1
        assert a_infl == pytest.approx(a_jack, rel=0.15, abs=0.002)
    assert effects.attrs["acceleration_method"] == "jackknife"


def test_norm_inter_is_boots_rule():
    t = np.arange(1.0, 100.0)  # R = 99
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(t)
    # rank (R + 1) * 0.025 = 2.5: between the 2nd and 3rd order statistics, on the normal scale
    z = stats.norm.ppf([0.025, 2 / 100, 3 / 100])
    assert _norm_inter(shuffled, np.array([0.025]))[0] == pytest.approx(2 + (z[0] - z[1]) / (z[2] - z[1]))
    # an integer rank returns the order statistic itself
    assert _norm_inter(np.arange(1.0, 200.0), np.array([0.05]))[0] == 10.0


def test_input_validation(poldem):
    ref, data, res = poldem
    with pytest.raises(TypeError, match="seed"):
        indirect_effects(res, data, seed=None)
    with pytest.raises(ValueError, match="Did you mean 'ind'"):
        indirect_effects(res, data, defined="idn", seed=1)
    with pytest.raises(ValueError, match="methods"):
        indirect_effects(res, data, methods=["sobel"], seed=1)
    other = data.copy()
    other.loc[0, "y1"] += 1
    with pytest.raises(ValueError, match="not the data"):
        indirect_effects(res, other, methods=["delta"], seed=1)
    no_def = fit("ind60 =~ x1 + x2 + x3", data)
    with pytest.raises(ValueError, match="no defined parameters"):
        indirect_effects(no_def, data, seed=1)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(ref["model"], data, n_boot=1, seed=1)
