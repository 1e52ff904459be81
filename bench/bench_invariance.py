"""Time the measurement-invariance sequence (configural, metric, scalar, strict).

Run from the repository root:

    .venv/bin/python bench/bench_invariance.py [--repeats 7]

Each run is ``hpmob.sem.invariance.invariance(...)``: four multigroup ML fits
(hand-written Fisher scoring + BFGS; semopy has no cross-group equality
constraints), their lavaan fit measures, standard errors, standardized
solutions and the comparison table. Data sets: HolzingerSwineford1939 by
``school`` and, when present, ``tests/reference/data/hpmob_analysed.csv`` by
``level`` (rows complete on the 31 items, as the R references), with the
7-factor and the PM/AW/IM models. lavaan's wall time for the same four fits
is read from ``tests/reference/hpmob_timing.json`` when that file exists.
"""

from __future__ import annotations

import os

# Small matrices: pin one BLAS thread before numpy is imported (hpmob also limits
# BLAS to one thread inside fit_multigroup); override by exporting the variables.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
from timing import median_seconds  # noqa: E402  (bench/timing.py)

from hpmob.sem.invariance import invariance  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
#: Target for the 7-factor sequence on the hpmob data (one core).
TARGET_SECONDS = 2.0


def _cases():
    hs_ref = json.loads((REF / "lavaan_hs_invariance.json").read_text())
    hs = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    yield "HolzingerSwineford1939 3-factor by school", hs_ref["model"], hs, "school", None, None
    csv, ref_json = REF / "data" / "hpmob_analysed.csv", REF / "hpmob_invariance.json"
    if not (csv.exists() and ref_json.exists()):
        return
    ref = json.loads(ref_json.read_text())
    raw = pd.read_csv(csv)
    items = [c for c in raw.columns if c[:2] in ("AW", "RT", "PM", "IM", "DT", "SE", "CO") and c[2:].isdigit()]
    data = raw[raw[items].notna().all(axis=1)]
    yield "hpmob 7-factor by level", ref["model7"]["model"], data, "level", ref["model7"]["group.label"], \
        "invariance_sequence_model7"  # fmt: skip
    yield "hpmob PM/AW/IM by level", ref["small"]["model"], data, "level", ref["small"]["group.label"], \
        "invariance_sequence_small"  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    timing_path = REF / "hpmob_timing.json"
    lavaan_times = json.loads(timing_path.read_text()) if timing_path.exists() else {}
    print(f"four-model invariance sequence, median of {args.repeats} runs (seconds)")
    header = f"{'data / model':<44} {'n':>5} {'hpmob':>8} {'lavaan':>8} {'lavaan/hpmob':>13}"
    print(header)
    print("-" * len(header))
    for name, model, data, group, order, key in _cases():

        def run(model=model, data=data, group=group, order=order):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. city's non-positive-definite latent covariance
                invariance(model, data, group, group_order=order)

        secs = median_seconds(run, args.repeats)
        lav = lavaan_times.get(key, {}).get("median_seconds") if key else None
        lav_txt = f"{lav:8.3f}" if lav else f"{'-':>8}"
        ratio = f"{lav / secs:12.1f}x" if lav else f"{'-':>13}"
        print(f"{name:<44} {len(data):>5} {secs:8.3f} {lav_txt} {ratio}")
        if key == "invariance_sequence_model7":
            verdict = "meets" if secs < TARGET_SECONDS else "MISSES"
            print(f"  target < {TARGET_SECONDS:.1f} s on one core: {verdict}")
    if lavaan_times:
        print(f"lavaan {lavaan_times.get('lavaan', '?')} times from {timing_path.name}: "
              "system.time elapsed, median of 5 runs, on the machine that built the references.")  # fmt: skip
        if "invariance_sequence_model7_note" in lavaan_times:
            print(f"  note: {lavaan_times['invariance_sequence_model7_note']}")


if __name__ == "__main__":
    main()
