"""Read and validate a raw survey export against the codebook.

A survey team's export arrives as CSV (UTF-8 with or without BOM, ``,`` or ``;``),
Excel ``.xlsx`` or SPSS ``.sav``. :func:`read_export` turns any of them into one frame
of text cells; :func:`validate_export` checks every cell against the codebook and
returns *every* problem at once, each naming the file, row, column and value and
saying what to do. Nothing here writes to the raw file.

Two severities:

``error``
    The export cannot be processed as it is (a missing column, an unknown label, a
    number that is not a number or lies outside the codebook's hard ``range``).
    Fix the file or the codebook, then rerun.
``warning``
    A value is well-formed but implausible for a respondent (age 4). The cleaning
    step excludes that respondent with a logged reason; nothing to fix in the file.

Rows are numbered as in a spreadsheet: the header is row 1, the first respondent row 2.

Examples
--------
>>> from hpmob.io import load_export
>>> raw = load_export("data/raw/hpmob_survey_export.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpmob.codebook import Codebook, load_codebook, normalize_label

SUPPORTED = (".csv", ".xlsx", ".sav")
MANIFEST_NAME = "MANIFEST.sha256"
_INT_RE = re.compile(r"^[+-]?\d+(\.0+)?$")


@dataclass(frozen=True)
class Problem:
    """One problem in an export: where it is, what is wrong, what to do."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    problem: str
    fix: str
    severity: str = "error"

    def __str__(self) -> str:
        where = ":".join([self.file, str(self.row) if self.row is not None else "-", self.column or "-"])
        value = f" ({self.value!r})" if self.value is not None else ""
        return f"{where}: {self.severity}: {self.problem}{value} — {self.fix}"


class ExportError(ValueError):
    """An export that cannot be processed; ``.problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the export:\n" + "\n".join(str(p) for p in errors)
        )


# ------------------------------------------------------------------------- reading
def _file_problem(path: Path, problem: str, fix: str, row: int | None = None, value: str | None = None):
    return ExportError([Problem(str(path), row, None, value, problem, fix)])


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise _file_problem(
            path, f"the file is not UTF-8 text (byte {data[err.start]:#04x} at byte offset {err.start})",
            "re-save the export as 'CSV UTF-8' (Excel) or UTF-8 text; Windows-1258 or Latin-1 "
            "exports garble Vietnamese labels", row=line,
        ) from None


def _header_problems(path: Path, header: list[str]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(header):
        key = name.strip()
        if key in seen:
            problems.append(Problem(
                str(path), 1, key, None,
                f"column appears twice (positions {seen[key] + 1} and {i + 1})",
                "keep one copy of the column in the export",
            ))
        seen.setdefault(key, i)
    return problems


def _frame(path: Path, header: list[str], records: list[tuple[int, list[str]]]) -> pd.DataFrame:
    """Build the text frame; its index holds each record's spreadsheet row number."""
    problems = _header_problems(path, header)
    width = len(header)
    for row, fields in records:
        if len(fields) != width:
            problems.append(Problem(
                str(path), row, None, f"{len(fields)} fields",
                f"row has {len(fields)} fields but the header has {width}",
                "a value was cut or a separator added: re-export, or fix the row's quoting/separators",
            ))
    if problems:
        raise ExportError(problems)
    frame = pd.DataFrame([fields for _, fields in records], columns=[h.strip() for h in header],
                         index=pd.Index([row for row, _ in records], name="row"), dtype=str)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise _file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
    first = text.splitlines()[0]
    # Excel in a Vietnamese or European locale writes ';' separated "CSV".
    sep = ";" if first.count(";") > first.count(",") else ","
    # The csv module rather than pandas: pandas silently pads short rows with blanks
    # and turns an extra field into an index, and neither may pass unnoticed.
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep, strict=True)
    records = []
    start = 1  # line on which the record being read begins (a quoted field may span lines)
    try:
        header = next(reader)
        start = reader.line_num + 1
        for fields in reader:
            if any(f.strip() for f in fields):  # blank lines still count as rows
                records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as err:
        raise _file_problem(path, f"the CSV is malformed ({str(err).strip()})",
                            "check quoting and the number of separators on that line",
                            row=start) from None
    return _frame(path, header, records)


def _read_xlsx(path: Path) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several unrelated types for a bad file
        raise _file_problem(path, f"not a readable .xlsx workbook ({type(err).__name__})",
                            "open it in Excel/LibreOffice and save it again as .xlsx") from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    if not rows:
        raise _file_problem(path, "the workbook's first sheet is empty", "put the export on the first sheet")
    header = ["" if h is None else str(h) for h in rows[0]]
    # A stray cell right of the data widens every row with empty columns; drop those.
    while header and header[-1] == "" and all(len(r) < len(header) or r[len(header) - 1] is None for r in rows[1:]):
        header.pop()

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    records = [(k + 2, [cell(v) for v in r[:len(header)]]) for k, r in enumerate(rows[1:])
               if any(v is not None and str(v).strip() for v in r)]
    return _frame(path, header, records)


