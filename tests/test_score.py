"""Tests for hpmob.score: reverse keying, composites, item statistics, shares, bands.

Reference values come from scipy/pandas (moments), statsmodels (Wilson interval,
when installed) or closed forms, at the tolerances stated in each test.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpmob.codebook import codebook_from_dict, load_codebook
from hpmob.score import (
    COMPOSITE_LABEL,
    OVERALL_GROUP,
    VN_BANDS,
    agreement_share,
    composite_by_group,
    composite_scores,
    item_statistics,
    mean_band,
    reverse_key,
    wilson_ci,
)
from hpmob.simulate import simulate_sample

AW = ["AW1", "AW2", "AW3", "AW4", "AW5"]


@pytest.fixture(scope="module")
def sample(cb):
    """Processed-format responses: attributes + items as answered, ~3 % missing."""
    s = simulate_sample(n=300, seed=11)
    df = s.attributes.join(s.answers.astype("float64"))
    df.insert(0, "resp_id", [f"R{i:04d}" for i in range(len(df))])
    rng = np.random.default_rng(5)
    for col in cb.item_columns:
        df.loc[rng.random(len(df)) < 0.03, col] = np.nan
    return df


@pytest.fixture
def df(sample):
    return sample.copy()


# ----------------------------------------------------------------- reverse keying
def test_reverse_key_flips_exactly_the_codebook_items(cb, df):
    out = reverse_key(df, cb)
    assert sorted(cb.reverse_items) == ["AW5", "PM5"]
    for col in cb.item_columns:
        expected = 6 - df[col] if col in cb.reverse_items else df[col]
        pd.testing.assert_series_equal(out[col], expected, check_names=False)
    non_items = [c for c in df.columns if c not in cb.item_columns]
    pd.testing.assert_frame_equal(out[non_items], df[non_items])
    assert df is not out  # input untouched
    assert df["AW5"].equals(df["AW5"])


def test_reverse_key_follows_flag_changes(cb, df):
    flipped = reverse_key(df, cb.with_reverse("AW1", True).with_reverse("AW5", False))
    pd.testing.assert_series_equal(flipped["AW1"], 6 - df["AW1"], check_names=False)
    pd.testing.assert_series_equal(flipped["AW5"], df["AW5"], check_names=False)


def test_composite_changes_exactly_as_flag_requires(cb):
    # One respondent, computed by hand. AW5 is reverse-keyed in the codebook.
    one = pd.DataFrame({"AW1": [5], "AW2": [4], "AW3": [4], "AW4": [3], "AW5": [2]})
    base = composite_scores(one, cb, constructs="AW").loc[0, "AW"]
    assert base == pytest.approx((5 + 4 + 4 + 3 + (6 - 2)) / 5)  # 4.0
    flipped = composite_scores(one, cb.with_reverse("AW1", True), constructs="AW").loc[0, "AW"]
    assert flipped == pytest.approx(((6 - 5) + 4 + 4 + 3 + (6 - 2)) / 5)  # 3.2
    unflipped = composite_scores(one, cb.with_reverse("AW5", False), constructs="AW").loc[0, "AW"]
    assert unflipped == pytest.approx((5 + 4 + 4 + 3 + 2) / 5)  # 3.6
    raw = composite_scores(one, cb, constructs="AW", reverse=False).loc[0, "AW"]
    assert raw == pytest.approx(3.6)


def test_composite_shift_on_whole_sample(cb, df):
    complete = df.dropna(subset=AW)
    a = composite_scores(complete, cb, constructs="AW")["AW"]
    b = composite_scores(complete, cb.with_reverse("AW1", True), constructs="AW")["AW"]
    # Flipping x to 6 - x changes the 5-item mean by (6 - 2x) / 5.
    np.testing.assert_allclose(b - a, (6 - 2 * complete["AW1"]) / 5, atol=1e-12)


def test_composite_scores_default_all_constructs(cb, df):
    sc = composite_scores(df, cb)
    assert list(sc.columns) == list(cb.constructs["code"])
    assert sc.index.equals(df.index)
    keyed = reverse_key(df, cb)
    full = keyed[cb.items_of("PM")].dropna()
    np.testing.assert_allclose(sc.loc[full.index, "PM"], full.mean(axis=1), atol=1e-12)


# -------------------------------------------------------------------- min_items rule
@pytest.fixture
def partial():
    # Rows answer 5, 3, 2 and 0 of the five AW items.
    nan = np.nan
    return pd.DataFrame({
        "AW1": [5, 5, 5, nan], "AW2": [4, 4, 3, nan], "AW3": [4, 3, nan, nan],
        "AW4": [4, nan, nan, nan], "AW5": [2, nan, nan, nan],
    })


def test_min_items_fraction_rounds_up(cb, partial):
    sc = composite_scores(partial, cb, constructs="AW")["AW"]  # 0.5 of 5 -> 3 items
    np.testing.assert_allclose(sc, [4.2, 4.0, np.nan, np.nan])
    sc = composite_scores(partial, cb, constructs="AW", min_items=0.6)["AW"]  # exactly 3, not 4
    assert sc.notna().tolist() == [True, True, False, False]
    sc = composite_scores(partial, cb, constructs="AW", min_items=1.0)["AW"]  # all items
    assert sc.notna().tolist() == [True, False, False, False]


def test_min_items_absolute_count(cb, partial):
    sc = composite_scores(partial, cb, constructs="AW", min_items=2)["AW"]
    np.testing.assert_allclose(sc, [4.2, 4.0, 4.0, np.nan])
    sc = composite_scores(partial, cb, constructs="AW", min_items=1)["AW"]
    assert sc.notna().tolist() == [True, True, True, False]


@pytest.mark.parametrize("bad, err, match", [
    (0, ValueError, "fewer than one"),
    (6, ValueError, "exceeds the 5 items of construct 'AW'"),
    (1.5, ValueError, r"\(0, 1\]"),
    (0.0, ValueError, r"\(0, 1\]"),
    (True, TypeError, "min_items"),
    ("half", TypeError, "min_items"),
])
def test_min_items_invalid(cb, partial, bad, err, match):
    with pytest.raises(err, match=match):
        composite_scores(partial, cb, constructs="AW", min_items=bad)


# ---------------------------------------------------------------- item statistics
def test_item_statistics_match_scipy_and_pandas(cb, df):
    tab = item_statistics(df, cb).set_index("item")
    assert list(tab.index) == cb.item_columns
    keyed = reverse_key(df, cb)
    for col in cb.item_columns:
        x = keyed[col].dropna().to_numpy()
        row = tab.loc[col]
        assert row["n"] == len(x)
        assert row["mean"] == pytest.approx(x.mean(), abs=1e-12)
        assert row["sd"] == pytest.approx(np.std(x, ddof=1), abs=1e-12)
        # G1 / G2: bias-corrected skewness and excess kurtosis.
        assert row["skew"] == pytest.approx(stats.skew(x, bias=False), abs=1e-10)
        assert row["kurtosis"] == pytest.approx(stats.kurtosis(x, fisher=True, bias=False), abs=1e-10)
        assert row["skew"] == pytest.approx(keyed[col].skew(), abs=1e-12)
        assert row["kurtosis"] == pytest.approx(keyed[col].kurt(), abs=1e-12)
        assert row["pct_missing"] == pytest.approx(100 * df[col].isna().mean(), abs=1e-12)
        assert row["pct_agree"] == pytest.approx(100 * np.isin(x, [4, 5]).mean(), abs=1e-12)
        assert row["pct_floor"] == pytest.approx(100 * (x == 1).mean(), abs=1e-12)
        assert row["pct_ceiling"] == pytest.approx(100 * (x == 5).mean(), abs=1e-12)
        assert row["construct"] == cb.items.set_index("code").loc[col, "construct"]


def test_item_statistics_reversed_items_on_keyed_scale(cb, df):
    tab = item_statistics(df, cb, items=["AW4", "AW5"]).set_index("item")
    assert tab["reversed"].tolist() == [False, True]
    raw = df["AW5"].dropna()
    assert tab.loc["AW5", "mean"] == pytest.approx(6 - raw.mean(), abs=1e-12)
    assert tab.loc["AW5", "skew"] == pytest.approx(-raw.skew(), abs=1e-12)  # mirror image
    assert tab.loc["AW5", "pct_agree"] == pytest.approx(100 * raw.isin([1, 2]).mean(), abs=1e-12)


def test_item_statistics_constant_item_has_no_shape(cb):
    tab = item_statistics(pd.DataFrame({"RT1": [4, 4, 4, 4, np.nan]}), cb, items=["RT1"])
    assert tab.loc[0, "n"] == 4 and tab.loc[0, "sd"] == 0
    assert np.isnan(tab.loc[0, "skew"]) and np.isnan(tab.loc[0, "kurtosis"])
    assert tab.loc[0, "pct_missing"] == pytest.approx(20.0)


# -------------------------------------------------------------------------- bands
@pytest.mark.parametrize("value, label", [
    (1.00, "Rất thấp / Very low"),
    (1.80, "Rất thấp / Very low"),
    (1.804, "Rất thấp / Very low"),  # printed as 1.80
    (1.806, "Thấp / Low"),  # printed as 1.81
    (1.81, "Thấp / Low"),
    (2.60, "Thấp / Low"),
    (2.61, "Trung bình / Medium"),
    (3.40, "Trung bình / Medium"),
    (3.41, "Cao / High"),
    (4.20, "Cao / High"),
    (4.21, "Rất cao / Very high"),
    (5.00, "Rất cao / Very high"),
])
def test_mean_band_boundaries(value, label):
    assert mean_band(value) == label


def test_mean_band_vectorized():
    s = pd.Series([1.80, 1.81, np.nan, 4.20, 4.21], index=list("abcde"), name="PM")
    out = mean_band(s)
    assert out.index.equals(s.index) and out.name == "PM"
    assert out.cat.ordered and list(out.cat.categories) == [b[2] for b in VN_BANDS]
    assert out.isna().tolist() == [False, False, True, False, False]
    assert out.dropna().tolist() == ["Rất thấp / Very low", "Thấp / Low", "Cao / High", "Rất cao / Very high"]
    arr = mean_band(np.array([2.0, 3.0]))
    assert arr.tolist() == ["Thấp / Low", "Trung bình / Medium"]
    assert np.isnan(mean_band(np.nan))


def test_mean_band_custom_and_errors():
    bands = [(1, 2.99, "low"), (3, 5, "high")]
    assert mean_band(2.99, bands) == "low" and mean_band(3.0, bands) == "high"
    with pytest.raises(ValueError, match="outside every band"):
        mean_band(5.2)
    with pytest.raises(ValueError, match="outside every band"):
        mean_band(pd.Series([3.0, 0.5]))
    with pytest.raises(ValueError, match="overlap"):
        mean_band(3.0, [(1, 3, "a"), (2.5, 5, "b")])


# ------------------------------------------------------------------------- Wilson
def test_wilson_matches_statsmodels():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for n in (1, 5, 17, 100, 451):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for conf in (0.90, 0.95, 0.99):
                lo, hi = wilson_ci(k, n, conf)
                ref = proportion.proportion_confint(k, n, alpha=1 - conf, method="wilson")
                assert lo == pytest.approx(ref[0], abs=1e-10)
                assert hi == pytest.approx(ref[1], abs=1e-10)


def test_wilson_closed_form():
    z = stats.norm.ppf(0.975)
    # k = 0: lower limit 0, upper limit z² / (n + z²).
    lo, hi = wilson_ci(0, 10)
    assert lo == 0 and hi == pytest.approx(z**2 / (10 + z**2), abs=1e-12)
    # General formula written out independently.
    k, n = 45, 50
    p = k / n
    centre = (k + z**2 / 2) / (n + z**2)
    half = z * np.sqrt(n) / (n + z**2) * np.sqrt(p * (1 - p) + z**2 / (4 * n))
    lo, hi = wilson_ci(k, n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), abs=1e-12)
    lows, highs = wilson_ci([0, 45], [10, 50])
    np.testing.assert_allclose(lows, [0, centre - half], atol=1e-12)
    with pytest.raises(ValueError, match="between 0 and nobs"):
        wilson_ci(11, 10)


# --------------------------------------------------------------- agreement shares
def test_agreement_share_counts_and_verdicts(cb, df):
    tab = agreement_share(df, cb, "RT", by="level", threshold=0.80)
    expected_cols = ["construct", "item", "group", "n", "n_agree", "share", "ci_low", "ci_high",
                     "threshold", "verdict", "suppressed"]
    assert list(tab.columns) == expected_cols
    assert tab["item"].unique().tolist() == ["RT1", "RT2", "RT3", "RT4", COMPOSITE_LABEL]
    assert tab["group"].unique().tolist() == [OVERALL_GROUP, "city", "district", "commune"]
    row = tab[(tab["item"] == "RT2") & (tab["group"] == "district")].iloc[0]
    sub = df.loc[df["level"] == "district", "RT2"].dropna()
    assert row["n"] == len(sub) and row["n_agree"] == sub.isin([4, 5]).sum()
    assert row["share"] == pytest.approx(sub.isin([4, 5]).mean(), abs=1e-12)
    lo, hi = wilson_ci(row["n_agree"], row["n"])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    for _, r in tab.iterrows():
        assert r["verdict"] == ("supported" if r["ci_low"] > 0.80 else "not supported")


def test_agreement_share_composite_uses_mean_at_least_4(cb, df):
    tab = agreement_share(df, cb, "RT")
    comp = composite_scores(df, cb, constructs="RT")["RT"].dropna()
    row = tab[tab["item"] == COMPOSITE_LABEL].iloc[0]
    assert row["group"] == OVERALL_GROUP
    assert row["n"] == len(comp) and row["n_agree"] == (comp >= 4.0).sum()
    # A respondent at 3.75 (e.g. 4, 4, 4, 3) does not "agree with the construct".
    one = pd.DataFrame({"RT1": [4, 4], "RT2": [4, 4], "RT3": [4, 4], "RT4": [3, 4]})
    t = agreement_share(one, cb, "RT", min_cell=0)
    assert t.loc[t["item"] == COMPOSITE_LABEL, "n_agree"].item() == 1
    t = agreement_share(one, cb, "RT", min_cell=0, composite_cut=3.5)
    assert t.loc[t["item"] == COMPOSITE_LABEL, "n_agree"].item() == 2


def test_agreement_share_reverse_keyed_item(cb, df):
    t = agreement_share(df, cb, ["AW5"])
    row = t[t["item"] == "AW5"].iloc[0]
    # Keyed scale: agreeing with the construct = disagreeing (1-2) with the worded item.
    assert row["n_agree"] == df["AW5"].isin([1, 2]).sum()


def test_agreement_share_suppresses_small_cells(cb, df):
    small = df.copy()
    small.loc[small.index[:3], "level"] = "island_unit"  # a group of 3 respondents
    small.loc[small.index[:3], "RT1"] = 5.0
    tab = agreement_share(small, cb, ["RT1"], by="level")
    cell = tab[tab["group"] == "island_unit"]
    assert cell["suppressed"].all() and cell["n"].isna().all()  # n = 3 is not printed
    assert cell[["n_agree", "share", "ci_low", "ci_high"]].isna().all().all()
    assert (cell["verdict"] == "suppressed").all()
    # complementary suppression: the smallest real level goes blank too, so the overall
    # row minus the published groups gives a sum of at least 5, never the 3
    groups = tab[tab["group"] != "all"]
    sizes = small["level"].value_counts()
    smallest = min((g for g in ("city", "district", "commune")), key=lambda g: sizes[g])
    assert set(groups.loc[groups["suppressed"], "group"]) == {"island_unit", smallest}
    for item, part in tab.groupby("item"):
        total = int(part.loc[part["group"] == "all", "n"].iloc[0])
        hidden = total - int(part.loc[(part["group"] != "all") & ~part["suppressed"], "n"].sum())
        assert hidden >= 5, item
    assert groups.loc[~groups["suppressed"], "share"].notna().all()
    kept = agreement_share(small, cb, ["RT1"], by="level", min_cell=3)
    assert not kept["suppressed"].any()


# ------------------------------------------------------------------ by-group means
#: the study's level order: the caller (the study layer, from the plan) passes it
LEVEL_ORDER = ["city", "district", "commune"]


def test_composite_by_group_t_interval(cb, df):
    sc = composite_scores(df, cb, constructs=["AW", "PM"])
    out = composite_by_group(sc, df["level"], order=LEVEL_ORDER)
    assert list(out.columns) == ["construct", "group", "n", "mean", "sd", "se", "ci_low", "ci_high",
                                 "conf", "suppressed"]
    assert out["group"].tolist() == ["city", "district", "commune"] * 2
    row = out[(out["construct"] == "PM") & (out["group"] == "commune")].iloc[0]
    x = sc.loc[df["level"] == "commune", "PM"].dropna()
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert row["n"] == len(x)
    assert row["mean"] == pytest.approx(x.mean(), abs=1e-12)
    assert row["sd"] == pytest.approx(x.std(), abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
    # Same result with the group as a column of `scores`.
    again = composite_by_group(sc.join(df["level"]), "level", order=LEVEL_ORDER)
    pd.testing.assert_frame_equal(out, again)


def test_composite_by_group_suppresses_small_cells():
    sc = pd.DataFrame({"PM": [3.0, 4.0, 5.0, 4.0, 4.0, 2.0, 3.0] + [4.0] * 6, "lev": list("aaaaabb") + ["c"] * 6})
    out = composite_by_group(sc, "lev")
    b = out[out["group"] == "b"].iloc[0]
    assert b["suppressed"] and pd.isna(b["n"])  # n = 2 is not printed
    assert np.isnan([b["mean"], b["sd"], b["se"], b["ci_low"], b["ci_high"]]).all()
    # its complement is the smallest other group (a, 5), so 13 − 6 = 7 is all a reader gets
    a = out[out["group"] == "a"].iloc[0]
    assert a["suppressed"] and pd.isna(a["n"]) and np.isnan(a["se"])
    c = out[out["group"] == "c"].iloc[0]
    assert not c["suppressed"] and c["n"] == 6 and c["mean"] == pytest.approx(4.0)
    assert not composite_by_group(sc, "lev", min_cell=2)["suppressed"].any()


# ------------------------------------------------------------- trimmed codebook
@pytest.fixture(scope="module")
def trimmed(cb):
    d = cb.to_dict()
    d["constructs"] = {k: v for k, v in d["constructs"].items() if k in ("AW", "RT")}
    d["items"] = [it for it in d["items"] if it["construct"] in ("AW", "RT")]
    return codebook_from_dict(d, source="trimmed")


def test_trimmed_codebook(cb, trimmed, df):
    sc = composite_scores(df, trimmed)
    assert list(sc.columns) == ["AW", "RT"]
    pd.testing.assert_frame_equal(sc, composite_scores(df, cb, constructs=["AW", "RT"]))
    stats_tab = item_statistics(df, trimmed)
    assert stats_tab["item"].tolist() == trimmed.item_columns and len(stats_tab) == 9
    keyed = reverse_key(df, trimmed)
    pd.testing.assert_series_equal(keyed["PM5"], df["PM5"])  # PM not in the trimmed codebook
    tab = agreement_share(df, trimmed, "RT", by="level")
    assert set(tab["construct"]) == {"RT"}
    with pytest.raises(KeyError, match="unknown construct 'PM'"):
        composite_scores(df, trimmed, constructs=["PM"])


# ------------------------------------------------------------------------- errors
def test_out_of_scale_value_names_column_row_value(cb, df):
    bad = df.copy()
    bad.loc[7, "AW2"] = 9
    with pytest.raises(ValueError, match=r"'AW2'.*1–5 at row 7: 9 .*'no answer'"):
        reverse_key(bad, cb)
    with pytest.raises(ValueError, match="'AW2'"):
        composite_scores(bad, cb, constructs="AW")
    bad = df.copy()
    bad.loc[3, "PM5"] = 0
    with pytest.raises(ValueError, match=r"'PM5'.*row 3: 0"):
        item_statistics(bad, cb)
    bad = df.copy()
    bad.loc[4, "RT1"] = 2.5
    with pytest.raises(ValueError, match=r"'RT1'.*row 4: 2\.5"):
        agreement_share(bad, cb, "RT")


def test_text_labels_rejected(cb, df):
    bad = df.copy()
    bad["AW1"] = bad["AW1"].astype(object)
    bad.loc[2, "AW1"] = "Đồng ý"
    with pytest.raises(TypeError, match=r"'AW1' is not numeric.*'Đồng ý'.*row 2"):
        composite_scores(bad, cb, constructs="AW")


def test_unknown_construct_item_and_missing_columns(cb, df):
    with pytest.raises(KeyError, match="unknown construct 'XX'"):
        composite_scores(df, cb, constructs=["AW", "XX"])
    with pytest.raises(KeyError, match="neither a construct"):
        agreement_share(df, cb, "XX")
    with pytest.raises(KeyError, match="unknown item 'RT9'"):
        item_statistics(df, cb, items=["RT9"])
    with pytest.raises(KeyError, match="AW3.*of construct 'AW'"):
        composite_scores(df.drop(columns=["AW3"]), cb, constructs="AW")
    with pytest.raises(KeyError, match="by='region'"):
        agreement_share(df, cb, "RT", by="region")
    with pytest.raises(TypeError, match="Codebook"):
        composite_scores(df, {"AW": AW})


# ----------------------------------------------------------- processed CSV format
def test_processed_csv_nullable_and_float_agree(cb, df):
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    as_float = pd.read_csv(io.StringIO(buf.getvalue()))
    as_int = pd.read_csv(io.StringIO(buf.getvalue()), dtype={c: "Int64" for c in cb.item_columns})
    assert as_int["AW1"].isna().any()  # pd.NA present
    pd.testing.assert_frame_equal(composite_scores(as_float, cb), composite_scores(as_int, cb))
    pd.testing.assert_frame_equal(item_statistics(as_float, cb), item_statistics(as_int, cb))


def test_group_column_with_missing_values_as_read_from_csv():
    # responses.csv gives level as pandas' nullable "string" dtype with <NA> for "no answer"
    import pandas as pd

    from hpmob.score import agreement_share, composite_by_group, composite_scores
    from hpmob.simulate import simulate_sample

    cb = load_codebook()
    s = simulate_sample(200, seed=4)
    data = s.answers.join(s.attributes["level"].astype("string"))
    data.loc[:9, "level"] = pd.NA
    scores = composite_scores(data, cb, constructs=["PM"]).join(data["level"])
    table = composite_by_group(scores, "level")
    assert table["n"].sum() == 190  # respondents without a level are in no group
    shares = agreement_share(data, cb, "RT", by="level")
    assert set(shares["group"]) == {"all", "city", "district", "commune"}
