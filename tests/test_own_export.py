"""`hpmob run --raw EXPORT --codebook CODEBOOK --out DIR`: the README's worked example, end to end.

An export simulated under another seed with the trimmed codebook of ``examples/`` (no SE,
no CO) is validated, cleaned and analysed by notebooks 01–06, and a book is built for it.
Exports that do not match their codebook stop before anything runs, with file, row,
column and value named.
"""

import subprocess
import sys

import pandas as pd
import pytest

from hpmob.io import sha256_file

STATEMENT = "Synthetic data: simulated by hpmob simulate with the trimmed example codebook (test run)."
#: Small resampling counts keep the test at about a minute; the analysis is otherwise the study's.
FAST = ["-p", "n_boot", "100", "-p", "n_mc", "1000", "-p", "n_iter", "10", "-p", "run_ordinal", "false"]


#: What the module's run printed on standard error (progress, warnings).
RUN_LOG: dict[str, str] = {}


def hpmob(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def _snapshot(*folders):
    return {p: p.stat().st_mtime_ns for f in folders if f.exists() for p in f.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def trimmed(root):
    return root / "examples" / "trimmed-codebook.yaml"


@pytest.fixture(scope="module")
def export(tmp_path_factory, trimmed):
    path = tmp_path_factory.mktemp("other") / "export.csv"
    result = hpmob("simulate", "--seed", 20251125, "--n", 420, "--codebook", trimmed, "--out", path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def run(root, export, trimmed, tmp_path_factory, built_book):
    # after the session's book build (tests/conftest.py), which writes results/ and data/processed/
    # on the other worker: the snapshot below must see only what this run does to them
    out = tmp_path_factory.mktemp("run") / "study"
    before_raw = sha256_file(export)
    before_main = _snapshot(root / "results", root / "data" / "processed", root / "data" / "raw")
    result = hpmob("run", "--raw", export, "--codebook", trimmed, "--out", out, "--data-statement", STATEMENT, *FAST)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    RUN_LOG["stderr"] = result.stderr
    assert sha256_file(export) == before_raw  # the export is only read
    assert _snapshot(root / "results", root / "data" / "processed", root / "data" / "raw") == before_main
    return out


def test_the_simulated_export_has_only_the_trimmed_codebooks_items(export):
    header = export.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "DT1" in header and "SE1" not in header and "CO1" not in header


def test_run_shows_progress_per_notebook_without_kernel_transport_warnings(run):
    from hpmob.outdir import RUN_MARKER, partial_folder

    err = RUN_LOG["stderr"]
    assert "without encryption" not in err and "Traceback" not in err
    for k, name in enumerate(["01-cleaning", "02-descriptives", "03-measurement", "04-invariance",
                              "05-structural", "06-findings"], start=1):
        assert f"[{k}/6] {name}.ipynb …" in err
    assert not partial_folder(run).exists()
    assert "tables/claims.csv" in (run / RUN_MARKER).read_text(encoding="utf-8")


def test_run_writes_a_claims_table_with_absent_constructs_not_testable(run):
    claims = pd.read_csv(run / "tables" / "claims.csv")
    assert len(claims) >= 10
    h4 = claims[claims["hypothesis"] == "H4"].set_index(claims.loc[claims["hypothesis"] == "H4", "test"].str[9:11])
    assert h4.loc["SE", "verdict"] == h4.loc["CO", "verdict"] == "not testable with these data"
    assert "not estimated: SE not in the codebook" in h4.loc["SE", "test"]
    assert pd.isna(h4.loc["SE", "estimate"])
    # what the trimmed survey did ask is estimated and judged
    assert h4.loc["DT", "verdict"] in {"supported", "not supported"} and pd.notna(h4.loc["DT", "estimate"])
    tested = claims[claims["hypothesis"].isin(["H1", "H2", "H3", "H5", "H6", "H7"])]
    assert tested["estimate"].notna().all() and set(tested["verdict"]) <= {"supported", "not supported"}
    # the structural model really had only DT as a challenge
    paths = pd.read_csv(run / "tables" / "sem_paths.csv")
    assert set(paths.loc[paths["lhs"] == "IM", "rhs"]) == {"PM", "AW", "DT", "district", "commune"}


def test_run_builds_a_book_that_states_the_runs_data_on_every_page(run):
    html = run / "book" / "_build" / "html"
    pages = [html / "index.html", html / "codebook.html", *sorted((html / "notebooks").glob("*.html"))]
    assert [p.name for p in pages[2:]] == [f"{n}.html" for n in (
        "01-cleaning", "02-descriptives", "03-measurement", "04-invariance", "05-structural", "06-findings")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "trimmed example codebook (test run)" in text, page.name
        assert "none describes real officials in Hai Phong" not in text, page.name  # the shipped banner is replaced
    findings = (html / "notebooks" / "06-findings.html").read_text(encoding="utf-8")
    assert "not testable with these data" in findings
    codebook = (html / "codebook.html").read_text(encoding="utf-8")
    assert "DT1" in codebook and "SE1" not in codebook
    assert "data collected with it in this book are synthetic" not in codebook  # the compendium's own note


def test_run_leaves_no_personal_data_in_its_folder(run, export, trimmed):
    from hpmob.codebook import load_codebook
    from hpmob.io import read_export
    from hpmob.privacy import find_personal_data

    assert find_personal_data(read_export(export), load_codebook(trimmed), [run]) == []
    assert "full_name" not in pd.read_csv(run / "processed" / "responses.csv", nrows=1).columns


def test_export_that_does_not_match_its_codebook_stops_before_running(root, export, tmp_path):
    # the trimmed export against the full codebook: the SE and CO columns are missing
    out = tmp_path / "never"
    result = hpmob("run", "--raw", export, "--codebook", root / "data" / "codebook.yaml", "--out", out)
    assert result.returncode == 1
    assert f"{export}:1:SE1: error: required column is missing" in result.stderr
    assert "nothing was run or written" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_label_is_named_with_row_column_and_value(export, trimmed, tmp_path):
    import csv

    rows = list(csv.reader(export.open(encoding="utf-8-sig", newline="")))
    rows[3][rows[0].index("DT2")] = "Rất đồng ý lắm"  # spreadsheet row 4
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    result = hpmob("run", "--raw", bad, "--codebook", trimmed, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert f"{bad}:4:DT2: error: unknown label ('Rất đồng ý lắm')" in result.stderr
    assert not (tmp_path / "out").exists()


def test_codebook_without_a_core_construct_is_refused(root, export, tmp_path):
    import yaml

    spec = yaml.safe_load((root / "examples" / "trimmed-codebook.yaml").read_text(encoding="utf-8"))
    spec["constructs"].pop("PM")
    spec["items"] = [it for it in spec["items"] if it["construct"] != "PM"]
    path = tmp_path / "no-pm.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = hpmob("run", "--raw", export, "--codebook", path, "--out", tmp_path / "out")
    assert result.returncode == 2
    # the analysis plan needs PM (not optional there): the plan check names the entry and what to do
    assert "invalid analysis plan" in result.stderr and "PM is not a construct of the codebook" in result.stderr
    assert "nothing was run" in result.stderr and not (tmp_path / "out").exists()


def test_output_folder_that_holds_other_files_is_refused(export, trimmed, tmp_path):
    (tmp_path / "keep.txt").write_text("someone's work", encoding="utf-8")
    result = hpmob("run", "--raw", export, "--codebook", trimmed, "--out", tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "someone's work"


def test_raw_run_needs_codebook_and_out(export):
    result = hpmob("run", "--raw", export)
    assert result.returncode == 2 and "--codebook" in result.stderr