def _read_sav(path: Path) -> pd.DataFrame:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    except Exception as err:  # pyreadstat.ReadstatError and OSError subclasses
        raise _file_problem(path, f"not a readable SPSS .sav file ({err})",
                            "export again from SPSS/PSPP as .sav") from None

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    frame = frame.map(cell).astype(str)
    frame.index = pd.Index(range(2, len(frame) + 2), name="row")
    return frame


def read_export(path: str | Path) -> pd.DataFrame:
    """Read a raw export into a frame of text cells (blank string = empty cell).

    Parameters
    ----------
    path : path-like
        ``.csv`` (UTF-8, with or without BOM, ``,`` or ``;``), ``.xlsx`` (first sheet)
        or ``.sav``.

    Returns
    -------
    DataFrame
        One row per submission, columns as in the file, every cell a string.

    Raises
    ------
    ExportError
        For a file that cannot be read at all: missing, empty, not UTF-8, an
        unsupported format, a malformed CSV or duplicated column names.
    """
    path = Path(path)
    if not path.is_file():
        raise _file_problem(path, "file not found", "check the path (raw exports live in data/raw/)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise _file_problem(path, f"unsupported file type {suffix!r}",
                            f"export as one of {', '.join(SUPPORTED)}")
    if path.stat().st_size == 0:
        raise _file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
    reader = {".csv": _read_csv, ".xlsx": _read_xlsx, ".sav": _read_sav}[suffix]
    frame = reader(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise _file_problem(path, "the export has a header but no respondent rows",
                            "check that the export includes the responses", row=2)
    return frame


# ---------------------------------------------------------------------- validation
def parse_integer(text: str) -> int | None:
    """Parse an integer cell (``"45"``, ``" 45 "``, ``"45.0"``); ``None`` if it is not one."""
    text = str(text).strip()
    if not _INT_RE.match(text):
        return None
    return int(float(text))


#: Survey platforms in Vietnam record local time; offsets are converted to it.
LOCAL_UTC_OFFSET_HOURS = 7


def parse_timestamp(text: str) -> pd.Timestamp | None:
    """Parse an ISO 8601 timestamp to naive local (UTC+7) time; ``None`` if it is not one.

    Exports mix naive local times with offset-qualified ones (``+07:00``, ``Z``);
    both must order correctly, so aware times are converted to local time.
    """
    import datetime as _dt

    try:
        value = _dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        return None
    if value.tzinfo is not None:
        local = _dt.timezone(_dt.timedelta(hours=LOCAL_UTC_OFFSET_HOURS))
        value = value.astimezone(local).replace(tzinfo=None)
    return pd.Timestamp(value)


def validate_export(frame: pd.DataFrame, codebook: Codebook | None = None,
                    source: str = "<export>") -> list[Problem]:
    """Check every column and cell of a raw export against the codebook.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`read_export` (text cells).
    codebook : Codebook, optional
        Defaults to the shipped codebook.
    source : str
        File name used in the messages.

    Returns
    -------
    list of Problem
        Every problem found (errors and warnings), in column then row order.
    """
    cb = codebook or load_codebook()
    problems: list[Problem] = []
    missing = [c for c in cb.expected_columns if c not in frame.columns]
    for col in missing:
        problems.append(Problem(
            source, 1, col, None, "required column is missing",
            f"add the column '{col}' to the export, or remove it from the codebook if the "
            "survey did not ask it",
        ))
    for col in frame.columns:
        if col not in cb.expected_columns:
            problems.append(Problem(
                source, 1, col, None, "column is not in the codebook and will be ignored",
                "add it to the codebook if the analysis needs it", severity="warning",
            ))

    # Frames from read_export carry spreadsheet row numbers in their index; any other
    # frame is numbered as if row 1 were its header.
    row_of = (lambda i: int(i)) if frame.index.name == "row" else \
        (lambda i: int(frame.index.get_loc(i)) + 2)

    def cell_problem(i, col, value, problem, fix, severity="error"):
        problems.append(Problem(source, row_of(i), col, value, problem, fix, severity))

    for col in [c for c in cb.expected_columns if c in frame.columns]:
        kind = cb.column_kind(col)
        values = frame[col].astype(str)
        if kind == "personal":
            continue
        if col == "respondent_id":
            blank = values.str.strip() == ""
            for i in values.index[blank]:
                cell_problem(i, col, "", "submission id is empty", "every submission needs the platform's id")
            dup = values.duplicated(keep="first") & ~blank
            for i in values.index[dup]:
                cell_problem(i, col, values[i], "submission id occurs more than once",
                             "the platform's ids are unique: re-export; duplicate people are handled by cleaning")
            continue
        if col == "submitted_at":
            for i, text in values.items():
                if text.strip() and parse_timestamp(text) is None:
                    cell_problem(i, col, text, "not a date and time",
                                 "write timestamps as ISO 8601, YYYY-MM-DD HH:MM:SS (an offset such as +07:00 may follow)")
            continue
        if col == "duration_sec" or kind == "integer":
            bounds = cb.integer_bounds(col) if kind == "integer" else {"range": (0, 10**7), "plausible": (0, 10**7)}
            lo, hi = bounds["range"]
            plo, phi = bounds["plausible"]
            for i, text in values.items():
                if text.strip() == "":
                    continue
                number = parse_integer(text)
                if number is None:
                    cell_problem(i, col, text, "not a whole number",
                                 "write a whole number without units or text, or leave the cell empty")
                elif not lo <= number <= hi:
                    cell_problem(i, col, text, f"outside the possible range {lo}–{hi}",
                                 "correct the value from the paper form or leave the cell empty")
                elif not plo <= number <= phi:
                    cell_problem(i, col, text, f"outside the plausible range {plo}–{phi}",
                                 "nothing to fix: cleaning excludes this respondent and logs why",
                                 severity="warning")
            continue
        # items and categorical attributes: labels
        lookup = cb.label_lookup(col)
        labels = "; ".join(cb.value_labels(col, lang="vi").values())
        for i, text in values.items():
            if text.strip() != "" and normalize_label(text) not in lookup:
                cell_problem(
                    i, col, text, "unknown label",
                    f"use one of the codebook's labels ({labels}), or, if this is a known "
                    "misspelling, add it to 'aliases' of the intended code in the codebook",
                )
    return problems


def load_export(path: str | Path, codebook: Codebook | None = None) -> pd.DataFrame:
    """Read and validate an export; raise :class:`ExportError` listing every error.

    Warnings (implausible values) do not stop the load; the cleaning step logs them.
    """
    frame = read_export(path)
    problems = validate_export(frame, codebook, source=str(path))
    if any(p.severity == "error" for p in problems):
        raise ExportError(problems)
    return frame


# ------------------------------------------------------------------------- manifest
def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of a file, read in chunks so large exports fit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_files(raw_dir: str | Path) -> list[Path]:
    """Raw export files of ``raw_dir`` (the manifest and README are not raw data)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.iterdir()
                  if p.is_file() and p.name not in {MANIFEST_NAME, "README.md", ".gitkeep"})


def write_manifest(raw_dir: str | Path) -> Path:
    """Record the SHA-256 of every raw file in ``raw_dir/MANIFEST.sha256`` (``sha256sum`` format)."""
    raw_dir = Path(raw_dir)
    lines = [f"{sha256_file(p)}  {p.name}\n" for p in raw_files(raw_dir)]
    out = raw_dir / MANIFEST_NAME
    out.write_text("".join(lines), encoding="utf-8")
    return out


def verify_manifest(raw_dir: str | Path) -> pd.DataFrame:
    """Check the raw files against ``MANIFEST.sha256`` before anything reads them.

    Returns
    -------
    DataFrame
        ``file, sha256`` of the verified files.

    Raises
    ------
    ExportError
        If the manifest is missing, a listed file is missing or changed, or a raw file
        is not listed — each named, with what to do.
    """
    raw_dir = Path(raw_dir)
    manifest = raw_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise _file_problem(manifest, "the raw-data manifest is missing",
                            "run 'hpmob manifest --write' once for a new export and commit the manifest")
    recorded = {}
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            digest, _, name = line.partition("  ")
            recorded[name.strip()] = (digest.strip(), n)
    problems = []
    for name, (digest, n) in recorded.items():
        path = raw_dir / name
        if not path.is_file():
            problems.append(Problem(str(manifest), n, None, name, "listed raw file is missing",
                                    f"restore {path} (raw files are never deleted)"))
        elif sha256_file(path) != digest:
            problems.append(Problem(
                str(path), None, None, None,
                f"SHA-256 {sha256_file(path)[:16]}… differs from the manifest's {digest[:16]}…: the raw file was modified",
                f"raw data are read-only: restore the original (e.g. git checkout -- {path}); if a new "
                "export replaces it on purpose, run 'hpmob manifest --write' and commit why",
            ))
    for path in raw_files(raw_dir):
        if path.name not in recorded:
            problems.append(Problem(str(path), None, None, None, "raw file is not listed in the manifest",
                                    "run 'hpmob manifest --write' if it is a new export, else remove it"))
    if problems:
        raise ExportError(problems)
    return pd.DataFrame([{"file": k, "sha256": v[0]} for k, v in recorded.items()])
