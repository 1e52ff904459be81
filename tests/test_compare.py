"""Tests for hpmob.compare: Welch ANOVA, Games–Howell, effect sizes, agreement by group.

References and tolerances:

* Welch F, df, p and η² equal :func:`pingouin.welch_anova` on the same rows
  (relative 1e-12); Games–Howell rows equal :func:`pingouin.pairwise_gameshowell`,
  Hedges' g equals :func:`pingouin.compute_effsize` on the raw group vectors and its
  interval :func:`pingouin.compute_esci` (1e-12).
* ω² = df1·(F − 1) / (df1·(F − 1) + N), floored at 0, computed by hand here from the
  Welch F; with the classical F the same expression must equal the textbook
  (SS_b − df1·MS_w) / (SS_t + MS_w) (1e-12). The ω² interval is checked by its
  defining property: at the limits, the noncentral F cdf of the observed F is
  1 − α/2 and α/2 (1e-8).
* χ² and Cramér's V against scipy's ``chi2_contingency`` / ``association`` on a
  table built here from the raw answers, and Bergsma's correction by hand (1e-12).
* Holm against ``statsmodels.stats.multitest.multipletests(method="holm")`` (1e-12).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.multitest import multipletests

from hpmob.compare import (
    agreement_chi2,
    compare_groups,
    cramers_v,
    group_comparison_table,
    omega_squared,
    omega_squared_ci,
    posthoc_games_howell,
)
from hpmob.score import agreement_share, composite_scores
from hpmob.simulate import simulate_sample

TOL = dict(rtol=1e-12, atol=1e-12)
LEVELS = ["city", "district", "commune"]


@pytest.fixture(scope="module")
def sample():
    return simulate_sample(n=300, seed=11)


@pytest.fixture(scope="module")
def data(sample):
    return sample.answers.join(sample.attributes)


@pytest.fixture(scope="module")
def scores(sample, cb):
    return composite_scores(sample.answers, cb, constructs=["AW", "PM", "IM"]).join(sample.attributes)


def _pg_frame(scores, dv, group, keep=None):
    """The rows pingouin should see: scored, grouped, optionally only the `keep` groups."""
    df = scores[[dv, group]].dropna()
    if keep is not None:
        df = df[df[group].isin(keep)]
    return df.reset_index(drop=True)


def _small_group_scores():
    """Three groups of 20 plus an 'island' group of 3 and two missing groups."""
    rng = np.random.default_rng(5)
    area = ["urban"] * 20 + ["rural"] * 20 + ["island"] * 3 + [None] * 2 + ["urban"] * 5
    y = rng.normal(3.5, 0.6, len(area)) + np.where(np.array(area) == "rural", 0.4, 0.0)
    return pd.DataFrame({"PM": y, "area": pd.array(area, dtype="string")})


# ------------------------------------------------------------------------ Welch
def test_welch_matches_pingouin(scores):
    res = compare_groups(scores[["AW", "PM", "IM", "level"]], "level")
    assert res["dv"].tolist() == ["AW", "PM", "IM"]
    assert (res["group"] == "level").all() and (res["k"] == 3).all()
    for _, row in res.iterrows():
        df = _pg_frame(scores, row["dv"], "level")
        ref = pg.welch_anova(data=df, dv=row["dv"], between="level")
        assert row["n"] == len(df)
        np.testing.assert_allclose(
            row[["F", "df1", "df2", "pvalue", "eta2"]].to_numpy(dtype=float),
            ref.loc[0, ["F", "ddof1", "ddof2", "p_unc", "np2"]].to_numpy(dtype=float), **TOL)


def test_omega2_closed_form_from_welch_f(scores):
    res = compare_groups(scores, scores["level"], dvs=["AW", "PM", "IM"])
    for _, row in res.iterrows():
        f, df1, n = row["F"], row["df1"], row["n"]
        hand = max(0.0, df1 * (f - 1) / (df1 * (f - 1) + n))
        np.testing.assert_allclose(row["omega2"], hand, **TOL)
        assert row["omega2_ci_low"] <= row["omega2"] <= row["omega2_ci_high"]


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pingouin.anova on pandas 3.1
def test_omega2_equals_classical_omega2_for_classical_f(scores):
    # The formula is the textbook one-way ω² rewritten in terms of F (df2 = N − k).
    df = _pg_frame(scores, "PM", "level")
    aov = pg.anova(data=df, dv="PM", between="level", detailed=True)
    ss_b, ss_w = aov.loc[0, "SS"], aov.loc[1, "SS"]
    df1, ms_w, f = aov.loc[0, "DF"], aov.loc[1, "MS"], aov.loc[0, "F"]
    classical = (ss_b - df1 * ms_w) / (ss_b + ss_w + ms_w)
    np.testing.assert_allclose(omega_squared(f, df1, len(df)), classical, **TOL)


def test_omega2_floor_and_vectorised():
    assert omega_squared(0.5, 2, 100) == 0.0
    np.testing.assert_allclose(omega_squared([5.0, 0.5], [2, 2], [100, 100]), [8 / 108, 0.0], **TOL)


@pytest.mark.parametrize("F, df1, df2, n, conf", [(10.6, 2, 186.9, 465, 0.95), (4.1, 3, 72.4, 465, 0.90),
                                                  (2.4, 3, 70.7, 465, 0.95)])
def test_omega2_ci_inverts_noncentral_f(F, df1, df2, n, conf):
    lo, hi = omega_squared_ci(F, df1, df2, n, conf)
    alpha = 1 - conf

    def lam(w):
        return n * w / (1 - w)

    np.testing.assert_allclose(stats.ncf.cdf(F, df1, df2, lam(hi)), alpha / 2, atol=1e-8)
    if lo > 0:
        np.testing.assert_allclose(stats.ncf.cdf(F, df1, df2, lam(lo)), 1 - alpha / 2, atol=1e-8)
    else:  # no positive root: the central F already puts F below the 1 − α/2 quantile
        assert stats.f.cdf(F, df1, df2) <= 1 - alpha / 2


def test_omega2_ci_is_zero_for_tiny_f():
    lo, hi = omega_squared_ci(0.2, 2, 150, 300)
    assert lo == 0.0 and 0 < hi < 0.02
    assert omega_squared_ci(0.001, 2, 150, 300) == (0.0, 0.0)
    assert np.isnan(omega_squared_ci(np.nan, 2, 150, 300)).all()


def test_padjust_holm_matches_statsmodels(scores):
    res = compare_groups(scores, "level", dvs=["AW", "PM", "IM"])
    np.testing.assert_allclose(res["p_adjusted"], multipletests(res["pvalue"], method="holm")[1], **TOL)
    bonf = compare_groups(scores, "level", dvs=["AW", "PM", "IM"], padjust="bonf")
    np.testing.assert_allclose(bonf["p_adjusted"], np.minimum(1, 3 * bonf["pvalue"]), **TOL)


# ------------------------------------------------------------------ small groups
def test_small_group_dropped_and_reported():
    sc = _small_group_scores()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # dropping is reported in the table, not warned about
        res = compare_groups(sc, "area")
    row = res.iloc[0]
    assert row["dropped_groups"] == "island"
    assert row["k"] == 2 and row["n"] == 45  # 25 urban + 20 rural; missing area ignored
    ref_df = sc[sc["area"].isin(["urban", "rural"])].astype({"area": object}).reset_index(drop=True)
    ref = pg.welch_anova(data=ref_df, dv="PM", between="area")
    np.testing.assert_allclose([row["F"], row["df2"], row["pvalue"]],
                               ref.loc[0, ["F", "ddof2", "p_unc"]].to_numpy(dtype=float), **TOL)
    # With a threshold of 3 the island group enters the test.
    assert compare_groups(sc, "area", min_cell=3).loc[0, "k"] == 3
    gh = posthoc_games_howell(sc, "PM", "area", order=["urban", "rural", "island"])
    assert gh[["A", "B"]].values.tolist() == [["urban", "rural"]]
    assert gh.loc[0, "dropped_groups"] == "island"


def test_missing_group_values_ignored(scores):
    sc = scores[["PM", "level"]].copy()
    sc["level"] = sc["level"].astype("string")
    sc.loc[sc.index[:17], "level"] = pd.NA
    sc.loc[sc.index[20:25], "PM"] = np.nan
    res = compare_groups(sc, "level")
    dropped = sc.dropna()
    ref = compare_groups(dropped, "level")
    pd.testing.assert_frame_equal(res, ref)
    assert res.loc[0, "n"] == len(dropped) < len(sc)
    pd.testing.assert_frame_equal(posthoc_games_howell(sc, "PM", "level"),
                                  posthoc_games_howell(dropped, "PM", "level"))


def test_fewer_than_two_groups_and_zero_variance_warn():
    sc = pd.DataFrame({"PM": [3.0, 4.0, 3.5, 4.5, 3.0, 2.0, 5.0], "g": ["a"] * 5 + ["b"] * 2})
    with pytest.warns(UserWarning, match="fewer than two groups"):
        res = compare_groups(sc, "g")
    assert np.isnan(res.loc[0, "F"]) and res.loc[0, "dropped_groups"] == "b"
    assert posthoc_games_howell(sc, "PM", "g").empty
    const = pd.DataFrame({"PM": [3.0] * 5 + [3.0, 4.0, 5.0, 4.0, 3.0], "g": ["a"] * 5 + ["b"] * 5})
    with pytest.warns(UserWarning, match="zero variance"):
        assert np.isnan(compare_groups(const, "g").loc[0, "F"])


# ----------------------------------------------------------------- Games–Howell
def test_games_howell_matches_pingouin_in_codebook_order(scores, cb):
    gh = posthoc_games_howell(scores, "PM", "level", codebook=cb)
    assert gh[["A", "B"]].values.tolist() == [["city", "district"], ["city", "commune"],
                                              ["district", "commune"]]
    df = _pg_frame(scores, "PM", "level")
    df["level"] = pd.Categorical(df["level"], categories=LEVELS)
    ref = pg.pairwise_gameshowell(data=df, dv="PM", between="level", effsize="hedges")
    cols = ["mean_A", "mean_B", "diff", "se", "T", "df", "pval", "hedges"]
    np.testing.assert_allclose(gh[cols].to_numpy(float), ref[cols].to_numpy(float), **TOL)
    for _, row in gh.iterrows():
        x, y = df.loc[df["level"] == row["A"], "PM"], df.loc[df["level"] == row["B"], "PM"]
        assert (row["n_A"], row["n_B"]) == (len(x), len(y))
        g = pg.compute_effsize(x, y, paired=False, eftype="hedges")
        np.testing.assert_allclose(row["hedges"], g, **TOL)
        ci = pg.compute_esci(stat=g, nx=len(x), ny=len(y), eftype="hedges", confidence=0.95, decimals=15)
        np.testing.assert_allclose(row[["hedges_ci_low", "hedges_ci_high"]].to_numpy(float), ci, **TOL)


def test_games_howell_order_does_not_change_statistics(scores):
    # pingouin alone orders groups alphabetically; reversing a pair flips the signs only.
    ours = posthoc_games_howell(scores, "AW", "level", order=LEVELS, conf=0.9)
    alpha = pg.pairwise_gameshowell(data=_pg_frame(scores, "AW", "level"), dv="AW", between="level",
                                    effsize="hedges")
    for _, row in ours.iterrows():
        hit = alpha[((alpha["A"] == row["A"]) & (alpha["B"] == row["B"]))
                    | ((alpha["A"] == row["B"]) & (alpha["B"] == row["A"]))].iloc[0]
        sign = 1 if hit["A"] == row["A"] else -1
        np.testing.assert_allclose([row["diff"], row["T"], row["hedges"]],
                                   [sign * hit["diff"], sign * hit["T"], sign * hit["hedges"]], **TOL)
        np.testing.assert_allclose([row["pval"], row["df"]], [hit["pval"], hit["df"]], **TOL)
    assert (ours["conf"] == 0.9).all()


# ------------------------------------------------------------------------ errors
def test_errors_are_clear(scores, data, cb):
    bad = scores.assign(AW=scores["AW"].astype(str))
    with pytest.raises(TypeError, match="dv 'AW' is not numeric"):
        compare_groups(bad, "level", dvs=["AW"])
    with pytest.raises(TypeError, match="not numeric"):
        compare_groups(scores, "level")  # area, position, ... are text columns
    with pytest.raises(TypeError, match="dv 'AW' is not numeric"):
        posthoc_games_howell(bad, "AW", "level")
    with pytest.raises(KeyError, match="group='levle' is not a column"):
        compare_groups(scores, "levle")
    with pytest.raises(KeyError, match="group='levle' is not a column"):
        posthoc_games_howell(scores, "PM", "levle")
    with pytest.raises(KeyError, match="dv 'XX'"):
        posthoc_games_howell(scores, "XX", "level")
    with pytest.raises(ValueError, match="not aligned"):
        compare_groups(scores[["PM"]], scores["level"].iloc[:10])
    with pytest.raises(ValueError, match="padjust"):
        compare_groups(scores, "level", dvs="PM", padjust="tukey")
    with pytest.raises(ValueError, match="min_cell"):
        compare_groups(scores, "level", dvs="PM", min_cell=-1)
    with pytest.raises(KeyError, match="'levle' is not a column"):
        group_comparison_table(data, cb, ["PM"], by="levle")
    with pytest.raises(ValueError, match="integer attribute"):
        group_comparison_table(data, cb, ["PM"], by="age")
    with pytest.raises(KeyError, match="'levle' is not a column"):
        agreement_chi2(data, cb, "RT", "levle")


# ------------------------------------------------------------------------- table
def test_group_comparison_table(data, cb, scores):
    d = data.copy()
    d["area"] = d["area"].astype("string")
    island = d.index[d["area"] == "island"]
    assert len(island) >= 5, "the simulated sample should contain at least 5 island officials"
    d.loc[island[3:], "area"] = pd.NA  # leave 3 island officials: suppressed and dropped
    tab = group_comparison_table(d, cb, ["AW", "PM"], by=("level", "area"))
    assert tab[["by", "construct"]].drop_duplicates().values.tolist() == [
        ["level", "AW"], ["level", "PM"], ["area", "AW"], ["area", "PM"]]
    lev = tab[(tab["by"] == "level") & (tab["construct"] == "PM")]
    assert lev["row"].tolist() == ["group"] * 3 + ["welch"] + ["games_howell"] * 3
    assert lev.loc[lev["row"] == "group", "level"].tolist() == LEVELS
    grp = lev[lev["row"] == "group"].set_index("level")
    for level in LEVELS:
        v = scores.loc[scores["level"] == level, "PM"]
        np.testing.assert_allclose(grp.loc[level, ["mean", "sd"]].to_numpy(float), [v.mean(), v.std()], **TOL)
        assert grp.loc[level, "n"] == len(v)
    welch = lev[lev["row"] == "welch"].iloc[0]
    ref = compare_groups(scores, "level", dvs="PM").iloc[0]
    np.testing.assert_allclose(welch[["F", "df2", "pvalue", "estimate", "ci_low", "eta2"]].to_numpy(float),
                               ref[["F", "df2", "pvalue", "omega2", "omega2_ci_low", "eta2"]].to_numpy(float),
                               **TOL)
    area = tab[(tab["by"] == "area") & (tab["construct"] == "AW")]
    isl = area[area["level"] == "island"].iloc[0]
    assert isl["suppressed"] and pd.isna(isl["n"]) and pd.isna(isl["mean"]) and pd.isna(isl["sd"])
    assert area.loc[area["row"] == "welch", "dropped_groups"].item() == "island"
    assert "island" not in set(area["A"].dropna()) | set(area["B"].dropna())
    # Holm across every omnibus test of the table; pairs keep their Games–Howell p.
    w = tab["row"] == "welch"
    np.testing.assert_allclose(tab.loc[w, "p_adjusted"], multipletests(tab.loc[w, "pvalue"], method="holm")[1],
                               **TOL)
    assert tab.loc[~w, "p_adjusted"].isna().all()
    assert set(tab.loc[tab["row"] == "games_howell", "effect"]) == {"hedges"}
    no_pairs = group_comparison_table(d, cb, "PM", by="level", posthoc=False)
    assert no_pairs["row"].tolist() == ["group"] * 3 + ["welch"]


# ------------------------------------------------------------------ agreement χ²
def _agree_table(data, item, group, reverse=False):
    x = data[item].astype(float)
    if reverse:
        x = 6 - x
    df = pd.DataFrame({"agree": x.isin([4, 5]), "g": data[group]})[x.notna() & data[group].notna()]
    return pd.crosstab(df["agree"], df["g"]).to_numpy(float)


def test_agreement_chi2_matches_scipy_and_hand_cramer(data, cb):
    d = data.copy()
    d.loc[d.index[:9], "PM1"] = np.nan  # missing answers are left out of the table
    d["level"] = d["level"].astype("string")
    d.loc[d.index[9:15], "level"] = pd.NA  # as are missing groups
    res = agreement_chi2(d, cb, "PM", "level").set_index("item")
    assert res.index.tolist() == ["PM1", "PM2", "PM3", "PM4", "PM5", "composite"]
    for item in ["PM1", "PM5"]:
        obs = _agree_table(d, item, "level", reverse=(item == "PM5"))
        chi2, p, dof, exp = stats.chi2_contingency(obs, correction=False)
        n = obs.sum()
        row = res.loc[item]
        assert row["n"] == n and row["k"] == 3
        np.testing.assert_allclose(row[["chi2", "pvalue", "dof", "min_expected"]].to_numpy(float),
                                   [chi2, p, dof, exp.min()], **TOL)
        v = np.sqrt(chi2 / (n * (min(obs.shape) - 1)))
        np.testing.assert_allclose(row["cramers_v"], v, **TOL)
        np.testing.assert_allclose(row["cramers_v"], association(obs.astype(int), method="cramer"), **TOL)
        r, c = obs.shape
        phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
        v_corr = np.sqrt(phi2 / min(r - (r - 1) ** 2 / (n - 1) - 1, c - (c - 1) ** 2 / (n - 1) - 1))
        np.testing.assert_allclose(row["cramers_v_corrected"], v_corr, **TOL)
    np.testing.assert_allclose(res["p_adjusted"], multipletests(res["pvalue"], method="holm")[1], **TOL)


def test_agreement_chi2_matches_pingouin_without_missing(data, cb):
    # pingouin takes N from all rows of its input, so it agrees only on complete data.
    res = agreement_chi2(data, cb, ["RT2"], "area")
    df = pd.DataFrame({"agree": data["RT2"].isin([4, 5]), "area": data["area"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pingouin warns about every low count
        _, _, st = pg.chi2_independence(df, "agree", "area", correction=False)
    pear = st.set_index("test").loc["pearson"]
    np.testing.assert_allclose(res.loc[0, ["chi2", "pvalue", "cramers_v"]].to_numpy(float),
                               [pear["chi2"], pear["pval"], pear["cramer"]], **TOL)


def test_agreement_chi2_small_groups_and_yates(data, cb):
    d = data.copy()
    d["area"] = d["area"].astype("string")
    island = d.index[d["area"] == "island"]
    assert len(island) >= 5, "the simulated sample should contain at least 5 island officials"
    d.loc[island[4:], "area"] = pd.NA
    res = agreement_chi2(d, cb, "RT1", "area")
    assert res.loc[0, "dropped_groups"] == "island" and res.loc[0, "k"] == 2
    obs = _agree_table(d[d["area"] != "island"], "RT1", "area")
    # the 4 island officials are suppressed in the shares with a complement that the test
    # keeps, so the test's n (the kept groups' total) would give that complement back
    shares = agreement_share(d, cb, ["RT1"], by="area")
    rt1 = shares[(shares["item"] == "RT1") & (shares["group"] != "all")]
    assert rt1["suppressed"].sum() == 2 and pd.isna(res.loc[0, "n"])
    whole = agreement_chi2(d, cb, "RT1", "area", min_cell=4)  # island kept, nothing suppressed
    assert whole.loc[0, "n"] == _agree_table(d, "RT1", "area").sum()
    yates = agreement_chi2(d, cb, "RT1", "area", correction=True)
    ref = stats.chi2_contingency(obs, correction=True)
    np.testing.assert_allclose(yates.loc[0, ["chi2", "pvalue"]].to_numpy(float), [ref.statistic, ref.pvalue],
                               **TOL)
    np.testing.assert_allclose(yates.loc[0, "cramers_v"], res.loc[0, "cramers_v"], **TOL)  # V from Pearson χ²
    # With the threshold lowered the island group enters and its expected counts are flagged.
    low = agreement_chi2(d, cb, "RT1", "area", min_cell=2)
    assert low.loc[0, "k"] == 3 and low.loc[0, "low_expected"] and low.loc[0, "min_expected"] < 5


def test_agreement_chi2_everyone_agrees(cb):
    d = pd.DataFrame({"RT1": [5] * 12, "level": ["city"] * 6 + ["commune"] * 6})
    res = agreement_chi2(d, cb, ["RT1"], "level")
    assert res.loc[0, "k"] == 2 and np.isnan(res.loc[0, "chi2"]) and np.isnan(res.loc[0, "p_adjusted"])


def test_cramers_v_bergsma_shrinks_towards_zero():
    assert cramers_v(0.5, 100, (2, 4), corrected=True) == 0.0
    assert cramers_v(30.0, 100, (2, 4), corrected=True) < cramers_v(30.0, 100, (2, 4))
