"""Disclosure control (issue 19): no count under 5 can be derived from what a run publishes.

Unit tests of :mod:`hpmob.disclosure`; a governance level of three officials is merged by
cleaning's declared rule (and ``hpmob run`` stops before any notebook, since notebooks
04-06 compare every level); then the acceptance test: an export in which one area and one
position have three officials each (merged by the same rule) is run through the
whole study (``hpmob run --raw``, with its book), and an "attacker" derives every count
it can from the published tables, the figure texts and the book's pages: published cells,
blank cells recovered by subtraction from a published total, and sums of blank cells.
None may lie in 1–4. The export also has exactly three respondents without a governance
level whom the other rules keep: the plan's grouping (``missing: exclude``) has cleaning
exclude them (rule ``no_group_value``), so the models within and across levels use the
same N; the flow, itself a published table, hides that 3 with a complement and the
numbers remaining that would give it back. The "No answer" rows of the other attributes
(area, position, theory level) are cells of their partitions, suppressed with a complement.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hpmob.codebook import normalize_label
from hpmob.disclosure import (
    find_small_counts,
    merge_small_groups,
    suppress_flow,
    suppress_small_groups,
    suppression_pattern,
)

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 5
FAST = ["-p", "n_boot", "50", "-p", "n_mc", "500", "-p", "n_iter", "10", "-p", "run_ordinal", "false"]


# ------------------------------------------------------------------ units
@pytest.mark.parametrize("counts", [[3, 40, 60], [1, 1, 1, 90], [4, 0, 50, 70], [2, 3, 100], [7, 8, 9]])
def test_no_blank_count_follows_from_the_margin(counts):
    hide = suppression_pattern(counts, THRESHOLD)
    hidden = [c for c, h in zip(counts, hide) if h]
    shown = [c for c, h in zip(counts, hide) if not h]
    assert all(c == 0 or c >= THRESHOLD for c in shown)  # nothing small is printed
    if hidden:
        assert len(hidden) >= 2 and sum(hidden) >= THRESHOLD  # margin − shown is not small, not one cell
    # no subset of the blank cells is recoverable either: only their total is known
    assert sum(counts) - sum(shown) == sum(hidden)


def test_partitions_and_margin_rows_are_kept_apart():
    t = pd.DataFrame({"item": ["a"] * 4 + ["b"] * 4, "group": ["all", "x", "y", "z"] * 2,
                      "n": [103, 3, 40, 60, 110, 30, 40, 40], "share": [0.5] * 8})
    out = suppress_small_groups(t, n_col="n", threshold=5, within=["item"], margin_mask=t["group"] == "all")
    assert out["suppressed"].tolist() == [False, True, True, False, False, False, False, False]
    assert out.loc[out["suppressed"], "share"].isna().all() and out.loc[~out["suppressed"], "share"].notna().all()


def test_merge_small_groups_is_declared_and_repeated():
    v = pd.Series(["a"] * 2 + ["b"] * 2 + ["c"] * 50 + [None])
    merged, log = merge_small_groups(v, ["a", "b", "c"], 5)
    assert merged.value_counts().to_dict() == {"c": 54}
    assert log[["group", "merged_into"]].values.tolist() == [["a", "b"], ["b", "c"]]
    assert merged.isna().sum() == 1


@pytest.mark.parametrize("counts, missing", [([40, 60, 3], 3), ([40, 3, 60, 9], 9), ([1, 1, 90, 2], 2)])
def test_a_missing_category_is_a_cell_but_never_a_complement(counts, missing):
    fixed = [False] * (len(counts) - 1) + [True]
    hide = suppression_pattern(counts, THRESHOLD, fixed=fixed)
    shown = [c for c, h in zip(counts, hide) if not h]
    hidden = [c for c, h in zip(counts, hide) if h]
    assert all(c >= THRESHOLD for c in shown)
    assert len(hidden) >= 2 and sum(hidden) >= THRESHOLD
    # a missing category of 5 or more stays shown (another table may publish it anyway)
    assert hide[-1] == (missing < THRESHOLD)


def _flow(counts, n_raw=500):
    remaining = [n_raw - sum(counts[:k + 1]) for k in range(len(counts))]
    return pd.DataFrame({"rule": ["raw", *[f"r{k}" for k in range(len(counts))], "analysed"],
                         "n_excluded": [0, *counts, sum(counts)],
                         "n_remaining": [n_raw, *remaining, n_raw - sum(counts)]})


def _flow_derivations(flow):
    """Every exclusion count, or sum of consecutive ones, a reader gets from a published flow:
    published counts, differences of two published numbers remaining less the published
    counts between them, and the total excluded less the published counts."""
    exc, rem = flow["n_excluded"].iloc[1:-1].tolist(), flow["n_remaining"].tolist()
    found = [int(v) for v in exc if pd.notna(v)]
    found.append(int(flow["n_excluded"].iloc[-1]) - sum(found))
    for i in range(len(rem)):
        for j in range(i + 1, len(rem) - 1 + 1):
            if pd.notna(rem[i]) and pd.notna(rem[j]):
                between = [v for v in exc[i:j] if pd.notna(v)]  # steps i+1..j
                found.append(int(rem[i]) - int(rem[j]) - sum(int(v) for v in between))
    return found


@pytest.mark.parametrize("counts", [[13, 13, 10, 10, 6, 3], [3, 40, 0, 20], [2, 2, 30, 1], [0, 4, 9, 0, 0, 8],
                                    [13, 0, 10], [30, 2, 1, 1, 12]])
def test_no_small_exclusion_count_follows_from_the_published_flow(counts):
    flow = _flow(counts)
    out = suppress_flow(flow, threshold=THRESHOLD)
    derived = _flow_derivations(out)
    assert not [d for d in derived if 0 < d < THRESHOLD], (out, derived)
    small = [0 < c < THRESHOLD for c in counts]
    assert out["suppressed"].iloc[1:-1].tolist() >= small  # every small count is blank (at least)
    # the ends stay: raw submissions and the number analysed (and the total excluded)
    assert out["n_remaining"].iloc[[0, -1]].tolist() == flow["n_remaining"].iloc[[0, -1]].tolist()
    assert out["n_excluded"].iloc[-1] == sum(counts)
    if not any(small):
        assert not out["suppressed"].any() and out["n_remaining"].notna().all()


def test_the_shipped_flow_hides_the_three_without_a_level_with_the_smallest_other_count():
    out = suppress_flow(_flow([13, 13, 10, 10, 6, 3], n_raw=520), threshold=THRESHOLD)
    assert out.loc[out["suppressed"], "rule"].tolist() == ["r4", "r5"]  # 6 impossible values, 3 without a level
    assert out["n_remaining"].isna().tolist() == [False] * 5 + [True, False, False]  # 468 only


def _three_without_a_level():
    from hpmob.simulate import simulate_sample

    s = simulate_sample(n=300, seed=3)
    data = s.answers.join(s.attributes)
    data["level"] = data["level"].astype(object)
    data.loc[data.index[:3], "level"] = None
    return data


def test_the_group_tables_hide_three_respondents_without_a_level_with_a_complement():
    from hpmob.codebook import load_codebook
    from hpmob.compare import agreement_chi2, group_comparison_table, posthoc_games_howell
    from hpmob.sample import missingness, sample_composition
    from hpmob.score import agreement_share, composite_by_group, composite_scores

    cb, data = load_codebook(), _three_without_a_level()
    scores = composite_scores(data, cb, constructs=["PM"])
    smallest = data["level"].value_counts().idxmin()
    checks = {
        "composition": sample_composition(data, cb, ("level",)).query("value != 'missing'").set_index("value"),
        "missingness": missingness(data, cb, by="level").query("group != 'all' and item == 'PM1'").set_index("group"),
        "shares": agreement_share(data, cb, ["PM1"], by="level").query("group != 'all' and item == 'PM1'").set_index(
            "group"),
        "composites": composite_by_group(scores.join(data["level"]), "level").set_index("group"),
        "comparisons": group_comparison_table(data, cb, ["PM"], by="level").query("row == 'group'").set_index(
            "level"),
    }
    for name, table in checks.items():  # the smallest level is blank with the three, nothing else
        assert table.index[table["suppressed"].astype(bool)].tolist() == [smallest], name
        assert table.loc[smallest, "n"] is pd.NA or pd.isna(table.loc[smallest, "n"]), name
    overall = composite_by_group(scores.assign(all="all"), "all")["n"].iloc[0]
    assert overall - checks["composites"]["n"].dropna().sum() > THRESHOLD  # the three and the complement
    table = group_comparison_table(data, cb, ["PM"], by="level")
    assert pd.isna(table.loc[table["row"] == "welch", "n"]).all()  # the test's n includes the complement
    pairs = table[table["row"] == "games_howell"]
    with_smallest = (pairs["A"] == smallest) | (pairs["B"] == smallest)
    assert pairs.loc[with_smallest, "n"].isna().all() and pairs.loc[~with_smallest, "n"].notna().all()
    gh = posthoc_games_howell(scores.join(data["level"]), "PM", "level")
    assert gh.loc[gh["A"] == smallest, "n_A"].isna().all() and gh.loc[gh["B"] == smallest, "n_B"].isna().all()
    assert gh.loc[gh["A"] != smallest, "n_A"].notna().all()
    assert agreement_chi2(data, cb, ["PM1"], "level")["n"].isna().all()


def test_without_missing_answers_nothing_is_hidden():
    from hpmob.codebook import load_codebook
    from hpmob.compare import agreement_chi2, group_comparison_table
    from hpmob.simulate import simulate_sample

    cb, s = load_codebook(), simulate_sample(n=300, seed=3)
    data = s.answers.join(s.attributes)
    data = data[data["level"].notna()]
    table = group_comparison_table(data, cb, ["PM"], by="level")
    assert not table["suppressed"].fillna(False).any() and table["n"].notna().all()
    assert agreement_chi2(data, cb, ["PM1"], "level")["n"].notna().all()


def test_find_small_counts_names_file_row_and_value(tmp_path):
    pd.DataFrame({"value": ["a", "missing", "b"], "n": [3, 2, 50]}).to_csv(tmp_path / "t.csv", index=False)
    assert find_small_counts(tmp_path, 5, skip={"value": {"missing"}}) == [(tmp_path / "t.csv", 1, "n", 3)]


# ------------------------------------------------------------------ acceptance
def _export(path: Path, *, city: int | None = None, island: int | None = None, front: int | None = None,
            no_level: int | None = None) -> Path:
    """The simulator's export with only ``city`` city officials, ``island`` island officials
    and ``front`` Fatherland Front cadres (the others moved to a neighbouring value), and
    exactly ``no_level`` analysed respondents without a governance level ("Không trả lời")."""
    done = subprocess.run([sys.executable, "-m", "hpmob.cli", "simulate", "--seed", "20251201", "--n", "300",
                           "--out", path], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    for column, label, keep, other in [("level", "cấp thành phố", city, "Cấp quận, huyện"),
                                       ("area", "hải đảo", island, "Nông thôn"),
                                       ("position", "cán bộ mặt trận tổ quốc, đoàn thể", front, "Cấp ủy viên")]:
        if keep is None:
            continue
        k = header.index(column)
        for r in [r for r in body if normalize_label(r[k]) == normalize_label(label)][keep:]:
            r[k] = other
    def write():
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows([header, *body])
        path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))

    if no_level is not None:
        from hpmob.clean import clean_export
        from hpmob.codebook import load_codebook
        from hpmob.io import load_export

        cb, k = load_codebook(), header.index("level")
        for r in body:  # everyone else gets a level, so the number without one is exact
            if not r[k].strip() or normalize_label(r[k]) == normalize_label("Không trả lời"):
                r[k] = "Cấp xã, phường, thị trấn"
        blanked = 0
        while True:  # a blanked respondent may be excluded (speeder, ...): blank until enough are analysed
            write()
            left = int(clean_export(load_export(path, cb), cb).responses["level"].isna().sum())
            if left == no_level:
                break
            body[blanked][k] = "Không trả lời"
            blanked += 1
    write()
    return path


def test_a_level_of_three_is_merged_by_the_declared_rule_and_reported_in_the_flow(tmp_path):
    from hpmob.clean import clean_export
    from hpmob.codebook import load_codebook
    from hpmob.io import load_export

    cb = load_codebook()
    result = clean_export(load_export(_export(tmp_path / "export.csv", city=3), cb), cb)
    assert (result.responses["level"] == "city").sum() == 0
    assert result.merges[["attribute", "group", "merged_into"]].values.tolist() == [["level", "city", "district"]]
    rules = result.flow["rule"].tolist()
    assert rules[-2] == ("merged: level city into district (fewer than 5 members; merged into the next group "
                         "in the declared order)") and rules[-1] == "analysed"
    assert not any(str(3) in r for r in rules if r.startswith("merged"))  # the size is not in the flow


def test_run_on_a_level_of_three_stops_before_any_notebook_with_a_clear_message(tmp_path):
    export = _export(tmp_path / "export.csv", city=3)
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "hpmob.cli", "run", "--raw", export, "--codebook",
                           ROOT / "data" / "codebook.yaml", "--out", out], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{export}:-:level: error: no analysed respondents in level group(s) city after merging groups with " \
           "fewer than 5 respondents (city into district)" in done.stderr
    assert "nothing was run or written" in done.stderr
    assert not out.exists() and not (tmp_path / ".run.partial").exists()


def _derived_counts(tables: Path, n_analysed: int) -> list[tuple[str, str, int]]:
    """Every group count a reader can derive from the published tables.

    Every published count of every table (``n`` of group rows, test rows and pairs,
    ``n_A``/``n_B`` of pairs), and per partition the published margin minus the published
    cells: the blank cells' total, or, with no blank cell, the respondents the partition's
    groups leave out (those without a group value). Partitions: the values of an
    attribute, "No answer" included (margin: the number analysed); the groups of one
    item (margins: its overall row and its chi-square test's n); the groups of one
    attribute × construct (margin: the Welch test's n, which also bounds the composites
    by level).
    """
    read = {p.name: pd.read_csv(p) for p in sorted(tables.glob("*.csv"))}
    welch = {}  # (attribute, construct) -> n of the Welch test: the sum of the groups it keeps
    if "group_comparisons.csv" in read:
        t = read["group_comparisons.csv"]
        welch = {(b, c): n for b, c, n in t.loc[t["row"] == "welch", ["by", "construct", "n"]].values if pd.notna(n)}
    chi2 = {}  # (construct, item) -> n of the chi-square test of the shares by the grouping variable
    for t in read.values():
        if {"chi2", "item", "construct", "n"} <= set(t.columns):
            chi2.update({(c, i): n for c, i, n in t[["construct", "item", "n"]].values if pd.notna(n)})
    found = []
    for name, t in read.items():
        for col in ("n", "n_A", "n_B"):
            if col in t:
                found += [(name, f"published {col}", int(v)) for v in pd.to_numeric(t[col], errors="coerce").dropna()]
        if {"n_excluded", "n_remaining"} <= set(t.columns):  # the cleaning flow: sequential margins
            found += [(name, "flow", d) for d in _flow_derivations(t)]
        if "n" not in t:
            continue
        parts = []  # (where, cells, margins)
        if "by" in t and "row" in t:  # group comparisons: groups of one attribute and construct
            for (b, c), g in t[t["row"] == "group"].groupby(["by", "construct"]):
                parts.append((f"{name}:{b}:{c}", g, [welch.get((b, c))]))
        elif "attribute" in t and "value" in t:  # composition: values of an attribute, "No answer" included
            parts = [(f"{name}:{a}", g, [n_analysed]) for a, g in t.groupby("attribute")]
        elif "group" in t and "construct" in t:
            keys = [c for c in ("construct", "item") if c in t]
            for key, g in t.groupby(keys):
                key = key if isinstance(key, tuple) else (key,)
                cells = g[g["group"] != "all"]
                margins = [int(v) for v in g.loc[g["group"] == "all", "n"].dropna()]
                if "n_agree" in t:  # shares by level: the chi-square test of the same item
                    margins.append(chi2.get(key))
                elif "item" not in t:  # composites by level: the Welch test of the same construct by level
                    margins.append(welch.get(("level", key[0])))
                parts.append((f"{name}:{key}", cells, margins))
        for where, cells, margins in parts:
            n = pd.to_numeric(cells["n"], errors="coerce")
            for margin in [m for m in margins if m is not None and pd.notna(m)]:
                rest = int(margin) - int(n.dropna().sum())
                if rest:
                    found.append((where, f"margin {int(margin)} minus {int(n.notna().sum())} published cell(s)", rest))
    return found


def test_run_on_a_level_too_small_for_invariance_stops_before_any_notebook(tmp_path):
    export = _export(tmp_path / "export.csv", city=8)  # kept (>= 5) but < 16 complete answers
    done = subprocess.run([sys.executable, "-m", "hpmob.cli", "run", "--raw", export, "--codebook",
                           ROOT / "data" / "codebook.yaml", "--out", tmp_path / "run"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (f"{export}:-:level: error: level group(s) city have fewer than 16 respondents who answered every "
            "item of AW, PM, IM; the invariance model of notebook 04 needs that many per group") in done.stderr
    assert "grouping.constructs in the analysis plan" in done.stderr and not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def small_group_run(tmp_path_factory):
    """A full run (notebooks 01-06 and the book) on an export with two groups of three and
    three analysed respondents without a governance level."""
    base = tmp_path_factory.mktemp("disclosure")
    export = _export(base / "export.csv", island=3, front=3, no_level=3)
    out = base / "run"
    done = subprocess.run([sys.executable, "-m", "hpmob.cli", "run", "--raw", export, "--codebook",
                           ROOT / "data" / "codebook.yaml", "--out", out, "--data-statement",
                           "Synthetic data (disclosure test).", *FAST], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return out


def test_the_small_area_and_position_are_merged_and_reported(small_group_run):
    flow = pd.read_csv(small_group_run / "tables" / "cleaning_flow.csv")
    merged = [r for r in flow["rule"] if r.startswith("merged:")]
    assert merged == ["merged: area island into rural (fewer than 5 members; merged into the previous group in "
                      "the declared order)",
                      "merged: position front_or_mass_org into government (fewer than 5 members; merged into "
                      "the previous group in the declared order)"]
    composition = pd.read_csv(small_group_run / "tables" / "sample_composition.csv").set_index(["attribute", "value"])
    assert composition.loc[("area", "island"), "n"] == 0
    assert composition.loc[("position", "front_or_mass_org"), "n"] == 0
    # the three without a level were excluded by the plan's rule: no "No answer" level row,
    # nothing blank at any level, the city n visible; the flow hides the 3 with a complement
    level = composition.loc["level"]
    assert "missing" not in level.index and not level["suppressed"].any() and level["n"].notna().all()
    assert int(level["n"].sum()) == int(flow["n_remaining"].iloc[-1])
    step = flow.set_index("rule").loc["no_group_value"]
    assert step["suppressed"] and pd.isna(step["n_excluded"])
    assert flow["suppressed"].sum() == 2 and flow.loc[flow["suppressed"], "n_excluded"].isna().all()


def test_no_count_under_5_can_be_derived_from_the_published_tables(small_group_run):
    flow = pd.read_csv(small_group_run / "tables" / "cleaning_flow.csv")
    n_analysed = int(flow["n_remaining"].iloc[-1])
    derived = _derived_counts(small_group_run / "tables", n_analysed)
    assert len(derived) > 50  # the attacker did read the tables
    small = [d for d in derived if 0 < d[2] < THRESHOLD]
    assert small == []


def test_the_invariance_models_do_not_give_away_the_respondents_without_a_level(small_group_run):
    flow = pd.read_csv(small_group_run / "tables" / "cleaning_flow.csv")
    status = pd.read_csv(small_group_run / "tables" / "invariance_status.csv")
    gaps = {int(flow["n_remaining"].iloc[-1]) - int(n) for n in status["n"].dropna()}
    assert not [g for g in gaps if 0 < g < THRESHOLD]


_SMALL_N = re.compile(r"\bn\s*=\s*([1-4])\b(?![.,]\d)")


def test_no_small_n_in_notebook_outputs_or_book_pages(small_group_run):
    texts = list((small_group_run / "notebooks").glob("*.ipynb"))
    texts += list((small_group_run / "book" / "_build" / "html").rglob("*.html"))
    texts += list((small_group_run / "book" / "_build" / "html").rglob("searchindex.js"))
    assert len(texts) > 6
    hits = [(p.name, m.group(0)) for p in texts for m in _SMALL_N.finditer(p.read_text(encoding="utf-8"))]
    assert hits == []


# ------------------------------------------------------------------ degenerate samples, failed runs
@pytest.fixture(scope="module")
def plain_export(tmp_path_factory):
    path = _export(tmp_path_factory.mktemp("plain") / "export.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _write(path: Path, header, body) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize(("case", "message"), [
    ("one respondent", ("only one group of level (district) remains; the comparisons across groups "
                        "(invariance, latent means) need at least 2")),
    ("one level", ("only one group of level (commune) remains; the comparisons across groups (invariance, "
                   "latent means) need at least 2")),
    ("blank level column", "the level column is blank for every analysed respondent"),
])
def test_degenerate_samples_are_refused_with_a_located_message_before_any_notebook(plain_export, tmp_path, case,
                                                                                  message):
    from hpmob.codebook import load_codebook
    from hpmob.io import ExportError
    from hpmob.own_export import check_own_export

    header, body = plain_export
    k = header.index("level")
    body = {"one respondent": [body[1]],
            "one level": [[*r[:k], "Cấp xã, phường, thị trấn", *r[k + 1:]] for r in body],
            "blank level column": [[*r[:k], "", *r[k + 1:]] for r in body]}[case]
    export = _write(tmp_path / "export.csv", header, body)
    before = export.read_bytes()
    with pytest.raises(ExportError) as caught:
        check_own_export(export, load_codebook())
    assert f"{export}:-:level: error: {message}" in str(caught.value)
    assert export.read_bytes() == before


def test_a_failed_run_is_checked_for_small_counts_like_a_finished_one(plain_export, tmp_path, monkeypatch):
    import hpmob.own_export as own

    header, body = plain_export
    export = _write(tmp_path / "export.csv", header, body)

    def fails_after_a_table(work, *args, **kwargs):
        (work / "tables").mkdir(parents=True)
        pd.DataFrame({"group": ["a", "b"], "n": [2, 80]}).to_csv(work / "tables" / "t.csv", index=False)
        raise RuntimeError("notebook 02 failed")

    monkeypatch.setattr(own, "_run_into", fails_after_a_table)
    with pytest.raises(RuntimeError, match=r"a count under 5 reached the failed run's partial output in .*"
                                           r"t\.csv row 1 \(n = 2\)"):
        own.run_own_export(export, ROOT / "data" / "codebook.yaml", tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing that looks like a finished run


def test_the_figure_legend_prints_no_suppressed_n():
    import matplotlib.pyplot as plt

    from hpmob.codebook import load_codebook
    from hpmob.plots import composites_by_level
    from hpmob.score import composite_by_group, composite_scores

    cb, data = load_codebook(), _three_without_a_level()
    summary = composite_by_group(composite_scores(data, cb, constructs=["AW", "PM"]).join(data["level"]), "level",
                                 order=["city", "district", "commune"])
    fig = composites_by_level(summary, lang="en", codebook=cb, group="level", scale=(1.0, 5.0))
    legend = {t.get_text().split(" (")[0]: t.get_text() for t in fig.legends[0].get_texts()}
    plt.close(fig)
    smallest = cb.value_labels("level", "en")[data["level"].value_counts().idxmin()]
    assert not re.search(r"n = \d", legend.pop(smallest))
    shown = [int(m) for text in legend.values() for m in re.findall(r"n = (\d+)", text)]
    assert len(shown) == 2 and min(shown) >= THRESHOLD
