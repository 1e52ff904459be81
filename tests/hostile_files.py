"""Hostile input files for the hardening tests and bench/bench_guards.py (one builder for both)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def xlsx_bomb(path: Path, rows: int = 0, cell_bytes: int = 0) -> Path:
    """An .xlsx zip whose sheet is large once decompressed: many rows or one huge cell."""
    sheet = io.BytesIO()
    sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData>')
    sheet.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>respondent_id</t></is></c></row>')
    if cell_bytes:
        sheet.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"A" * cell_bytes + b"</t></is></c></row>")
    for r in range(2, rows + 2):
        sheet.write(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r))
    sheet.write(b"</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return path
