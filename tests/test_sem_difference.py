"""Chi-square difference tests of nested models against lavaan's ``lavTestLRT`` defaults.

Reference: ``tests/reference/make_references_difference.R`` (MLR: Satorra-Bentler 2001 on
HolzingerSwineford1939; WLSMV: Satorra 2000 scaled-shifted on its ordinal cut).
"""

import json

import pandas as pd
import pytest

from hpmob.sem import fit
from hpmob.sem.difference import chisq_difference_test

ITEMS = [f"x{i}" for i in range(1, 10)]
PAIRS = ["equal_loadings", "zero_covariance"]


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "lavaan_difference.json").read_text())


@pytest.fixture(scope="module")
def data(root):
    d = root / "tests" / "reference" / "data"
    return {"MLR": pd.read_csv(d / "HolzingerSwineford1939.csv"),
            "WLSMV": pd.read_csv(d / "HolzingerSwineford1939_ordinal.csv")}


@pytest.mark.parametrize("estimator", ["MLR", "WLSMV"])
@pytest.mark.parametrize("pair", PAIRS)
def test_difference_matches_lavtestlrt(ref, data, estimator, pair):
    r = ref[estimator][pair]
    kw = {"ordered": ITEMS} if estimator == "WLSMV" else {}
    general = fit(r["general"], data[estimator], estimator=estimator, **kw)
    restricted = fit(r["restricted"], data[estimator], estimator=estimator, **kw)
    out = chisq_difference_test(restricted, general)
    assert out["method"] in r["method"]
    assert out["Df diff"] == r["df_diff"]
    assert out["Chisq diff"] == pytest.approx(r["chisq_diff"], abs=1e-3), out["Chisq diff"] - r["chisq_diff"]
    assert out["Pr(>Chisq)"] == pytest.approx(r["pvalue"], abs=1e-4)


def test_ml_difference_is_the_plain_difference(data):
    general = fit(json_free_model(), data["MLR"])
    restricted = fit(json_free_model() + "\ntextual ~~ 0*speed", data["MLR"])
    out = chisq_difference_test(restricted, general)
    assert out["Chisq diff"] == pytest.approx(restricted.fit_measures["chisq"] - general.fit_measures["chisq"])
    with pytest.raises(ValueError, match="Swap the arguments"):
        chisq_difference_test(general, restricted)


def json_free_model():
    return "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
