"""Write the simulated data of ``tests/test_sem_convergence.py`` for the R references.

Run from the repository root (then ``Rscript tests/reference/make_references_convergence.R``)::

    python tests/reference/simulate_convergence_data.py

* ``data/five_factor_negative_markers.csv``: five factors of five 6-point items in two
  groups; the first (marker) item of every factor is negatively worded and the others
  load with mixed signs, with a few cross-loadings and intercept differences, as in a
  real personality inventory. hpmob's moment starting values failed on these data.
* ``data/HolzingerSwineford1939_tiny_group.csv``: lavaan's HS data with ten rows moved
  to a third school, too small a group for the three-factor model (30 parameters).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
FIVE_FACTOR_CSV = DATA / "five_factor_negative_markers.csv"
TINY_GROUP_CSV = DATA / "HolzingerSwineford1939_tiny_group.csv"
FIVE_FACTOR_SEED = 9
TINY_GROUP_SEED = 6


def simulate_five_factor(seed: int = FIVE_FACTOR_SEED, n_per_group=(400, 400), marker: float = 0.35) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k, m = 5, 5
    signs = np.array([[-1, 1, 1, -1, 1], [-1, 1, -1, 1, 1], [-1, 1, 1, -1, -1], [-1, 1, -1, 1, -1],
                      [-1, -1, 1, 1, -1]])  # fmt: skip
    mag = rng.uniform(0.4, 0.75, size=(k, m))
    mag[:, 0] = marker
    L = np.zeros((k * m, k))
    for f in range(k):
        L[f * m : (f + 1) * m, f] = signs[f] * mag[f]
    for _ in range(6):  # a few cross-loadings: mildly misspecified, as real inventories are
        i, f = rng.integers(k * m), rng.integers(k)
        if L[i, f] == 0:
            L[i, f] = rng.choice([-1, 1]) * 0.2
    phi = np.full((k, k), 0.2) + 0.8 * np.eye(k)
    frames = []
    for g, n in enumerate(n_per_group):
        eta = rng.multivariate_normal(np.zeros(k) + 0.2 * g, phi, size=n)
        common = np.einsum("ij,jk,ik->i", L, phi, L)
        y = eta @ L.T + rng.normal(size=(n, k * m)) * np.sqrt(np.clip(1 - common, 0.2, None))
        y[:, :3] += 0.3 * g  # intercept differences between the groups
        cuts = np.array([-1.6, -0.8, -0.1, 0.6, 1.4])
        items = 1 + (y[:, :, None] > cuts).sum(axis=2)
        df = pd.DataFrame(items, columns=[f"{c}{j + 1}" for c in "ABCDE" for j in range(m)])
        df.insert(0, "gender", ["female", "male"][g])
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def tiny_group(seed: int = TINY_GROUP_SEED) -> pd.DataFrame:
    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    idx = np.random.default_rng(seed).choice(len(hs), 10, replace=False)
    hs.loc[idx, "school"] = "tiny"
    return hs


if __name__ == "__main__":
    simulate_five_factor().to_csv(FIVE_FACTOR_CSV, index=False)
    tiny_group().to_csv(TINY_GROUP_CSV, index=False)
    print("wrote", FIVE_FACTOR_CSV, TINY_GROUP_CSV)
