"""Property-based tests: `validate` on arbitrary mutations of a valid export (issue 19).

Hypothesis mutates a small valid export (the first 8 submissions of the shipped one):
bytes inserted, deleted or replaced; cells replaced by arbitrary text (quotes, separators,
line breaks, control and invisible characters, 400-digit numbers); header names renamed,
dropped or doubled; the file re-encoded (UTF-16, Windows-1258, Latin-1); the delimiter
changed; and, for .xlsx, bytes of the zip mutated. The property: reading and validating
either accepts the file or raises :class:`hpmob.io.ExportError` whose every problem names
the file, never another exception; each example within 2 s (Hypothesis ``deadline``) and
under 64 MB of Python allocations (tracemalloc peak, measured on every tenth example).
1,000 examples in all (300 byte, 300 cell, 200 header, 100 encoding/delimiter and 100
.xlsx mutations), derandomized so that `make test` runs the same ones each time.
"""

from __future__ import annotations

import csv
import io
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpmob.codebook import load_codebook
from hpmob.io import ExportError, read_export, validate_export

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "raw" / "hpmob_survey_export.csv"
N_ROWS = 8
MAX_PEAK_BYTES = 64 * 2**20
WORK = Path(tempfile.mkdtemp(prefix="hpmob-properties-"))
CB = load_codebook()

_rows = list(csv.reader(io.StringIO(SHIPPED.read_bytes().decode("utf-8-sig"), newline="")))
HEADER, BODY = _rows[0], [list(r) for r in _rows[1:N_ROWS + 1]]

COMMON = dict(deadline=2000, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
              database=None)


def to_csv(header, rows, sep=",") -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


VALID = to_csv(HEADER, BODY).encode("utf-8")


_calls = [0]


def check(path: Path) -> None:
    """The property: accepted, or an ExportError naming the file; bounded memory.

    Every tenth example runs under tracemalloc (it triples the time of a call).
    """
    _calls[0] += 1
    traced = _calls[0] % 10 == 0
    if traced:
        tracemalloc.start()
    try:
        try:
            frame = read_export(path)
            problems = validate_export(frame, CB, source=str(path))
        except ExportError as err:
            problems = err.problems
            assert problems, "an ExportError without problems"
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        if traced:
            tracemalloc.stop()
    for p in problems:
        assert p.file == str(path), p
        assert p.problem and p.fix, p
        text = str(p)
        assert text.startswith(str(path)) and "Traceback" not in text
        if p.row is not None:
            assert p.row >= 1
    assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MB"


def write(name: str, data: bytes) -> Path:
    path = WORK / name
    path.write_bytes(data)
    return path


def test_the_unmutated_export_is_valid():
    path = write("valid.csv", VALID)
    problems = validate_export(read_export(path), CB, source=str(path))
    assert [p for p in problems if p.severity == "error"] == []


# ------------------------------------------------------------------ bytes
@settings(max_examples=300, **COMMON)
@given(st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace"]),
                          st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=8)),
                min_size=1, max_size=6))
def test_byte_mutations(edits):
    data = bytearray(VALID)
    for op, at, chunk in edits:
        at = min(at, len(data))
        if op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at:at + len(chunk)]
        else:
            data[at:at + len(chunk)] = chunk
    check(write("bytes.csv", bytes(data)))


# ------------------------------------------------------------------ cells
CELL_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list(',;\t"\n\r\x00\u200b\ufeff\u00a0 .-+0123456789eE')), max_size=30),
    st.sampled_from(["9" * 400, "1.000", "1,5", "-0", "NaN", "inf", "1e308", "2024-02-30 08:00:00",
                     "Đồng ý lắm", "ĐỒNG Ý", "  ", "=1+1", "0x1F", "٣", "四十"]),
)


@settings(max_examples=300, **COMMON)
@given(st.lists(st.tuples(st.integers(0, N_ROWS - 1), st.integers(0, len(HEADER) - 1), CELL_TEXT),
                min_size=1, max_size=5))
def test_cell_mutations(edits):
    rows = [list(r) for r in BODY]
    for r, c, text in edits:
        rows[r][c] = text
    check(write("cells.csv", to_csv(HEADER, rows).encode("utf-8", errors="surrogatepass")))


# ------------------------------------------------------------------ headers
@settings(max_examples=200, **COMMON)
@given(st.lists(st.tuples(st.sampled_from(["rename", "drop", "double", "case", "invisible"]),
                          st.integers(0, len(HEADER) - 1), st.text(max_size=12)), min_size=1, max_size=4))
def test_header_mutations(edits):
    header, rows = list(HEADER), [list(r) for r in BODY]
    for op, k, text in edits:
        k = min(k, len(header) - 1)
        if op == "rename":
            header[k] = text
        elif op == "drop" and len(header) > 1:
            del header[k]
            for r in rows:
                del r[k]
        elif op == "double":
            header.append(header[k])
            for r in rows:
                r.append(r[k])
        elif op == "case":
            header[k] = header[k].swapcase()
        else:
            header[k] = header[k] + "\u200b"
    check(write("header.csv", to_csv(header, rows).encode("utf-8", errors="surrogatepass")))


# ------------------------------------------------------------------ encodings and delimiters
@settings(max_examples=100, **COMMON)
@given(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258", "latin-1", "cp1252", "ascii"]),
       st.sampled_from([",", ";", "\t", "|", " "]), st.booleans(), st.integers(1, N_ROWS))
def test_encodings_and_delimiters(encoding, sep, crlf, n_rows):
    text = to_csv(HEADER, BODY[:n_rows], sep=sep)
    if crlf:
        text = text.replace("\n", "\r\n")
    check(write("encoded.csv", text.encode(encoding, errors="replace")))


# ------------------------------------------------------------------ xlsx
@pytest.fixture(scope="module")
def xlsx_bytes():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in BODY:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@settings(max_examples=100, **COMMON)
@given(data=st.data())
def test_xlsx_byte_mutations(xlsx_bytes, data):
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(xlsx_bytes) - 1), st.binary(min_size=1, max_size=4)),
                               min_size=1, max_size=4))
    blob = bytearray(xlsx_bytes)
    for at, chunk in edits:
        blob[at:at + len(chunk)] = chunk
    check(write("mutated.xlsx", bytes(blob)))
