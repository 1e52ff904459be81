"""Time hpmob.sem.fit against a bare semopy fit + calc_stats.

Run from the repository root:

    .venv/bin/python bench/bench_sem.py [--repeats 15]

hpmob.sem.fit does strictly more than the bare semopy call: it polishes the
optimum (Fisher scoring), computes lavaan-style SEs, the standardized
solution, R2, lavaan's fit measures (RMSEA CI, SRMR, logl/AIC/BIC, baseline)
and, for MLR, the sandwich SEs and the Yuan-Bentler scaled test.
"""

from __future__ import annotations

import os

# The matrices here are tiny (p <= 11); multithreaded BLAS only adds thread start-up and,
# on a busy machine, large random stalls. Pin one thread before numpy is imported
# (override by exporting the variables yourself).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import semopy  # noqa: E402

from hpmob.sem import fit  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _bare_semopy(model: str, data: pd.DataFrame):
    # semopy has no ':='; the bare run gets the model without defined parameters
    desc = "\n".join(line for line in model.splitlines() if ":=" not in line)

    def run():
        m = semopy.Model(desc)
        m.fit(data)
        semopy.calc_stats(m)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()

    hs_ref = json.loads((REF / "lavaan_hs.json").read_text())
    pd_ref = json.loads((REF / "lavaan_poldem.json").read_text())
    hs = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    pdem = pd.read_csv(REF / "data" / "PoliticalDemocracy.csv")
    cases = [
        ("HolzingerSwineford1939 CFA", hs_ref["model"], hs, "ML"),
        ("HolzingerSwineford1939 CFA", hs_ref["model"], hs, "MLR"),
        ("PoliticalDemocracy SEM", pd_ref["model"], pdem, "ML"),
        ("PoliticalDemocracy SEM", pd_ref["model"], pdem, "MLR"),
    ]
    print(f"median of {args.repeats} runs (seconds); semopy {semopy.__version__}")
    header = f"{'model':<28} {'est.':<4} {'semopy fit+calc_stats':>22} {'hpmob.sem.fit':>14} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    bare_cache: dict[str, float] = {}
    for name, model, data, est in cases:
        if name not in bare_cache:
            bare_cache[name] = _median_seconds(_bare_semopy(model, data), args.repeats)
        t_bare = bare_cache[name]
        t_ours = _median_seconds(lambda: fit(model, data, estimator=est), args.repeats)
        print(f"{name:<28} {est:<4} {t_bare:>22.4f} {t_ours:>14.4f} {t_ours / t_bare:>7.2f}")
    # how far the bare semopy optimum is from lavaan's (why hpmob polishes it)
    m = semopy.Model(hs_ref["model"])
    m.fit(hs)
    ins = m.inspect()
    x2 = ins[(ins.lval == "x2") & (ins.op == "~") & (ins.rval == "visual")]["Estimate"].iloc[0]
    ours = fit(hs_ref["model"], hs).estimates.query("lhs == 'visual' and rhs == 'x2'")["est"].iloc[0]
    lav = next(r["est"] for r in hs_ref["ML"]["parameterEstimates"] if r["lhs"] == "visual" and r["rhs"] == "x2")
    print(
        f"\nloading visual=~x2: lavaan {lav:.6f}, hpmob {ours:.6f}, bare semopy (SLSQP) {x2:.6f}"
    )


if __name__ == "__main__":
    main()
