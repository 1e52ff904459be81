"""Ordinal sensitivity: bivariate normal CDF, polychoric correlation, DWLS CFA vs lavaan WLSMV."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpmob.sem.ordinal import bivariate_normal_cdf, fit_dwls_cfa, polychoric


@pytest.mark.parametrize("rho", [-0.8, -0.3, 0.2, 0.6, 0.9, 0.95])
def test_bivariate_normal_cdf_matches_scipy(rho):
    mvn = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]])
    h = np.array([-2.0, -0.5, 0.0, 0.7, 1.9])
    k = np.array([0.4, -1.2, 0.0, 2.2, -0.3])
    expected = np.array([mvn.cdf([a, b]) for a, b in zip(h, k)])
    assert np.abs(bivariate_normal_cdf(h, k, rho) - expected).max() < 1e-7


def test_bivariate_normal_cdf_infinite_limits():
    assert bivariate_normal_cdf(np.inf, 0.3, 0.5) == pytest.approx(stats.norm.cdf(0.3))
    assert bivariate_normal_cdf(-np.inf, 0.3, 0.5) == 0


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


def test_dwls_cfa_agrees_with_lavaan_wlsmv(root):
    ref = json.loads((root / "tests" / "reference" / "hpmob_cfa.json").read_text())
    data = pd.read_csv(root / "tests" / "reference" / "data" / "hpmob_analysed.csv")
    constructs = {c: [i for i in data.columns if i.startswith(c) and i[len(c):].isdigit()]
                  for c in ["AW", "RT", "PM", "IM", "DT", "SE", "CO"]}
    result = fit_dwls_cfa(data, constructs)
    nobs = ref["WLSMV"]["nobs"]
    assert result.n == (nobs[0] if isinstance(nobs, list) else nobs)
    lavaan = {r["rhs"]: r["std.all"] for r in ref["WLSMV"]["standardized_loadings"]}
    ours = result.loadings.set_index("item")["std_all"]
    # Two-step weights (each correlation's own sampling variance, thresholds fixed) instead of
    # lavaan's full asymptotic covariance diagonal: loadings agree to about 0.01; 0.02 allowed.
    assert max(abs(ours[i] - v) for i, v in lavaan.items()) < 0.02
    assert result.srmr == pytest.approx(ref["WLSMV"]["key_fitMeasures"]["srmr"], abs=0.005)
