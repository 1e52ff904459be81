"""Ordinal invariance (Wu & Estabrook 2016) by WLSMV against semTools measEq.syntax + lavaan.

Reference: ``tests/reference/make_references_ordinal.R`` (HolzingerSwineford1939 cut into
3 to 5 categories, groups = school; configural, thresholds, metric, scalar and a partial
scalar model with x3's intercept free).
"""

import json

import numpy as np
import pandas as pd
import pytest

from hpmob.sem.ordinal_invariance import (
    fit_ordinal_multigroup,
    ordinal_difference_test,
    ordinal_invariance,
)

ITEMS = [f"x{i}" for i in range(1, 10)]
EST_TOL, SE_TOL, FIT_TOL = 1e-4, 1e-3, 1e-3
FIT_KEYS = ["npar", "chisq", "df", "chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
            "rmsea", "cfi", "baseline.chisq.scaled"]


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "lavaan_hs_ordinal_invariance.json").read_text())


@pytest.fixture(scope="module")
def hs_ord(root):
    return pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939_ordinal.csv")


@pytest.fixture(scope="module")
def sequence(ref, hs_ord):
    table, fits = ordinal_invariance(ref["model"], hs_ord, "school", ITEMS, return_fits=True)
    fits["scalar_x3"] = fit_ordinal_multigroup(ref["model"], hs_ord, "school", ITEMS, step="scalar",
                                               partial=["x3~1"])
    return table, fits


def _compare(res, r):
    lav = pd.DataFrame(r["estimates"])
    lav["rhs"] = lav["rhs"].fillna("")
    keys = ["group", "lhs", "op", "rhs"]
    assert sorted(map(tuple, res.estimates[keys].to_numpy().tolist())) == sorted(map(tuple, lav[keys].to_numpy().tolist()))
    m = res.estimates.merge(lav, on=keys, suffixes=("", "_r"))
    for col, tol in [("est", EST_TOL), ("std.all", EST_TOL), ("se", SE_TOL)]:
        assert np.abs(m[col] - m[col + "_r"]).max() < tol, col
    for k in FIT_KEYS:
        assert res.fit_measures[k] == pytest.approx(r["fit_measures"][k], abs=FIT_TOL), k


@pytest.mark.parametrize("step", ["configural", "thresholds", "metric", "scalar"])
def test_each_step_matches_lavaan(sequence, ref, step):
    res = sequence[1][step]
    assert res.converged
    _compare(res, ref["steps"][step])


def test_partial_scalar_model_matches_lavaan(sequence, ref):
    res = sequence[1]["scalar_x3"]
    _compare(res, ref["partial"]["scalar_x3"])
    e = res.estimates.set_index(["group", "lhs", "op", "rhs"])
    assert e.loc[(2, "x3", "~1", ""), "se"] > 0  # freed in group 2
    assert e.loc[(2, "x4", "~1", ""), "se"] == 0  # still equal (0)
    assert e.loc[(2, "visual", "~1", ""), "se"] > 0  # latent means are estimated
    lrt = ordinal_difference_test(res, sequence[1]["metric"])
    assert lrt["Chisq diff"] == pytest.approx(ref["partial"]["scalar_x3"]["lrt_vs_metric"]["chisq_diff"], abs=1e-3)


def test_table_differences_match_lavtestlrt(sequence, ref):
    table = sequence[0].set_index("model")
    assert list(table.index) == ["configural", "thresholds", "metric", "scalar"]
    assert table.loc["configural", "decision"] == "reference"
    for step, r in ref["lrt"].items():
        assert table.loc[step, "delta_df"] == r["df_diff"]
        assert table.loc[step, "delta_chisq"] == pytest.approx(r["chisq_diff"], abs=1e-3)
        assert table.loc[step, "p_delta"] == pytest.approx(r["pvalue"], abs=1e-4)
    prev = ref["steps"]["metric"]["fit_measures"]
    cur = ref["steps"]["scalar"]["fit_measures"]
    assert table.loc["scalar", "delta_cfi"] == pytest.approx(cur["cfi.scaled"] - prev["cfi.scaled"], abs=1e-6)


def test_group_labels_follow_lavaan(sequence, ref, hs_ord):
    # group 1 is the first school in the data, as lavaan's group.label
    assert list(pd.unique(hs_ord["school"])) == ref["group_labels"]


def test_category_missing_in_one_group_is_named(hs_ord):
    d = hs_ord.copy()
    d.loc[(d["school"] == "Grant-White") & (d["x2"] == 3), "x2"] = 2
    with pytest.raises(ValueError, match="'x2'.*'Grant-White'.*Merge"):
        fit_ordinal_multigroup("f =~ x1 + x2 + x3", d, "school", ["x1", "x2", "x3"], step="thresholds")


def test_unknown_step_is_named(hs_ord):
    with pytest.raises(ValueError, match="Unknown step 'scaler'.*scalar"):
        fit_ordinal_multigroup("f =~ x1 + x2 + x3", hs_ord, "school", ["x1", "x2", "x3"], step="scaler")
