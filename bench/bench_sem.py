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
import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import semopy  # noqa: E402
from timing import median_seconds  # noqa: E402  (bench/timing.py)

from hpmob.sem import fit  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"


def _bare_semopy(model: str, data: pd.DataFrame):
    # semopy has no ':='; the bare run gets the model without defined parameters
    desc = "\n".join(line for line in model.splitlines() if ":=" not in line)

    def run():
        m = semopy.Model(desc)
        m.fit(data)
        semopy.calc_stats(m)

    return run


def _lavaan_seconds(model: str, csv: Path, items: list[str], repeats: int) -> float | None:
    """Median time of lavaan cfa() + fitMeasures() in a live R session, if R is installed."""
    if not shutil.which("Rscript"):
        return None
    script = f"""
suppressPackageStartupMessages(library(lavaan))
d <- read.csv("{csv}")
d <- d[complete.cases(d[, c({", ".join(repr(i) for i in items)})]), ]
m <- "{model.replace(chr(10), '; ')}"
invisible(fitMeasures(cfa(m, d)))
t <- replicate({repeats}, system.time(fitMeasures(cfa(m, d)))[["elapsed"]])
cat(median(t))
"""
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()

    hs_ref = json.loads((REF / "lavaan_hs.json").read_text())
    pd_ref = json.loads((REF / "lavaan_poldem.json").read_text())
    hs = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
    pdem = pd.read_csv(REF / "data" / "PoliticalDemocracy.csv")
    cfa_ref = json.loads((REF / "hpmob_cfa.json").read_text())
    survey = pd.read_csv(REF / "data" / "hpmob_analysed.csv")
    items = [c for c in survey.columns if c[:2] in {"AW", "RT", "PM", "IM", "DT", "SE", "CO"} and c[2:].isdigit()]
    survey = survey[items].dropna()
    cases = [
        ("hpmob 7-construct CFA", cfa_ref["model"], survey, "ML"),
        ("hpmob 7-construct CFA", cfa_ref["model"], survey, "MLR"),
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
            bare_cache[name] = median_seconds(_bare_semopy(model, data), args.repeats)
        t_bare = bare_cache[name]
        t_ours = median_seconds(lambda: fit(model, data, estimator=est), args.repeats)
        print(f"{name:<28} {est:<4} {t_bare:>22.4f} {t_ours:>14.4f} {t_ours / t_bare:>7.2f}")
    t_lav = _lavaan_seconds(cfa_ref["model"], REF / "data" / "hpmob_analysed.csv", items, 5)
    t_ours = median_seconds(lambda: fit(cfa_ref["model"], survey), args.repeats)
    if t_lav is None:
        print("\nlavaan: R not installed, skipped (apt-get install r-base-core r-cran-lavaan)")
    else:
        print(f"\nhpmob 7-construct CFA, ML, fit + all measures: hpmob {t_ours:.3f} s, "
              f"lavaan cfa()+fitMeasures() {t_lav:.3f} s (live R, median of 5), ratio {t_ours / t_lav:.2f}")
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
