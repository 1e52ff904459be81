"""Checking a raw survey export cell by cell against the codebook.

The second step of :mod:`hpmob.io`, which re-exports every public name here and is where
to import them from: :func:`validate_export` checks every cell of the frame
:func:`~hpmob.export_reading.read_export` returned against the codebook and returns
*every* problem at once; :func:`load_export` reads and validates in one call. The number
and timestamp parsers (:func:`parse_integer`, :func:`parse_timestamp`) are the ones the
cleaning step uses, so a value that validates is one cleaning can read.

Examples
--------
>>> from hpmob.export_validation import parse_integer
>>> parse_integer("1.000", locale="vi")
1000
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hpmob.codebook import Codebook, load_codebook, normalize_label
from hpmob.export_reading import ExportError, Problem, ReadLimits, read_export

__all__ = [
    "LOCAL_UTC_OFFSET_HOURS",
    "MAX_DIGITS",
    "load_export",
    "parse_integer",
    "parse_timestamp",
    "read_whole_number",
    "validate_export",
]


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
