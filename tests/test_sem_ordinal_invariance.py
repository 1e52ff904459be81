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


def test_collapse_categories_makes_every_group_use_every_category(hs_ord):
    from hpmob.sem.ordinal_invariance import collapse_categories

    d = hs_ord.copy()
    gw = d["school"] == "Grant-White"
    d.loc[gw & (d["x1"] == 1), "x1"] = 2  # lowest category unused in one group -> merged upward
    d.loc[gw & (d["x4"] == 3), "x4"] = 4  # a middle one (the midpoint of 1..5) -> the lower neighbour
    out, rec = collapse_categories(d, ITEMS, "school")
    assert rec.to_dict("records") == [{"item": "x1", "from": 1, "to": 2}, {"item": "x4", "from": 3, "to": 2}]
    for v in ITEMS:
        cats = [set(out.loc[out["school"] == g, v]) for g in ["Pasteur", "Grant-White"]]
        assert cats[0] == cats[1]
    # untouched items keep their values, and the sequence now runs
    assert out["x2"].equals(d["x2"])
    res = fit_ordinal_multigroup("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", out, "school",
                                 ITEMS[:6], step="thresholds")
    assert res.converged


def test_latent_means_of_the_scalar_model(sequence, ref):
    from hpmob.sem.invariance import latent_mean_differences

    lmd = latent_mean_differences(sequence[1]["scalar"], "speed")
    lav = {(r["group"], r["lhs"]): r for r in ref["steps"]["scalar"]["estimates"] if r["op"] == "~1"}
    assert list(lmd["group_label"]) == ref["group_labels"]
    g2 = lmd.set_index("group").loc[2]
    assert g2["est"] == pytest.approx(lav[(2, "speed")]["est"], abs=EST_TOL)
    assert g2["se"] == pytest.approx(lav[(2, "speed")]["se"], abs=SE_TOL)
    assert g2["std.lv"] == pytest.approx(lav[(2, "speed")]["std.all"], abs=EST_TOL)


def test_implied_correlations_of_group_1(sequence, ref, hs_ord):
    # the configural model has no cross-group constraint: group 1's part is the single-group
    # WLSMV fit of group 1's rows (validated against lavaan in test_sem_ordinal.py)
    from hpmob.sem.ordinal import fit_wlsmv

    res = sequence[1]["configural"]
    alone = fit_wlsmv(ref["model"], hs_ord[hs_ord["school"] == ref["group_labels"][0]], ordered=ITEMS)
    assert np.abs(res.implied_cov.to_numpy() - alone.implied_cov.to_numpy()).max() < 1e-6
    assert np.abs(res.sample_cov.to_numpy() - alone.sample_cov.to_numpy()).max() < 1e-12


def test_partial_search_frees_x3_and_ends_at_lavaans_partial_model(sequence, ref, hs_ord):
    # full scalar invariance fails on these data (ΔCFI -.022); the search's first release is x3's
    # intercept, and the model it ends with is the lavaan/semTools partial scalar model
    from hpmob.sem.ordinal_invariance import ordinal_partial_search

    _, fits = sequence
    search = ordinal_partial_search(ref["model"], hs_ord, "school", ITEMS, level="scalar",
                                    fits={k: fits[k] for k in ("metric", "scalar")})
    assert search.freed == ("x3~1",) and search.holds
    assert list(search.table["model"]) == ["metric", "scalar", "scalar + free x3~1"]
    assert list(search.table["decision"]) == ["reference", "not invariant", "invariant"]
    _compare(search.result, ref["partial"]["scalar_x3"])
    last = search.table.iloc[-1]
    assert last["delta_chisq"] == pytest.approx(ref["partial"]["scalar_x3"]["lrt_vs_metric"]["chisq_diff"], abs=1e-3)
    # the ranking statistic is lavTestLRT's scaled-shifted test of releasing that one constraint
    rank = search.score_tests[0].set_index("param")
    assert rank.index[0] == "x3~1" and len(rank) == len(ITEMS)
    lrt = ordinal_difference_test(fits["scalar"], fits["scalar_x3"])
    assert rank.loc["x3~1", "X2"] == pytest.approx(lrt["Chisq diff"], abs=1e-6)
    assert search.result.improper == () and search.result.convergence == ""


def test_partial_search_keeps_two_equal_intercepts_per_factor(ref, hs_ord):
    from hpmob.sem.ordinal_invariance import _candidates
    from hpmob.sem.syntax import parse_model

    pm = parse_model(ref["model"])
    left = _candidates(pm, "~1", {"x1~1"})
    assert "x2~1" not in left and "x3~1" not in left  # visual would keep one equal intercept
    assert {"x4~1", "x7~1"} <= set(left)
    with pytest.raises(ValueError, match="level must be one of"):
        from hpmob.sem.ordinal_invariance import ordinal_partial_search

        ordinal_partial_search(ref["model"], hs_ord, "school", ITEMS, level="strict")
