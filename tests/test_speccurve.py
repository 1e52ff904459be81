"""Specification-curve inference (hpmob.speccurve): the curve, its summaries, and the joint
test's size and power on simulated regressions (Simonsohn, Simmons & Nelson 2020)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpmob.speccurve import curve_statistics, joint_test, specification_curve

# The grid of the simulated studies: 4 covariate sets x 2 outlier rules = 8 specifications.
SPECS = [(cov, trim) for cov in ((), (2,), (3,), (2, 3)) for trim in (False, True)]


def ols_slope(spec, d):
    """Slope of x (column 1) on y (column 0) with the spec's covariates; two-sided p.

    The p-value uses the normal approximation to t (n = 150: the two differ by < .002),
    through math.erfc, because scipy's t.sf costs more than the fit itself here."""
    cov, trim = spec
    if trim:  # drop |z(y)| > 2.5, a common outlier rule
        z = (d[:, 0] - d[:, 0].mean()) / d[:, 0].std()
        d = d[np.abs(z) <= 2.5]
    X = np.column_stack([np.ones(len(d)), d[:, [1, *cov]]])
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ (X.T @ d[:, 0])
    resid = d[:, 0] - X @ beta
    se = math.sqrt(resid @ resid / (len(d) - X.shape[1]) * XtX_inv[1, 1])
    return float(beta[1]), math.erfc(abs(beta[1] / se) / math.sqrt(2))


def remove_slope(spec, d, b):
    """The paper's null: y* = y - b x with this specification's own estimate b."""
    d = d.copy()
    d[:, 0] -= b * d[:, 1]
    return d


def simulate_study(rng, n, effect):
    # c1 is correlated with x but not with y, c2 predicts y but not x: every specification
    # estimates the same slope, so "effect = 0" is a true null for the whole grid (a
    # confounder would make the specifications without it estimate a real, other effect)
    x = rng.normal(size=n)
    c1 = 0.5 * x + rng.normal(size=n)
    c2 = rng.normal(size=n)
    y = effect * x + 0.4 * c2 + rng.standard_t(5, size=n)
    return np.column_stack([y, x, c1, c2])


def test_curve_sorted_with_share_supported():
    df = pd.DataFrame({"spec": list("abcd"), "estimate": [0.4, -0.1, 0.2, np.nan],
                       "supported": [True, False, True, False], "N": [100, 90, 95, 0]})
    curve = specification_curve(df)
    assert curve["spec"].tolist() == ["b", "c", "a", "d"]  # NaN (not estimable) last
    assert curve["rank"].tolist() == [1, 2, 3, 4]
    assert curve.attrs["n_specifications"] == 3
    assert curve.attrs["share_supported"] == pytest.approx(2 / 3)
    assert "N" in curve.columns


def test_curve_names_missing_columns():
    with pytest.raises(KeyError, match="supported"):
        specification_curve(pd.DataFrame({"estimate": [1.0]}))


def test_statistics_closed_form_and_direction():
    est, p = [0.5, 0.2, -0.1], [0.001, 0.04, 0.6]
    s = curve_statistics(est, p)
    z = stats.norm.isf([0.0005, 0.02, 0.7])
    assert s["Stouffer Z"] == pytest.approx(z.sum() / np.sqrt(3), rel=1e-12)
    assert s["median estimate"] == pytest.approx(0.2)
    assert s["share significant"] == pytest.approx(2 / 3)
    neg = curve_statistics(est, p, direction=-1)
    assert neg["median estimate"] == pytest.approx(-0.2)
    assert neg["share significant"] == 0.0
    assert neg["Stouffer Z"] == pytest.approx(-s["Stouffer Z"], rel=1e-12)
    # a specification that could not be estimated is left out, not counted as a failure
    assert curve_statistics([0.5, np.nan], [0.001, np.nan]) == curve_statistics([0.5], [0.001])


def test_joint_test_same_result_for_one_or_two_workers():
    rng = np.random.default_rng(3)
    d = simulate_study(rng, 120, 0.2)
    a = joint_test(SPECS, d, ols_slope, remove_slope, n_boot=40, seed=11, n_jobs=1)
    b = joint_test(SPECS, d, ols_slope, remove_slope, n_boot=40, seed=11, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)


def _rejections(effect, n_studies, seed):
    rng = np.random.default_rng(seed)
    rejected = []
    for k in range(n_studies):
        d = simulate_study(rng, 150, effect)
        res = joint_test(SPECS, d, ols_slope, remove_slope, n_boot=99, seed=seed + k, n_jobs=1)
        rejected.append(res.set_index("statistic")["p_value"] <= 0.05)
    return pd.DataFrame(rejected).mean()


@pytest.mark.slow
def test_joint_test_size_and_power():
    """Size: with a true null slope, each statistic rejects at alpha = .05 in 5 % of 200
    simulated studies within 3 Monte Carlo SE (sqrt(.05 x .95 / 200) = .015). Power: with
    the population slope .3 (n = 150, where one specification alone has power about .77),
    each statistic rejects in most studies."""
    n_studies = 200
    size = _rejections(0.0, n_studies, seed=20260)
    mc_se = np.sqrt(0.05 * 0.95 / n_studies)
    assert ((size - 0.05).abs() <= 3 * mc_se).all(), size.to_dict()
    power = _rejections(0.3, 60, seed=777)
    assert (power > 0.5).all(), power.to_dict()
