"""Time hpmob.sem.indirect.bootstrap against a naive loop of cold fit() calls.

Run from the repository root:

    .venv/bin/python bench/bench_bootstrap.py [--n-boot 2000] [--naive 100] [--n-jobs 2]

For PoliticalDemocracy and, if ``tests/reference/data/hpmob_analysed.csv``
exists, for the hpmob structural model, this times three things:

* ``bootstrap(model, data, n_boot=2000, n_jobs=2)``: warm-started Newton refits,
  in batches on a loky process pool. The time includes the full-sample fit.
  The pool is started before timing, and its start-up time is printed
  separately.
* the same bootstrap with ``n_jobs=1``, to separate the gain from warm starts
  from the gain from the second core;
* a naive serial loop of ``hpmob.sem.fit(model, resample)``: a cold semopy start
  each time, plus the SEs and fit measures that a bootstrap does not need. It is
  timed on the first ``--naive`` replicates only (the same resamples as the
  bootstrap) and **extrapolated** to n_boot. The output says so.

The naive replicates are also compared with the bootstrap's, to show that the
fast path reaches the same optimum.
"""

from __future__ import annotations

import os

# The matrices are tiny (p <= 27). A multithreaded BLAS only adds thread start-up
# and, on 2 cores, competes with the worker processes. Pin one thread before numpy
# is imported (override by exporting the variables yourself); loky does the same in
# its workers.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hpmob.sem import fit  # noqa: E402
from hpmob.sem.indirect import bootstrap  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"

HPMOB_MODEL = """\
AW =~ AW1 + AW2 + AW3 + AW4 + AW5
PM =~ PM1 + PM2 + PM3 + PM4 + PM5
IM =~ IM1 + IM2 + IM3 + IM4 + IM5
DT =~ DT1 + DT2 + DT3 + DT4
SE =~ SE1 + SE2 + SE3 + SE4
CO =~ CO1 + CO2 + CO3 + CO4
PM ~ a*AW + h5*training_z
IM ~ b*PM + c*AW + DT + SE + CO
ind := a*b
"""
#: the 31 construct items; rows complete on all of them are analysed, as in
#: tests/reference/make_references_hpmob.R (lavaan's listwise deletion on the CFA)
ITEMS31 = [f"{c}{i}" for c, k in (("AW", 5), ("RT", 4), ("PM", 5), ("IM", 5), ("DT", 4), ("SE", 4), ("CO", 4))
           for i in range(1, k + 1)]  # fmt: skip


def _datasets():
    pd_ref = json.loads((REF / "lavaan_poldem.json").read_text())
    out = [("PoliticalDemocracy", pd_ref["model"], pd.read_csv(REF / "data" / "PoliticalDemocracy.csv"))]
    hp_file = REF / "data" / "hpmob_analysed.csv"
    if hp_file.exists():
        raw = pd.read_csv(hp_file)
        dat = raw[raw[ITEMS31].notna().all(axis=1)].reset_index(drop=True)
        dat = dat.assign(training_z=(dat["training_courses"] - 2.5) / 1.7)
        out.append(("hpmob structural", HPMOB_MODEL, dat))
    else:
        print(f"({hp_file} not found: hpmob structural model skipped)")
    return out


def _naive(model: str, data: pd.DataFrame, n: int, n_boot: int, seed: int) -> tuple[float, pd.DataFrame]:
    """Serial cold fit() calls on the bootstrap's own first n resamples."""
    children = np.random.SeedSequence(seed).spawn(n_boot)[:n]
    N = len(data)
    rows = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # many resamples are Heywood cases; fit() warns each time
        for child in children:
            idx = np.random.default_rng(child).integers(0, N, size=N)
            res = fit(model, data.iloc[idx].reset_index(drop=True))
            rows.append(res.estimates.set_index("label")["est"].drop("", errors="ignore"))
    return time.perf_counter() - t0, pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--naive", type=int, default=100, help="naive replicates actually timed (then extrapolated)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20250902)
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, n_boot = {args.n_boot}, n_jobs = {args.n_jobs}, seed = {args.seed}")

    sets = _datasets()
    # imports, semopy's first-call overhead and the loky pool start-up are not what
    # the comparison is about: pay them once here, and report the pool start-up
    fit(sets[0][1], sets[0][2])
    t0 = time.perf_counter()
    bootstrap(sets[0][1], sets[0][2], n_boot=4 * args.n_jobs, seed=0, n_jobs=args.n_jobs)
    print(f"loky pool start-up + first tiny bootstrap: {time.perf_counter() - t0:.2f} s (not in the figures below)\n")

    rows = []
    for name, model, data in sets:
        fit(model, data)  # warm-up for this model
        t0 = time.perf_counter()
        boot = bootstrap(model, data, n_boot=args.n_boot, seed=args.seed, n_jobs=args.n_jobs)
        t_par = time.perf_counter() - t0
        t0 = time.perf_counter()
        boot1 = bootstrap(model, data, n_boot=args.n_boot, seed=args.seed, n_jobs=1)
        t_ser = time.perf_counter() - t0
        assert boot.equals(boot1), "n_jobs changed the replicates"
        t_naive, naive = _naive(model, data, args.naive, args.n_boot, args.seed)
        t_naive_full = t_naive * args.n_boot / args.naive
        cols = [c for c in naive.columns if c in boot.columns]
        diff = float(np.nanmax(np.abs(naive[cols].to_numpy() - boot[cols].iloc[: args.naive].to_numpy())))
        a = boot.attrs
        print(f"== {name}: n = {len(data)}, {boot.shape[1]} parameters (free + defined)")
        print(f"   bootstrap, warm starts, n_jobs={args.n_jobs}: {t_par:7.2f} s for {args.n_boot} refits "
              f"({1e3 * t_par / args.n_boot:.2f} ms/refit)")
        print(f"   bootstrap, warm starts, n_jobs=1:          {t_ser:7.2f} s")
        print(f"   naive serial cold fit():                  {t_naive_full:7.2f} s  "
              f"(EXTRAPOLATED from {args.naive} timed replicates: {t_naive:.2f} s)")
        print(f"   speed-up: {t_naive_full / t_par:.1f}x over naive; n_jobs={args.n_jobs} vs 1: {t_ser / t_par:.2f}x")
        print(f"   failed {a['n_failed']}, cold restarts {a['n_cold_restarts']}, nonadmissible {a['n_nonadmissible']}; "
              f"max |warm - naive| over the first {args.naive} replicates: {diff:.1e}")
        print(f"   ind: SE {boot['ind'].std():.4f}, 95% percentile "
              f"[{boot['ind'].quantile(0.025):.4f}, {boot['ind'].quantile(0.975):.4f}]\n")
        rows.append({"model": name, "n_boot": args.n_boot, "parallel_s": t_par, "serial_warm_s": t_ser,
                     "naive_extrapolated_s": t_naive_full, "ratio_naive_over_parallel": t_naive_full / t_par})  # fmt: skip
    print(pd.DataFrame(rows).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
