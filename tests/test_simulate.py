"""The simulator: determinism, the shipped file, and recovery of the true parameters."""

import filecmp
import subprocess
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest

from hpmob.codebook import load_codebook
from hpmob.io import sha256_file
from hpmob.simulate import (
    implied_item_covariance,
    implied_ystar_moments,
    load_population_model,
    make_raw_export,
    simulate_export,
    simulate_sample,
)

#: The shipped export's generator facts, as data (data/population_model.yaml, shipped_export).
_SHIPPED = load_population_model()["shipped_export"]
SHIPPED_SEED, SHIPPED_N, SHIPPED_FILE = _SHIPPED["seed"], _SHIPPED["n"], _SHIPPED["file"]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, root):
    for name, seed in [("a", 7), ("b", 7), ("c", 8)]:
        assert _cli("simulate", "--seed", str(seed), "--n", "120", "--out", str(tmp_path / f"{name}.csv"),
                    cwd=root).returncode == 0
    assert filecmp.cmp(tmp_path / "a.csv", tmp_path / "b.csv", shallow=False)
    assert not filecmp.cmp(tmp_path / "a.csv", tmp_path / "c.csv", shallow=False)
    assert len(pd.read_csv(tmp_path / "a.csv")) == 120


def test_shipped_export_is_reproduced_by_the_recorded_command(tmp_path, root):
    readme = (root / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    command = f"hpmob simulate --seed {SHIPPED_SEED} --n {SHIPPED_N} --out data/raw/{SHIPPED_FILE}"
    assert command in readme
    out = simulate_export(SHIPPED_SEED, SHIPPED_N, tmp_path / SHIPPED_FILE)
    assert sha256_file(out) == sha256_file(root / "data" / "raw" / SHIPPED_FILE)
    manifest = (root / "data" / "raw" / "MANIFEST.sha256").read_text(encoding="utf-8").split()
    assert manifest[manifest.index(SHIPPED_FILE) - 1] == sha256_file(out)


def test_unit_names_come_from_the_population_model():
    # the places are the model's (data), not the simulator's: without them, numbered units
    model = load_population_model()
    sample = simulate_sample(60, seed=3)
    own = make_raw_export(sample, seed=3, model=model)["unit_name"]
    places = {p for ps in model["unit_names"]["places"].values() for p in ps} | set(model["unit_names"]["top"])
    assert all(any(p in u for p in places) for u in own)
    bare = make_raw_export(sample, seed=3, model={k: v for k, v in model.items() if k != "unit_names"})["unit_name"]
    assert not any(p in u for u in bare for p in places)
    assert bare.str.fullmatch(r"\S+ unit \d+").all()


@pytest.fixture(scope="module")
def big():
    return simulate_sample(20_000, seed=11)


def test_item_covariances_match_the_implied_moments(big):
    # Generator vs. the closed-form moments of the model, per level; with n_level >= 2,800
    # the sampling SD of a covariance is about 0.02, so 0.07 is over 3 SD.
    moments = implied_ystar_moments()
    for level in ("city", "district", "commune"):
        rows = big.attributes["level"] == level
        mean, cov = moments[level]
        sample = big.ystar.loc[rows, mean.index]
        assert np.abs(sample.mean() - mean).max() < 0.07, level
        assert np.abs(sample.cov().to_numpy() - cov.to_numpy()).max() < 0.07, level


def test_loadings_and_latent_mean_differences_are_recovered(big):
    model = load_population_model()
    cb = load_codebook()
    construct = cb.items.set_index("code")["construct"]
    level = big.attributes["level"]
    # Pooled-within-level slopes: PM3's commune intercept shift would bias a pooled slope.
    within = lambda s: s - s.groupby(level.values).transform("mean")  # noqa: E731
    for item, p in model["items"].items():
        eta, y = within(big.latent[construct[item]]), within(big.ystar[item])
        slope = (eta * y).sum() / (eta * eta).sum()
        assert slope == pytest.approx(p["loading"], abs=0.03), item  # SE of a slope ~0.005
    moments = implied_ystar_moments(model)
    # PM latent mean difference commune - city: -0.55 intercept + 0.45 x AW difference
    # + 0.20 x training difference (in z units); the sample must recover it.
    lam, nu = model["items"]["PM1"]["loading"], model["items"]["PM1"]["intercept"]
    true_diff = (moments["commune"][0]["PM1"] - moments["city"][0]["PM1"]) / lam
    sample_diff = big.latent.loc[level == "commune", "PM"].mean() - big.latent.loc[level == "city", "PM"].mean()
    assert sample_diff == pytest.approx(true_diff, abs=0.06)  # SE ~0.02
    assert true_diff < -0.6 and nu > 0  # H6 is built in: commune below city


def test_discretized_answers_match_the_implied_covariance(big):
    items = ["RT1", "RT2", "RT3", "RT4"]
    implied = implied_item_covariance(items)
    observed = big.answers[items].cov()
    assert np.abs(observed.to_numpy() - implied.to_numpy()).max() < 0.03


def test_non_invariant_intercept_lives_at_commune_only(big):
    # PM3's mean gap commune - city exceeds PM1's by the -0.5 shift (both loadings ~ 0.7-0.75).
    lvl = big.attributes["level"]
    gap = {i: big.ystar.loc[lvl == "commune", i].mean() - big.ystar.loc[lvl == "city", i].mean()
           for i in ("PM1", "PM3")}
    expected = implied_ystar_moments()
    exp_gap = {i: expected["commune"][0][i] - expected["city"][0][i] for i in ("PM1", "PM3")}
    assert exp_gap["PM3"] - exp_gap["PM1"] < -0.45
    assert gap["PM3"] - gap["PM1"] == pytest.approx(exp_gap["PM3"] - exp_gap["PM1"], abs=0.08)


def test_reverse_keyed_items_are_answered_reversed():
    cb = load_codebook()
    sample = simulate_sample(3000, seed=5)
    for item in cb.reverse_items:
        other = next(i for i in cb.items_of(cb.items.set_index("code").loc[item, "construct"])
                     if i not in cb.reverse_items)
        assert sample.answers[item].corr(sample.answers[other]) < -0.2, item


def test_raw_export_has_the_defects_real_exports_have():
    cb = load_codebook()
    sample = simulate_sample(400, seed=3)
    raw = make_raw_export(sample, seed=3)
    assert list(raw.columns) == cb.expected_columns
    cells = raw[cb.item_columns].stack()
    assert (cells == "").mean() > 0.005                                    # blank cells
    assert (cells == "Không trả lời").any()                               # no-answer code
    assert any(not unicodedata.is_normalized("NFC", c) for c in cells)     # NFD variants
    assert any(c != c.strip() for c in cells)                              # stray spaces
    assert any(c.isupper() for c in cells)                                 # case variants
    assert raw.duplicated(subset=["full_name", "phone"]).sum() == 10       # 2.5 % resubmissions
    assert (raw["duration_sec"].astype(int) < 180).sum() >= 8              # speeders
    assert (raw["age"].astype(int) < 18).any()                             # impossible ages
    assert raw["email"].str.endswith("@example.vn").all()


def test_shipped_seed_gives_a_representative_sample():
    # The shipped seed was chosen by this rule (data/raw/README.md): every latent level mean
    # of the sample within 2 SE of the population's; the seed before it missed.
    from hpmob.simulate import latent_mean_z

    n_unique = SHIPPED_N - round(load_population_model()["defects"]["duplicate_rows"] * SHIPPED_N)
    z = latent_mean_z(simulate_sample(n_unique, SHIPPED_SEED))
    assert (z.abs() < 2).all().all(), z
    assert (latent_mean_z(simulate_sample(n_unique, SHIPPED_SEED - 1)).abs() >= 2).any().any()
