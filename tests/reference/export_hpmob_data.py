"""Export the cleaned, reverse-keyed hpmob survey data for the R reference script.

Run from the repository root with the project's Python:

    .venv/bin/python tests/reference/export_hpmob_data.py

Writes ``tests/reference/data/hpmob_analysed.csv``, which
``make_references_hpmob.R`` reads. The data go through the same steps as in the
pipeline: load and validate the shipped export, clean it, then reverse-key it
with the codebook.

The file has the columns ``resp_id, level, area, training_courses,
theory_level`` and then the reverse-keyed items of the 7 reflective constructs
(AW1..AW5, RT1..RT4, PM1..PM5, IM1..IM5, DT1..DT4, SE1..SE4, CO1..CO4). It
keeps only rows with a non-missing ``level``. Missing values are empty cells
and numbers are written as integers. The file is UTF-8 with "\\n" line ends,
so two runs on the same export give the same bytes.

No personal data are written. ``resp_id`` is the pseudonymous id that cleaning
assigns (``R`` + submission order), and the script checks that none of the
columns is a personal-data or admin column of the codebook.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hpmob.clean import clean_export
from hpmob.codebook import load_codebook
from hpmob.io import load_export
from hpmob.score import reverse_key

RAW = Path("data/raw/hpmob_survey_export.csv")
OUT = Path("tests/reference/data/hpmob_analysed.csv")
ATTRS = ["resp_id", "level", "area", "training_courses", "theory_level"]
CONSTRUCTS = ["AW", "RT", "PM", "IM", "DT", "SE", "CO"]


def build() -> pd.DataFrame:
    cb = load_codebook()
    res = clean_export(load_export(RAW, cb), cb)
    keyed = reverse_key(res.responses, cb)

    assert cb.reflective_constructs == CONSTRUCTS, cb.reflective_constructs
    items = [i for c in CONSTRUCTS for i in cb.items_of(c)]
    assert len(items) == 31, items

    cols = ATTRS + items
    # privacy: none of the exported columns is personal or admin data
    leaked = set(cols) & (set(cb.personal_columns) | set(cb.admin_columns))
    assert not leaked, f"personal/admin columns in the export: {sorted(leaked)}"
    assert keyed["resp_id"].astype(str).str.fullmatch(r"R\d{4,}").all(), "resp_id is not pseudonymous"

    df = keyed.loc[keyed["level"].notna(), cols].reset_index(drop=True)
    out = pd.DataFrame({"resp_id": df["resp_id"].astype(str)})
    for c in ["level", "area", "theory_level"]:
        out[c] = df[c].astype("string")
    for c in ["training_courses", *items]:
        x = pd.to_numeric(df[c], errors="raise").astype("float64").to_numpy()
        ok = np.isnan(x) | (x == np.round(x))
        assert ok.all(), f"{c} holds non-integer values"
        out[c] = pd.array([None if np.isnan(v) else int(v) for v in x], dtype="Int64")
    out = out[cols]
    # item values on the 1-5 scale
    assert ((out[items].isna()) | ((out[items] >= 1) & (out[items] <= 5))).all().all()
    # the level codes are the codebook's
    assert set(out["level"].dropna()) <= {"city", "district", "commune"}
    return out


def to_text(df: pd.DataFrame) -> str:
    def cell(v) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return ""
        s = str(v)
        assert not any(ch in s for ch in ',"\n\r'), f"cell needs quoting: {s!r}"
        return s

    lines = [",".join(df.columns)]
    for row in df.itertuples(index=False, name=None):
        lines.append(",".join(cell(v) for v in row))
    return "\n".join(lines) + "\n"


def main() -> int:
    if not RAW.is_file():
        print(f"run from the repository root ({RAW} not found)", file=sys.stderr)
        return 1
    df = build()
    text = to_text(df)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(text.encode("utf-8"))

    # read-back check: the file gives back exactly the frame
    dtypes = {c: "string" for c in ["resp_id", "level", "area", "theory_level"]}
    dtypes.update({c: "Int64" for c in df.columns if c not in dtypes})
    back = pd.read_csv(OUT, dtype=dtypes, keep_default_na=False, na_values=[""], encoding="utf-8")
    assert list(back.columns) == list(df.columns) and back.shape == df.shape
    for c in df.columns:
        a, b = df[c], back[c]
        assert (a.isna() == b.isna()).all(), c
        assert (a[a.notna()].astype(str) == b[b.notna()].astype(str)).all(), c

    items = list(df.columns[len(ATTRS):])
    n_cc = int(df[items].notna().all(axis=1).sum())
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT}: {df.shape[0]} rows x {df.shape[1]} columns, "
          f"{int(df[items].isna().sum().sum())} missing item cells, "
          f"{n_cc} rows complete on the 31 items; sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
