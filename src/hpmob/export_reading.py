"""Reading a raw survey export (CSV, Excel ``.xlsx``, SPSS ``.sav``) into one frame of text cells.

The first step of :mod:`hpmob.io`, which re-exports every public name here and is where
to import them from: :func:`read_export` turns any supported file into text cells, within
:class:`ReadLimits`, and reports what it cannot read as an :class:`ExportError` listing
each :class:`Problem` (file, row, column, value, what to do). The checks of the cells
against the codebook are in :mod:`hpmob.export_validation`.

Examples
--------
>>> from hpmob.export_reading import read_export
>>> from hpmob.paths import project_root
>>> read_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv").shape
(520, 53)
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["SUPPORTED", "ExportError", "Problem", "ReadLimits", "read_export"]


SUPPORTED = (".csv", ".xlsx", ".sav")


@dataclass(frozen=True)
class Problem:
    """One problem in an export: where it is, what is wrong, what to do.

    Parameters
    ----------
    file : str
        The file (or the name given to :func:`validate_export`).
    row : int or None
        Spreadsheet row (the header is row 1); None for the whole file.
    column : str or None
        The column; None for a whole row or file.
    value : str or None
        The offending cell's text.
    problem : str
        What is wrong.
    fix : str
        What to do about it.
    severity : {"error", "warning"}
        An error stops the load; a warning is left to the cleaning step.

    Examples
    --------
    >>> from hpmob.io import Problem
    >>> print(Problem("export.csv", 3, "age", "4", "implausible age", "the cleaning step excludes it", "warning"))
    export.csv:3:age: warning: implausible age ('4') — the cleaning step excludes it
    """

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
    """An export that cannot be processed; ``.problems`` lists every problem found.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; the message lists the errors (warnings travel in ``problems``).

    Examples
    --------
    >>> from hpmob.io import ExportError, Problem
    >>> err = ExportError([Problem("export.csv", 3, "age", "4x", "not a whole number", "type the age in years")])
    >>> print(err)
    1 error(s) in the export:
    export.csv:3:age: error: not a whole number ('4x') — type the age in years
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the export:\n" + "\n".join(str(p) for p in errors)
        )


@dataclass(frozen=True)
class ReadLimits:
    """Largest export :func:`read_export` reads; anything bigger is refused with a message.

    The defaults are far above a survey of a few thousand respondents (the shipped export has
    520 rows, 0.4 MB) yet keep a malicious or broken file from exhausting memory or time.

    Parameters
    ----------
    max_file_bytes : int
        Size of the file on disk (default 512 MiB).
    max_rows : int
        Respondent rows (default 1,000,000).
    max_cell_chars : int
        Characters in one cell (default 32,767, Excel's own limit per cell).
    max_decompressed_bytes : int
        Total uncompressed size of an .xlsx's parts (default 1 GiB): a small "zip bomb"
        is refused from its directory, before anything is decompressed.

    Examples
    --------
    >>> ReadLimits().max_rows
    1000000
    >>> ReadLimits(max_rows=100).max_rows
    100
    """

    max_file_bytes: int = 512 * 2**20
    max_rows: int = 1_000_000
    max_cell_chars: int = 32_767
    max_decompressed_bytes: int = 2**30


def _limit_problem(path: Path, found: str, name: str, limit: int, row: int | None = None) -> ExportError:
    return file_problem(
        path, f"the export is larger than hpmob reads ({found}; limit {name} = {limit:,})",
        f"check that this is the survey export; if it truly is, raise the limit "
        f"(hpmob validate --{name.replace('_', '-')} N, or hpmob.io.ReadLimits({name}=...))", row=row)


