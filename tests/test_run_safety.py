"""`hpmob run` never destroys, and the CLI explains itself (issue 19).

The folder rules are tested on :mod:`hpmob.outdir` directly (fast); the command line is
tested for the refusals that happen before any notebook runs, for Ctrl-C during a run,
for help texts and defaults, and for the raw files' read-only mode.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpmob.cli import build_parser
from hpmob.io import MANIFEST_NAME, protect_raw_files, write_manifest
from hpmob.outdir import (
    PARTIAL_MARKER,
    RUN_MARKER,
    OutputFolderError,
    finish_run,
    partial_folder,
    start_run,
    written_files,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "raw" / "hpmob_survey_export.csv"
CODEBOOK = ROOT / "data" / "codebook.yaml"


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "hpmob.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def fake_run(out: Path, files: dict[str, str]) -> Path:
    work = start_run(out, refuse_inside=[])
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text, encoding="utf-8")
    return finish_run(work, out)


# ------------------------------------------------------------------ folders
def test_a_run_appears_only_when_finished(tmp_path):
    out = tmp_path / "study"
    work = start_run(out, refuse_inside=[])
    assert work == partial_folder(out.resolve()) and (work / PARTIAL_MARKER).is_file()
    assert not out.exists()  # nothing that looks like a finished run
    (work / "tables").mkdir()
    (work / "tables" / "claims.csv").write_text("x\n", encoding="utf-8")
    finish_run(work, out)
    assert not work.exists()
    assert written_files(out) == {"tables/claims.csv", RUN_MARKER}


def test_rerun_replaces_only_the_files_the_earlier_run_wrote(tmp_path):
    out = tmp_path / "study"
    fake_run(out, {"tables/claims.csv": "old\n", "tables/only_old.csv": "old\n"})
    (out / "my_codebook.yaml").write_text("kept by the user\n", encoding="utf-8")
    (out / "tables" / "notes.txt").write_text("mine\n", encoding="utf-8")
    fake_run(out, {"tables/claims.csv": "new\n"})
    assert (out / "my_codebook.yaml").read_text(encoding="utf-8") == "kept by the user\n"
    assert (out / "tables" / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "tables" / "claims.csv").read_text(encoding="utf-8") == "new\n"
    assert not (out / "tables" / "only_old.csv").exists()  # the old run's own file, not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]  # no .partial or .previous left


def test_a_users_file_named_like_a_run_output_is_kept_beside_it(tmp_path):
    out = tmp_path / "study"
    fake_run(out, {"a.csv": "run 1\n"})
    (out / "b.csv").write_text("user\n", encoding="utf-8")
    fake_run(out, {"a.csv": "run 2\n", "b.csv": "run 2\n"})
    assert (out / "b.csv.kept").read_text(encoding="utf-8") == "user\n"
    assert (out / "b.csv").read_text(encoding="utf-8") == "run 2\n"


def test_leftovers_of_an_interrupted_run_are_replaced_not_published(tmp_path):
    out = tmp_path / "study"
    work = start_run(out, refuse_inside=[])
    (work / "half.csv").write_text("interrupted\n", encoding="utf-8")
    fake_run(out, {"whole.csv": "done\n"})
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "whole.csv"]


@pytest.mark.parametrize("case", ["file", "inside_raw", "foreign", "unwritable"])
def test_unusable_output_folders_are_refused_with_a_reason(tmp_path, case, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    out = tmp_path / "study"
    if case == "file":
        out.write_text("a file\n", encoding="utf-8")
        expected = "is a file"
    elif case == "inside_raw":
        out = raw / "out"
        expected = "inside"
    elif case == "foreign":
        out.mkdir()
        (out / "thesis.docx").write_text("precious\n", encoding="utf-8")
        expected = "not empty"
    else:
        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(Path, "mkdir", refuse)  # root ignores modes, so simulate a read-only folder
        expected = "cannot write"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(OutputFolderError, match=expected):
        start_run(out, refuse_inside=[raw])
    monkeypatch.undo()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("out", "expected"), [
    ("data/raw/out", "inside"),
    ("data/raw/hpmob_survey_export.csv", "inside"),
])
def test_cli_refuses_output_in_the_raw_folder_before_running(out, expected):
    before = {p: p.stat().st_mtime_ns for p in (ROOT / "data" / "raw").iterdir()}
    done = cli("run", "--raw", SHIPPED, "--codebook", CODEBOOK, "--out", out, timeout=120)
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
    assert "usage: hpmob run" in done.stderr
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "data" / "raw").iterdir()} == before


def test_cli_out_pointing_at_a_file_is_a_clear_message(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("keep\n", encoding="utf-8")
    done = cli("run", "--raw", SHIPPED, "--codebook", CODEBOOK, "--out", target, timeout=120)
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text(encoding="utf-8") == "keep\n"


def test_ctrl_c_during_a_run_is_one_line_exit_130_and_keeps_nothing(tmp_path):
    out = tmp_path / "study"
    proc = subprocess.Popen([sys.executable, "-m", "hpmob.cli", "run", "--raw", SHIPPED, "--codebook", CODEBOOK,
                             "--out", out, "--no-book"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")
    deadline = time.monotonic() + 120
    while not (partial_folder(out) / "notebooks").exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # wait until the first notebook runs
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == "hpmob run: interrupted; nothing of this run was kept"
    assert sum("interrupted" in line for line in lines) == 1
    assert not out.exists() and not partial_folder(out).exists()


# ------------------------------------------------------------------ CLI help
def _subcommands():
    parser = build_parser()
    return parser.subcommands


def test_every_option_has_help_text_and_shows_its_default():
    for name, sub in _subcommands().items():
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, type(sub._actions[0])) and action.dest == "help":
                continue
            assert action.help, f"hpmob {name} {action.option_strings or action.dest}: no help text"
            shows_default = action.default not in (None, False) and not action.required
            if shows_default:
                assert "(default:" in action.help or "(default:" in text, (name, action.dest)
        assert "default" in text or all(a.required or a.default in (None, False) for a in sub._actions[1:])


def test_power_help_lists_the_defaults():
    text = _subcommands()["power"].format_help()
    assert "(default: 40 80 120 160)" in text and "(default: 200)" in text and "(default: 0.8)" in text


def test_argument_errors_print_the_subcommands_usage():
    done = cli("run", "--raw", SHIPPED, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("usage: hpmob run") and "--codebook" in done.stderr


# ------------------------------------------------------------------ read-only raw files
def test_manifest_makes_the_raw_files_read_only(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "export.csv").write_bytes(SHIPPED.read_bytes()[:2000])
    write_manifest(raw)
    done = cli("manifest", "--raw-dir", raw, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in ("export.csv", MANIFEST_NAME):
        assert stat.S_IMODE((raw / name).stat().st_mode) & 0o222 == 0, name
    assert protect_raw_files(raw) == []  # nothing left to change
    write_manifest(raw)  # a new manifest can still be written over the read-only one
    assert stat.S_IMODE((raw / MANIFEST_NAME).stat().st_mode) & 0o200


def test_make_all_makes_the_raw_files_read_only():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "all: $(BOOK) build/.raw-readonly" in text
    # -B: as if the stamp were out of date, so the dry run shows the command
    dry = subprocess.run(["make", "-n", "-B", "build/.raw-readonly"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MAKEFLAGS": ""})
    assert dry.returncode == 0 and "chmod a-w" in dry.stdout and "hpmob_survey_export.csv" in dry.stdout


# ------------------------------------------------------------------ hpmob power
def test_power_reports_progress_and_says_when_no_size_reaches_the_target():
    done = cli("power", "--n", "20", "--reps", "2", "--seed", "3", "--jobs", "1", "--target", "1.01", timeout=600)
    assert done.returncode == 0, done.stderr
    assert "[1/1] 20 respondents per group, 2 simulated studies …" in done.stderr
    assert "no size reaches the target (largest tried: 20)" in done.stdout
    assert "NaN" not in done.stdout and "nan" not in done.stdout


def test_power_progress_does_not_change_the_curve():
    from hpmob.power import power_curve

    seen = []
    with_progress = power_curve((20, 24), n_rep=2, seed=5, n_jobs=1, progress=lambda k, n, d: seen.append((k, n, d)))
    assert seen == [(0, 2, 20), (1, 2, 24)]
    assert with_progress.equals(power_curve((20, 24), n_rep=2, seed=5, n_jobs=1))
