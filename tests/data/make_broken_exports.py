"""Derive small, deliberately broken survey exports for the tests of ``hpmob.io``.

Every file is made from the first 15 submissions of the shipped export
``data/raw/hpmob_survey_export.csv`` (read with the csv module, never re-simulated) and
carries one class of defect, so ``tests/test_io.py`` can check that ``hpmob validate``
rejects it with a message naming the file, the row, the column and the value.
Rows are numbered as in a spreadsheet: the header is row 1, the first submission row 2.

The output is byte-for-byte deterministic (fixed timestamps inside the .xlsx zip and
the .sav header), so the files can be committed and regenerated without a diff::

    python tests/data/make_broken_exports.py            # writes tests/data/broken/
    python tests/data/make_broken_exports.py --out DIR  # e.g. to compare in a test

The files numbered 17 and up are inputs on which the current ``hpmob.io`` misbehaves
(see ``tests/data/broken/README.md``); their tests are marked ``xfail(strict=True)``.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = ROOT / "data" / "raw" / "hpmob_survey_export.csv"
DEFAULT_OUT = HERE / "broken"
N_ROWS = 15
BOM = b"\xef\xbb\xbf"
NEWLINE = "\n"  # the shipped export's line terminator
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
FIXED_ISO_TIME = "2025-01-01T00:00:00Z"


@dataclass(frozen=True)
class Case:
    """One generated file and what ``hpmob validate`` should say about it."""

    name: str
    defect: str
    where: str  # "row R, column C" in spreadsheet numbering, or "file"
    expected: str
    bug: str = ""  # non-empty: the current hpmob.io gets this wrong (xfail test)


CASES: list[Case] = []


# --------------------------------------------------------------------------- source
def source_rows() -> tuple[list[str], list[list[str]]]:
    """Header and the first ``N_ROWS`` submissions of the shipped export, as text cells."""
    data = SOURCE.read_bytes()
    if not data.startswith(BOM):
        raise SystemExit(f"{SOURCE}: expected a UTF-8 file with BOM")
    text = data[len(BOM):].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], [list(r) for r in rows[1 : N_ROWS + 1]]
    # Sanity check: re-serializing the rows reproduces the shipped bytes exactly, so
    # every file below differs from the real export only by its deliberate defect.
    again = csv_bytes(header, body)
    if not data.startswith(again):
        raise SystemExit("re-serialized rows differ from the shipped export; check the csv dialect")
    return header, body


def csv_text(header: list[str], rows: list[list[str]], sep: str = ",") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=sep, lineterminator=NEWLINE)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_bytes(header, rows, sep: str = ",", bom: bool = True) -> bytes:
    return (BOM if bom else b"") + csv_text(header, rows, sep).encode("utf-8")


def with_cell(header, rows, row: int, column: str, value: str) -> list[list[str]]:
    """Copy of ``rows`` with the cell at spreadsheet ``row`` (2 = first submission) replaced."""
    rows = [list(r) for r in rows]
    rows[row - 2][header.index(column)] = value
    return rows


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 does (base letter + combining tone mark)."""
    tones = set("\u0300\u0301\u0303\u0309\u0323")
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out.append(base + "".join(p for p in parts if p in tones))
    return "".join(out).encode("cp1258")


# ----------------------------------------------------------------- binary formats
def _deterministic_zip(path: Path) -> None:
    """Rewrite a zip (.xlsx) with fixed entry times and fixed document properties."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_ISO_TIME.encode(), data)
            new = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            zout.writestr(new, data)


def write_xlsx(path: Path, header: list[str], rows: list[list[str] | None]) -> None:
    """Write text cells with openpyxl (``None`` in ``rows`` = an empty spreadsheet row)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "export"
    sheet.append(header)
    for r in rows:
        sheet.append([None] * len(header) if r is None else r)
    book.save(path)
    _deterministic_zip(path)


