"""Tests for hpmob.plots: figures build, carry the codebook's labels, and render Vietnamese.

The font check reads the font file's character map with fontTools, so a font that
would draw empty boxes for "ế" or "ự" fails here rather than in the published book.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: tests must never need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from hpmob.plots import (  # noqa: E402
    FONT_CANDIDATES,
    VIETNAMESE_SAMPLE,
    composites_by_level,
    likert_diverging,
    missing_glyphs,
    use_vietnamese_font,
)
from hpmob.score import VN_BANDS, composite_by_group, composite_scores  # noqa: E402
from hpmob.simulate import simulate_sample  # noqa: E402

# Letters with stacked diacritics that many Latin fonts lack.
#: What the study layer passes for this study's composites figure (plan grouping, 1–5 scale, bands).
BY_LEVEL = {"group": "level", "scale": (1.0, 5.0), "bands": VN_BANDS}
HARD = "ếựỗẫĐ"


@pytest.fixture(scope="module")
def sample(cb):
    s = simulate_sample(n=250, seed=3)
    df = s.attributes.join(s.answers.astype("float64"))
    df.loc[df.index[::17], "AW2"] = np.nan
    return df


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plotting functions must return the Figure, never call plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


def _texts(fig):
    """Every text string drawn in the figure (tick labels, titles, legends, notes)."""
    fig.canvas.draw()
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def _cmap_of(family: str, weight: str = "normal") -> set[int]:
    props = font_manager.FontProperties(family=family, weight=weight)
    path = font_manager.findfont(props, fallback_to_default=False)
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return set(font.getBestCmap())


def _cmap_of_text(t) -> tuple[str, set[int]]:
    """Family name and character map of the font file a Text object is drawn with."""
    path = font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return font_manager.get_font(path).family_name, set(font.getBestCmap())


# --------------------------------------------------------------------------- fonts
def test_chosen_font_has_vietnamese_glyphs():
    family = use_vietnamese_font()
    assert family in FONT_CANDIDATES
    assert matplotlib.rcParams["font.family"] == [family]
    for weight in ("normal", "bold"):
        cmap = _cmap_of(family, weight)
        assert ord("ế") in cmap and ord("ự") in cmap
        assert all(ord(ch) in cmap for ch in VIETNAMESE_SAMPLE)
    assert missing_glyphs(family) == ""


def test_font_without_vietnamese_is_refused():
    # cmr10 ships with matplotlib and has no Vietnamese letters.
    assert "ế" in missing_glyphs("cmr10", HARD)
    with pytest.raises(RuntimeError, match=r"cmr10: lacks \d+ letters.*fonts-noto-core"):
        use_vietnamese_font("cmr10")
    with pytest.raises(RuntimeError, match="not installed"):
        use_vietnamese_font("No Such Font 123")
    with pytest.raises(ValueError, match="not installed"):
        missing_glyphs("No Such Font 123")


# -------------------------------------------------------------------- Likert bars
def test_likert_one_bar_group_per_item_with_vietnamese_labels(cb, sample):
    fig = likert_diverging(sample, cb, lang="vi")
    assert isinstance(fig, matplotlib.figure.Figure)
    constructs = list(cb.constructs["code"])
    assert len(fig.axes) == len(constructs)
    labels = [lab.get_text() for ax in fig.axes for lab in ax.get_yticklabels()]
    assert len(labels) == len(cb.item_columns)
    # Item code first, in codebook order; reverse-keyed items marked.
    assert [lab.split()[0] for lab in labels] == cb.item_columns
    assert labels[cb.item_columns.index("AW5")].startswith("AW5 (R)")
    # One stack of bars per item: 5 segments (one per category) at each tick.
    for ax, con in zip(fig.axes, constructs):
        n_items = len(cb.items_of(con))
        assert len(ax.patches) == 5 * n_items
        centres = {round(p.get_y() + p.get_height() / 2, 6) for p in ax.patches}
        assert len(centres) == n_items
        assert ax.get_title(loc="left").startswith(f"{con} — ")
    joined = " ".join(labels) + " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert "ế" in joined and "ự" in joined
    assert "Nhận thức về quan điểm của Đảng" in fig.axes[0].get_title(loc="left")
    legend_text = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "Hoàn toàn không đồng ý" in legend_text and "Rất cần thiết" in legend_text
    assert fig.axes[-1].get_xlabel() == "Tỷ lệ người trả lời (%)"


def test_likert_text_is_drawn_in_the_vietnamese_font(cb, sample):
    fig = likert_diverging(sample, cb, lang="vi", constructs=["AW", "RT"])
    family = matplotlib.rcParams["font.family"][0]
    texts = _texts(fig)
    assert any(t.get_fontweight() == "bold" for t in texts)  # titles: the bold face is checked too
    for t in texts:
        name, cmap = _cmap_of_text(t)
        assert name == family, t.get_text()
        missing = {ch for ch in t.get_text() if not ch.isspace() and ord(ch) not in cmap}
        assert not missing, (t.get_text(), missing)


def test_likert_shares_and_english(cb, sample):
    fig = likert_diverging(sample, cb, lang="en", constructs=["RT"])
    ax = fig.axes[0]
    x = sample["RT1"].dropna()
    expected = 100 * np.array([(x == c).mean() for c in range(1, 6)])
    # RT1 is the top bar; its widths are the category shares (left side drawn negative).
    top = max(p.get_y() for p in ax.patches)
    widths = sorted(abs(p.get_width()) for p in ax.patches if p.get_y() == top)
    np.testing.assert_allclose(widths, sorted(expected), atol=1e-9)
    legend_text = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert legend_text == ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    assert ax.get_yticklabels()[0].get_text().startswith("RT1  Mass mobilization")


def test_likert_long_labels_are_cut(cb, sample):
    fig = likert_diverging(sample, cb, constructs=["AW"], label_width=30, label_lines=2)
    for lab in fig.axes[0].get_yticklabels():
        lines = lab.get_text().split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 30 for line in lines)
    assert fig.axes[0].get_yticklabels()[0].get_text().endswith("…")


def test_likert_errors(cb, sample):
    with pytest.raises(KeyError, match="unknown construct 'XX'"):
        likert_diverging(sample, cb, constructs=["XX"])
    with pytest.raises(ValueError, match="lang"):
        likert_diverging(sample, cb, lang="fr")
    with pytest.raises(KeyError, match="AW3"):
        likert_diverging(sample.drop(columns=["AW3"]), cb, constructs=["AW"])


# -------------------------------------------------------------- composites by level
@pytest.fixture(scope="module")
def summary(cb, sample):
    scores = composite_scores(sample, cb, constructs=["AW", "RT", "PM", "IM"])
    return composite_by_group(scores, sample["level"])


def test_composites_by_level(cb, summary):
    fig = composites_by_level(summary, lang="vi", codebook=cb, **BY_LEVEL)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [lab.split()[0] for lab in labels] == ["AW", "RT", "PM", "IM"]
    assert "Nắm vững nguyên tắc" in labels[2]
    assert len(ax.containers) == 3  # one errorbar series per level
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    expected = ["Cấp thành phố", "Cấp quận, huyện", "Cấp xã, phường, thị trấn"]
    assert [s.split(" (n")[0] for s in legend] == expected
    assert "khoảng tin cậy 95%" in ax.get_xlabel()
    # Points sit at the means: city's PM point equals the summary value.
    city = ax.containers[0].lines[0].get_xdata()
    expected = summary[summary["group"] == "city"]["mean"].to_numpy()
    np.testing.assert_allclose(city, expected)
    for t in _texts(fig):
        _, cmap = _cmap_of_text(t)
        assert all(ord(ch) in cmap for ch in t.get_text() if not ch.isspace()), t.get_text()


def test_composites_by_level_suppressed_and_errors(cb, summary):
    s = summary.copy()
    s.loc[s.index[0], ["mean", "ci_low", "ci_high"]] = np.nan
    s.loc[s.index[0], "suppressed"] = True
    fig = composites_by_level(s, lang="en", codebook=cb, **BY_LEVEL)
    assert "suppressed" in fig.get_supxlabel()
    assert len(fig.axes[0].containers[0].lines[0].get_xdata()) == 3
    with pytest.raises(ValueError, match="not values of .level."):
        composites_by_level(s.assign(group="urban"), codebook=cb, **BY_LEVEL)
    with pytest.raises(KeyError, match="ci_low"):
        composites_by_level(s.drop(columns=["ci_low"]), codebook=cb, **BY_LEVEL)
    with pytest.raises(TypeError):
        composites_by_level(pd.Series([1.0]), **BY_LEVEL)


def test_cleaning_flow_figure_shows_every_rule_and_the_counts():
    import pandas as pd

    from hpmob.plots import cleaning_flow_figure

    flow = pd.DataFrame({"step": [0, 1, 2, 6], "rule": ["raw submissions", "duplicate", "speeder", "analysed"],
                         "n_excluded": [0, 3, 2, 5], "n_remaining": [50, 47, 45, 45]})
    fig = cleaning_flow_figure(flow)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Raw submissions\nn = 50" in texts and "Analysed respondents\nn = 45" in texts
    assert any("Duplicate submission\nn = 3" in t for t in texts)
    assert any("Speeder" in t and "n = 2" in t for t in texts)
    vi = [t.get_text() for t in cleaning_flow_figure(flow, lang="vi").axes[0].texts]
    assert any("Phiếu nộp trùng" in t for t in vi)


def test_cleaning_flow_figure_prints_no_suppressed_count():
    import pandas as pd

    from hpmob.disclosure import suppress_flow
    from hpmob.plots import cleaning_flow_figure

    flow = suppress_flow(pd.DataFrame({
        "rule": ["raw submissions", "duplicate", "impossible_value", "no_group_value", "analysed"],
        "n_excluded": [0, 13, 6, 3, 22], "n_remaining": [100, 87, 81, 78, 78]}), threshold=5)
    texts = [t.get_text() for t in cleaning_flow_figure(flow).axes[0].texts]
    assert any("No value of the grouping variable\nn = suppressed" in t for t in texts)
    assert any("Impossible value\nn = suppressed" in t for t in texts)
    assert "n = suppressed" in texts and "Analysed respondents\nn = 78" in texts  # 81 remaining is blank
    assert not any(f"n = {k}" in t for t in texts for k in (3, 6, 81))
    vi = [t.get_text() for t in cleaning_flow_figure(flow, lang="vi").axes[0].texts]
    assert any("Không có giá trị của biến nhóm\nn = ẩn" in t for t in vi)


def test_measurement_diagram_shows_every_loading_and_factor_correlation():
    import pandas as pd

    from hpmob.plots import measurement_diagram

    est = pd.DataFrame([
        ("F", "=~", "a", 0.8), ("F", "=~", "b", 0.4), ("G", "=~", "c", 0.7), ("G", "=~", "d", 0.6),
        ("F", "~~", "G", 0.35), ("F", "~~", "F", 1.0), ("G", "~~", "G", 1.0),
    ], columns=["lhs", "op", "rhs", "std.all"])
    fig = measurement_diagram(est, min_loading=0.5)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"F", "G", "a", "b", "c", "d", "0.80", "0.40", "0.70", "0.60"} <= set(texts)
    weak = [t for t in fig.axes[0].texts if t.get_text() == "0.40"][0]
    assert weak.get_color() == "#b2182b"  # below the threshold: highlighted
    assert "0.35" in [t.get_text() for t in fig.axes[1].texts]


def test_latent_means_figure_has_a_point_and_interval_per_group_and_factor():
    import pandas as pd

    from hpmob.plots import latent_means_figure

    table = pd.DataFrame({
        "factor": ["PM"] * 3 + ["AW"] * 3,
        "group_label": ["city", "district", "commune"] * 2,
        "est": [0, -0.2, -0.5, 0, -0.1, -0.3],
        "ci.lower": [0, -0.4, -0.7, 0, -0.3, -0.5],
        "ci.upper": [0, 0.0, -0.3, 0, 0.1, -0.1],
    })
    fig = latent_means_figure(table, lang="vi", group="level")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PM", "AW"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Cấp thành phố", "Cấp quận, huyện", "Cấp xã, phường, thị trấn"]


def test_structural_diagram_labels_paths_and_marks_uncertain_ones():
    import pandas as pd

    from hpmob.plots import structural_diagram

    est = pd.DataFrame([
        ("AW", "=~", "AW1", 0.7, 0.0, 0.0), ("PM", "=~", "PM1", 0.7, 0.0, 0.0),
        ("PM", "~", "AW", 0.45, 0.3, 0.6), ("PM", "~", "training_z", 0.05, -0.1, 0.2),
        ("PM", "~~", "PM", 0.64, 0.0, 0.0),
    ], columns=["lhs", "op", "rhs", "std.all", "ci.lower", "ci.upper"])
    fig = structural_diagram(est)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"0.45", "0.05", "AW", "PM", "training_z", "R² = 0.36"} <= set(texts)
    with pytest.raises(ValueError, match="no position for XY"):
        structural_diagram(est.assign(rhs=est["rhs"].replace("AW", "XY")),
                           layout={"AW": (0, 0), "PM": (1, 0), "training_z": (0, 1)})


def test_robustness_figure_has_a_panel_per_claim_and_a_row_per_variant():
    import pandas as pd

    from hpmob.plots import robustness_figure

    table = pd.DataFrame({
        "claim": ["A", "A", "B", "B"], "hypothesis": ["H1", "H1", "H6 (AW)", "H6 (AW)"],
        "variant": ["main", "alt"] * 2, "estimate": [0.3, 0.2, -0.3, -0.1], "ci_low": [0.1, -0.1, -0.5, -0.3],
        "ci_high": [0.5, 0.4, -0.1, 0.1], "verdict": ["supported", "not supported"] * 2, "changes": [False, True] * 2,
    })
    fig = robustness_figure(table, hypotheses=["H1", "H6"])
    titled = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in titled] == ["H1: A", "H6 (AW): B"]
    assert [t.get_text() for t in titled[0].get_yticklabels()] == ["main", "alt"]
    # the caller chooses the claims: by full label, and a label that is no claim shows nothing
    only = robustness_figure(table, hypotheses=["H6 (AW)"])
    assert [ax.get_title(loc="left") for ax in only.axes if ax.get_title(loc="left")] == ["H6 (AW): B"]
    with pytest.raises(TypeError, match="list of labels"):
        robustness_figure(table, hypotheses="H1")


# ---------------------------------------------------------------- legible on the page
def _structural_estimates():
    rows = [("AW", "=~", "AW1", 0.7, 0.0, 0.0), ("PM", "=~", "PM1", 0.7, 0.0, 0.0), ("IM", "=~", "IM1", 0.7, 0, 0)]
    for c in ("DT", "SE", "CO"):
        rows += [(c, "=~", f"{c}1", 0.7, 0.0, 0.0), ("IM", "~", c, -0.13, -0.3, 0.01)]
    rows += [("PM", "~", "AW", 0.43, 0.3, 0.6), ("PM", "~", "training_z", 0.26, 0.1, 0.4),
             ("IM", "~", "PM", 0.47, 0.3, 0.6), ("IM", "~", "AW", 0.08, -0.05, 0.2),
             ("PM", "~", "district", 0.03, -0.1, 0.2), ("PM", "~", "commune", -0.19, -0.3, -0.05),
             ("IM", "~", "district", -0.07, -0.2, 0.1), ("IM", "~", "commune", -0.0, -0.1, 0.1),
             ("PM", "~~", "PM", 0.61, 0, 0), ("IM", "~~", "IM", 0.53, 0, 0)]
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "std.all", "ci.lower", "ci.upper"])


def _cfa_estimates(cb):
    rows = []
    for c in cb.reflective_constructs:
        rows += [(c, "=~", i, 0.45 + 0.05 * k, 0, 0) for k, i in enumerate(cb.items_of(c))]
    cons = cb.reflective_constructs
    rows += [(a, "~~", b, 0.3, 0, 0) for i, a in enumerate(cons) for b in cons[i + 1:]]
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "std.all", "ci.lower", "ci.upper"])


def _every_figure(cb, sample, summary):
    from hpmob import plots

    names = cb.constructs.set_index("code")["label_en"].to_dict()
    flow = pd.DataFrame({"step": range(4), "rule": ["raw submissions", "duplicate", "speeder", "analysed"],
                         "n_excluded": [0, 4, 2, 0], "n_remaining": [100, 96, 94, 94]})
    pa = pd.DataFrame({"factor": range(1, 11), "observed": np.linspace(5, 0.5, 10),
                       "simulated_mean": np.linspace(1.5, 0.8, 10), "simulated_quantile": np.linspace(1.6, 0.9, 10),
                       "retain": [True] * 4 + [False] * 6})
    latent = pd.DataFrame({"factor": ["PM", "PM", "AW", "AW"], "group_label": ["district", "commune"] * 2,
                           "est": [-0.2, -0.5, -0.1, -0.3], "ci.lower": [-0.4, -0.7, -0.3, -0.5],
                           "ci.upper": [0.0, -0.3, 0.1, -0.1]})
    curve = pd.DataFrame({"effect": ["H6 commune - city"] * 3 + ["H3 indirect"] * 3, "n_per_level": [40, 80, 120] * 2,
                          "power": [0.5, 0.8, 0.95, 0.3, 0.6, 0.8], "mc_se": [0.05] * 6})
    robust = pd.DataFrame({"claim": ["A long claim about awareness and mastery"] * 3, "hypothesis": ["H1"] * 3,
                           "variant": ["main", "mlr", "strict"], "estimate": [0.3, 0.2, 0.1],
                           "ci_low": [0.1, 0.0, -0.1], "ci_high": [0.5, 0.4, 0.3],
                           "verdict": ["supported", "supported", "not supported"], "changes": [False, False, True]})
    figs = {f"likert {c}": plots.likert_diverging(sample, cb, constructs=[c]) for c in cb.constructs["code"]}
    figs["likert PM vi"] = plots.likert_diverging(sample, cb, constructs=["PM"], lang="vi")
    figs.update({
        "composites": plots.composites_by_level(summary, codebook=cb, **BY_LEVEL),
        "cleaning flow": plots.cleaning_flow_figure(flow),
        "parallel analysis": plots.parallel_analysis_figure(pa),
        "latent means": plots.latent_means_figure(latent, codebook=cb, group="level", names=names),
        "cfa": plots.measurement_diagram(_cfa_estimates(cb), names=names),
        "structural": plots.structural_diagram(_structural_estimates(), exclude_lhs=("AW", "DT", "SE", "CO"),
                                               names=dict(names, training_z="Training courses",
                                                          district="District level", commune="Commune level")),
        "power": plots.power_curve_figure(curve),
        "robustness": plots.robustness_figure(robust, hypotheses=["H1"]),
    })
    return figs


def test_every_figure_is_legible_at_the_column_width(cb, sample, summary):
    from hpmob.plots import MIN_TEXT_PX, smallest_text_px

    sizes = {name: smallest_text_px(fig) for name, fig in _every_figure(cb, sample, summary).items()}
    small = {name: round(px, 1) for name, px in sizes.items() if px < MIN_TEXT_PX}
    assert small == {}, f"text smaller than {MIN_TEXT_PX} px at the book's column width: {small}"


def test_no_figure_has_overlapping_labels(cb, sample, summary):
    from hpmob.plots import overlapping_texts

    overlaps = {name: overlapping_texts(fig) for name, fig in _every_figure(cb, sample, summary).items()}
    assert {name: pairs for name, pairs in overlaps.items() if pairs} == {}


def test_likert_item_wording_is_never_cut_and_english_is_the_default(cb, sample):
    fig = likert_diverging(sample, cb, constructs=["AW"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not any("…" in lab for lab in labels)
    assert "Resolution 25-NQ/TW" in " ".join(labels).replace("\n", " ")
    assert fig.axes[0].get_title(loc="left").startswith("AW — Awareness")


def test_structural_diagram_names_nodes_in_words_and_keeps_long_names_in_a_key():
    from hpmob.plots import structural_diagram

    fig = structural_diagram(_structural_estimates(), exclude_lhs=("AW", "DT", "SE", "CO"),
                             names={"training_z": "Training courses", "AW": "Awareness of the Party's viewpoints"})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Training\ncourses" in texts and "training_z" not in texts
    assert any(t.startswith("AW: Awareness of the Party's viewpoints") for t in texts)
