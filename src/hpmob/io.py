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
>>> from hpmob.paths import project_root
>>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
>>> raw.shape
(520, 53)
"""

from __future__ import annotations

import csv
import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpmob.codebook import Codebook, load_codebook, normalize_label

SUPPORTED = (".csv", ".xlsx", ".sav")
MANIFEST_NAME = "MANIFEST.sha256"


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


# ------------------------------------------------------------------------- limits
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
    return _file_problem(
        path, f"the export is larger than hpmob reads ({found}; limit {name} = {limit:,})",
        f"check that this is the survey export; if it truly is, raise the limit "
        f"(hpmob validate --{name.replace('_', '-')} N, or hpmob.io.ReadLimits({name}=...))", row=row)


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
    named = [h for h in header if h.strip()]
    if len(named) == 1 and records:
        # One named cell on row 1 and wider rows below: a title above the real header.
        below = next((row for row, fields in records[:10] if sum(bool(f.strip()) for f in fields) > 1), None)
        if below is not None:
            raise _file_problem(
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
        raise _file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
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
        raise _file_problem(path, f"the CSV is malformed ({str(err).strip()}; line {reader.line_num} of the file)",
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
        raise _file_problem(path, f"not a readable .xlsx workbook ({type(err).__name__}: {err})",
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
        raise _file_problem(path, f"not a readable .xlsx workbook ({type(err).__name__})",
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
        raise _file_problem(path, f"the workbook's first sheet cannot be read ({type(err).__name__})",
                            "open it in Excel/LibreOffice and save it again as .xlsx") from None
    finally:
        book.close()
    if not rows:
        raise _file_problem(path, "the workbook's first sheet is empty", "put the export on the first sheet")
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
        raise _file_problem(path, f"not a readable SPSS .sav file ({err})",
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
        raise _file_problem(path, "file not found", "check the path (raw exports live in data/raw/)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise _file_problem(path, f"unsupported file type {suffix!r}",
                            f"export as one of {', '.join(SUPPORTED)}")
    size = path.stat().st_size
    if size == 0:
        raise _file_problem(path, "the file is empty", "export the survey again; the file has no header and no rows")
    if size > limits.max_file_bytes:
        raise _limit_problem(path, f"{size:,} bytes", "max_file_bytes", limits.max_file_bytes)
    reader = {".csv": _read_csv, ".xlsx": _read_xlsx, ".sav": _read_sav}[suffix]
    frame = reader(path, limits)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise _file_problem(path, "the export has a header but no respondent rows",
                            "check that the export includes the responses", row=2)
    return frame


# ---------------------------------------------------------------------- validation
#: Longest whole number accepted: no survey value has more digits, and 400 digits would
#: overflow a float (a traceback before this check existed).
MAX_DIGITS = 15
_PLAIN_INT = re.compile(r"^[+-]?\d+$")
#: per locale: (thousands-grouped pattern, decimal separator)
_LOCALE_NUMBER = {
    "vi": (re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,0+)?$"), ","),
    "en": (re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.0+)?$"), "."),
}


def read_whole_number(text: str, locale: str | None = None) -> tuple[int | None, str | None]:
    """Parse a whole-number cell into ``(number, None)`` or ``(None, why not)``.

    Without a declared ``locale``, ``45`` and ``45.0`` are read; a separator that could
    be a thousands separator or a decimal mark (``1.000`` is one thousand in Vietnamese
    usage, one in English) is refused, never guessed. With ``locale="vi"`` ``1.000`` is
    1000 and ``45,0`` is 45; with ``"en"`` ``1,000`` is 1000 and ``45.0`` is 45.

    Parameters
    ----------
    text : str
        The cell.
    locale : {"vi", "en"}, optional
        The codebook's ``number_locale``; without one, no separator is read.

    Returns
    -------
    tuple
        ``(int, None)``, or ``(None, reason)`` with the reason in words.

    Examples
    --------
    >>> read_whole_number("1.000")[0] is None, read_whole_number("1.000", "vi")
    (True, (1000, None))
    >>> read_whole_number("45.0"), read_whole_number("1,000", "en")
    ((45, None), (1000, None))
    """
    text = str(text).strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_DIGITS:
        return None, f"a number with {digits} digits (at most {MAX_DIGITS} are accepted)"
    if _PLAIN_INT.match(text):
        return int(text), None
    if locale is None:
        if re.match(r"^[+-]?\d+\.0{1,2}$", text):  # a float written by a spreadsheet or pandas
            return int(text.split(".")[0]), None
        if re.match(r"^[+-]?\d+([.,]\d+)+$", text):
            return None, ("a number with a separator: '.' or ',' may be a thousands separator (1.000 = one "
                          "thousand in Vietnamese usage) or a decimal mark, and is not guessed")
        return None, "not a whole number"
    grouped, decimal = _LOCALE_NUMBER[locale]
    if grouped.match(text):
        return int(text.split(decimal)[0].replace("," if decimal == "." else ".", "")), None
    if re.match(r"^[+-]?\d+" + re.escape(decimal) + r"0+$", text):
        return int(text.split(decimal)[0]), None
    if re.match(r"^[+-]?\d+([.,]\d+)+$", text):
        return None, (f"not a whole number as the codebook's number_locale {locale!r} writes numbers "
                      f"(decimal mark {decimal!r})")
    return None, "not a whole number"


def parse_integer(text: str, locale: str | None = None) -> int | None:
    """Parse an integer cell (``"45"``, ``" 45 "``, ``"45.0"``); ``None`` if it is not one.

    See :func:`read_whole_number` for ``locale`` and separators.

    Parameters
    ----------
    text : str
        The cell.
    locale : {"vi", "en"}, optional
        The codebook's ``number_locale``: how separators are read.

    Returns
    -------
    int or None
        The number, or None.

    Examples
    --------
    >>> from hpmob.io import parse_integer
    >>> parse_integer(" 45 "), parse_integer("45.0"), parse_integer("1.000"), parse_integer("1.000", "vi")
    (45, 45, None, 1000)
    """
    return read_whole_number(text, locale)[0]


#: Survey platforms in Vietnam record local time; offsets are converted to it.
LOCAL_UTC_OFFSET_HOURS = 7


def parse_timestamp(text: str) -> pd.Timestamp | None:
    """Parse an ISO 8601 timestamp to naive local (UTC+7) time; ``None`` if it is not one.

    Exports mix naive local times with offset-qualified ones (``+07:00``, ``Z``);
    both must order correctly, so aware times are converted to local time.

    Parameters
    ----------
    text : str
        The cell.

    Returns
    -------
    pandas.Timestamp or None
        The time in local time (UTC+7), without a time zone; None if the text is not ISO 8601.

    Examples
    --------
    >>> from hpmob.io import parse_timestamp
    >>> parse_timestamp("2024-05-02T01:30:00Z"), parse_timestamp("2024-05-02 08:30"), parse_timestamp("May 2")
    (Timestamp('2024-05-02 08:30:00'), Timestamp('2024-05-02 08:30:00'), None)
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