def file_problem(path: Path, problem: str, fix: str, row: int | None = None, value: str | None = None):
    """Return an :class:`ExportError` of one problem of the whole file (internal: outside ``__all__``)."""
    return ExportError([Problem(str(path), row, None, value, problem, fix)])


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise file_problem(
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
    named = [h for h in header if h.strip()]
    if len(named) == 1 and records:
        # One named cell on row 1 and wider rows below: a title above the real header.
        below = next((row for row, fields in records[:10] if sum(bool(f.strip()) for f in fields) > 1), None)
        if below is not None:
            raise file_problem(
                path, f"row 1 holds a single cell ({named[0][:60]!r}), a title rather than the column names",
                f"delete the title row(s) so that the column names (row {below}?) are on row 1", row=1)
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
    names = [h.strip() for h in header]
    columns = list(zip(*(fields for _, fields in records))) if records else [() for _ in names]
    # column by column: a row-wise frame would first build one 2-D object array of every cell
    frame = pd.DataFrame({k: pd.array(col, dtype=str) for k, col in enumerate(columns)},
                         index=pd.Index([row for row, _ in records], name="row"))
    frame.columns = names
    return frame


def _read_csv(path: Path, limits: ReadLimits) -> pd.DataFrame:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline().rstrip("\r\n")
    # Excel in a Vietnamese or European locale writes ';' separated "CSV", and its
    # "Text (Tab delimited)" tabs; the header's most frequent of the three separates.
    sep = max([",", ";", "\t"], key=first.count)
    previous_limit = csv.field_size_limit(limits.max_cell_chars)  # longer cell: csv.Error, located below
    try:
        # Streamed, not read whole: a 170 MB export would otherwise be held as bytes, as
        # text and as cells at once. The csv module rather than pandas: pandas silently
        # pads short rows with blanks and turns an extra field into an index.
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header, records = _csv_records(path, csv.reader(fh, delimiter=sep, strict=True), limits)
    except UnicodeDecodeError:
        _decode(path, path.read_bytes())  # raises the located message (byte offset, row)
        raise
    finally:
        csv.field_size_limit(previous_limit)
    if not any(h.strip() for h in header) and not records:
        raise file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
    return _frame(path, header, records)


def _csv_records(path: Path, reader, limits: ReadLimits) -> tuple[list[str], list[tuple[int, list[str]]]]:
    records = []
    # Spreadsheet rows are records, not lines: a quoted line break inside a cell stays in
    # one row (as Excel shows it), so every later row number is the one the user sees.
    row = 1
    # one string per distinct value: a label repeated in 200,000 rows is then stored once
    # (a third of the peak memory of a large export), and the lookup costs less than a copy
    seen: dict[str, str] = {}
    intern = seen.setdefault
    try:
        header = next(reader, [])
        for fields in reader:
            row += 1
            if row > limits.max_rows + 1:
                raise _limit_problem(path, f"more than {limits.max_rows:,} rows", "max_rows", limits.max_rows, row=row)
            if "".join(fields).strip():  # blank lines still count as rows
                records.append((row, list(map(intern, fields, fields))))
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise _limit_problem(path, f"a cell longer than {limits.max_cell_chars:,} characters",
                                 "max_cell_chars", limits.max_cell_chars, row=row + 1) from None
        raise file_problem(path, f"the CSV is malformed ({str(err).strip()}; line {reader.line_num} of the file)",
                           "check quoting and the number of separators in that row",
                           row=row + 1) from None
    return header, records


def _xlsx_preflight(path: Path, limits: ReadLimits) -> bool:
    """Refuse a zip bomb from the archive's directory; return whether any sheet has formulas."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if total > limits.max_decompressed_bytes:
                raise _limit_problem(path, f"{total:,} bytes once decompressed", "max_decompressed_bytes",
                                     limits.max_decompressed_bytes)
            # A byte scan of each sheet (about a second per 100 MB): counts rows, so 3 million
            # rows are refused before openpyxl spends minutes on them, and finds formula
            # elements, so only workbooks holding formulas get a second read.
            formulas = False
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    n_rows, tail = 0, b""
                    with archive.open(part) as fh:
                        for block in iter(lambda: fh.read(1 << 20), b""):
                            both = tail + block
                            n_rows += both.count(b"<row ") + both.count(b"<row>") \
                                - tail.count(b"<row ") - tail.count(b"<row>")
                            formulas = formulas or b"<f>" in both or b"<f " in both
                            tail = block[-5:]
                            if n_rows > limits.max_rows + 1:
                                raise _limit_problem(path, f"more than {limits.max_rows:,} rows in {part.filename}",
                                                     "max_rows", limits.max_rows, row=limits.max_rows + 2)
    except ExportError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as err:
        # a damaged archive: bad directory, corrupt deflate stream, truncated part, odd method
        raise file_problem(path, f"not a readable .xlsx workbook ({type(err).__name__}: {err})",
                           "open it in Excel/LibreOffice and save it again as .xlsx") from None
    return formulas


def _uncached_formulas(path: Path, rows: list[tuple]) -> list[str]:
    """Cells of the first sheet holding a formula but no cached value (openpyxl reads them as empty)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    cells = []
    try:
        for r, formulas in enumerate(book.worksheets[0].iter_rows(values_only=True)):
            values = rows[r] if r < len(rows) else ()
            for c, f in enumerate(formulas):
                if isinstance(f, str) and f.startswith("=") and (c >= len(values) or values[c] is None):
                    cells.append(f"{get_column_letter(c + 1)}{r + 1}")
    finally:
        book.close()
    return cells


def _read_xlsx(path: Path, limits: ReadLimits) -> pd.DataFrame:
    import openpyxl

    has_formulas = _xlsx_preflight(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several unrelated types for a bad file
        raise file_problem(path, f"not a readable .xlsx workbook ({type(err).__name__})",
                           "open it in Excel/LibreOffice and save it again as .xlsx") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for r in sheet.iter_rows(values_only=True):
            if len(rows) > limits.max_rows:
                raise _limit_problem(path, f"more than {limits.max_rows:,} rows", "max_rows", limits.max_rows,
                                     row=len(rows) + 1)
            rows.append(r)
    except ExportError:
        raise
    except Exception as err:  # a damaged sheet (bad XML, truncated part) fails only when read
        raise file_problem(path, f"the workbook's first sheet cannot be read ({type(err).__name__})",
                           "open it in Excel/LibreOffice and save it again as .xlsx") from None
    finally:
        book.close()
    if not rows:
        raise file_problem(path, "the workbook's first sheet is empty", "put the export on the first sheet")
    if has_formulas:
        uncached = _uncached_formulas(path, rows)
        if uncached:
            shown = ", ".join(uncached[:20]) + (f" and {len(uncached) - 20} more" if len(uncached) > 20 else "")
            raise ExportError([Problem(
                str(path), int(uncached[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), None, shown,
                f"{len(uncached)} cell(s) hold a formula without a computed value (they would be read as blank)",
                "open the workbook in Excel/LibreOffice, let it recalculate and save it (or paste the "
                "columns as values)")])
    header = ["" if h is None else str(h) for h in rows[0]]
    # A stray cell right of the data widens every row with empty columns; drop those.
    while header and header[-1] == "" and all(len(r) < len(header) or r[len(header) - 1] is None for r in rows[1:]):
        header.pop()

    def cell(v, row, col):
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        text = str(v)
        if len(text) > limits.max_cell_chars:
            raise _limit_problem(path, f"a cell of {len(text):,} characters in column {col + 1}", "max_cell_chars",
                                 limits.max_cell_chars, row=row)
        return text

    records = [(k + 2, [cell(v, k + 2, j) for j, v in enumerate(r[:len(header)])]) for k, r in enumerate(rows[1:])
               if any(v is not None and str(v).strip() for v in r)]
    return _frame(path, header, records)


def _read_sav(path: Path, limits: ReadLimits) -> pd.DataFrame:
    import pyreadstat

    try:
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
        if meta.number_rows is not None and meta.number_rows > limits.max_rows:
            raise _limit_problem(path, f"{meta.number_rows:,} rows", "max_rows", limits.max_rows, row=limits.max_rows + 2)
        # Codes, not labels: the labels are checked against the codebook's codes
        # (validate_export), so a file coded 0-4 cannot pass as 1-5.
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except ExportError:
        raise
    except Exception as err:  # pyreadstat.ReadstatError and OSError subclasses
        raise file_problem(path, f"not a readable SPSS .sav file ({err})",
                           "export again from SPSS/PSPP as .sav") from None

    def code(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    labels = {col: {code(k): str(v) for k, v in spec.items()}
              for col, spec in (meta.variable_value_labels or {}).items()}
    rows = pd.RangeIndex(2, len(frame) + 2)
    out, first_row = {}, {}
    for col in frame.columns:
        codes = pd.Series(frame[col].map(code).astype(str).to_numpy(), index=rows)
        if col in labels:
            # where each labelled code first occurs, so a disagreement names a row
            seen = codes[codes.isin(list(labels[col]))]
            first_row[col] = {c: int(r) for c, r in seen.groupby(seen).apply(lambda g: g.index[0]).items()}
            codes = codes.map(lambda c, m=labels[col]: m.get(c, c))
        out[col] = codes
    frame = pd.DataFrame(out)
    frame.index.name = "row"
    frame.attrs["value_labels"] = labels  # validate_export checks codes against labels
    frame.attrs["value_label_rows"] = first_row
    return frame


def read_export(path: str | Path, limits: ReadLimits | None = None) -> pd.DataFrame:
    """Read a raw export into a frame of text cells (blank string = empty cell).

    Parameters
    ----------
    path : path-like
        ``.csv`` (UTF-8, with or without BOM, ``,``, ``;`` or tab), ``.xlsx`` (first
        sheet) or ``.sav``.
    limits : ReadLimits, optional
        Size limits (default :class:`ReadLimits`); a file over one is refused at once.

    Returns
    -------
    DataFrame
        One row per submission, columns as in the file, every cell a string.

    Raises
    ------
    ExportError
        For a file that cannot be read at all: missing, empty, not UTF-8, an
        unsupported format, a malformed CSV, duplicated column names, workbook
        formulas without computed values, or a file over a limit.

    Examples
    --------
    >>> from hpmob.io import read_export
    >>> from hpmob.paths import project_root
    >>> frame = read_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> frame.shape, bool(frame["age"].map(type).eq(str).all())
    ((520, 53), True)
    """
    path = Path(path)
    limits = limits or ReadLimits()
    if not path.is_file():
        raise file_problem(path, "file not found", "check the path (raw exports live in data/raw/)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise file_problem(path, f"unsupported file type {suffix!r}",
                           f"export as one of {', '.join(SUPPORTED)}")
    size = path.stat().st_size
    if size == 0:
        raise file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
    if size > limits.max_file_bytes:
        raise _limit_problem(path, f"{size:,} bytes", "max_file_bytes", limits.max_file_bytes)
    reader = {".csv": _read_csv, ".xlsx": _read_xlsx, ".sav": _read_sav}[suffix]
    frame = reader(path, limits)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise file_problem(path, "the export has a header but no respondent rows",
                           "check that the export includes the responses", row=2)
    return frame
