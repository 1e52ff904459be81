"""`hpmob validate` on a 200,000-row export: wall time and peak memory (issue 19).

Run from the repository root (``make bench`` includes it):

    .venv/bin/python bench/bench_validate.py [--rows N]

The export repeats the shipped submissions with fresh submission ids (build/bench/, made
once). ``hpmob validate`` runs in a child process, so its peak resident memory is the
child's own (``getrusage(RUSAGE_CHILDREN).ru_maxrss``); the reference is ``pandas.read_csv``
of the same file in another child (reading alone, no checks). Targets: 25 s and 1.5 GB.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "raw" / "hpmob_survey_export.csv"
TARGET_S, TARGET_BYTES = 25.0, 1.5e9


def make_export(rows: int) -> Path:
    path = ROOT / "build" / "bench" / f"export_{rows}.csv"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    table = list(csv.reader(io.StringIO(SHIPPED.read_bytes().decode("utf-8-sig"), newline="")))
    header, body = table[0], table[1:]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for k in range(rows):
        row = list(body[k % len(body)])
        row[0] = f"B{k:07d}"
        writer.writerow(row)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return path


def measure(code: str) -> tuple[float, float, int]:
    """Seconds, peak resident bytes and exit code of ``python -c code`` in a fresh child."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             f"rc = subprocess.run([sys.executable, '-c', {code!r}], stdout=subprocess.DEVNULL).returncode; "
             "s = time.perf_counter() - t; "
             "print(s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, rc)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, peak, rc = out.stdout.split()
    return float(seconds), float(peak), int(rc)


def validate_row(rows: int = 200_000) -> dict:
    path = make_export(rows)
    seconds, peak, rc = measure(f"import sys; from hpmob.cli import main; sys.exit(main(['validate', {str(path)!r}]))")
    ref_s, ref_peak, _ = measure(f"import pandas as pd; pd.read_csv({str(path)!r}, dtype=str, keep_default_na=False)")
    return {"task": f"validate {rows:,} rows", "hpmob_s": seconds, "reference": "pandas.read_csv (no checks)",
            "reference_s": ref_s, "target": f"≤ {TARGET_S:.0f} s, ≤ {TARGET_BYTES / 1e9:.1f} GB",
            "met": seconds <= TARGET_S and peak <= TARGET_BYTES and rc == 0,
            "note": f"peak {peak / 1e9:.2f} GB (read_csv {ref_peak / 1e9:.2f} GB); exit {rc}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    row = validate_row(args.rows)
    for key, value in row.items():
        print(f"{key:12s} {value:.2f}" if isinstance(value, float) else f"{key:12s} {value}")


if __name__ == "__main__":
    main()