_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\u00a0]")


def _missing_column_hint(col: str, header: list[str]) -> str | None:
    """The likely cause of a missing column, when the header has a near twin of it."""
    for k, name in enumerate(header, start=1):
        if name == col:
            continue
        bare = _INVISIBLE.sub("", name).strip()
        if bare == col:
            chars = ", ".join(sorted({f"U+{ord(c):04X}" for c in _INVISIBLE.findall(name)}))
            return (f"column {k} of the header is {name!r}: '{col}' with an invisible character ({chars}); "
                    f"retype the column name '{col}' in the header")
        if bare.casefold() == col.casefold():
            return (f"column {k} of the header is {name!r}: column names are case-sensitive; "
                    f"rename it to '{col}'")
    if len(header) == 1 and "\t" in header[0] or any(col in h.split("\t") for h in header):
        return "the header holds tab characters: save the export as CSV (comma or semicolon separated)"
    return None


def _header_below(frame: pd.DataFrame, cb: Codebook, look: int = 5) -> int | None:
    """Spreadsheet row of a header sitting below a title row, if one of the first rows is it."""
    expected = set(cb.expected_columns)
    for (i, values), _ in zip(frame.iterrows(), range(look)):
        cells = {str(v).strip() for v in values}
        if len(cells & expected) > len(expected) // 2:
            return int(i) if frame.index.name == "row" else int(frame.index.get_loc(i)) + 2
    return None


