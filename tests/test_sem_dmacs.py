"""dMACS (Nye & Drasgow 2011): the closed form against numerical integration of the definition.

The R package dmacs is not installable from Debian here; its definition is the integral
``sqrt(∫ (E_F(X|η) - E_R(X|η))² f_F(η) dη) / SD_pooled``, evaluated below with scipy's quad.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from hpmob.sem import fit_multigroup
from hpmob.sem.dmacs import dmacs, dmacs_value

MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _integral(nu_r, lam_r, nu_f, lam_f, kappa, phi, sd):
    sdf = math.sqrt(phi)

    def integrand(eta):
        return ((nu_f + lam_f * eta) - (nu_r + lam_r * eta)) ** 2 * stats.norm.pdf(eta, kappa, sdf)

    val, _ = integrate.quad(integrand, kappa - 12 * sdf, kappa + 12 * sdf, epsabs=1e-13, epsrel=1e-12)
    return math.sqrt(val) / sd


@pytest.mark.parametrize("seed", range(6))
def test_closed_form_matches_the_integral(seed):
    rng = np.random.default_rng(seed)
    args = (rng.normal(3, 1), rng.uniform(0.3, 1.2), rng.normal(3, 1), rng.uniform(0.3, 1.2),
            rng.normal(0, 0.5), rng.uniform(0.2, 2.0), rng.uniform(0.5, 1.5))
    assert dmacs_value(*args) == pytest.approx(_integral(*args), rel=1e-9)


def test_partial_model_items(root):
    hs = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    res = fit_multigroup(MODEL, hs, "school", group_equal=("loadings", "intercepts"),
                         group_partial=("x3~1", "speed=~x8"))
    out = dmacs(res)
    assert list(out["item"]) == ["x3", "x8"]
    assert set(out["reference"]) == {"Pasteur"} and set(out["focal"]) == {"Grant-White"}
    e = res.estimates.set_index(["group_label", "lhs", "op", "rhs"])
    for row in out.itertuples():
        # pooled SD from the raw data, unbiased group variances
        g = hs.groupby("school")[row.item]
        sd = math.sqrt(((g.count() - 1) * g.var(ddof=1)).sum() / (g.count().sum() - 2))
        assert row.sd_pooled == pytest.approx(sd, rel=1e-12)
        f = row.factor
        args = (e.loc[("Pasteur", row.item, "~1", ""), "est"], e.loc[("Pasteur", f, "=~", row.item), "est"],
                e.loc[("Grant-White", row.item, "~1", ""), "est"], e.loc[("Grant-White", f, "=~", row.item), "est"],
                e.loc[("Grant-White", f, "~1", ""), "est"], e.loc[("Grant-White", f, "~~", f), "est"], sd)
        assert row.dmacs == pytest.approx(_integral(*args), rel=1e-9)
    # x8: only its loading differs, so dMACS exceeds |mean difference| / SD (the slope term)
    x3, x8 = out.set_index("item").loc["x3"], out.set_index("item").loc["x8"]
    assert x3.dmacs == pytest.approx(abs(x3.mean_difference) / x3.sd_pooled, rel=1e-12)
    assert x8.dmacs > abs(x8.mean_difference) / x8.sd_pooled


def test_errors_are_explained(root):
    hs = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    res = fit_multigroup(MODEL, hs, "school", group_equal=("loadings", "intercepts"))
    with pytest.raises(ValueError, match="No freed item"):
        dmacs(res)
    with pytest.raises(ValueError, match="reference 'Nowhere'"):
        dmacs(res, ["x3"], reference="Nowhere")
    with pytest.raises(ValueError, match="sd_pooled must be positive"):
        dmacs_value(0, 1, 0, 1, 0, 1, 0.0)
