"""The README's second worked example, end to end: another instrument, its own plan.

``examples/wellbeing``: four constructs with codes of their own (SP, EN, WB, TR) on a
7-point scale, grouped by gender (two groups), one mediation (SP → EN → WB), one share
claim (TR) and one latent-mean comparison, simulated with ``hpmob simulate`` from the
example's own population model. ``hpmob run --raw ... --plan ...`` runs notebooks 01–06
on it and builds its book; the claims table follows the example's plan.
"""

import subprocess
import sys
import time

import pandas as pd
import pytest

EXAMPLE = "examples/wellbeing"
# the README's commands, with fewer resamples so the test stays short
FAST = ["-p", "n_boot", "200", "-p", "n_mc", "2000", "-p", "n_iter", "20"]


def hpmob(*args):
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def run(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wellbeing")
    ex = root / EXAMPLE
    start = time.perf_counter()
    sim = hpmob("simulate", "--seed", 7, "--n", 600, "--codebook", ex / "codebook.yaml", "--model",
                ex / "population_model.yaml", "--out", folder / "export.csv")
    assert sim.returncode == 0, sim.stderr
    result = hpmob("run", "--raw", folder / "export.csv", "--codebook", ex / "codebook.yaml", "--plan",
                   ex / "analysis_plan.yaml", "--out", folder / "run", "--data-statement",
                   "Synthetic data simulated with hpmob simulate --seed 7 (test run).", *FAST)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"second example end to end: {time.perf_counter() - start:.0f} s")
    return folder / "run"


def test_its_claims_table_follows_its_plan(run):
    claims = pd.read_csv(run / "tables" / "claims.csv")
    assert claims["hypothesis"].tolist() == ["S1", "S2", "S3", "S4", "S5"]
    assert claims.loc[4, "verdict"] == "not testable with these data"
    judged = claims.iloc[:4]
    assert judged["estimate"].notna().all() and set(judged["verdict"]) <= {"supported", "not supported"}
    # the plan's own threshold (60 %) and the 7-point scale's lowest agree code (5)
    assert "(composite ≥ 5) above 60%" in claims.loc[3, "test"]
    assert claims.loc[2, "test"].startswith("latent mean of WB, female − male")
    # the population model's effects are large at n = 600: the design detects them
    assert (judged.loc[:2, "verdict"] == "supported").all()


def test_its_models_come_from_its_plan(run):
    paths = pd.read_csv(run / "tables" / "sem_paths.csv")
    assert set(zip(paths["lhs"], paths["rhs"])) == {("EN", "SP"), ("WB", "EN"), ("WB", "SP")}
    latent = pd.read_csv(run / "tables" / "latent_means.csv")
    assert set(latent["group_label"]) == {"male", "female"} and set(latent["factor"]) == {"EN", "WB"}


def test_its_book_is_built(run):
    html = run / "book" / "_build" / "html"
    assert (html / "index.html").is_file()
    findings = (html / "notebooks" / "06-findings.html").read_text(encoding="utf-8")
    assert "Women report higher well-being at work than men" in findings
    assert "Party" not in findings  # nothing of the shipped study's claims


def test_a_plan_problem_in_the_example_stops_before_anything_runs(root, tmp_path):
    import yaml

    plan = yaml.safe_load((root / EXAMPLE / "analysis_plan.yaml").read_text(encoding="utf-8"))
    plan["hypotheses"][0]["rhs"] = "SUP"
    bad = tmp_path / "plan.yaml"
    bad.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = hpmob("run", "--raw", root / "data" / "raw" / "hpmob_survey_export.csv", "--codebook",
                   root / EXAMPLE / "codebook.yaml", "--plan", bad, "--out", tmp_path / "out")
    assert result.returncode == 2 and "hypothesis S1" in result.stderr and "SUP is not a construct" in result.stderr
    assert not (tmp_path / "out").exists()
