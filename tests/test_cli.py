import subprocess
import sys

from hpmob import __version__
from hpmob.cli import main


def test_version_and_help_from_the_console_script():
    exe = [sys.executable, "-m", "hpmob.cli"]
    out = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"hpmob {__version__}"
    helptext = subprocess.run([*exe, "--help"], capture_output=True, text=True, check=True).stdout
    assert "run-notebook" in helptext and "provenance" in helptext


def test_failing_notebook_exits_nonzero_without_traceback(make_notebook, tmp_path, capsys):
    nb = make_notebook([("x = 1", ["parameters"]), ("1/0", [])])
    assert main(["run-notebook", str(nb), str(tmp_path / "o.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "cell 1" in err and "Traceback" not in err


def test_clean_command_writes_the_processed_data_of_notebook_01s_step(root, tmp_path, cb, plan, capsys):
    """`hpmob clean` cleans as the study does: it merges small groups of the plan's breakdowns only.

    In this export three officials (fewer once cleaned) have upper-secondary education; education is not among the
    plan's breakdowns (`sample.composition`), so notebook 01 keeps the category, and so must the
    command (merging every categorical attribute would change the processed data).
    """
    import pandas as pd

    from hpmob.clean import CleaningRules
    from hpmob.study import steps

    raw = pd.read_csv(root / "data" / "raw" / "hpmob_survey_export.csv", dtype=str, keep_default_na=False)
    upper = raw["education"].str.strip().str.lower() == "trung học phổ thông"
    raw.loc[upper & (upper.cumsum() > 3), "education"] = "Đại học"
    export = tmp_path / "export.csv"
    raw.to_csv(export, index=False)
    assert main(["manifest", "--raw-dir", str(tmp_path), "--write"]) == 0  # a new export gets its manifest first
    assert main(["clean", str(export), "--out", str(tmp_path / "cli")]) == 0
    step = steps.cleaning(export, cb, plan, CleaningRules(), processed_dir=tmp_path / "step")
    assert 0 < (step.objects["responses"]["education"] == "upper_secondary").sum() < 5  # a small group, kept
    for name in ("responses.csv", "exclusions.csv"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "step" / name).read_bytes(), name
