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

The three jobs live in their own modules and every public name is re-exported here, where
callers import them from: reading the file (:mod:`hpmob.export_reading`: :func:`read_export`,
:class:`ReadLimits`, :class:`Problem`, :class:`ExportError`), checking it against the
codebook (:mod:`hpmob.export_validation`: :func:`validate_export`, :func:`load_export`, the
number and timestamp parsers) and the raw files' checksum manifest (:mod:`hpmob.raw_manifest`).

Examples
--------
>>> from hpmob.io import load_export
>>> from hpmob.paths import project_root
>>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
>>> raw.shape
(520, 53)
"""

from __future__ import annotations

from hpmob.export_reading import SUPPORTED, ExportError, Problem, ReadLimits, read_export
from hpmob.export_validation import (
    LOCAL_UTC_OFFSET_HOURS,
    MAX_DIGITS,
    load_export,
    parse_integer,
    parse_timestamp,
    read_whole_number,
    validate_export,
)
from hpmob.raw_manifest import (
    MANIFEST_NAME,
    protect_raw_files,
    raw_files,
    sha256_file,
    verify_manifest,
    write_manifest,
)

__all__ = [
    "LOCAL_UTC_OFFSET_HOURS",
    "MANIFEST_NAME",
    "MAX_DIGITS",
    "SUPPORTED",
    "ExportError",
    "Problem",
    "ReadLimits",
    "load_export",
    "parse_integer",
    "parse_timestamp",
    "protect_raw_files",
    "raw_files",
    "read_export",
    "read_whole_number",
    "sha256_file",
    "validate_export",
    "verify_manifest",
    "write_manifest",
]
