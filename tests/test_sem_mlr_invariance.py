"""The MLR invariance sequence against lavaan 0.6: scaled difference tests and robust fit indices.

Reference: ``tests/reference/make_references_mlr_invariance.R`` (HolzingerSwineford1939's
3-factor CFA across school, configural → metric → scalar → strict, ``estimator = "MLR"``):
complete data with lavaan's default listwise treatment, and the seeded MAR data of
``make_references_fiml.R`` under ``missing = "ml"`` (its first two steps here). ``lavTestLRT`` between consecutive steps
uses its default for MLR, the Satorra-Bentler (2001) scaled difference.

Tolerances: robust statistics (scaled χ², scaling factors, scaled differences, robust
CFI/TLI/RMSEA) 1e-3; the standard χ² and df 1e-6 (they are the ML statistics).
"""

import json
import math

import pandas as pd
import pytest

from hpmob.sem import fit_multigroup
from hpmob.sem.invariance import ROBUST_COLUMNS, invariance
from hpmob.sem.multigroup import chisq_difference

ROBUST_TOL = 1e-3
STEPS = ["configural", "metric", "scalar", "strict"]
MAR_STEPS = ["configural", "metric"]


@pytest.fixture(scope="module")
def ref(root):
    return json.loads((root / "tests" / "reference" / "lavaan_mlr_invariance.json").read_text())


@pytest.fixture(scope="module")
def complete(root, ref):
    hs = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    return invariance(ref["model"], hs, "school", estimator="MLR", return_fits=True)


@pytest.fixture(scope="module")
def mar(root, ref):
    d = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939_mar.csv")
    # FIML fits cost ~2 s each: the first two steps check the scaled difference under missing data
    return invariance(ref["model"], d, "school", estimator="MLR", missing="ml", steps=MAR_STEPS, return_fits=True)


@pytest.mark.parametrize("step", STEPS)
def test_complete_data_robust_fit_measures_match_lavaan(complete, ref, step):
    fit = complete[1][step]
    assert fit.estimator == "MLR" and fit.missing == "listwise" and fit.converged
    lav = ref["complete"]["fit_measures"][step]
    fm = fit.fit_measures
    assert fm["chisq"] == pytest.approx(lav["chisq"], abs=1e-6) and fm["df"] == lav["df"]
    for k in ("chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaling.factor", "cfi.scaled",
              "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust"):
        assert fm[k] == pytest.approx(lav[k], abs=ROBUST_TOL), k


@pytest.mark.parametrize("case", ["complete", "mar_fiml"])
def test_table_differences_are_lavtestlrts_satorra_bentler_2001(complete, mar, ref, case):
    table = (complete if case == "complete" else mar)[0].set_index("model")
    assert list(table.index) == (STEPS if case == "complete" else MAR_STEPS)
    for step, r in ref[case]["lrt"].items():
        if step not in table.index:
            continue
        assert r["method"] == "satorra.bentler.2001"
        assert table.loc[step, "delta_df"] == r["df_diff"]
        assert table.loc[step, "delta_chisq"] == pytest.approx(r["chisq_diff"], abs=ROBUST_TOL), step
        assert table.loc[step, "p_delta"] == pytest.approx(r["pvalue"], abs=ROBUST_TOL), step
    # the scaled difference is not the plain one
    assert not math.isclose(table.loc["metric", "delta_chisq"],
                            table.loc["metric", "chisq"] - table.loc["configural", "chisq"], abs_tol=0.1)


def test_table_columns_and_decisions_use_the_robust_indices_with_complete_data(complete, ref):
    table = complete[0].set_index("model")
    assert set(ROBUST_COLUMNS) <= set(table.columns)
    assert (table["indices"] == "robust").all()
    lav = ref["complete"]["fit_measures"]
    for step, prev in zip(STEPS[1:], STEPS):
        assert table.loc[step, "cfi.robust"] == pytest.approx(lav[step]["cfi.robust"], abs=ROBUST_TOL)
        assert table.loc[step, "delta_cfi"] == pytest.approx(lav[step]["cfi.robust"] - lav[prev]["cfi.robust"],
                                                             abs=ROBUST_TOL)
        assert table.loc[step, "delta_rmsea"] == pytest.approx(
            lav[step]["rmsea.robust"] - lav[prev]["rmsea.robust"], abs=ROBUST_TOL)


def test_under_fiml_the_robust_indices_are_not_made_up(mar, ref):
    # lavaan's robust CFI/RMSEA with missing data (Zhang & Savalei) are not implemented: NaN, and the
    # deltas fall back to the standard indices, which the table says
    table = mar[0].set_index("model")
    assert table["cfi.robust"].isna().all() and (table["indices"] == "standard").all()
    for step in MAR_STEPS:
        lav = ref["mar_fiml"]["fit_measures"][step]
        fm = mar[1][step].fit_measures
        for k in ("chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "rmsea.scaled"):
            assert fm[k] == pytest.approx(lav[k], abs=ROBUST_TOL), (step, k)
    assert table.loc["metric", "delta_cfi"] == pytest.approx(table.loc["metric", "cfi"] - table.loc["configural", "cfi"])


def test_ml_tables_keep_their_columns_and_mixed_estimators_are_refused(root, ref, complete):
    hs = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    ml = fit_multigroup(ref["model"], hs, "school")
    with pytest.raises(ValueError, match="same estimator"):
        chisq_difference(ml, complete[1]["metric"])
    tab = invariance(ref["model"], hs, "school", steps=("configural", "metric"))
    assert "chisq.scaled" not in tab.columns and "indices" not in tab.columns


def test_the_partial_search_with_mlr_reports_the_same_robust_columns(root, ref, complete):
    from hpmob.sem.invariance import partial_invariance_search

    hs = pd.read_csv(root / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
    search = partial_invariance_search(ref["model"], hs, "school", level="scalar", estimator="MLR", max_free=1)
    table = search.table.set_index("model")
    seq = complete[0].set_index("model")
    for col in ("chisq.scaled", "cfi.robust", "rmsea.robust", "delta_chisq", "delta_cfi"):
        assert table.loc["scalar", col] == pytest.approx(seq.loc["scalar", col], abs=1e-6), col
    freed = table.index[-1]
    assert freed.startswith("scalar + free ") and table.loc[freed, "indices"] == "robust"
    # the released model's scaled difference against metric is lavTestLRT's statistic for that pair
    lrt = chisq_difference(search.reference, search.result)
    assert table.loc[freed, "delta_chisq"] == pytest.approx(lrt["chisq_diff"]) and lrt["method"] == "satorra.bentler.2001"
