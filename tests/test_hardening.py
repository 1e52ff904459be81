"""Hostile inputs to ingest (issue 19): nothing lost, nothing misread, no traceback.

Each test builds its input from the first submissions of the shipped export (synthetic
data) with one deliberate defect and asserts the exact behaviour: the message names the
file, the spreadsheet row and the column, no respondent is lost, and the input file is
unchanged. Rows are spreadsheet rows: header = 1, first submission = 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hostile_files import xlsx_bomb

from hpmob.clean import clean_export
from hpmob.codebook import (
    CodebookError,
    codebook_from_dict,
    load_codebook,
    normalize_label,
)
from hpmob.io import (
    ExportError,
    ReadLimits,
    load_export,
    read_export,
    read_whole_number,
    validate_export,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "raw" / "hpmob_survey_export.csv"
N = 15


@pytest.fixture(scope="module")
def source():
    text = SHIPPED.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], [list(r) for r in rows[1:N + 1]]


def write_csv(path: Path, header, rows, sep=",") -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def set_cell(header, rows, row: int, column: str, value: str):
    rows = [list(r) for r in rows]
    rows[row - 2][header.index(column)] = value
    return rows


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args, cwd=ROOT, timeout=120):
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


# ------------------------------------------------------------------ duplicates
def test_anonymous_respondents_are_never_duplicates_of_each_other(source, cb, tmp_path):
    header, rows = source
    for r in range(2, 12):  # ten anonymous respondents, all other answers as submitted
        rows = set_cell(header, rows, r, "full_name", "")
        rows = set_cell(header, rows, r, "phone", "")
    # and one real resubmission: row 14 repeats the name and phone of row 13
    for col in ("full_name", "phone"):
        rows = set_cell(header, rows, 14, col, rows[13 - 2][header.index(col)])
    path = write_csv(tmp_path / "anonymous.csv", header, rows)
    result = clean_export(load_export(path, cb), cb)
    duplicates = result.exclusions[result.exclusions["rule"] == "duplicate"]
    assert len(duplicates) == 1  # only the real resubmission
    flow = result.flow.set_index("rule")
    assert flow.loc["raw submissions", "n_remaining"] == N
    assert flow.loc["duplicate", "n_excluded"] == 1


def test_ids_differing_only_by_case_or_spaces_are_flagged(source, cb, tmp_path):
    header, rows = source
    first = rows[0][0]
    rows = set_cell(header, rows, 6, "respondent_id", f" {first.lower()} ")
    path = write_csv(tmp_path / "ids.csv", header, rows)
    before = digest(path)
    found = errors(validate_export(read_export(path), cb, source=str(path)))
    assert [(p.file, p.row, p.column) for p in found] == [(str(path), 6, "respondent_id")]
    assert "only by letter case or spaces" in found[0].problem and "row 2" in found[0].problem
    assert digest(path) == before


# ------------------------------------------------------------------ .sav codes and labels
def code_of(cb, column, label):
    return cb.label_lookup(column)[normalize_label(label)]


def _sav(path: Path, header, rows, item_codes, labels):
    import pyreadstat

    frame = pd.DataFrame(rows, columns=header, dtype=object)
    items = [c for c in header if c in item_codes]
    for col in items:
        frame[col] = [item_codes[col](v) for v in frame[col]]
        frame[col] = frame[col].astype(float)
    pyreadstat.write_sav(frame, str(path), variable_value_labels={c: labels for c in items})
    return path


def test_sav_coded_0_to_4_with_labels_on_the_end_points_is_an_error(source, cb, tmp_path):
    header, rows = source
    # SPSS export coded 0-4: the codebook's code minus one, labels only on 0 and 4
    shifted = {c: (lambda v, c=c: code_of(cb, c, v) - 1 if code_of(cb, c, v) != 9 else 9) for c in ("AW1", "AW2")}
    labels = {0.0: "Hoàn toàn không đồng ý", 4.0: "Hoàn toàn đồng ý"}
    path = _sav(tmp_path / "shifted.sav", header, rows, shifted, labels)
    found = errors(validate_export(read_export(path), cb, source=str(path)))
    disagree = [p for p in found if "code/label disagreement" in p.problem]
    assert {p.column for p in disagree} == {"AW1", "AW2"}
    for p in disagree:
        assert p.file == str(path) and p.value in {"0 = Hoàn toàn không đồng ý", "4 = Hoàn toàn đồng ý"}
    # the first row coded 0 in AW1 is named
    codes = [shifted["AW1"](r[header.index("AW1")]) for r in rows]
    p0 = next(p for p in disagree if p.column == "AW1" and p.value.startswith("0"))
    assert p0.row == (codes.index(0) + 2 if 0 in codes else None)


def test_sav_with_the_codebooks_codes_and_labels_is_valid(source, cb, tmp_path):
    header, rows = source
    same = {c: (lambda v, c=c: code_of(cb, c, v)) for c in ("AW1", "AW2")}
    labels = {1.0: "Hoàn toàn không đồng ý", 5.0: "Hoàn toàn đồng ý", 9.0: "Không trả lời"}
    path = _sav(tmp_path / "same.sav", header, rows, same, labels)
    frame = read_export(path)
    assert errors(validate_export(frame, cb, source=str(path))) == []
    expected = [str(same["AW1"](r[header.index("AW1")])) for r in rows]
    got = [str(code_of(cb, "AW1", v)) for v in frame["AW1"]]
    assert got == expected


# ------------------------------------------------------------------ xlsx formulas
def test_xlsx_formulas_without_cached_values_are_an_error_naming_the_cells(source, tmp_path):
    import openpyxl

    header, rows = source
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    age = header.index("age") + 1
    sheet.cell(row=3, column=age, value="=40+5")  # openpyxl stores no cached value
    sheet.cell(row=7, column=age, value="=SUM(1,2)")
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(ExportError) as info:
        read_export(path)
    (problem,) = info.value.problems
    letter = openpyxl.utils.get_column_letter(age)
    assert problem.file == str(path) and problem.row == 3
    assert problem.value == f"{letter}3, {letter}7"
    assert "formula without a computed value" in problem.problem


# ------------------------------------------------------------------ numbers and locales
@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("1.000", None, None), ("1,000", None, None), ("45.0", None, 45), ("45", None, 45),
    ("1.000", "vi", 1000), ("1.234.567", "vi", 1234567), ("45,0", "vi", 45), ("45,5", "vi", None),
    ("1,000", "vi", 1), ("1,000", "en", 1000), ("1.000", "en", 1), ("1.5", "en", None),
    ("9" * 400, None, None), ("-3", None, -3),
])
def test_whole_numbers_by_locale(text, locale, expected):
    assert read_whole_number(text, locale)[0] == expected


def test_thousands_separator_is_rejected_with_a_location_without_a_locale(source, cb, tmp_path):
    header, rows = source
    rows = set_cell(header, rows, 5, "duration_sec", "1.000")
    path = write_csv(tmp_path / "sep.csv", header, rows)
    found = errors(validate_export(read_export(path), cb, source=str(path)))
    assert [(p.row, p.column, p.value) for p in found] == [(5, "duration_sec", "1.000")]
    assert "number_locale" in found[0].fix


def test_declared_vietnamese_locale_reads_1_000_as_one_thousand(source, cb, tmp_path):
    header, rows = source
    rows = set_cell(header, rows, 5, "duration_sec", "1.000")
    path = write_csv(tmp_path / "sep.csv", header, rows)
    d = cb.to_dict()
    d["meta"]["number_locale"] = "vi"
    vi = codebook_from_dict(d, source="vi")
    result = clean_export(load_export(path, vi), vi)
    assert "speeder" not in set(result.exclusions["rule"])  # 1000 s, not 1 s
    assert result.flow.set_index("rule").loc["raw submissions", "n_remaining"] == N


def test_unknown_number_locale_is_a_codebook_error(cb):
    d = cb.to_dict()
    d["meta"]["number_locale"] = "fr"
    with pytest.raises(CodebookError, match="number_locale"):
        codebook_from_dict(d)


def test_400_digit_number_gets_a_located_message(source, cb, tmp_path):
    header, rows = source
    rows = set_cell(header, rows, 4, "age", "9" * 400)
    path = write_csv(tmp_path / "long.csv", header, rows)
    found = errors(validate_export(read_export(path), cb, source=str(path)))
    assert [(p.row, p.column) for p in found] == [(4, "age")]
    assert "400 digits" in found[0].problem


# ------------------------------------------------------------------ row numbers
def test_row_numbers_are_spreadsheet_rows_despite_quoted_line_breaks(source, cb, tmp_path):
    header, rows = source
    rows = set_cell(header, rows, 3, "unit_name", "Đảng ủy phường\nĐông Hải\n(Kiến An)")
    rows = set_cell(header, rows, 8, "gender", "Nam giới")
    path = write_csv(tmp_path / "breaks.csv", header, rows)
    found = errors(validate_export(read_export(path), cb, source=str(path)))
    assert [(p.row, p.column, p.value) for p in found] == [(8, "gender", "Nam giới")]


# ------------------------------------------------------------------ weak hints
def test_header_case_names_the_cause(source, cb, tmp_path):
    header, rows = source
    header = ["aw1" if h == "AW1" else h for h in header]
    path = write_csv(tmp_path / "case.csv", header, rows)
    found = [p for p in errors(validate_export(read_export(path), cb, source=str(path))) if p.column == "AW1"]
    assert len(found) == 1 and "case-sensitive" in found[0].fix and "'aw1'" in found[0].fix


def test_invisible_character_in_header_names_the_cause(source, cb, tmp_path):
    header, rows = source
    header = ["PM2\u200b" if h == "PM2" else h for h in header]
    path = write_csv(tmp_path / "zwsp.csv", header, rows)
    found = [p for p in errors(validate_export(read_export(path), cb, source=str(path))) if p.column == "PM2"]
    assert len(found) == 1 and "U+200B" in found[0].fix


def test_tab_delimited_export_is_read(source, cb, tmp_path):
    header, rows = source
    path = write_csv(tmp_path / "tabs.csv", header, rows, sep="\t")
    frame = read_export(path)
    assert errors(validate_export(frame, cb, source=str(path))) == []
    assert len(frame) == N


def test_title_row_above_the_header_names_the_cause(source, tmp_path):
    import openpyxl

    header, rows = source
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Kết quả khảo sát cán bộ 2024"])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    path = tmp_path / "title.xlsx"
    book.save(path)
    with pytest.raises(ExportError) as info:
        read_export(path)
    (problem,) = info.value.problems
    assert problem.row == 1 and "title" in problem.problem and "row 2" in problem.fix


# ------------------------------------------------------------------ bounded resources
def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    with pytest.raises(ExportError) as info:
        read_export(path, ReadLimits(max_file_bytes=1000))
    assert "max_file_bytes" in str(info.value) and str(path) in str(info.value)


def test_rows_over_the_limit_are_refused_with_the_row(source, tmp_path):
    header, rows = source
    path = write_csv(tmp_path / "rows.csv", header, rows)
    with pytest.raises(ExportError) as info:
        read_export(path, ReadLimits(max_rows=10))
    (problem,) = info.value.problems
    assert problem.row == 12 and "max_rows" in problem.problem


def test_long_cell_is_refused_with_its_row(source, tmp_path):
    header, rows = source
    rows = set_cell(header, rows, 9, "unit_name", "x" * 40_000)
    path = write_csv(tmp_path / "cell.csv", header, rows)
    with pytest.raises(ExportError) as info:
        read_export(path)
    (problem,) = info.value.problems
    assert problem.row == 9 and "max_cell_chars" in problem.problem
    assert csv.field_size_limit() == 131072  # the module-wide limit is restored


def test_xlsx_bomb_with_a_huge_cell_is_refused_from_the_zip_directory(tmp_path):
    path = xlsx_bomb(tmp_path / "cell.xlsx", cell_bytes=50 * 2**20)
    assert path.stat().st_size < 2**20
    with pytest.raises(ExportError, match="max_decompressed_bytes"):  # its speed: bench/bench_guards.py
        read_export(path, ReadLimits(max_decompressed_bytes=10 * 2**20))


def test_xlsx_with_millions_of_rows_is_refused_at_the_row_limit(tmp_path):
    path = xlsx_bomb(tmp_path / "rows.xlsx", rows=1_200_000)
    with pytest.raises(ExportError) as info:  # its speed: bench/bench_guards.py
        read_export(path)
    (problem,) = info.value.problems
    assert "max_rows" in problem.problem and problem.row == 1_000_002


def test_yaml_alias_bomb_is_refused(tmp_path):
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match="alias"):  # before expanding it; its speed: bench/bench_guards.py
        load_codebook(path)


def test_deeply_nested_yaml_is_a_codebook_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    with pytest.raises(CodebookError, match="nested too deeply"):
        load_codebook(path)


def test_cli_validate_reports_the_alias_bomb_without_traceback(tmp_path):
    text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    done = cli("validate", SHIPPED, "--codebook", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "alias" in done.stderr