def _value_label_problems(frame: pd.DataFrame, cb: Codebook, source: str) -> list[Problem]:
    """A .sav's codes against its own value labels and the codebook's (code/label disagreement)."""
    problems = []
    first_rows = frame.attrs.get("value_label_rows", {})
    for col, labels in frame.attrs.get("value_labels", {}).items():
        if col not in cb.item_columns:
            continue  # attribute codes are names (e.g. "urban"), not numbers: only labels can be checked, per cell
        lookup = cb.label_lookup(col)
        for code, label in labels.items():
            meant = lookup.get(normalize_label(label))
            if meant is not None and str(meant) != code:
                problems.append(Problem(
                    source, first_rows.get(col, {}).get(code), col, f"{code} = {label}",
                    f"code/label disagreement: the file codes {label!r} as {code}, the codebook as {meant}",
                    "the file's codes are shifted against the codebook's (a scale coded 0-4 instead of "
                    "1-5?): recode the variable to the codebook's codes in SPSS/PSPP, or fix its value labels",
                ))
    return problems


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

    Examples
    --------
    >>> from hpmob.io import read_export, validate_export
    >>> from hpmob.paths import project_root
    >>> frame = read_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> problems = validate_export(frame.drop(columns=["gender"]), source="export.csv")
    >>> [str(p) for p in problems if p.severity == "error"][:1]  # doctest: +NORMALIZE_WHITESPACE
    ["export.csv:1:gender: error: required column is missing — add the column 'gender' to the export, or remove it
    from the codebook if the survey did not ask it"]
    """
    cb = codebook or load_codebook()
    problems: list[Problem] = []
    missing = [c for c in cb.expected_columns if c not in frame.columns]
    title_row = _header_below(frame, cb) if len(missing) > len(cb.expected_columns) // 2 else None
    if title_row is not None:
        problems.append(Problem(
            source, 1, None, None,
            f"the header is not on row 1: row {title_row} holds the codebook's column names",
            f"delete the title row(s) above row {title_row} so that the column names are on row 1",
        ))
    for col in missing:
        problems.append(Problem(
            source, 1, col, None, "required column is missing",
            _missing_column_hint(col, list(frame.columns)) or
            f"add the column '{col}' to the export, or remove it from the codebook if the "
            "survey did not ask it",
        ))
    for col in frame.columns:
        if col not in cb.expected_columns:
            problems.append(Problem(
                source, 1, col, None, "column is not in the codebook and will be ignored",
                "add it to the codebook if the analysis needs it", severity="warning",
            ))

    problems += _value_label_problems(frame, cb, source)
    # Frames from read_export carry spreadsheet row numbers in their index; any other
    # frame is numbered as if row 1 were its header.
    row_of = (lambda i: int(i)) if frame.index.name == "row" else \
        (lambda i: int(frame.index.get_loc(i)) + 2)

    def cell_problem(i, col, value, problem, fix, severity="error"):
        problems.append(Problem(source, row_of(i), col, value, problem, fix, severity))

    for col in [c for c in cb.expected_columns if c in frame.columns]:
        kind = cb.column_kind(col)
        if kind == "personal":
            continue
        values = frame[col].astype(str)
        # Each distinct value is checked once (a label recurs in thousands of rows); only
        # the cells holding a bad value are then visited, in row order.
        if col == "respondent_id":
            _id_problems(values, col, cell_problem, row_of)
            continue
        if col == "submitted_at":
            verdict = {v: ("not a date and time",
                           "write timestamps as ISO 8601, YYYY-MM-DD HH:MM:SS (an offset such as +07:00 may follow)",
                           "error")
                       for v in pd.unique(values.to_numpy()) if v.strip() and parse_timestamp(v) is None}
        elif col == "duration_sec" or kind == "integer":
            bounds = cb.integer_bounds(col) if kind == "integer" else {"range": (0, 10**7), "plausible": (0, 10**7)}
            verdict = {}
            for v in pd.unique(values.to_numpy()):
                if v.strip():
                    found = _number_verdict(v, cb.number_locale, bounds)
                    if found:
                        verdict[v] = found
        else:  # items and categorical attributes: labels
            lookup = cb.label_lookup(col)
            labels = "; ".join(cb.value_labels(col, lang="vi").values())
            unknown = ("unknown label", f"use one of the codebook's labels ({labels}), or, if this is a known "
                       "misspelling, add it to 'aliases' of the intended code in the codebook", "error")
            verdict = {v: unknown for v in pd.unique(values.to_numpy())
                       if v.strip() != "" and normalize_label(v) not in lookup}
        if verdict:
            for i, text in values[values.isin(list(verdict))].items():
                problem, fix, severity = verdict[text]
                cell_problem(i, col, text, problem, fix, severity)
    return problems


def _number_verdict(text: str, locale: str | None, bounds: dict) -> tuple[str, str, str] | None:
    """``(problem, fix, severity)`` of a whole-number cell, or None when it is fine."""
    lo, hi = bounds["range"]
    plo, phi = bounds["plausible"]
    number, why = read_whole_number(text, locale)
    if number is None:
        fix = ("write the number without separators, or declare how the export writes numbers "
               "in the codebook (meta: number_locale: vi for 1.000, en for 1,000)"
               if "separator" in why or "locale" in why else
               "write a whole number without units or text, or leave the cell empty")
        return why, fix, "error"
    if not lo <= number <= hi:
        return (f"outside the possible range {lo}–{hi}",
                "correct the value from the paper form or leave the cell empty", "error")
    if not plo <= number <= phi:
        return (f"outside the plausible range {plo}–{phi}",
                "nothing to fix: cleaning excludes this respondent and logs why", "warning")
    return None


def _id_problems(values: pd.Series, col: str, cell_problem, row_of) -> None:
    blank = values.str.strip() == ""
    for i in values.index[blank]:
        cell_problem(i, col, "", "submission id is empty", "every submission needs the platform's id")
    # "S1" and " s1" are one id to a person reading the file, two to a computer
    folded = values.str.strip().str.casefold().where(~blank)
    repeated = folded.duplicated(keep=False) & ~blank
    if not repeated.any():
        return
    first_row: dict[str, object] = {}
    for i, key in folded[repeated].items():
        if key not in first_row:
            first_row[key] = i
            continue
        first = first_row[key]
        if values[i] == values[first]:
            cell_problem(i, col, values[i], f"submission id occurs more than once (first in row {row_of(first)})",
                         "the platform's ids are unique: re-export; duplicate people are handled by cleaning")
        else:
            cell_problem(i, col, values[i],
                         f"submission id differs from row {row_of(first)}'s {values[first]!r} only by "
                         "letter case or spaces",
                         "the platform's ids are unique: re-export, or restore the id as the platform wrote it")


def load_export(path: str | Path, codebook: Codebook | None = None,
                limits: ReadLimits | None = None) -> pd.DataFrame:
    """Read and validate an export; raise :class:`ExportError` listing every error.

    Warnings (implausible values) do not stop the load; the cleaning step logs them.

    Parameters
    ----------
    path : path-like
        The export (see :func:`read_export`).
    codebook : Codebook, optional
        The instrument to validate against; default the shipped one.
    limits : ReadLimits, optional
        Size limits of :func:`read_export`.

    Returns
    -------
    DataFrame
        The export's text cells, as :func:`read_export` reads them.

    Examples
    --------
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> raw.shape, raw.iloc[0]["gender"]
    ((520, 53), 'Nam')
    """
    frame = read_export(path, limits)
    problems = validate_export(frame, codebook, source=str(path))
    if any(p.severity == "error" for p in problems):
        raise ExportError(problems)
    return frame


# ------------------------------------------------------------------------- manifest
def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of a file, read in chunks so large exports fit in memory.

    Parameters
    ----------
    path : path-like
        The file.
    chunk_size : int
        Bytes read at a time.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.io import sha256_file
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> sha256_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_files(raw_dir: str | Path) -> list[Path]:
    """List the raw export files of ``raw_dir`` (the manifest and README are not raw data).

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    list of pathlib.Path
        Sorted by name; empty when the folder does not exist.

    Examples
    --------
    >>> from hpmob.io import raw_files
    >>> from hpmob.paths import project_root
    >>> [p.name for p in raw_files(project_root() / "data" / "raw")]
    ['hpmob_survey_export.csv']
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.iterdir()
                  if p.is_file() and p.name not in {MANIFEST_NAME, "README.md", ".gitkeep"})


