"""Reading, validating and protecting raw exports (``hpmob.io`` and ``hpmob validate``).

The broken exports under ``tests/data/broken/`` are made by
``tests/data/make_broken_exports.py`` from the first 15 rows of the shipped export; their
README lists each defect. Rows are spreadsheet rows: header = 1, first submission = 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from hpmob.io import (
    MANIFEST_NAME,
    ExportError,
    Problem,
    load_export,
    read_export,
    validate_export,
    verify_manifest,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = Path("data/raw")
SHIPPED = RAW_DIR / "hpmob_survey_export.csv"
BROKEN = Path("tests/data/broken")
GENERATOR = Path("tests/data/make_broken_exports.py")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8")


def problem_records(output: str, path: str) -> list[str]:
    """Split CLI output into one text per printed problem (continuation lines attached)."""
    records: list[str] = []
    for line in output.splitlines():
        if line.startswith(f"{path}:") and not line.startswith(f"{path}: "):
            records.append(line)
        elif records and not line.startswith(f"{path}: "):
            records[-1] += "\n" + line
    return records


@pytest.fixture(scope="module")
def sample_rows() -> tuple[list[str], list[list[str]]]:
    """Header and the first 15 submissions of the shipped export, via the csv module."""
    text = (ROOT / SHIPPED).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:16]


@pytest.fixture
def sample_frame() -> pd.DataFrame:
    """The first 15 submissions as read_export returns them (valid: no errors)."""
    return read_export(ROOT / SHIPPED).head(15).copy()


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# -------------------------------------------------------------------- shipped export
def test_shipped_export_is_valid_with_only_warnings():
    out = run_cli("validate", str(SHIPPED))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    records = problem_records(out.stdout, str(SHIPPED))
    assert records, "the shipped export has implausible values that cleaning excludes"
    assert all(": warning: " in r for r in records), [r for r in records if ": warning: " not in r]
    assert not any(": error: " in r for r in records)
    # Every implausible age in the file is a warning naming its row and value
    # (the cleaning step excludes those respondents); read the rows off the file itself.
    raw = read_export(ROOT / SHIPPED)
    young = raw[raw["age"].astype(int) < 18]
    assert len(young) >= 1
    for row, age in young["age"].items():
        assert any(r.startswith(f"{SHIPPED}:{row}:age: warning: outside the plausible range 18–70 ({age!r})")
                   for r in records), (row, age)
    assert out.stdout.rstrip().endswith(f"{SHIPPED}: 520 rows, 0 error(s), {len(records)} warning(s) — valid")


def test_load_export_accepts_the_shipped_file():
    frame = load_export(ROOT / SHIPPED)
    assert frame.shape == (520, 53)
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


# ------------------------------------------------------------------- broken exports
# file -> expected error problems: (row, column, substring of the problem, value, substring of the fix).
# row None = a file-level problem ("-" in the message); value None = no value printed.
# the broken files copy the first rows of the shipped export; 12_ repeats its first id
_FIRST_ID = (ROOT / SHIPPED).read_text(encoding="utf-8-sig").splitlines()[1].split(",")[0]
BROKEN_CASES = {
    "01_empty.csv": [(None, None, "the file is empty", None, "export the survey again")],
    "02_header_only.csv": [(2, None, "header but no respondent rows", None, "check that the export includes the responses")],
    "03_not_utf8_cp1258.csv": [(2, None, "not UTF-8", None, "re-save the export as 'CSV UTF-8'")],
    "04_missing_column_AW3.csv": [(1, "AW3", "required column is missing", None, "add the column 'AW3'")],
    "05_duplicate_column_PM2.csv": [(1, "PM2", "column appears twice (positions 27 and 54)", None, "keep one copy")],
    "06_unknown_item_label.csv": [(4, "AW2", "unknown label", "Đồng ý lắm", "Hoàn toàn đồng ý")],
    "07_unknown_level_label.csv": [(6, "level", "unknown label", "Cấp tỉnh", "Cấp quận, huyện")],
    "08_age_out_of_range.csv": [(5, "age", "outside the possible range 0–120", "250", "correct the value")],
    "09_age_not_a_number.csv": [(3, "age", "not a whole number", "bốn mươi", "without units or text"),
                                (8, "age", "not a whole number", "45 tuổi", "without units or text")],
    "10_duration_with_unit.csv": [(9, "duration_sec", "not a whole number", "12 phút", "without units or text")],
    "11_bad_timestamp.csv": [(10, "submitted_at", "not a date and time", "2024-02-30 08:15:00", "YYYY-MM-DD HH:MM:SS")],
    "12_duplicate_respondent_id.csv": [(12, "respondent_id", "occurs more than once", _FIRST_ID, "re-export")],
    "14_malformed_unbalanced_quote.csv": [(4, None, "the CSV is malformed", None, "check quoting")],
    "15_unknown_label.xlsx": [(11, "RT3", "unknown label", "Rất đồng ý", "Hoàn toàn đồng ý")],
    "16_missing_column_age.sav": [(1, "age", "required column is missing", None, "add the column 'age'")],
}
VALID_CONTROLS = ["13_valid_semicolon_no_bom.csv"]

# Inputs the current hpmob.io mishandles: see tests/data/broken/README.md and the report.
BUG_SHORT_ROW = ("hpmob/io.py:_read_csv (pd.read_csv, line 120) pads a truncated row with '' "
                 "instead of reporting it: 17_short_row.csv exits 0 as 'valid'")
BUG_EXTRA_FIELD = ("hpmob/io.py:_read_csv (line 120): a first data row with one field more than the "
                   "header makes pandas use column 1 as an implicit index; validate_export then "
                   "crashes at line 260 (i + 2 with a str index): TypeError traceback")
BUG_BLANK_XLSX = ("hpmob/io.py:_read_xlsx line 155 drops empty rows, so problems after an empty "
                  "spreadsheet row are reported one row too high")
BUG_BLANK_CSV = ("hpmob/io.py:_read_csv line 121 (skip_blank_lines=True) drops empty lines, so "
                 "problems after an empty line are reported one row too high")
BUGGY_CASES = {
    "17_short_row.csv": ([(7, None, "row has 20 fields but the header has 53", "20 fields", "re-export")], BUG_SHORT_ROW),
    "18_extra_field_first_row.csv": ([(2, None, "row has 54 fields but the header has 53", "54 fields", "re-export")], BUG_EXTRA_FIELD),
    "20_blank_row.xlsx": ([(5, "gender", "unknown label", "Nam giới", "Nam; Nữ")], BUG_BLANK_XLSX),
    "21_blank_line.csv": ([(5, "gender", "unknown label", "Nam giới", "Nam; Nữ")], BUG_BLANK_CSV),
}
MIXED_TZ = "19_mixed_timezone.csv"


def _check_rejected(name: str, expected) -> None:
    path = str(BROKEN / name)
    out = run_cli("validate", path)
    text = out.stdout + out.stderr
    assert "Traceback" not in text, text
    # 1 = data problems; 2 would mean an unexpected ValueError without file/row/column.
    assert out.returncode == 1, text
    records = problem_records(text, path)
    errors = [r for r in records if ": error: " in r]
    assert len(errors) == len(expected), text
    for row, column, problem, value, fix in expected:
        prefix = f"{path}:{row if row is not None else '-'}:"
        if column is not None:
            prefix += f"{column}: error: "
        hits = [r for r in errors if r.startswith(prefix) and problem in r]
        assert hits, f"no error starting {prefix!r} and containing {problem!r} in:\n{text}"
        record = hits[0]
        if value is not None:
            assert f"({value!r})" in record
        assert " — " in record and fix in record.split(" — ", 1)[1], record


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_broken_export_is_rejected_with_file_row_column_value(name):
    _check_rejected(name, BROKEN_CASES[name])


# Formerly known bugs of io.py (fixed): short/long rows, blank rows shifting row numbers.
@pytest.mark.parametrize("name", sorted(BUGGY_CASES))
def test_broken_export_formerly_buggy(name):
    _check_rejected(name, BUGGY_CASES[name][0])


@pytest.mark.parametrize("name", VALID_CONTROLS)
def test_semicolon_csv_without_bom_is_valid(name, sample_rows):
    path = str(BROKEN / name)
    out = run_cli("validate", path)
    assert out.returncode == 0, out.stdout + out.stderr
    summary = out.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"{path}: 15 rows, 0 error(s), ") and summary.endswith("— valid"), summary
    # and it is read as the same cells as the comma-separated, BOM-prefixed original
    header, rows = sample_rows
    expected = pd.DataFrame(rows, columns=header, dtype=str, index=pd.Index(range(2, len(rows) + 2), name="row"))
    pd.testing.assert_frame_equal(read_export(ROOT / path), expected)


def test_timestamp_with_utc_offset_does_not_crash_validation():
    path = str(BROKEN / MIXED_TZ)
    frame = read_export(ROOT / path)
    problems = validate_export(frame, source=path)  # must not raise
    for p in errors_of(problems):
        assert (p.row, p.column) == (3, "submitted_at"), p
    out = run_cli("validate", path)
    assert out.returncode in (0, 1) and "Traceback" not in out.stdout + out.stderr


def test_malformed_csv_problem_prints_on_one_line():
    path = str(BROKEN / "14_malformed_unbalanced_quote.csv")
    out = run_cli("validate", path)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and " — check quoting" in lines[0], out.stderr


def test_every_broken_file_has_an_expectation():
    on_disk = {p.name for p in (ROOT / BROKEN).iterdir() if p.name != "README.md"}
    listed = set(BROKEN_CASES) | set(VALID_CONTROLS) | set(BUGGY_CASES) | {MIXED_TZ}
    assert on_disk == listed
    readme = (ROOT / BROKEN / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in listed)
    assert (ROOT / BROKEN / "01_empty.csv").stat().st_size == 0
    with pytest.raises(UnicodeDecodeError):
        (ROOT / BROKEN / "03_not_utf8_cp1258.csv").read_bytes().decode("utf-8")


def test_broken_exports_are_deterministic_and_up_to_date(tmp_path):
    out = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == sorted(p.name for p in (ROOT / BROKEN).iterdir())
    for name in fresh:
        assert (tmp_path / name).read_bytes() == (ROOT / BROKEN / name).read_bytes(), (
            f"{name} differs: rerun python {GENERATOR}")


# ------------------------------------------------------------------------ Python API
def test_validate_export_reports_all_problems_at_once(sample_frame, cb):
    frame = sample_frame
    # read_export indexes rows by their spreadsheet row number (header = row 1)
    frame.loc[2, "AW1"] = "Đồng ý lắm"
    frame.loc[6, "age"] = "250"
    frame.loc[11, "submitted_at"] = "không rõ"
    problems = validate_export(frame, cb, source="three.csv")
    errors = errors_of(problems)
    assert len(errors) == 3, [str(p) for p in problems]
    assert {(p.row, p.column, p.value) for p in errors} == {
        (2, "AW1", "Đồng ý lắm"), (6, "age", "250"), (11, "submitted_at", "không rõ")}
    assert all(p.file == "three.csv" and p.fix for p in errors)
    with pytest.raises(ExportError) as info:
        raise ExportError(problems)
    assert len(info.value.problems) == len(problems)
    assert str(info.value).startswith("3 error(s) in the export:")


def test_problem_message_format():
    p = Problem("x.csv", 4, "AW2", "Đồng ý lắm", "unknown label", "use a codebook label")
    assert str(p) == "x.csv:4:AW2: error: unknown label ('Đồng ý lắm') — use a codebook label"
    q = Problem("x.csv", None, None, None, "the file is empty", "export again")
    assert str(q) == "x.csv:-:-: error: the file is empty — export again"


def test_load_export_raises_with_every_error(tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[1][header.index("gender")] = "Nam giới"
    rows[2][header.index("training_courses")] = "ba"
    path = tmp_path / "two.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    with pytest.raises(ExportError) as info:
        load_export(path)
    errors = errors_of(info.value.problems)
    assert {(p.row, p.column) for p in errors} == {(3, "gender"), (4, "training_courses")}
    assert str(path) in str(info.value)


ACCEPTED = [  # (column, text): variants that must map to a codebook code
    ("AW1", unicodedata.normalize("NFD", "Hoàn toàn đồng ý")),
    ("AW2", "ĐỒNG Ý"),
    ("AW3", "  Hoàn   toàn  không   đồng ý  "),
    ("AW4", "Dong y"),                      # codebook alias
    ("AW5", "Strongly agree"),              # English label
    ("RT1", "ktl"),                         # alias of 'Không trả lời', lower case
    ("RT2", "4"),                           # bare numeric code
    ("SOL1", "RẤT  CẦN THIẾT"),
    ("level", "Cap quan, huyen"),           # alias
    ("level", unicodedata.normalize("NFD", "CẤP XÃ, PHƯỜNG, THỊ TRẤN")),
    ("gender", "nu"),                       # alias 'Nu', lower case
    ("area", "\u00a0Hải\u00a0đảo "),        # non-breaking spaces
    ("education", "Không trả lời"),         # attribute 'no answer'
]
REJECTED = [  # similar, but not a label or alias
    ("AW1", "Đồng ý lắm"),
    ("AW1", "Đông y"),          # wrong diacritics, not an alias
    ("AW2", "Đồng ỳ"),
    ("AW3", "Đồng ý."),
    ("AW4", "Dongy"),
    ("SOL1", "Rất cần"),
    ("level", "Cấp quận"),
    ("level", "Cấp tỉnh"),
    ("gender", "Nữ giới"),
    ("RT2", "6"),               # not a code of the scale
]


@pytest.mark.parametrize("column,text", ACCEPTED)
def test_label_variants_are_accepted(sample_frame, cb, column, text):
    sample_frame.loc[5, column] = text
    assert errors_of(validate_export(sample_frame, cb)) == []


@pytest.mark.parametrize("column,text", REJECTED)
def test_similar_labels_are_rejected(sample_frame, cb, column, text):
    sample_frame.loc[5, column] = text
    errors = errors_of(validate_export(sample_frame, cb, source="s.csv"))
    assert [(p.row, p.column, p.value, p.problem) for p in errors] == [(5, column, text, "unknown label")]
    assert "aliases" in errors[0].fix


def test_csv_xlsx_and_sav_read_identically(tmp_path, sample_rows):
    openpyxl = pytest.importorskip("openpyxl")
    pyreadstat = pytest.importorskip("pyreadstat")
    header, rows = sample_rows
    # SPSS pads strings with blanks, so a trailing blank cannot survive a .sav round trip;
    # compare the same rows without trailing whitespace (leading/inner spacing is kept).
    rows = [[c.rstrip() for c in r] for r in rows]
    rows[2][header.index("AW1")] = "  Đồng  ý"  # leading and double spaces survive all formats
    rows[3][header.index("AW2")] = ""           # blank cell

    csv_path = tmp_path / "s.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    xlsx_path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    for r in [header, *rows]:
        book.active.append(r)
    book.save(xlsx_path)
    sav_path = tmp_path / "s.sav"
    pyreadstat.write_sav(pd.DataFrame(rows, columns=header, dtype=object), str(sav_path))

    frames = {p.suffix: read_export(p) for p in (csv_path, xlsx_path, sav_path)}
    expected = pd.DataFrame(rows, columns=header, dtype=str, index=pd.Index(range(2, len(rows) + 2), name="row"))
    for suffix, frame in frames.items():
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel()), suffix
        pd.testing.assert_frame_equal(frame, expected, obj=suffix)
    strip = [[(p.row, p.column, p.value, p.problem) for p in validate_export(f)] for f in frames.values()]
    assert strip[0] == strip[1] == strip[2]


# -------------------------------------------------------------------------- manifest
def test_manifest_passes_on_the_shipped_data():
    table = verify_manifest(ROOT / RAW_DIR)
    assert list(table["file"]) == [SHIPPED.name]
    assert table["sha256"].iloc[0] == hashlib.sha256((ROOT / SHIPPED).read_bytes()).hexdigest()
    out = run_cli("manifest")
    assert out.returncode == 0 and "1 raw file(s) match" in out.stdout


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    dest = tmp_path / "raw"
    # copyfile, not copy2: the raw files are read-only (make all), the copies are for editing
    shutil.copytree(ROOT / RAW_DIR, dest, copy_function=shutil.copyfile)
    return dest


def test_manifest_detects_one_changed_byte(raw_copy):
    target = raw_copy / SHIPPED.name
    data = bytearray(target.read_bytes())
    data[1000] = ord("X") if data[1000] != ord("X") else ord("Y")
    target.write_bytes(bytes(data))
    with pytest.raises(ExportError) as info:
        verify_manifest(raw_copy)
    msg = str(info.value)
    assert str(target) in msg and "modified" in msg
    assert "restore the original" in msg and "hpmob manifest --write" in msg
    (p,) = info.value.problems
    assert p.file == str(target)
    out = run_cli("manifest", "--raw-dir", str(raw_copy))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert str(target) in out.stderr and "modified" in out.stderr


def test_manifest_reports_unlisted_file(raw_copy):
    extra = raw_copy / "second_export.csv"
    extra.write_bytes((raw_copy / SHIPPED.name).read_bytes()[:500])
    with pytest.raises(ExportError) as info:
        verify_manifest(raw_copy)
    (p,) = info.value.problems
    assert p.file == str(extra) and "not listed in the manifest" in p.problem
    assert "hpmob manifest --write" in p.fix


def test_manifest_reports_missing_listed_file(raw_copy):
    (raw_copy / SHIPPED.name).unlink()
    with pytest.raises(ExportError) as info:
        verify_manifest(raw_copy)
    (p,) = info.value.problems
    assert p.value == SHIPPED.name and "listed raw file is missing" in p.problem
    assert p.file == str(raw_copy / MANIFEST_NAME) and p.row == 1
    assert "restore" in p.fix and SHIPPED.name in str(info.value)


def test_manifest_missing_and_rewritten(raw_copy):
    (raw_copy / MANIFEST_NAME).unlink()
    with pytest.raises(ExportError, match="manifest is missing"):
        verify_manifest(raw_copy)
    write_manifest(raw_copy)
    assert (raw_copy / MANIFEST_NAME).read_bytes() == (ROOT / RAW_DIR / MANIFEST_NAME).read_bytes()
    verify_manifest(raw_copy)


# ------------------------------------------------------------------- read-only raw
def test_reading_and_validating_never_writes_the_raw_file():
    path = ROOT / SHIPPED
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
              sorted(os.listdir(path.parent)))
    frame = read_export(path)
    validate_export(frame)
    load_export(path)
    verify_manifest(path.parent)
    assert run_cli("validate", str(SHIPPED)).returncode == 0
    after = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
             sorted(os.listdir(path.parent)))
    assert after == before