def write_sav(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write a frame of strings with pyreadstat; blank the header's creation date and time."""
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=header, dtype=object)
    pyreadstat.write_sav(frame, str(path))
    data = bytearray(path.read_bytes())
    # SPSS file header: '$FL2', product[60], 5 int32, bias float64, then
    # creation_date[9] and creation_time[8] at byte 92.
    assert data[:4] == b"$FL2"
    data[92:109] = b"01 Jan 2500:00:00"
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- files
def build(out: Path) -> list[Case]:
    header, rows = source_rows()
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, data: bytes | None, defect: str, where: str, expected: str, bug: str = ""):
        if data is not None:
            (out / name).write_bytes(data)
        cases.append(Case(name, defect, where, expected, bug))

    add("01_empty.csv", b"", "empty file (0 bytes)", "file",
        "the file is empty — export the survey again")
    add("02_header_only.csv", csv_bytes(header, []), "header, no submission rows", "row 2",
        "the export has a header but no respondent rows")
    add("03_not_utf8_cp1258.csv", to_cp1258(csv_text(header, rows)),
        "the same rows encoded Windows-1258 (no BOM), not UTF-8", "row 2 (first non-ASCII byte, in 'Trần')",
        "the file is not UTF-8 text — re-save the export as 'CSV UTF-8'")

    i = header.index("AW3")
    add("04_missing_column_AW3.csv",
        csv_bytes(header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows]),
        "required item column AW3 dropped", "row 1, column AW3", "required column is missing")

    i = header.index("PM2")
    add("05_duplicate_column_PM2.csv",
        csv_bytes(header + ["PM2"], [r + [r[i]] for r in rows]),
        "column PM2 appears twice (copy appended as last column)", "row 1, column PM2",
        "column appears twice (positions 27 and 54)")

    add("06_unknown_item_label.csv", csv_bytes(header, with_cell(header, rows, 4, "AW2", "Đồng ý lắm")),
        "item cell with a label not in the agree5 scale", "row 4, column AW2, value 'Đồng ý lắm'",
        "unknown label")
    add("07_unknown_level_label.csv", csv_bytes(header, with_cell(header, rows, 6, "level", "Cấp tỉnh")),
        "categorical attribute with a level not in the codebook", "row 6, column level, value 'Cấp tỉnh'",
        "unknown label")
    add("08_age_out_of_range.csv", csv_bytes(header, with_cell(header, rows, 5, "age", "250")),
        "age outside the hard range 0–120", "row 5, column age, value '250'",
        "outside the possible range 0–120")
    bad_age = with_cell(header, with_cell(header, rows, 3, "age", "bốn mươi"), 8, "age", "45 tuổi")
    add("09_age_not_a_number.csv", csv_bytes(header, bad_age),
        "age written in words / with a unit", "row 3, column age, value 'bốn mươi'; row 8, column age, value '45 tuổi'",
        "not a whole number (both rows)")
    add("10_duration_with_unit.csv", csv_bytes(header, with_cell(header, rows, 9, "duration_sec", "12 phút")),
        "duration_sec with a unit", "row 9, column duration_sec, value '12 phút'", "not a whole number")
    add("11_bad_timestamp.csv",
        csv_bytes(header, with_cell(header, rows, 10, "submitted_at", "2024-02-30 08:15:00")),
        "impossible timestamp (30 February)", "row 10, column submitted_at, value '2024-02-30 08:15:00'",
        "not a date and time")
    first_id = rows[0][header.index("respondent_id")]
    add("12_duplicate_respondent_id.csv",
        csv_bytes(header, with_cell(header, rows, 12, "respondent_id", first_id)),
        "row 12 repeats the submission id of row 2", f"row 12, column respondent_id, value '{first_id}'",
        "submission id occurs more than once")
    add("13_valid_semicolon_no_bom.csv", csv_bytes(header, rows, sep=";", bom=False),
        "POSITIVE CONTROL: ';'-separated, no BOM, otherwise the shipped rows", "—",
        "valid: exit 0, 0 errors")

    # Stray opening quote before a field of row 4: the line then has too many fields.
    lines = csv_text(header, rows).split(NEWLINE)
    gender = rows[2][header.index("gender")]
    needle = f",{gender},"
    assert lines[3].count(needle) == 1, "row 4 must contain its gender cell exactly once"
    lines[3] = lines[3].replace(needle, f',"{gender},')
    add("14_malformed_unbalanced_quote.csv", BOM + NEWLINE.join(lines).encode("utf-8"),
        "unbalanced double quote opening the gender cell of row 4", "row 4 (line 4)",
        "the CSV is malformed — check quoting")

    write_xlsx(out / "15_unknown_label.xlsx", header, with_cell(header, rows, 11, "RT3", "Rất đồng ý"))
    add("15_unknown_label.xlsx", None, "Excel export with an item label not in the scale",
        "row 11, column RT3, value 'Rất đồng ý'", "unknown label")
    i = header.index("age")
    write_sav(out / "16_missing_column_age.sav", header[:i] + header[i + 1:],
              [[c.rstrip() for c in r[:i] + r[i + 1:]] for r in rows])
    add("16_missing_column_age.sav", None, "SPSS export without the age column", "row 1, column age",
        "required column is missing")

    # ---- inputs the current hpmob.io mishandles (tests marked xfail(strict=True))
    add("17_short_row.csv", csv_bytes(header, [r if n != 7 else r[:20] for n, r in enumerate(rows, start=2)]),
        "row 7 truncated after 20 of 53 fields", "row 7",
        "an error naming row 7 (a truncated row)",
        bug="accepted as valid: pandas pads the missing fields with '' (answers silently become blank)")
    add("18_extra_field_first_row.csv", csv_bytes(header, [rows[0] + ["x"]] + rows[1:]),
        "first submission row has one field more than the header", "row 2",
        "an error naming row 2 (too many fields)",
        bug="pandas takes the first column as an implicit index; validate_export crashes "
            "with TypeError (traceback)")
    add("19_mixed_timezone.csv",
        csv_bytes(header, with_cell(header, rows, 3, "submitted_at",
                                    rows[1][header.index("submitted_at")].replace(" ", "T") + "+07:00")),
        "row 3 has a valid ISO 8601 timestamp with a UTC offset; the others have none",
        "row 3, column submitted_at", "valid, or a cell error naming row 3 / submitted_at",
        bug="pd.to_datetime raises 'Mixed timezones detected'; hpmob validate exits 2 with "
            "no file/row/column")
    blank = with_cell(header, rows, 4, "gender", "Nam giới")  # row 5 once the empty row is in
    write_xlsx(out / "20_blank_row.xlsx", header, blank[:2] + [None] + blank[2:])
    add("20_blank_row.xlsx", None,
        "empty spreadsheet row 4; the next row (row 5) has gender 'Nam giới'",
        "row 5, column gender, value 'Nam giới'", "unknown label at row 5",
        bug="_read_xlsx drops empty rows, so the problem is reported at row 4")
    text = csv_text(header, blank).split(NEWLINE)
    add("21_blank_line.csv", BOM + NEWLINE.join(text[:3] + [""] + text[3:]).encode("utf-8"),
        "empty line 4; line 5 has gender 'Nam giới'", "row 5, column gender, value 'Nam giới'",
        "unknown label at row 5",
        bug="pd.read_csv(skip_blank_lines=True) drops the empty line, so the problem is reported at row 4")

    write_readme(out, cases)
    return cases