def write_manifest(raw_dir: str | Path) -> Path:
    """Record the SHA-256 of every raw file in ``raw_dir/MANIFEST.sha256`` (``sha256sum`` format).

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    pathlib.Path
        The manifest written (made writable for the write if it was read-only).

    Examples
    --------
    >>> from hpmob.io import verify_manifest, write_manifest
    >>> import shutil
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.paths import project_root
    >>> raw_dir = Path(tempfile.mkdtemp())
    >>> _ = shutil.copyfile(project_root() / "data" / "raw" / "hpmob_survey_export.csv", raw_dir / "export.csv")
    >>> write_manifest(raw_dir).name
    'MANIFEST.sha256'
    >>> len(verify_manifest(raw_dir))
    1
    """
    raw_dir = Path(raw_dir)
    lines = [f"{sha256_file(p)}  {p.name}\n" for p in raw_files(raw_dir)]
    out = raw_dir / MANIFEST_NAME
    if out.exists():  # read-only once protected: writable again for this one write
        out.chmod(out.stat().st_mode | 0o200)
    out.write_text("".join(lines), encoding="utf-8")
    return out


def protect_raw_files(raw_dir: str | Path) -> list[Path]:
    """Make the raw exports and their manifest read-only (mode a-w).

    ``make all`` and ``hpmob manifest`` call it, so the README's "data/raw is read-only"
    holds for the files themselves; the folder stays writable for a new export.

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    list of pathlib.Path
        The files whose mode changed (already read-only ones are left out).

    Examples
    --------
    >>> from hpmob.io import protect_raw_files, write_manifest
    >>> import shutil
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.paths import project_root
    >>> raw_dir = Path(tempfile.mkdtemp())
    >>> _ = shutil.copyfile(project_root() / "data" / "raw" / "hpmob_survey_export.csv", raw_dir / "export.csv")
    >>> _ = write_manifest(raw_dir)
    >>> [p.name for p in protect_raw_files(raw_dir)]
    ['export.csv', 'MANIFEST.sha256']
    >>> protect_raw_files(raw_dir)  # a second call changes nothing
    []
    """
    from hpmob.outdir import make_read_only

    raw_dir = Path(raw_dir)
    manifest = raw_dir / MANIFEST_NAME
    return make_read_only([*raw_files(raw_dir), *([manifest] if manifest.is_file() else [])])


def verify_manifest(raw_dir: str | Path) -> pd.DataFrame:
    """Check the raw files against ``MANIFEST.sha256`` before anything reads them.

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports and its ``MANIFEST.sha256``.

    Returns
    -------
    DataFrame
        ``file, sha256`` of the verified files.

    Raises
    ------
    ExportError
        If the manifest is missing, a listed file is missing or changed, or a raw file
        is not listed — each named, with what to do.

    Examples
    --------
    >>> from hpmob.io import verify_manifest
    >>> from hpmob.paths import project_root
    >>> verify_manifest(project_root() / "data" / "raw")["file"].tolist()
    ['hpmob_survey_export.csv']
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
