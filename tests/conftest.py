"""Shared fixtures: the project root, the shipped codebook and plan, the reference data sets,
the shipped export, a tiny notebook factory and the book built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from hpmob.paths import project_root

ROOT = project_root(Path(__file__).parent)
#: the reference data sets the R scripts in tests/reference/ read (semopy ships the same two)
REFERENCE_DATA = ROOT / "tests" / "reference" / "data"
SHIPPED_EXPORT = ROOT / "data" / "raw" / "hpmob_survey_export.csv"


@pytest.fixture(scope="session")
def root() -> Path:
    """The compendium's root folder."""
    return ROOT


@pytest.fixture(scope="module")
def cb():
    """The shipped codebook (one per test module: a test that changes it cannot reach another module)."""
    from hpmob.codebook import load_codebook

    return load_codebook()


@pytest.fixture(scope="module")
def plan(cb):
    """The shipped analysis plan, read against the shipped codebook."""
    from hpmob.study.plan import load_plan

    return load_plan(codebook=cb)


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    """HolzingerSwineford1939 as the lavaan references read it (one per test module)."""
    return pd.read_csv(REFERENCE_DATA / "HolzingerSwineford1939.csv")


@pytest.fixture
def make_notebook(tmp_path):
    """Write a small notebook from (source, tags) pairs and return its path."""

    def _make(cells, name="10-test.ipynb"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for source, tags in cells:
            nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}))
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    return _make


def _offline(cmd):
    # Build without network when the machine allows a private network namespace
    # (CI runs as root); loopback stays up because Jupyter kernels talk over it.
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n", "bash", "-c", "ip link set lo up 2>/dev/null; exec \"$@\"", "_", *cmd]
    return cmd


def make_env():
    """The environment for a child make: without the parent make's jobserver.

    Under `make test` the environment carries the parent make's jobserver, whose pipes a
    subprocess does not inherit; the child make would then fall back to one job.
    """
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


@pytest.fixture(scope="session")
def built_book(root, tmp_path_factory):
    """The real book, built once per test session offline by `make all` (so its raw-readonly stamp too); the book and browser tests share it.

    Under pytest-xdist each worker has a session of its own: the first worker to ask builds
    the book, holding a lock in the run's shared temporary folder, and records the outcome
    there; a worker that asks later waits for the lock and reads that outcome.
    """
    import fcntl
    import json

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder all workers' temporary folders are in
    outcome = shared / "built_book.json"
    with open(shared / "built_book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            result = subprocess.run(_offline(["make", "-C", str(root), "all"]), capture_output=True, text=True,
                                    env=make_env())
            outcome.write_text(json.dumps({"returncode": result.returncode,
                                           "log": result.stdout[-3000:] + result.stderr[-3000:]}))
    built = json.loads(outcome.read_text())
    assert built["returncode"] == 0, built["log"]
    return root / "book" / "_build" / "html"
