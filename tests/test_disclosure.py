"""Disclosure control (issue 19): no count under 5 can be derived from what a run publishes.

Unit tests of :mod:`hpmob.disclosure`; a governance level of three officials is merged by
cleaning's declared rule (and ``hpmob run`` stops before any notebook, since notebooks
04-06 compare every level); then the acceptance test: an export in which one area and one
position have three officials each (merged by the same rule) is run through the
whole study (``hpmob run --raw``, with its book), and an "attacker" derives every count
it can from the published tables, the figure texts and the book's pages: published cells,
blank cells recovered by subtraction from a published total, and sums of blank cells.
None may lie in 1–4. Non-response rows ("No answer") count no group of officials and are
published (:func:`hpmob.sample.sample_composition`); they are left out of the search.
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
from hpmob.disclosure import find_small_counts, merge_small_groups, suppress_small_groups, suppression_pattern

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


def test_find_small_counts_names_file_row_and_value(tmp_path):
    pd.DataFrame({"value": ["a", "missing", "b"], "n": [3, 2, 50]}).to_csv(tmp_path / "t.csv", index=False)
    assert find_small_counts(tmp_path, 5, skip={"value": {"missing"}}) == [(tmp_path / "t.csv", 1, "n", 3)]


# ------------------------------------------------------------------ acceptance
def _export(path: Path, *, city: int | None = None, island: int | None = None, front: int | None = None) -> Path:
    """The simulator's export with only ``city`` city officials, ``island`` island officials
    and ``front`` Fatherland Front cadres (the others moved to a neighbouring value)."""
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
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
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

    Every published ``n`` of every table (group rows, test rows, pairs), and per partition
    (the groups of one attribute, or of one construct/item/attribute with its overall row)
    the blank cells' total by subtraction from the published margin.
    """
    found = []
    for path in sorted(tables.glob("*.csv")):
        t = pd.read_csv(path)
        if "n" not in t:
            continue
        rows = t[t["value"] != "missing"] if "value" in t else t  # non-response rows: see the module docstring
        found += [(path.name, "published", int(v)) for v in pd.to_numeric(rows["n"], errors="coerce").dropna()]
        if "by" in t and "row" in t:  # group comparisons: groups of one attribute and construct
            groups = t[t["row"] == "group"]
            parts = [(f"{path.name}:{key}", g, None) for key, g in groups.groupby(["by", "construct"])]
        elif "attribute" in t and "value" in t:  # composition: values of an attribute + non-response
            parts = [(f"{path.name}:{a}", g[g["value"] != "missing"], n_analysed - int(
                g.loc[g["value"] == "missing", "n"].fillna(0).sum())) for a, g in t.groupby("attribute")]
        elif "group" in t:
            keys = [c for c in ("construct", "item") if c in t]
            parts = []
            for key, g in (t.groupby(keys) if keys else [("", t)]):
                cells = g[g["group"] != "all"]
                total = g.loc[g["group"] == "all", "n"]
                parts.append((f"{path.name}:{key}", cells, int(total.iloc[0]) if total.notna().any() else None))
        else:
            continue
        for where, cells, margin in parts:
            n = pd.to_numeric(cells["n"], errors="coerce")
            blank = n.isna()
            if margin is not None and blank.any():
                found.append((where, f"{int(blank.sum())} blank cell(s), by subtraction",
                              margin - int(n.dropna().sum())))
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
    """A full run (notebooks 01-06 and the book) on an export with two groups of three."""
    base = tmp_path_factory.mktemp("disclosure")
    export = _export(base / "export.csv", island=3, front=3)
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


def test_no_count_under_5_can_be_derived_from_the_published_tables(small_group_run):
    flow = pd.read_csv(small_group_run / "tables" / "cleaning_flow.csv")
    n_analysed = int(flow["n_remaining"].iloc[-1])
    derived = _derived_counts(small_group_run / "tables", n_analysed)
    assert len(derived) > 50  # the attacker did read the tables
    small = [d for d in derived if 0 < d[2] < THRESHOLD]
    assert small == []


_SMALL_N = re.compile(r"\bn\s*=\s*([1-4])\b(?![.,]\d)")


def test_no_small_n_in_notebook_outputs_or_book_pages(small_group_run):
    texts = list((small_group_run / "notebooks").glob("*.ipynb"))
    texts += list((small_group_run / "book" / "_build" / "html").rglob("*.html"))
    texts += list((small_group_run / "book" / "_build" / "html").rglob("searchindex.js"))
    assert len(texts) > 6
    hits = [(p.name, m.group(0)) for p in texts for m in _SMALL_N.finditer(p.read_text(encoding="utf-8"))]
    assert hits == []