def write_readme(out: Path, cases: list[Case]) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# Broken exports (test fixtures)",
        "",
        "Generated by `tests/data/make_broken_exports.py` from the first "
        f"{N_ROWS} submissions of `data/raw/hpmob_survey_export.csv`; do not edit by hand, "
        "rerun the script. Synthetic data. Each file has one class of defect; "
        "`tests/test_io.py` checks that `hpmob validate FILE` exits 1 and names the file, row, "
        "column and value. Rows are numbered as in a spreadsheet: header = row 1, "
        "first submission = row 2.",
        "",
        "| file | defect | where | expected from `hpmob validate` |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{c.name}` | {cell(c.defect)} | {cell(c.where)} | {cell(c.expected)} |"
              for c in cases if not c.bug]
    lines += [
        "",
        "## Known bugs of `hpmob.io` (tests marked `xfail(strict=True)`)",
        "",
        "| file | defect | where | expected | current behaviour |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{c.name}` | {cell(c.defect)} | {cell(c.where)} | {cell(c.expected)} | {cell(c.bug)} |"
              for c in cases if c.bug]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: tests/data/broken)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # Build in a scratch folder first so a failure never leaves a half-written set.
        cases = build(Path(tmp))
        args.out.mkdir(parents=True, exist_ok=True)
        for old in args.out.iterdir():  # only files this script makes
            if old.is_file() and (re.match(r"^\d\d_", old.name) or old.name == "README.md"):
                old.unlink()
        for f in sorted(Path(tmp).iterdir()):
            shutil.copyfile(f, args.out / f.name)
    print(f"wrote {len(cases)} exports and README.md to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
